"""Demo review meetings: the last three weekly reviews of the Hanoi Retail Odoo roll-out.

UAT is under way. Each meeting raised a few action items; most are done, one was
cancelled, and some are still open (one of them overdue), so the meeting pages show
carried-over items and the agenda has something to chase. Everything goes through the
services, then gets the dates it would really have had.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from implementation.choices import ActionItemStatus
from implementation.models import ActionItem, ReviewMeeting
from implementation.services import reviews as services
from projects.models import Project, User


@dataclass(frozen=True)
class _Action:
    title: str
    owner: str
    due_in_days: int  # after the meeting
    status: str = ActionItemStatus.OPEN
    closed_after_days: int = 0


@dataclass(frozen=True)
class _Meeting:
    weeks_ago: int
    attendees: tuple[str, ...]
    notes: str
    decisions: str
    actions: tuple[_Action, ...]


MEETINGS = (
    _Meeting(
        weeks_ago=3,
        attendees=("pm", "consultant", "it", "keyuser", "warehouse", "executive"),
        notes=(
            "Development closed with a waiver for the e-invoice connector (sandbox only).\n"
            "The test environment was refreshed with last month's data from the old POS of "
            "the 12 stores and both warehouses.\n"
            "UAT scripts for sales and warehouse are ready; the finance scripts are late."
        ),
        decisions=(
            "UAT round 1 starts next Monday with three pilot users: sales, warehouse and "
            "accounting.\n"
            "Defects are triaged every day at 16:00 by the consultant and IT."
        ),
        actions=(
            _Action(
                "Load the opening stock of the 12 stores into the test database",
                "it",
                4,
                ActionItemStatus.DONE,
                3,
            ),
            _Action(
                "Finish the finance UAT scripts (VAT invoices, month-end close)",
                "keyuser",
                6,
                ActionItemStatus.DONE,
                5,
            ),
            _Action(
                "Book the training room at the Cầu Giấy store for the pilot users",
                "hr",
                5,
                ActionItemStatus.DONE,
                2,
            ),
        ),
    ),
    _Meeting(
        weeks_ago=2,
        attendees=("pm", "consultant", "it", "keyuser", "sales", "warehouse"),
        notes=(
            "UAT round 1: 41 of 60 scenarios run so far. 26 defects logged, almost all minor; "
            "two are high: promotion prices round wrongly at the POS, and a transfer between "
            "the two warehouses doubles the quantity received.\n"
            "The e-invoice connector passed against the provider's sandbox."
        ),
        decisions=(
            "The go-live date stays for now; the team decides at the next review, once the "
            "high defects are fixed.\n"
            "Prices are rounded to 1,000 VND per order line, as finance asked."
        ),
        actions=(
            _Action(
                "Fix the doubled quantity on transfers between warehouses",
                "consultant",
                5,
                ActionItemStatus.IN_PROGRESS,
            ),
            _Action(
                "Confirm the VND rounding rule in writing with the chief accountant",
                "keyuser",
                3,
                ActionItemStatus.DONE,
                2,
            ),
            _Action(
                "Draft the cut-over plan: stock count weekend and the switch of the POS",
                "pm",
                24,
            ),
        ),
    ),
    _Meeting(
        weeks_ago=1,
        attendees=("pm", "consultant", "it", "keyuser", "sales", "warehouse", "hr", "executive"),
        notes=(
            "UAT round 1 is over: all 60 scenarios run, 37 defects, almost all minor, most "
            "already fixed. The rounding defect is fixed; the warehouse transfer defect is "
            "still open.\n"
            "Sales asked for a quick way to reprint a VAT invoice at the counter."
        ),
        decisions=(
            "Round 2 re-runs every scenario and the pilot users re-test each fix.\n"
            "The reprint shortcut waits for hypercare; it goes into the configuration log "
            "as a request."
        ),
        actions=(
            _Action(
                "Re-test warehouse transfers with the warehouse key users once fixed",
                "warehouse",
                10,
            ),
            _Action(
                "Ask the POS vendor for two years of receipts as an export",
                "it",
                4,
                ActionItemStatus.CANCELLED,
                1,
            ),
            _Action(
                "Write the cashier's quick guide in Vietnamese (sales, returns, VAT invoice)",
                "sales",
                14,
            ),
        ),
    ),
)


def _last_review_day(project: Project, today: datetime.date) -> datetime.date:
    """The latest review weekday strictly before today."""
    days_back = (today.weekday() - project.review_weekday) % 7 or 7
    return today - datetime.timedelta(days=days_back)


def seed_review_meetings(*, project: Project, users: dict[str, User], today: datetime.date) -> None:
    """Record the three weekly reviews before `today`, with their action items."""
    zone = zoneinfo.ZoneInfo(project.time_zone)
    pm = users["pm"]
    now = timezone.now()
    last = _last_review_day(project, today)

    def at(day: datetime.date, hours_after_review: int = 0) -> datetime.datetime:
        moment = datetime.datetime.combine(day, project.review_time, tzinfo=zone)
        return moment + datetime.timedelta(hours=hours_after_review)

    for spec in MEETINGS:
        held_on = last - datetime.timedelta(weeks=spec.weeks_ago - 1)
        meeting = services.meeting_record(
            actor=pm,
            project=project,
            held_on=held_on,
            attendees=[users[name] for name in spec.attendees],
            notes=spec.notes,
            decisions=spec.decisions,
        )
        ReviewMeeting.objects.filter(pk=meeting.pk).update(
            created_at=at(held_on, 2), updated_at=at(held_on, 2)
        )
        for action in spec.actions:
            item = services.action_item_create(
                actor=pm,
                project=project,
                title=action.title,
                owner=users[action.owner],
                due_date=held_on + datetime.timedelta(days=action.due_in_days),
                raised_in=meeting,
            )
            if action.status != ActionItemStatus.OPEN:
                services.action_item_change_status(
                    actor=users[action.owner], item=item, status=action.status
                )
            closed_at = (
                min(at(held_on + datetime.timedelta(days=action.closed_after_days), 7), now)
                if action.closed_after_days
                else None
            )
            ActionItem.objects.filter(pk=item.pk).update(
                created_at=at(held_on, 1), closed_at=closed_at
            )
