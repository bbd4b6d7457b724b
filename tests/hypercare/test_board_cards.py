"""The triage board's cards after the board went light: links built from one address, the
cards loaded apart from the counts, and both agreeing with the tickets."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from implementation.models import Ticket
from implementation.selectors import tickets as selectors
from tests.hypercare.factories import a_ticket

pytestmark = pytest.mark.django_db


def test_every_card_links_to_its_ticket(client, project, pm, pilot_user):
    raised = [a_ticket(project, pilot_user, severity=s) for s in ("critical", "high", "low")]
    client.force_login(pm)

    html = client.get(reverse("hypercare:board", args=[project.code])).content.decode()

    links = dict(re.findall(r'href="([^"]+)" id="card-(\d+)"', html))
    assert links == {
        reverse("hypercare:ticket", args=[project.code, t.number]): str(t.number) for t in raised
    }


def test_cards_and_counts_agree_when_a_column_is_cut(project, pm, pilot_user):
    now = timezone.now()
    for n in range(5):
        a_ticket(project, pilot_user, severity="medium", title=f"Ticket {n}")
    late = a_ticket(project, pilot_user, severity="medium")
    Ticket.objects.filter(pk=late.pk).update(response_due_at=now - datetime.timedelta(hours=1))

    columns = {
        c.severity: c for c in selectors.board_columns(user=pm, project=project, now=now, limit=2)
    }

    medium = columns["medium"]
    assert (medium.count, medium.breached, medium.more) == (6, 1, 4)
    assert [t.number for t in medium.tickets][0] == late.number  # overdue on top
    assert medium.tickets[0].is_breached is True
    assert medium.tickets[1].is_breached is False
    assert (columns["critical"].count, columns["critical"].tickets) == (0, [])


def test_unassigned_only_counts_and_shows_unassigned_tickets(project, pm, pilot_user):
    taken = a_ticket(project, pilot_user, severity="high")
    Ticket.objects.filter(pk=taken.pk).update(assignee=pm)
    free = a_ticket(project, pilot_user, severity="high")

    (high,) = [
        c
        for c in selectors.board_columns(user=pm, project=project, unassigned_only=True)
        if c.severity == "high"
    ]

    assert ([t.number for t in high.tickets], high.count) == ([free.number], 1)
