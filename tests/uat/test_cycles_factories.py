"""Small builders for the cycle and execution tests (no tests here)."""

import datetime
from decimal import Decimal

from uat import models
from uat.choices import DefectStatus, Severity

START = datetime.date(2026, 6, 1)
END = datetime.date(2026, 6, 14)


def make_scenario(project, code="UAT-SAL-01", steps=2, **fields):
    scenario = models.TestScenario.objects.create(
        project=project,
        code=code,
        title=fields.pop("title", f"Scenario {code}"),
        module=fields.pop("module", "Sales - Quotation to order"),
        **fields,
    )
    models.ScenarioStep.objects.bulk_create(
        models.ScenarioStep(
            scenario=scenario, position=n, action=f"Do {n}", expected_result=f"See {n}"
        )
        for n in range(1, steps + 1)
    )
    return scenario


def make_cycle(project, name="UAT round 1", **fields):
    values = {
        "starts_on": START,
        "ends_on": END,
        "min_pass_rate": Decimal("95"),
        "max_open_critical": 0,
        "max_open_high": 0,
        "require_all_executed": True,
    } | fields
    return models.TestCycle.objects.create(project=project, name=name, **values)


def add_to_scope(cycle, scenario, *assignees):
    entry = models.CycleScenario.objects.create(cycle=cycle, scenario=scenario)
    entry.assignees.set(assignees)
    return entry


def make_scope(cycle, count, *assignees, prefix="UAT-S"):
    return [
        add_to_scope(cycle, make_scenario(cycle.project, code=f"{prefix}-{n:02d}"), *assignees)
        for n in range(1, count + 1)
    ]


def run(entry, user, result, **fields):
    return models.TestExecution.objects.create(
        entry=entry, executed_by=user, result=result, **fields
    )


def make_defect(project, reporter, cycle=None, severity=Severity.MEDIUM, status=DefectStatus.NEW):
    number = models.Defect.objects.filter(project=project).count() + 1
    return models.Defect.objects.create(
        project=project,
        number=number,
        title=f"Defect {number}",
        severity=severity,
        status=status,
        reporter=reporter,
        cycle=cycle,
    )
