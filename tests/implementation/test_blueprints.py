import datetime

from hypothesis import given
from hypothesis import strategies as st

from implementation.blueprints import BLUEPRINTS, add_months, default_go_live, plan_phases
from implementation.choices import PhaseKind
from projects.choices import SystemKind


def test_add_months_clamps_to_month_end():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2028, 1, 31), 1) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 11, 15), 3) == datetime.date(2027, 2, 15)


def test_default_go_live_follows_typical_durations():
    start = datetime.date(2026, 1, 5)
    assert default_go_live(SystemKind.ERP, start) == datetime.date(2026, 10, 5)
    assert default_go_live(SystemKind.CRM, start) == datetime.date(2026, 5, 5)
    assert default_go_live(SystemKind.ERP_CRM, start) == datetime.date(2027, 1, 5)


@given(
    kind=st.sampled_from(list(SystemKind)),
    start=st.dates(datetime.date(2020, 1, 1), datetime.date(2035, 1, 1)),
    span=st.integers(min_value=10, max_value=1500),
)
def test_planned_phases_are_ordered_and_anchored_on_go_live(kind, start, span):
    go_live = start + datetime.timedelta(days=span)
    plan = plan_phases(BLUEPRINTS[kind], start, go_live)

    assert [kind for kind, _start, _end in plan] == list(PhaseKind)
    assert plan[0][1] == start
    for _kind, phase_start, phase_end in plan:
        assert phase_start <= phase_end
    for (_k1, start1, end1), (_k2, start2, _e2) in zip(plan, plan[1:], strict=False):
        assert start1 <= start2 <= end1 or start2 == end1
    assert plan[4][2] == go_live + datetime.timedelta(days=7)
    assert plan[5][1] == go_live
    assert all(end <= go_live for _k, _s, end in plan[:4])
