"""The demo's KPIs: eight for the Hanoi retailer, baselines from discovery, pilot values.

Fast: the project comes from the projects service with the demo users, and only the KPI
seed runs (seed_demo as a whole is covered by tests/projects/test_seed_demo.py)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from implementation.choices import PhaseKind
from kpis import selectors
from kpis.choices import KpiStatus
from kpis.demo import DEMO_KPIS, seed_kpis
from kpis.models import BaselineChange, Kpi, Measurement
from projects import health, services
from projects.choices import SystemKind
from projects.demo import DEMO_USERS
from projects.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    """The demo project as demo_seed lays it out: started 200 days ago, live in 70."""
    users = {spec.username: UserFactory(username=spec.username) for spec in DEMO_USERS}
    manager = users["pm"]
    manager.is_superuser = True  # may create projects
    manager.save(update_fields=["is_superuser"])
    today = timezone.localdate()  # as demo_seed
    project = services.project_create(
        actor=manager,
        name="Hanoi Retail ERP roll-out",
        code="HNR-ERP",
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


def counts():
    return Kpi.objects.count(), BaselineChange.objects.count(), Measurement.objects.count()


def test_the_demo_has_eight_kpis_with_baselines_from_discovery(demo):
    project, users, today = demo
    seed_kpis(project=project, users=users, today=today)

    kpis = list(Kpi.objects.filter(project=project).select_related("owner", "created_by"))
    assert len(kpis) == len(DEMO_KPIS) == 8
    assert {kpi.name for kpi in kpis} >= {
        "Data-entry errors",
        "Order-processing productivity",
        "Month-end close",
        "Weekly active users",
        "User satisfaction score",
        "Quote approval time",
        "Lead conversion rate",
        "Stock count accuracy",
    }
    discovery = project.phases.get(kind=PhaseKind.DISCOVERY)
    for kpi in kpis:
        assert discovery.planned_start <= kpi.baseline_date <= discovery.planned_end
        assert kpi.baseline_method
        assert kpi.target_date > project.target_go_live
        assert kpi.created_by == users["consultant"]
        change = kpi.baseline_changes.get()
        assert (change.after_go_live, change.reason, change.new_value) == (
            False,
            "",
            kpi.baseline_value,
        )
        assert change.changed_at.date() == kpi.baseline_date
        assert Membership.objects.filter(project=project, user=kpi.owner).exists()
    assert len({kpi.owner for kpi in kpis}) >= 5


def test_the_demo_measures_the_pilot_before_go_live_each_value_by_a_permitted_recorder(demo):
    project, users, today = demo
    seed_kpis(project=project, users=users, today=today)

    values = Measurement.objects.filter(kpi__project=project).select_related("kpi")
    assert 8 <= values.count() <= 15
    for measurement in values:
        assert measurement.measured_on < project.target_go_live
        assert measurement.measured_on <= today
        assert measurement.note
        assert measurement.recorded_at.date() == measurement.measured_on
    by_name = {m.kpi.name: m for m in values}
    assert by_name["Order-processing productivity"].recorded_by == users["sales"]  # owner
    assert not Measurement.objects.filter(kpi__name="Month-end close").exists()
    weekly = Measurement.objects.filter(kpi__name="Weekly active users").order_by("measured_on")
    assert [m.value for m in weekly] == [Decimal("9"), Decimal("14"), Decimal("16")]


def test_the_demo_figures_read_sensibly_and_keep_the_project_healthy(demo):
    project, users, today = demo
    seed_kpis(project=project, users=users, today=today)

    rows = selectors.kpi_rows(
        selectors.kpi_list(user=users["pm"], project=project), project=project
    )
    statuses = {row.kpi.name: row.figures.status for row in rows}
    assert statuses["Month-end close"] == KpiStatus.NO_DATA
    assert KpiStatus.NO_BASELINE not in statuses.values()
    assert all(row.figures.overdue_periods == 0 for row in rows)  # nothing due before go-live
    kpi_findings = [
        finding.message
        for finding in health.health_for([project])[project.pk].findings
        if "KPI" in finding.message
    ]
    assert kpi_findings == []


def test_seeding_twice_adds_nothing(demo):
    project, users, today = demo
    seed_kpis(project=project, users=users, today=today)
    before = counts()

    seed_kpis(project=project, users=users, today=today)

    assert counts() == before


def test_after_go_live_the_pm_records_the_baselines_with_a_reason(demo):
    """A seed run with an old "today" finds go-live passed in real time: locked baselines."""
    project, users, today = demo
    project.target_go_live = today - datetime.timedelta(days=1)
    project.save(update_fields=["target_go_live"])

    seed_kpis(project=project, users=users, today=today - datetime.timedelta(days=71))

    changes = BaselineChange.objects.filter(kpi__project=project)
    assert changes.count() == 8
    assert {(c.changed_by, c.after_go_live) for c in changes} == {(users["pm"], True)}
    assert all(c.reason for c in changes)
