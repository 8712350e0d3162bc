"""The auditors' page: the access and disclosure log, filtered, newest first, a page at a time
by cursor (`?before=<event id>`), with the result of `verify_audit` for the chain."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from accounts.api.selectors import access_event_list
from accounts.audit_verify import CheckpointError, checkpoint_latest, verify_log
from accounts.models import AccessEvent
from core.forms import DateField, GovukForm, choices_with_blank
from core.permissions import audited, role_required
from core.roles import Role

PAGE_SIZE = 50


class AuditFilterForm(GovukForm):
    organisation = forms.CharField(label=_("Organisation code"), required=False, max_length=32)
    actor = forms.CharField(label=_("User's email address"), required=False, max_length=254)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=choices_with_blank(AccessEvent.Action.choices, _("Any action")),
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=40)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    since = DateField(label=_("From"), what=_("From date"), required=False)
    until = DateField(label=_("To"), what=_("To date"), required=False)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


def _verification() -> dict:
    """`verify_audit`'s check, read only (no new checkpoint is taken)."""
    try:
        checkpoint, note = checkpoint_latest(), ""
    except (RedisError, CheckpointError) as error:
        checkpoint, note = None, str(error)
    result = verify_log(checkpoint)
    return {"intact": not result.problems, "result": result, "note": note, "checkpoint": checkpoint}


@role_required(Role.AUDITOR, object_type="access_event", actions={"GET": "list"})
def audit_log(request):
    """The log, newest first, a page at a time."""
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    before = filters.pop("before", None)
    with audited(request, action="list", object_type="access_event") as access:
        events = access_event_list(user=request.user, **{k: v for k, v in filters.items() if v})
        if before:
            events = events.filter(id__lt=before)
        page = list(events[: PAGE_SIZE + 1])
        access.detail = f"before {before}" if before else "newest"
    older = page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "form": form,
        "events": page[:PAGE_SIZE],
        "older": older,
        "query": query.urlencode(),
        "before": before,
        "verification": _verification(),
    }
    return render(request, "accounts/audit_log.html", context)
