"""The overview's small multiples draw at most about COMPACT_POINTS measurements (keeping the
first, the last, the lowest and the highest); the KPI's own chart draws every one."""

import datetime
import re
from decimal import Decimal

from kpis.charts import COMPACT_POINTS, kpi_chart, thin

START = datetime.date(2026, 1, 1)


def _points(count: int) -> list[tuple[datetime.date, Decimal]]:
    # A wave with one low dip and one high peak in the middle of the series.
    values = [Decimal(50 + (n % 7)) for n in range(count)]
    values[count // 3], values[2 * count // 3] = Decimal(3), Decimal(97)
    return [(START + datetime.timedelta(days=n), v) for n, v in enumerate(values)]


def _chart(points, *, compact: bool) -> str:
    return kpi_chart(
        name="Order lead time",
        unit="h",
        baseline=Decimal(60),
        baseline_date=START,
        target=Decimal(20),
        target_date=START + datetime.timedelta(days=400),
        points=points,
        today=START + datetime.timedelta(days=250),
        direction="lower",
        compact=compact,
    )


def _dots(svg: str) -> int:
    dots = re.search(r'<g class="kpi-chart__measured kpi-chart__dots".*?</g>', svg, re.S).group(0)
    return dots.count("<circle")


def test_thin_keeps_ends_and_extremes_and_at_most_the_limit():
    points = _points(200)

    kept = thin(points, COMPACT_POINTS)

    assert len(kept) <= COMPACT_POINTS
    assert kept[0] == points[0]
    assert kept[-1] == points[-1]
    assert min(v for _d, v in kept) == Decimal(3)
    assert max(v for _d, v in kept) == Decimal(97)
    assert kept == sorted(kept)


def test_thin_leaves_a_short_series_alone():
    points = _points(COMPACT_POINTS)

    assert thin(points, COMPACT_POINTS) == points


def test_the_small_chart_draws_at_most_the_limit_and_the_large_one_every_point():
    points = _points(200)

    small, large = _chart(points, compact=True), _chart(points, compact=False)

    assert _dots(small) <= COMPACT_POINTS
    assert _dots(large) == 200
    assert "latest measurement 53 h" in small  # the last point is still the latest one
