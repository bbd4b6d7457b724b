import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import ChecklistItem, Phase
from projects import services
from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.errors import ApplicationError
from projects.models import Membership, Project
from tests.factories import MembershipFactory, UserFactory

START = datetime.date(2026, 1, 5)


@pytest.fixture
def creator(db):
    return UserFactory(can_create_projects=True)


def create(actor, **overrides):
    data = {
        "name": "Hanoi Retail ERP",
        "code": "hnr-erp",
        "client_organisation": "Hanoi Retail JSC",
        "system_kind": SystemKind.ERP,
        "start_date": START,
    }
    data.update(overrides)
    return services.project_create(actor=actor, **data)


@pytest.mark.parametrize(
    ("kind", "go_live", "items", "specific"),
    [
        (SystemKind.ERP, datetime.date(2026, 10, 5), 38, {"Chart of accounts"}),
        (SystemKind.CRM, datetime.date(2026, 5, 5), 38, {"Sales pipeline"}),
        (
            SystemKind.ERP_CRM,
            datetime.date(2027, 1, 5),
            43,
            {"Chart of accounts", "Sales pipeline", "ERP-CRM integration"},
        ),
    ],
)
def test_project_created_from_template_gets_six_phases_and_checklist(
    creator, kind, go_live, items, specific
):
    project = create(creator, system_kind=kind)

    assert project.code == "HNR-ERP"
    assert project.target_go_live == go_live
    phases = list(project.phases.order_by("position"))
    assert [p.kind for p in phases] == list(PhaseKind)
    assert [p.position for p in phases] == [1, 2, 3, 4, 5, 6]
    assert all(p.status == PhaseStatus.NOT_STARTED for p in phases)
    assert phases[0].planned_start == START
    assert phases[4].planned_end == go_live + datetime.timedelta(days=7)
    assert phases[5].planned_start == go_live
    titles = list(
        ChecklistItem.objects.filter(phase__project=project).values_list("title", flat=True)
    )
    assert len(titles) == items
    prefixes = {"Chart of accounts", "Sales pipeline", "ERP-CRM integration"}
    assert {p for p in prefixes if any(t.startswith(p) for t in titles)} == specific
    for phase in phases:
        assert not phase.checklist_items.filter(due_date__gt=phase.planned_end).exists()
        assert phase.checklist_items.filter(is_mandatory=True).exists()


def test_creator_joins_as_project_manager_with_their_department(creator):
    project = create(creator, actor_department=Department.IT)

    membership = Membership.objects.get(project=project)
    assert (membership.user, membership.role, membership.department) == (
        creator,
        Role.PROJECT_MANAGER,
        Department.IT,
    )
    assert project.created_by == creator


def test_explicit_go_live_spreads_phases_up_to_it(creator):
    project = create(creator, target_go_live=datetime.date(2026, 7, 1))

    phases = {p.kind: p for p in project.phases.all()}
    assert phases[PhaseKind.TESTING].planned_end <= datetime.date(2026, 7, 1)
    assert phases[PhaseKind.HYPERCARE].planned_end == datetime.date(2026, 9, 29)


def test_create_refused_without_permission_and_nothing_saved(db):
    with pytest.raises(PermissionDenied):
        create(UserFactory())
    assert Project.objects.count() == 0
    assert Phase.objects.count() == 0


def test_create_rejects_go_live_before_start(creator):
    with pytest.raises(ValidationError) as error:
        create(creator, target_go_live=START - datetime.timedelta(days=1))
    assert "target_go_live" in error.value.message_dict
    assert Project.objects.count() == 0


def test_create_rejects_duplicate_code(creator):
    create(creator)
    with pytest.raises(ValidationError) as error:
        create(creator, name="Another")
    assert "code" in error.value.message_dict
    assert Project.objects.count() == 1


def test_create_rejects_unknown_time_zone(creator):
    with pytest.raises(ValidationError) as error:
        create(creator, time_zone="Mars/Olympus")
    assert "time_zone" in error.value.message_dict


def test_pm_updates_project(project, pm):
    services.project_update(actor=pm, project=project, status=ProjectStatus.ON_HOLD, name="New")

    project.refresh_from_db()
    assert (project.status, project.name) == (ProjectStatus.ON_HOLD, "New")


@pytest.mark.parametrize("role_fixture", ["consultant", "pilot_user", "executive", "viewer"])
def test_non_managers_cannot_update_project(request, project, role_fixture):
    actor = request.getfixturevalue(role_fixture)
    with pytest.raises(PermissionDenied):
        services.project_update(actor=actor, project=project, name="Hacked")
    project.refresh_from_db()
    assert project.name == "Hanoi Retail ERP"


def test_update_rejects_invalid_dates_and_keeps_old_values(project, pm):
    with pytest.raises(ValidationError):
        services.project_update(
            actor=pm, project=project, target_go_live=project.start_date - datetime.timedelta(1)
        )
    project.refresh_from_db()
    assert project.target_go_live == datetime.date(2026, 10, 5)


def test_pm_adds_member(project, pm):
    person = UserFactory()
    membership = services.membership_add(
        actor=pm, project=project, user=person, role=Role.KEY_USER, department=Department.SALES
    )
    assert (membership.role, membership.department) == (Role.KEY_USER, Department.SALES)


def test_adding_a_member_twice_is_refused(project, pm, pilot_user):
    with pytest.raises(ApplicationError):
        services.membership_add(
            actor=pm, project=project, user=pilot_user, role=Role.VIEWER, department="other"
        )
    assert Membership.objects.filter(project=project, user=pilot_user).count() == 1


def test_adding_inactive_user_is_refused(project, pm):
    with pytest.raises(ApplicationError):
        services.membership_add(
            actor=pm,
            project=project,
            user=UserFactory(is_active=False),
            role=Role.VIEWER,
            department="other",
        )


def test_adding_with_unknown_role_is_a_validation_error(project, pm):
    with pytest.raises(ValidationError):
        services.membership_add(
            actor=pm, project=project, user=UserFactory(), role="boss", department="other"
        )


def test_consultant_cannot_manage_team(project, consultant):
    with pytest.raises(PermissionDenied):
        services.membership_add(
            actor=consultant, project=project, user=UserFactory(), role="viewer", department="hr"
        )


def test_last_project_manager_cannot_be_demoted_or_removed(project, pm):
    membership = Membership.objects.get(project=project, user=pm)
    with pytest.raises(ApplicationError):
        services.membership_change(
            actor=pm, membership=membership, role=Role.VIEWER, department="other"
        )
    with pytest.raises(ApplicationError):
        services.membership_remove(actor=pm, membership=membership)
    membership.refresh_from_db()
    assert membership.role == Role.PROJECT_MANAGER


def test_a_second_manager_lets_the_first_step_down(project, pm):
    MembershipFactory(project=project, role=Role.PROJECT_MANAGER)
    membership = Membership.objects.get(project=project, user=pm)

    services.membership_change(actor=pm, membership=membership, role=Role.VIEWER, department="it")

    membership.refresh_from_db()
    assert (membership.role, membership.department) == (Role.VIEWER, "it")


def test_pm_removes_member(project, pm, viewer):
    membership = Membership.objects.get(project=project, user=viewer)
    services.membership_remove(actor=pm, membership=membership)
    assert not Membership.objects.filter(pk=membership.pk).exists()
