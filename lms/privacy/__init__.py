"""A person's records: everything the platform holds about a learner, to download, and their erasure."""
