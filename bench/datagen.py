"""Fast synthetic data for the API benchmark: victims, cases, holds and grants, with COPY.

Made-up people only. References are derived from the row number, so they are unique and the
benchmark can pick existing and unknown ones without reading them back.
"""

import datetime as dt
import json
import random
import uuid

from django.contrib.auth.models import Permission
from django.utils import timezone

from bench.common import CASE_COLUMNS, HOLD_COLUMNS, VICTIM_COLUMNS, _copy, reference


def home_office_reference(number: int) -> str:
    return f"B{number:08d}"


def generate(*, victims: int, cases_per_victim: float, forces, officer, start: int = 0) -> None:
    """Insert `victims` victims (numbered from `start`), ~`cases_per_victim` cases each, one hold
    each, and the force's grants, spreading victims over `forces` (Organisation objects)."""
    rng = random.Random(start)
    now = timezone.now()
    today = timezone.localdate()
    view_victim = Permission.objects.get(codename="view_victim").pk
    change_victim = Permission.objects.get(codename="change_victim").pk
    view_case = Permission.objects.get(codename="view_case").pk
    change_case = Permission.objects.get(codename="change_case").pk
    victim_rows, hold_rows, case_rows, victim_grants, case_grants = [], [], [], [], []
    ruleset = json.dumps({"version": "bench", "policy": {}})
    case_number = start * 2
    for number in range(start, start + victims):
        victim_id = uuid.uuid4()
        force = forces[number % len(forces)]
        family = f"family{number}"
        victim_rows.append(
            (
                victim_id,
                reference("V", number),
                f"given{number}",
                family,
                dt.date(1960, 1, 1) + dt.timedelta(days=number % 15000),
                "SEN",
                home_office_reference(number),
                "fr",
                True,
                "",
                "",
                family,
                f"given{number}",
                home_office_reference(number),
                1,
                now,
                now,
            )
        )
        in_force = number % 10 < 7
        hold_rows.append(
            (
                uuid.uuid4(),
                reference("H", number),
                victim_id,
                "active" if in_force else "ended",
                in_force,
                "{investigation_ongoing}" if in_force else "{}",
                None,
                "{}",
                "{}",
                ruleset,
                1,
                now,
                today,
                None,
                now,
                now,
            )
        )
        victim_grants.append((force.group_id, view_victim, victim_id))
        victim_grants.append((force.group_id, change_victim, victim_id))
        count = 1 + (rng.random() < cases_per_victim - 1)
        for _ in range(count):
            case_id = uuid.uuid4()
            reported = today - dt.timedelta(days=30 + number % 300)
            case_rows.append(
                (
                    case_id,
                    reference("C", case_number),
                    victim_id,
                    force.pk,
                    officer.pk,
                    f"CR/{case_number}",
                    "domestic_abuse",
                    "victim",
                    reported,
                    reported + dt.timedelta(days=1),
                    "under_investigation",
                    None,
                    None,
                    "none",
                    "",
                    None,
                    "Synthetic narrative.",
                    now,
                    now,
                )
            )
            case_grants.append((force.group_id, view_case, case_id))
            case_grants.append((force.group_id, change_case, case_id))
            case_number += 1
    _copy(
        "victims_victim",
        VICTIM_COLUMNS,
        victim_rows,
    )
    _copy(
        "protocol_hold",
        HOLD_COLUMNS,
        hold_rows,
    )
    _copy(
        "cases_case",
        CASE_COLUMNS,
        case_rows,
    )
    _copy(
        "victims_victimgroupobjectpermission",
        ["group_id", "permission_id", "content_object_id"],
        victim_grants,
    )
    _copy(
        "cases_casegroupobjectpermission",
        ["group_id", "permission_id", "content_object_id"],
        case_grants,
    )
