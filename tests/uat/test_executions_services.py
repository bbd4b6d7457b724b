import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.choices import Role
from tests.uat.test_cycles_factories import add_to_scope, make_cycle, make_scenario
from uat import models
from uat.services.executions import entry_in_scope, execution_record


@pytest.fixture
def cycle(project):
    return make_cycle(project, environment="test")


@pytest.fixture
def scenario(project):
    return make_scenario(project, "UAT-SAL-07", steps=3, module="Sales - Returns")


@pytest.fixture
def entry(cycle, scenario, pilot_user):
    return add_to_scope(cycle, scenario, pilot_user)


def _counts():
    return models.TestExecution.objects.count(), models.Defect.objects.count()


def test_assigned_pilot_user_records_a_pass(entry, pilot_user):
    execution = execution_record(
        actor=pilot_user, entry=entry, result="passed", actual_result=" As expected ", notes=""
    )

    execution.refresh_from_db()
    assert (execution.result, execution.executed_by, execution.actual_result) == (
        "passed",
        pilot_user,
        "As expected",
    )
    assert models.Defect.objects.count() == 0


def test_pilot_user_not_assigned_is_refused(entry, project):
    from tests.factories import MembershipFactory

    other = MembershipFactory(project=project, role=Role.PILOT_USER).user

    with pytest.raises(PermissionDenied, match="not assigned to you"):
        execution_record(actor=other, entry=entry, result="passed")

    assert _counts() == (0, 0)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.PROJECT_MANAGER, True),
        (Role.KEY_USER, True),
        (Role.PILOT_USER, False),  # not assigned to this entry
        (Role.CONSULTANT, False),
        (Role.IT, False),
        (Role.EXECUTIVE, False),
        (Role.VIEWER, False),
    ],
)
def test_who_runs_any_scenario(project, members, cycle, scenario, role, allowed):
    entry = add_to_scope(cycle, scenario)
    if allowed:
        execution_record(actor=members[role], entry=entry, result="blocked")
        assert _counts() == (1, 0)
    else:
        with pytest.raises(PermissionDenied):
            execution_record(actor=members[role], entry=entry, result="blocked")
        assert _counts() == (0, 0)


def test_scenario_not_in_scope_is_a_field_error(cycle, project):
    other = make_scenario(project, "UAT-OUT-01")

    with pytest.raises(ValidationError) as caught:
        entry_in_scope(cycle=cycle, scenario=other)

    assert caught.value.message_dict == {"scenario": ["This scenario is not in the cycle's scope."]}


def test_failed_step_of_another_scenario_is_refused(entry, pilot_user, project):
    foreign_step = make_scenario(project, "UAT-OTH-01").steps.first()

    with pytest.raises(ValidationError) as caught:
        execution_record(actor=pilot_user, entry=entry, result="failed", failed_step=foreign_step)

    assert list(caught.value.message_dict) == ["failed_step"]
    assert _counts() == (0, 0)


def test_fail_with_defect_logs_a_linked_prefilled_defect(entry, pilot_user, scenario, cycle):
    step = scenario.steps.get(position=2)

    execution = execution_record(
        actor=pilot_user,
        entry=entry,
        result="failed",
        actual_result="Error 500",
        notes="Twice",
        failed_step=step,
        defect={"title": "UAT-SAL-07: Do 2", "severity": "high", "description": "Broken"},
    )

    defect = models.Defect.objects.get()
    assert defect.execution == execution
    assert defect.cycle == cycle
    assert (defect.title, defect.severity, defect.description) == (
        "UAT-SAL-07: Do 2",
        "high",
        "Broken",
    )
    assert defect.module == "Sales - Returns"
    assert defect.expected_result == "See 2"
    assert defect.actual_result == "Error 500"
    assert defect.steps_to_reproduce == "1. Do 1\n2. Do 2"
    assert defect.environment == "test"
    assert defect.reporter == pilot_user
    assert defect.number == 1
    assert defect.events.count() == 1


def test_defect_with_a_pass_is_refused(entry, pilot_user):
    with pytest.raises(ValidationError) as caught:
        execution_record(
            actor=pilot_user,
            entry=entry,
            result="passed",
            defect={"title": "x", "severity": "low"},
        )

    assert list(caught.value.message_dict) == ["defect"]
    assert _counts() == (0, 0)


def test_bad_defect_saves_nothing(entry, pilot_user):
    with pytest.raises(ValidationError) as caught:
        execution_record(
            actor=pilot_user,
            entry=entry,
            result="failed",
            defect={"title": " ", "severity": "huge"},
        )

    assert sorted(caught.value.message_dict) == ["defect_severity", "defect_title"]
    assert _counts() == (0, 0)


def test_unknown_result_is_refused(entry, pilot_user):
    with pytest.raises(ValidationError) as caught:
        execution_record(actor=pilot_user, entry=entry, result="great")

    assert list(caught.value.message_dict) == ["result"]
    assert _counts() == (0, 0)
