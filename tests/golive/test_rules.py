"""The arithmetic of go-live readiness without a database: reconciliation of a load, cycles
among cutover tasks and their order, training coverage."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from implementation.choices import Reconciliation
from implementation.golive_rules import (
    Coverage,
    coverage,
    dependency_cycle,
    percent_text,
    reconcile,
    topological_order,
    total_coverage,
)

D = Decimal
RANK = {Reconciliation.RECONCILED: 0, Reconciliation.WITHIN_TOLERANCE: 1, Reconciliation.FAILED: 2}


def check(source=100, loaded=100, rejected=0, source_total=None, target_total=None, tolerance=0):
    return reconcile(
        source_count=source,
        loaded_count=loaded,
        rejected_count=rejected,
        source_total=source_total,
        target_total=target_total,
        tolerance_percent=D(tolerance),
    )


# --- Reconciliation -------------------------------------------------------------------------


def test_every_record_and_equal_totals_reconcile_with_no_gaps():
    result = check(source_total=D("1500.50"), target_total=D("1500.50"))

    assert result.status == Reconciliation.RECONCILED
    assert (result.missing, result.unaccounted) == (0, 0)
    assert result.missing_percent == 0
    assert result.total_difference == 0
    assert result.total_difference_percent == 0
    assert result.rejected_percent == 0


def test_records_missing_within_the_tolerance_pass_within_tolerance():
    result = check(source=1000, loaded=995, rejected=5, tolerance="0.5")

    assert result.status == Reconciliation.WITHIN_TOLERANCE
    assert (result.missing, result.unaccounted) == (5, 0)
    assert result.missing_percent == D("0.5")
    assert result.rejected_percent == D("0.5")


def test_records_missing_beyond_the_tolerance_fail():
    result = check(source=1000, loaded=994, rejected=6, tolerance="0.5")

    assert result.status == Reconciliation.FAILED
    assert result.missing_percent == D("0.6")


def test_a_control_total_within_the_tolerance_passes_within_tolerance():
    result = check(source_total=D("200000"), target_total=D("199000"), tolerance=1)

    assert result.status == Reconciliation.WITHIN_TOLERANCE
    assert result.total_difference == D("-1000")
    assert result.total_difference_percent == D("0.5")


def test_a_control_total_beyond_the_tolerance_fails_even_with_every_record_loaded():
    result = check(source_total=D("200000"), target_total=D("203000"), tolerance=1)

    assert result.status == Reconciliation.FAILED
    assert result.missing == 0
    assert result.total_difference == D("3000")
    assert result.total_difference_percent == D("1.5")


@pytest.mark.parametrize(
    ("loaded", "target_total"), [(99, D("100")), (100, D("100.01")), (100, D("99.99"))]
)
def test_zero_tolerance_means_exact(loaded, target_total):
    result = check(loaded=loaded, source_total=D("100"), target_total=target_total, tolerance=0)
    assert result.status == Reconciliation.FAILED


def test_an_empty_source_loaded_empty_reconciles():
    result = check(source=0, loaded=0)

    assert result.status == Reconciliation.RECONCILED
    assert result.missing_percent == 0
    assert result.rejected_percent == 0


def test_a_control_total_of_zero_in_source_fails_any_difference_whatever_the_tolerance():
    result = check(source_total=D(0), target_total=D("0.01"), tolerance=100)

    assert result.status == Reconciliation.FAILED
    assert result.total_difference_percent.is_infinite()
    assert percent_text(result.total_difference_percent) == "∞"


@pytest.mark.parametrize(
    ("source_total", "target_total"), [(D("100"), None), (None, D("100")), (None, None)]
)
def test_control_totals_are_compared_only_when_both_are_given(source_total, target_total):
    result = check(source_total=source_total, target_total=target_total)

    assert result.status == Reconciliation.RECONCILED
    assert result.total_difference is None
    assert result.total_difference_percent is None


def test_records_neither_loaded_nor_rejected_are_unaccounted():
    result = check(source=100, loaded=90, rejected=7, tolerance=20)

    assert (result.missing, result.unaccounted) == (10, 3)
    assert result.rejected_percent == D(7)
    assert result.status == Reconciliation.WITHIN_TOLERANCE


def test_percent_text_shows_two_decimals_at_most_and_a_dash_for_nothing():
    assert percent_text(D("0.5")) == "0.5"
    assert percent_text(D("33.3333")) == "33.33"
    assert percent_text(D("100.00")) == "100"
    assert percent_text(None) == "-"


counts = st.integers(min_value=0, max_value=10_000)
totals = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
)
tolerances = st.decimals(min_value=0, max_value=100, places=2)


@st.composite
def loads(draw):
    source = draw(counts)
    loaded = draw(st.integers(min_value=0, max_value=source))
    rejected = draw(st.integers(min_value=0, max_value=source - loaded))
    return source, loaded, rejected, draw(totals), draw(totals)


@given(load=loads(), tolerance=tolerances)
def test_reconciled_exactly_when_nothing_is_missing_and_the_totals_agree(load, tolerance):
    source, loaded, rejected, source_total, target_total = load
    result = check(source, loaded, rejected, source_total, target_total, tolerance)

    totals_agree = source_total is None or target_total is None or source_total == target_total
    assert (result.status == Reconciliation.RECONCILED) == (loaded == source and totals_agree)
    assert result.missing == source - loaded
    assert result.unaccounted == source - loaded - rejected >= 0


@given(load=loads(), low=tolerances, high=tolerances)
def test_raising_the_tolerance_never_makes_a_status_worse(load, low, high):
    low, high = sorted((low, high))
    source, loaded, rejected, source_total, target_total = load

    stricter = check(source, loaded, rejected, source_total, target_total, low).status
    looser = check(source, loaded, rejected, source_total, target_total, high).status

    assert RANK[looser] <= RANK[stricter]


@given(load=loads())
def test_full_tolerance_fails_only_on_a_control_total_against_a_zero_or_doubled_source(load):
    """At 100% every record may be missing; only a control total can still fail."""
    source, loaded, rejected, source_total, target_total = load
    result = check(source, loaded, rejected, source_total, target_total, 100)
    if result.status == Reconciliation.FAILED:
        assert result.total_difference_percent is not None
        assert result.total_difference_percent > 100


# --- Cutover dependencies -------------------------------------------------------------------


def test_a_task_depending_on_itself_is_a_cycle():
    assert dependency_cycle(1, [1], {1: []}) == [1, 1]


def test_two_tasks_depending_on_each_other_are_a_cycle():
    edges = {1: [], 2: [1]}
    assert dependency_cycle(1, [2], edges) == [1, 2, 1]


def test_a_three_task_cycle_is_spelled_out_in_order():
    edges = {1: [], 2: [1], 3: [2]}
    assert dependency_cycle(1, [3], edges) == [1, 3, 2, 1]


def test_a_diamond_is_no_cycle():
    # 4 depends on 2 and 3, which both depend on 1
    edges = {1: [], 2: [1], 3: [1], 4: []}
    assert dependency_cycle(4, [2, 3], edges) is None
    assert dependency_cycle(2, [1], edges | {4: [2, 3]}) is None


def test_a_new_task_cannot_close_a_cycle():
    edges = {1: [2], 2: [1]}  # even when one slipped into the data
    assert dependency_cycle(None, [1, 2], edges) is None


def test_changing_dependencies_judges_the_new_ones_not_the_old():
    edges = {1: [2], 2: [3], 3: []}
    assert dependency_cycle(3, [], edges) is None
    assert dependency_cycle(3, [1], edges) == [3, 1, 2, 3]
    # 1 no longer depends on 2: 3 may now depend on 1
    assert dependency_cycle(1, [], edges) is None
    assert dependency_cycle(3, [1], edges | {1: []}) is None


def test_topological_order_puts_every_task_after_its_dependencies_ties_by_number():
    edges = {5: [3], 3: [1], 4: [1], 1: [], 2: []}

    order = topological_order(edges)

    assert order == [1, 2, 3, 4, 5]


def test_topological_order_keeps_a_cycle_from_the_database_by_number_at_the_end():
    edges = {1: [], 3: [2], 2: [3], 4: [1]}
    assert topological_order(edges) == [1, 4, 2, 3]


@given(
    st.dictionaries(
        st.integers(min_value=1, max_value=12),
        st.lists(st.integers(min_value=1, max_value=12), max_size=4),
        max_size=12,
    )
)
def test_topological_order_lists_each_task_once_after_its_dependencies_when_acyclic(raw):
    # Keep only edges to smaller numbers: always acyclic.
    edges = {task: [d for d in deps if d < task and d in raw] for task, deps in raw.items()}

    order = topological_order(edges)

    assert sorted(order) == sorted(edges)
    position = {task: i for i, task in enumerate(order)}
    for task, deps in edges.items():
        assert all(position[d] < position[task] for d in deps)
        assert dependency_cycle(task, deps, edges) is None


# --- Training coverage ----------------------------------------------------------------------


def test_coverage_per_department_in_the_order_given():
    rows = coverage(
        {"sales": 10, "warehouse": 20, "accounting_finance": 4},
        {"warehouse": 15, "sales": 9},
    )

    assert [(r.department, r.planned, r.trained) for r in rows] == [
        ("sales", 10, 9),
        ("warehouse", 20, 15),
        ("accounting_finance", 4, 0),
    ]
    assert [r.percent for r in rows] == [D("90.0"), D("75.0"), D("0.0")]
    assert [r.meets(D(90)) for r in rows] == [True, False, False]


def test_nine_of_ten_meets_ninety_per_cent_eight_of_ten_does_not():
    assert Coverage("sales", 10, 9).meets(D(90))
    assert not Coverage("sales", 10, 8).meets(D(90))


def test_coverage_is_compared_exactly_not_on_the_rounded_figure():
    row = Coverage("warehouse", 2000, 1799)  # 89.95%

    assert row.percent == D("89.9")  # shown rounded down, never up to the threshold
    assert not row.meets(D(90))
    assert Coverage("warehouse", 2000, 1800).meets(D(90))
    assert Coverage("warehouse", 3, 2).meets(D("66.66"))
    assert not Coverage("warehouse", 3, 2).meets(D("66.67"))


def test_trained_is_capped_by_planned():
    (row,) = coverage({"sales": 5}, {"sales": 7})
    assert (row.trained, row.percent) == (5, D("100.0"))


def test_a_department_without_planned_end_users_never_meets_and_shows_zero():
    row = Coverage("hr", 0, 0)
    assert row.percent == 0
    assert not row.meets(D(0))


def test_no_departments_give_no_rows_and_an_empty_total():
    assert coverage({}, {"sales": 3}) == []
    total = total_coverage([])
    assert (total.planned, total.trained, total.percent) == (0, 0, 0)


def test_total_coverage_adds_the_departments():
    total = total_coverage(coverage({"sales": 10, "warehouse": 30}, {"sales": 10, "warehouse": 20}))
    assert (total.planned, total.trained, total.percent) == (40, 30, D("75.0"))


@given(
    planned=st.integers(min_value=1, max_value=5000),
    trained=st.integers(min_value=0, max_value=5000),
    threshold=st.decimals(min_value=0, max_value=100, places=2),
)
def test_meets_is_exact_and_monotonic_in_the_threshold(planned, trained, threshold):
    (row,) = coverage({"sales": planned}, {"sales": trained})
    exact = Fraction(min(trained, planned) * 100, planned)
    assert row.meets(threshold) == (exact >= Fraction(threshold))
    if row.meets(threshold):
        assert row.meets(threshold / 2)
