"""The cycle's trend, counted in SQL per local day, and the project kept on each run (for the
test-executions API): behaviour and query counts that do not grow with the runs."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Project
from tests.uat.test_cycles_factories import END, START, make_cycle, make_scope, run
from uat import charts, models
from uat.choices import ExecutionResult
from uat.selectors.cycles import TrendRow, execution_trend
from uat.services.executions import execution_record

PASSED, FAILED, BLOCKED = ExecutionResult.PASSED, ExecutionResult.FAILED, ExecutionResult.BLOCKED
ZONE = "Asia/Ho_Chi_Minh"  # UTC+7: 18:30 UTC is already the next day there


@pytest.fixture
def cycle(project):
    Project.objects.filter(pk=project.pk).update(time_zone=ZONE)
    project.refresh_from_db()
    return make_cycle(project)


def _run_at(entry, user, result, at: datetime.datetime) -> models.TestExecution:
    execution = run(entry, user, result)
    models.TestExecution.objects.filter(pk=execution.pk).update(executed_at=at)
    return execution


def _utc(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


def test_trend_counts_runs_per_local_day_with_the_result_before(cycle, pm):
    first, second = make_scope(cycle, 2)
    day = START + datetime.timedelta(days=2)
    _run_at(first, pm, FAILED, _utc(day, 9))
    _run_at(second, pm, FAILED, _utc(day, 10))
    _run_at(first, pm, PASSED, _utc(day, 18, 30))  # 01:30 the next day, local time
    _run_at(second, pm, BLOCKED, _utc(day, 16, 59))  # 23:59 local: still the same day

    trend = execution_trend(cycle)

    next_day = day + datetime.timedelta(days=1)
    assert sorted(trend) == sorted(
        [
            TrendRow(day, FAILED, None, 2),
            TrendRow(day, BLOCKED, FAILED, 1),
            TrendRow(next_day, PASSED, FAILED, 1),
        ]
    )


def test_trend_places_runs_outside_the_cycle_dates_on_their_local_day(cycle, pm):
    (entry,) = make_scope(cycle, 1)
    before = START - datetime.timedelta(days=3)
    after = END + datetime.timedelta(days=5)
    _run_at(entry, pm, FAILED, _utc(before, 20))  # the next local day
    _run_at(entry, pm, PASSED, _utc(after, 1))

    trend = execution_trend(cycle)

    assert trend == [
        TrendRow(before + datetime.timedelta(days=1), FAILED, None, 1),
        TrendRow(after, PASSED, FAILED, 1),
    ]


def test_trend_is_empty_without_runs(cycle):
    make_scope(cycle, 3)

    assert execution_trend(cycle) == []


def test_chart_rate_follows_the_latest_run_of_each_scenario(cycle, pm):
    first, second = make_scope(cycle, 2)
    _run_at(first, pm, FAILED, _utc(START, 3))
    _run_at(second, pm, PASSED, _utc(START, 4))
    _run_at(first, pm, PASSED, _utc(START + datetime.timedelta(days=1), 3))
    _run_at(second, pm, FAILED, _utc(START + datetime.timedelta(days=3), 3))

    chart = charts.build(cycle=cycle, trend=execution_trend(cycle), today=END)

    top, bottom = chart["top"], chart["bottom"]
    rate = [day.rate_y for day in chart["days"][:5]]
    half = round(top + (bottom - top) / 2, 1)
    assert rate == [half, round(top, 1), round(top, 1), half, half]
    assert chart["max_runs"] == 2
    assert [len(day.segments) for day in chart["days"][:4]] == [2, 1, 0, 1]


def test_dashboard_queries_do_not_grow_with_the_runs(client, project, pm):
    small, large = make_cycle(project, name="Small"), make_cycle(project, name="Large")
    (lone,) = make_scope(small, 1, prefix="SM")
    run(lone, pm, PASSED)
    for entry in make_scope(large, 5, prefix="LG"):
        for result in (FAILED, BLOCKED, PASSED):
            run(entry, pm, result)
    client.force_login(pm)

    counts = []
    for cycle in (small, large):
        url = reverse("uat:cycle-dashboard", args=[project.code, cycle.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        assert b'class="cycle-trend"' in response.content
        counts.append(len(captured))

    assert counts[0] == counts[1]


def test_a_recorded_run_keeps_its_project(project, pm):
    cycle = make_cycle(project)
    (entry,) = make_scope(cycle, 1, pm)

    recorded = execution_record(actor=pm, entry=entry, result=PASSED)
    created = models.TestExecution.objects.create(entry=entry, executed_by=pm, result=FAILED)

    assert recorded.project_id == project.pk
    assert models.TestExecution.objects.get(pk=created.pk).project_id == project.pk


def test_api_lists_a_projects_runs_latest_first_by_its_code(api_as, project, pm, outsider):
    cycle = make_cycle(project)
    first, second = make_scope(cycle, 2)
    older = _run_at(first, pm, FAILED, _utc(START, 9))
    newer = _run_at(second, pm, PASSED, _utc(START, 10))
    tie = _run_at(first, pm, PASSED, _utc(START, 10))

    data = api_as(pm).get("/api/v1/test-executions/", {"project": project.code.lower()}).json()

    assert [row["pk"] for row in data["results"]] == [tie.pk, newer.pk, older.pk]
    assert {row["project"] for row in data["results"]} == {project.code}
    assert data["count"] == 3
    assert api_as(outsider).get("/api/v1/test-executions/").json()["count"] == 0


def test_chart_local_day_matches_python_conversion(cycle, pm):
    # The SQL buckets agree with converting each run in Python, across the whole day.
    (entry,) = make_scope(cycle, 1)
    zone = zoneinfo.ZoneInfo(ZONE)
    moments = [_utc(START, hour, 59) for hour in range(24)]
    for at in moments:
        _run_at(entry, pm, PASSED, at)

    counted = {row.day: 0 for row in execution_trend(cycle)}
    for row in execution_trend(cycle):
        counted[row.day] += row.runs

    expected: dict[datetime.date, int] = {}
    for at in moments:
        local = at.astimezone(zone).date()
        expected[local] = expected.get(local, 0) + 1
    assert counted == expected
