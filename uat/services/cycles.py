"""Writes for test cycles: planning a UAT round and choosing its scope.

A cycle has dates, an environment, entry criteria and exit thresholds (see
uat.selectors.cycles.cycle_status). Its scope is a set of the project's scenarios, each with
the pilot users assigned to run it. Project managers, consultants and key users
(MANAGE_TESTS) plan cycles; a scenario that already has runs in the cycle stays in scope.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from implementation.choices import Environment
from projects import policy
from projects.errors import ApplicationError
from projects.models import Membership
from projects.policy import ROLE_CAPABILITIES, Capability
from uat.models import CycleScenario, TestCycle, TestExecution, TestScenario

EDITABLE_FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "environment",
    "entry_criteria",
    "min_pass_rate",
    "max_open_critical",
    "max_open_high",
    "require_all_executed",
)


def _clean_and_save(cycle: TestCycle, update_fields=None) -> TestCycle:
    if cycle.starts_on and cycle.ends_on and cycle.ends_on < cycle.starts_on:
        raise ValidationError({"ends_on": _("The cycle cannot end before it starts.")})
    cycle.name = (cycle.name or "").strip()
    cycle.full_clean(exclude=["project"], validate_constraints=False)
    cycle.save(update_fields=update_fields)
    return cycle


def cycle_create(
    *,
    actor,
    project,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    environment: str = Environment.TEST,
    entry_criteria: str = "",
    min_pass_rate: Decimal = Decimal("95"),
    max_open_critical: int = 0,
    max_open_high: int = 0,
    require_all_executed: bool = True,
) -> TestCycle:
    """Plan a new test cycle of the project; its scope starts empty."""
    policy.ensure(actor, project, Capability.MANAGE_TESTS)
    cycle = TestCycle(
        project=project,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        environment=environment,
        entry_criteria=entry_criteria,
        min_pass_rate=min_pass_rate,
        max_open_critical=max_open_critical,
        max_open_high=max_open_high,
        require_all_executed=require_all_executed,
    )
    with transaction.atomic():
        return _clean_and_save(cycle)


def cycle_update(*, actor, cycle: TestCycle, **changes) -> TestCycle:
    """Change a cycle's dates, environment, entry criteria or exit thresholds."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected cycle fields: {sorted(unknown)}")
    policy.ensure(actor, cycle.project, Capability.MANAGE_TESTS)
    if not changes:
        return cycle
    with transaction.atomic():
        for field, value in changes.items():
            setattr(cycle, field, value)
        try:
            return _clean_and_save(cycle, update_fields=list(changes))
        except ValidationError:
            cycle.refresh_from_db(fields=list(changes))
            raise


def testers_of(project) -> set[int]:
    """Pks of the project's members whose role may run scenarios (RUN_TESTS)."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.RUN_TESTS in caps]
    return set(
        Membership.objects.filter(project=project, role__in=roles).values_list("user_id", flat=True)
    )


def cycle_set_scope(
    *, actor, cycle: TestCycle, scenario_assignments: dict[TestScenario, list]
) -> TestCycle:
    """Make the cycle's scope exactly these scenarios, each assigned to these testers."""
    project = cycle.project
    policy.ensure(actor, project, Capability.MANAGE_TESTS)
    foreign = sorted(s.code for s in scenario_assignments if s.project_id != project.pk)
    if foreign:
        raise ValidationError(
            {
                "scenarios": _("These scenarios belong to another project: %(codes)s.")
                % {"codes": ", ".join(foreign)}
            }
        )
    testers = testers_of(project)
    outsiders = sorted(
        {
            str(user.display_name)
            for users in scenario_assignments.values()
            for user in users
            if user.pk not in testers
        }
    )
    if outsiders:
        raise ValidationError(
            {
                "assignees": _(
                    "Assign only members of this project who run tests: %(names)s cannot."
                )
                % {"names": ", ".join(outsiders)}
            }
        )
    with transaction.atomic():
        TestCycle.objects.select_for_update().filter(pk=cycle.pk).first()
        wanted = {scenario.pk: scenario for scenario in scenario_assignments}
        current = {e.scenario_id: e for e in CycleScenario.objects.filter(cycle=cycle)}
        dropped = [e for scenario_pk, e in current.items() if scenario_pk not in wanted]
        if dropped:
            with_runs = sorted(
                TestExecution.objects.filter(entry__in=dropped)
                .values_list("entry__scenario__code", flat=True)
                .distinct()
            )
            if with_runs:
                raise ApplicationError(
                    _("%(codes)s already ran in this cycle and stay in its scope.")
                    % {"codes": ", ".join(with_runs)}
                )
            CycleScenario.objects.filter(pk__in=[e.pk for e in dropped]).delete()
        for scenario_pk, scenario in wanted.items():
            entry = current.get(scenario_pk) or CycleScenario.objects.create(
                cycle=cycle, scenario=scenario
            )
            entry.assignees.set(scenario_assignments[scenario])
    return cycle
