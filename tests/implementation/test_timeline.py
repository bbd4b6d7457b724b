"""The phase timeline's geometry and its SVG, from unsaved projects and phases."""

import datetime
import xml.etree.ElementTree as ET

import pytest

from implementation import timeline
from implementation.blueprints import BLUEPRINTS, plan_phases
from implementation.choices import PHASE_ORDER, PhaseKind, PhaseStatus
from implementation.models import Phase
from projects.choices import SystemKind
from projects.models import Project

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def a_project(start, go_live) -> Project:
    return Project(
        pk=7,
        code="HNR-ERP",
        name="Hanoi Retail ERP",
        system_kind=SystemKind.ERP,
        start_date=start,
        target_go_live=go_live,
        time_zone="Asia/Ho_Chi_Minh",
    )


def a_phase(kind, planned_start, planned_end, **fields) -> Phase:
    return Phase(
        kind=kind,
        position=PHASE_ORDER[kind],
        planned_start=planned_start,
        planned_end=planned_end,
        **fields,
    )


def planned(project) -> list[Phase]:
    """The six phases the ERP template plans for the project, none started."""
    return [
        a_phase(kind, start, end)
        for kind, start, end in plan_phases(
            BLUEPRINTS[SystemKind.ERP], project.start_date, project.target_go_live
        )
    ]


# --- Geometry -----------------------------------------------------------------------------


def test_dates_map_onto_the_plot_linearly():
    # first = Jan 8 - 7 days = Jan 1; last = Apr 30 + 7 days = May 7: 126 days over 756 px,
    # so 6 px a day from x = 180.
    project = a_project(datetime.date(2026, 1, 8), datetime.date(2026, 4, 30))
    phases = [a_phase(PhaseKind.DISCOVERY, datetime.date(2026, 1, 8), datetime.date(2026, 1, 29))]

    drawing = timeline.build(project=project, phases=phases, today=datetime.date(2026, 2, 26))

    assert drawing["today_x"] == 516.0  # day 56
    assert drawing["go_live_x"] == 894.0  # day 119
    row = drawing["rows"][0]
    assert row.planned == timeline.Bar(x=222.0, width=126.0, css="planned")  # days 7 to 28
    assert row.actual is None
    assert row.y == 30
    assert row.label == "Discovery & planning"
    assert row.title == "Discovery & planning: 2026-01-08 – 2026-01-29"
    assert (drawing["width"], drawing["height"]) == (960, 30 + 36 + 30)
    assert [tick.label for tick in drawing["ticks"]] == [
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
        "Apr 2026",
        "May 2026",
    ]
    assert drawing["ticks"][1].x == 366.0  # Feb 1 is day 31


def test_today_line_lies_between_the_first_and_the_last_planned_bar():
    project = a_project(datetime.date(2026, 1, 5), datetime.date(2026, 10, 5))
    phases = planned(project)

    drawing = timeline.build(project=project, phases=phases, today=datetime.date(2026, 6, 15))

    first, last = drawing["rows"][0].planned, drawing["rows"][-1].planned
    assert first.x + first.width < drawing["today_x"] < last.x
    assert drawing["today_x"] < drawing["go_live_x"]
    assert [row.y for row in drawing["rows"]] == [30, 66, 102, 138, 174, 210]
    assert drawing["plot_bottom"] == 30 + 6 * 36
    assert drawing["legend_y"] == 30 + 6 * 36 + 20


def test_the_plot_stretches_to_include_a_today_outside_the_plan():
    project = a_project(datetime.date(2026, 1, 5), datetime.date(2026, 10, 5))

    drawing = timeline.build(
        project=project, phases=planned(project), today=datetime.date(2025, 11, 1)
    )

    assert drawing["today_x"] == 180 + round(756 * 7 / drawing_span(project), 1)
    assert drawing["today_x"] < drawing["rows"][0].planned.x


def drawing_span(project) -> int:
    """Days from a week before 2025-11-01 to a week after hypercare's planned end."""
    hypercare_end = project.target_go_live + datetime.timedelta(days=90)
    return (hypercare_end - datetime.date(2025, 11, 1)).days + 14


@pytest.mark.parametrize(
    ("status", "actual_start", "actual_end", "planned_end", "css"),
    [
        (PhaseStatus.COMPLETED, "2026-01-05", "2026-02-10", "2026-02-20", "done"),
        (PhaseStatus.COMPLETED, "2026-01-05", "2026-03-10", "2026-02-20", "done"),
        (PhaseStatus.IN_PROGRESS, "2026-01-05", None, "2026-02-20", "late"),
        (PhaseStatus.IN_PROGRESS, "2026-01-05", None, "2026-04-30", "running"),
        (PhaseStatus.IN_PROGRESS, "2026-01-05", None, "2026-03-01", "running"),
    ],
    ids=["done-early", "done-late", "running-late", "running", "due-today"],
)
def test_actual_bar_colour_follows_status_and_plan(
    status, actual_start, actual_end, planned_end, css
):
    project = a_project(datetime.date(2026, 1, 5), datetime.date(2026, 10, 5))
    phase = a_phase(
        PhaseKind.DISCOVERY,
        datetime.date(2026, 1, 5),
        datetime.date.fromisoformat(planned_end),
        status=status,
        actual_start=datetime.date.fromisoformat(actual_start),
        actual_end=datetime.date.fromisoformat(actual_end) if actual_end else None,
    )

    drawing = timeline.build(project=project, phases=[phase], today=datetime.date(2026, 3, 1))

    assert drawing["rows"][0].actual.css == css


