"""Notifications: what happened to a hold, told to the organisations API.md names, listed in the
service and e-mailed to each organisation's contact address.

Recipients (API.md "Data lifecycle and notifications"): a support referral made (the support
organisation), accepted or declined (the referring force); consent withdrawn (the organisation
and the referring force); an override requested (IE seniors), approved, rejected or revoked (IE
seniors, the referring force, the support organisations); a hold due for review (IE seniors and
the referring force); no contact recorded (the support organisation); a hold ended (the
referring force and the support organisations). Within an organisation, IE notifications are
seen by IE seniors only; oversight bodies receive none.

A notification names references only, never a person. The e-mail is sent by a Celery task after
the change commits (retried with back-off); a send that fails never blocks the change, and the
sweep queues the task again for whatever is still owed (`email_resend_owed`).
"""

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, UUIDField, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import Organisation
from core.roles import OrganisationKind
from victims.models import OPEN_SUPPORT_STATUSES, SupportEngagement

from ..models import Hold, Notification, NotificationRead
from ..policy import current_policy

logger = logging.getLogger(__name__)

Kind = Notification.Kind
SEND_EMAIL_TASK = "protocol.tasks.send_notification_email"

# Who each kind of `notify` goes to: "ie" (the IE units, seen by their seniors), "forces" (the
# forces with a case of the person) and "support" (organisations with an open engagement).
# The support-referral, consent and no-contact kinds name their organisation themselves
# (`notify_organisation`).
RECIPIENTS: dict[str, tuple[str, ...]] = {
    Kind.OVERRIDE_REQUESTED: ("ie",),
    Kind.OVERRIDE_APPROVED: ("ie", "forces", "support"),
    Kind.OVERRIDE_REJECTED: ("ie", "forces", "support"),
    Kind.OVERRIDE_REVOKED: ("ie", "forces", "support"),
    Kind.REVIEW_DUE: ("ie", "forces"),
    Kind.HOLD_ENDED: ("forces", "support"),
}


def _recipients_of(holds: Iterable[Hold], kind: str) -> dict[UUID, list[Organisation]]:
    """Each hold's recipients of `kind` (by hold id), for a batch of holds in one query."""
    groups = RECIPIENTS.get(kind)
    if groups is None:
        raise ValueError(f"Unknown notification kind {kind!r}, or one that names its organisation")
    holds = list(holds)
    if not holds:
        return {}
    by_victim = {hold.victim_id: hold.pk for hold in holds}
    condition = Q(pk__in=[])
    if "ie" in groups:
        condition |= Q(kind=OrganisationKind.IMMIGRATION_ENFORCEMENT)
    if "forces" in groups:
        condition |= Q(kind=OrganisationKind.POLICE_FORCE, cases__victim_id__in=by_victim)
    if "support" in groups:
        condition |= Q(
            kind=OrganisationKind.SUPPORT_ORGANISATION,
            support_engagements__victim_id__in=by_victim,
            support_engagements__status__in=OPEN_SUPPORT_STATUSES,
        )
    # Which victim each row is a recipient for: the case's or the engagement's (the annotations
    # read the joins the filter made); IE units are recipients for every hold.
    nobody = Value(None, output_field=UUIDField())
    organisations = Organisation.objects.filter(condition).annotate(
        case_victim=F("cases__victim_id") if "forces" in groups else nobody,
        engagement_victim=F("support_engagements__victim_id") if "support" in groups else nobody,
    )
    recipients: dict[UUID, dict[UUID, Organisation]] = {hold.pk: {} for hold in holds}
    for organisation in organisations.order_by("name", "pk"):
        if organisation.kind == OrganisationKind.IMMIGRATION_ENFORCEMENT:
            for told in recipients.values():
                told.setdefault(organisation.pk, organisation)
            continue
        victim_id = (
            organisation.case_victim
            if organisation.kind == OrganisationKind.POLICE_FORCE
            else organisation.engagement_victim
        )
        if victim_id in by_victim:
            recipients[by_victim[victim_id]].setdefault(organisation.pk, organisation)
    return {hold_id: list(told.values()) for hold_id, told in recipients.items()}


def _references(hold: Hold, organisation: Organisation) -> dict[str, str]:
    """The hold's reference for everyone; the victim's too for police and support (IE knows a
    person by the hold alone)."""
    references = {"hold": hold.reference}
    if organisation.kind in (OrganisationKind.POLICE_FORCE, OrganisationKind.SUPPORT_ORGANISATION):
        references["victim"] = hold.victim.reference
    return references


