"""The hold policy in force, built once from Django settings (HOLD_* environment variables)."""

from functools import cache

from django.conf import settings

from .rules import Policy


@cache
def current_policy() -> Policy:
    return Policy.from_mapping(dict(settings.HOLD_POLICY))
