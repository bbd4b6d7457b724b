import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.choices import Role
from tests.factories import ProjectFactory
from tests.uat.test_cycles_factories import END, START, add_to_scope, make_cycle, make_scenario, run
from uat import models
from uat.services import cycles as services


def _fields(**overrides):
    return {
        "name": "UAT round 1",
        "starts_on": START,
        "ends_on": END,
        "environment": "test",
        "entry_criteria": "Data migrated",
        "min_pass_rate": Decimal("90"),
        "max_open_critical": 0,
        "max_open_high": 1,
        "require_all_executed": True,
    } | overrides


def test_create_plans_a_cycle(project, pm):
    cycle = services.cycle_create(actor=pm, project=project, **_fields())

    cycle.refresh_from_db()
    assert (cycle.project, cycle.name, cycle.min_pass_rate, cycle.max_open_high) == (
        project,
        "UAT round 1",
        Decimal("90.00"),
        1,
    )
    assert cycle.scope.count() == 0


def test_create_refuses_an_end_before_the_start(project, pm):
    with pytest.raises(ValidationError) as caught:
        services.cycle_create(
            actor=pm, project=project, **_fields(ends_on=START - datetime.timedelta(days=1))
        )

    assert caught.value.message_dict == {"ends_on": ["The cycle cannot end before it starts."]}
    assert models.TestCycle.objects.count() == 0


def test_create_refuses_a_pass_rate_above_100(project, pm):
    with pytest.raises(ValidationError) as caught:
        services.cycle_create(actor=pm, project=project, **_fields(min_pass_rate=Decimal("101")))

    assert list(caught.value.message_dict) == ["min_pass_rate"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.PROJECT_MANAGER, True),
        (Role.CONSULTANT, True),
        (Role.KEY_USER, True),
        (Role.IT, False),
        (Role.PILOT_USER, False),
        (Role.EXECUTIVE, False),
        (Role.VIEWER, False),
    ],
)
def test_who_plans_cycles(project, members, role, allowed):
    actor = members[role]
    if allowed:
        services.cycle_create(actor=actor, project=project, **_fields())
        assert models.TestCycle.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.cycle_create(actor=actor, project=project, **_fields())
        assert models.TestCycle.objects.count() == 0


def test_update_changes_thresholds(project, key_user):
    cycle = make_cycle(project)

    services.cycle_update(actor=key_user, cycle=cycle, max_open_high=3, name="Round 1b")

    cycle.refresh_from_db()
    assert (cycle.max_open_high, cycle.name) == (3, "Round 1b")


def test_update_refuses_an_end_before_the_start(project, pm):
    cycle = make_cycle(project)

    with pytest.raises(ValidationError) as caught:
        services.cycle_update(actor=pm, cycle=cycle, ends_on=START - datetime.timedelta(days=2))

    assert caught.value.message_dict == {"ends_on": ["The cycle cannot end before it starts."]}
    cycle.refresh_from_db()
    assert cycle.ends_on == END


def test_set_scope_adds_and_assigns(project, pm, pilot_user, key_user):
    cycle = make_cycle(project)
    one, two = make_scenario(project, "UAT-A-01"), make_scenario(project, "UAT-A-02")

    services.cycle_set_scope(
        actor=pm, cycle=cycle, scenario_assignments={one: [pilot_user], two: [pilot_user, key_user]}
    )

    scope = {
        e.scenario.code: sorted(u.pk for u in e.assignees.all())
        for e in cycle.scope.select_related("scenario")
    }
    assert scope == {"UAT-A-01": [pilot_user.pk], "UAT-A-02": sorted([pilot_user.pk, key_user.pk])}


def test_set_scope_replaces_the_scope(project, pm, pilot_user):
    cycle = make_cycle(project)
    one, two = make_scenario(project, "UAT-A-01"), make_scenario(project, "UAT-A-02")
    add_to_scope(cycle, one, pilot_user)

    services.cycle_set_scope(actor=pm, cycle=cycle, scenario_assignments={two: []})

    assert list(cycle.scope.values_list("scenario__code", flat=True)) == ["UAT-A-02"]


def test_set_scope_keeps_a_scenario_that_already_ran(project, pm, pilot_user):
    cycle = make_cycle(project)
    one = make_scenario(project, "UAT-A-01")
    run(add_to_scope(cycle, one, pilot_user), pilot_user, "passed")

    with pytest.raises(Exception, match="UAT-A-01 already ran"):
        services.cycle_set_scope(actor=pm, cycle=cycle, scenario_assignments={})

    assert cycle.scope.count() == 1


def test_set_scope_refuses_another_projects_scenario(project, pm):
    cycle = make_cycle(project)
    foreign = make_scenario(ProjectFactory(), "UAT-Z-01")

    with pytest.raises(ValidationError) as caught:
        services.cycle_set_scope(actor=pm, cycle=cycle, scenario_assignments={foreign: []})

    assert caught.value.message_dict == {
        "scenarios": ["These scenarios belong to another project: UAT-Z-01."]
    }
    assert cycle.scope.count() == 0


@pytest.mark.parametrize("who", ["executive", "it_member", "outsider"])
def test_set_scope_refuses_assignees_who_do_not_run_tests(project, pm, request, who):
    user = request.getfixturevalue(who)
    cycle = make_cycle(project)
    scenario = make_scenario(project)

    with pytest.raises(ValidationError) as caught:
        services.cycle_set_scope(actor=pm, cycle=cycle, scenario_assignments={scenario: [user]})

    assert list(caught.value.message_dict) == ["assignees"]
    assert user.display_name in caught.value.message_dict["assignees"][0]
    assert cycle.scope.count() == 0


def test_set_scope_needs_manage_tests(project, pilot_user):
    cycle = make_cycle(project)

    with pytest.raises(PermissionDenied):
        services.cycle_set_scope(
            actor=pilot_user, cycle=cycle, scenario_assignments={make_scenario(project): []}
        )

    assert cycle.scope.count() == 0
