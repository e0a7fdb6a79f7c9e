"""Domain services: they take a database session, never a request, and raise domain exceptions."""


class NotFound(Exception):
    """The thing asked for does not exist."""
