"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, and helpers to make a
person whose hold closed long ago."""

import datetime as dt
import email
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from cases.services import case_status_change
from protocol import services
from protocol.models import Hold, HoldDecision
from tests.factories import days_ago, make_referral
from tests.servers import free_port


@dataclass
class Inbox:
    """What the server received: each message parsed, with its envelope recipients."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [message for recipients, message in self.messages if address in recipients]


class SmtpServer:
    """`start()` and `stop()` the server on a fixed loopback port; `inbox` keeps the mail."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    """A running SMTP server that this test's e-mail goes to (Django's SMTP backend)."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 3
    yield server
    server.stop()


def body(message: Message) -> str:
    return message.get_payload(decode=True).decode()


def backdate_hold(victim, *, years: int, status: str | None = None) -> Hold:
    """Move the hold's history back `years` years: as if it had closed that long ago."""
    delta = dt.timedelta(days=365 * years + 2)
    hold = Hold.objects.get(victim=victim)
    for decision in HoldDecision.objects.filter(hold=hold):
        HoldDecision.objects.filter(pk=decision.pk).update(decided_at=decision.decided_at - delta)
    Hold.objects.filter(pk=hold.pk).update(status_since=hold.status_since - delta)
    hold.refresh_from_db()
    if status is not None:
        assert hold.status == status
    return hold


def closed_referral(officer, senior, **victim):
    """A person whose only case closed with no further action long ago and whose hold an IE
    senior confirmed `ended`; the hold's history then moved back 7 years (`backdate_hold`)."""
    referral = make_referral(
        officer,
        victim=victim or None,
        case={"reported_on": days_ago(3000), "referred_on": days_ago(2999)},
        dependants=[
            {"given_names": "Sara", "family_name": "Diallo", "date_of_birth": dt.date(2015, 1, 2)}
        ],
    )
    case_status_change(
        case=referral.case,
        by=officer,
        changes={
            "investigation_status": "no_further_action",
            "closed_on": days_ago(2990),
            "outcome_code": 16,
        },
        note="Victim moved away; call her sister on 07700 900999",
    )
    services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")
    hold = Hold.objects.get(victim=referral.victim)
    assert hold.status == "review_due"
    services.end_confirm(
        hold_reference=hold.reference, by=senior, reason="proceedings_concluded_no_application"
    )
    backdate_hold(referral.victim, years=7, status="ended")
    return referral


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent.parent
