import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from implementation.models import ConfigurationChange
from tests.factories import ProjectFactory
from tests.uat.test_scenarios_helpers import make_scenario, snapshot, steps_of
from uat import models
from uat.services import scenarios as services


def _fields(**overrides):
    return {
        "code": "UAT-SAL-01",
        "title": "Quotation to order",
        "module": "Sales - Quotation to order",
        "department": "sales",
        "preconditions": "A customer exists",
        "priority": "high",
        "requirement_reference": "REQ-12",
        "configuration_change": None,
        "steps": [("Create a quotation", "Quotation saved"), ("Convert it", "Order created")],
    } | overrides


def test_create_numbers_the_steps_from_one(project, key_user):
    scenario = services.scenario_create(actor=key_user, project=project, **_fields())

    assert scenario.project == project
    assert scenario.code == "UAT-SAL-01"
    assert scenario.department == "sales"
    assert steps_of(scenario) == [
        (1, "Create a quotation", "Quotation saved"),
        (2, "Convert it", "Order created"),
    ]


def test_create_refuses_a_scenario_without_steps(project, pm):
    with pytest.raises(ValidationError) as caught:
        services.scenario_create(actor=pm, project=project, **_fields(steps=[]))

    assert caught.value.message_dict == {"steps": ["Give at least one step."]}
    assert models.TestScenario.objects.count() == 0


def test_create_refuses_a_step_without_expected_result(project, pm):
    with pytest.raises(ValidationError) as caught:
        services.scenario_create(actor=pm, project=project, **_fields(steps=[("Do", "  ")]))

    assert caught.value.message_dict == {"steps": ["Step 1 has no expected result."]}


def test_create_refuses_a_code_already_used_in_the_project(project, pm):
    make_scenario(project, code="UAT-SAL-01")

    with pytest.raises(ValidationError) as caught:
        services.scenario_create(actor=pm, project=project, **_fields())

    assert caught.value.message_dict == {
        "code": ["This project already has a scenario UAT-SAL-01."]
    }
    assert models.TestScenario.objects.count() == 1


def test_the_same_code_is_fine_in_another_project(project, pm):
    make_scenario(ProjectFactory(), code="UAT-SAL-01")

    scenario = services.scenario_create(actor=pm, project=project, **_fields())

    assert scenario.code == "UAT-SAL-01"


def test_create_refuses_a_configuration_change_of_another_project(project, pm):
    other = ProjectFactory()
    change = _change(other, pm)

    with pytest.raises(ValidationError) as caught:
        services.scenario_create(actor=pm, project=project, **_fields(configuration_change=change))

    assert caught.value.message_dict == {
        "configuration_change": ["Choose a configuration change of this project."]
    }
    assert models.TestScenario.objects.count() == 0


def test_create_links_a_configuration_change_of_the_project(project, pm):
    change = _change(project, pm)

    scenario = services.scenario_create(
        actor=pm, project=project, **_fields(configuration_change=change)
    )

    assert scenario.configuration_change == change


def test_create_refuses_unknown_department_and_priority(project, pm):
    with pytest.raises(ValidationError) as caught:
        services.scenario_create(
            actor=pm, project=project, **_fields(department="marketing", priority="urgent")
        )

    assert set(caught.value.message_dict) == {"department", "priority"}


def test_update_replaces_every_step(project, consultant):
    scenario = make_scenario(project, steps=3)

    services.scenario_update(
        actor=consultant, scenario=scenario, **_fields(steps=[("Only step", "Works")])
    )

    scenario.refresh_from_db()
    assert scenario.code == "UAT-SAL-01"
    assert scenario.title == "Quotation to order"
    assert steps_of(scenario) == [(1, "Only step", "Works")]


def test_update_keeps_its_own_code(project, pm):
    scenario = make_scenario(project, code="UAT-SAL-01")

    services.scenario_update(actor=pm, scenario=scenario, **_fields(title="Renamed"))

    scenario.refresh_from_db()
    assert scenario.title == "Renamed"


def test_update_refuses_the_code_of_another_scenario(project, pm):
    make_scenario(project, code="UAT-SAL-01")
    scenario = make_scenario(project, code="UAT-SAL-02")
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.scenario_update(actor=pm, scenario=scenario, **_fields())

    assert list(caught.value.message_dict) == ["code"]
    assert snapshot() == before


def test_update_without_steps_changes_nothing(project, pm):
    scenario = make_scenario(project, code="UAT-SAL-01")
    before = snapshot()

    with pytest.raises(ValidationError):
        services.scenario_update(actor=pm, scenario=scenario, **_fields(steps=[]))

    assert snapshot() == before


@pytest.mark.parametrize("role", ["it_member", "pilot_user", "executive", "viewer"])
def test_members_without_manage_tests_cannot_write(request, project, role):
    actor = request.getfixturevalue(role)
    scenario = make_scenario(project, code="UAT-X")
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.scenario_create(actor=actor, project=project, **_fields())
    with pytest.raises(PermissionDenied):
        services.scenario_update(actor=actor, scenario=scenario, **_fields())

    assert snapshot() == before


def _change(project, user):
    from django.utils import timezone

    return ConfigurationChange.objects.create(
        project=project,
        number=1,
        area="Finance",
        setting="Tax code",
        new_value="10%",
        reason="Law",
        requested_by=user,
        recorded_by=user,
        environment="test",
        applied_at=timezone.now(),
    )
