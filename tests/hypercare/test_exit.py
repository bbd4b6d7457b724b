"""Hypercare figures computed from tickets and feedback (implementation.hypercare): breaches,
clocks, weekly buckets, the exit criteria, the exit snapshot and statuses of many projects.

"Now" is frozen at Tuesday 24 November 2026, 10:00 in Hanoi: the last complete week is the
one of Monday 16 November, the one before that of 9 November, and so on."""

import datetime
import json
from decimal import Decimal

import pytest

from implementation import hypercare as figures
from implementation.choices import TicketStatus
from implementation.models import Ticket
from implementation.services import hypercare
from tests.factories import MembershipFactory, ProjectFactory
from tests.hypercare.factories import a_ticket, answered, frozen, local, moved
from uat.snapshots import canonical_json

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
TODAY = datetime.date(2026, 11, 24)
THIS_WEEK = datetime.date(2026, 11, 23)


def weeks_ago(n: int) -> datetime.date:
    """The Monday `n` complete weeks back."""
    return THIS_WEEK - datetime.timedelta(weeks=n)


@pytest.fixture
def now(project):
    moment = local(project, 2026, 11, 24, 10)
    with frozen(moment):
        yield moment


def monday_9(project, monday: datetime.date, hours: int = 0) -> datetime.datetime:
    return local(project, monday.year, monday.month, monday.day, 9) + hours * H


# --- Breaches --------------------------------------------------------------------------------


def breached_numbers(q):
    return set(Ticket.objects.filter(q).values_list("number", flat=True))


def test_breaches_of_response_and_resolution(project, pilot_user, it_member, now):
    monday = monday_9(project, weeks_ago(1))  # critical: response 10:00, resolution 13:00
    on_time = a_ticket(project, pilot_user, at=monday, severity="critical")  # 1
    moved(on_time, it_member, TicketStatus.ACKNOWLEDGED, at=monday + 0.5 * H)
    moved(on_time, it_member, TicketStatus.RESOLVED, at=monday + 3 * H)
    answered_late = a_ticket(project, pilot_user, at=monday, severity="critical")  # 2
    moved(answered_late, it_member, TicketStatus.ACKNOWLEDGED, at=monday + 2 * H)
    moved(answered_late, it_member, TicketStatus.RESOLVED, at=monday + 3 * H)
    a_ticket(project, pilot_user, at=monday, severity="critical")  # 3: nobody answered
    resolved_late = a_ticket(project, pilot_user, at=monday, severity="critical")  # 4
    moved(resolved_late, it_member, TicketStatus.ACKNOWLEDGED, at=monday + 0.5 * H)
    moved(resolved_late, it_member, TicketStatus.RESOLVED, at=monday + 5 * H)
    still_open = a_ticket(project, pilot_user, at=monday, severity="critical")  # 5
    moved(still_open, it_member, TicketStatus.IN_PROGRESS, at=monday + 0.5 * H)
    a_ticket(project, pilot_user, at=now - H, severity="low")  # 6: not due yet

    assert breached_numbers(figures.response_breached(now)) == {2, 3}
    assert breached_numbers(figures.resolution_breached(now)) == {3, 4, 5}
    assert breached_numbers(figures.breached(now)) == {2, 3, 4, 5}
    # Before the due times passed, an unanswered ticket was not breached yet.
    assert breached_numbers(figures.breached(monday + 0.5 * H)) == {2, 4}


def test_clocks_show_working_time_left(project, pilot_user, it_member):
    friday = local(project, 2026, 11, 20, 15)
    ticket = a_ticket(project, pilot_user, at=friday, severity="high")
    hours = hypercare.working_time(project)

    response, resolution = figures.clocks(ticket, hours, now=friday + H)

    assert response.due_at == local(project, 2026, 11, 23, 10)  # 2 h Fri + 2 h Mon
    assert response.left == 3 * H  # 1 h Friday, 2 h Monday
    assert response.running
    assert not response.breached
    assert resolution.due_at == local(project, 2026, 11, 23, 15)
    assert resolution.left == 8 * H

    later, _ = figures.clocks(ticket, hours, now=local(project, 2026, 11, 23, 11))
    assert later.left == datetime.timedelta(0)
    assert later.breached

    acknowledged = moved(
        ticket, it_member, TicketStatus.ACKNOWLEDGED, at=local(project, 2026, 11, 23, 9)
    )
    met, _ = figures.clocks(acknowledged, hours, now=local(project, 2026, 11, 30, 9))
    assert met.stopped_at == local(project, 2026, 11, 23, 9)
    assert (met.left, met.running, met.breached) == (datetime.timedelta(0), False, False)


# --- Weeks -----------------------------------------------------------------------------------


