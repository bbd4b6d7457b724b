import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.choices import PhaseKind, PhaseStatus
from projects import health
from projects.choices import Department, ProjectStatus, Role
from projects.health import Level
from tests.factories import (
    ChecklistItemFactory,
    MembershipFactory,
    PhaseFactory,
    ProjectFactory,
)

FULL_TEAM = [
    (Role.PROJECT_MANAGER, Department.IT),
    (Role.KEY_USER, Department.SALES),
    (Role.PILOT_USER, Department.ACCOUNTING_FINANCE),
    (Role.VIEWER, Department.HR),
    (Role.EXECUTIVE, Department.MANAGEMENT),
]


def today():
    return timezone.localdate()


def staffed_project(**fields):
    fields.setdefault("start_date", today() - datetime.timedelta(days=100))
    fields.setdefault("target_go_live", today() + datetime.timedelta(days=200))
    project = ProjectFactory(**fields)
    for role, department in FULL_TEAM:
        # Every department going live has its digital champion.
        champion = department not in {Department.IT, Department.MANAGEMENT}
        MembershipFactory(project=project, role=role, department=department, is_champion=champion)
    return project


def health_of(project):
    return health.health_for([project])[project.pk]


@pytest.mark.django_db
def test_healthy_project_is_green_with_no_findings():
    project = staffed_project()
    assert health_of(project).findings == []
    assert health_of(project).level == Level.GREEN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_late", "level"), [(1, Level.AMBER), (7, Level.AMBER), (8, Level.RED)]
)
def test_overdue_mandatory_item_turns_amber_then_red_after_seven_days(days_late, level):
    project = staffed_project()
    phase = PhaseFactory(project=project)
    ChecklistItemFactory(phase=phase, due_date=today() - datetime.timedelta(days=days_late))
    ChecklistItemFactory(
        phase=phase, due_date=today() - datetime.timedelta(days=30), is_mandatory=False
    )
    ChecklistItemFactory(
        phase=phase, due_date=today() - datetime.timedelta(days=30), done_at=timezone.now()
    )

    result = health_of(project)

    assert result.level == level
    assert [f.message for f in result.findings] == [
        f"1 mandatory checklist item is overdue, the oldest by {days_late} days."
    ]


@pytest.mark.django_db
def test_go_live_passed_with_open_phases_is_red():
    project = staffed_project(
        start_date=today() - datetime.timedelta(days=300),
        target_go_live=today() - datetime.timedelta(days=1),
    )
    PhaseFactory(project=project, kind=PhaseKind.TESTING, position=4)
    PhaseFactory(project=project, kind=PhaseKind.HYPERCARE, position=6)

    result = health_of(project)

    assert result.level == Level.RED
    assert "has passed with 1 phase still open" in result.findings[0].message


@pytest.mark.django_db
def test_testing_open_close_to_go_live_is_amber():
    project = staffed_project(target_go_live=today() + datetime.timedelta(days=20))
    PhaseFactory(
        project=project, kind=PhaseKind.TESTING, position=4, status=PhaseStatus.IN_PROGRESS
    )

    result = health_of(project)

    assert result.level == Level.AMBER
    assert result.findings[0].message == "Go-live is in 20 days and testing is not completed."


@pytest.mark.django_db
def test_missing_departments_and_executive_are_amber_and_named():
    project = ProjectFactory()
    MembershipFactory(project=project, role=Role.PROJECT_MANAGER, department=Department.IT)

    messages = [f.message for f in health_of(project).findings]

    assert health_of(project).level == Level.AMBER
    assert messages == [
        "No business department (sales, warehouse, purchasing, production) is on the team.",
        "Nobody from accounting / finance is on the team.",
        "Nobody from HR is on the team.",
        "Senior management is not on the team.",
        "No executive is named to decide and sign off.",
    ]


