"""Accounts: users, their profiles, log-in passwords, set-password links and bulk import."""
