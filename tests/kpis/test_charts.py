"""The KPI chart and the status bar as SVG, from plain values (no database)."""

import datetime
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from kpis.charts import kpi_chart, status_bar

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal
JAN_1 = datetime.date(2026, 1, 1)
SEP_30 = datetime.date(2026, 9, 30)


def chart_args(**overrides) -> dict:
    """Invoice errors falling from 12 % towards 4 %, measured three times, seen on 10 May."""
    args = {
        "name": "Invoice errors",
        "unit": "%",
        "baseline": D("12.0000"),
        "baseline_date": JAN_1,
        "target": D("4.0000"),
        "target_date": SEP_30,
        "points": [
            (datetime.date(2026, 3, 1), D("11.5000")),
            (datetime.date(2026, 4, 1), D("9.2500")),
            (datetime.date(2026, 5, 1), D("8.0000")),
        ],
        "today": datetime.date(2026, 5, 10),
        "direction": "lower",
    }
    return args | overrides


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own rendering


def one(root: ET.Element, path: str) -> ET.Element:
    found = root.findall(path)
    assert len(found) == 1, path
    return found[0]


def box(root: ET.Element) -> tuple[float, float]:
    _x, _y, width, height = (float(n) for n in root.get("viewBox").split())
    return width, height


def vertices(polyline: ET.Element) -> list[tuple[float, float]]:
    return [tuple(float(n) for n in pair.split(",")) for pair in polyline.get("points").split()]


def texts(root: ET.Element, css: str) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if css in t.get("class", "").split()]


# --- The chart ----------------------------------------------------------------------------


def test_measurements_are_a_line_with_one_titled_dot_per_point():
    root = parse(kpi_chart(**chart_args()))

    line = one(root, f".//{SVG}polyline[@class='kpi-chart__measured']")
    dots = one(root, f".//{SVG}g[@class='kpi-chart__measured kpi-chart__dots']")
    circles = dots.findall(f"{SVG}circle")
    assert len(vertices(line)) == 3
    assert [(float(c.get("cx")), float(c.get("cy"))) for c in circles] == vertices(line)
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "March 1, 2026: 11.5%",
        "April 1, 2026: 9.25%",
        "May 1, 2026: 8%",
    ]
    assert line.get("stroke") == "#1d4ed8"
    assert line.get("fill") == "none"


def test_a_unit_other_than_percent_follows_the_grouped_value_after_a_space():
    root = parse(kpi_chart(**chart_args(unit="orders/h", points=[(JAN_1, D("1250.5000"))])))

    dot = one(root, f".//{SVG}g[@class='kpi-chart__measured kpi-chart__dots']/{SVG}circle")
    assert dot.find(f"{SVG}title").text == "Jan. 1, 2026: 1,250.5 orders/h"


def test_higher_values_are_drawn_higher_and_later_dates_further_right():
    root = parse(kpi_chart(**chart_args()))

    points = vertices(one(root, f".//{SVG}polyline"))
    assert [x for x, _y in points] == sorted(x for x, _y in points)
    assert [y for _x, y in points] == sorted(y for _x, y in points)  # values fall: y grows


def test_trajectory_is_dashed_from_the_baseline_point_to_the_target_point():
    root = parse(kpi_chart(**chart_args()))

    trajectory = one(root, f"./{SVG}line[@class='kpi-chart__trajectory']")
    baseline = one(root, f"./{SVG}circle[@class='kpi-chart__baseline']")
    target = one(root, f"./{SVG}path[@class='kpi-chart__target kpi-chart__target-point']")
    assert trajectory.get("stroke-dasharray")
    assert (trajectory.get("x1"), trajectory.get("y1")) == (baseline.get("cx"), baseline.get("cy"))
    target_x, target_top = (float(n) for n in target.get("d")[1:].split()[:2])
    assert float(trajectory.get("x2")) == target_x
    assert float(trajectory.get("y2")) == pytest.approx(target_top + 5)  # the diamond's centre
    assert baseline.find(f"{SVG}title").text == "Baseline: 12% on Jan. 1, 2026"
    assert target.find(f"{SVG}title").text == "Target: 4% by Sept. 30, 2026"
    assert texts(root, "kpi-chart__baseline-label") == ["Baseline: 12%"]


