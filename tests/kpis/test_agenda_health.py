"""KPIs on the weekly agenda (measurements due by the meeting, or overdue) and in project
health (overdue measurements, baselines missing close to or after go-live)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.agenda import OVERDUE, build_agenda
from kpis.choices import Cadence
from kpis.models import Kpi, Measurement
from projects import health
from projects.choices import ProjectStatus
from projects.health import Level
from tests.factories import UserFactory
from tests.projects.test_health import staffed_project

D = Decimal
pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def add_kpi(project, owner, name, cadence=Cadence.MONTHLY, *, baseline=True, measured=()):
    """A KPI row as it would stand after the services recorded it (baseline before go-live)."""
    kpi = Kpi.objects.create(
        project=project,
        name=name,
        category="quality",
        unit="errors",
        direction="lower",
        baseline_value=D("10") if baseline else None,
        baseline_date=project.target_go_live - days(60) if baseline else None,
        target_value=D("5"),
        target_date=project.target_go_live + days(200),
        owner=owner,
        cadence=cadence,
        created_by=owner,
    )
    Measurement.objects.bulk_create(
        Measurement(kpi=kpi, measured_on=day, value=D("8"), recorded_by=owner) for day in measured
    )
    return kpi


def kpi_section(project):
    agenda = build_agenda(project=project)
    return agenda, next(s for s in agenda.sections if s.key == "kpi_measurements_due")


# --- Agenda -------------------------------------------------------------------------------


def test_the_section_lists_kpis_due_by_the_meeting_most_overdue_first(project, pm, key_user):
    # The factory project went live on 2026-10-05.
    agenda, _ = kpi_section(project)
    meeting_day = agenda.next_meeting_at.date()
    add_kpi(project, key_user, "Weekly active users", Cadence.WEEKLY)  # due 2026-10-12
    add_kpi(project, pm, "Data-entry errors")  # due 2026-11-05
    add_kpi(project, pm, "Orders per hour", Cadence.WEEKLY, measured=[meeting_day - days(7)])
    add_kpi(project, pm, "Not yet", Cadence.WEEKLY, measured=[meeting_day - days(6)])
    add_kpi(project, pm, "Quarterly survey", Cadence.QUARTERLY)  # due 2027-01-05

    agenda, section = kpi_section(project)

    assert section.title == "KPI measurements due"
    today = agenda.today
    weekly_late = ((today - datetime.date(2026, 10, 12)).days - 1) // 7 + 1
    assert [(item.text, item.owner, item.due_date, item.flags) for item in section.items] == [
        ("Weekly active users", key_user, datetime.date(2026, 10, 12), (OVERDUE,)),
        ("Data-entry errors", pm, datetime.date(2026, 11, 5), (OVERDUE,)),
        ("Orders per hour", pm, meeting_day, ()),
    ]
    assert section.items[0].detail == (
        f"Weekly · not measured yet · {weekly_late} measurements overdue"
    )
    assert section.items[2].detail == (
        f"Weekly · last measured {(meeting_day - days(7)).isoformat()}: 8 errors"
    )
    assert section.items[0].url.endswith(f"/kpis/{project.kpis.get(name__startswith='Weekly').pk}/")


def test_the_section_is_empty_before_go_live(project, pm):
    project.target_go_live = project.local_today() + days(10)
    project.save(update_fields=["target_go_live"])
    add_kpi(project, pm, "Weekly active users", Cadence.WEEKLY)

    _, section = kpi_section(project)

    assert section.items == ()
    assert section.empty_text == "No KPI measurement is due before the meeting."


def _fill(project, owner, count):
    today = project.local_today()
    for n in range(count):
        add_kpi(
            project,
            owner,
            f"KPI {n}",
            Cadence.WEEKLY,
            measured=[today - days(8 + 7 * k) for k in range(count)],
        )


def test_the_agenda_costs_the_same_queries_for_2_and_20_kpis_and_their_measurements(db):
    few, many = staffed_project(), staffed_project()
    for project in (few, many):
        project.target_go_live = datetime.date(2026, 1, 5)
        project.start_date = datetime.date(2025, 6, 1)
        project.save()
    owner = UserFactory()
    _fill(few, owner, 2)
    _fill(many, owner, 20)

    def count(project):
        with CaptureQueriesContext(connection) as context:
            _, section = kpi_section(project)
            [item.owner.display_name for item in section.items]
        return len(context.captured_queries), len(section.items)

    assert count(few)[1] == 2
    assert count(many)[1] == 20
    assert count(few)[0] == count(many)[0]


# --- Health -------------------------------------------------------------------------------


def today():
    return timezone.localdate()


def findings(project):
    result = health.health_for([project])[project.pk]
    # Close to go-live the go/no-go criteria speak too (tests/golive): only KPIs here.
    kept = [f for f in result.findings if "readiness criteri" not in f.message]
    level = max((f.level for f in kept), default=Level.GREEN)
    return level, [finding.message for finding in kept]


def live_project(days_ago=40):
    return staffed_project(start_date=today() - days(300), target_go_live=today() - days(days_ago))


def test_one_kpi_measurement_overdue_is_amber():
    project = live_project()
    owner = project.memberships.first().user
    add_kpi(project, owner, "Data-entry errors")  # monthly: due about ten days ago
    add_kpi(project, owner, "Measured", measured=[today() - days(3)])

    assert findings(project) == (Level.AMBER, ["1 KPI has a measurement overdue."])


def test_a_kpi_two_periods_behind_turns_red():
    project = live_project()
    owner = project.memberships.first().user
    add_kpi(project, owner, "Data-entry errors")  # one month behind
    add_kpi(project, owner, "Weekly active users", Cadence.WEEKLY)  # five weeks behind

    assert findings(project) == (
        Level.RED,
        ["2 KPIs have measurements overdue. 1 of them is 2 or more measurements behind."],
    )


def test_measurements_are_not_due_before_go_live():
    project = staffed_project(target_go_live=today() + days(45))
    add_kpi(project, project.memberships.first().user, "Weekly active users", Cadence.WEEKLY)
    assert findings(project) == (Level.GREEN, [])


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (31, (Level.GREEN, [])),
        (30, (Level.AMBER, ["Go-live is in 30 days and 1 KPI has no baseline yet."])),
        (1, (Level.AMBER, ["Go-live is in 1 days and 1 KPI has no baseline yet."])),
    ],
)
def test_kpis_without_a_baseline_close_to_go_live_are_amber(days_left, expected):
    project = staffed_project(target_go_live=today() + days(days_left))
    owner = project.memberships.first().user
    add_kpi(project, owner, "Data-entry errors", baseline=False)
    add_kpi(project, owner, "With a baseline")

    assert findings(project) == expected


@pytest.mark.parametrize("days_ago", [0, 3])
def test_a_kpi_without_a_baseline_from_go_live_on_is_red(days_ago):
    project = live_project(days_ago)
    owner = project.memberships.first().user
    add_kpi(project, owner, "Data-entry errors", baseline=False)
    add_kpi(project, owner, "Month-end close", baseline=False)
    go_live = project.target_go_live.isoformat()

    assert findings(project) == (
        Level.RED,
        [f"Baselines are locked since go-live on {go_live} and 2 KPIs have none."],
    )


def test_a_closed_project_has_no_kpi_findings():
    project = live_project()
    project.status = ProjectStatus.CLOSED
    project.save(update_fields=["status"])
    add_kpi(project, project.memberships.first().user, "Weekly", Cadence.WEEKLY, baseline=False)
    assert findings(project) == (Level.GREEN, [])


def test_health_costs_nine_queries_for_2_or_20_projects_with_many_measurements():
    def queries_for(count):
        projects = []
        for _ in range(count):
            project = live_project()
            owner = project.memberships.first().user
            for name in ("A", "B"):
                add_kpi(project, owner, name, measured=[today() - days(n) for n in range(1, 6)])
            projects.append(project)
        with CaptureQueriesContext(connection) as context:
            health.health_for(projects)
        return len(context)

    # Seven, and two for live projects' support tickets and hypercare plans.
    assert queries_for(2) == queries_for(20) == 9
