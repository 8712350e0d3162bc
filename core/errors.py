"""Errors the services raise that are not about one field's value."""


class ConflictError(Exception):
    """The request conflicts with the record's current state (HTTP 409)."""
