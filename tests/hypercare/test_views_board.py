"""The triage board: readable by every member, four severity columns of open tickets,
overdue first then soonest due, the unassigned filter, and the live fragment it polls."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import TicketStatus
from projects.choices import Role
from tests.hypercare.factories import HANOI_MONDAY_9AM, a_ticket, moved

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"


def url(name, project) -> str:
    return reverse(f"hypercare:{name}", args=[project.code])


def column(html: str, severity: str) -> str:
    return re.search(
        rf'<section class="triage__column[^"]*" id="column-{severity}".*?</section>', html, re.S
    ).group(0)


def cards(html: str, severity: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-number="(\d+)"', column(html, severity))]


@pytest.mark.parametrize("name", ["board", "board-live"])
@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_the_board(client, project, members, role, name):
    a_ticket(project, members[Role.PILOT_USER], title="Printer offline")
    client.force_login(members[role])

    response = client.get(url(name, project))

    assert response.status_code == 200
    assert "Printer offline" in response.content.decode()


@pytest.mark.parametrize("name", ["board", "board-live"])
def test_outsiders_get_404_and_anonymous_users_the_login(client, project, outsider, name):
    anonymous = client.get(url(name, project))
    client.force_login(outsider)
    stranger = client.get(url(name, project))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(LOGIN_URL)
    assert stranger.status_code == 404


def test_four_columns_by_severity_with_open_tickets_only(client, project, pm, pilot_user):
    critical = a_ticket(project, pilot_user, severity="critical")
    high = a_ticket(project, pilot_user, severity="high")
    low = a_ticket(project, pilot_user, severity="low")
    resolved = a_ticket(project, pilot_user, severity="high")
    moved(resolved, pm, TicketStatus.RESOLVED)
    client.force_login(pm)

    html = client.get(url("board", project)).content.decode()

    assert re.findall(r'id="column-(\w+)"', html) == ["critical", "high", "medium", "low"]
    assert cards(html, "critical") == [critical.number]
    assert cards(html, "high") == [high.number]
    assert cards(html, "medium") == []
    assert cards(html, "low") == [low.number]
    assert 'data-count="high">1<' in html
    assert 'data-count="medium">0<' in html
    # Every card leads to its ticket.
    ticket_url = reverse("hypercare:ticket", args=[project.code, critical.number])
    assert f'href="{ticket_url}"' in column(html, "critical")


def test_overdue_first_then_soonest_due(client, project, pm, pilot_user):
    # Raised now: the later-raised one is due later.
    soon = a_ticket(project, pilot_user, title="Soon")
    later = a_ticket(project, pilot_user, title="Later")
    # Raised a week ago: both overdue; the older one is more overdue.
    older_overdue = a_ticket(
        project, pilot_user, title="Older", at=HANOI_MONDAY_9AM - datetime.timedelta(days=7)
    )
    overdue = a_ticket(project, pilot_user, title="Overdue", at=HANOI_MONDAY_9AM)
    # Acknowledged: its next due time is the resolution, a working day away.
    answered = a_ticket(project, pilot_user, title="Answered")
    moved(answered, pm, TicketStatus.ACKNOWLEDGED)
    client.force_login(pm)

    html = client.get(url("board", project)).content.decode()

    assert cards(html, "high") == [
        older_overdue.number,
        overdue.number,
        soon.number,
        later.number,
        answered.number,
    ]
    high = column(html, "high")
    assert high.count("triage-card--breached") == 2
    assert high.count('data-sla="breached"') == 2
    assert 'data-breached="high">2 breached<' in high
    assert re.search(r'data-count="breached"[^>]*>2 breached<', html)
    assert "Response due in" in high
    assert "Fix due in" in high


def test_unassigned_only(client, project, pm, it_member, pilot_user):
    mine = a_ticket(project, pilot_user, assignee=it_member)
    nobody = a_ticket(project, pilot_user)
    client.force_login(pm)

    everything = client.get(url("board", project)).content.decode()
    unassigned = client.get(url("board", project), {"unassigned": "1"}).content.decode()
    live = client.get(url("board-live", project), {"unassigned": "1"}).content.decode()

    assert cards(everything, "high") == [mine.number, nobody.number]
    assert cards(unassigned, "high") == [nobody.number]
    assert cards(live, "high") == [nobody.number]
    # The refresh keeps the filter.
    assert f'hx-get="{url("board-live", project)}?unassigned=1"' in unassigned


def test_the_board_polls_its_live_part_every_minute(client, project, pm, pilot_user):
    a_ticket(project, pilot_user)
    client.force_login(pm)

    page = client.get(url("board", project)).content.decode()
    live = client.get(url("board-live", project), headers=HTMX)

    fragment = live.content.decode()
    assert 'id="board-live"' in page
    assert 'hx-trigger="every 60s"' in page
    assert live.status_code == 200
    assert "<html" not in fragment
    assert "<body" not in fragment
    assert fragment.lstrip().startswith('<div id="board-live"')
    assert 'hx-trigger="every 60s"' in fragment
    assert "HX-Request" in live["Vary"]


@pytest.mark.parametrize("name", ["board", "board-live"])
def test_board_queries_do_not_grow_with_tickets(client, project, pm, it_member, pilot_user, name):
    client.force_login(pm)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(name, project))
        assert response.status_code == 200
        return len(captured)

    severities = ["critical", "high", "medium", "low"]
    for i in range(2):
        a_ticket(project, pilot_user, severity=severities[i], assignee=it_member)
    few = queries()
    for i in range(18):
        a_ticket(project, pilot_user, severity=severities[i % 4], at=HANOI_MONDAY_9AM, assignee=pm)
    many = queries()

    assert few == many
