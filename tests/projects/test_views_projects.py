"""Project and team pages: who sees what, what they may change, and what the pages send."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from implementation.choices import PhaseKind
from implementation.models import Phase
from projects import services
from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.models import Membership, Project
from tests.factories import MembershipFactory, UserFactory

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
LAST_MANAGER_ERROR = "A project needs at least one project manager. Name another one first."
UNKNOWN_PERSON_ERROR = "No single active user has this username or e-mail address."

ROLES_WITHOUT_EDIT_PROJECT = [
    Role.CONSULTANT,
    Role.IT,
    Role.KEY_USER,
    Role.PILOT_USER,
    Role.EXECUTIVE,
    Role.VIEWER,
]
ROLES_WITHOUT_MANAGE_TEAM = ROLES_WITHOUT_EDIT_PROJECT


# --- Helpers ------------------------------------------------------------------------------


def future_start() -> datetime.date:
    """A start date ahead of today, so no checklist item is overdue and health is stable."""
    return timezone.localdate() + datetime.timedelta(days=14)


def create_project(actor, code, **overrides) -> Project:
    data = {
        "name": f"Roll-out {code}",
        "code": code,
        "client_organisation": "Hanoi Retail JSC",
        "system_kind": SystemKind.ERP,
        "start_date": future_start(),
    }
    data.update(overrides)
    return services.project_create(actor=actor, **data)


def team_snapshot(project) -> list[tuple]:
    return list(
        Membership.objects.filter(project=project)
        .order_by("pk")
        .values_list("pk", "user_id", "role", "department")
    )


def project_snapshot(project) -> dict:
    return Project.objects.filter(pk=project.pk).values().get()


def url(name, project, *args) -> str:
    return reverse(f"projects:{name}", args=[project.code, *args])


def membership_of(user, project) -> Membership:
    return Membership.objects.get(user=user, project=project)


def edit_data(project, **changes) -> dict:
    data = {
        "name": project.name,
        "client_organisation": project.client_organisation,
        "target_product": project.target_product,
        "business_problem": project.business_problem,
        "start_date": project.start_date.isoformat(),
        "target_go_live": project.target_go_live.isoformat(),
        "status": project.status,
        "review_weekday": project.review_weekday,
        "review_time": project.review_time.strftime("%H:%M"),
        "time_zone": project.time_zone,
    }
    data.update(changes)
    return data


def create_data(**changes) -> dict:
    data = {
        "name": "Saigon Foods CRM",
        "code": "SGF-CRM",
        "client_organisation": "Saigon Foods",
        "system_kind": SystemKind.CRM,
        "target_product": "Odoo 17",
        "business_problem": "",
        "start_date": "2027-01-04",
        "target_go_live": "",
        "review_weekday": "0",
        "review_time": "09:00",
        "time_zone": "Asia/Ho_Chi_Minh",
        "actor_department": Department.MANAGEMENT,
    }
    data.update(changes)
    return data


@pytest.fixture
def creator(db):
    return UserFactory(can_create_projects=True)


# --- Anonymous ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "needs_pk"),
    [
        ("detail", False),
        ("edit", False),
        ("team", False),
        ("team-coverage", False),
        ("member-add", False),
        ("member-change", True),
        ("member-remove", True),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_user_is_redirected_to_login_from_project_pages(
    client, project, pm, name, needs_pk, method
):
    before = team_snapshot(project)
    page = url(name, project, *([membership_of(pm, project).pk] if needs_pk else []))

    response = getattr(client, method)(page)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"
    assert team_snapshot(project) == before


@pytest.mark.parametrize("name", ["projects:list", "projects:create"])
def test_anonymous_user_is_redirected_to_login_from_portfolio_and_creation(client, db, name):
    page = reverse(name)

    response = client.get(page)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"


# --- Outsiders ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["detail", "edit", "team", "team-coverage"])
def test_outsider_gets_404_on_project_pages(client, project, pm, outsider, name):
    client.force_login(outsider)

    response = client.get(url(name, project))

    assert response.status_code == 404


def test_outsider_gets_404_when_posting_the_edit_form(client, project, pm, outsider):
    before = project_snapshot(project)
    client.force_login(outsider)

    response = client.post(url("edit", project), edit_data(project, name="Hijacked"))

    assert response.status_code == 404
    assert project_snapshot(project) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_outsider_gets_404_when_adding_a_member(client, project, pm, outsider, headers):
    newcomer = UserFactory()
    before = team_snapshot(project)
    client.force_login(outsider)

    response = client.post(
        url("member-add", project),
        {"person": newcomer.username, "role": Role.VIEWER, "department": Department.SALES},
        headers=headers,
    )

    assert response.status_code == 404
    assert team_snapshot(project) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_outsider_gets_404_when_changing_a_role(client, project, pm, pilot_user, outsider, headers):
    before = team_snapshot(project)
    client.force_login(outsider)

    response = client.post(
        url("member-change", project, membership_of(pilot_user, project).pk),
        {"role": Role.PROJECT_MANAGER, "department": Department.IT},
        headers=headers,
    )

    assert response.status_code == 404
    assert team_snapshot(project) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_outsider_gets_404_when_removing_a_member(
    client, project, pm, pilot_user, outsider, headers
):
    before = team_snapshot(project)
    client.force_login(outsider)

    response = client.post(
        url("member-remove", project, membership_of(pilot_user, project).pk), headers=headers
    )

    assert response.status_code == 404
    assert team_snapshot(project) == before


def test_outsider_cannot_reach_another_projects_membership_through_their_own_project(
    client, project, pm, outsider
):
    # given the outsider manages their own project and knows a membership pk of `project`
    own_project = Membership.objects.get(user=outsider).project
    target = membership_of(pm, project)
    before = team_snapshot(project)
    client.force_login(outsider)

    # when they remove it through their own project's URL
    response = client.post(url("member-remove", own_project, target.pk))

    # then the membership is not found there and nothing changes
    assert response.status_code == 404
    assert team_snapshot(project) == before


# --- Members without the capability -------------------------------------------------------


@pytest.mark.parametrize("role", ROLES_WITHOUT_EDIT_PROJECT)
def test_member_without_edit_capability_gets_403_on_edit_page(client, project, members, role):
    client.force_login(members[role])

    response = client.get(url("edit", project))

    assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES_WITHOUT_EDIT_PROJECT)
def test_member_without_edit_capability_gets_403_when_posting_edit_and_nothing_changes(
    client, project, members, role
):
    before = project_snapshot(project)
    client.force_login(members[role])

    response = client.post(url("edit", project), edit_data(project, name="Renamed"))

    assert response.status_code == 403
    assert "does not allow you to edit the project" in response.content.decode()
    assert project_snapshot(project) == before


@pytest.mark.parametrize("role", ROLES_WITHOUT_MANAGE_TEAM)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_member_without_team_capability_gets_403_when_adding_a_member(
    client, project, members, role, headers
):
    newcomer = UserFactory()
    before = team_snapshot(project)
    client.force_login(members[role])

    response = client.post(
        url("member-add", project),
        {"person": newcomer.username, "role": Role.VIEWER, "department": Department.SALES},
        headers=headers,
    )

    assert response.status_code == 403
    assert team_snapshot(project) == before


@pytest.mark.parametrize("role", ROLES_WITHOUT_MANAGE_TEAM)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_member_without_team_capability_gets_403_when_changing_a_role(
    client, project, members, role, headers
):
    user = members[role]
    before = team_snapshot(project)
    client.force_login(user)

    # when they try to make themselves project manager
    response = client.post(
        url("member-change", project, membership_of(user, project).pk),
        {"role": Role.PROJECT_MANAGER, "department": Department.MANAGEMENT},
        headers=headers,
    )

    assert response.status_code == 403
    assert team_snapshot(project) == before


@pytest.mark.parametrize("role", ROLES_WITHOUT_MANAGE_TEAM)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_member_without_team_capability_gets_403_when_removing_a_member(
    client, project, members, role, headers
):
    before = team_snapshot(project)
    client.force_login(members[role])

    response = client.post(
        url("member-remove", project, membership_of(members[Role.PROJECT_MANAGER], project).pk),
        headers=headers,
    )

    assert response.status_code == 403
    assert team_snapshot(project) == before


@pytest.mark.parametrize("role", list(Role))
def test_every_member_can_see_the_project_and_its_team(client, project, members, role):
    client.force_login(members[role])

    assert client.get(url("detail", project)).status_code == 200
    assert client.get(url("team", project)).status_code == 200


def test_team_page_shows_no_management_controls_to_a_viewer(client, project, members):
    client.force_login(members[Role.VIEWER])

    content = client.get(url("team", project)).content.decode()

    assert 'id="member-add"' not in content
    assert "member-remove" not in content
    assert 'id="members-body"' in content


# --- Portfolio ----------------------------------------------------------------------------


def test_portfolio_lists_only_the_users_projects(client, creator):
    # given two projects of the user and one of someone else
    mine_a = create_project(creator, "MINE-A", name="Alpha roll-out")
    mine_b = create_project(creator, "MINE-B", name="Beta roll-out")
    other = create_project(UserFactory(can_create_projects=True), "OTHER-1", name="Gamma roll-out")
    client.force_login(creator)

    response = client.get(reverse("projects:list"))

    assert response.status_code == 200
    assert [row["project"].code for row in response.context["rows"]] == ["MINE-A", "MINE-B"]
    content = response.content.decode()
    assert mine_a.get_absolute_url() in content
    assert mine_b.get_absolute_url() in content
    assert other.get_absolute_url() not in content
    assert "Gamma roll-out" not in content


def test_portfolio_row_shows_current_phase_days_to_go_live_health_and_role(client, creator):
    project = create_project(creator, "MINE-A")
    client.force_login(creator)

    response = client.get(reverse("projects:list"))

    row = response.context["rows"][0]
    assert row["current_phase"].kind == PhaseKind.DISCOVERY
    assert row["role"] == "Project manager"
    assert row["health"].level.label == "Amber"  # the team has only its manager
    content = response.content.decode()
    assert "Discovery &amp; planning" in content
    assert f'<td class="num">{project.days_to_go_live}</td>' in content
    assert '<span class="badge badge--amber">Amber</span>' in content


def test_portfolio_is_empty_for_a_user_without_projects(client, project, pm):
    client.force_login(UserFactory())

    response = client.get(reverse("projects:list"))

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "No projects here yet." in response.content.decode()


def test_portfolio_partial_for_htmx_returns_only_the_results(client, project, pm):
    client.force_login(pm)

    response = client.get(reverse("projects:list"), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="results"' in content
    assert project.code in content


def test_portfolio_offers_new_project_only_with_the_permission(client, project, pm, creator):
    create_link = f'href="{reverse("projects:create")}"'
    client.force_login(pm)
    assert create_link not in client.get(reverse("projects:list")).content.decode()

    client.force_login(creator)
    assert create_link in client.get(reverse("projects:list")).content.decode()


# --- Creating a project -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "go_live"),
    [
        (SystemKind.ERP, datetime.date(2027, 10, 4)),
        (SystemKind.CRM, datetime.date(2027, 5, 4)),
        (SystemKind.ERP_CRM, datetime.date(2028, 1, 4)),
    ],
)
def test_user_with_permission_creates_project_from_template(client, creator, kind, go_live):
    client.force_login(creator)

    response = client.post(
        reverse("projects:create"), create_data(code="sgf-crm", system_kind=kind)
    )

    project = Project.objects.get(code="SGF-CRM")
    assert response.status_code == 302
    assert response.url == "/projects/SGF-CRM/"
    assert project.system_kind == kind
    assert project.target_go_live == go_live
    assert project.created_by == creator
    assert Phase.objects.filter(project=project).count() == 6
    assert list(project.memberships.values_list("user", "role", "department")) == [
        (creator.pk, Role.PROJECT_MANAGER, Department.MANAGEMENT)
    ]


def test_creation_page_opens_for_a_user_with_permission(client, creator):
    client.force_login(creator)

    response = client.get(reverse("projects:create"))

    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_user_without_permission_gets_403_on_creation_page(client, pm, method):
    client.force_login(pm)
    count = Project.objects.count()

    response = getattr(client, method)(reverse("projects:create"), create_data())

    assert response.status_code == 403
    assert Project.objects.count() == count


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        (
            {"code": "bad code!"},
            "code",
            "Use 2-20 capital letters, digits or dashes, for example HNR-ERP.",
        ),
        (
            {"start_date": "2027-01-04", "target_go_live": "2027-01-03"},
            "target_go_live",
            "The go-live date cannot be before the start date.",
        ),
        ({"code": "hnr-erp"}, "code", "Project with this Code already exists."),
    ],
    ids=["missing-name", "bad-code", "go-live-before-start", "duplicate-code"],
)
def test_bad_creation_input_rerenders_with_422_and_creates_nothing(
    client, project, creator, changes, field, message
):
    # given the fixture project HNR-ERP already exists
    projects_before = Project.objects.count()
    phases_before = Phase.objects.count()
    memberships_before = Membership.objects.count()
    client.force_login(creator)

    response = client.post(reverse("projects:create"), create_data(**changes))

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert Project.objects.count() == projects_before
    assert Phase.objects.count() == phases_before
    assert Membership.objects.count() == memberships_before


# --- Editing a project --------------------------------------------------------------------


def test_project_manager_saves_project_changes(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("edit", project),
        edit_data(
            project,
            name="Hanoi Retail ERP (phase 2)",
            target_product="SAP Business One",
            status=ProjectStatus.ON_HOLD,
        ),
    )

    assert response.status_code == 302
    assert response.url == project.get_absolute_url()
    project.refresh_from_db()
    assert project.name == "Hanoi Retail ERP (phase 2)"
    assert project.target_product == "SAP Business One"
    assert project.status == ProjectStatus.ON_HOLD


def test_project_manager_sees_the_edit_form(client, project, pm):
    client.force_login(pm)

    response = client.get(url("edit", project))

    assert response.status_code == 200
    assert 'value="Hanoi Retail ERP"' in response.content.decode()


def test_bad_edit_input_rerenders_with_422_and_saves_nothing(client, project, pm):
    before = project_snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("edit", project),
        edit_data(project, name="Renamed", target_go_live="2025-01-01"),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["target_go_live"] == [
        "The go-live date cannot be before the start date."
    ]
    assert project_snapshot(project) == before


def test_project_detail_shows_phases_and_role(client, creator):
    project = create_project(creator, "MINE-A")
    client.force_login(creator)

    response = client.get(project.get_absolute_url())

    assert response.status_code == 200
    assert [phase.kind for phase in response.context["phases"]] == list(PhaseKind)
    assert response.context["role"] == Role.PROJECT_MANAGER
    assert response.context["can_edit"] is True
    assert response.context["team_size"] == 1


# --- Team: adding -------------------------------------------------------------------------


@pytest.fixture
def lan(db):
    return UserFactory(
        username="lan", email="lan.nguyen@example.com", first_name="Lan", last_name="Nguyen"
    )


@pytest.mark.parametrize("person", ["lan", "LAN.Nguyen@example.com"], ids=["username", "email"])
def test_project_manager_adds_member_with_plain_post_and_is_redirected(
    client, project, pm, lan, person
):
    client.force_login(pm)

    response = client.post(
        url("member-add", project),
        {"person": person, "role": Role.KEY_USER, "department": Department.WAREHOUSE},
    )

    assert response.status_code == 302
    assert response.url == url("team", project)
    membership = membership_of(lan, project)
    assert (membership.role, membership.department) == (Role.KEY_USER, Department.WAREHOUSE)


@pytest.mark.parametrize("person", ["lan", "lan.nguyen@example.com"], ids=["username", "email"])
def test_project_manager_adds_member_with_htmx_and_gets_the_row(client, project, pm, lan, person):
    client.force_login(pm)

    response = client.post(
        url("member-add", project),
        {"person": person, "role": Role.KEY_USER, "department": Department.WAREHOUSE},
        headers=HTMX,
    )

    membership = membership_of(lan, project)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.strip().startswith(f'<tr id="member-{membership.pk}">')
    assert "Lan Nguyen" in content
    assert "teamChanged" in response["HX-Trigger"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_adding_an_unknown_person_answers_422_with_the_error(client, project, pm, headers):
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("member-add", project),
        {"person": "nobody@example.com", "role": Role.VIEWER, "department": Department.SALES},
        headers=headers,
    )

    assert response.status_code == 422
    assert UNKNOWN_PERSON_ERROR in response.content.decode()
    assert team_snapshot(project) == before


def test_htmx_add_error_retargets_the_add_form(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("member-add", project),
        {"person": "nobody", "role": Role.VIEWER, "department": Department.SALES},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert content.strip().startswith('<form id="member-add"')
    assert response["HX-Retarget"] == "#member-add"
    assert response["HX-Reswap"] == "outerHTML"
    assert "HX-Trigger" not in response


def test_adding_an_inactive_user_answers_422(client, project, pm):
    UserFactory(username="gone", is_active=False)
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("member-add", project),
        {"person": "gone", "role": Role.VIEWER, "department": Department.SALES},
    )

    assert response.status_code == 422
    assert UNKNOWN_PERSON_ERROR in response.content.decode()
    assert team_snapshot(project) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_adding_someone_already_on_the_team_answers_422_without_a_duplicate(
    client, project, pm, lan, headers
):
    MembershipFactory(project=project, user=lan, role=Role.PILOT_USER)
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("member-add", project),
        {"person": "lan", "role": Role.CONSULTANT, "department": Department.IT},
        headers=headers,
    )

    assert response.status_code == 422
    assert "Lan Nguyen is already on the project team." in response.content.decode()
    assert Membership.objects.filter(project=project, user=lan).count() == 1
    assert team_snapshot(project) == before


# --- Team: changing roles -----------------------------------------------------------------


def test_project_manager_changes_a_role_with_htmx(client, project, pm, pilot_user):
    membership = membership_of(pilot_user, project)
    client.force_login(pm)

    response = client.post(
        url("member-change", project, membership.pk),
        {"role": Role.KEY_USER, "department": Department.PURCHASING},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.strip().startswith(f'<tr id="member-{membership.pk}">')
    assert '<option value="key_user" selected>' in content
    assert '<option value="purchasing" selected>' in content
    assert "teamChanged" in response["HX-Trigger"]
    membership.refresh_from_db()
    assert (membership.role, membership.department) == (Role.KEY_USER, Department.PURCHASING)


def test_project_manager_changes_a_role_with_plain_post(client, project, pm, pilot_user):
    membership = membership_of(pilot_user, project)
    client.force_login(pm)

    response = client.post(
        url("member-change", project, membership.pk),
        {"role": Role.CONSULTANT, "department": Department.IT},
    )

    assert response.status_code == 302
    assert response.url == url("team", project)
    membership.refresh_from_db()
    assert (membership.role, membership.department) == (Role.CONSULTANT, Department.IT)


def test_changing_a_role_to_an_unknown_value_changes_nothing(client, project, pm, pilot_user):
    membership = membership_of(pilot_user, project)
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("member-change", project, membership.pk),
        {"role": "emperor", "department": Department.IT},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert team_snapshot(project) == before


def test_project_manager_can_hand_over_when_another_manager_exists(client, project, pm):
    MembershipFactory(project=project, role=Role.PROJECT_MANAGER)
    membership = membership_of(pm, project)
    client.force_login(pm)

    response = client.post(
        url("member-change", project, membership.pk),
        {"role": Role.VIEWER, "department": Department.MANAGEMENT},
        headers=HTMX,
    )

    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


# --- Team: removing -----------------------------------------------------------------------


def test_project_manager_removes_a_member_with_htmx(client, project, pm, pilot_user):
    membership = membership_of(pilot_user, project)
    client.force_login(pm)

    response = client.post(url("member-remove", project, membership.pk), headers=HTMX)

    assert response.status_code == 200
    assert response.content == b""
    assert "teamChanged" in response["HX-Trigger"]
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_project_manager_removes_a_member_with_plain_post(client, project, pm, pilot_user):
    membership = membership_of(pilot_user, project)
    client.force_login(pm)

    response = client.post(url("member-remove", project, membership.pk))

    assert response.status_code == 302
    assert response.url == url("team", project)
    assert not Membership.objects.filter(pk=membership.pk).exists()


# --- Team: the last project manager -------------------------------------------------------


def test_last_project_manager_cannot_be_demoted_with_htmx(client, project, pm, pilot_user):
    membership = membership_of(pm, project)
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("member-change", project, membership.pk),
        {"role": Role.VIEWER, "department": Department.MANAGEMENT},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert LAST_MANAGER_ERROR in content
    assert "HX-Trigger" not in response
    assert team_snapshot(project) == before


def test_last_project_manager_cannot_be_demoted_with_plain_post(client, project, pm, pilot_user):
    membership = membership_of(pm, project)
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("member-change", project, membership.pk),
        {"role": Role.VIEWER, "department": Department.MANAGEMENT},
        follow=True,
    )

    assert response.redirect_chain == [(url("team", project), 302)]
    assert [str(message) for message in response.context["messages"]] == [LAST_MANAGER_ERROR]
    assert LAST_MANAGER_ERROR in response.content.decode()
    assert team_snapshot(project) == before


def test_last_project_manager_cannot_be_removed_with_htmx(client, project, pm, pilot_user):
    membership = membership_of(pm, project)
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(url("member-remove", project, membership.pk), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert content.strip().startswith(f'<tr id="member-{membership.pk}">')
    assert LAST_MANAGER_ERROR in content
    assert "HX-Trigger" not in response
    assert team_snapshot(project) == before


def test_last_project_manager_cannot_be_removed_with_plain_post(client, project, pm, pilot_user):
    membership = membership_of(pm, project)
    before = team_snapshot(project)
    client.force_login(pm)

    response = client.post(url("member-remove", project, membership.pk), follow=True)

    assert response.redirect_chain == [(url("team", project), 302)]
    assert [str(message) for message in response.context["messages"]] == [LAST_MANAGER_ERROR]
    assert team_snapshot(project) == before


# --- Team page and coverage ---------------------------------------------------------------


def test_team_page_lists_every_member_for_the_project_manager(client, project, members):
    client.force_login(members[Role.PROJECT_MANAGER])

    response = client.get(url("team", project))

    content = response.content.decode()
    assert response.status_code == 200
    assert {m.user for m in response.context["members"]} == set(members.values())
    for user in members.values():
        assert f'id="member-{membership_of(user, project).pk}"' in content
    assert 'id="member-add"' in content


def test_team_coverage_partial_returns_the_fragment(client, project, pm):
    client.force_login(pm)

    response = client.get(url("team-coverage", project), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.strip().startswith('<div id="coverage"')
    assert "Nobody from IT is on the team." in content


def test_team_coverage_is_complete_with_every_department_and_an_executive(client, project, members):
    MembershipFactory(project=project, role=Role.VIEWER, department=Department.HR, is_champion=True)
    client.force_login(members[Role.PROJECT_MANAGER])

    response = client.get(url("team-coverage", project), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "are all on the team, and an executive is named." in content
    assert "alert--warning" not in content


# --- Query counts -------------------------------------------------------------------------


def count_queries(client, page) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def test_portfolio_query_count_is_the_same_for_2_and_20_projects(client, creator):
    client.force_login(creator)
    for number in range(2):
        create_project(creator, f"P-{number:02}")
    client.get(reverse("projects:list"))  # warm process-wide caches (content types)
    with_2 = count_queries(client, reverse("projects:list"))

    for number in range(2, 20):
        create_project(creator, f"P-{number:02}", system_kind=SystemKind.ERP_CRM)
    with_20 = count_queries(client, reverse("projects:list"))

    assert with_20 == with_2


def add_members(project, count):
    departments = list(Department)
    for number in range(count):
        MembershipFactory(
            project=project,
            role=list(Role)[number % len(Role)],
            department=departments[number % len(departments)],
        )


@pytest.mark.parametrize("name", ["detail", "team"])
def test_project_page_query_count_is_the_same_for_2_and_20_members(client, creator, name):
    project = create_project(creator, "MINE-A")
    add_members(project, 1)  # the creator and one more
    client.force_login(creator)
    client.get(url(name, project))  # warm process-wide caches
    with_2 = count_queries(client, url(name, project))

    add_members(project, 18)
    with_20 = count_queries(client, url(name, project))

    assert project.memberships.count() == 20
    assert with_20 == with_2


def test_team_coverage_query_count_is_the_same_for_2_and_20_members(client, creator):
    project = create_project(creator, "MINE-A")
    add_members(project, 1)
    client.force_login(creator)
    client.get(url("team-coverage", project), headers=HTMX)
    with CaptureQueriesContext(connection) as with_2:
        client.get(url("team-coverage", project), headers=HTMX)

    add_members(project, 18)
    with CaptureQueriesContext(connection) as with_20:
        client.get(url("team-coverage", project), headers=HTMX)

    assert len(with_20) == len(with_2)


def test_superuser_sees_a_project_they_are_not_on(client, project, pm, superuser):
    client.force_login(superuser)

    assert client.get(url("detail", project)).status_code == 200
    assert client.get(url("team", project)).status_code == 200
