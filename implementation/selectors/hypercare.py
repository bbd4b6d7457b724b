"""Reads for the hypercare pages: the overview and its exit panel, the weekly feedback
results and the module usage review.

Callers fetched the project through projects.selectors.project_get (outsiders had their
404 there); every member reads these. Each read costs the same queries for 2 rows or 2,000:
counts are aggregated in the database, rows are grouped in Python.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Avg, Count, F, Max, Q, Window
from django.db.models.functions import Lower, RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation import hypercare
from implementation.choices import OPEN_TICKET_STATUSES, ReviewDecision
from implementation.models import FeedbackResponse, ModuleReview, Ticket
from implementation.services import hypercare as services
from kpis.choices import KpiStatus
from kpis.models import Kpi
from kpis.selectors import kpi_rows, with_latest
from projects.choices import Department
from projects.models import Project
from uat.choices import Severity, SignoffKind, SignoffStatus
from uat.models import SignOff
from uat.snapshots import criterion_label

RESULT_WEEKS = 12
RECENT_WEEKS = 4  # "raised lately" on the module review
REVIEWS_SHOWN = 3
ONE_DECIMAL = Decimal("0.1")


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def url_or_none(name: str, *args) -> str | None:
    """The page's address, or None while that page does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def mean(value) -> Decimal | None:
    """An average satisfaction as people read it: one decimal, rounded down (4.97 is not 5)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(ONE_DECIMAL, ROUND_DOWN)


# --- Exit criteria in words -----------------------------------------------------------------


def _weeks(count) -> str:
    count = int(count)
    return ngettext("%(count)d week", "%(count)d weeks", count) % {"count": count}


def _of_five(value) -> str:
    if value is None or value in {"-", "–", ""}:
        return "–"
    return _("%(value)s of 5") % {"value": value}


def criterion_figures(key: str, actual, threshold) -> tuple[str, str]:
    """(actual, threshold) of one exit criterion in words: weeks, ticket counts, 1-5."""
    if key == "sla_met":
        return _weeks(actual), _weeks(threshold)
    if key == "inflow_falling":
        return str(actual), _weeks(threshold)
    if key == "satisfaction":
        return _of_five(actual), _of_five(threshold)
    return str(actual), str(threshold)


def exit_rows(criteria: list[dict], facts: hypercare.ExitFacts) -> list[dict]:
    """The exit criteria (live or frozen: key, met, actual, threshold) with their labels,
    figures in words and, for a red one, why; from `facts` only, no query."""
    rows = []
    for row in criteria:
        actual, threshold = criterion_figures(row["key"], row["actual"], row["threshold"])
        rows.append(
            {
                "key": row["key"],
                "label": criterion_label(row["key"]),
                "met": row["met"],
                "actual": actual,
                "threshold": threshold,
                "reasons": [] if row["met"] else hypercare.exit_reasons(row["key"], facts),
            }
        )
    return rows


def week_rows(rows: list[dict]) -> list[dict]:
    """Week rows (dicts with week, raised, resolved, breaches, satisfaction, answers) with
    the satisfaction shown as text."""
    return [
        row
        | {
            "satisfaction_text": str(row["satisfaction"])
            if row["satisfaction"] is not None
            else "–",
        }
        for row in rows
    ]


def severity_counts(counts: dict) -> list[dict]:
    return [
        {"value": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in Severity.choices
    ]


# --- Overview -------------------------------------------------------------------------------


@dataclass
class Overview:
    today: datetime.date
    go_live: datetime.date
    planned_end: datetime.date
    facts: hypercare.ExitFacts
    criteria: list[dict]
    weeks: list[dict]
    open_by_severity: list[dict]  # value, label, count, breached
    open_total: int
    breached_total: int
    signoffs: list[dict] = field(default_factory=list)

    @property
    def days_since_go_live(self) -> int:
        return (self.today - self.go_live).days

    @property
    def days_until_go_live(self) -> int:
        return -self.days_since_go_live

    @property
    def days_left(self) -> int:
        return (self.planned_end - self.today).days

    @property
    def ready(self) -> bool:
        return all(row["met"] for row in self.criteria)

    @property
    def red_count(self) -> int:
        return sum(not row["met"] for row in self.criteria)


def open_tickets_by_severity(project: Project, now: datetime.datetime) -> list[dict]:
    """Open tickets and the breached ones among them, per severity, in one query."""
    found = {}
    for row in (
        Ticket.objects.filter(project=project, status__in=OPEN_TICKET_STATUSES)
        .values("severity")
        .annotate(count=Count("pk"), breached=Count("pk", filter=hypercare.breached(now)))
    ):
        found[row["severity"]] = row
    return [
        {
            "value": value,
            "label": str(label),
            "count": found.get(value, {}).get("count", 0),
            "breached": found.get(value, {}).get("breached", 0),
        }
        for value, label in Severity.choices
    ]


def exit_signoffs(project: Project) -> list[dict]:
    """The project's hypercare exit sign-offs, newest first."""
    rows = (
        SignOff.objects.filter(project=project, kind=SignoffKind.HYPERCARE_EXIT)
        .order_by("-number")
        .values("number", "title", "status", "stale_at")
    )
    return [
        row
        | {
            "display_number": f"SO-{row['number']}",
            "status_label": _label(SignoffStatus, row["status"]),
            "url": reverse("signoffs:detail", args=[project.code, row["number"]]),
        }
        for row in rows
    ]


