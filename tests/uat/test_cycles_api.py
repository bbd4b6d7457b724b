import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.choices import Role
from tests.factories import MembershipFactory
from tests.uat.test_cycles_factories import (
    add_to_scope,
    make_cycle,
    make_defect,
    make_scenario,
    make_scope,
    run,
)
from uat import models

CYCLES = "/api/v1/test-cycles/"
RUNS = "/api/v1/test-executions/"
MANAGE = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER}
RUN = {Role.PROJECT_MANAGER, Role.KEY_USER, Role.PILOT_USER}


def _cycle_body(project, **overrides):
    return {
        "project": project.code,
        "name": "UAT round 1",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-10",
    } | overrides


def test_retrieve_carries_status_and_exit_criteria(api_as, project, pm, pilot_user):
    cycle = make_cycle(project)
    entries = make_scope(cycle, 2, pilot_user)
    run(entries[0], pilot_user, "passed")
    make_defect(project, pm, cycle, "high")

    data = api_as(pm).get(f"{CYCLES}{cycle.pk}/").json()

    assert data["project"] == project.code
    status = data["status"]
    assert (status["planned"], status["executed"], status["passed"], status["pass_rate"]) == (
        2,
        1,
        1,
        "100.0",
    )
    assert status["open_defects"] == {"critical": 0, "high": 1, "medium": 0, "low": 0}
    assert [(c["key"], c["met"]) for c in status["exit_criteria"]] == [
        ("all_executed", False),
        ("pass_rate", True),
        ("open_critical", True),
        ("open_high", False),
    ]
    assert status["all_met"] is False


def test_list_filters_by_project_and_hides_other_projects(api_as, project, pm, outsider):
    make_cycle(project)
    own = outsider.memberships.get().project
    make_cycle(own, name="Theirs")

    data = api_as(pm).get(CYCLES, {"project": project.code}).json()

    assert [c["name"] for c in data["results"]] == ["UAT round 1"]
    assert api_as(pm).get(CYCLES).json()["count"] == 1


