import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.uat.test_scenarios_helpers import make_scenario, snapshot, steps_of
from tests.uat.test_scenarios_import import csv_bytes, row
from uat import models

WRITERS = ["pm", "consultant", "key_user"]
READERS_ONLY = ["it_member", "pilot_user", "executive", "viewer"]


def url(name, project, *args):
    return reverse(f"uat:{name}", args=[project.code, *args])


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides):
    data = {
        "code": "UAT-SAL-01",
        "title": "Quotation to order",
        "module": "Sales",
        "department": "sales",
        "priority": "medium",
        "preconditions": "",
        "requirement_reference": "",
        "configuration_change": "",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "200",
        "steps-0-action": "Create a quotation",
        "steps-0-expected_result": "Saved",
        "steps-1-action": "",
        "steps-1-expected_result": "",
        "steps-2-action": "Convert",
        "steps-2-expected_result": "Order",
    }
    return data | overrides


def test_list_shows_the_project_scenarios(project, viewer):
    make_scenario(project, code="UAT-FIN-01", title="Close the month")

    response = as_user(viewer).get(url("scenario-list", project))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" in content
    assert "Close the month" in content
    assert url("scenario-import", project) not in content


def test_list_filters_and_answers_htmx_with_the_results_fragment(project, pm):
    make_scenario(project, code="UAT-FIN-01", title="Close the month")
    make_scenario(project, code="UAT-SAL-01", title="Quote", department="sales")

    response = as_user(pm).get(
        url("scenario-list", project) + "?department=sales", HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="results"')
    assert "UAT-SAL-01" in content
    assert "UAT-FIN-01" not in content
    assert "HX-Request" in response.headers["Vary"]


def test_list_searches_free_text(project, pm):
    make_scenario(project, code="UAT-FIN-01", title="Close the month")
    make_scenario(project, code="UAT-SAL-01", title="Quote", module="Sales")

    content = as_user(pm).get(url("scenario-list", project) + "?q=month").content.decode()

    assert "UAT-FIN-01" in content
    assert "UAT-SAL-01" not in content


def test_list_pages_by_25(project, pm):
    for n in range(26):
        make_scenario(project, code=f"UAT-{n:02d}", steps=1)

    response = as_user(pm).get(url("scenario-list", project) + "?page=2")

    assert list(response.context["page"].object_list) == [
        models.TestScenario.objects.get(code="UAT-25")
    ]


@pytest.mark.parametrize("count", [2, 20])
def test_list_query_count_does_not_grow(project, pm, count, django_assert_num_queries):
    for n in range(count):
        make_scenario(project, code=f"UAT-{n:02d}")
    client = as_user(pm)
    client.get(url("scenario-list", project))  # warm the session

    with django_assert_num_queries(5):
        client.get(url("scenario-list", project))


def test_create_saves_the_scenario_and_skips_empty_rows(project, key_user):
    response = as_user(key_user).post(url("scenario-create", project), form_data())

    scenario = models.TestScenario.objects.get()
    assert response.status_code == 302
    assert response.url == url("scenario-detail", project, scenario.pk)
    assert steps_of(scenario) == [(1, "Create a quotation", "Saved"), (2, "Convert", "Order")]


def test_create_without_steps_answers_422(project, pm):
    data = form_data(
        **{
            "steps-0-action": "",
            "steps-0-expected_result": "",
            "steps-2-action": "",
            "steps-2-expected_result": "",
        }
    )

    response = as_user(pm).post(url("scenario-create", project), data)

    assert response.status_code == 422
    assert "Give at least one step." in response.content.decode()
    assert models.TestScenario.objects.count() == 0


def test_create_with_a_used_code_answers_422(project, pm):
    make_scenario(project, code="UAT-SAL-01")

    response = as_user(pm).post(url("scenario-create", project), form_data())

    assert response.status_code == 422
    assert "This project already has a scenario UAT-SAL-01." in response.content.decode()
    assert models.TestScenario.objects.count() == 1


def test_more_step_rows_adds_rows_without_saving(project, pm):
    response = as_user(pm).post(url("scenario-create", project), form_data(more_steps="1"))

    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 6
    assert models.TestScenario.objects.count() == 0


def test_edit_replaces_the_steps(project, consultant):
    scenario = make_scenario(project, code="UAT-SAL-01", steps=4)
    client = as_user(consultant)
    page = client.get(url("scenario-edit", project, scenario.pk))
    assert page.status_code == 200
    assert len(page.context["formset"].forms) == 7

    response = client.post(
        url("scenario-edit", project, scenario.pk),
        form_data(**{"steps-2-action": "", "steps-2-expected_result": ""}),
    )

    assert response.status_code == 302
    assert steps_of(scenario) == [(1, "Create a quotation", "Saved")]


def test_detail_shows_the_steps_in_order(project, viewer):
    scenario = make_scenario(project, steps=2)

    response = as_user(viewer).get(url("scenario-detail", project, scenario.pk))

    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Do 1") < content.index("Do 2")


def test_detail_of_another_project_scenario_is_404(project, pm):
    from tests.factories import ProjectFactory

    other = make_scenario(ProjectFactory(), code="UAT-X")

    assert as_user(pm).get(url("scenario-detail", project, other.pk)).status_code == 404


def test_import_success_redirects_with_counts(project, pm):
    upload = io.BytesIO(csv_bytes([row(step="1"), row(step="2")]))
    upload.name = "scenarios.csv"

    response = as_user(pm).post(url("scenario-import", project), {"file": upload}, follow=True)

    assert response.redirect_chain == [(url("scenario-list", project), 302)]
    assert "Import done: 1 scenarios created, 0 updated, 2 steps written." in (
        response.content.decode()
    )


def test_import_errors_answer_422_with_a_table(project, pm):
    upload = io.BytesIO(csv_bytes([row(step="x")]))
    upload.name = "scenarios.csv"

    response = as_user(pm).post(url("scenario-import", project), {"file": upload})

    assert response.status_code == 422
    content = response.content.decode()
    assert 'id="import-problems"' in content
    assert "The step number must be a whole number from 1 to 32767." in content
    assert models.TestScenario.objects.count() == 0


def test_import_without_a_file_answers_422(project, pm):
    assert as_user(pm).post(url("scenario-import", project), {}).status_code == 422


def test_exports_download_in_the_import_format(project, viewer):
    make_scenario(project, code="UAT-FIN-01", steps=2)
    client = as_user(viewer)

    csv_response = client.get(url("scenario-export-csv", project))
    xlsx_response = client.get(url("scenario-export-xlsx", project))

    assert csv_response.status_code == 200
    lines = b"".join(csv_response.streaming_content).decode().splitlines()
    assert lines[0] == "\ufeff" + ",".join(models_columns())
    assert len(lines) == 3
    assert xlsx_response.status_code == 200
    assert xlsx_response["Content-Disposition"].startswith(
        'attachment; filename="HNR-ERP-test-scenarios-'
    )


def models_columns():
    from uat.scenario_io import COLUMNS

    return COLUMNS


# --- Access for every role ------------------------------------------------------------------

READ_PAGES = ["scenario-list", "scenario-detail", "scenario-export-csv", "scenario-export-xlsx"]
WRITE_PAGES = ["scenario-create", "scenario-edit", "scenario-import"]


def _page(name, project, scenario):
    return url(name, project, scenario.pk) if "pk" in _args(name) else url(name, project)


def _args(name):
    return ["pk"] if name in {"scenario-detail", "scenario-edit"} else []


@pytest.mark.parametrize("name", READ_PAGES + WRITE_PAGES)
@pytest.mark.parametrize("role", WRITERS + READERS_ONLY)
def test_members_get_pages_by_capability(request, project, role, name):
    scenario = make_scenario(project)
    user = request.getfixturevalue(role)

    response = as_user(user).get(_page(name, project, scenario))

    expected = 403 if name in WRITE_PAGES and role in READERS_ONLY else 200
    assert response.status_code == expected


@pytest.mark.parametrize("name", WRITE_PAGES)
@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_manage_tests_cannot_post(request, project, role, name):
    scenario = make_scenario(project)
    user = request.getfixturevalue(role)
    before = snapshot()

    response = as_user(user).post(_page(name, project, scenario), form_data(code="NEW"))

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", READ_PAGES + WRITE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_and_nothing_changes(project, outsider, name, method):
    scenario = make_scenario(project)
    before = snapshot()

    response = getattr(as_user(outsider), method)(_page(name, project, scenario))

    assert response.status_code == 404
    assert snapshot() == before


def test_anonymous_visitor_is_sent_to_login(client, project):
    page = url("scenario-list", project)

    response = client.get(page)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={page}"