def test_target_is_a_dashed_horizontal_line_across_the_plot():
    root = parse(kpi_chart(**chart_args()))

    line = one(root, f"./{SVG}line[@class='kpi-chart__target']")
    trajectory = one(root, f"./{SVG}line[@class='kpi-chart__trajectory']")
    axis = one(root, f"./{SVG}line[@class='kpi-chart__axis']")
    assert line.get("y1") == line.get("y2") == trajectory.get("y2")
    assert (line.get("x1"), line.get("x2")) == (axis.get("x1"), axis.get("x2"))
    assert line.get("stroke-dasharray")
    assert line.get("stroke") == "#15803d"
    assert line.find(f"{SVG}title").text == "Target: 4%"


def test_today_is_a_vertical_marker_placed_by_date():
    root = parse(kpi_chart(**chart_args()))

    today = one(root, f"./{SVG}line[@class='kpi-chart__today']")
    trajectory = one(root, f"./{SVG}line[@class='kpi-chart__trajectory']")
    assert today.get("x1") == today.get("x2")
    start, end = float(trajectory.get("x1")), float(trajectory.get("x2"))
    elapsed = (datetime.date(2026, 5, 10) - JAN_1).days / (SEP_30 - JAN_1).days
    assert float(today.get("x1")) == pytest.approx(start + (end - start) * elapsed, abs=0.1)
    assert float(today.get("y1")) < float(today.get("y2"))
    assert today.find(f"{SVG}title").text == "Today: May 10, 2026"
    assert texts(root, "kpi-chart__today-label") == ["Today"]


def test_value_axis_has_round_ticks_covering_every_value():
    root = parse(kpi_chart(**chart_args()))

    labels = [t for t in texts(root, "kpi-chart__tick") if t not in texts(root, "kpi-chart__date")]
    assert labels == ["2", "4", "6", "8", "10", "12", "14"]


def test_date_ticks_are_month_starts_on_long_spans():
    root = parse(kpi_chart(**chart_args()))

    assert texts(root, "kpi-chart__date") == [
        "Jan 2026",
        "Mar 2026",
        "May 2026",
        "Jul 2026",
        "Sep 2026",
    ]


def test_date_ticks_localise():
    short = chart_args(target_date=datetime.date(2026, 1, 20), today=datetime.date(2026, 1, 10))
    short["points"] = [(datetime.date(2026, 1, 5), D("11"))]

    with translation.override("vi"):
        long_labels = texts(parse(kpi_chart(**chart_args())), "kpi-chart__date")
        short_labels = texts(parse(kpi_chart(**short)), "kpi-chart__date")

    assert long_labels[0] == "Tháng 1 2026"
    assert short_labels[:2] == ["01-01-2026", "08-01-2026"]


def test_chart_is_labelled_for_screen_readers():
    root = parse(kpi_chart(**chart_args()))

    description = (
        "KPI chart of Invoice errors (%); baseline 12% on Jan. 1, 2026; "
        "target 4% by Sept. 30, 2026; latest measurement 8% on May 1, 2026; lower is better"
    )
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == description
    assert root.find(f"{SVG}title").text == description


def test_full_chart_has_a_legend_of_measured_target_and_trajectory():
    root = parse(kpi_chart(**chart_args()))

    legend = one(root, f".//{SVG}g[@class='kpi-chart__legend']")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["Measured", "Target", "Trajectory"]
    assert box(root) == (640, 260)
    assert root.get("width") == "100%"


def test_compact_chart_is_smaller_with_the_same_elements_and_only_min_max_labels():
    full = parse(kpi_chart(**chart_args()))
    root = parse(kpi_chart(**chart_args(), compact=True))

    assert box(root) == (220, 90)
    assert box(root) < box(full)
    assert "kpi-chart--compact" in root.get("class")
    assert root.find(f".//{SVG}g[@class='kpi-chart__legend']") is None
    assert texts(root, "kpi-chart__today-label") == []
    assert texts(root, "kpi-chart__baseline-label") == []
    for css in ("kpi-chart__target", "kpi-chart__trajectory", "kpi-chart__today"):
        one(root, f"./{SVG}line[@class='{css}']")
    one(root, f"./{SVG}circle[@class='kpi-chart__baseline']")
    assert len(vertices(one(root, f".//{SVG}polyline"))) == 3
    assert texts(root, "kpi-chart__date") == ["01/01/2026", "09/30/2026"]
    assert len(texts(root, "kpi-chart__tick")) == 4  # two values, two dates


def test_compact_size_can_be_chosen():
    root = parse(kpi_chart(**chart_args(), compact=True, width=300, height=120))

    assert box(root) == (300, 120)
    assert (root.get("width"), root.get("height")) == ("300", "120")


