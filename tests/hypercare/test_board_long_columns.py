"""The triage board with many open tickets: each column shows the BOARD_CARDS breaching soonest,
counts every open ticket, and links to the ticket list for the rest."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.models import Ticket
from implementation.selectors.tickets import BOARD_CARDS
from tests.hypercare.factories import a_ticket


def _many(project, reporter, count, **fields):
    """`count` open tickets like one raised through the service, due one minute apart."""
    first = a_ticket(project, reporter, **fields)
    clones = []
    for n in range(1, count):
        clone = Ticket.objects.get(pk=first.pk)
        clone.pk, clone.number = None, first.number + n
        clone.response_due_at = first.response_due_at + datetime.timedelta(minutes=n)
        clones.append(clone)
    Ticket.objects.bulk_create(clones)
    return first


def _column(html: str, severity: str) -> str:
    return re.search(
        rf'<section class="triage__column[^"]*" id="column-{severity}".*?</section>', html, re.S
    ).group(0)


def test_a_column_shows_its_first_cards_and_says_how_many_more(client, project, pm, pilot_user):
    first = _many(project, pilot_user, BOARD_CARDS + 4, severity="high")
    client.force_login(pm)

    for name in ("board", "board-live"):
        html = client.get(reverse(f"hypercare:{name}", args=[project.code])).content.decode()
        high = _column(html, "high")

        numbers = [int(n) for n in re.findall(r'data-number="(\d+)"', high)]
        assert numbers == list(range(first.number, first.number + BOARD_CARDS))  # soonest due
        assert f'data-count="high">{BOARD_CARDS + 4}<' in high
        assert "and 4 more open tickets" in high
        tickets_url = reverse("hypercare:tickets", args=[project.code])
        assert f"{tickets_url}?status=open&amp;severity=high" in high
        assert f"{BOARD_CARDS + 4} open tickets" in html
        assert "data-more" not in _column(html, "critical")


def test_breaches_are_counted_over_every_open_ticket(client, project, pm, pilot_user):
    _many(project, pilot_user, BOARD_CARDS + 2, severity="low")
    Ticket.objects.filter(project=project).update(
        response_due_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    client.force_login(pm)

    html = client.get(reverse("hypercare:board", args=[project.code])).content.decode()

    low = _column(html, "low")
    assert f'data-breached="low">{BOARD_CARDS + 2} breached<' in low
    assert low.count('data-sla="breached"') == BOARD_CARDS


def test_board_queries_do_not_grow_with_the_tickets(client, project, pm, pilot_user):
    a_ticket(project, pilot_user, severity="critical")
    client.force_login(pm)
    url = reverse("hypercare:board", args=[project.code])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _many(project, pilot_user, BOARD_CARDS + 10, severity="medium")
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)
