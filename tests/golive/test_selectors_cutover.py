"""The run-sheet's buckets at a fixed moment, the plan's gaps, and their query counts."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from implementation.choices import CutoverStatus
from implementation.models import CutoverTask
from implementation.selectors import golive_cutover as selectors
from implementation.services import cutover, golive
from projects.models import Project
from tests.golive.factories import a_task

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
# The go-live weekend, in the future so the services accept every planned time.
NOW = datetime.datetime(2031, 3, 8, 10, 0, tzinfo=HANOI)
S = CutoverStatus


def at(hours: float) -> datetime.datetime:
    return NOW + datetime.timedelta(hours=hours)


def set_status(task, status, notes="") -> None:
    CutoverTask.objects.filter(pk=task.pk).update(status=status, notes=notes)


def numbers(rows) -> list[int]:
    return [row.task.number for row in rows]


@pytest.fixture
def plan(project, pm):
    """T-1 done, T-2 running past its end, T-3 running on time, T-4 not started and late,
    T-5 next and ready (depends on T-1), T-6 next waiting for T-2 and T-3, T-7 blocked,
    T-8 next without a start."""
    t1 = a_task(project, pm, title="Freeze legacy", planned_start=at(-4), duration_minutes=60)
    t2 = a_task(project, pm, title="Export balances", planned_start=at(-3), duration_minutes=60)
    t3 = a_task(project, pm, title="Load items", planned_start=at(-0.5), duration_minutes=120)
    t4 = a_task(project, pm, title="Check users", planned_start=at(-1), duration_minutes=30)
    t5 = a_task(project, pm, title="Load customers", planned_start=at(2), depends_on=[t1])
    t6 = a_task(project, pm, title="Reconcile", planned_start=at(1), depends_on=[t2, t3, t1])
    t7 = a_task(project, pm, title="Open POS", planned_start=at(-2), duration_minutes=30)
    t8 = a_task(project, pm, title="Announce", planned_start=None, duration_minutes=None)
    set_status(t1, S.DONE)
    set_status(t2, S.IN_PROGRESS)
    set_status(t3, S.IN_PROGRESS)
    set_status(t7, S.BLOCKED, notes="[2031-03-08 08:10 PM] Printer\n[2031-03-08 08:30 PM] No VPN")
    return [t1, t2, t3, t4, t5, t6, t7, t8]


def test_run_sheet_sorts_tasks_into_buckets_at_a_fixed_moment(project, plan):
    sheet = selectors.run_sheet(project, NOW)

    assert numbers(sheet.running) == [2, 3]
    assert [row.is_late for row in sheet.running] == [True, False]
    assert numbers(sheet.late) == [4]
    assert numbers(sheet.next) == [6, 5, 8]  # by planned start, none last
    assert numbers(sheet.blocked) == [7]
    assert numbers(sheet.done) == [1]
    assert sheet.total == 8


def test_next_tasks_are_ready_only_when_every_dependency_is_done(project, plan):
    sheet = selectors.run_sheet(project, NOW)

    by_number = {row.task.number: row for row in sheet.next}
    assert by_number[5].is_ready is True
    assert by_number[5].waiting_for == []
    assert by_number[6].is_ready is False
    assert by_number[6].waiting_for == ["T-2", "T-3"]
    assert by_number[8].is_ready is True


def test_blocked_task_shows_its_last_note(project, plan):
    sheet = selectors.run_sheet(project, NOW)

    assert sheet.blocked[0].last_note == "[2031-03-08 08:30 PM] No VPN"


def test_a_task_becomes_late_only_after_its_planned_start(project, pm):
    task = a_task(project, pm, planned_start=at(1), duration_minutes=30)

    assert numbers(selectors.run_sheet(project, at(1)).next) == [task.number]
    assert numbers(selectors.run_sheet(project, at(1.01)).late) == [task.number]


def test_a_running_task_is_late_only_after_its_planned_end(project, pm):
    task = a_task(project, pm, planned_start=at(0), duration_minutes=60)
    set_status(task, S.IN_PROGRESS)

    assert selectors.run_sheet(project, at(1)).running[0].is_late is False
    assert selectors.run_sheet(project, at(1.01)).running[0].is_late is True


def test_running_task_without_a_duration_is_never_late(project, pm):
    task = a_task(project, pm, planned_start=at(-5), duration_minutes=None)
    set_status(task, S.IN_PROGRESS)

    assert selectors.run_sheet(project, NOW).running[0].is_late is False


def test_countdowns_to_freeze_and_rollback(project, pm):
    golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=at(-0.75),
        rollback_decision_at=at(26.5),
        rollback_criteria="Invoices cannot be posted.",
    )

    sheet = selectors.run_sheet(project, NOW)

    assert (sheet.freeze.is_past, sheet.freeze.text) == (True, "passed 45 min ago")
    assert (sheet.rollback.is_past, sheet.rollback.text) == (False, "in 1 d 2 h")
    assert sheet.rollback_criteria == "Invoices cannot be posted."


def test_countdowns_without_a_go_live_plan_say_not_set(project):
    sheet = selectors.run_sheet(project, NOW)

    assert (sheet.freeze.at, sheet.freeze.text, sheet.freeze.is_past) == (None, "not set", False)
    assert sheet.rollback.text == "not set"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (59, "59 min"), (60, "1 h 00 min"), (125, "2 h 05 min"), (1500, "1 d 1 h")],
)
def test_duration_text(minutes, text):
    assert selectors.duration_text(datetime.timedelta(minutes=minutes)) == text
    assert selectors.duration_text(-datetime.timedelta(minutes=minutes)) == text


def test_plan_flags_what_each_task_lacks(project, pm, consultant):
    full = a_task(project, pm, planned_start=at(1), duration_minutes=30)
    bare = a_task(project, pm, owner=None, planned_start=None, duration_minutes=None)
    cutover.cutover_task_update(actor=pm, task=bare, depends_on=[full])

    rows = selectors.cutover_plan(user=consultant, project=project)

    assert [(row.task.number, row.gaps) for row in rows] == [
        (full.number, []),
        (bare.number, ["no owner", "no start", "no duration"]),
    ]
    assert rows[1].depends_on == ["T-1"]
    assert (rows[0].duration, rows[1].duration) == ("30 min", "")


def test_plan_and_task_are_hidden_from_outsiders(project, pm, outsider):
    a_task(project, pm)

    with pytest.raises(Http404):
        selectors.cutover_plan(user=outsider, project=project)
    with pytest.raises(Http404):
        selectors.cutover_task_get(user=outsider, project=project, number=1)


def _make_tasks(project, pm, count):
    previous = None
    for n in range(count):
        task = a_task(
            project,
            pm,
            title=f"Task {n}",
            planned_start=at(n - count / 2),
            depends_on=[previous] if previous else [],
        )
        if n % 4 == 0:
            set_status(task, S.DONE)
        elif n % 4 == 1:
            set_status(task, S.IN_PROGRESS)
        previous = task


@pytest.mark.parametrize("read", ["run_sheet", "plan"])
def test_queries_do_not_grow_with_tasks(project, pm, read):
    def count(n: int) -> int:
        _make_tasks(project, pm, n)
        fresh = Project.objects.get(pk=project.pk)
        with CaptureQueriesContext(connection) as captured:
            if read == "run_sheet":
                sheet = selectors.run_sheet(fresh, NOW)
                [row.waiting_for for row in sheet.next]
            else:
                [row.depends_on for row in selectors.cutover_plan(user=pm, project=fresh)]
        return len(captured)

    few = count(2)
    many = count(18)  # 20 in all

    assert few == many
    assert CutoverTask.objects.filter(project=project).count() == 20
