"""Certificates of completion: issued once on course completion, as a PDF, a public verification page and
a signed Open Badges 3.0 credential; awards and revocations are statements in the LRS."""