def test_running_phase_bar_reaches_today_and_a_finished_one_its_actual_end():
    project = a_project(datetime.date(2026, 1, 8), datetime.date(2026, 4, 30))
    done = a_phase(
        PhaseKind.DISCOVERY,
        datetime.date(2026, 1, 8),
        datetime.date(2026, 1, 29),
        status=PhaseStatus.COMPLETED,
        actual_start=datetime.date(2026, 1, 8),
        actual_end=datetime.date(2026, 2, 5),
    )
    running = a_phase(
        PhaseKind.DESIGN,
        datetime.date(2026, 1, 29),
        datetime.date(2026, 3, 19),
        status=PhaseStatus.IN_PROGRESS,
        actual_start=datetime.date(2026, 2, 5),
    )

    drawing = timeline.build(
        project=project, phases=[done, running], today=datetime.date(2026, 2, 26)
    )

    assert drawing["rows"][0].actual == timeline.Bar(x=222.0, width=168.0, css="done")
    assert drawing["rows"][1].actual == timeline.Bar(x=390.0, width=126.0, css="running")


def test_not_started_phase_has_no_actual_bar():
    project = a_project(datetime.date(2026, 1, 5), datetime.date(2026, 10, 5))
    phases = planned(project)

    drawing = timeline.build(project=project, phases=phases, today=datetime.date(2026, 6, 15))

    assert [row.actual for row in drawing["rows"]] == [None] * 6


def test_one_day_phases_still_get_a_visible_bar():
    project = a_project(datetime.date(2026, 1, 5), datetime.date(2028, 1, 5))
    phase = a_phase(
        PhaseKind.GO_LIVE,
        datetime.date(2027, 1, 5),
        datetime.date(2027, 1, 5),
        status=PhaseStatus.IN_PROGRESS,
        actual_start=datetime.date(2027, 1, 5),
    )

    drawing = timeline.build(project=project, phases=[phase], today=datetime.date(2027, 1, 5))

    assert drawing["rows"][0].planned.width == 2.0
    assert drawing["rows"][0].actual.width == 2.0


@pytest.mark.parametrize(
    ("go_live", "labels"),
    [
        (
            datetime.date(2026, 10, 5),
            [f"{month} 2026" for month in MONTHS[:10]],
        ),
        (
            datetime.date(2028, 1, 5),
            [f"{month} {year}" for year in (2026, 2027) for month in ("Jan", "Apr", "Jul", "Oct")]
            + ["Jan 2028"],
        ),
        (
            datetime.date(2030, 1, 5),
            [f"{month} {year}" for year in (2026, 2027, 2028, 2029) for month in ("Jan", "Jul")]
            + ["Jan 2030"],
        ),
    ],
    ids=["monthly", "quarterly", "half-yearly"],
)
def test_month_ticks_thin_out_on_long_projects(go_live, labels):
    project = a_project(datetime.date(2026, 1, 5), go_live)

    drawing = timeline.build(project=project, phases=[], today=datetime.date(2026, 1, 5))

    assert [tick.label for tick in drawing["ticks"]] == labels


# --- SVG ----------------------------------------------------------------------------------


def test_standalone_svg_parses_with_one_row_group_per_phase():
    project = a_project(datetime.date(2026, 1, 5), datetime.date(2026, 10, 5))
    phases = planned(project)
    phases[0].status, phases[0].actual_start = PhaseStatus.IN_PROGRESS, datetime.date(2026, 1, 5)

    svg = timeline.render_svg(
        project=project, phases=phases, today=datetime.date(2026, 3, 1), standalone=True
    )

    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(svg.encode())  # noqa: S314 - our own rendering
    assert root.tag == f"{SVG}svg"
    rows = [g for g in root.findall(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    assert [row.find(f"{SVG}text").text for row in rows] == [str(k.label) for k in PhaseKind]
    assert [len(row.findall(f"{SVG}rect")) for row in rows] == [2, 1, 1, 1, 1, 1]
    assert rows[0].findall(f"{SVG}rect")[1].get("class") == "late"
    assert root.find(f"{SVG}line[@class='today']").get("x1") == str(
        timeline.build(project=project, phases=phases, today=datetime.date(2026, 3, 1))["today_x"]
    )
    assert root.find(f"{SVG}title").text == ("Timeline of HNR-ERP: planned and actual phase dates")


def test_inline_svg_has_no_xml_declaration():
    project = a_project(datetime.date(2026, 1, 5), datetime.date(2026, 10, 5))

    svg = timeline.render_svg(
        project=project, phases=planned(project), today=datetime.date(2026, 3, 1)
    )

    assert svg.startswith("<svg ")
    assert "Discovery &amp; planning" in svg
    ET.fromstring(svg)  # noqa: S314 - our own rendering
