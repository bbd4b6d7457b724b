"""The agenda builder: the next weekly slot, its sections from live data, the extension point
and a fixed number of queries."""

import datetime
import zoneinfo
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation import agenda
from implementation.agenda import (
    MANDATORY,
    OVERDUE,
    AgendaContext,
    AgendaSection,
    build_agenda,
    next_review_at,
    section,
)
from implementation.choices import ActionItemStatus, PhaseKind
from projects.choices import Weekday
from tests.factories import ChecklistItemFactory, PhaseFactory, ProjectFactory, UserFactory
from tests.implementation.factories_reviews import (
    ActionItemFactory,
    ConfigurationChangeFactory,
    ReviewMeetingFactory,
)

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = datetime.UTC

# Wednesday 4 March 2026, 10:00 in Hanoi.
NOW = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=HANOI)
TODAY = datetime.date(2026, 3, 4)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def hanoi_project(db):
    return ProjectFactory(
        code="HNR-AG",
        review_weekday=Weekday.MONDAY,
        review_time=datetime.time(9, 0),
        time_zone="Asia/Ho_Chi_Minh",
    )


def recorded_at(moment: datetime.datetime, **kwargs):
    """A configuration change recorded at a given moment (recorded_at is auto_now_add)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return ConfigurationChangeFactory(**kwargs)


def section_by_key(result, key):
    return next(s for s in result.sections if s.key == key)


# --- The next slot ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(
            datetime.datetime(2026, 3, 4, 10, 0, tzinfo=HANOI),
            datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI),
            id="midweek-next-monday",
        ),
        pytest.param(
            datetime.datetime(2026, 3, 9, 8, 59, tzinfo=HANOI),
            datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI),
            id="review-day-before-the-slot",
        ),
        pytest.param(
            datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI),
            datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI),
            id="review-day-at-the-slot",
        ),
        pytest.param(
            datetime.datetime(2026, 3, 9, 9, 1, tzinfo=HANOI),
            datetime.datetime(2026, 3, 16, 9, 0, tzinfo=HANOI),
            id="review-day-after-the-slot",
        ),
        pytest.param(
            # Sunday 20:00 UTC is already Monday 03:00 in Hanoi: the slot is that morning.
            datetime.datetime(2026, 3, 8, 20, 0, tzinfo=UTC),
            datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI),
            id="server-day-differs-from-project-day",
        ),
        pytest.param(
            # Monday 02:30 UTC is Monday 09:30 in Hanoi: this week's slot has passed.
            datetime.datetime(2026, 3, 9, 2, 30, tzinfo=UTC),
            datetime.datetime(2026, 3, 16, 9, 0, tzinfo=HANOI),
            id="after-the-slot-in-project-time-zone",
        ),
        pytest.param(
            datetime.datetime(2026, 3, 8, 9, 0, tzinfo=HANOI),
            datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI),
            id="sunday-before",
        ),
    ],
)
def test_next_review_is_the_next_weekly_slot_in_the_projects_time_zone(
    hanoi_project, now, expected
):
    result = next_review_at(hanoi_project, now)

    assert result == expected
    assert result.tzinfo == HANOI
    assert (result.weekday(), result.time()) == (Weekday.MONDAY, datetime.time(9, 0))


def test_next_review_keeps_the_wall_clock_time_across_a_daylight_saving_change(db):
    # given a New York project reviewing on Fridays at 16:00, asked on Friday evening
    # 6 March 2026, before the clocks go forward on Sunday 8 March
    project = ProjectFactory(
        review_weekday=Weekday.FRIDAY,
        review_time=datetime.time(16, 0),
        time_zone="America/New_York",
    )
    now = datetime.datetime(2026, 3, 7, 2, 0, tzinfo=UTC)  # Friday 21:00 in New York

    result = next_review_at(project, now)

    assert result == datetime.datetime(2026, 3, 13, 16, 0, tzinfo=NEW_YORK)
    assert result.utcoffset() == datetime.timedelta(hours=-4)
    assert result.isoformat() == "2026-03-13T16:00:00-04:00"


def test_agenda_carries_the_slot_and_today_in_the_projects_time_zone(hanoi_project):
    now = datetime.datetime(2026, 3, 8, 20, 0, tzinfo=UTC)  # Monday 03:00 in Hanoi

    result = build_agenda(project=hanoi_project, now=now)

    assert result.today == datetime.date(2026, 3, 9)
    assert result.next_meeting_at == datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI)
    assert result.project == hanoi_project
    assert result.last_meeting is None


# --- Sections -----------------------------------------------------------------------------


def test_agenda_has_the_standard_sections_in_order_with_titles(hanoi_project):
    result = build_agenda(project=hanoi_project, now=NOW)

    assert [(s.key, s.title) for s in result.sections] == [
        ("overdue_checklist_items", "Overdue checklist items"),
        ("open_action_items", "Open action items"),
        ("configuration_changes", "Configuration changes"),
        ("blocking_defects", "Open critical and high defects"),  # registered by the uat app
        ("pending_signoffs", "Sign-offs awaiting signatures"),  # also by the uat app
        ("kpi_measurements_due", "KPI measurements due"),  # registered by the kpis app
    ]
    assert [s.items for s in result.sections] == [(), (), (), (), (), ()]
    assert [s.empty_text for s in result.sections] == [
        "No checklist item is overdue.",
        "No open action items.",
        "No configuration change recorded since the last meeting.",
        "No critical or high defect is open.",
        "No sign-off is waiting for a signature.",
        "No KPI measurement is due before the meeting.",
    ]


def test_overdue_checklist_items_are_open_and_past_due_with_mandatory_first(hanoi_project):
    owner = UserFactory(first_name="Lan", last_name="Nguyen")
    design = PhaseFactory(project=hanoi_project, kind=PhaseKind.DESIGN, position=2)
    testing = PhaseFactory(project=hanoi_project, kind=PhaseKind.TESTING, position=4)
    optional_oldest = ChecklistItemFactory(
        phase=design, title="Optional, oldest", is_mandatory=False, due_date=TODAY - days(30)
    )
    mandatory_recent = ChecklistItemFactory(
        phase=testing, title="Mandatory, recent", due_date=TODAY - days(1), owner=owner
    )
    mandatory_older = ChecklistItemFactory(
        phase=design, title="Mandatory, older", due_date=TODAY - days(10)
    )
    # not on the agenda: done, due today, due later, no due date, another project
    ChecklistItemFactory(
        phase=design, due_date=TODAY - days(5), done_at=NOW - datetime.timedelta(hours=1)
    )
    ChecklistItemFactory(phase=design, due_date=TODAY)
    ChecklistItemFactory(phase=design, due_date=TODAY + days(3))
    ChecklistItemFactory(phase=design, due_date=None)
    ChecklistItemFactory(due_date=TODAY - days(2))

    items = section_by_key(build_agenda(project=hanoi_project, now=NOW), "overdue_checklist_items")

    assert [item.text for item in items.items] == [
        mandatory_older.title,
        mandatory_recent.title,
        optional_oldest.title,
    ]
    first, second, third = items.items
    assert first.detail == "Design"
    assert first.url == "/projects/HNR-AG/phases/design/"
    assert first.owner is None
    assert first.due_date == TODAY - days(10)
    assert first.flags == (OVERDUE, MANDATORY)
    assert first.is_overdue is True
    assert second.detail == "Testing"
    assert second.owner == owner
    assert third.flags == (OVERDUE,)


def test_open_action_items_are_listed_by_due_date_with_overdue_ones_flagged(hanoi_project):
    meeting = ReviewMeetingFactory(project=hanoi_project, held_on=TODAY - days(9))
    late = ActionItemFactory(
        project=hanoi_project,
        title="Late",
        due_date=TODAY - days(2),
        status=ActionItemStatus.IN_PROGRESS,
        raised_in=meeting,
    )
    due_today = ActionItemFactory(project=hanoi_project, title="Due today", due_date=TODAY)
    later = ActionItemFactory(project=hanoi_project, title="Later", due_date=TODAY + days(4))
    for status in (ActionItemStatus.DONE, ActionItemStatus.CANCELLED):
        ActionItemFactory(project=hanoi_project, status=status, due_date=TODAY - days(20))
    ActionItemFactory(due_date=TODAY - days(1))  # another project

    items = section_by_key(build_agenda(project=hanoi_project, now=NOW), "open_action_items")

    assert [(item.text, item.flags, item.due_date) for item in items.items] == [
        (late.title, (OVERDUE,), TODAY - days(2)),
        (due_today.title, (), TODAY),
        (later.title, (), TODAY + days(4)),
    ]
    assert items.items[0].owner == late.owner
    assert items.items[0].detail == "Raised on 2026-02-23 · In progress"
    assert items.items[1].detail == "Raised outside a meeting · Open"
    assert items.items[0].url == f"/projects/HNR-AG/actions/#action-{late.pk}"


def test_all_configuration_changes_are_listed_before_the_first_meeting(hanoi_project):
    first = recorded_at(NOW - days(40), project=hanoi_project, number=1, setting="VAT rate")
    second = recorded_at(NOW - days(2), project=hanoi_project, number=2, setting="Rounding")
    recorded_at(NOW - days(1), number=1)  # another project

    changes = section_by_key(build_agenda(project=hanoi_project, now=NOW), "configuration_changes")

    assert changes.title == "Configuration changes"
    assert [item.text for item in changes.items] == [
        "CFG-1 · Finance - Tax: VAT rate",
        "CFG-2 · Finance - Tax: Rounding",
    ]
    assert changes.items[0].owner == first.requested_by
    assert changes.items[0].url == first.get_absolute_url()
    assert changes.items[1].detail == "Test · Round per line"
    assert second.number == 2


def test_configuration_changes_since_the_last_meeting_include_its_own_day(hanoi_project):
    # given the last meeting was held on Monday 23 February 2026
    ReviewMeetingFactory(project=hanoi_project, held_on=datetime.date(2026, 2, 16))
    ReviewMeetingFactory(project=hanoi_project, held_on=datetime.date(2026, 2, 23))
    recorded_at(
        datetime.datetime(2026, 2, 22, 23, 59, tzinfo=HANOI), project=hanoi_project, number=1
    )
    on_the_day = recorded_at(
        datetime.datetime(2026, 2, 23, 0, 0, tzinfo=HANOI), project=hanoi_project, number=2
    )
    after = recorded_at(
        datetime.datetime(2026, 3, 2, 15, 0, tzinfo=HANOI), project=hanoi_project, number=3
    )

    result = build_agenda(project=hanoi_project, now=NOW)
    changes = section_by_key(result, "configuration_changes")

    assert result.last_meeting.held_on == datetime.date(2026, 2, 23)
    assert changes.title == "Configuration changes since the meeting of 2026-02-23"
    assert [item.text.split(" ")[0] for item in changes.items] == [
        on_the_day.display_number,
        after.display_number,
    ]


def test_last_meeting_is_the_latest_one_held_up_to_today(hanoi_project):
    ReviewMeetingFactory(project=hanoi_project, held_on=TODAY - days(9))
    latest = ReviewMeetingFactory(project=hanoi_project, held_on=TODAY - days(2))
    ReviewMeetingFactory(held_on=TODAY - days(1))  # another project

    assert build_agenda(project=hanoi_project, now=NOW).last_meeting == latest


# --- The extension point ------------------------------------------------------------------


def test_a_registered_provider_adds_its_section_and_one_returning_none_adds_nothing(
    hanoi_project, monkeypatch
):
    monkeypatch.setattr(agenda, "SECTION_PROVIDERS", list(agenda.SECTION_PROVIDERS))
    seen: list[AgendaContext] = []

    @section
    def probe(context: AgendaContext) -> AgendaSection:
        seen.append(context)
        return AgendaSection(key="probe", title="Probe")

    @section
    def nothing_to_say(context: AgendaContext) -> None:
        return None

    meeting = ReviewMeetingFactory(project=hanoi_project, held_on=TODAY - days(2))

    result = build_agenda(project=hanoi_project, now=NOW)

    assert [s.key for s in result.sections] == [
        "overdue_checklist_items",
        "open_action_items",
        "configuration_changes",
        "blocking_defects",
        "pending_signoffs",
        "kpi_measurements_due",
        "probe",
    ]
    assert seen == [
        AgendaContext(
            project=hanoi_project,
            now=NOW,
            today=TODAY,
            next_meeting_at=datetime.datetime(2026, 3, 9, 9, 0, tzinfo=HANOI),
            last_meeting=meeting,
        )
    ]


def test_the_registry_holds_exactly_the_standard_providers():
    assert [provider.__name__ for provider in agenda.SECTION_PROVIDERS] == [
        "overdue_checklist_items",
        "open_action_items",
        "configuration_changes",
        "go_live_readiness",  # only close to go-live (tests/golive/test_agenda_golive.py)
        "blocking_defects",
        "pending_signoffs",
        "kpi_measurements_due",
    ]


# --- Query count --------------------------------------------------------------------------


def fill(project, count: int) -> None:
    phase = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    owner = UserFactory()
    for n in range(count):
        ChecklistItemFactory(phase=phase, due_date=TODAY - days(1 + n), owner=owner)
        ActionItemFactory(project=project, due_date=TODAY - days(n - 1))
        recorded_at(NOW - days(1), project=project, number=n + 1)


def count_queries(project) -> tuple[int, list[int]]:
    with CaptureQueriesContext(connection) as context:
        result = build_agenda(project=project, now=NOW)
        sizes = [len(s.items) for s in result.sections]
        [(item.owner and item.owner.display_name) for s in result.sections for item in s.items]
    return len(context.captured_queries), sizes


def test_agenda_runs_the_same_number_of_queries_for_2_and_20_rows(db):
    few_project = ProjectFactory()
    many_project = ProjectFactory()
    fill(few_project, 2)
    fill(many_project, 20)
    ReviewMeetingFactory(project=few_project, held_on=TODAY - days(3))
    ReviewMeetingFactory(project=many_project, held_on=TODAY - days(3))

    few, few_sizes = count_queries(few_project)
    many, many_sizes = count_queries(many_project)

    assert few_sizes == [2, 2, 2, 0, 0, 0]
    assert many_sizes == [20, 20, 20, 0, 0, 0]
    assert few == many == 7  # the KPI section adds one query


@pytest.mark.django_db
def test_long_sections_show_the_first_rows_and_count_the_rest(project, pm):
    from implementation.agenda import SECTION_LIMIT, build_agenda
    from implementation.models import ConfigurationChange

    moment = timezone.now()
    ConfigurationChange.objects.bulk_create(
        ConfigurationChange(
            project=project,
            number=number,
            area="Inventory",
            setting=f"Setting {number}",
            new_value="On",
            reason="Workshop",
            requested_by=pm,
            recorded_by=pm,
            environment="test",
            applied_at=moment,
        )
        for number in range(1, SECTION_LIMIT + 6)
    )

    section = next(
        s for s in build_agenda(project=project).sections if s.key == "configuration_changes"
    )

    assert len(section.items) == SECTION_LIMIT
    assert (section.count, section.hidden) == (SECTION_LIMIT + 5, 5)
    assert section.more_url == f"/projects/{project.code}/config/"
