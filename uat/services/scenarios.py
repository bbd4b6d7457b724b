"""Writes for UAT test scenarios.

A scenario is a business process a pilot user walks through: a code unique in the project,
a title, the module and department it belongs to, and ordered steps, each an action with its
expected result. Steps are always replaced as a whole and numbered 1..n, so there are no gaps
and no half-edited lists. Project managers, consultants and key users write scenarios
(Capability.MANAGE_TESTS), one at a time or by importing a spreadsheet; every member reads them.

An import is all or nothing: every row is checked first, and a single bad row leaves the
project's scenarios untouched.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation.models import ConfigurationChange
from projects import policy
from projects.choices import Department
from projects.models import Project, User
from projects.policy import Capability
from uat import scenario_io
from uat.choices import Priority
from uat.models import ScenarioStep, TestScenario

STEP_BATCH_SIZE = 1000

Steps = Sequence[tuple[str, str]]


def _step_errors(steps: Steps) -> list[str]:
    if not steps:
        return [_("Give at least one step.")]
    errors = []
    for position, (action, expected_result) in enumerate(steps, start=1):
        if not (action or "").strip():
            errors.append(_("Step %(position)d has no action.") % {"position": position})
        if not (expected_result or "").strip():
            errors.append(_("Step %(position)d has no expected result.") % {"position": position})
    return errors


def _validate(scenario: TestScenario, steps: Steps) -> None:
    """Field problems of the scenario and its steps, all at once."""
    errors: dict[str, list] = {}
    try:
        scenario.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    change = scenario.configuration_change
    if change is not None and change.project_id != scenario.project_id:
        errors.setdefault("configuration_change", []).append(
            _("Choose a configuration change of this project.")
        )
    if (
        "code" not in errors
        and TestScenario.objects.filter(project_id=scenario.project_id, code=scenario.code)
        .exclude(pk=scenario.pk)
        .exists()
    ):
        errors["code"] = [
            _("This project already has a scenario %(code)s.") % {"code": scenario.code}
        ]
    step_errors = _step_errors(steps)
    if step_errors:
        errors["steps"] = step_errors
    if errors:
        raise ValidationError(errors)


def _replace_steps(scenario: TestScenario, steps: Steps) -> None:
    scenario.steps.all().delete()
    ScenarioStep.objects.bulk_create(
        ScenarioStep(
            scenario=scenario,
            position=position,
            action=action.strip(),
            expected_result=expected_result.strip(),
        )
        for position, (action, expected_result) in enumerate(steps, start=1)
    )


def scenario_create(
    *,
    actor: User,
    project: Project,
    code: str,
    title: str,
    module: str,
    steps: Steps,
    department: str = Department.OTHER,
    preconditions: str = "",
    priority: str = Priority.MEDIUM,
    requirement_reference: str = "",
    configuration_change: ConfigurationChange | None = None,
) -> TestScenario:
    """A new scenario with its steps; the code is unique in the project."""
    policy.ensure(actor, project, Capability.MANAGE_TESTS)
    scenario = TestScenario(
        project=project,
        code=(code or "").strip(),
        title=(title or "").strip(),
        module=(module or "").strip(),
        department=department,
        preconditions=(preconditions or "").strip(),
        priority=priority,
        requirement_reference=(requirement_reference or "").strip(),
        configuration_change=configuration_change,
    )
    steps = list(steps)
    _validate(scenario, steps)
    with transaction.atomic():
        scenario.save()
        _replace_steps(scenario, steps)
    return scenario


def scenario_update(
    *,
    actor: User,
    scenario: TestScenario,
    code: str,
    title: str,
    module: str,
    steps: Steps,
    department: str = Department.OTHER,
    preconditions: str = "",
    priority: str = Priority.MEDIUM,
    requirement_reference: str = "",
    configuration_change: ConfigurationChange | None = None,
) -> TestScenario:
    """Change a scenario and replace all its steps; the code stays unique in the project."""
    policy.ensure(actor, scenario.project, Capability.MANAGE_TESTS)
    with transaction.atomic():
        scenario = (
            TestScenario.objects.select_for_update().select_related("project").get(pk=scenario.pk)
        )
        scenario.code = (code or "").strip()
        scenario.title = (title or "").strip()
        scenario.module = (module or "").strip()
        scenario.department = department
        scenario.preconditions = (preconditions or "").strip()
        scenario.priority = priority
        scenario.requirement_reference = (requirement_reference or "").strip()
        scenario.configuration_change = configuration_change
        steps = list(steps)
        _validate(scenario, steps)
        scenario.save()
        _replace_steps(scenario, steps)
    return scenario


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    steps: int


class ScenarioImportError(Exception):
    """The file was refused; `problems` lists every (row, column, message) found."""

    def __init__(self, problems: list[scenario_io.Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def scenario_import(*, actor: User, project: Project, upload, file_name: str) -> ImportResult:
    """Create the file's new scenarios and replace the steps of existing codes; all or nothing."""
    policy.ensure(actor, project, Capability.MANAGE_TESTS)
    parsed = scenario_io.read_scenarios(upload, file_name)
    if parsed.problems:
        raise ScenarioImportError(parsed.problems)
    fields = ["title", "module", "department", "priority", "preconditions", "requirement_reference"]
    with transaction.atomic():
        existing = {
            scenario.code: scenario
            for scenario in TestScenario.objects.select_for_update().filter(
                project=project, code__in=[row.code for row in parsed.scenarios]
            )
        }
        new, changed = [], []
        now = timezone.now()
        for row in parsed.scenarios:
            scenario = existing.get(row.code)
            if scenario is None:
                scenario = TestScenario(project=project, code=row.code)
                new.append(scenario)
            else:
                changed.append(scenario)
            for field in fields:
                setattr(scenario, field, getattr(row, field))
            scenario.updated_at = now  # bulk_update does not run auto_now
        TestScenario.objects.bulk_create(new, batch_size=STEP_BATCH_SIZE)
        if changed:
            TestScenario.objects.bulk_update(
                changed, [*fields, "updated_at"], batch_size=STEP_BATCH_SIZE
            )
            ScenarioStep.objects.filter(scenario__in=[s.pk for s in changed]).delete()
        by_code = {scenario.code: scenario for scenario in [*new, *changed]}
        steps = [
            ScenarioStep(
                scenario=by_code[row.code],
                position=position,
                action=action,
                expected_result=expected_result,
            )
            for row in parsed.scenarios
            for position, (action, expected_result) in enumerate(row.steps, start=1)
        ]
        ScenarioStep.objects.bulk_create(steps, batch_size=STEP_BATCH_SIZE)
    return ImportResult(created=len(new), updated=len(changed), steps=len(steps))
