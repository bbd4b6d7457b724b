"""Shared builders for the scenario tests (rows straight into the database)."""

from uat import models
from uat.choices import Priority


def make_scenario(project, code="UAT-FIN-01", steps=2, **fields):
    defaults = {
        "title": f"Scenario {code}",
        "module": "Finance - Month-end close",
        "department": "accounting_finance",
        "priority": Priority.HIGH,
    }
    scenario = models.TestScenario.objects.create(project=project, code=code, **defaults | fields)
    models.ScenarioStep.objects.bulk_create(
        models.ScenarioStep(
            scenario=scenario,
            position=position,
            action=f"Do {position}",
            expected_result=f"See {position}",
        )
        for position in range(1, steps + 1)
    )
    return scenario


def steps_of(scenario):
    return list(
        scenario.steps.order_by("position").values_list("position", "action", "expected_result")
    )


def snapshot():
    return (
        list(models.TestScenario.objects.order_by("pk").values()),
        list(models.ScenarioStep.objects.order_by("pk").values()),
    )