def _make(
    organisations: Iterable[Organisation],
    *,
    hold: Hold,
    kind: str,
    message: str,
    occasion: datetime | None = None,
) -> list[Notification]:
    """Write one notification per organisation (oversight bodies get none) and send each by
    e-mail once the transaction commits. With an `occasion`, one that already exists is kept
    and not repeated."""
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind {kind!r}")
    made = []
    for organisation in organisations:
        if organisation.kind == OrganisationKind.OVERSIGHT:
            continue
        notification = Notification(
            organisation=organisation,
            hold=hold,
            kind=kind,
            references=_references(hold, organisation),
            message=message,
            occasion=occasion,
            email_to=organisation.contact_email,
        )
        if occasion is not None:
            try:
                with transaction.atomic():
                    notification.save(force_insert=True)
            except IntegrityError:  # told already on this occasion (a concurrent sweep)
                continue
        else:
            notification.save(force_insert=True)
        made.append(notification)
    owed = [str(notification.pk) for notification in made if notification.email_to]
    if owed:
        transaction.on_commit(lambda: enqueue_emails(owed), robust=True)
    return made


def notify(*, hold: Hold, kind: str, message: str) -> list[Notification]:
    """Tell the organisations API.md names for `kind` about a step on their hold. `message`
    names references only."""
    return _make(_recipients_of([hold], kind)[hold.pk], hold=hold, kind=kind, message=message)


def notify_organisation(
    *, organisation: Organisation, hold: Hold, kind: str, message: str
) -> Notification | None:
    """Tell one organisation about a step on a hold (a support referral made, accepted or
    declined; consent withdrawn; an override ended by a merge). `message` names references
    only. None for an oversight body, which receives no notifications."""
    made = _make([organisation], hold=hold, kind=kind, message=message)
    return made[0] if made else None


def enqueue_emails(notification_ids: Iterable[str]) -> None:
    """Ask a worker to e-mail each notification. Never raises: what cannot be queued is still
    owed, and the sweep sends it."""
    for notification_id in notification_ids:
        try:
            current_app.send_task(SEND_EMAIL_TASK, args=(notification_id,))
        except Exception:
            logger.warning(
                "Could not queue the e-mail of notification %s; the sweep will send it",
                notification_id,
                exc_info=True,
            )


def email_subject(notification: Notification) -> str:
    kind = notification.get_kind_display()
    return f"{settings.SERVICE_NAME}: {kind} ({notification.hold.reference})"


def email_body(notification: Notification) -> str:
    references = ", ".join(f"{name} {value}" for name, value in notification.references.items())
    link = f"{settings.SITE_URL.rstrip('/')}/notifications" if settings.SITE_URL else ""
    lines = [
        str(notification.get_kind_display()) + ".",
        "",
        notification.message,
        "",
        f"References: {references}.",
        "",
        "Sign in to the service to read it and see the record" + (f": {link}" if link else "."),
        "",
        "This message names references only. Do not reply to it with personal data.",
    ]
    return "\n".join(lines)


