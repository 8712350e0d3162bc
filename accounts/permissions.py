"""Who may use a page: a role check for views, and helpers every page view shares.

A role that may not use a page at all gets a 403. What a caller may not see inside a page they
may use is scoped by the selectors, and anything not theirs is a 404 (see `get_or_404`).
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404

from .audit import record_access
from .roles import IE_ROLES, POLICE_ROLES, Role

POLICE = tuple(POLICE_ROLES)
ADVISER = (Role.SUPPORT_ADVISER,)
IE = tuple(IE_ROLES)
IE_SENIOR = (Role.IE_SENIOR,)
POLICE_OR_ADVISER = (*POLICE, *ADVISER)


def role_required(*roles: str) -> Callable:
    """Sign-in required (redirect to the sign-in page), then one of `roles` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                with transaction.atomic():
                    record_access(
                        user=request.user,
                        action="view",
                        object_type="page",
                        outcome="denied",
                        request=request,
                        detail=request.path,
                    )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def get_or_404(selector: Callable, **kwargs):
    """Call a scoped selector's `*_get`; what the caller may not see is a 404, never a 403."""
    try:
        return selector(**kwargs)
    except ObjectDoesNotExist:
        raise Http404 from None


def viewed_or_404(request, selector: Callable, *, object_type: str, **kwargs):
    """Read one object through a scoped selector (404 if the caller may not see it) and record
    the view in the access log, in one transaction."""
    with transaction.atomic():
        found = get_or_404(selector, user=request.user, **kwargs)
        record_access(
            user=request.user,
            action="view",
            object_type=object_type,
            object_id=found.pk,
            request=request,
        )
    return found


def paginate(request, queryset, *, per_page: int = 25) -> dict:
    """A page of `queryset` and the items of a GOV.UK pagination component, keeping the other
    query parameters (search and filters) in every link."""
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)

    def href(number: int) -> str:
        return "?" + urlencode({**params.dict(), "page": number})

    items: list[dict] = []
    if paginator.num_pages > 1:
        for number in paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1):
            if number == Paginator.ELLIPSIS:
                items.append({"ellipsis": True})
            else:
                items.append(
                    {"number": number, "href": href(number), "current": number == page.number}
                )
    return {
        "page": page,
        "pagination": {
            "items": items,
            "previous": href(page.previous_page_number()) if page.has_previous() else None,
            "next": href(page.next_page_number()) if page.has_next() else None,
        },
    }


def listed(request, queryset, *, object_type: str, detail: str = "") -> tuple[list, dict]:
    """A page of `queryset` (as `paginate`) read and recorded as a list in the access log, in
    one transaction: the page's objects, and the pagination items for the template."""
    with transaction.atomic():
        listing = paginate(request, queryset)
        rows = list(listing["page"])
        record_access(
            user=request.user,
            action="list",
            object_type=object_type,
            request=request,
            detail=detail or f"page {listing['page'].number}",
        )
    return rows, listing
