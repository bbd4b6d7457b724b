"""Support tickets in the weekly review e-mail: mine, and for the support team, breaches."""

import datetime

import pytest
from django.utils import timezone

from implementation.digest import build_digest, render_digest_email
from projects.choices import Role
from tests.golive.factories import team_project
from tests.hypercare.factories import a_ticket

pytestmark = pytest.mark.django_db


def section(digest, key):
    return next(s for s in digest.sections if s.key == key)


def test_my_tickets_and_the_support_teams_breaches_are_in_the_e_mail():
    project, people = team_project()
    it, pilot = people[Role.IT], people[Role.PILOT_USER]
    mine = a_ticket(project, pilot, title="Stock transfer stuck", assignee=it)
    late = a_ticket(
        project,
        pilot,
        title="Price list wrong",
        severity="low",
        at=timezone.now() - datetime.timedelta(days=30),
    )

    for_it = build_digest(project=project, user=it)
    for_pilot = build_digest(project=project, user=pilot)

    assigned = section(for_it, "assigned_tickets")
    assert [i.text for i in assigned.items] == [f"TCK-{mine.number} · Stock transfer stuck"]
    assert assigned.items[0].url.endswith(f"/hypercare/tickets/{mine.number}/")
    breached = section(for_it, "breached_tickets")
    assert [i.text for i in breached.items] == [f"TCK-{late.number} · Price list wrong"]
    assert breached.items[0].is_overdue
    # A pilot user is not on the support team: no breach list, nothing assigned.
    assert section(for_pilot, "breached_tickets").items == ()
    assert section(for_pilot, "assigned_tickets").items == ()
    text = render_digest_email(for_it).text
    assert "Support tickets assigned to you" in text
    assert "Price list wrong" in text


def test_the_weekly_status_carries_hypercare_once_live(settings, tmp_path):
    from implementation.digest import weekly_status

    today = timezone.localdate()
    project, people = team_project(
        start_date=today - datetime.timedelta(days=300),
        target_go_live=today - datetime.timedelta(days=30),
    )
    a_ticket(project, people[Role.PILOT_USER], severity="critical")

    status = weekly_status(project)

    assert status.tickets == (1, 1, 0)
    labels = [label for label, _met, _reasons in status.hypercare]
    assert labels[0] == "No open critical support tickets"
    assert status.hypercare[0][1] is False
    assert status.hypercare[0][2] == ("1 critical ticket is open.",)
