"""Readiness and go-live plan API: the seven criteria with their numbers and reasons, the
panel's rows and training coverage per department, `ready` overall; the go-live plan read
with its defaults and changed by the project manager only; outsiders 404, anonymous 401,
bad input 400 and nothing saved; and the OpenAPI schema with every go-live endpoint,
generated without a warning."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.models import GoLivePlan
from implementation.readiness import CRITERIA
from implementation.services import golive
from projects.choices import Department, Role
from tests.golive.factories import (
    a_load,
    a_task,
    an_object,
    make_ready,
    team_project,
    trained_end_users,
)
from uat import snapshots

READINESS = "/api/v1/readiness/"
PLANS = "/api/v1/go-live-plans/"
PDF = b"%PDF-1.4 test"


@pytest.fixture(autouse=True)
def _pdf_renderer(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", lambda signoff: PDF)


@pytest.fixture
def team(db):
    """A project going live in three weeks, with one member per role."""
    today = timezone.localdate()
    return team_project(
        start_date=today - datetime.timedelta(days=200),
        target_go_live=today + datetime.timedelta(days=21),
    )


def plan_row(project) -> dict | None:
    return GoLivePlan.objects.filter(project=project).values().first()


# --- Readiness --------------------------------------------------------------------------------


def test_an_empty_project_is_not_ready_with_reasons(api_as, project, viewer):
    response = api_as(viewer).get(f"{READINESS}{project.code.lower()}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["project"], body["ready"]) == (project.code, False)
    assert [c["key"] for c in body["criteria"]] == list(CRITERIA)
    first = body["criteria"][0]
    assert first == {
        "key": "uat_signed",
        "label": snapshots.criterion_label("uat_signed"),
        "met": False,
        "actual": 0,
        "threshold": 1,
        "reasons": ["No UAT sign-off is signed yet."],
    }
    training = next(c for c in body["criteria"] if c["key"] == "training_coverage")
    assert (training["actual"], training["threshold"], training["reasons"]) == (
        "0",
        "90",
        ["No end users are listed for training."],
    )
    assert body["training"] == {
        "threshold": "90.00",
        "departments": [],
        "total": {"planned": 0, "trained": 0, "percent": "0.0"},
    }
    assert body["migration"] == body["cutover_tasks"] == body["hypercare_team"] == []
    assert body["rehearsal"] is None


def test_a_project_with_everything_done_is_ready(api_as, team):
    project, people = team
    make_ready(project, people)

    body = api_as(people[Role.EXECUTIVE]).get(f"{READINESS}{project.code}/").json()

    assert body["ready"] is True
    assert all(c["met"] and c["reasons"] == [] for c in body["criteria"])
    assert [row["signed_off"] for row in body["migration"]] == [True]
    assert body["rehearsal"]["outcome"] == "successful"
    assert [m["role"] for m in body["hypercare_team"]] == ["it"]
    assert [s["status"] for s in body["uat_signoffs"]] == ["signed"]
    assert body["kpis_without_baseline"] == []


def test_the_panel_rows_and_training_coverage_per_department(api_as, team):
    project, people = team
    pm, it, owner = people[Role.PROJECT_MANAGER], people[Role.IT], people[Role.KEY_USER]
    obj = an_object(project, owner, it, name="Items")
    a_load(obj, it, source_count=100, loaded_count=80, rejected_count=20)
    a_task(project, it, title="Switch off interfaces", owner=None)
    trained_end_users(project, pm, department=Department.SALES, count=10, trained=9)
    trained_end_users(project, pm, department=Department.WAREHOUSE, count=4, trained=2)

    body = api_as(people[Role.PILOT_USER]).get(f"{READINESS}{project.code}/").json()

    assert body["training"]["departments"] == [
        {
            "department": "sales",
            "department_label": "Sales",
            "planned": 10,
            "trained": 9,
            "percent": "90.0",
            "met": True,
        },
        {
            "department": "warehouse",
            "department_label": "Warehouse",
            "planned": 4,
            "trained": 2,
            "percent": "50.0",
            "met": False,
        },
    ]
    assert body["training"]["total"] == {"planned": 14, "trained": 11, "percent": "78.5"}
    coverage = next(c for c in body["criteria"] if c["key"] == "training_coverage")
    assert (coverage["met"], coverage["actual"]) == (False, "50")
    assert len(coverage["reasons"]) == 1
    assert body["migration"] == [
        {
            "name": "Items",
            "owner": owner.get_full_name() or owner.username,
            "load": 1,
            "kind": "mock",
            "reconciliation": "failed",
            "signed_off": False,
            "source": 100,
            "loaded": 80,
            "rejected": 20,
        }
    ]
    task = body["cutover_tasks"][0]
    assert (task["number"], task["title"], task["owner"]) == (1, "Switch off interfaces", None)
    cutover = next(c for c in body["criteria"] if c["key"] == "cutover_ready")
    assert (cutover["actual"], cutover["threshold"]) == (0, 1)
    assert "1 cutover task has no owner." in cutover["reasons"]


def test_readiness_is_read_only(api_as, project, pm):
    client = api_as(pm)

    assert client.post(f"{READINESS}{project.code}/", {}, format="json").status_code == 405
    assert client.patch(f"{READINESS}{project.code}/", {}, format="json").status_code == 405
    assert client.get(READINESS).status_code == 404


def test_readiness_of_a_hidden_or_unknown_project_is_404(api_as, project, pm, outsider):
    assert api_as(outsider).get(f"{READINESS}{project.code}/").status_code == 404
    assert api_as(pm).get(f"{READINESS}NO-SUCH/").status_code == 404
    assert api_as(pm).get(f"{READINESS}bad%20code/").status_code == 404


def test_readiness_query_count_does_not_grow(api_as, team):
    project, people = team
    pm, it = people[Role.PROJECT_MANAGER], people[Role.IT]
    client = api_as(pm)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{READINESS}{project.code}/").status_code == 200
        return len(captured)

    counts = []
    for size in (2, 20):
        for number in range(size // 2):
            a_load(an_object(project, pm, it, name=f"Object {size}-{number}"), it)
            a_task(project, it, title=f"Task {size}-{number}")
        trained_end_users(project, pm, department=Department.SALES, count=size, trained=1)
        counts.append(count())

    assert counts[0] == counts[1]


# --- The go-live plan -------------------------------------------------------------------------


def test_a_plan_never_saved_reads_with_its_defaults_and_is_not_saved(api_as, project, viewer):
    response = api_as(viewer).get(f"{PLANS}{project.code}/")

    assert response.status_code == 200
    assert response.json() == {
        "project": project.code,
        "training_threshold": "90.00",
        "legacy_freeze_at": None,
        "rollback_decision_at": None,
        "rollback_criteria": "",
        "support_plan": "",
        "updated_by": None,
        "updated_at": None,
    }
    assert plan_row(project) is None


def test_the_project_manager_changes_the_plan(api_as, project, pm, executive):
    response = api_as(pm).patch(
        f"{PLANS}{project.code}/",
        {
            "training_threshold": "85",
            "legacy_freeze_at": "2026-10-02T18:00:00+07:00",
            "rollback_decision_at": "2026-10-04T12:00:00+07:00",
            "rollback_criteria": "Invoices cannot be posted.",
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["updated_by"] == pm.username
    plan = GoLivePlan.objects.get(project=project)
    assert (plan.training_threshold, plan.rollback_criteria, plan.updated_by) == (
        Decimal(85),
        "Invoices cannot be posted.",
        pm,
    )
    assert plan.legacy_freeze_at == datetime.datetime(2026, 10, 2, 11, tzinfo=datetime.UTC)
    read = api_as(executive).get(f"{PLANS}{project.code}/").json()
    assert (read["training_threshold"], read["support_plan"]) == ("85.00", "")
    readiness = api_as(executive).get(f"{READINESS}{project.code}/").json()
    assert readiness["training"]["threshold"] == "85.00"


@pytest.mark.parametrize("role", list(Role))
def test_change_the_plan_by_role(api_as, project, members, role):
    response = api_as(members[role]).patch(
        f"{PLANS}{project.code}/", {"support_plan": "Hotline 8-18"}, format="json"
    )

    assert response.status_code == (200 if role == Role.PROJECT_MANAGER else 403)
    row = plan_row(project)
    assert (row and row["support_plan"]) == (
        "Hotline 8-18" if role == Role.PROJECT_MANAGER else None
    )


def test_a_member_without_the_capability_gets_403_before_the_input_is_read(
    api_as, project, consultant
):
    response = api_as(consultant).patch(
        f"{PLANS}{project.code}/", {"training_threshold": "-5"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"training_threshold": "-1"}, {"training_threshold"}),
        ({"training_threshold": "100.5"}, {"training_threshold"}),
        ({"training_threshold": "ninety"}, {"training_threshold"}),
        ({"legacy_freeze_at": "friday night"}, {"legacy_freeze_at"}),
        ({"legacy_freeze_at": "2026-02-30T18:00:00Z"}, {"legacy_freeze_at"}),
        ({"rollback_decision_at": "9999-12-31T23:59:59-12:00"}, {"rollback_decision_at"}),
        ({"legacy_freeze_at": "2999-01-01T00:00:00Z"}, {"legacy_freeze_at"}),
        (
            {
                "legacy_freeze_at": "2026-10-04T18:00:00Z",
                "rollback_decision_at": "2026-10-03T18:00:00Z",
            },
            {"rollback_decision_at"},
        ),
        ({"support_plan": ["a"]}, {"support_plan"}),
        ([], {"non_field_errors"}),
        ("text", {"non_field_errors"}),
    ],
)
def test_bad_plan_input_is_400_and_saves_nothing(api_as, project, pm, body, fields):
    response = api_as(pm).patch(f"{PLANS}{project.code}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert plan_row(project) is None


def test_a_bad_change_leaves_a_saved_plan_as_it_was(api_as, project, pm):
    golive.golive_plan_update(actor=pm, project=project, support_plan="Hotline")
    before = plan_row(project)

    response = api_as(pm).patch(
        f"{PLANS}{project.code}/",
        {"support_plan": "Chat", "training_threshold": "200"},
        format="json",
    )

    assert response.status_code == 400
    assert plan_row(project) == before


def test_plans_are_not_put_listed_or_deleted(api_as, project, pm):
    client = api_as(pm)

    assert client.put(f"{PLANS}{project.code}/", {}, format="json").status_code == 405
    assert client.delete(f"{PLANS}{project.code}/").status_code == 405
    assert client.get(PLANS).status_code == 404


def test_outsiders_get_404_for_the_plan(api_as, project, pm, outsider):
    client = api_as(outsider)

    assert client.get(f"{PLANS}{project.code}/").status_code == 404
    body = {"support_plan": "Mine"}
    assert client.patch(f"{PLANS}{project.code}/", body, format="json").status_code == 404
    assert plan_row(project) is None


def test_anonymous_clients_get_401(api_client, project, pm):
    assert api_client.get(f"{READINESS}{project.code}/").status_code == 401
    assert api_client.get(f"{PLANS}{project.code}/").status_code == 401
    body = {"support_plan": "x"}
    assert api_client.patch(f"{PLANS}{project.code}/", body, format="json").status_code == 401
    assert plan_row(project) is None


# --- Schema -----------------------------------------------------------------------------------


def test_schema_documents_the_go_live_endpoints(api_client, db):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    expected = {
        "/api/v1/migration-objects/": {"get", "post"},
        "/api/v1/migration-objects/{id}/": {"get", "patch"},
        "/api/v1/migration-loads/": {"get", "post"},
        "/api/v1/migration-loads/{id}/": {"get", "patch"},
        "/api/v1/migration-loads/{id}/sign-off/": {"post"},
        "/api/v1/cutover-tasks/": {"get", "post"},
        "/api/v1/cutover-tasks/{id}/": {"get", "patch"},
        "/api/v1/cutover-tasks/{id}/move/": {"post"},
        "/api/v1/cutover-rehearsals/": {"get", "post"},
        "/api/v1/cutover-rehearsals/{id}/": {"get"},
        "/api/v1/communication-activities/": {"get", "post"},
        "/api/v1/communication-activities/{id}/": {"get", "patch"},
        "/api/v1/end-users/": {"get", "post"},
        "/api/v1/end-users/{id}/": {"get", "patch"},
        "/api/v1/end-users/import/": {"post"},
        "/api/v1/training-sessions/": {"get", "post"},
        "/api/v1/training-sessions/{id}/": {"get", "patch"},
        "/api/v1/training-sessions/{id}/invite/": {"post"},
        "/api/v1/training-sessions/{id}/attendance/": {"post"},
        "/api/v1/readiness/{code}/": {"get"},
        "/api/v1/go-live-plans/{code}/": {"get", "patch"},
    }
    assert {path: set(paths[path]) for path in expected} == expected
    load_filters = {p["name"] for p in paths["/api/v1/migration-loads/"]["get"]["parameters"]}
    assert {"project", "object"} <= load_filters


def test_the_schema_is_valid_and_generated_without_warnings(tmp_path, db):
    # --fail-on-warn turns any warning (a name collision, a field it cannot type) into an
    # error, so a new serializer that makes the schema ambiguous fails here.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    assert "LoadKindEnum" in (tmp_path / "schema.yaml").read_text()