def overview(project: Project, *, today: datetime.date | None = None) -> Overview:
    """Hypercare at a glance: the clock since go-live, open and breached tickets, the exit
    criteria with their reasons and the weeks behind them."""
    today = today or project.local_today()
    facts = hypercare.exit_facts(project, today=today)
    criteria = [
        {"key": c.key, "met": c.met, "actual": c.actual, "threshold": c.threshold}
        for c in hypercare.evaluate_exit(facts)
    ]
    status = hypercare.statuses([project])[project.pk]
    return Overview(
        today=today,
        go_live=project.target_go_live,
        planned_end=facts.planned_end,
        facts=facts,
        criteria=exit_rows(criteria, facts),
        weeks=week_rows(
            [
                {
                    "week": week.start,
                    "raised": week.raised,
                    "resolved": week.resolved,
                    "breaches": week.breaches,
                    "satisfaction": week.satisfaction,
                    "answers": week.answers,
                }
                for week in facts.history
            ]
        ),
        open_by_severity=open_tickets_by_severity(project, timezone.now()),
        open_total=status.open_tickets,
        breached_total=status.open_breached,
        signoffs=exit_signoffs(project),
    )


def sla_rows(project: Project) -> list[dict]:
    """Response and resolution targets per severity (the project's own or the defaults)."""
    found = services.targets(project)
    rows = []
    for value, label in Severity.choices:
        (response, response_unit), (resolution, resolution_unit) = found[value]
        rows.append(
            {
                "severity": value,
                "label": str(label),
                "response_value": response,
                "response_unit": response_unit,
                "resolution_value": resolution,
                "resolution_unit": resolution_unit,
            }
        )
    return rows


# --- Weekly feedback --------------------------------------------------------------------------


def this_week_answer(project: Project, user) -> FeedbackResponse | None:
    week = services.week_of(project.local_today())
    return FeedbackResponse.objects.filter(project=project, week=week, respondent=user).first()


@dataclass
class ResultWeek:
    start: datetime.date
    answers: int = 0
    satisfaction: Decimal | None = None
    by_department: dict[str, tuple[int, Decimal | None]] = field(default_factory=dict)
    is_current: bool = False

    def cells(self, departments: list[str]) -> list[dict]:
        return [
            {
                "department": department,
                "answers": self.by_department.get(department, (0, None))[0],
                "satisfaction": self.by_department.get(department, (0, None))[1],
            }
            for department in departments
        ]


@dataclass
class FeedbackResults:
    weeks: list[ResultWeek]  # oldest first, the current week last
    departments: list[str]  # department values that answered, in the choices' order
    selected: datetime.date
    responses: list[FeedbackResponse]  # of the selected week

    @property
    def department_labels(self) -> list[tuple[str, str]]:
        return [(value, _label(Department, value)) for value in self.departments]

    def rows(self) -> list[dict]:
        """Newest first, for the table."""
        return [
            {"week": week, "cells": week.cells(self.departments)} for week in reversed(self.weeks)
        ]


