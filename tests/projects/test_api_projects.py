"""REST API for projects and memberships: authentication, visibility, permissions,
validation, query counts and the OpenAPI schema."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from implementation.models import ChecklistItem, Phase
from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.models import Membership, Project
from tests.factories import PASSWORD, MembershipFactory, ProjectFactory, UserFactory

PROJECTS_URL = "/api/v1/projects/"
MEMBERSHIPS_URL = "/api/v1/memberships/"
TOKEN_URL = "/api/v1/auth/token/"


def project_url(code):
    return f"{PROJECTS_URL}{code}/"


def membership_url(membership):
    return f"{MEMBERSHIPS_URL}{membership.pk}/"


def project_snapshot(code):
    return Project.objects.filter(code=code).values().get()


def create_payload(**overrides):
    payload = {
        "code": "NEW-ERP",
        "name": "New roll-out",
        "client_organisation": "Saigon Foods JSC",
        "system_kind": SystemKind.ERP,
        "start_date": "2026-01-05",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def creator(db):
    return UserFactory(can_create_projects=True)


# --- Authentication -----------------------------------------------------------------------


def test_anonymous_gets_401_with_a_token_challenge_on_project_list(api_client):
    response = api_client.get(PROJECTS_URL)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_anonymous_gets_401_on_membership_list(api_client):
    response = api_client.get(MEMBERSHIPS_URL)

    assert response.status_code == 401


def test_token_obtained_with_password_authenticates_api_requests(api_client, pm):
    response = api_client.post(TOKEN_URL, {"username": pm.username, "password": PASSWORD})

    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=pm).key

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listing = api_client.get(PROJECTS_URL)

    assert listing.status_code == 200
    assert [p["code"] for p in listing.json()["results"]] == ["HNR-ERP"]


def test_token_request_with_bad_password_gives_400_and_no_token(api_client, pm):
    response = api_client.post(TOKEN_URL, {"username": pm.username, "password": "wrong"})

    assert response.status_code == 400
    assert "token" not in response.json()
    assert list(response.json()) == ["non_field_errors"]
    assert not Token.objects.filter(user=pm).exists()


def test_unknown_token_is_refused(api_client, pm):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.get(PROJECTS_URL)

    assert response.status_code == 401


# --- Projects: list, filters, ordering, retrieve --------------------------------------------


def test_project_list_shows_only_callers_projects_with_their_role(api_as, project, pm, outsider):
    other = ProjectFactory(code="OTH-CRM", name="Another", system_kind=SystemKind.CRM)
    MembershipFactory(project=other, user=pm, role=Role.VIEWER)
    ProjectFactory(code="HID-ERP", name="Hidden")

    response = api_as(pm).get(PROJECTS_URL)

    assert response.status_code == 200
    rows = {row["code"]: row["my_role"] for row in response.json()["results"]}
    assert rows == {"HNR-ERP": Role.PROJECT_MANAGER, "OTH-CRM": Role.VIEWER}


def test_project_list_row_has_the_documented_fields(api_as, project, pm):
    response = api_as(pm).get(PROJECTS_URL)

    row = response.json()["results"][0]
    assert row["url"] == "http://testserver/api/v1/projects/HNR-ERP/"
    assert row["code"] == "HNR-ERP"
    assert row["name"] == "Hanoi Retail ERP"
    assert row["client_organisation"] == "Hanoi Retail JSC"
    assert row["system_kind"] == SystemKind.ERP
    assert row["start_date"] == "2026-01-05"
    assert row["target_go_live"] == "2026-10-05"
    assert row["status"] == ProjectStatus.ACTIVE
    assert row["my_role"] == Role.PROJECT_MANAGER
    assert set(row) == {
        "url",
        "code",
        "name",
        "client_organisation",
        "system_kind",
        "target_product",
        "business_problem",
        "start_date",
        "target_go_live",
        "status",
        "review_weekday",
        "review_time",
        "time_zone",
        "my_role",
        "created_at",
        "updated_at",
    }


def test_outsider_project_list_does_not_include_the_project(api_as, project, outsider):
    response = api_as(outsider).get(PROJECTS_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert "HNR-ERP" not in [row["code"] for row in response.json()["results"]]


def test_project_list_is_paginated_by_50(api_as, db):
    user = UserFactory()
    for number in range(51):
        MembershipFactory(
            user=user, project=ProjectFactory(name=f"P{number:02d}"), role=Role.VIEWER
        )

    first = api_as(user).get(PROJECTS_URL).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/projects/?page=2"

    second = api_as(user).get(first["next"]).json()

    assert second["count"] == 51
    assert [row["name"] for row in second["results"]] == ["P50"]
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/v1/projects/"


@pytest.fixture
def three_projects(db):
    user = UserFactory()
    specs = [
        ("ALP-ERP", "Alpha", SystemKind.ERP, ProjectStatus.ACTIVE, "2026-12-01", "Odoo 17"),
        ("BRV-CRM", "Bravo", SystemKind.CRM, ProjectStatus.ON_HOLD, "2026-06-01", "Salesforce"),
        ("CHL-ALL", "Charlie", SystemKind.ERP_CRM, ProjectStatus.CLOSED, "2026-09-01", ""),
    ]
    for code, name, kind, status, go_live, product in specs:
        project = ProjectFactory(
            code=code,
            name=name,
            system_kind=kind,
            status=status,
            target_go_live=datetime.date.fromisoformat(go_live),
            target_product=product,
        )
        MembershipFactory(project=project, user=user, role=Role.CONSULTANT)
    return user


def codes(response):
    assert response.status_code == 200
    return [row["code"] for row in response.json()["results"]]


def test_project_list_filters_by_status(api_as, three_projects):
    response = api_as(three_projects).get(PROJECTS_URL, {"status": ProjectStatus.ON_HOLD})

    assert codes(response) == ["BRV-CRM"]


def test_project_list_filters_by_system_kind(api_as, three_projects):
    response = api_as(three_projects).get(PROJECTS_URL, {"system_kind": SystemKind.ERP_CRM})

    assert codes(response) == ["CHL-ALL"]


def test_project_list_searches_name_code_client_and_product(api_as, three_projects):
    client = api_as(three_projects)

    assert codes(client.get(PROJECTS_URL, {"q": "alph"})) == ["ALP-ERP"]
    assert codes(client.get(PROJECTS_URL, {"q": "brv"})) == ["BRV-CRM"]
    assert codes(client.get(PROJECTS_URL, {"q": "odoo"})) == ["ALP-ERP"]
    assert codes(client.get(PROJECTS_URL, {"q": "hanoi retail"})) == [
        "ALP-ERP",
        "BRV-CRM",
        "CHL-ALL",
    ]
    assert codes(client.get(PROJECTS_URL, {"q": "nothing-like-this"})) == []


def test_project_list_with_unknown_status_filter_gives_400(api_as, three_projects):
    response = api_as(three_projects).get(PROJECTS_URL, {"status": "dreaming"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_project_list_orders_by_target_go_live(api_as, three_projects):
    client = api_as(three_projects)

    assert codes(client.get(PROJECTS_URL)) == ["ALP-ERP", "BRV-CRM", "CHL-ALL"]
    assert codes(client.get(PROJECTS_URL, {"ordering": "target_go_live"})) == [
        "BRV-CRM",
        "CHL-ALL",
        "ALP-ERP",
    ]
    assert codes(client.get(PROJECTS_URL, {"ordering": "-target_go_live"})) == [
        "ALP-ERP",
        "CHL-ALL",
        "BRV-CRM",
    ]


def test_project_retrieve_by_code(api_as, project, executive):
    response = api_as(executive).get(project_url("HNR-ERP"))

    assert response.status_code == 200
    assert response.json()["code"] == "HNR-ERP"
    assert response.json()["name"] == "Hanoi Retail ERP"
    assert response.json()["my_role"] == Role.EXECUTIVE


def test_superuser_retrieves_any_project_without_a_role(api_as, project, superuser):
    response = api_as(superuser).get(project_url("HNR-ERP"))

    assert response.status_code == 200
    assert response.json()["my_role"] is None


def test_project_retrieve_of_unknown_code_gives_404(api_as, pm):
    response = api_as(pm).get(project_url("NOPE-1"))

    assert response.status_code == 404


def test_outsider_gets_404_on_project_retrieve(api_as, project, outsider):
    response = api_as(outsider).get(project_url("HNR-ERP"))

    assert response.status_code == 404


def test_outsider_gets_404_on_project_patch_and_nothing_changes(api_as, project, pm, outsider):
    before = project_snapshot("HNR-ERP")

    response = api_as(outsider).patch(project_url("HNR-ERP"), {"name": "Taken"}, format="json")

    assert response.status_code == 404
    assert project_snapshot("HNR-ERP") == before


# --- Projects: update -----------------------------------------------------------------------


def test_pm_patch_changes_project_fields(api_as, project, pm):
    response = api_as(pm).patch(
        project_url("HNR-ERP"),
        {
            "name": "Hanoi Retail ERP v2",
            "target_go_live": "2026-11-02",
            "status": ProjectStatus.ON_HOLD,
            "time_zone": "Asia/Ho_Chi_Minh",
            "review_weekday": 3,
            "review_time": "14:30",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Hanoi Retail ERP v2"
    assert body["target_go_live"] == "2026-11-02"
    assert body["status"] == ProjectStatus.ON_HOLD
    assert body["time_zone"] == "Asia/Ho_Chi_Minh"
    assert body["review_weekday"] == 3
    assert body["review_time"] == "14:30:00"
    assert body["my_role"] == Role.PROJECT_MANAGER
    project.refresh_from_db()
    assert project.name == "Hanoi Retail ERP v2"
    assert project.target_go_live == datetime.date(2026, 11, 2)
    assert project.status == ProjectStatus.ON_HOLD
    assert project.time_zone == "Asia/Ho_Chi_Minh"
    assert project.review_weekday == 3
    assert project.review_time == datetime.time(14, 30)


def test_pm_patch_ignores_code_and_system_kind(api_as, project, pm):
    response = api_as(pm).patch(
        project_url("HNR-ERP"),
        {"code": "XXX-1", "system_kind": SystemKind.CRM, "name": "Renamed"},
        format="json",
    )

    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.code, project.system_kind, project.name) == (
        "HNR-ERP",
        SystemKind.ERP,
        "Renamed",
    )


@pytest.mark.parametrize("role", [Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER, Role.CONSULTANT])
def test_member_without_edit_capability_gets_403_on_patch_and_nothing_changes(
    api_as, project, members, role
):
    before = project_snapshot("HNR-ERP")

    response = api_as(members[role]).patch(
        project_url("HNR-ERP"), {"name": "Hijacked", "status": "closed"}, format="json"
    )

    assert response.status_code == 403
    assert project_snapshot("HNR-ERP") == before


def test_patch_with_go_live_before_start_gives_400_on_target_go_live(api_as, project, pm):
    before = project_snapshot("HNR-ERP")

    response = api_as(pm).patch(
        project_url("HNR-ERP"), {"target_go_live": "2025-12-31"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["target_go_live"]
    assert project_snapshot("HNR-ERP") == before


def test_patch_with_start_after_go_live_gives_400_on_target_go_live(api_as, project, pm):
    before = project_snapshot("HNR-ERP")

    response = api_as(pm).patch(project_url("HNR-ERP"), {"start_date": "2027-01-01"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["target_go_live"]
    assert project_snapshot("HNR-ERP") == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "dreaming"}, "status"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"review_weekday": 9}, "review_weekday"),
        ({"review_time": "25:99"}, "review_time"),
        ({"start_date": 12}, "start_date"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": ["x"]}, "name"),
        ({"target_go_live": {"a": 1}}, "target_go_live"),
    ],
)
def test_patch_with_bad_input_gives_400_keyed_by_field(api_as, project, pm, payload, field):
    before = project_snapshot("HNR-ERP")

    response = api_as(pm).patch(project_url("HNR-ERP"), payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert project_snapshot("HNR-ERP") == before


def test_patch_with_malformed_json_gives_400(api_as, project, pm):
    before = project_snapshot("HNR-ERP")

    response = api_as(pm).patch(
        project_url("HNR-ERP"), data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    assert project_snapshot("HNR-ERP") == before


# --- Projects: create -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system_kind", "checklist_items"),
    [(SystemKind.ERP, 38), (SystemKind.CRM, 38), (SystemKind.ERP_CRM, 43)],
)
def test_create_project_lays_out_phases_and_makes_creator_pm(
    api_as, creator, system_kind, checklist_items
):
    response = api_as(creator).post(
        PROJECTS_URL,
        create_payload(system_kind=system_kind, target_go_live="2026-08-03", actor_department="it"),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "NEW-ERP"
    assert body["system_kind"] == system_kind
    assert body["target_go_live"] == "2026-08-03"
    assert body["status"] == ProjectStatus.ACTIVE
    assert body["my_role"] == Role.PROJECT_MANAGER
    project = Project.objects.get(code="NEW-ERP")
    assert project.created_by == creator
    assert Phase.objects.filter(project=project).count() == 6
    assert ChecklistItem.objects.filter(phase__project=project).count() == checklist_items
    assert list(
        Membership.objects.filter(project=project).values_list("user", "role", "department")
    ) == [(creator.pk, Role.PROJECT_MANAGER, Department.IT)]


@pytest.mark.parametrize(
    ("system_kind", "go_live"),
    [
        (SystemKind.ERP, "2026-10-05"),
        (SystemKind.CRM, "2026-05-05"),
        (SystemKind.ERP_CRM, "2027-01-05"),
    ],
)
def test_create_project_without_go_live_uses_template_default(
    api_as, creator, system_kind, go_live
):
    response = api_as(creator).post(
        PROJECTS_URL, create_payload(system_kind=system_kind), format="json"
    )

    assert response.status_code == 201
    assert response.json()["target_go_live"] == go_live
    project = Project.objects.get(code="NEW-ERP")
    assert project.target_go_live == datetime.date.fromisoformat(go_live)
    assert Membership.objects.get(project=project).department == Department.OTHER


def test_superuser_can_create_project(api_as, superuser):
    response = api_as(superuser).post(PROJECTS_URL, create_payload(), format="json")

    assert response.status_code == 201
    assert Membership.objects.get(project__code="NEW-ERP").user == superuser


def test_create_project_without_permission_gives_403_and_creates_nothing(api_as, pm):
    before = Project.objects.count()

    response = api_as(pm).post(PROJECTS_URL, create_payload(), format="json")

    assert response.status_code == 403
    assert Project.objects.count() == before
    assert not Project.objects.filter(code="NEW-ERP").exists()
    assert Phase.objects.count() == 0


def test_create_project_with_missing_fields_gives_400_per_field(api_as, creator):
    response = api_as(creator).post(PROJECTS_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {
        "code",
        "name",
        "client_organisation",
        "system_kind",
        "start_date",
    }
    assert Project.objects.count() == 0


def test_create_project_with_duplicate_code_gives_400_on_code(api_as, project, creator):
    response = api_as(creator).post(PROJECTS_URL, create_payload(code="HNR-ERP"), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert Project.objects.filter(code="HNR-ERP").count() == 1
    assert Phase.objects.count() == 0


@pytest.mark.parametrize("code", ["X", "HAS SPACE", "BAD_CODE", "-LEADING", "A" * 21, ""])
def test_create_project_with_bad_code_gives_400_on_code(api_as, creator, code):
    response = api_as(creator).post(PROJECTS_URL, create_payload(code=code), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert Project.objects.count() == 0


def test_create_project_normalises_a_lowercase_code_like_the_page_form(api_as, creator):
    # The page form and services.project_create both upper-case the code; the API must too.
    response = api_as(creator).post(PROJECTS_URL, create_payload(code=" new-erp "), format="json")

    assert response.status_code == 201
    assert response.json()["code"] == "NEW-ERP"
    assert Project.objects.filter(code="NEW-ERP").count() == 1


def test_create_project_with_lowercase_duplicate_code_gives_400_on_code(api_as, project, creator):
    response = api_as(creator).post(PROJECTS_URL, create_payload(code="hnr-erp"), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert Project.objects.filter(code="HNR-ERP").count() == 1
    assert Phase.objects.count() == 0


def test_create_project_with_go_live_before_start_gives_400(api_as, creator):
    response = api_as(creator).post(
        PROJECTS_URL, create_payload(target_go_live="2025-01-01"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["target_go_live"]
    assert Project.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_date": 12}, "start_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"name": None}, "name"),
        ({"name": {"en": "x"}}, "name"),
        ({"system_kind": ["x"]}, "system_kind"),
        ({"system_kind": "sap"}, "system_kind"),
        ({"code": None}, "code"),
        ({"target_go_live": True}, "target_go_live"),
        ({"actor_department": "kitchen"}, "actor_department"),
        ({"review_weekday": "monday"}, "review_weekday"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
    ],
)
def test_create_project_with_garbage_types_gives_400_never_500(api_as, creator, overrides, field):
    response = api_as(creator).post(PROJECTS_URL, create_payload(**overrides), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Project.objects.count() == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "null", "{broken"])
def test_create_project_with_non_object_body_gives_400(api_as, creator, body):
    response = api_as(creator).post(PROJECTS_URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert Project.objects.count() == 0


def test_create_project_ignores_status_and_starts_active(api_as, creator):
    response = api_as(creator).post(
        PROJECTS_URL, create_payload(status=ProjectStatus.CLOSED), format="json"
    )

    assert response.status_code == 201
    assert Project.objects.get(code="NEW-ERP").status == ProjectStatus.ACTIVE


# --- Memberships ----------------------------------------------------------------------------


def test_membership_list_filtered_by_project_shows_that_team_only(api_as, project, members):
    pm = members[Role.PROJECT_MANAGER]
    elsewhere = MembershipFactory(user=pm, role=Role.VIEWER)

    response = api_as(pm).get(MEMBERSHIPS_URL, {"project": "HNR-ERP"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    assert {row["project"] for row in body["results"]} == {"HNR-ERP"}
    assert {row["user"]["username"]: row["role"] for row in body["results"]} == {
        user.username: role for role, user in members.items()
    }
    assert elsewhere.pk not in [row["pk"] for row in body["results"]]


def test_membership_list_without_filter_covers_all_callers_projects(api_as, project, pm):
    elsewhere = MembershipFactory(user=pm, role=Role.VIEWER)
    teammate = MembershipFactory(project=elsewhere.project, role=Role.IT)
    MembershipFactory(role=Role.IT)  # a project pm is not on

    response = api_as(pm).get(MEMBERSHIPS_URL)

    assert response.status_code == 200
    pks = {row["pk"] for row in response.json()["results"]}
    assert pks == {
        Membership.objects.get(project=project, user=pm).pk,
        elsewhere.pk,
        teammate.pk,
    }


def test_membership_row_has_project_code_and_user_summary(api_as, project, pm):
    response = api_as(pm).get(MEMBERSHIPS_URL, {"project": "HNR-ERP"})

    row = response.json()["results"][0]
    membership = Membership.objects.get(project=project, user=pm)
    assert row["pk"] == membership.pk
    assert row["project"] == "HNR-ERP"
    assert row["role"] == Role.PROJECT_MANAGER
    assert row["department"] == Department.MANAGEMENT
    assert row["user"] == {
        "pk": pm.pk,
        "username": pm.username,
        "display_name": pm.get_full_name(),
        "email": pm.email,
    }


def test_outsider_listing_a_hidden_projects_team_gets_an_empty_result(
    api_as, project, members, outsider
):
    response = api_as(outsider).get(MEMBERSHIPS_URL, {"project": "HNR-ERP"})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_outsider_gets_404_on_membership_retrieve(api_as, project, pm, outsider):
    membership = Membership.objects.get(project=project, user=pm)

    response = api_as(outsider).get(membership_url(membership))

    assert response.status_code == 404


def test_pm_adds_a_member(api_as, project, pm):
    newcomer = UserFactory()

    response = api_as(pm).post(
        MEMBERSHIPS_URL,
        {
            "project": "HNR-ERP",
            "user": newcomer.username,
            "role": Role.KEY_USER,
            "department": Department.WAREHOUSE,
        },
        format="json",
    )

    assert response.status_code == 201
    membership = Membership.objects.get(project=project, user=newcomer)
    assert (membership.role, membership.department) == (Role.KEY_USER, Department.WAREHOUSE)
    body = response.json()
    assert body["pk"] == membership.pk
    assert body["project"] == "HNR-ERP"
    assert body["user"]["username"] == newcomer.username
    assert body["role"] == Role.KEY_USER
    assert body["department"] == Department.WAREHOUSE


def test_adding_someone_already_on_the_team_gives_400_with_detail(api_as, project, pm, viewer):
    before = list(Membership.objects.filter(project=project).values())

    response = api_as(pm).post(
        MEMBERSHIPS_URL,
        {
            "project": "HNR-ERP",
            "user": viewer.username,
            "role": Role.KEY_USER,
            "department": Department.SALES,
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    assert list(Membership.objects.filter(project=project).values()) == before


def test_adding_to_unknown_or_hidden_project_gives_the_same_400_on_project(
    api_as, project, pm, outsider
):
    newcomer = UserFactory()
    before = Membership.objects.count()

    def add(code):
        return api_as(outsider).post(
            MEMBERSHIPS_URL,
            {
                "project": code,
                "user": newcomer.username,
                "role": Role.VIEWER,
                "department": Department.OTHER,
            },
            format="json",
        )

    hidden = add("HNR-ERP")
    unknown = add("NOPE-1")

    assert hidden.status_code == unknown.status_code == 400
    assert list(hidden.json()) == ["project"]
    assert hidden.json() == unknown.json()
    assert Membership.objects.count() == before
    assert not Membership.objects.filter(user=newcomer).exists()


def test_adding_an_unknown_username_gives_400_on_user(api_as, project, pm):
    before = Membership.objects.count()

    response = api_as(pm).post(
        MEMBERSHIPS_URL,
        {
            "project": "HNR-ERP",
            "user": "nobody-here",
            "role": Role.VIEWER,
            "department": Department.OTHER,
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert Membership.objects.count() == before


def test_adding_with_missing_and_bad_fields_gives_400_per_field(api_as, project, pm):
    before = Membership.objects.count()

    # The project is read first: it decides whether the caller may add anyone at all.
    bad_project = api_as(pm).post(
        MEMBERSHIPS_URL, {"project": ["HNR-ERP"], "role": "boss", "department": 7}, format="json"
    )
    bad_rest = api_as(pm).post(
        MEMBERSHIPS_URL, {"project": "HNR-ERP", "role": "boss", "department": 7}, format="json"
    )

    assert bad_project.status_code == 400
    assert set(bad_project.json()) == {"project"}
    assert bad_rest.status_code == 400
    assert set(bad_rest.json()) == {"user", "role", "department"}
    assert Membership.objects.count() == before


@pytest.mark.parametrize(
    "role", [Role.CONSULTANT, Role.IT, Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
)
def test_member_without_manage_team_gets_403_on_add(api_as, project, members, role):
    newcomer = UserFactory()
    before = Membership.objects.count()

    response = api_as(members[role]).post(
        MEMBERSHIPS_URL,
        {
            "project": "HNR-ERP",
            "user": newcomer.username,
            "role": Role.PROJECT_MANAGER,
            "department": Department.OTHER,
        },
        format="json",
    )

    assert response.status_code == 403
    assert Membership.objects.count() == before
    assert not Membership.objects.filter(user=newcomer).exists()


def test_pm_changes_a_members_role_and_department(api_as, project, pm, pilot_user):
    membership = Membership.objects.get(project=project, user=pilot_user)

    response = api_as(pm).patch(
        membership_url(membership),
        {"role": Role.KEY_USER, "department": Department.PURCHASING},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["role"] == Role.KEY_USER
    assert response.json()["department"] == Department.PURCHASING
    assert response.json()["project"] == "HNR-ERP"
    membership.refresh_from_db()
    assert (membership.role, membership.department) == (Role.KEY_USER, Department.PURCHASING)


def test_pm_patch_of_role_only_keeps_department(api_as, project, pm, key_user):
    membership = Membership.objects.get(project=project, user=key_user)

    response = api_as(pm).patch(membership_url(membership), {"role": Role.IT}, format="json")

    assert response.status_code == 200
    membership.refresh_from_db()
    assert (membership.role, membership.department) == (Role.IT, Department.ACCOUNTING_FINANCE)


def test_pm_patch_with_unknown_role_gives_400(api_as, project, pm, key_user):
    membership = Membership.objects.get(project=project, user=key_user)

    response = api_as(pm).patch(membership_url(membership), {"role": "boss"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["role"]
    membership.refresh_from_db()
    assert membership.role == Role.KEY_USER


def test_demoting_the_last_project_manager_gives_400_and_keeps_the_role(api_as, project, pm):
    membership = Membership.objects.get(project=project, user=pm)

    response = api_as(pm).patch(membership_url(membership), {"role": Role.VIEWER}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    membership.refresh_from_db()
    assert membership.role == Role.PROJECT_MANAGER


def test_demoting_a_project_manager_works_when_another_remains(api_as, project, pm):
    second = MembershipFactory(project=project, role=Role.PROJECT_MANAGER)

    response = api_as(pm).patch(membership_url(second), {"role": Role.VIEWER}, format="json")

    assert response.status_code == 200
    second.refresh_from_db()
    assert second.role == Role.VIEWER


def test_deleting_the_last_project_manager_gives_400_and_keeps_the_seat(api_as, project, pm):
    membership = Membership.objects.get(project=project, user=pm)

    response = api_as(pm).delete(membership_url(membership))

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    assert Membership.objects.filter(pk=membership.pk, role=Role.PROJECT_MANAGER).exists()


def test_pm_removes_a_member(api_as, project, pm, viewer):
    membership = Membership.objects.get(project=project, user=viewer)

    response = api_as(pm).delete(membership_url(membership))

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER])
def test_member_without_manage_team_gets_403_on_change_and_remove(api_as, project, members, role):
    target = Membership.objects.get(project=project, user=members[Role.KEY_USER])
    client = api_as(members[role])

    patched = client.patch(membership_url(target), {"role": Role.VIEWER}, format="json")
    deleted = client.delete(membership_url(target))

    assert patched.status_code == 403
    assert deleted.status_code == 403
    target.refresh_from_db()
    assert (target.role, target.department) == (Role.KEY_USER, Department.ACCOUNTING_FINANCE)


def test_outsider_gets_404_on_membership_patch_and_delete(api_as, project, pm, viewer, outsider):
    target = Membership.objects.get(project=project, user=viewer)
    client = api_as(outsider)

    patched = client.patch(membership_url(target), {"role": Role.PROJECT_MANAGER}, format="json")
    deleted = client.delete(membership_url(target))

    assert patched.status_code == 404
    assert deleted.status_code == 404
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_membership_put_is_not_allowed(api_as, project, pm, viewer):
    target = Membership.objects.get(project=project, user=viewer)

    response = api_as(pm).put(
        membership_url(target),
        {"role": Role.IT, "department": Department.IT},
        format="json",
    )

    assert response.status_code == 405
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_project_delete_is_not_allowed(api_as, project, pm):
    response = api_as(pm).delete(project_url("HNR-ERP"))

    assert response.status_code == 405
    assert Project.objects.filter(code="HNR-ERP").exists()


# --- Query counts ---------------------------------------------------------------------------


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(context.captured_queries), response.json()["count"]


def test_project_list_query_count_does_not_grow_with_rows(api_as, db):
    user = UserFactory()
    client = api_as(user)
    for _ in range(2):
        MembershipFactory(user=user, role=Role.CONSULTANT)

    few, few_rows = count_queries(client, PROJECTS_URL)

    for _ in range(18):
        MembershipFactory(user=user, role=Role.CONSULTANT)

    many, many_rows = count_queries(client, PROJECTS_URL)

    assert (few_rows, many_rows) == (2, 20)
    assert many == few


def test_membership_list_query_count_does_not_grow_with_rows(api_as, project, pm):
    client = api_as(pm)
    MembershipFactory(project=project, role=Role.VIEWER)

    few, few_rows = count_queries(client, MEMBERSHIPS_URL)

    for _ in range(9):
        MembershipFactory(project=project, role=Role.KEY_USER)
    for _ in range(9):
        other = MembershipFactory(user=pm, role=Role.VIEWER)  # another project each time
        assert other.project != project

    many, many_rows = count_queries(client, MEMBERSHIPS_URL)

    assert (few_rows, many_rows) == (2, 20)
    assert many == few


# --- Schema and docs ------------------------------------------------------------------------


def test_schema_is_an_openapi_3_document_with_project_and_membership_paths(api_client, db):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Rollout API"
    paths = schema["paths"]
    assert set(paths["/api/v1/projects/"]) == {"get", "post"}
    assert set(paths["/api/v1/projects/{code}/"]) == {"get", "patch"}
    assert set(paths["/api/v1/memberships/"]) == {"get", "post"}
    assert set(paths["/api/v1/memberships/{id}/"]) == {"get", "patch", "delete"}
    assert "/api/v1/auth/token/" in paths


def test_schema_default_format_is_yaml(api_client, db):
    response = api_client.get("/api/schema/")

    assert response.status_code == 200
    assert response.content.decode().startswith("openapi: 3.")


def test_api_docs_page_loads_assets_from_static_not_external_hosts(api_client, db):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets
    assert [a for a in assets if re.match(r"(https?:)?//", a)] == []
    assert any(a.startswith("/static/drf_spectacular_sidecar/") for a in assets)
    assert "/api/schema/" in html


def test_member_without_rights_gets_403_even_for_bad_input(api_as, project, pilot_user):
    patched = api_as(pilot_user).patch(
        f"{PROJECTS_URL}HNR-ERP/", {"time_zone": "Mars/Base"}, format="json"
    )
    added = api_as(pilot_user).post(
        MEMBERSHIPS_URL, {"project": "HNR-ERP", "user": "nobody-at-all"}, format="json"
    )

    assert patched.status_code == 403
    assert added.status_code == 403