def test_weeks_are_counted_in_the_projects_time_zone(project, pilot_user, it_member, now):
    # Sunday 23:30 in Hanoi is 16:30 UTC: still Sunday everywhere west of Hanoi too, but the
    # point is that Monday 00:30 in Hanoi (Sunday 17:30 UTC) is the new week.
    sunday_late = a_ticket(project, pilot_user, at=local(project, 2026, 11, 22, 23, 30))
    a_ticket(project, pilot_user, at=local(project, 2026, 11, 16, 0, 30))
    a_ticket(project, pilot_user, at=local(project, 2026, 11, 15, 23, 30))
    a_ticket(project, pilot_user, at=local(project, 2026, 11, 23, 0, 30))  # this week
    moved(sunday_late, it_member, TicketStatus.RESOLVED, at=local(project, 2026, 11, 23, 8))

    got = figures.weeks(project, 2)

    assert [w.start for w in got] == [weeks_ago(2), weeks_ago(1)]
    assert [w.raised for w in got] == [1, 2]
    assert [w.resolved for w in got] == [0, 0]  # resolved this week


def test_weeks_count_resolutions_breaches_and_satisfaction(project, pilot_user, it_member, now):
    monday = monday_9(project, weeks_ago(1))
    late = a_ticket(project, pilot_user, at=monday, severity="critical")
    moved(late, it_member, TicketStatus.ACKNOWLEDGED, at=monday + 2 * H)  # response late
    moved(late, it_member, TicketStatus.RESOLVED, at=monday + 6 * H)  # resolution late
    fine = a_ticket(project, pilot_user, at=monday, severity="high")
    moved(fine, it_member, TicketStatus.RESOLVED, at=monday + H)
    # Raised three weeks back, resolution due (and missed) last week: the breach is last
    # week's.
    low = a_ticket(project, pilot_user, at=monday_9(project, weeks_ago(3), 1), severity="low")
    moved(low, it_member, TicketStatus.ACKNOWLEDGED, at=monday_9(project, weeks_ago(3), 2))
    extra = [
        MembershipFactory(project=project, role="pilot_user", department="warehouse").user
        for _ in range(2)
    ]
    for person, value in zip([pilot_user, *extra], [3, 4, 4], strict=True):
        answered(project, person, value, at=monday + 30 * H)

    got = figures.weeks(project, 3)

    assert [w.raised for w in got] == [1, 0, 2]
    assert [w.resolved for w in got] == [0, 0, 2]
    assert [w.breaches for w in got] == [0, 0, 3]
    assert got[-1].satisfaction == Decimal("3.6")  # 3.67 rounded down: never flattered
    assert got[-1].answers == 3
    assert got[0].satisfaction is None


def test_a_late_resolution_stays_a_breach_after_the_ticket_is_reopened(
    project, pilot_user, it_member, now
):
    monday = monday_9(project, weeks_ago(1))
    ticket = a_ticket(project, pilot_user, at=monday, severity="critical")
    moved(ticket, it_member, TicketStatus.ACKNOWLEDGED, at=monday + H / 2)
    moved(ticket, it_member, TicketStatus.RESOLVED, at=monday + 6 * H)  # due at 13:00
    assert [w.breaches for w in figures.weeks(project, 1)] == [1]

    moved(ticket, pilot_user, TicketStatus.IN_PROGRESS, comment="Still wrong on Tuesday.")

    # The fresh resolution clock is not due yet; the missed one is still last week's.
    assert [w.breaches for w in figures.weeks(project, 1)] == [1]
    event = ticket.events.order_by("-pk").first()
    assert list(event.changes) == [hypercare.MISSED_RESOLUTION]


@pytest.mark.parametrize("count", [2, 20])
def test_weeks_take_the_same_queries_for_many_tickets(
    project, pilot_user, django_assert_num_queries, now, count
):
    for n in range(count):
        a_ticket(project, pilot_user, at=monday_9(project, weeks_ago(1 + n % 4)))

    with django_assert_num_queries(6):
        got = figures.weeks(project, 4)

    assert sum(w.raised for w in got) == count


# --- Exit criteria ---------------------------------------------------------------------------


def criteria(project, actor=None, **changes):
    if changes:
        hypercare.hypercare_plan_update(actor=actor, project=project, **changes)
    facts = figures.exit_facts(project)
    return {c.key: c for c in figures.evaluate_exit(facts)}


@pytest.fixture
def team(project, pm, pilot_user, it_member):
    return pm, pilot_user, it_member


def raise_weekly(project, reporter, counts):
    """counts[0] tickets five weeks ago ... counts[-1] last week (low, answered in time)."""
    for back, count in zip(range(len(counts), 0, -1), counts, strict=True):
        for n in range(count):
            moment = monday_9(project, weeks_ago(back), n % 8)
            a_ticket(project, reporter, at=moment, severity="low")


