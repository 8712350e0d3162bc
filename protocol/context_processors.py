"""The unread notification count shown in every page's header."""

import logging

from django.utils.functional import SimpleLazyObject

from .selectors import NOTIFIED_ROLES, UNREAD_COUNT_UP_TO, notifications_unread_count

logger = logging.getLogger(__name__)


def notifications(request):
    """`notifications_unread`: "" for none, the number, or "99+"; read only when a page shows
    it, and "" if it cannot be read (a page never fails for want of the count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_role(*NOTIFIED_ROLES):
        return {}

    def count() -> str:
        try:
            unread = notifications_unread_count(user=user)
        except Exception:
            logger.warning("Could not count unread notifications", exc_info=True)
            return ""
        if not unread:
            return ""
        return f"{UNREAD_COUNT_UP_TO}+" if unread > UNREAD_COUNT_UP_TO else str(unread)

    return {"notifications_shown": True, "notifications_unread": SimpleLazyObject(count)}
