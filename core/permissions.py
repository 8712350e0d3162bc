"""Who may use a page, and the access log's one path for pages and API alike.

A role that may not use a page at all gets a 403. What a caller may not see inside a page they
may use is scoped by the selectors, and anything not theirs is a 404 (see `viewed_or_404`).

Every access, allowed or refused, is recorded through the helpers here, by pages and API views
alike: `audited` (an access and its event in one transaction; a refusal or a hidden object
recorded as denied), `record_role_refusal` (a role that may not use a page or an endpoint), and
`viewed_or_404` / `listed` (a page's read). A write made through a page therefore leaves the
same event as the same write made through the API.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.module_loading import import_string
from rest_framework import exceptions as api_exceptions

from .roles import IE_ROLES, POLICE_ROLES, Role

POLICE = tuple(POLICE_ROLES)
ADVISER = (Role.SUPPORT_ADVISER,)
IE = tuple(IE_ROLES)
IE_SENIOR = (Role.IE_SENIOR,)
POLICE_OR_ADVISER = (*POLICE, *ADVISER)

READ_METHODS = ("GET", "HEAD", "OPTIONS")


@cache
def _access_recorder() -> Callable:
    return import_string(settings.ACCESS_LOG_RECORDER)


def record_access(**event):
    """Append an event to the access log, in the caller's transaction. The log is the accounts
    app's (`accounts.audit.record_access`, named by `settings.ACCESS_LOG_RECORDER`): core imports
    no app, so it finds the recorder by name, as Django finds the user model."""
    return _access_recorder()(**event)


@dataclass
class Access:
    """What a view tells the access log about the access it is making."""

    object_id: str = ""
    detail: str = ""
    also: list[dict] = field(default_factory=list)

    def record_also(self, *, action: str, object_type: str, object_id="", detail: str = ""):
        """A further event in the same transaction (a referral creates a victim and a case)."""
        self.also.append(
            {
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "detail": detail,
            }
        )


@contextmanager
def audited(
    request,
    *,
    action: str,
    object_type: str,
    object_id="",
    detail: str = "",
    hidden=None,
) -> Iterator[Access]:
    """Do the access and record it in one transaction: the one way pages and API views record
    an access, so a rolled-back access leaves no event.

    A refusal is recorded as denied after the access is rolled back, and raised again: a
    service's `PermissionDenied`, or a 404 for an object that exists but is not the caller's
    (`hidden` is the model whose `DoesNotExist` the selector raises, and `access.object_id` the
    object's key; nothing is recorded for an object that does not exist at all). A missing or
    hidden object is raised as `Http404`.
    """
    access = Access(object_id=str(object_id), detail=detail)
    user = request.user

    def record(outcome: str, why: str = "") -> None:
        record_access(
            user=user,
            action=action,
            object_type=object_type,
            object_id=access.object_id,
            outcome=outcome,
            request=request,
            detail=why or access.detail,
        )

    try:
        with transaction.atomic():
            yield access
            for event in access.also:
                record_access(user=user, request=request, **event)
            record("allowed")
    except (PermissionDenied, api_exceptions.PermissionDenied) as refusal:
        record("denied", str(refusal) or "refused")
        raise
    except (ObjectDoesNotExist, Http404) as missing:
        if (
            hidden is not None
            and isinstance(missing, hidden.DoesNotExist)
            and access.object_id
            and hidden._default_manager.filter(pk=access.object_id).exists()
        ):
            record("denied", "not the caller's")
        raise Http404 from None


def record_role_refusal(request, *, action: str, object_type: str, url_kwargs: dict) -> None:
    """Record that the caller's role may not use this page or endpoint at all (a 403). The
    object is the first one the address names."""
    record_access(
        user=request.user,
        action=action,
        object_type=object_type,
        object_id=str(next(iter(url_kwargs.values()), ""))[:64],
        outcome="denied",
        request=request,
        detail=f"role may not use {request.method} {request.path}"[:200],
    )


def method_action(request, actions: dict[str, str] | None = None) -> str:
    """The access log's action for a request: `actions[method]`, else `view` for a read and
    `change` for a write."""
    default = "view" if request.method in READ_METHODS else "change"
    return (actions or {}).get(request.method, default)


def role_required(*roles: str, object_type: str, actions: dict[str, str] | None = None) -> Callable:
    """Sign-in required (redirect to the sign-in page), then one of `roles`: otherwise a 403,
    recorded as the API records it (the page's `object_type`, the action its method would be,
    as `actions` maps them)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                record_role_refusal(
                    request,
                    action=method_action(request, actions),
                    object_type=object_type,
                    url_kwargs=kwargs,
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def viewed_or_404(request, selector: Callable, *, object_type: str, hidden, **kwargs):
    """Read one object through a scoped selector and record the view in the access log, in one
    transaction; what the caller may not see is a 404, never a 403. The selector's one keyword
    (`case_id=...`) names the object: if it exists but is not the caller's (`hidden` is its
    model), the 404 is recorded as denied."""
    (object_id,) = kwargs.values()
    with audited(
        request, action="view", object_type=object_type, object_id=object_id, hidden=hidden
    ) as access:
        found = selector(user=request.user, **kwargs)
        access.object_id = str(found.pk)
    return found


# How far a list page counts its rows (`BoundedPaginator`): 40 pages of 25.
COUNT_UP_TO = 1000


class BoundedPaginator(Paginator):
    """A paginator that counts no further than `count_up_to` rows: at national scale an exact
    count of a force's cases reads every one of them (and checks each one's grant), where a
    page needs 25. Beyond the bound, `more` is true, `count` is the bound, and only the first
    `count_up_to` rows have pages: a search or a filter finds the others."""

    def __init__(self, object_list, per_page, *, count_up_to: int):
        super().__init__(object_list, per_page)
        self.count_up_to = count_up_to

    @cached_property
    def counted(self) -> int:
        return self.object_list.order_by()[: self.count_up_to + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.count_up_to)

    @property
    def more(self) -> bool:
        return self.counted > self.count_up_to

    def get_page(self, number):
        """As Paginator's, with the first page read before anything is counted: when it is not
        full it holds every row, so nothing else is read (a search with a few matches runs
        once, not twice); when it is full, its rows are kept and the count is bounded."""
        if str(number or "1").strip() not in ("", "1"):
            return super().get_page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.counted = len(rows)
        return self._get_page(rows[: self.count], 1, self)


def paginate(request, queryset, *, per_page: int = 25, count_up_to: int | None = None) -> dict:
    """A page of `queryset` and the items of a GOV.UK pagination component, keeping the other
    query parameters (search and filters) in every link. With `count_up_to`, rows are counted
    no further than that (`BoundedPaginator`)."""
    paginator = (
        BoundedPaginator(queryset, per_page, count_up_to=count_up_to)
        if count_up_to
        else Paginator(queryset, per_page)
    )
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


def listed(
    request, queryset, *, object_type: str, detail: str = "", count_up_to: int | None = None
) -> tuple[list, dict]:
    """A page of `queryset` (as `paginate`) read and recorded as a list in the access log, in
    one transaction: the page's objects, and the pagination items for the template."""
    with audited(request, action="list", object_type=object_type) as access:
        listing = paginate(request, queryset, count_up_to=count_up_to)
        rows = list(listing["page"])
        access.detail = detail or f"page {listing['page'].number}"
    return rows, listing


def granted_to_organisation(queryset: QuerySet, grants_model, *, user, codename: str) -> QuerySet:
    """Rows of `queryset` granted to the user's organisation's group (django-guardian grants on
    a direct foreign-key table). Global permissions are never accepted, and grants go only to
    organisation groups, so the one group to look at is the organisation's. An EXISTS over the
    grants' unique index keeps this cheap at millions of rows."""
    organisation = user.organisation
    if organisation is None:
        return queryset.none()
    # The permission by its model's content type and its codename, which together name one
    # permission (a codename alone may name several, one per app that defines it).
    granted = grants_model._meta.get_field("content_object").related_model._meta
    permission = Permission.objects.filter(
        content_type__app_label=granted.app_label,
        content_type__model=granted.model_name,
        codename=codename,
    )
    grants = grants_model.objects.filter(
        content_object=OuterRef("pk"),
        group_id=organisation.group_id,
        # A scalar subquery, not a join: the planner then estimates the grants well and walks
        # the caller's index in order instead of hashing every grant of the organisation.
        permission_id=Subquery(permission.order_by().values("pk")),
    )
    return queryset.filter(Exists(grants))
