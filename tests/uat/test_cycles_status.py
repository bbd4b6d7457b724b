import datetime
from decimal import Decimal

import pytest

from tests.uat.test_cycles_factories import (
    add_to_scope,
    make_cycle,
    make_defect,
    make_scenario,
    make_scope,
    run,
)
from uat.choices import DefectStatus, ExecutionResult, Severity
from uat.selectors.cycles import cycle_status, cycle_statuses, project_current_cycle

P, F, B, N = (
    ExecutionResult.PASSED,
    ExecutionResult.FAILED,
    ExecutionResult.BLOCKED,
    ExecutionResult.NOT_RUN,
)


def _criteria(status):
    return {c.key: (c.threshold, c.actual, c.met) for c in status.exit_criteria}


def test_nothing_run_has_no_pass_rate(project, pm):
    cycle = make_cycle(project)
    make_scope(cycle, 3)

    status = cycle_status(cycle)

    assert (status.planned, status.executed, status.passed, status.failed, status.blocked) == (
        3,
        0,
        0,
        0,
        0,
    )
    assert status.pass_rate is None
    assert status.not_executed == 3
    assert _criteria(status) == {
        "all_executed": (3, 0, False),
        "pass_rate": (Decimal("95"), None, False),
        "open_critical": (0, 0, True),
        "open_high": (0, 0, True),
    }
    assert status.all_met is False


def test_counts_only_the_latest_run_of_each_scenario(project, pilot_user):
    cycle = make_cycle(project)
    first, second, third, fourth = make_scope(cycle, 4)
    run(first, pilot_user, F)
    run(first, pilot_user, P)  # re-run after the fix: this one counts
    run(second, pilot_user, P)
    run(second, pilot_user, B)
    run(third, pilot_user, P)
    run(third, pilot_user, N)  # latest says not run: not executed
    run(fourth, pilot_user, F)

    status = cycle_status(cycle)

    assert (status.planned, status.executed, status.passed, status.failed, status.blocked) == (
        4,
        3,
        1,
        1,
        1,
    )
    assert status.pass_rate == Decimal("33.3")


def test_every_criterion_met(project, pm):
    cycle = make_cycle(project, min_pass_rate=Decimal("95"), max_open_critical=1, max_open_high=2)
    entries = make_scope(cycle, 2)
    for entry in entries:
        run(entry, pm, P)
    make_defect(project, pm, cycle, Severity.CRITICAL)
    make_defect(project, pm, cycle, Severity.HIGH)
    make_defect(project, pm, cycle, Severity.HIGH)

    status = cycle_status(cycle)

    assert status.pass_rate == Decimal("100.0")
    assert _criteria(status) == {
        "all_executed": (2, 2, True),
        "pass_rate": (Decimal("95"), Decimal("100.0"), True),
        "open_critical": (1, 1, True),
        "open_high": (2, 2, True),
    }
    assert status.all_met is True


def test_every_criterion_not_met(project, pm):
    cycle = make_cycle(project, min_pass_rate=Decimal("95"))
    entries = make_scope(cycle, 3)
    run(entries[0], pm, P)
    run(entries[1], pm, F)
    make_defect(project, pm, cycle, Severity.CRITICAL)
    make_defect(project, pm, cycle, Severity.HIGH, DefectStatus.REOPENED)

    status = cycle_status(cycle)

    assert _criteria(status) == {
        "all_executed": (3, 2, False),
        "pass_rate": (Decimal("95"), Decimal("50.0"), False),
        "open_critical": (0, 1, False),
        "open_high": (0, 1, False),
    }
    assert status.all_met is False


def test_pass_rate_compares_the_exact_fraction(project, pm):
    # 18 of 19 is 94.74%, shown 94.7: below 95.
    cycle = make_cycle(project, min_pass_rate=Decimal("94.74"))
    entries = make_scope(cycle, 19)
    for entry in entries[:18]:
        run(entry, pm, P)
    run(entries[18], pm, F)

    status = cycle_status(cycle)

    assert status.pass_rate == Decimal("94.7")
    assert _criteria(status)["pass_rate"][2] is False


def test_all_executed_criterion_left_out_when_not_required(project, pm):
    cycle = make_cycle(project, require_all_executed=False, min_pass_rate=Decimal("50"))
    entries = make_scope(cycle, 3)
    run(entries[0], pm, P)

    status = cycle_status(cycle)

    assert [c.key for c in status.exit_criteria] == ["pass_rate", "open_critical", "open_high"]
    assert status.all_met is True


def test_open_defects_count_only_open_statuses_of_this_cycle(project, pm):
    cycle = make_cycle(project)
    other = make_cycle(project, name="UAT round 2")
    original = make_defect(project, pm, None, Severity.LOW, DefectStatus.CLOSED)
    for status_ in DefectStatus:
        defect = make_defect(project, pm, cycle, Severity.CRITICAL, DefectStatus.NEW)
        defect.status = status_
        defect.duplicate_of = original if status_ == DefectStatus.DUPLICATE else None
        defect.save()
    make_defect(project, pm, other, Severity.CRITICAL)
    make_defect(project, pm, None, Severity.HIGH)
    make_defect(project, pm, cycle, Severity.LOW)

    status = cycle_status(cycle)

    assert status.open_defects == {"critical": 5, "high": 0, "medium": 0, "low": 1}


@pytest.mark.parametrize("count", [2, 20])
def test_status_costs_two_queries(project, pm, count, django_assert_num_queries):
    cycle = make_cycle(project)
    for entry in make_scope(cycle, count):
        run(entry, pm, P)
    make_defect(project, pm, cycle, Severity.HIGH)

    with django_assert_num_queries(2):
        status = cycle_status(cycle)

    assert status.executed == count


def test_statuses_of_many_cycles_in_two_queries(project, pm, django_assert_num_queries):
    cycles = [make_cycle(project, name=f"Round {n}") for n in range(3)]
    add_to_scope(cycles[0], make_scenario(project, code="UAT-X-01"))

    with django_assert_num_queries(2):
        statuses = cycle_statuses(cycles)

    assert [statuses[c.pk].planned for c in cycles] == [1, 0, 0]


def test_the_current_cycle_is_the_latest_started_of_those_running_today(
    project, django_assert_num_queries
):
    today = project.local_today()
    days = datetime.timedelta

    def cycle(name, start, end):
        return make_cycle(project, name, starts_on=today + days(start), ends_on=today + days(end))

    cycle("Ended", -30, -10)
    cycle("Running since long", -20, 5)
    running = cycle("Running", -3, 3)
    planned = cycle("Planned", 10, 20)

    with django_assert_num_queries(1):
        assert project_current_cycle(project) == running

    running.delete()
    project.test_cycles.filter(name="Running since long").delete()
    # None running: the latest planned one, even before it starts.
    with django_assert_num_queries(1):
        assert project_current_cycle(project) == planned
