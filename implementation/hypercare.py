"""Hypercare figures, computed from the tickets and the feedback: SLA clocks and breaches,
weekly inflow and satisfaction, and the exit criteria.

A response is breached when the first response came after its due time, or has not come
and the due time has passed; the same for the resolution. A breach belongs to the week
(Monday to Sunday in the project's time zone) in which its due time fell. The exit
criteria, each green or red with its numbers:

- no_open_critical_tickets: no critical ticket open;
- sla_met: no SLA breach in each of the last N complete weeks (default 4);
- inflow_falling: over the last N complete weeks, no week raised more tickets than the one
  before it, and the last raised fewer than the week before the window (or none at all);
- satisfaction: the last complete week's average satisfaction at or above the threshold
  (default 4.0 of 5).

The exit is a sign-off of kind "hypercare exit" whose snapshot is this panel
(`snapshot_content`), as the go/no-go decision signs the readiness panel.
"""

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation import sla
from implementation.choices import OPEN_TICKET_STATUSES, TicketStatus
from implementation.models import FeedbackResponse, Ticket, TicketEvent
from implementation.readiness import Criterion
from implementation.services.hypercare import (
    MISSED_RESOLUTION,
    hypercare_plan_of,
    planned_end,
    week_of,
)
from projects.models import Project
from uat.choices import Severity

EXIT_CRITERIA = ("no_open_critical_tickets", "sla_met", "inflow_falling", "satisfaction")


# --- Breaches as queries ---------------------------------------------------------------------


def response_breached(now: datetime.datetime) -> Q:
    return Q(acknowledged_at__gt=F("response_due_at")) | Q(
        acknowledged_at__isnull=True, response_due_at__lt=now
    )


def resolution_breached(now: datetime.datetime) -> Q:
    return Q(resolved_at__gt=F("resolution_due_at")) | Q(
        resolved_at__isnull=True, resolution_due_at__lt=now
    )


def breached(now: datetime.datetime) -> Q:
    return response_breached(now) | resolution_breached(now)


# --- One ticket's clocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a ticket: due when, met or breached, working time left."""

    due_at: datetime.datetime
    stopped_at: datetime.datetime | None  # when it was met (or missed)
    left: datetime.timedelta  # working time left; zero once stopped or breached
    now: datetime.datetime | None = None  # the moment the clock was read

    @property
    def breached(self) -> bool:
        return (self.stopped_at or self.now or timezone.now()) > self.due_at

    @property
    def running(self) -> bool:
        return self.stopped_at is None


def clocks(
    ticket: Ticket, hours: sla.WorkingTime, now: datetime.datetime | None = None
) -> tuple[Clock, Clock]:
    """The response and resolution clocks of a ticket, now."""
    now = now or timezone.now()

    def clock(due, stopped):
        left = datetime.timedelta(0) if stopped else sla.working_between(now, due, hours)
        return Clock(due_at=due, stopped_at=stopped, left=left, now=now)

    return (
        clock(ticket.response_due_at, ticket.acknowledged_at),
        clock(ticket.resolution_due_at, ticket.resolved_at),
    )


# --- Weeks ------------------------------------------------------------------------------------


@dataclass
class Week:
    start: datetime.date  # Monday
    raised: int = 0
    resolved: int = 0
    breaches: int = 0
    satisfaction: Decimal | None = None
    answers: int = 0


