"""The demo's go-live preparation: the Hanoi retailer ten weeks before go-live, with two red
readiness criteria: training (the warehouse) and the UAT round still fixing two high defects.

Seeding the demo is slow, so one test checks everything seeded and then that seeding again
adds nothing."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from implementation import readiness
from implementation.choices import (
    ActivityStatus,
    CommunicationKind,
    CutoverStatus,
    LoadKind,
    Reconciliation,
    RehearsalOutcome,
)
from implementation.demo_golive import seed_golive
from implementation.golive_rules import cleaner_than, reconcile, topological_order
from implementation.models import (
    Attendance,
    CommunicationActivity,
    CutoverRehearsal,
    CutoverTask,
    EndUser,
    GoLivePlan,
    MigrationLoad,
    MigrationObject,
    TrainingSession,
)
from implementation.services.cutover import dependency_edges
from projects import health, services
from projects.choices import Department, SystemKind
from projects.demo import DEMO_CODE, DEMO_USERS
from projects.models import Membership, Project
from tests.factories import UserFactory
from uat.choices import OPEN_STATUSES, Severity
from uat.models import Defect

MODELS = (
    MigrationObject,
    MigrationLoad,
    CutoverTask,
    CutoverRehearsal,
    GoLivePlan,
    CommunicationActivity,
    EndUser,
    TrainingSession,
    Attendance,
)


def counts():
    return tuple(model.objects.count() for model in MODELS)


@pytest.mark.django_db
def test_seed_demo_prepares_go_live_with_defects_and_training_red():
    call_command("seed_demo")
    project = Project.objects.get(code=DEMO_CODE)
    zone = zoneinfo.ZoneInfo(project.time_zone)
    panel = readiness.panel(project)

    # Exactly two criteria are red, each with its reason: the warehouse's training, and the
    # UAT demo's round 2, still running with two high defects open (the warehouse transfer
    # and the e-invoice one).
    reasons = {c.key: r for c, r in panel.rows}
    assert [c.key for c in panel.red] == ["no_open_critical_high", "training_coverage"]
    assert reasons["training_coverage"] == [
        "Warehouse: 16 of 22 end users trained (72.7%, 90% needed)."
    ]
    assert reasons["no_open_critical_high"] == ["2 high-severity defects are open."]
    assert set(
        Defect.objects.filter(
            project=project, severity=Severity.HIGH, status__in=OPEN_STATUSES
        ).values_list("title", flat=True)
    ) == {
        "Transfer between warehouses doubles the received quantity at Hà Đông",
        "E-invoice rejected for walk-in customers: empty buyer tax code sent",
    }

    # Migration: six objects, two mock loads each, cleaner the second time.
    objects = {o.name: o for o in MigrationObject.objects.filter(project=project)}
    assert set(objects) == {
        "Chart of accounts",
        "Customers",
        "Vendors",
        "Items",
        "Opening balances",
        "Open sales orders",
    }
    for name, obj in objects.items():
        first, second = obj.loads.order_by("sequence")
        assert (first.label, second.label) == ("Mock 1", "Mock 2")
        assert first.kind == second.kind == LoadKind.MOCK
        assert first.loaded_at < second.loaded_at < timezone.now()
        rejected = [Decimal(load.rejected_count) / load.source_count for load in (first, second)]
        gaps = [
            abs((load.target_total or 0) - (load.source_total or 0)) for load in (first, second)
        ]
        assert cleaner_than(*rejected) or (cleaner_than(*rejected) is None and gaps[1] < gaps[0])
        assert first.reconciliation == Reconciliation.FAILED, name
        assert Membership.objects.filter(project=project, user=obj.owner).exists()
        assert second.reconciliation in {
            Reconciliation.RECONCILED,
            Reconciliation.WITHIN_TOLERANCE,
        }, name
        assert second.signed_off_by == obj.owner
        assert first.loaded_at < second.signed_off_at < second.loaded_at + datetime.timedelta(2)
    orders = objects["Open sales orders"]
    last = orders.loads.get(sequence=2)
    check = reconcile(
        source_count=last.source_count,
        loaded_count=last.loaded_count,
        rejected_count=last.rejected_count,
        source_total=last.source_total,
        target_total=last.target_total,
        tolerance_percent=last.tolerance_percent,
    )
    # Passing only by its tolerance: neither records nor the order value match exactly.
    assert last.reconciliation == check.status == Reconciliation.WITHIN_TOLERANCE
    assert 0 < check.total_difference_percent <= last.tolerance_percent
    assert orders.control_total_label

    # Cutover: fifteen planned tasks over the weekend before go-live, rehearsed once.
    plan = GoLivePlan.objects.get(project=project)
    freeze = plan.legacy_freeze_at.astimezone(zone)
    decision = plan.rollback_decision_at.astimezone(zone)
    assert (freeze.strftime("%A %H:%M"), decision.strftime("%A %H:%M")) == (
        "Friday 18:00",
        "Sunday 12:00",
    )
    assert decision - freeze == datetime.timedelta(hours=42)
    assert decision.date() < project.target_go_live
    assert plan.rollback_criteria
    assert plan.support_plan
    tasks = list(CutoverTask.objects.filter(project=project).order_by("number"))
    assert len(tasks) == 15
    assert all(t.is_complete and t.status == CutoverStatus.NOT_STARTED for t in tasks)
    assert len({t.owner_id for t in tasks}) >= 5
    for task in tasks:
        start = task.planned_start.astimezone(zone)
        assert freeze - datetime.timedelta(hours=2) <= start <= decision + datetime.timedelta(2)
    edges = dependency_edges(project)
    assert sum(len(deps) for deps in edges.values()) >= 14
    order = topological_order(edges)
    by_pk = {t.pk: t for t in tasks}
    for pk, deps in edges.items():
        for dep in deps:
            assert order.index(dep) < order.index(pk)
            assert by_pk[dep].planned_start <= by_pk[pk].planned_start
    (rehearsal,) = CutoverRehearsal.objects.filter(project=project)
    assert rehearsal.outcome == RehearsalOutcome.SUCCESSFUL
    assert rehearsal.held_on <= project.local_today()

    # Communication, champions, hypercare.
    activities = list(CommunicationActivity.objects.filter(project=project))
    assert len(activities) == 8
    assert {a.kind for a in activities} == set(CommunicationKind.values)
    for activity in activities:
        done = activity.planned_on < project.local_today()
        assert activity.status == (ActivityStatus.DONE if done else ActivityStatus.PLANNED)
    champions = dict(
        Membership.objects.filter(project=project, is_champion=True).values_list(
            "department", "user__username"
        )
    )
    assert champions == {
        Department.SALES: "sales",
        Department.ACCOUNTING_FINANCE: "keyuser",
        Department.WAREHOUSE: "warehouse",
    }
    assert len(panel.hypercare_team) == 3
    assert health.project_champion_gaps(project) == []

    # Training: about sixty end users, five sessions, the last one still to come.
    coverage = {row.department: (row.trained, row.planned) for row in panel.facts.coverage}
    assert coverage == {
        Department.SALES: (25, 26),
        Department.ACCOUNTING_FINANCE: (11, 12),
        Department.WAREHOUSE: (16, 22),
    }
    assert EndUser.objects.filter(project=project).exclude(email="").count() == 60
    sessions = list(TrainingSession.objects.filter(project=project).order_by("starts_at"))
    assert len(sessions) == 5
    catch_up = sessions[-1]
    assert catch_up.starts_at.date() > project.local_today()
    assert catch_up.attendances.count() == 6
    assert not catch_up.attendances.filter(attended__isnull=False).exists()

    # The other criteria come from their own demos and stay green.
    met = {c.key for c in panel.criteria if c.met}
    assert met == {
        "uat_signed",
        "migration_reconciled",
        "cutover_ready",
        "hypercare_ready",
        "kpi_baselines",
    }

    # Seeding again adds nothing.
    before = counts()
    call_command("seed_demo")
    assert counts() == before


@pytest.fixture
def bare_demo(db):
    """The demo project and team without the other areas' demo data (fast)."""
    users = {spec.username: UserFactory(username=spec.username) for spec in DEMO_USERS}
    manager = users["pm"]
    manager.is_superuser = True  # may create projects
    manager.save(update_fields=["is_superuser"])
    today = timezone.localdate()
    project = services.project_create(
        actor=manager,
        name="Hanoi Retail ERP roll-out",
        code=DEMO_CODE,
        client_organisation="Hanoi Retail JSC",
        system_kind=SystemKind.ERP,
        start_date=today - datetime.timedelta(days=200),
        target_go_live=today + datetime.timedelta(days=70),
    )
    manager.is_superuser = False
    manager.save(update_fields=["is_superuser"])
    for spec in DEMO_USERS[1:]:
        Membership.objects.create(
            project=project, user=users[spec.username], role=spec.role, department=spec.department
        )
    return project, users, today