def result_weeks(project: Project, *, count: int = RESULT_WEEKS, today=None) -> list[datetime.date]:
    """The Mondays of the last `count` weeks, the current one last."""
    this_week = services.week_of(today or project.local_today())
    return [this_week - datetime.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def feedback_results(
    project: Project, *, week: datetime.date | None = None, today: datetime.date | None = None
) -> FeedbackResults:
    """Answers and average satisfaction per week and department over the last twelve weeks,
    and the answers of one week (by default the latest week that has any); three queries."""
    starts = result_weeks(project, today=today)
    by_start = {start: ResultWeek(start) for start in starts}
    by_start[starts[-1]].is_current = True
    departments: set[str] = set()
    for row in (
        FeedbackResponse.objects.filter(project=project, week__in=starts)
        .values("week", "department")
        .annotate(answers=Count("pk"), mean=Avg("satisfaction"))
        .order_by()
    ):
        result = by_start[row["week"]]
        result.by_department[row["department"]] = (row["answers"], mean(row["mean"]))
        departments.add(row["department"])
    # The week's overall average weighs every answer alike, whatever its department.
    for row in (
        FeedbackResponse.objects.filter(project=project, week__in=starts)
        .values("week")
        .annotate(answers=Count("pk"), mean=Avg("satisfaction"))
        .order_by()
    ):
        result = by_start[row["week"]]
        result.answers, result.satisfaction = row["answers"], mean(row["mean"])
    if week not in by_start:
        answered = [start for start in starts if by_start[start].answers]
        week = answered[-1] if answered else starts[-1]
    order = {value: index for index, value in enumerate(Department.values)}
    responses = list(
        FeedbackResponse.objects.filter(project=project, week=week).order_by(
            "department", "-satisfaction", "pk"
        )
    )
    return FeedbackResults(
        weeks=[by_start[start] for start in starts],
        departments=sorted(departments, key=lambda value: (order.get(value, len(order)), value)),
        selected=week,
        responses=responses,
    )


# --- Module usage review ----------------------------------------------------------------------


@dataclass
class ModuleRow:
    key: str  # the module's name folded to lower case: tickets, KPIs and reviews meet on it
    name: str
    kpis: list = field(default_factory=list)  # kpis.selectors.KpiRow
    open_tickets: int = 0
    recent_tickets: int = 0
    tickets_total: int = 0
    reviews: list[ModuleReview] = field(default_factory=list)  # newest first, at most three

    @property
    def last_review(self) -> ModuleReview | None:
        return self.reviews[0] if self.reviews else None


def module_key(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def module_rows(project: Project, *, today: datetime.date | None = None) -> list[ModuleRow]:
    """One row per module named by a ticket, a KPI or an earlier review: its adoption KPIs
    with their latest values, its open and recent tickets and its last three reviews; three
    queries whatever the number of modules, tickets or reviews."""
    today = today or project.local_today()
    rows: dict[str, ModuleRow] = {}

    def row_for(name: str) -> ModuleRow:
        key = module_key(name)
        if key not in rows:
            rows[key] = ModuleRow(key=key, name=" ".join(name.split()))
        return rows[key]

    # Reviews first: the name a reviewer wrote is the one the team agreed on.
    reviews = (
        ModuleReview.objects.filter(project=project)
        .select_related("reviewer")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[Lower("module")],
                order_by=[F("reviewed_on").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=REVIEWS_SHOWN)
        .order_by(Lower("module"), "rank")
    )
    for review in reviews:
        row_for(review.module).reviews.append(review)

    since = datetime.datetime.combine(
        services.week_of(today) - datetime.timedelta(weeks=RECENT_WEEKS),
        datetime.time.min,
        tzinfo=zoneinfo.ZoneInfo(project.time_zone),
    )
    for row in (
        Ticket.objects.filter(project=project)
        .annotate(key=Lower("module"))
        .values("key")
        .annotate(
            name=Max("module"),
            total=Count("pk"),
            open=Count("pk", filter=Q(status__in=OPEN_TICKET_STATUSES)),
            recent=Count("pk", filter=Q(created_at__gte=since)),
        )
        .order_by()
    ):
        module = row_for(row["name"])
        module.tickets_total += row["total"]
        module.open_tickets += row["open"]
        module.recent_tickets += row["recent"]

    kpis = with_latest(Kpi.objects.filter(project=project).exclude(module="")).order_by("name")
    for kpi_row in kpi_rows(kpis, project=project, today=today):
        row_for(kpi_row.kpi.module).kpis.append(kpi_row)

    return sorted(rows.values(), key=lambda row: row.key)


def kpi_status_label(status: str) -> str:
    return _label(KpiStatus, status)


def decision_label(decision: str) -> str:
    return _label(ReviewDecision, decision)
