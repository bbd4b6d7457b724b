"""Go-live roles on the membership API: every member reads who is their department's digital
champion and who is on the hypercare team; only the project manager names them, one champion
per department, together with a role or department change or on their own, all or
nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.choices import Department, Role
from projects.models import Membership
from tests.factories import MembershipFactory

MEMBERSHIPS = "/api/v1/memberships/"


def url(membership) -> str:
    return f"{MEMBERSHIPS}{membership.pk}/"


def seat(project, user) -> Membership:
    return Membership.objects.get(project=project, user=user)


def flags(membership) -> tuple:
    membership.refresh_from_db()
    m = membership
    return (m.role, m.department, m.is_champion, m.on_hypercare_team)


def test_every_member_reads_the_go_live_roles(api_as, project, members):
    body = api_as(members[Role.VIEWER]).get(MEMBERSHIPS, {"project": project.code}).json()

    by_user = {row["user"]["username"]: row for row in body["results"]}
    key_user = by_user[members[Role.KEY_USER].username]
    viewer = by_user[members[Role.VIEWER].username]
    assert (key_user["is_champion"], key_user["on_hypercare_team"]) == (True, False)
    assert (viewer["is_champion"], viewer["on_hypercare_team"]) == (False, False)


def test_the_project_manager_names_a_champion_and_a_hypercare_member(
    api_as, project, pm, it_member
):
    membership = seat(project, it_member)

    response = api_as(pm).patch(
        url(membership), {"is_champion": True, "on_hypercare_team": True}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["is_champion"], response.json()["on_hypercare_team"]) == (True, True)
    assert flags(membership) == (Role.IT, Department.IT, True, True)


def test_one_flag_leaves_the_other_as_it_was(api_as, project, pm, key_user):
    membership = seat(project, key_user)

    response = api_as(pm).patch(url(membership), {"on_hypercare_team": True}, format="json")

    assert response.status_code == 200
    assert flags(membership) == (Role.KEY_USER, Department.ACCOUNTING_FINANCE, True, True)


def test_hypercare_membership_counts_for_readiness(api_as, project, pm, it_member):
    client = api_as(pm)
    client.patch(url(seat(project, it_member)), {"on_hypercare_team": True}, format="json")

    readiness = client.get(f"/api/v1/readiness/{project.code}/").json()

    criterion = next(c for c in readiness["criteria"] if c["key"] == "hypercare_ready")
    assert criterion["actual"] == 1
    assert [m["role"] for m in readiness["hypercare_team"]] == ["it"]


@pytest.mark.parametrize("role", list(Role))
def test_setting_go_live_roles_by_role(api_as, project, members, role):
    membership = seat(project, members[Role.IT])

    response = api_as(members[role]).patch(
        url(membership), {"on_hypercare_team": True}, format="json"
    )

    assert response.status_code == (200 if role == Role.PROJECT_MANAGER else 403)
    assert flags(membership)[3] is (role == Role.PROJECT_MANAGER)


def test_a_second_champion_for_a_department_is_400_and_nothing_changes(
    api_as, project, pm, key_user
):
    second = MembershipFactory(
        project=project, role=Role.PILOT_USER, department=Department.ACCOUNTING_FINANCE
    )

    response = api_as(pm).patch(
        url(second),
        {"is_champion": True, "on_hypercare_team": True, "role": Role.KEY_USER},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["is_champion"]
    assert "already has a digital champion" in response.json()["is_champion"][0]
    assert flags(second) == (Role.PILOT_USER, Department.ACCOUNTING_FINANCE, False, False)
    assert flags(seat(project, key_user))[2] is True


def test_a_champion_lets_go_and_moves_to_a_department_that_has_one(
    api_as, project, pm, key_user, pilot_user
):
    # The sales champion joins accounting, whose champion is the key user.
    membership = seat(project, pilot_user)

    response = api_as(pm).patch(
        url(membership),
        {"department": Department.ACCOUNTING_FINANCE, "is_champion": False},
        format="json",
    )

    assert response.status_code == 200
    assert flags(membership) == (Role.PILOT_USER, Department.ACCOUNTING_FINANCE, False, False)


def test_a_member_moves_and_becomes_the_new_departments_champion(api_as, project, pm, viewer):
    membership = seat(project, viewer)

    response = api_as(pm).patch(
        url(membership), {"department": Department.HR, "is_champion": True}, format="json"
    )

    assert response.status_code == 200
    assert flags(membership) == (Role.VIEWER, Department.HR, True, False)


def test_moving_a_champion_into_a_department_with_one_is_400(
    api_as, project, pm, key_user, pilot_user
):
    membership = seat(project, pilot_user)

    response = api_as(pm).patch(
        url(membership),
        {"department": Department.ACCOUNTING_FINANCE, "on_hypercare_team": True},
        format="json",
    )

    assert response.status_code == 400
    assert flags(membership) == (Role.PILOT_USER, Department.SALES, True, False)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"is_champion": "maybe"}, {"is_champion"}),
        ({"on_hypercare_team": None}, {"on_hypercare_team"}),
        ({"is_champion": [True], "role": "boss"}, {"is_champion", "role"}),
        ([], {"non_field_errors"}),
    ],
)
def test_bad_input_is_400_and_changes_nothing(api_as, project, pm, viewer, body, fields):
    membership = seat(project, viewer)
    before = flags(membership)

    response = api_as(pm).patch(url(membership), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert flags(membership) == before


def test_outsiders_get_404_and_anonymous_401(api_as, api_client, project, pm, viewer, outsider):
    membership = seat(project, viewer)

    anonymous = api_client.patch(url(membership), {"is_champion": True}, format="json")
    stranger = api_as(outsider).patch(url(membership), {"is_champion": True}, format="json")

    assert (anonymous.status_code, stranger.status_code) == (401, 404)
    assert flags(membership) == (Role.VIEWER, Department.OTHER, False, False)


def test_list_query_count_does_not_grow_with_flagged_members(api_as, project, pm):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_as(pm).get(MEMBERSHIPS, {"project": project.code}).status_code == 200
        return len(captured)

    MembershipFactory(project=project, on_hypercare_team=True)
    first = count()
    for department in (Department.SALES, Department.WAREHOUSE, Department.HR):
        for _number in range(6):
            MembershipFactory(project=project, department=department, on_hypercare_team=True)

    assert count() == first
