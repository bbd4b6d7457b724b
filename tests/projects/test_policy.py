"""The capability table, visibility and project creation rights, checked against a table
written out here (not derived from policy.ROLE_CAPABILITIES, so a wrong table is caught)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from projects import policy
from projects.choices import Role
from projects.models import Project
from projects.policy import Capability
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

C = Capability
EXPECTED_CAPABILITIES: dict[Role, set[Capability]] = {
    Role.PROJECT_MANAGER: {
        C.VIEW_PROJECT,
        C.EDIT_PROJECT,
        C.MANAGE_TEAM,
        C.EDIT_PLAN,
        C.WAIVE_GATE,
        C.EDIT_CONFIGURATION_LOG,
        C.MANAGE_REVIEWS,
        C.MANAGE_DEFECTS,
        C.RUN_TESTS,
        C.MANAGE_TESTS,
        C.LOG_DEFECTS,
        C.COMMENT,
        C.SIGN,
        C.MANAGE_SIGNOFFS,
        C.OVERRIDE_SIGNOFF,
        C.MANAGE_KPIS,
        C.RECORD_MEASUREMENTS,
        C.UNLOCK_BASELINE,
        C.MANAGE_MIGRATION,
        C.MANAGE_CUTOVER,
        C.MANAGE_TRAINING,
        C.MANAGE_GO_LIVE,
        C.RAISE_TICKETS,
        C.HANDLE_TICKETS,
        C.MANAGE_HYPERCARE,
    },
    Role.CONSULTANT: {
        C.VIEW_PROJECT,
        C.EDIT_PLAN,
        C.EDIT_CONFIGURATION_LOG,
        C.MANAGE_REVIEWS,
        C.MANAGE_TESTS,
        C.MANAGE_DEFECTS,
        C.LOG_DEFECTS,
        C.COMMENT,
        C.SIGN,
        C.MANAGE_SIGNOFFS,
        C.MANAGE_KPIS,
        C.RECORD_MEASUREMENTS,
        C.MANAGE_MIGRATION,
        C.MANAGE_CUTOVER,
        C.MANAGE_TRAINING,
        C.RAISE_TICKETS,
        C.HANDLE_TICKETS,
        C.MANAGE_HYPERCARE,
    },
    Role.IT: {
        C.VIEW_PROJECT,
        C.EDIT_PLAN,
        C.EDIT_CONFIGURATION_LOG,
        C.MANAGE_DEFECTS,
        C.LOG_DEFECTS,
        C.COMMENT,
        C.SIGN,
        C.MANAGE_MIGRATION,
        C.MANAGE_CUTOVER,
        C.RAISE_TICKETS,
        C.HANDLE_TICKETS,
    },
    Role.KEY_USER: {
        C.VIEW_PROJECT,
        C.RUN_TESTS,
        C.MANAGE_TESTS,
        C.LOG_DEFECTS,
        C.COMMENT,
        C.RETEST,
        C.SIGN,
        C.RECORD_MEASUREMENTS,
        C.MANAGE_TRAINING,
        C.RAISE_TICKETS,
    },
    Role.PILOT_USER: {
        C.VIEW_PROJECT,
        C.RUN_TESTS,
        C.LOG_DEFECTS,
        C.COMMENT,
        C.RETEST,
        C.SIGN,
        C.RAISE_TICKETS,
    },
    Role.EXECUTIVE: {C.VIEW_PROJECT, C.SIGN, C.RAISE_TICKETS},
    Role.VIEWER: {C.VIEW_PROJECT},
}

ALL_CAPABILITIES = [
    "view_project",
    "edit_project",
    "manage_team",
    "edit_plan",
    "waive_gate",
    "edit_configuration_log",
    "manage_reviews",
    "manage_defects",
    "run_tests",
    "manage_tests",
    "log_defects",
    "retest",
    "comment",
    "sign",
    "manage_signoffs",
    "override_signoff",
    "manage_kpis",
    "record_measurements",
    "unlock_baseline",
    "manage_migration",
    "manage_cutover",
    "manage_training",
    "manage_go_live",
    "raise_tickets",
    "handle_tickets",
    "manage_hypercare",
]

ROLE_CAPABILITY_PAIRS = [
    pytest.param(
        role, capability, capability in EXPECTED_CAPABILITIES[role], id=f"{role}-{capability}"
    )
    for role in Role
    for capability in Capability
]


def test_capability_list_is_the_one_the_table_covers():
    assert sorted(Capability) == sorted(ALL_CAPABILITIES)
    assert set(EXPECTED_CAPABILITIES) == set(Role)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "capability", "expected"), ROLE_CAPABILITY_PAIRS)
def test_member_capability_follows_the_role_table(role, capability, expected):
    # given a member of the project with this role
    membership = MembershipFactory(role=role)

    # when the policy is asked about one capability
    allowed = policy.can(membership.user, membership.project, capability)

    # then the answer matches the table written in this test
    assert allowed is expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_capabilities_of_a_role_are_exactly_the_expected_set(role):
    membership = MembershipFactory(role=role)

    assert policy.capabilities(membership.user, membership.project) == frozenset(
        EXPECTED_CAPABILITIES[role]
    )


@pytest.mark.parametrize("capability", list(Capability))
def test_outsider_has_no_capability(project, outsider, capability):
    assert policy.can(outsider, project, capability) is False


@pytest.mark.parametrize("capability", list(Capability))
def test_anonymous_user_has_no_capability(project, capability):
    assert policy.can(AnonymousUser(), project, capability) is False


@pytest.mark.parametrize("capability", list(Capability))
def test_inactive_project_manager_has_no_capability(project, capability):
    # given a project manager whose account was deactivated
    user = UserFactory(is_active=False)
    MembershipFactory(project=project, user=user, role=Role.PROJECT_MANAGER)

    assert policy.can(user, project, capability) is False


@pytest.mark.parametrize("capability", list(Capability))
def test_superuser_who_is_not_a_member_has_every_capability(project, superuser, capability):
    assert policy.can(superuser, project, capability) is True


@pytest.mark.parametrize("capability", list(Capability))
def test_inactive_superuser_has_no_capability(project, capability):
    user = UserFactory(is_superuser=True, is_staff=True, is_active=False)

    assert policy.can(user, project, capability) is False


def test_role_in_returns_the_members_role_and_none_for_others(project, key_user, outsider):
    assert policy.role_in(key_user, project) == Role.KEY_USER
    assert policy.role_in(outsider, project) is None
    assert policy.role_in(AnonymousUser(), project) is None


# --- Visibility ---------------------------------------------------------------------------


def test_member_sees_only_the_projects_they_belong_to(project, pilot_user):
    # given another project the pilot user is not on
    ProjectFactory(code="OTHER-1")

    assert list(Project.objects.visible_to(pilot_user)) == [project]


def test_outsider_does_not_see_the_project(project, outsider):
    visible = Project.objects.visible_to(outsider)

    assert project not in visible
    assert visible.count() == 1  # only the project the outsider manages


def test_superuser_sees_every_project(project, superuser):
    other = ProjectFactory(code="OTHER-1")

    assert set(Project.objects.visible_to(superuser)) == {project, other}


def test_anonymous_user_sees_no_project(project):
    assert list(Project.objects.visible_to(AnonymousUser())) == []


def test_inactive_member_sees_no_project(project):
    user = UserFactory(is_active=False)
    MembershipFactory(project=project, user=user, role=Role.PROJECT_MANAGER)

    assert list(Project.objects.visible_to(user)) == []


# --- Project creation ---------------------------------------------------------------------


@pytest.mark.django_db
def test_user_with_add_project_permission_can_create_projects():
    assert policy.can_create_project(UserFactory(can_create_projects=True)) is True


@pytest.mark.django_db
def test_superuser_can_create_projects(superuser):
    assert policy.can_create_project(superuser) is True


def test_project_manager_without_the_permission_cannot_create_projects(pm):
    assert policy.can_create_project(pm) is False


def test_anonymous_user_cannot_create_projects():
    assert policy.can_create_project(AnonymousUser()) is False


@pytest.mark.django_db
def test_inactive_user_with_the_permission_cannot_create_projects():
    user = UserFactory(can_create_projects=True, is_active=False)

    assert policy.can_create_project(user) is False


@pytest.mark.django_db
def test_ensure_can_create_project_raises_permission_denied_without_the_permission():
    with pytest.raises(PermissionDenied):
        policy.ensure_can_create_project(UserFactory())


# --- ensure -------------------------------------------------------------------------------


def test_ensure_raises_permission_denied_when_the_role_lacks_the_capability(project, viewer):
    with pytest.raises(PermissionDenied, match="does not allow you to edit the project"):
        policy.ensure(viewer, project, Capability.EDIT_PROJECT)


def test_ensure_raises_permission_denied_for_an_outsider(project, outsider):
    with pytest.raises(PermissionDenied):
        policy.ensure(outsider, project, Capability.VIEW_PROJECT)


def test_ensure_returns_none_when_the_role_has_the_capability(project, pm):
    assert policy.ensure(pm, project, Capability.MANAGE_TEAM) is None
