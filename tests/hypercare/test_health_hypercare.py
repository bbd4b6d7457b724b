"""Hypercare in project health: critical tickets, tickets past their SLA, an overrun."""

import datetime

import pytest
from django.utils import timezone

from implementation.choices import PhaseKind, PhaseStatus, TicketStatus
from projects import health
from projects.choices import Role
from projects.health import Level
from tests.factories import PhaseFactory
from tests.golive.factories import team_project
from tests.hypercare.factories import a_ticket, moved

pytestmark = pytest.mark.django_db


def live(days_ago=20):
    today = timezone.localdate()
    project, people = team_project(
        start_date=today - datetime.timedelta(days=300),
        target_go_live=today - datetime.timedelta(days=days_ago),
    )
    return project, people


def hypercare_findings(project):
    result = health.health_for([project])[project.pk]
    words = ("support ticket", "no exit is decided")
    return [(f.level, f.message) for f in result.findings if any(w in f.message for w in words)]


def test_an_open_critical_ticket_is_red_and_resolving_it_clears_it():
    project, people = live()
    ticket = a_ticket(project, people[Role.PILOT_USER], severity="critical")

    assert (Level.RED, "1 critical support ticket is open.") in hypercare_findings(project)

    moved(ticket, people[Role.IT], TicketStatus.RESOLVED)
    assert hypercare_findings(project) == []


def test_open_tickets_past_their_sla_are_amber():
    project, people = live()
    long_ago = timezone.now() - datetime.timedelta(days=10)
    a_ticket(project, people[Role.PILOT_USER], severity="low", at=long_ago)
    a_ticket(project, people[Role.PILOT_USER], severity="low")

    assert hypercare_findings(project) == [(Level.AMBER, "1 open support ticket is past its SLA.")]


def test_hypercare_running_past_its_planned_end_is_amber():
    project, _people = live(days_ago=100)  # the default end is three months after go-live
    PhaseFactory(project=project, kind=PhaseKind.HYPERCARE, status=PhaseStatus.IN_PROGRESS)

    [(level, message)] = hypercare_findings(project)

    assert level == Level.AMBER
    assert message.startswith("Hypercare was planned to end on ")


def test_before_go_live_tickets_do_not_count():
    today = timezone.localdate()
    project, people = team_project(
        start_date=today - datetime.timedelta(days=100),
        target_go_live=today + datetime.timedelta(days=100),
    )
    a_ticket(project, people[Role.PILOT_USER], severity="critical")

    assert hypercare_findings(project) == []
