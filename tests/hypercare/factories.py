"""Builders for hypercare tests: tickets raised through the services at a chosen moment."""

import datetime
import zoneinfo
from unittest import mock

from implementation.choices import TicketStatus
from implementation.services import hypercare
from projects import services as project_services
from projects.models import Membership

HANOI_MONDAY_9AM = datetime.datetime(2026, 11, 16, 2, 0, tzinfo=datetime.UTC)  # 09:00 +07


def a_ticket(project, reporter, *, at=None, **fields):
    """A ticket raised by `reporter`, optionally at a given moment (its clocks start then)."""
    values = {
        "module": "Sales",
        "title": "Cannot post the invoice",
        "description": "Posting shows an error.",
        "severity": "high",
        "business_impact": "Invoices of the Hà Đông store wait.",
    } | fields
    if at is None:
        return hypercare.ticket_raise(actor=reporter, project=project, **values)
    with mock.patch("django.utils.timezone.now", return_value=at):
        return hypercare.ticket_raise(actor=reporter, project=project, **values)


def moved(ticket, actor, status, *, at=None, comment=""):
    if at is None:
        return hypercare.ticket_transition(
            actor=actor, ticket=ticket, status=status, comment=comment
        )
    with mock.patch("django.utils.timezone.now", return_value=at):
        return hypercare.ticket_transition(
            actor=actor, ticket=ticket, status=status, comment=comment
        )


def frozen(at):
    """Run services as if it were `at` (they stamp their moments with timezone.now)."""
    return mock.patch("django.utils.timezone.now", return_value=at)


def local(project, *parts):
    """A moment on the project's wall clock: local(project, 2026, 11, 16, 9)."""
    return datetime.datetime(*parts, tzinfo=zoneinfo.ZoneInfo(project.time_zone))


def on_hypercare_team(project, pm, user):
    membership = Membership.objects.get(project=project, user=user)
    return project_services.membership_set_go_live_roles(
        actor=pm, membership=membership, on_hypercare_team=True
    )


# The shortest path from a new ticket to each status, with who moves it.
PATH_TO = {
    TicketStatus.NEW: (),
    TicketStatus.ACKNOWLEDGED: (TicketStatus.ACKNOWLEDGED,),
    TicketStatus.IN_PROGRESS: (TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS),
    TicketStatus.RESOLVED: (TicketStatus.ACKNOWLEDGED, TicketStatus.RESOLVED),
    TicketStatus.CLOSED: (TicketStatus.ACKNOWLEDGED, TicketStatus.RESOLVED, TicketStatus.CLOSED),
}


def a_ticket_in(status, project, reporter, handler, *, at=None, **fields):
    """A ticket raised by `reporter` and moved by `handler` to `status`, a minute per move."""
    at = at or HANOI_MONDAY_9AM
    ticket = a_ticket(project, reporter, at=at, **fields)
    for n, step in enumerate(PATH_TO[status], start=1):
        ticket = moved(ticket, handler, step, at=at + datetime.timedelta(minutes=n))
    return ticket


def answered(project, actor, satisfaction, *, at, blockers="", helps=""):
    """`actor`'s feedback for the week of `at`."""
    with frozen(at):
        return hypercare.feedback_answer(
            actor=actor, project=project, satisfaction=satisfaction, blockers=blockers, helps=helps
        )
