import pytest

from tests.factories import ProjectFactory
from tests.uat.test_scenarios_helpers import make_scenario, snapshot, steps_of
from uat import models

LIST = "/api/v1/test-scenarios/"


def detail(scenario):
    return f"{LIST}{scenario.pk}/"


def body(**overrides):
    return {
        "project": "HNR-ERP",
        "code": "UAT-SAL-01",
        "title": "Quotation to order",
        "module": "Sales",
        "department": "sales",
        "priority": "high",
        "steps": [
            {"action": "Create a quotation", "expected_result": "Saved"},
            {"action": "Convert", "expected_result": "Order"},
        ],
    } | overrides


def test_list_filters_by_project_and_department(project, viewer, api_as):
    make_scenario(project, code="UAT-FIN-01")
    make_scenario(project, code="UAT-SAL-01", department="sales")
    make_scenario(ProjectFactory(), code="UAT-OTHER")

    response = api_as(viewer).get(LIST, {"project": "hnr-erp", "department": "sales"})

    assert response.status_code == 200
    assert [item["code"] for item in response.json()["results"]] == ["UAT-SAL-01"]


def test_retrieve_gives_the_steps_in_order(project, viewer, api_as):
    scenario = make_scenario(project, code="UAT-FIN-01", steps=2)

    response = api_as(viewer).get(detail(scenario))

    assert response.status_code == 200
    data = response.json()
    assert data["project"] == "HNR-ERP"
    assert data["configuration_change"] is None
    assert data["steps"] == [
        {"position": 1, "action": "Do 1", "expected_result": "See 1"},
        {"position": 2, "action": "Do 2", "expected_result": "See 2"},
    ]


def test_a_non_numeric_pk_is_404(project, viewer, api_as):
    assert api_as(viewer).get(f"{LIST}abc/").status_code == 404


@pytest.mark.parametrize("role", ["pm", "consultant", "key_user"])
def test_writers_create_a_scenario(request, project, api_as, role):
    response = api_as(request.getfixturevalue(role)).post(LIST, body(), format="json")

    assert response.status_code == 201
    scenario = models.TestScenario.objects.get()
    assert response.json()["pk"] == scenario.pk
    assert steps_of(scenario) == [(1, "Create a quotation", "Saved"), (2, "Convert", "Order")]


@pytest.mark.parametrize("role", ["it_member", "pilot_user", "executive", "viewer"])
def test_members_without_manage_tests_get_403_before_input_checks(request, project, api_as, role):
    scenario = make_scenario(project)
    client = api_as(request.getfixturevalue(role))
    before = snapshot()

    created = client.post(LIST, {"project": "HNR-ERP", "steps": "nonsense"}, format="json")
    changed = client.patch(detail(scenario), {"steps": "nonsense"}, format="json")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert snapshot() == before


def test_outsider_gets_404_and_nothing_changes(project, outsider, api_as):
    scenario = make_scenario(project)
    client = api_as(outsider)
    before = snapshot()

    assert client.get(detail(scenario)).status_code == 404
    assert client.patch(detail(scenario), {"title": "Mine"}, format="json").status_code == 404
    created = client.post(LIST, body(), format="json")
    assert created.status_code == 400
    assert created.json() == {"project": ["No such project."]}
    assert client.get(LIST).json()["results"] == []
    assert snapshot() == before


def test_bad_input_answers_400_with_field_keys(project, pm, api_as):
    response = api_as(pm).post(
        LIST, body(priority="urgent", steps=[], configuration_change=99), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"priority", "steps", "configuration_change"}
    assert models.TestScenario.objects.count() == 0


def test_create_with_a_used_code_answers_400_on_code(project, pm, api_as):
    make_scenario(project, code="UAT-SAL-01")

    response = api_as(pm).post(LIST, body(), format="json")

    assert response.status_code == 400
    assert response.json() == {"code": ["This project already has a scenario UAT-SAL-01."]}


def test_partial_update_keeps_the_rest_and_replaces_steps_when_given(project, key_user, api_as):
    scenario = make_scenario(project, code="UAT-FIN-01", steps=3, title="Old")
    client = api_as(key_user)

    renamed = client.patch(detail(scenario), {"title": "New"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "New"
    assert len(renamed.json()["steps"]) == 3

    restepped = client.patch(
        detail(scenario), {"steps": [{"action": "A", "expected_result": "B"}]}, format="json"
    )

    assert restepped.status_code == 200
    assert restepped.json()["steps"] == [{"position": 1, "action": "A", "expected_result": "B"}]
    scenario.refresh_from_db()
    assert (scenario.title, scenario.code) == ("New", "UAT-FIN-01")


@pytest.mark.parametrize("count", [2, 20])
def test_list_query_count_does_not_grow(project, pm, api_as, count, django_assert_num_queries):
    for n in range(count):
        make_scenario(project, code=f"UAT-{n:02d}")
    client = api_as(pm)

    with django_assert_num_queries(3):
        response = client.get(LIST, {"project": "HNR-ERP"})

    assert response.json()["count"] == count


def test_schema_documents_the_endpoint(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert "/api/v1/test-scenarios/{id}/" in response.content.decode()
