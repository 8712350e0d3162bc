"""The analysts' and auditors' pages: barrier statistics (charts with their data tables, CSV)
and policy simulations. Counts only, every one suppressed: no page here leads to a person."""

import re
from datetime import date, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext

from core.permissions import audited, role_required
from core.roles import Role

from . import nationality_groups
from .barriers import as_csv, barrier_statistics
from .charts import bar_chart
from .evaluation_forms import BREAKDOWN_LABELS, SimulationForm, StatisticsFilterForm
from .models import PolicySimulation
from .policy import current_policy
from .services import simulation
from .services.evaluation import today

OVERSIGHT = (Role.ANALYST, Role.AUDITOR)


def _filters(request) -> tuple[StatisticsFilterForm, dict]:
    form = StatisticsFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    date_to = data.get("date_to") or today()
    date_from = data.get("date_from") or (date_to.replace(day=1) - timedelta(days=365))
    return form, {"date_from": date_from, "date_to": date_to, "by": data.get("by") or "month"}


def _in_page_language(statistics: dict) -> None:
    """The tables' words in the page's language: titles and column names are marked in
    protocol.barriers and protocol.rules (core/label_words.py), months are formatted anew,
    nationality groups named by CLDR in the page's language."""
    language = get_language() or "en"
    for table in [*statistics["tables"], *statistics["medians"]]:
        table["label"] = gettext(table["label"])
        if table.get("note"):
            table["note"] = gettext(table["note"])
        for column in table.get("columns", []):
            column["label"] = gettext(column["label"])
        for row in table["rows"]:
            key = row.get("key") or ""
            if re.fullmatch(r"\d{4}-\d{2}", key):
                row["label"] = date_format(date.fromisoformat(f"{key}-01"), "F Y")
            elif statistics["by"] == "nationality_group" and key in nationality_groups.codes():
                row["label"] = gettext(nationality_groups.label(key, language))
            else:
                row["label"] = gettext(row["label"])


def _charted(statistics: dict) -> list[dict]:
    """Each table with a chart of its rows' totals (or of its columns, for a single row)."""
    _in_page_language(statistics)
    for table in statistics["tables"]:
        if len(table["rows"]) == 1:
            items = list(
                zip([c["label"] for c in table["columns"]], table["column_totals"], strict=True)
            )
        else:
            items = [(row["label"], row["total"]) for row in table["rows"]]
        # Chart above its table, not beside it, when the table is wide.
        table["wide"] = len(table["columns"]) + bool(table.get("share_of")) > 2
        table["colspan"] = len(table["columns"]) + (3 if table.get("share_of") else 2)
        table["chart"] = bar_chart(items, width=640 if table["wide"] else 360) if items else None
    return statistics["tables"]


@role_required(*OVERSIGHT, object_type="statistics")
def statistics_page(request):
    """Barrier statistics, by the breakdown asked for."""
    form, filters = _filters(request)
    with audited(request, action="view", object_type="statistics", detail="page"):
        statistics = barrier_statistics(**filters)
    context = {
        "form": form,
        "statistics": statistics,
        "tables": _charted(statistics),
        "by_label": BREAKDOWN_LABELS[filters["by"]],
        "suppressed_up_to": statistics["suppressed_below"] - 1,
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "protocol/statistics.html", context)


@role_required(*OVERSIGHT, object_type="statistics")
def statistics_csv(request):
    """The same tables as CSV: an export in the access log."""
    _form, filters = _filters(request)
    with audited(request, action="export", object_type="statistics", detail="csv page"):
        body = as_csv(barrier_statistics(**filters))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="barrier-statistics.csv"'
    return response


@role_required(*OVERSIGHT, object_type="policy_simulation", actions={"POST": "create"})
def simulation_new(request):
    """Proposed policy values; the simulation runs at once or on the worker."""
    running = current_policy().as_dict()
    form = SimulationForm(request.POST or None, running=running)
    if request.method == "POST" and form.is_valid():
        try:
            on = simulation.check_on(form.cleaned_data.get("on"))
            simulation.proposed_policy(changes := form.changes())
            with audited(request, action="create", object_type="policy_simulation") as access:
                kept = simulation.simulation_request(by=request.user, policy=changes, on=on)
                access.object_id = str(kept.pk)
            return redirect("simulation_detail", simulation_id=kept.pk)
        except simulation.SimulationInputError as error:
            form.apply_service_errors(ValidationError(error.errors))
    kept = PolicySimulation.objects.filter(requested_by=request.user)[:10]
    context = {"form": form, "running": running, "kept": kept}
    return render(request, "protocol/simulation_new.html", context)


@role_required(*OVERSIGHT, object_type="policy_simulation")
def simulation_detail(request, simulation_id: UUID):
    """A simulation's progress (with a reload link: no JavaScript needed) or its result."""
    with audited(
        request,
        action="view",
        object_type="policy_simulation",
        object_id=simulation_id,
        hidden=PolicySimulation,
    ):
        kept = PolicySimulation.objects.filter(pk=simulation_id, requested_by=request.user).first()
        if kept is None:
            raise PolicySimulation.DoesNotExist
    if kept is None:
        raise Http404
    percent = round(100 * kept.done / kept.total) if kept.total else 0
    finished = kept.status in (PolicySimulation.Status.DONE, PolicySimulation.Status.FAILED)
    context = {
        "simulation": kept,
        "result": kept.result,
        "percent": percent,
        "refresh": not finished,
    }
    if kept.result:
        changes = kept.result["status_changes"]
        context["rows"] = [
            {"label": status["label"], "cells": cells, "total": total}
            for status, cells, total in zip(
                changes["statuses"], changes["from_to"], changes["from_totals"], strict=True
            )
        ]
    return render(request, "protocol/simulation_detail.html", context)
