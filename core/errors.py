"""Errors the services raise that are not about one field's value."""


class ConflictError(Exception):
    """The request conflicts with the record's current state (HTTP 409). Given a dict of
    dotted field names to messages, the answer names the fields as a 400 does."""