@pytest.mark.django_db
def test_phase_running_more_than_two_weeks_late_is_amber():
    project = staffed_project()
    PhaseFactory(
        project=project,
        kind=PhaseKind.DESIGN,
        position=2,
        status=PhaseStatus.IN_PROGRESS,
        planned_start=today() - datetime.timedelta(days=60),
        planned_end=today() - datetime.timedelta(days=15),
    )
    PhaseFactory(
        project=project,
        kind=PhaseKind.DISCOVERY,
        position=1,
        status=PhaseStatus.IN_PROGRESS,
        planned_start=today() - datetime.timedelta(days=60),
        planned_end=today() - datetime.timedelta(days=14),
    )

    result = health_of(project)

    assert result.level == Level.AMBER
    assert [f.message for f in result.findings] == [
        f"Design was planned to end on {(today() - datetime.timedelta(days=15)).isoformat()} "
        "and runs 15 days late."
    ]


@pytest.mark.django_db
def test_overdue_action_items_are_amber():
    from implementation.models import ActionItem

    project = staffed_project()
    owner = project.memberships.first().user
    for days, status in [(1, "open"), (3, "in_progress"), (5, "done"), (-2, "open")]:
        ActionItem.objects.create(
            project=project,
            title="Follow up",
            owner=owner,
            created_by=owner,
            status=status,
            due_date=today() - datetime.timedelta(days=days),
        )

    result = health_of(project)

    assert result.level == Level.AMBER
    assert [f.message for f in result.findings] == [
        "2 action items from the review meetings are overdue."
    ]


@pytest.mark.django_db
def test_on_hold_is_amber_and_closed_is_green():
    on_hold = staffed_project(status=ProjectStatus.ON_HOLD)
    closed = ProjectFactory(status=ProjectStatus.CLOSED)
    assert health_of(on_hold).level == Level.AMBER
    assert health_of(closed).level == Level.GREEN


@pytest.mark.django_db
def test_health_of_many_projects_takes_a_fixed_number_of_queries():
    def queries_for(count):
        projects = []
        for _ in range(count):
            project = staffed_project()
            phase = PhaseFactory(project=project)
            ChecklistItemFactory(phase=phase, due_date=today() - datetime.timedelta(days=9))
            projects.append(project)
        with CaptureQueriesContext(connection) as context:
            health.health_for(projects)
        return len(context)

    # phases, overdue items, team, end users' departments, overdue actions, open defects,
    # KPIs with latest measurement (readiness only close to go-live: tests/golive)
    assert queries_for(2) == queries_for(20) == 7


def test_current_phase_prefers_the_furthest_phase_in_progress():
    phases = [
        PhaseFactory.build(kind=PhaseKind.DISCOVERY, status=PhaseStatus.COMPLETED),
        PhaseFactory.build(kind=PhaseKind.DESIGN, status=PhaseStatus.IN_PROGRESS),
        PhaseFactory.build(kind=PhaseKind.DEVELOPMENT, status=PhaseStatus.IN_PROGRESS),
        PhaseFactory.build(kind=PhaseKind.TESTING),
    ]
    assert health.current_phase(phases).kind == PhaseKind.DEVELOPMENT
    assert health.current_phase(phases[:1] + phases[3:]).kind == PhaseKind.TESTING
    assert health.current_phase(phases[:1]) is None


@pytest.mark.django_db
def test_open_critical_defects_are_red_and_high_ones_amber():
    from uat.models import Defect

    project = staffed_project()
    reporter = project.memberships.first().user
    for number, (severity, status) in enumerate(
        [
            ("critical", "new"),
            ("high", "fixed"),
            ("high", "in_progress"),
            ("critical", "closed"),
            ("low", "new"),
        ],
        start=1,
    ):
        Defect.objects.create(
            project=project,
            number=number,
            title="x",
            severity=severity,
            status=status,
            reporter=reporter,
        )

    result = health_of(project)

    assert result.level == Level.RED
    assert [f.message for f in result.findings] == [
        "1 critical defect is open.",
        "2 high-severity defects are open.",
    ]
