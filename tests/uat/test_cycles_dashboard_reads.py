"""The cycle dashboard's reads: the cycle kept on each run (the trend reads a cycle's runs
from one index), one defect count shared by the status and the table, assignees without a
queryset per row, and query counts that do not grow with the scope, runs or defects."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from projects.choices import Role
from tests.factories import MembershipFactory
from tests.uat.test_cycles_factories import (
    START,
    make_cycle,
    make_defect,
    make_scope,
    run,
)
from uat import charts, models
from uat.choices import DefectStatus, ExecutionResult, Severity
from uat.selectors.cycles import (
    cycle_status,
    defect_counts,
    defects_by_severity_and_status,
    execution_trend,
)
from uat.services.executions import execution_record

PASSED, FAILED, BLOCKED = ExecutionResult.PASSED, ExecutionResult.FAILED, ExecutionResult.BLOCKED


def _dashboard(project, cycle) -> str:
    return reverse("uat:cycle-dashboard", args=[project.code, cycle.pk])


def test_a_run_keeps_its_cycle(project, pm):
    cycle = make_cycle(project)
    (entry,) = make_scope(cycle, 1, pm)

    recorded = execution_record(actor=pm, entry=entry, result=PASSED)
    created = models.TestExecution.objects.create(entry=entry, executed_by=pm, result=FAILED)

    assert recorded.cycle_id == cycle.pk
    assert models.TestExecution.objects.get(pk=created.pk).cycle_id == cycle.pk


def test_trend_counts_only_the_cycles_own_runs(project, pm):
    first = make_cycle(project, name="Round 1")
    second = make_cycle(project, name="Round 2")
    (mine,) = make_scope(first, 1, prefix="A")
    (theirs,) = make_scope(second, 1, prefix="B")
    run(mine, pm, FAILED)
    run(mine, pm, PASSED)
    for _ in range(3):
        run(theirs, pm, BLOCKED)

    rows = execution_trend(first)

    assert sorted((row.result, row.previous, row.runs) for row in rows) == [
        (FAILED, None, 1),
        (PASSED, FAILED, 1),
    ]


def test_status_from_the_dashboards_defect_counts_is_the_same(project, pm):
    cycle = make_cycle(project)
    entries = make_scope(cycle, 3)
    run(entries[0], pm, PASSED)
    run(entries[1], pm, FAILED)
    make_defect(project, pm, cycle, Severity.CRITICAL)
    make_defect(project, pm, cycle, Severity.HIGH, status=DefectStatus.CLOSED)
    make_defect(project, pm, cycle, Severity.HIGH, status=DefectStatus.REOPENED)
    make_defect(project, pm, None, Severity.HIGH)  # another cycle's (none): not counted

    counts = defect_counts(cycle)

    assert cycle_status(cycle, defect_counts=counts) == cycle_status(cycle)
    assert defects_by_severity_and_status(cycle, counts=counts) == (
        defects_by_severity_and_status(cycle)
    )


def _fill(cycle, pm, size: int, prefix: str):
    testers = [
        MembershipFactory(project=cycle.project, role=Role.PILOT_USER).user
        for _ in range(1 if size == 1 else 3)
    ]
    entries = make_scope(cycle, size, *testers, prefix=prefix)
    for entry in entries:
        for result in (FAILED, BLOCKED, PASSED)[: 1 if size == 1 else 3]:
            run(entry, pm, result)
    severities = list(Severity)
    for n in range(size):
        make_defect(cycle.project, pm, cycle, severities[n % len(severities)])
    return entries


def test_dashboard_queries_do_not_grow_with_scope_runs_assignees_or_defects(client, project, pm):
    small = make_cycle(project, name="Small round")
    large = make_cycle(project, name="Large round")
    _fill(small, pm, 1, "SM")
    _fill(large, pm, 12, "LG")
    client.force_login(pm)

    counts = []
    for cycle in (small, large):
        client.get(_dashboard(project, cycle))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(_dashboard(project, cycle))
        assert response.status_code == 200
        counts.append(len(captured))
        # The status and the severity table share one count of the defects.
        assert len([q for q in captured if 'FROM "uat_defect"' in q["sql"]]) == 1

    assert counts[0] == counts[1]


def test_dashboard_rows_show_assignees_results_and_run_links(client, project, pm):
    cycle = make_cycle(project)
    ann = MembershipFactory(
        project=project, role=Role.PILOT_USER, user__first_name="Ann", user__last_name="Le"
    ).user
    bob = MembershipFactory(
        project=project, role=Role.PILOT_USER, user__first_name="Bob", user__last_name="Tran"
    ).user
    first, second = make_scope(cycle, 2, ann, bob)
    run(first, ann, FAILED)
    client.force_login(pm)

    html = client.get(_dashboard(project, cycle)).content.decode()

    for entry in (first, second):
        url = reverse("uat:run", args=[project.code, cycle.pk, entry.pk])
        assert f'href="{url}"' in html
    assert html.count(f"{ann.display_name}, {bob.display_name}") == 2
    assert "badge--red" in html  # first's latest run failed


def test_dashboard_hides_run_links_from_readers(client, project, pm):
    cycle = make_cycle(project)
    (entry,) = make_scope(cycle, 1)
    reader = MembershipFactory(project=project, role=Role.EXECUTIVE).user
    client.force_login(reader)

    html = client.get(_dashboard(project, cycle)).content.decode()

    assert reverse("uat:run", args=[project.code, cycle.pk, entry.pk]) not in html


@pytest.mark.parametrize("language", ["en", "vi"])
def test_trend_chart_numbers_take_a_decimal_point_in_every_language(project, pm, language):
    cycle = make_cycle(project)
    entries = make_scope(cycle, 3)
    for entry in entries:
        run(entry, pm, PASSED)
    models.TestExecution.objects.update(
        executed_at=datetime.datetime.combine(START, datetime.time(9), tzinfo=datetime.UTC)
    )

    with translation.override(language):
        svg = charts.render_svg(cycle=cycle, trend=execution_trend(cycle), today=START)

    numbers = re.findall(r' (?:x|y|width|height)="([^"]*)"', svg)
    assert numbers
    assert not [number for number in numbers if "," in number]
