"""Writes for test executions: a tester records the run of a scenario in a cycle.

Members who run tests (RUN_TESTS) record runs; a pilot user only of scenarios assigned to
them, while those who also plan tests (project manager, key user) may run any scenario in
scope. Runs are never edited: a new run replaces the old one as the one that counts. A
failed run may log a defect in the same transaction, linked to the cycle and the run and
prefilled from the scenario and the failed step.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from projects import policy
from projects.policy import Capability
from uat.attachments import attachment_add
from uat.choices import ExecutionResult, Priority, Severity
from uat.models import CycleScenario, ScenarioStep, TestCycle, TestExecution, TestScenario
from uat.services.defects import defect_report

DEFECT_FIELDS = (
    "title",
    "severity",
    "priority",
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
)


def entry_in_scope(*, cycle: TestCycle, scenario: TestScenario) -> CycleScenario:
    """The cycle's entry for this scenario; a field error when it is not in scope."""
    entry = CycleScenario.objects.filter(cycle=cycle, scenario=scenario).first()
    if entry is None:
        raise ValidationError({"scenario": _("This scenario is not in the cycle's scope.")})
    entry.cycle = cycle
    entry.scenario = scenario
    return entry


def may_run(actor, entry: CycleScenario) -> bool:
    """The rule of the service, for pages deciding whether to offer the run form."""
    try:
        _ensure_may_run(actor, entry)
    except PermissionDenied:
        return False
    return True


def _ensure_may_run(actor, entry: CycleScenario) -> None:
    project = entry.cycle.project
    policy.ensure(actor, project, Capability.RUN_TESTS)
    if policy.can(actor, project, Capability.MANAGE_TESTS):
        return
    if not entry.assignees.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("This scenario is not assigned to you in this cycle."))


def _steps_text(steps: list[ScenarioStep], last: ScenarioStep | None) -> str:
    lines = []
    for step in steps:
        lines.append(f"{step.position}. {step.action}")
        if last is not None and step.pk == last.pk:
            break
    return "\n".join(lines)


def _defect_details(entry, execution, step, data: dict) -> dict:
    unknown = set(data) - set(DEFECT_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected defect fields: {sorted(unknown)}")
    errors = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["defect_title"] = _("Give the defect a title.")
    if data.get("severity") not in Severity.values:
        errors["defect_severity"] = _("Choose a severity.")
    if data.get("priority") and data["priority"] not in Priority.values:
        errors["defect_priority"] = _("Choose a priority.")
    if errors:
        raise ValidationError(errors)
    scenario = entry.scenario
    steps = list(scenario.steps.order_by("position"))
    return {
        "title": title,
        "severity": data["severity"],
        "priority": data.get("priority") or Priority.MEDIUM,
        "description": data.get("description") or "",
        "steps_to_reproduce": data.get("steps_to_reproduce") or _steps_text(steps, step),
        "expected_result": data.get("expected_result") or (step.expected_result if step else ""),
        "actual_result": data.get("actual_result") or execution.actual_result,
        "module": scenario.module,
        "environment": entry.cycle.environment,
        "cycle": entry.cycle,
        "execution": execution,
    }


def execution_record(
    *,
    actor,
    entry: CycleScenario,
    result: str,
    actual_result: str = "",
    notes: str = "",
    failed_step: ScenarioStep | None = None,
    defect: dict | None = None,
    attachments: list | None = None,
) -> TestExecution:
    """Record a run of a scenario in scope; a failed run may log its defect at once.

    Uploaded files go with the run and, when one is logged, its defect; a refused file
    leaves nothing saved.
    """
    _ensure_may_run(actor, entry)
    if result not in ExecutionResult.values:
        raise ValidationError({"result": _("Choose pass, fail, blocked or not run.")})
    if failed_step is not None and failed_step.scenario_id != entry.scenario_id:
        raise ValidationError({"failed_step": _("Choose a step of this scenario.")})
    if defect and result != ExecutionResult.FAILED:
        raise ValidationError({"defect": _("Only a failed run logs a defect.")})
    with transaction.atomic():
        execution = TestExecution(
            entry=entry,
            project=entry.cycle.project,
            executed_by=actor,
            result=result,
            failed_step=failed_step,
            actual_result=actual_result.strip(),
            notes=notes.strip(),
        )
        execution.full_clean()
        execution.save()
        logged = None
        if defect:
            details = _defect_details(entry, execution, failed_step, dict(defect))
            title, severity = details.pop("title"), details.pop("severity")
            logged = defect_report(
                actor=actor, project=entry.cycle.project, title=title, severity=severity, **details
            )
        for upload in attachments or []:
            try:
                attachment_add(
                    actor=actor,
                    project=entry.cycle.project,
                    upload=upload,
                    defect=logged,
                    execution=execution,
                )
            except ValidationError as error:
                raise ValidationError({"attachment": error.messages}) from error
    return execution