def test_no_tickets_and_no_feedback(project, team, now):
    got = criteria(project)

    assert [key for key, c in got.items() if c.met] == [
        "no_open_critical_tickets",
        "sla_met",
        "inflow_falling",  # a quiet zero counts as falling
    ]
    assert got["inflow_falling"].actual == "0 → 0 → 0 → 0 → 0"
    assert (got["satisfaction"].actual, got["satisfaction"].threshold) == ("-", "4.0")
    facts = figures.exit_facts(project)
    assert figures.exit_reasons("satisfaction", facts) == [
        "Nobody answered last week's feedback round."
    ]
    assert figures.exit_reasons("sla_met", facts) == []


def test_an_open_critical_ticket_is_red_until_resolved(project, team, now):
    _, pilot_user, it_member = team
    ticket = a_ticket(project, pilot_user, at=now - H, severity="critical")
    a_ticket(project, pilot_user, at=now - H, severity="high")

    red = criteria(project)["no_open_critical_tickets"]
    assert (red.met, red.actual, red.threshold) == (False, 1, 0)
    assert figures.exit_reasons("no_open_critical_tickets", figures.exit_facts(project)) == [
        "1 critical ticket is open."
    ]

    moved(ticket, it_member, TicketStatus.RESOLVED, at=now)
    assert criteria(project)["no_open_critical_tickets"].met


@pytest.mark.parametrize(("back", "met", "clean"), [(3, False, 2), (5, True, 4), (1, False, 0)])
def test_a_breach_inside_the_last_four_weeks_is_red(project, team, now, back, met, clean):
    _, pilot_user, it_member = team
    monday = monday_9(project, weeks_ago(back))
    ticket = a_ticket(project, pilot_user, at=monday, severity="critical")
    moved(ticket, it_member, TicketStatus.ACKNOWLEDGED, at=monday + 0.5 * H)
    moved(ticket, it_member, TicketStatus.RESOLVED, at=monday + 6 * H)  # due at 13:00

    got = criteria(project)["sla_met"]

    assert (got.met, got.actual, got.threshold) == (met, clean, 4)
    reasons = figures.exit_reasons("sla_met", figures.exit_facts(project))
    assert reasons == ([] if met else [f"Week of {weeks_ago(back)}: 1 SLA breach."])


def test_fewer_weeks_of_sla_needed_turns_green(project, team, now):
    _, pilot_user, it_member = team
    monday = monday_9(project, weeks_ago(3))
    ticket = a_ticket(project, pilot_user, at=monday, severity="critical")
    moved(ticket, it_member, TicketStatus.RESOLVED, at=monday + 0.5 * H)
    late = a_ticket(project, pilot_user, at=monday, severity="critical")
    moved(late, it_member, TicketStatus.RESOLVED, at=monday + 6 * H)  # answered late too

    assert not criteria(project)["sla_met"].met
    got = criteria(project, team[0], sla_weeks=2)["sla_met"]
    assert (got.met, got.actual, got.threshold) == (True, 2, 2)


@pytest.mark.parametrize(
    ("counts", "met"),
    [
        ([10, 8, 8, 5, 3], True),
        ([10, 8, 9, 5, 3], False),
        ([5, 5, 5, 5, 5], False),  # flat is not falling
        ([3, 4, 2, 1, 0], False),  # a rise from the week before the window counts
        ([0, 0, 0, 0, 0], True),
    ],
)
def test_inflow_must_fall_over_the_window(project, team, now, counts, met):
    raise_weekly(project, team[1], counts)

    got = criteria(project)["inflow_falling"]

    assert got.met is met
    assert got.actual == " → ".join(str(n) for n in counts)
    assert got.threshold == 4
    reasons = figures.exit_reasons("inflow_falling", figures.exit_facts(project))
    if not met:
        assert reasons == [
            f"Tickets raised per week: {counts[0]}, then "
            f"{', '.join(str(n) for n in counts[1:])}: not falling for 4 weeks."
        ]


def test_a_shorter_inflow_window_turns_green(project, team, now):
    raise_weekly(project, team[1], [10, 8, 9, 5, 3])

    assert not criteria(project)["inflow_falling"].met
    got = criteria(project, team[0], inflow_weeks=2)["inflow_falling"]
    assert (got.met, got.actual) == (True, "9 → 5 → 3")


@pytest.fixture
def ten_respondents(project):
    return [
        MembershipFactory(project=project, role="pilot_user", department="sales").user
        for _ in range(10)
    ]


def test_satisfaction_needs_the_threshold(project, team, now, ten_respondents):
    last_week = monday_9(project, weeks_ago(1), 30)
    for n, person in enumerate(ten_respondents):
        answered(project, person, 3 if n == 0 else 4, at=last_week)  # 3.9

    red = criteria(project)["satisfaction"]
    assert (red.met, red.actual, red.threshold) == (False, "3.9", "4.0")
    assert figures.exit_reasons("satisfaction", figures.exit_facts(project)) == [
        "Satisfaction last week was 3.9 of 5; 4.0 is needed."
    ]

    answered(project, ten_respondents[0], 4, at=last_week + H)  # replaces the 3: 4.0
    green = criteria(project)["satisfaction"]
    assert (green.met, green.actual) == (True, "4.0")