def test_hostile_name_and_unit_are_escaped():
    svg = kpi_chart(**chart_args(name="<script>alert(1)</script>", unit='&"<>'))

    assert isinstance(svg, SafeString)
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "&amp;&quot;&lt;&gt;" in svg
    root = parse(svg)
    assert root.get("aria-label").startswith('KPI chart of <script>alert(1)</script> (&"<>);')
    dot = root.find(f".//{SVG}g[@class='kpi-chart__measured kpi-chart__dots']/{SVG}circle")
    assert dot.find(f"{SVG}title").text == 'March 1, 2026: 11.5 &"<>'


def test_without_baseline_or_measurements_the_chart_says_so():
    root = parse(kpi_chart(**chart_args(baseline=None, baseline_date=None, points=[])))

    assert texts(root, "kpi-chart__empty") == ["No baseline or measurements yet"]
    assert root.find(f".//{SVG}polyline") is None
    assert root.find(f".//{SVG}line") is None
    assert root.get("role") == "img"


def test_without_baseline_the_measurements_and_target_are_drawn_but_no_trajectory():
    root = parse(kpi_chart(**chart_args(baseline=None, baseline_date=None)))

    assert len(vertices(one(root, f".//{SVG}polyline"))) == 3
    one(root, f"./{SVG}line[@class='kpi-chart__target']")
    assert root.find(f"./{SVG}line[@class='kpi-chart__trajectory']") is None
    assert root.find(f"./{SVG}circle[@class='kpi-chart__baseline']") is None


def test_without_target_there_is_no_target_line_nor_trajectory():
    root = parse(kpi_chart(**chart_args(target=None, target_date=None, points=[])))

    one(root, f"./{SVG}circle[@class='kpi-chart__baseline']")
    assert root.find(f"./{SVG}line[@class='kpi-chart__target']") is None
    assert root.find(f"./{SVG}line[@class='kpi-chart__trajectory']") is None
    assert root.find(f".//{SVG}polyline") is None
    one(root, f"./{SVG}line[@class='kpi-chart__today']")


def test_legend_lists_only_what_is_drawn():
    root = parse(kpi_chart(**chart_args(target=None, target_date=None)))

    legend = one(root, f"./{SVG}g[@class='kpi-chart__legend']")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["Measured"]


DAY = datetime.date(2026, 3, 1)
DEGENERATE = {
    "single-point": {"points": [(datetime.date(2026, 3, 1), D("11"))]},
    "all-values-equal": {
        "baseline": D("5"),
        "target": D("5"),
        "points": [(datetime.date(2026, 3, 1), D("5")), (datetime.date(2026, 4, 1), D("5"))],
    },
    "baseline-equals-target": {"baseline": D("4"), "target": D("4")},
    "all-zero": {"baseline": D("0"), "target": D("0"), "points": [(DAY, D("0"))]},
    "all-on-one-day": {
        "baseline_date": DAY,
        "target_date": DAY,
        "today": DAY,
        "points": [(DAY, D("7")), (DAY, D("8"))],
    },
    "one-day-one-value": {
        "baseline": None,
        "baseline_date": None,
        "target": None,
        "target_date": None,
        "today": DAY,
        "points": [(DAY, D("3"))],
    },
    "negative-values": {
        "baseline": D("-120.5"),
        "target": D("-20"),
        "points": [(DAY, D("-300")), (datetime.date(2026, 4, 1), D("15"))],
    },
    "huge-values": {
        "baseline": D("1000000000"),
        "target": D("2500000000.0000"),
        "points": [(DAY, D("1E+9")), (datetime.date(2026, 4, 1), D("1999999999.9999"))],
    },
    "tiny-differences": {"baseline": D("1.0001"), "target": D("1.0002"), "points": []},
    "target-date-before-today": {"today": datetime.date(2027, 6, 1)},
    "points-after-target-date": {
        "points": [(datetime.date(2026, 11, 1), D("3")), (datetime.date(2027, 2, 1), D("2"))]
    },
    "today-before-baseline": {"today": datetime.date(2025, 6, 1), "points": []},
    "unsorted-points": {
        "points": [(datetime.date(2026, 4, 1), D("9")), (datetime.date(2026, 3, 1), D("10"))]
    },
    "ten-years": {"target_date": datetime.date(2036, 1, 1)},
    "int-and-float-values": {"baseline": 12, "target": 4.5, "points": [(DAY, 10)]},
    "no-target": {"target": None, "target_date": None},
}


