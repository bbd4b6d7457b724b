"""Go-live roles on the team page: digital champions (one per department) and the hypercare
team, who may name them, and the coverage box's warnings about departments without one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.services import training
from projects.choices import Department, Role
from projects.models import Membership
from tests.factories import MembershipFactory

HTMX = {"HX-Request": "true"}
NOT_MANAGERS = [
    Role.CONSULTANT,
    Role.IT,
    Role.KEY_USER,
    Role.PILOT_USER,
    Role.EXECUTIVE,
    Role.VIEWER,
]
SALES_TAKEN = "Sales already has a digital champion. Take that role off them first."


def url(name, project, *args) -> str:
    return reverse(f"projects:{name}", args=[project.code, *args])


def membership_of(user, project) -> Membership:
    return Membership.objects.get(user=user, project=project)


def flags(project) -> dict[int, tuple[bool, bool]]:
    return {
        pk: (champion, hypercare)
        for pk, champion, hypercare in Membership.objects.filter(project=project).values_list(
            "pk", "is_champion", "on_hypercare_team"
        )
    }


def roles_post(client, project, membership, *, champion=False, hypercare=False, **extra):
    data = {"go_live_roles": "1"}
    if champion:
        data["is_champion"] = "on"
    if hypercare:
        data["on_hypercare_team"] = "on"
    return client.post(url("member-change", project, membership.pk), data, **extra)


@pytest.fixture
def sales_rep(project):
    return MembershipFactory(project=project, role=Role.PILOT_USER, department=Department.SALES)


# --- Markers --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_member_sees_who_is_champion_and_on_the_hypercare_team(
    client, project, members, role
):
    it = membership_of(members[Role.IT], project)
    it.on_hypercare_team = True
    it.save()
    client.force_login(members[role])

    content = client.get(url("team", project)).content.decode()

    row = content.split(f'id="member-{it.pk}"')[1].split("</tr>")[0]
    assert '<span class="badge badge--info">Hypercare team</span>' in row
    assert "Digital champion</span>" not in row
    champion = membership_of(members[Role.PILOT_USER], project)
    champion_row = content.split(f'id="member-{champion.pk}"')[1].split("</tr>")[0]
    assert '<span class="badge badge--green">Digital champion</span>' in champion_row


def test_the_project_manager_gets_the_go_live_role_switches(client, project, members):
    client.force_login(members[Role.PROJECT_MANAGER])

    content = client.get(url("team", project)).content.decode()

    assert content.count('name="go_live_roles"') == len(members)
    assert 'name="is_champion" checked' in content


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_other_members_get_no_switches(client, project, members, role):
    client.force_login(members[role])

    content = client.get(url("team", project)).content.decode()

    assert 'name="go_live_roles"' not in content
    assert 'name="is_champion"' not in content


# --- Setting and unsetting ------------------------------------------------------------------


def test_the_project_manager_names_a_champion_and_a_hypercare_member(
    client, project, pm, sales_rep
):
    client.force_login(pm)

    response = roles_post(client, project, sales_rep, champion=True, hypercare=True)

    assert response.status_code == 302
    assert response.url == url("team", project)
    assert flags(project)[sales_rep.pk] == (True, True)
    page = client.get(url("team", project)).content.decode()
    assert "go-live roles saved." in page


def test_unticking_takes_both_roles_off(client, project, pm, pilot_user):
    champion = membership_of(pilot_user, project)
    champion.on_hypercare_team = True
    champion.save()
    client.force_login(pm)

    roles_post(client, project, champion)

    assert flags(project)[champion.pk] == (False, False)


def test_over_htmx_the_row_comes_back_and_the_coverage_box_refreshes(
    client, project, pm, sales_rep
):
    client.force_login(pm)

    response = roles_post(client, project, sales_rep, hypercare=True, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.strip().startswith(f'<tr id="member-{sales_rep.pk}"')
    assert '<span class="badge badge--info">Hypercare team</span>' in content
    assert "teamChanged" in response["HX-Trigger"]
    assert flags(project)[sales_rep.pk] == (False, True)


def test_a_second_champion_for_a_department_is_refused_and_nothing_changes(
    client, project, pm, pilot_user, sales_rep
):
    client.force_login(pm)
    before = flags(project)

    response = roles_post(client, project, sales_rep, champion=True, hypercare=True, follow=True)

    assert flags(project) == before
    assert response.redirect_chain == [(url("team", project), 302)]
    assert SALES_TAKEN in response.content.decode()
    assert 'class="message message--error"' in response.content.decode()


def test_a_second_champion_over_htmx_shows_the_refusal_in_the_row(
    client, project, pm, pilot_user, sales_rep
):
    client.force_login(pm)
    before = flags(project)

    response = roles_post(client, project, sales_rep, champion=True, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 422
    assert content.strip().startswith(f'<tr id="member-{sales_rep.pk}"')
    assert SALES_TAKEN in content
    assert 'name="is_champion" checked' not in content
    assert "HX-Trigger" not in response
    assert flags(project) == before


def test_the_champion_role_moves_once_the_first_champion_lets_go(
    client, project, pm, pilot_user, sales_rep
):
    client.force_login(pm)

    roles_post(client, project, membership_of(pilot_user, project))
    roles_post(client, project, sales_rep, champion=True)

    assert flags(project)[sales_rep.pk] == (True, False)
    assert flags(project)[membership_of(pilot_user, project).pk] == (False, False)


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_members_without_team_capability_cannot_set_go_live_roles(
    client, project, members, sales_rep, role
):
    client.force_login(members[role])
    before = flags(project)

    response = roles_post(client, project, sales_rep, champion=True, hypercare=True)

    assert response.status_code == 403
    assert flags(project) == before


def test_outsider_gets_404_and_nothing_changes(client, project, pm, sales_rep, outsider):
    client.force_login(outsider)
    before = flags(project)

    response = roles_post(client, project, sales_rep, champion=True)

    assert response.status_code == 404
    assert flags(project) == before


def test_the_role_and_department_form_leaves_go_live_roles_alone(client, project, pm, pilot_user):
    champion = membership_of(pilot_user, project)
    client.force_login(pm)

    client.post(
        url("member-change", project, champion.pk),
        {"role": Role.KEY_USER, "department": Department.SALES},
    )

    champion.refresh_from_db()
    assert (champion.role, champion.is_champion) == (Role.KEY_USER, True)


# --- The coverage box -----------------------------------------------------------------------


def test_coverage_box_warns_about_a_department_going_live_without_a_champion(
    client, project, pm, sales_rep
):
    training.end_user_create(actor=pm, project=project, name="An", department=Department.SALES)
    training.end_user_create(
        actor=pm, project=project, name="Binh", department=Department.WAREHOUSE
    )
    client.force_login(pm)

    box = client.get(url("team-coverage", project), headers=HTMX).content.decode()
    page = client.get(url("team", project)).content.decode()

    assert "Sales has no digital champion." in box
    assert "Warehouse has no digital champion." in box
    assert "Sales has no digital champion." in page.split('id="coverage"')[1].split("</div>")[0]


def test_naming_the_champion_clears_the_warning(client, project, pm, sales_rep):
    training.end_user_create(actor=pm, project=project, name="An", department=Department.SALES)
    client.force_login(pm)

    roles_post(client, project, sales_rep, champion=True, headers=HTMX)
    box = client.get(url("team-coverage", project), headers=HTMX).content.decode()

    assert "has no digital champion" not in box


def test_team_page_query_count_is_the_same_with_2_and_20_champions_and_end_users(
    client, project, pm
):
    departments = [d for d in Department if d not in {Department.IT, Department.MANAGEMENT}]
    for number in range(2):
        MembershipFactory(project=project, department=departments[number], is_champion=True)
        training.end_user_create(
            actor=pm, project=project, name=f"P{number}", department=departments[number]
        )
    client.force_login(pm)
    client.get(url("team", project))
    with CaptureQueriesContext(connection) as with_2:
        client.get(url("team", project))

    for number in range(2, 20):
        MembershipFactory(
            project=project,
            department=departments[number % len(departments)],
            on_hypercare_team=True,
        )
        training.end_user_create(
            actor=pm,
            project=project,
            name=f"P{number}",
            department=departments[number % len(departments)],
        )
    with CaptureQueriesContext(connection) as with_20:
        client.get(url("team", project))

    assert len(with_20) == len(with_2)