@pytest.mark.parametrize("weekday", range(7))
def test_the_cutover_weekend_is_the_one_before_go_live_whatever_its_weekday(bare_demo, weekday):
    project, users, today = bare_demo
    go_live = today + datetime.timedelta(days=70)
    go_live += datetime.timedelta(days=(weekday - go_live.weekday()) % 7)
    project.target_go_live = go_live
    project.save(update_fields=["target_go_live"])

    seed_golive(project=project, users=users, today=today)

    plan = GoLivePlan.objects.get(project=project)
    freeze = plan.legacy_freeze_at.astimezone(zoneinfo.ZoneInfo(project.time_zone))
    assert freeze.strftime("%A %H:%M") == "Friday 18:00"
    assert 3 <= (go_live - freeze.date()).days <= 9


def test_seeded_after_go_live_in_real_time_everything_past_stays_in_the_past(bare_demo):
    """A seed run with an old "today": go-live has passed, so the catch-up session was held
    too and training is no longer red; nothing is dated in the future."""
    project, users, today = bare_demo
    project.target_go_live = today - datetime.timedelta(days=1)
    project.save(update_fields=["target_go_live"])

    seed_golive(project=project, users=users, today=today - datetime.timedelta(days=71))

    assert not MigrationLoad.objects.filter(loaded_at__gt=timezone.now()).exists()
    assert not TrainingSession.objects.filter(starts_at__gt=timezone.now()).exists()
    assert not Attendance.objects.filter(attended__isnull=True).exists()
    criteria = {c.key: c.met for c in readiness.panel(project).criteria}
    assert criteria["migration_reconciled"] is True
    assert criteria["training_coverage"] is True
    assert criteria["cutover_ready"] is True
