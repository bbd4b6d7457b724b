"""The demo's live project: the Hanoi retailer's CRM six weeks into hypercare, with the
exit panel green on all four criteria (see implementation.demo_hypercare).

Seeding the demo is slow, so one test checks the whole shape and then that seeding again
adds nothing."""

import datetime
import json

import pytest
from django.core.management import call_command

from implementation import hypercare as figures
from implementation.choices import OPEN_TICKET_STATUSES, PhaseKind, TicketStatus
from implementation.demo_hypercare import LIVE_CODE, WEEKLY_INFLOW
from implementation.models import (
    FeedbackResponse,
    ModuleReview,
    Ticket,
    TicketComment,
    TicketEvent,
)
from implementation.services import hypercare
from kpis.models import Kpi, Measurement
from projects.demo import DEMO_CODE
from projects.models import Membership, Project
from uat.models import Defect
from uat.snapshots import canonical_json


def counts():
    models = (Ticket, TicketEvent, TicketComment, FeedbackResponse, ModuleReview, Kpi, Defect)
    return tuple(model.objects.count() for model in models) + (Project.objects.count(),)


@pytest.mark.django_db
def test_seed_demo_adds_a_crm_six_weeks_into_hypercare_ready_to_exit():
    call_command("seed_demo")
    project = Project.objects.get(code=LIVE_CODE)
    today = project.local_today()
    this_week = hypercare.week_of(today)

    # Live since the Monday six weeks before this one; everything up to go-live done.
    assert project.target_go_live == this_week - datetime.timedelta(weeks=6)
    assert project.system_kind == "crm"
    assert list(project.phases.order_by("position").values_list("kind", "status")) == [
        (PhaseKind.DISCOVERY, "completed"),
        (PhaseKind.DESIGN, "completed"),
        (PhaseKind.DEVELOPMENT, "completed"),
        (PhaseKind.TESTING, "completed"),
        (PhaseKind.GO_LIVE, "completed"),
        (PhaseKind.HYPERCARE, "in_progress"),
    ]
    assert project.phases.get(kind=PhaseKind.HYPERCARE).actual_start == project.target_go_live

    # The demo team, with champions and the hypercare team (a pilot user answers first).
    members = {m.user.username: m for m in Membership.objects.filter(project=project)}
    assert set(members) == set(
        Membership.objects.filter(project__code=DEMO_CODE).values_list("user__username", flat=True)
    )
    assert {u for u, m in members.items() if m.on_hypercare_team} == {"it", "consultant", "sales"}
    assert {u for u, m in members.items() if m.is_champion} == {"keyuser", "sales", "warehouse"}

    # About 120 tickets, inflow falling week by week over the six complete weeks.
    tickets = Ticket.objects.filter(project=project)
    assert 100 <= tickets.count() <= 140
    history = figures.weeks(project, 6)
    assert [w.start for w in history][0] == project.target_go_live
    assert [w.raised for w in history] == list(WEEKLY_INFLOW)
    assert all(b < a for a, b in zip(WEEKLY_INFLOW, WEEKLY_INFLOW[1:], strict=False))
    severities = {s: tickets.filter(severity=s).count() for s in ("critical", "high")}
    assert 1 <= severities["critical"] <= 6
    assert 5 <= severities["high"] <= 20
    assert tickets.filter(severity__in=["medium", "low"]).count() >= 90
    assert tickets.values("module").distinct().count() >= 5

    # Breaches only in the first two weeks; most tickets done, a handful open, none critical.
    assert [w.breaches for w in history][2:] == [0, 0, 0, 0]
    assert sum(w.breaches for w in history[:2]) >= 3
    done = tickets.filter(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]).count()
    assert done >= 0.85 * tickets.count()
    open_tickets = tickets.filter(status__in=OPEN_TICKET_STATUSES)
    assert 1 <= open_tickets.count() <= 12
    assert not open_tickets.filter(severity="critical").exists()
    assert tickets.filter(reopen_count__gt=0).count() >= 3
    converted = tickets.filter(defect__isnull=False)
    assert converted.count() == 1
    assert converted.get().defect.severity == converted.get().severity
    status = figures.statuses([project])[project.pk]
    assert (status.open_critical, status.open_breached) == (0, 0)

    # Every ticket's history starts with its raising and keeps the clocks it was raised with.
    first = tickets.order_by("number").first()
    assert first.events.order_by("at", "pk").first().comment == "Raised."
    assert all(t.created_at < t.response_due_at for t in tickets)
    assert list(tickets.order_by("number").values_list("created_at", flat=True)) == sorted(
        tickets.values_list("created_at", flat=True)
    )

    # Weekly feedback, satisfaction rising to above the threshold.
    assert [w.answers for w in history] == [4] * 6
    satisfaction = [w.satisfaction for w in history]
    assert satisfaction == sorted(satisfaction)
    assert satisfaction[0] <= 3.2
    assert satisfaction[-1] >= 4.0

    reviews = ModuleReview.objects.filter(project=project)
    assert 3 <= reviews.values("module").distinct().count() <= 4
    kpis = Kpi.objects.filter(project=project)
    assert kpis.exclude(module="").count() == kpis.count() >= 2
    assert Measurement.objects.filter(kpi__project=project).count() == 6 * kpis.count()

    # The exit panel: all four criteria green, and the snapshot gives the same verdict.
    criteria = figures.evaluate_exit(figures.exit_facts(project))
    assert [(c.key, c.met) for c in criteria] == [
        ("no_open_critical_tickets", True),
        ("sla_met", True),
        ("inflow_falling", True),
        ("satisfaction", True),
    ]
    assert criteria[2].actual == "28 → 22 → 17 → 11 → 8"
    snapshot = json.loads(canonical_json(figures.snapshot_content(project, phase=None)))
    assert figures.evaluate_exit(figures.facts_from_snapshot(project, snapshot)) == criteria

    before = counts()
    call_command("seed_demo")
    assert counts() == before