def _local_week(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.date:
    return week_of(moment.astimezone(zone).date())


def weeks(project: Project, count: int, *, today: datetime.date | None = None) -> list[Week]:
    """The last `count` complete weeks (oldest first), in six queries whatever the number
    of tickets."""
    zone = zoneinfo.ZoneInfo(project.time_zone)
    today = today or project.local_today()
    this_week = week_of(today)
    starts = [this_week - datetime.timedelta(weeks=n) for n in range(count, 0, -1)]
    by_start = {start: Week(start) for start in starts}
    begin = datetime.datetime.combine(starts[0], datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(this_week, datetime.time.min, tzinfo=zone)
    tickets = Ticket.objects.filter(project=project)
    for created in tickets.filter(created_at__gte=begin, created_at__lt=end).values_list(
        "created_at", flat=True
    ):
        by_start[_local_week(created, zone)].raised += 1
    for resolved in tickets.filter(resolved_at__gte=begin, resolved_at__lt=end).values_list(
        "resolved_at", flat=True
    ):
        by_start[_local_week(resolved, zone)].resolved += 1
    now = timezone.now()
    for due in tickets.filter(
        response_breached(now), response_due_at__gte=begin, response_due_at__lt=end
    ).values_list("response_due_at", flat=True):
        by_start[_local_week(due, zone)].breaches += 1
    for due in tickets.filter(
        resolution_breached(now), resolution_due_at__gte=begin, resolution_due_at__lt=end
    ).values_list("resolution_due_at", flat=True):
        by_start[_local_week(due, zone)].breaches += 1
    # Late resolutions of tickets reopened since: their missed due times are in the events.
    for changes in TicketEvent.objects.filter(
        ticket__project=project, changes__has_key=MISSED_RESOLUTION
    ).values_list("changes", flat=True):
        due = datetime.datetime.fromisoformat(changes[MISSED_RESOLUTION])
        if begin <= due < end:
            by_start[_local_week(due, zone)].breaches += 1
    for row in (
        FeedbackResponse.objects.filter(project=project, week__in=starts)
        .values("week")
        .annotate(mean=Avg("satisfaction"), answers=Count("pk"))
    ):
        week = by_start[row["week"]]
        week.satisfaction = Decimal(str(row["mean"])).quantize(Decimal("0.1"), ROUND_DOWN)
        week.answers = row["answers"]
    return [by_start[start] for start in starts]


def raised_before(project: Project, week: datetime.date) -> int:
    zone = zoneinfo.ZoneInfo(project.time_zone)
    begin = datetime.datetime.combine(week, datetime.time.min, tzinfo=zone)
    return Ticket.objects.filter(
        project=project,
        created_at__gte=begin,
        created_at__lt=begin + datetime.timedelta(weeks=1),
    ).count()


# --- Exit -------------------------------------------------------------------------------------


@dataclass
class ExitFacts:
    project: Project
    open_critical: int = 0
    sla_weeks: int = 4
    inflow_weeks: int = 4
    threshold: Decimal = Decimal("4.0")
    history: list[Week] = field(default_factory=list)  # the last max(N) weeks, oldest first
    inflow_before: int = 0  # tickets raised in the week before the inflow window
    planned_end: datetime.date | None = None

    def window(self, count: int) -> list[Week]:
        return self.history[-count:]


def exit_facts(project: Project, *, today: datetime.date | None = None) -> ExitFacts:
    plan = hypercare_plan_of(project)
    span = max(plan.sla_weeks, plan.inflow_weeks)
    history = weeks(project, span, today=today)
    first_inflow = history[-plan.inflow_weeks].start
    return ExitFacts(
        project=project,
        open_critical=Ticket.objects.filter(
            project=project, severity=Severity.CRITICAL, status__in=OPEN_TICKET_STATUSES
        ).count(),
        sla_weeks=plan.sla_weeks,
        inflow_weeks=plan.inflow_weeks,
        threshold=plan.satisfaction_threshold,
        history=history,
        inflow_before=raised_before(project, first_inflow - datetime.timedelta(weeks=1)),
        planned_end=planned_end(project),
    )


def _falling(before: int, counts: list[int]) -> bool:
    # Never rising, and lower at the end than before the window; a quiet zero counts too.
    series = [before, *counts]
    never_rising = all(b <= a for a, b in zip(series, series[1:], strict=False))
    return never_rising and (series[-1] < before or series[-1] == 0)


def evaluate_exit(facts: ExitFacts) -> list[Criterion]:
    sla_window = facts.window(facts.sla_weeks)
    weeks_met = 0
    for week in reversed(sla_window):
        if week.breaches:
            break
        weeks_met += 1
    inflow = [week.raised for week in facts.window(facts.inflow_weeks)]
    last = facts.history[-1] if facts.history else None
    satisfaction = last.satisfaction if last else None
    return [
        Criterion("no_open_critical_tickets", facts.open_critical == 0, facts.open_critical, 0),
        Criterion("sla_met", weeks_met >= facts.sla_weeks, weeks_met, facts.sla_weeks),
        Criterion(
            "inflow_falling",
            _falling(facts.inflow_before, inflow),
            " → ".join(str(n) for n in [facts.inflow_before, *inflow]),
            facts.inflow_weeks,
        ),
        Criterion(
            "satisfaction",
            satisfaction is not None and satisfaction >= facts.threshold,
            str(satisfaction) if satisfaction is not None else "-",
            str(facts.threshold),
        ),
    ]


def exit_reasons(key: str, facts: ExitFacts) -> list[str]:
    """Why an exit criterion is red, in words with the numbers."""
    criteria = {c.key: c for c in evaluate_exit(facts)}
    if criteria[key].met:
        return []
    if key == "no_open_critical_tickets":
        return [
            ngettext(
                "%(count)d critical ticket is open.",
                "%(count)d critical tickets are open.",
                facts.open_critical,
            )
            % {"count": facts.open_critical}
        ]
    if key == "sla_met":
        broken = [w for w in facts.window(facts.sla_weeks) if w.breaches]
        return [
            ngettext(
                "Week of %(week)s: %(count)d SLA breach.",
                "Week of %(week)s: %(count)d SLA breaches.",
                w.breaches,
            )
            % {"week": w.start.isoformat(), "count": w.breaches}
            for w in broken
        ]
    if key == "inflow_falling":
        counts = ", ".join(str(w.raised) for w in facts.window(facts.inflow_weeks))
        return [
            _(
                "Tickets raised per week: %(before)d, then %(counts)s: not falling for "
                "%(weeks)d weeks."
            )
            % {"before": facts.inflow_before, "counts": counts, "weeks": facts.inflow_weeks}
        ]
    last = facts.history[-1] if facts.history else None
    if last is None or last.satisfaction is None:
        return [_("Nobody answered last week's feedback round.")]
    return [
        _("Satisfaction last week was %(value)s of 5; %(threshold)s is needed.")
        % {"value": last.satisfaction, "threshold": facts.threshold}
    ]


def snapshot_content(project: Project, phase) -> dict:
    """What the hypercare exit signs: the criteria, the weeks behind them, open tickets by
    severity; numbers and keys only, like the readiness snapshot."""
    facts = exit_facts(project)
    open_by_severity = dict.fromkeys(Severity.values, 0)
    for severity, count in (
        Ticket.objects.filter(project=project, status__in=OPEN_TICKET_STATUSES)
        .values_list("severity")
        .annotate(count=Count("pk"))
    ):
        open_by_severity[severity] = count
    return {
        "exit_criteria": [
            {"key": c.key, "threshold": c.threshold, "actual": c.actual, "met": c.met}
            for c in evaluate_exit(facts)
        ],
        "hypercare": {
            "open_critical": facts.open_critical,
            "sla_weeks": facts.sla_weeks,
            "inflow_weeks": facts.inflow_weeks,
            "threshold": facts.threshold,
            "inflow_before": facts.inflow_before,
            "planned_end": facts.planned_end,
        },
        "weeks": [
            {
                "week": w.start,
                "raised": w.raised,
                "resolved": w.resolved,
                "breaches": w.breaches,
                "satisfaction": w.satisfaction,
                "answers": w.answers,
            }
            for w in facts.history
        ],
        "open_tickets": open_by_severity,
        "tickets_total": Ticket.objects.filter(project=project).count(),
    }


def facts_from_snapshot(project: Project, content: dict) -> ExitFacts:
    numbers = content.get("hypercare", {})
    history = [
        Week(
            start=datetime.date.fromisoformat(row["week"]),
            raised=row["raised"],
            resolved=row["resolved"],
            breaches=row["breaches"],
            satisfaction=Decimal(row["satisfaction"]) if row["satisfaction"] is not None else None,
            answers=row["answers"],
        )
        for row in content.get("weeks", [])
    ]
    return ExitFacts(
        project=project,
        open_critical=numbers.get("open_critical", 0),
        sla_weeks=numbers.get("sla_weeks", 4),
        inflow_weeks=numbers.get("inflow_weeks", 4),
        threshold=Decimal(str(numbers.get("threshold", "4.0"))),
        history=history,
        inflow_before=numbers.get("inflow_before", 0),
    )


# --- Many projects at once (health, digest) ---------------------------------------------------


@dataclass
class Status:
    open_critical: int = 0
    open_breached: int = 0  # open tickets past a due time
    open_tickets: int = 0


def statuses(projects: Iterable[Project]) -> dict[int, Status]:
    """Open, critical and breached tickets of many projects in one query."""
    found = {p.pk: Status() for p in projects}
    if not found:
        return found
    now = timezone.now()
    for row in (
        Ticket.objects.filter(project__in=found, status__in=OPEN_TICKET_STATUSES)
        .values("project")
        .annotate(
            count=Count("pk"),
            critical=Count("pk", filter=Q(severity=Severity.CRITICAL)),
            breached=Count("pk", filter=breached(now)),
        )
    ):
        found[row["project"]] = Status(
            open_critical=row["critical"], open_breached=row["breached"], open_tickets=row["count"]
        )
    return found


def board(project: Project, now: datetime.datetime | None = None) -> dict[str, list[Ticket]]:
    """Open tickets by severity, breaching soonest first (overdue ones on top)."""
    now = now or timezone.now()
    columns: dict[str, list[Ticket]] = defaultdict(list)
    tickets = (
        Ticket.objects.filter(project=project, status__in=OPEN_TICKET_STATUSES)
        .select_related("assignee", "reporter")
        .order_by("created_at")
    )
    for ticket in tickets:
        next_due = (
            ticket.response_due_at if ticket.acknowledged_at is None else ticket.resolution_due_at
        )
        ticket.next_due_at = next_due
        ticket.is_breached = next_due < now or (
            ticket.acknowledged_at is not None and ticket.acknowledged_at > ticket.response_due_at
        )
        columns[ticket.severity].append(ticket)
    for rows in columns.values():
        rows.sort(key=lambda t: (t.next_due_at, t.created_at))
    return {severity: columns.get(severity, []) for severity in Severity.values}


RESOLVED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