def email_send(*, notification_id: UUID | str) -> bool:
    """E-mail one notification to its organisation's contact address, once: the row is locked
    while sending, so the task and the sweep never both send it. True if sent now; raises if the
    mail server refused or could not be reached (the notification stays owed)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("hold")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at or not notification.email_to:
            return False
        Notification.objects.filter(pk=notification.pk).update(
            email_attempts=notification.email_attempts + 1
        )
    # The attempt is counted even when the send fails (its own transaction, committed above).
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("hold")
            .get(pk=notification_id)
        )
        if notification.emailed_at:
            return False
        EmailMessage(
            subject=email_subject(notification),
            body=email_body(notification),
            to=[notification.email_to],
        ).send(fail_silently=False)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def email_resend_owed(*, limit: int) -> dict[str, int]:
    """Queue what is still owed (its task failed, or was never queued): notifications not yet
    e-mailed that are older than NOTIFICATION_EMAIL_RESEND_SECONDS, oldest first. The sweep only
    asks a worker to send each (`email_send`, which locks its row while sending, so a
    notification queued twice is still sent once); it never sends mail itself, so it holds no
    lock while a mail server answers. What cannot be queued stays owed for the next sweep."""
    before = timezone.now() - timedelta(seconds=settings.NOTIFICATION_EMAIL_RESEND_SECONDS)
    owed = [
        str(notification_id)
        for notification_id in Notification.objects.filter(
            emailed_at__isnull=True, created_at__lte=before
        )
        .exclude(email_to="")
        # The fewest attempts first: notifications that keep failing (a bad address) never
        # crowd newer owed ones out of the batch.
        .order_by("email_attempts", "created_at")
        .values_list("pk", flat=True)[:limit]
    ]
    if owed:
        transaction.on_commit(lambda: enqueue_emails(owed), robust=True)
    return {"emails_owed": len(owed)}


def _occasion(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def review_due_notices(*, limit: int, since: datetime | None = None) -> int:
    """Tell IE seniors and the referring force of each hold that has become due for review,
    once per hold per occasion (the time it became `review_due`). With `since`, only holds that
    became due since then (an incremental scan, on the `hold_status_since` index)."""
    told = Notification.objects.filter(
        hold=OuterRef("pk"), kind=Kind.REVIEW_DUE, occasion=OuterRef("status_since")
    )
    due = Hold.objects.filter(status="review_due")
    if since is not None:
        due = due.filter(status_since__gte=since)
    holds = list(
        due.exclude(Exists(told)).select_related("victim").order_by("status_since")[:limit]
    )
    recipients = _recipients_of(holds, Kind.REVIEW_DUE)  # one query for the batch
    for hold in holds:
        with transaction.atomic():
            _make(
                recipients[hold.pk],
                hold=hold,
                kind=Kind.REVIEW_DUE,
                message=f"Hold {hold.reference} is due for review: protection continues until "
                "an IE senior confirms its end.",
                occasion=hold.status_since,
            )
    return len(holds)


def no_contact_notices(*, on: date, review_days: int, limit: int, since: date | None = None) -> int:
    """Tell a support organisation once per engagement and last contact that it has recorded no
    contact for `review_days` (HOLD_SUPPORT_REVIEW_DAYS) on an open engagement. With `since`,
    only engagements that became overdue since that day (an incremental scan, on the
    `support_open_last_contact` index)."""
    # The occasion is the last contact's date at midnight UTC (the connection's time zone), as
    # `_occasion` writes it.
    last_contact = Coalesce("last_contact_on", "started_on")
    told = Notification.objects.filter(
        hold__victim_id=OuterRef("victim_id"),
        organisation_id=OuterRef("organisation_id"),
        kind=Kind.SUPPORT_CONTACT_OVERDUE,
        occasion=Cast(OuterRef("last_contact"), DateTimeField()),
    )
    engagements = list(
        SupportEngagement.objects.filter(
            status__in=OPEN_SUPPORT_STATUSES, victim__hold__isnull=False
        )
        .annotate(last_contact=last_contact)
        .filter(last_contact__lt=on - timedelta(days=review_days))
        .filter(
            **(
                {"last_contact__gte": since - timedelta(days=review_days + 1)}
                if since is not None
                else {}
            )
        )
        .exclude(Exists(told))
        .select_related("organisation", "victim__hold", "victim")
        .order_by("last_contact", "pk")[:limit]
    )
    for engagement in engagements:
        hold = engagement.victim.hold
        with transaction.atomic():
            _make(
                [engagement.organisation],
                hold=hold,
                kind=Kind.SUPPORT_CONTACT_OVERDUE,
                message=f"No contact has been recorded for victim {engagement.victim.reference} "
                f"(hold {hold.reference}) since {engagement.last_contact:%-d %B %Y}.",
                occasion=_occasion(engagement.last_contact),
            )
    return len(engagements)


# How far the scan got, in the cache (Redis): {"since": when the last complete scan started,
# "full": when the last full scan started}. Only a bookmark: without it, the scan is a full one.
SCAN_BOOKMARK = "protocol:notification-scan"
# A hold's `status_since` is written inside its evaluation's transaction, which may commit after
# a scan started: the incremental scan looks back this far before the bookmark.
SCAN_MARGIN = timedelta(hours=1)


def _scan_bookmark() -> dict[str, datetime]:
    try:
        saved = cache.get(SCAN_BOOKMARK) or {}
        return {name: datetime.fromisoformat(value) for name, value in saved.items()}
    except Exception:
        logger.warning("Could not read the notification scan's bookmark; scanning in full")
        return {}


def notification_scan(*, on: date, limit: int) -> dict[str, int]:
    """The sweep's notification scan: "review due" and "no contact" notices owed, and e-mails
    still owed.

    Incremental: only what became due since the last complete scan (less `SCAN_MARGIN`), on
    indexes, so its cost follows what changed rather than how many holds are due. A full scan
    runs every NOTIFICATION_FULL_SCAN_SECONDS (and whenever the bookmark is lost), which also
    finds what became due in the past all at once (a contact recorded late with an old date)."""
    started = timezone.now()
    bookmark = _scan_bookmark()
    full_due = started - timedelta(seconds=settings.NOTIFICATION_FULL_SCAN_SECONDS)
    full = "since" not in bookmark or bookmark.get("full", started) <= full_due
    since = None if full else bookmark["since"] - SCAN_MARGIN
    review_days = current_policy().support_review_days
    counts = {
        "review_due": review_due_notices(limit=limit, since=since),
        "no_contact": no_contact_notices(
            on=on,
            review_days=review_days,
            limit=limit,
            since=since.date() if since is not None else None,
        ),
    }
    if counts["review_due"] < limit and counts["no_contact"] < limit:  # complete: move on
        saved = {"since": started, "full": started if full else bookmark["full"]}
        try:
            cache.set(
                SCAN_BOOKMARK, {name: value.isoformat() for name, value in saved.items()}, None
            )
        except Exception:
            logger.warning("Could not save the notification scan's bookmark")
    return {**counts, "full_scan": int(full), **email_resend_owed(limit=limit)}


def notification_mark_read(*, notification_id: UUID, user, visible: QuerySet) -> Notification:
    """Mark one of the user's notifications read by them (idempotent). `visible` is the user's
    notifications (`selectors.notifications_visible`): any other is `DoesNotExist`."""
    notification = visible.get(pk=notification_id)
    NotificationRead.objects.get_or_create(notification_id=notification.pk, user=user)
    notification.read = True
    return notification
