"""Builders for hypercare tests: tickets raised through the services at a chosen moment."""

import datetime
from unittest import mock

from implementation.services import hypercare

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