def test_a_lower_threshold_turns_satisfaction_green(project, team, now, ten_respondents):
    last_week = monday_9(project, weeks_ago(1), 30)
    for n, person in enumerate(ten_respondents):
        answered(project, person, 3 if n == 0 else 4, at=last_week)

    got = criteria(project, team[0], satisfaction_threshold=Decimal("3.5"))["satisfaction"]

    assert (got.met, got.actual, got.threshold) == (True, "3.9", "3.5")


def test_only_last_weeks_feedback_counts(project, team, now):
    answered(project, team[1], 5, at=monday_9(project, weeks_ago(2)))
    answered(project, team[1], 2, at=now)  # this week: not complete yet

    assert criteria(project)["satisfaction"].actual == "-"


# --- The exit snapshot -----------------------------------------------------------------------


def test_the_snapshot_is_json_and_gives_the_same_verdict(project, team, now):
    _, pilot_user, it_member = team
    raise_weekly(project, pilot_user, [10, 8, 9, 5, 3])
    critical = a_ticket(project, pilot_user, at=now - H, severity="critical")
    moved(critical, it_member, TicketStatus.IN_PROGRESS, at=now)
    answered(project, pilot_user, 4, at=monday_9(project, weeks_ago(1), 30))
    hypercare.hypercare_plan_update(
        actor=team[0], project=project, planned_end=datetime.date(2027, 1, 31)
    )

    content = figures.snapshot_content(project, phase=None)
    text = canonical_json(content)
    stored = json.loads(text)
    again = figures.facts_from_snapshot(project, stored)

    assert figures.evaluate_exit(again) == figures.evaluate_exit(figures.exit_facts(project))
    # Nobody answered the low tickets: their response clocks ran out every week.
    assert [c["met"] for c in stored["exit_criteria"]] == [False, False, False, True]
    assert stored["open_tickets"] == {"critical": 1, "high": 0, "medium": 0, "low": 35}
    assert stored["tickets_total"] == 36
    assert stored["hypercare"]["planned_end"] == "2027-01-31"
    assert stored["hypercare"]["threshold"] == "4.0"
    assert [w["raised"] for w in stored["weeks"]] == [8, 9, 5, 3]
    assert stored["weeks"][-1]["satisfaction"] == "4.0"
    assert canonical_json(figures.snapshot_content(project, phase=None)) == text


# --- Many projects at once -------------------------------------------------------------------


def test_statuses_of_many_projects_in_one_query(
    project, pilot_user, it_member, django_assert_num_queries, now
):
    other = ProjectFactory()
    quiet = ProjectFactory()
    reporter = MembershipFactory(project=other, role="pilot_user").user
    old = monday_9(project, weeks_ago(1))
    a_ticket(project, pilot_user, at=old, severity="critical")  # open and breached
    a_ticket(project, pilot_user, at=now - H, severity="low")  # open, in time
    done = a_ticket(project, pilot_user, at=old, severity="critical")
    moved(done, it_member, TicketStatus.RESOLVED, at=old + 8 * H)  # late, but closed
    a_ticket(other, reporter, at=now - H, severity="high")

    with django_assert_num_queries(1):
        got = figures.statuses([project, other, quiet])

    assert got[project.pk] == figures.Status(open_critical=1, open_breached=1, open_tickets=2)
    assert got[other.pk] == figures.Status(open_critical=0, open_breached=0, open_tickets=1)
    assert got[quiet.pk] == figures.Status()
    with django_assert_num_queries(0):
        assert figures.statuses([]) == {}


def test_the_board_puts_the_soonest_breach_first(project, pilot_user, it_member, now):
    a_ticket(project, pilot_user, at=now - H, severity="medium", title="Later")
    overdue = a_ticket(
        project, pilot_user, at=monday_9(project, weeks_ago(1)), severity="medium", title="Late"
    )
    moved(overdue, it_member, TicketStatus.ACKNOWLEDGED, at=monday_9(project, weeks_ago(1), 1))
    a_ticket(project, pilot_user, at=now - 0.5 * H, severity="critical", title="Fire")

    board = figures.board(project, now)

    assert [t.title for t in board["medium"]] == ["Late", "Later"]
    assert [t.is_breached for t in board["medium"]] == [True, False]
    assert board["medium"][0].next_due_at == overdue.resolution_due_at
    assert [t.title for t in board["critical"]] == ["Fire"]
    assert board["high"] == board["low"] == []