@pytest.mark.parametrize("compact", [False, True], ids=["full", "compact"])
@pytest.mark.parametrize("case", DEGENERATE.values(), ids=DEGENERATE.keys())
def test_degenerate_input_still_draws_inside_the_box(case, compact):
    svg = kpi_chart(**chart_args(**case), compact=compact)

    root = parse(svg)
    width, height = box(root)
    assert not re.search(r"nan|inf", svg, re.IGNORECASE)
    for element in root.iter():
        for attribute in ("x", "x1", "x2", "cx"):
            if element.get(attribute) is not None:
                assert -1 <= float(element.get(attribute)) <= width + 1, (element.tag, attribute)
        for attribute in ("y", "y1", "y2", "cy"):
            if element.get(attribute) is not None:
                assert -1 <= float(element.get(attribute)) <= height + 1, (element.tag, attribute)
    polyline = root.find(f"./{SVG}polyline")
    for x, y in vertices(polyline) if polyline is not None else []:
        assert 0 <= x <= width
        assert 0 <= y <= height
    one(root, f"./{SVG}line[@class='kpi-chart__today']")


def test_equal_values_are_drawn_in_the_middle_of_round_ticks():
    root = parse(kpi_chart(**chart_args(**DEGENERATE["all-values-equal"])))

    labels = [t for t in texts(root, "kpi-chart__tick") if t not in texts(root, "kpi-chart__date")]
    assert labels == ["4.4", "4.6", "4.8", "5.0", "5.2", "5.4", "5.6"]
    target = one(root, f"./{SVG}line[@class='kpi-chart__target']")
    ys = {y for _x, y in vertices(one(root, f".//{SVG}polyline"))}
    assert ys == {float(target.get("y1"))}


# --- The status bar -----------------------------------------------------------------------


def segments(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{SVG}rect")


def test_status_segments_are_proportional_and_fill_the_bar():
    counts = {"achieved": 2, "on_track": 3, "at_risk": 1, "off_track": 0, "no_data": 4}

    root = parse(status_bar(counts=counts))

    width, height = box(root)
    rects = segments(root)
    widths = [float(r.get("width")) for r in rects]
    assert [r.get("class").split()[-1] for r in rects] == [
        "kpi-status-bar__segment--achieved",
        "kpi-status-bar__segment--on-track",
        "kpi-status-bar__segment--at-risk",
        "kpi-status-bar__segment--no-data",
    ]
    assert widths == [48.0, 72.0, 24.0, 96.0]  # 2, 3, 1 and 4 tenths of 240
    assert sum(widths) == pytest.approx(width)
    assert [float(r.get("x")) for r in rects] == [0.0, 48.0, 120.0, 144.0]
    assert {r.get("height") for r in rects} == {str(int(height))}
    assert [r.get("fill") for r in rects] == ["#15803d", "#0f766e", "#d97706", "#9ca3af"]
    assert [r.find(f"{SVG}title").text for r in rects] == [
        "Achieved: 2",
        "On track: 3",
        "At risk: 1",
        "Not measured yet: 4",
    ]
    assert root.get("role") == "img"
    assert root.get("aria-label") == (
        "KPI status: Achieved: 2, On track: 3, At risk: 1, Not measured yet: 4"
    )


def test_status_segments_with_uneven_shares_still_add_up_to_the_bar():
    counts = {"achieved": 1, "on_track": 1, "at_risk": 1, "off_track": 1, "no_baseline": 3}

    root = parse(status_bar(counts=counts, width=100))

    widths = [float(r.get("width")) for r in segments(root)]
    assert len(widths) == 5
    assert sum(widths) == pytest.approx(100)
    assert widths[-1] == pytest.approx(3 * widths[0], abs=0.2)
    assert segments(root)[-1].get("fill") == "#d1d5db"


def test_status_bar_without_kpis_draws_an_empty_frame():
    root = parse(status_bar(counts={"achieved": 0}))

    rects = segments(root)
    assert [r.get("class") for r in rects] == ["kpi-status-bar__empty"]
    assert root.get("aria-label") == "KPI status: no KPIs"


def test_status_bar_ignores_unknown_keys_and_negative_counts():
    root = parse(status_bar(counts={"achieved": 1, "mystery": 5, "at_risk": -2}))

    rects = segments(root)
    assert len(rects) == 1
    assert float(rects[0].get("width")) == 240.0


def test_chart_date_labels_follow_the_active_language_despite_the_label_cache():
    from kpis.charts import date_format

    day = datetime.date(2026, 11, 30)
    with translation.override("en"):
        english = date_format(day)
    with translation.override("vi"):
        vietnamese = date_format(day)
    with translation.override("en"):
        assert date_format(day) == english

    assert english != vietnamese
    assert "2026" in english
    assert "2026" in vietnamese