def test_outsider_gets_404(api_as, project, outsider):
    cycle = make_cycle(project)

    assert api_as(outsider).get(f"{CYCLES}{cycle.pk}/").status_code == 404
    response = api_as(outsider).patch(f"{CYCLES}{cycle.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 404
    assert api_as(outsider).get(f"{CYCLES}abc/").status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_create_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(CYCLES, _cycle_body(project), format="json")

    if role in MANAGE:
        assert response.status_code == 201
        assert response.json()["status"]["planned"] == 0
        assert models.TestCycle.objects.count() == 1
    else:
        assert response.status_code == 403
        assert models.TestCycle.objects.count() == 0


def test_wrong_role_403_before_validating(api_as, project, viewer):
    response = api_as(viewer).post(CYCLES, {"project": project.code}, format="json")

    assert response.status_code == 403


def test_create_bad_input_400_with_field_keys(api_as, project, pm):
    response = api_as(pm).post(
        CYCLES, _cycle_body(project, ends_on="2026-05-01", name=""), format="json"
    )
    assert response.status_code == 400
    assert "name" in response.json()

    response = api_as(pm).post(CYCLES, _cycle_body(project, ends_on="2026-05-01"), format="json")
    assert response.status_code == 400
    assert response.json() == {"ends_on": ["The cycle cannot end before it starts."]}
    assert models.TestCycle.objects.count() == 0


def test_partial_update(api_as, project, key_user, pilot_user):
    cycle = make_cycle(project)

    response = api_as(key_user).patch(f"{CYCLES}{cycle.pk}/", {"max_open_high": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["max_open_high"] == 2

    response = api_as(pilot_user).patch(
        f"{CYCLES}{cycle.pk}/", {"max_open_high": "x"}, format="json"
    )
    assert response.status_code == 403


# --- Executions ---------------------------------------------------------------------------


@pytest.fixture
def cycle(project):
    return make_cycle(project)


@pytest.fixture
def scenario(project):
    return make_scenario(project, "UAT-SAL-01", steps=2)


@pytest.fixture
def entry(cycle, scenario, pilot_user):
    return add_to_scope(cycle, scenario, pilot_user)


def test_record_a_failure_with_nested_defect(api_as, pilot_user, cycle, scenario, entry):
    response = api_as(pilot_user).post(
        RUNS,
        {
            "cycle": cycle.pk,
            "scenario": scenario.pk,
            "result": "failed",
            "actual_result": "Crash",
            "failed_step": 2,
            "defect": {"title": "UAT-SAL-01: Do 2", "severity": "critical"},
        },
        format="json",
    )

    assert response.status_code == 201
    data = response.json()
    defect = models.Defect.objects.get()
    assert data["defects"] == [defect.number]
    assert (data["result"], data["failed_step"], data["scenario_code"]) == (
        "failed",
        2,
        "UAT-SAL-01",
    )
    assert (defect.expected_result, defect.actual_result, defect.cycle) == ("See 2", "Crash", cycle)


@pytest.mark.parametrize("role", list(Role))
def test_record_by_role(api_as, project, members, cycle, scenario, entry, role):
    response = api_as(members[role]).post(
        RUNS, {"cycle": cycle.pk, "scenario": scenario.pk, "result": "passed"}, format="json"
    )

    # The pilot user fixture is assigned to the entry.
    assert response.status_code == (201 if role in RUN else 403)


def test_wrong_role_403_before_validating_the_run(api_as, executive, cycle):
    response = api_as(executive).post(RUNS, {"cycle": cycle.pk}, format="json")

    assert response.status_code == 403


def test_unassigned_pilot_user_403(api_as, project, cycle, scenario, entry):
    other = MembershipFactory(project=project, role=Role.PILOT_USER).user

    response = api_as(other).post(
        RUNS, {"cycle": cycle.pk, "scenario": scenario.pk, "result": "passed"}, format="json"
    )

    assert response.status_code == 403
    assert models.TestExecution.objects.count() == 0


def test_scenario_not_in_scope_400(api_as, project, pm, cycle, entry):
    other = make_scenario(project, "UAT-OUT-01")

    response = api_as(pm).post(
        RUNS, {"cycle": cycle.pk, "scenario": other.pk, "result": "passed"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"scenario": ["This scenario is not in the cycle's scope."]}


def test_bad_input_400_saves_nothing(api_as, pm, cycle, scenario, entry):
    response = api_as(pm).post(
        RUNS,
        {"cycle": cycle.pk, "scenario": scenario.pk, "result": "great", "failed_step": 9},
        format="json",
    )
    assert response.status_code == 400
    assert "result" in response.json()

    response = api_as(pm).post(
        RUNS,
        {"cycle": cycle.pk, "scenario": scenario.pk, "result": "failed", "failed_step": 9},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["failed_step"]

    response = api_as(pm).post(
        RUNS,
        {
            "cycle": cycle.pk,
            "scenario": scenario.pk,
            "result": "passed",
            "defect": {"title": "x", "severity": "low"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["defect"]
    assert models.TestExecution.objects.count() == 0
    assert models.Defect.objects.count() == 0


def test_cycle_of_another_project_400(api_as, outsider, cycle, scenario, entry):
    response = api_as(outsider).post(
        RUNS, {"cycle": cycle.pk, "scenario": scenario.pk, "result": "passed"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["cycle"]


def test_list_filters_and_retrieve(api_as, project, pm, pilot_user, cycle, entry, outsider):
    other_cycle = make_cycle(project, name="Round 2")
    other_entry = add_to_scope(other_cycle, make_scenario(project, "UAT-B-01"), pilot_user)
    mine = run(entry, pilot_user, "passed")
    run(other_entry, pilot_user, "failed")

    data = api_as(pm).get(RUNS, {"project": project.code, "cycle": cycle.pk}).json()
    assert [r["pk"] for r in data["results"]] == [mine.pk]
    assert api_as(pm).get(f"{RUNS}{mine.pk}/").json()["executed_by"] == pilot_user.username
    assert api_as(outsider).get(f"{RUNS}{mine.pk}/").status_code == 404
    assert api_as(outsider).get(RUNS).json()["count"] == 0


def _count(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [CYCLES, RUNS])
def test_list_query_count_does_not_grow(api_as, project, pm, pilot_user, url):
    client = api_as(pm)
    counts = []
    for size in (2, 20):
        cycle = make_cycle(project, name=f"Round {size}")
        for entry in make_scope(cycle, size, pilot_user, prefix=f"S{size}"):
            execution = run(entry, pilot_user, "failed")
            defect = make_defect(project, pm, cycle, "high")
            defect.execution = execution
            defect.save()
        counts.append(_count(client, f"{url}?project={project.code}&cycle={cycle.pk}"))

    assert counts[0] == counts[1]


@pytest.mark.parametrize("value", ["1e30", "123456789012345678901234567890", "1.5", "-3"])
def test_an_absurd_cycle_filter_is_a_400_not_a_500(api_as, pm, value):
    response = api_as(pm).get("/api/v1/test-executions/", {"cycle": value})

    assert response.status_code == 400
    assert list(response.json()) == ["cycle"]
