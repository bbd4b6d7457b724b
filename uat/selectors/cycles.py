"""Reads of test cycles and their runs, scoped to the asking user, and the cycle status.

`cycle_status(cycle)` is the one place that says how a cycle stands against its exit
criteria; the dashboard, the API, sign-off and the project health rules all read it. It
costs two queries whatever the size of the cycle. The latest run of each scenario in scope
counts; a latest run "not run" leaves the scenario unexecuted.
"""

import datetime
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import django_filters
from django.db import connections
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Lag, TruncDate
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import policy
from projects.filters import PkFilter, ProjectCodeFilter
from projects.models import Project, User
from uat.choices import OPEN_STATUSES, DefectStatus, ExecutionResult, Severity
from uat.models import CycleScenario, Defect, ScenarioStep, TestCycle, TestExecution

# --- Status and exit criteria ------------------------------------------------------------

# The count of a cycle's defects per (severity, status).
DefectCounts = dict[tuple[str, str], int]


@dataclass(frozen=True)
class ExitCriterion:
    """One exit criterion of a cycle: its threshold, the actual value and whether it is met."""

    key: str  # "all_executed", "pass_rate", "open_critical", "open_high"
    label: str
    threshold: int | Decimal
    actual: int | Decimal | None
    met: bool


@dataclass(frozen=True)
class CycleStatus:
    """How a cycle stands: counts of the latest run per scenario, open defects, exit criteria.

    pass_rate is a percentage (0-100, one decimal) of passed among executed scenarios, None
    while nothing was executed. open_defects maps every Severity value to its open count.
    """

    planned: int
    executed: int
    passed: int
    failed: int
    blocked: int
    pass_rate: Decimal | None
    open_defects: dict[str, int]
    exit_criteria: list[ExitCriterion] = field(default_factory=list)

    @property
    def not_executed(self) -> int:
        return self.planned - self.executed

    @property
    def all_met(self) -> bool:
        return all(criterion.met for criterion in self.exit_criteria)


def _latest_result() -> Subquery:
    latest = TestExecution.objects.filter(entry=OuterRef("pk")).order_by("-executed_at", "-pk")
    return Subquery(latest.values("result")[:1])


def _latest_run() -> Subquery:
    latest = TestExecution.objects.filter(entry=OuterRef("pk")).order_by("-executed_at", "-pk")
    return Subquery(latest.values("pk")[:1])


def _status(cycle: TestCycle, results: list[str | None], open_counts: dict[str, int]):
    counts = Counter(results)
    planned = len(results)
    passed = counts[ExecutionResult.PASSED]
    failed = counts[ExecutionResult.FAILED]
    blocked = counts[ExecutionResult.BLOCKED]
    executed = passed + failed + blocked
    pass_rate = (
        (Decimal(passed * 100) / executed).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if executed
        else None
    )
    open_defects = {severity: open_counts.get(severity, 0) for severity in Severity.values}
    criteria = []
    if cycle.require_all_executed:
        criteria.append(
            ExitCriterion(
                "all_executed",
                _("Every scenario in scope executed"),
                planned,
                executed,
                executed == planned,
            )
        )
    # Compare the exact fraction, not the rounded percentage shown.
    criteria += [
        ExitCriterion(
            "pass_rate",
            _("Pass rate at or above the minimum (%)"),
            cycle.min_pass_rate,
            pass_rate,
            bool(executed) and passed * 100 >= cycle.min_pass_rate * executed,
        ),
        ExitCriterion(
            "open_critical",
            _("Open critical defects at most"),
            cycle.max_open_critical,
            open_defects[Severity.CRITICAL],
            open_defects[Severity.CRITICAL] <= cycle.max_open_critical,
        ),
        ExitCriterion(
            "open_high",
            _("Open high defects at most"),
            cycle.max_open_high,
            open_defects[Severity.HIGH],
            open_defects[Severity.HIGH] <= cycle.max_open_high,
        ),
    ]
    return CycleStatus(
        planned=planned,
        executed=executed,
        passed=passed,
        failed=failed,
        blocked=blocked,
        pass_rate=pass_rate,
        open_defects=open_defects,
        exit_criteria=criteria,
    )


def _latest_results(cycles: list[TestCycle]) -> dict[int, list[str | None]]:
    """The latest result of every scenario in scope, per cycle pk (one query)."""
    results: dict[int, list] = {cycle.pk: [] for cycle in cycles}
    entries = (
        CycleScenario.objects.filter(cycle__in=[c.pk for c in cycles])
        .annotate(latest=_latest_result())
        .values_list("cycle_id", "latest")
    )
    for cycle_pk, latest in entries:
        results[cycle_pk].append(latest)
    return results


def cycle_statuses(cycles) -> dict[int, CycleStatus]:
    """The status of each cycle, by pk, in two queries whatever their number."""
    cycles = list(cycles)
    results = _latest_results(cycles)
    open_counts: dict[int, dict[str, int]] = defaultdict(dict)
    defects = (
        Defect.objects.filter(cycle__in=[c.pk for c in cycles], status__in=OPEN_STATUSES)
        .values_list("cycle_id", "severity")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for cycle_pk, severity, count in defects:
        open_counts[cycle_pk][severity] = count
    return {c.pk: _status(c, results[c.pk], open_counts[c.pk]) for c in cycles}


def cycle_status(cycle: TestCycle, *, defect_counts: DefectCounts | None = None) -> CycleStatus:
    """How the cycle stands against its exit criteria now (two queries; one when the caller
    passes the cycle's defect_counts, which the dashboard counts anyway)."""
    if defect_counts is None:
        return cycle_statuses([cycle])[cycle.pk]
    open_counts: Counter = Counter()
    for (severity, status), count in defect_counts.items():
        if status in OPEN_STATUSES:
            open_counts[severity] += count
    return _status(cycle, _latest_results([cycle])[cycle.pk], open_counts)


# --- Dashboard reads ----------------------------------------------------------------------


def defect_counts(cycle: TestCycle) -> DefectCounts:
    """The cycle's defects counted per (severity, status), in one query."""
    return {
        (severity, status): count
        for severity, status, count in Defect.objects.filter(cycle=cycle)
        .values_list("severity", "status")
        .annotate(count=Count("pk"))
        .order_by()
    }


def defects_by_severity_and_status(
    cycle: TestCycle, *, counts: DefectCounts | None = None
) -> list[tuple[str, list[int], int]]:
    """Rows (severity label, counts per DefectStatus in its order, total) of the cycle's
    defects; from `counts` (defect_counts) when the caller has them."""
    if counts is None:
        counts = defect_counts(cycle)
    rows = []
    for severity in Severity:
        cells = [counts.get((severity.value, status), 0) for status in DefectStatus.values]
        rows.append((severity.label, cells, sum(cells)))
    return rows


def _local_day(name: str, zone: zoneinfo.ZoneInfo, first: datetime.date, last: datetime.date):
    """The local date of a moment, by comparing it with the local midnights from `first` to
    `last`; TruncDate only for moments outside. SQLite computes TruncDate in Python row by
    row, which costs more than the rest of the trend's query; comparisons stay in SQL."""
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 2)]
    midnights = [datetime.datetime.combine(day, datetime.time(), tzinfo=zone) for day in days]
    outside = TruncDate(name, tzinfo=zone)
    return Case(
        When(**{f"{name}__lt": midnights[0]}, then=outside),
        *(
            When(**{f"{name}__lt": midnight}, then=Value(day))
            for day, midnight in zip(days, midnights[1:], strict=False)
        ),
        default=outside,
        output_field=DateField(),
    )


class TrendRow(NamedTuple):
    """Runs of one local day with one result, after a run of the same scenario with `previous`
    (None for a scenario's first run)."""

    day: datetime.date
    result: str
    previous: str | None
    runs: int


def execution_trend(cycle: TestCycle) -> list[TrendRow]:
    """The cycle's runs counted per local day, result and previous result, oldest day first.

    One query, a few rows per day whatever the number of runs: the trend chart stacks the
    runs per day and follows the latest result per scenario from the step each run makes
    (from `previous` to `result`), so it never needs the runs themselves.
    """
    zone = zoneinfo.ZoneInfo(cycle.project.time_zone)
    runs = (
        # By the run's own cycle: execution_cycle_idx then hands the runs over scenario by
        # scenario in the window's order, without a join or a sort.
        TestExecution.objects.filter(cycle=cycle)
        .annotate(
            day=_local_day("executed_at", zone, cycle.starts_on, cycle.ends_on),
            previous=Window(
                Lag("result"),
                partition_by=[F("entry_id")],
                order_by=[F("executed_at").asc(), F("pk").asc()],
            ),
        )
        .values("day", "result", "previous")
        .order_by()
    )
    # The ORM cannot group by a window function's value: count over the compiled query.
    sql, params = runs.query.sql_with_params()
    connection = connections[runs.db]
    day, result, previous = map(connection.ops.quote_name, ("day", "result", "previous"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {day}, {result}, {previous}, COUNT(*) FROM ({sql}) runs "  # noqa: S608
            f"GROUP BY {day}, {result}, {previous} ORDER BY {day}",
            params,
        )
        rows = cursor.fetchall()
    # SQLite hands the day back as text.
    return [
        TrendRow(at if isinstance(at, datetime.date) else datetime.date.fromisoformat(at), *rest)
        for at, *rest in rows
    ]


# --- Scoped reads -------------------------------------------------------------------------


def _ensure_visible(user, project: Project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def cycle_list(*, user, project: Project) -> QuerySet[TestCycle]:
    """The project's cycles, newest first, each with its number of scenarios in scope."""
    _ensure_visible(user, project)
    return (
        TestCycle.objects.filter(project=project)
        .annotate(planned=Count("scope"))
        .order_by("-starts_on", "-pk")
    )


def cycle_get(*, user, project: Project, pk: int) -> TestCycle:
    _ensure_visible(user, project)
    cycle = TestCycle.objects.filter(project=project, pk=pk).first()
    if cycle is None:
        raise Http404(_("No test cycle matches the given query."))
    cycle.project = project  # keep the project with its cached role
    return cycle


def current_cycle(*, user, project: Project) -> TestCycle | None:
    """The cycle running today (the latest started if several), else the latest planned."""
    _ensure_visible(user, project)
    return project_current_cycle(project)


def project_current_cycle(project: Project) -> TestCycle | None:
    """The rule of current_cycle, for callers that already hold a visible project (reports
    built by workers for nobody in particular)."""
    today = project.local_today()
    # One query: the cycles running today come first.
    running = Q(starts_on__lte=today, ends_on__gte=today)
    cycle = (
        TestCycle.objects.filter(project=project)
        .annotate(running=Case(When(running, then=Value(1)), default=Value(0)))
        .order_by("-running", "-starts_on", "-pk")
        .first()
    )
    if cycle is not None:
        cycle.project = project
    return cycle


def scope_list(*, user, cycle: TestCycle) -> QuerySet[CycleScenario]:
    """The cycle's scenarios in scope, by code, with the latest result and the assignees
    by name (in `assignee_list`)."""
    _ensure_visible(user, cycle.project)
    return (
        CycleScenario.objects.filter(cycle=cycle)
        .select_related("scenario")
        # Into a list: a prefetch kept on the manager builds a queryset per entry, which
        # cost more than the query itself on a page of the dashboard.
        .prefetch_related(
            Prefetch(
                "assignees",
                queryset=User.objects.order_by("first_name", "last_name", "username"),
                to_attr="assignee_list",
            )
        )
        .annotate(latest=_latest_result())
        .order_by("scenario__code")
    )


def my_entries(*, user, cycle: TestCycle) -> QuerySet[CycleScenario]:
    """The scenarios of the cycle assigned to the user, by code, with the latest result."""
    _ensure_visible(user, cycle.project)
    return (
        CycleScenario.objects.filter(cycle=cycle, assignees=user)
        .select_related("scenario")
        .annotate(latest=_latest_result(), step_count=Count("scenario__steps", distinct=True))
        .order_by("scenario__code")
    )


def entry_get(*, user, cycle: TestCycle, pk: int) -> CycleScenario:
    """One scenario in the cycle's scope, with its steps in order and its assignees."""
    _ensure_visible(user, cycle.project)
    entry = (
        CycleScenario.objects.filter(cycle=cycle, pk=pk)
        .select_related("scenario")
        .prefetch_related(
            Prefetch("scenario__steps", queryset=ScenarioStep.objects.order_by("position")),
            "assignees",
        )
        .first()
    )
    if entry is None:
        raise Http404(_("No scenario in this cycle matches the given query."))
    entry.cycle = cycle
    return entry


def entry_runs(*, user, entry: CycleScenario) -> QuerySet[TestExecution]:
    """The runs of one scenario in a cycle, latest first."""
    _ensure_visible(user, entry.cycle.project)
    return (
        TestExecution.objects.filter(entry=entry)
        .select_related("executed_by", "failed_step")
        .order_by("-executed_at", "-pk")
    )


# --- API reads ----------------------------------------------------------------------------


def cycles_visible_to(user) -> QuerySet[TestCycle]:
    """Cycles of every project the user can see (for the API)."""
    return (
        TestCycle.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
        .select_related("project")
        .annotate(planned=Count("scope"))
        .order_by("project__code", "-starts_on", "-pk")
    )


def cycle_get_by_pk(*, user, pk: int) -> TestCycle:
    cycle = cycles_visible_to(user).filter(pk=pk).first()
    if cycle is None:
        raise Http404(_("No test cycle matches the given query."))
    return cycle


def executions_visible_to(user) -> QuerySet[TestExecution]:
    """Runs in every project the user can see (for the API), latest first."""
    return (
        TestExecution.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
        .select_related("project", "entry__scenario", "executed_by", "failed_step")
        .prefetch_related("defects")
        .order_by("-executed_at", "-pk")
    )


def execution_get_by_pk(*, user, pk: int) -> TestExecution:
    execution = executions_visible_to(user).filter(pk=pk).first()
    if execution is None:
        raise Http404(_("No test execution matches the given query."))
    return execution


class CycleFilter(django_filters.FilterSet):
    project = ProjectCodeFilter(label=gettext_lazy("Project code"))

    class Meta:
        model = TestCycle
        fields = ["project"]


class ExecutionFilter(django_filters.FilterSet):
    project = ProjectCodeFilter(label=gettext_lazy("Project code"))
    cycle = PkFilter(field_name="entry__cycle", label=gettext_lazy("Cycle"))
    result = django_filters.ChoiceFilter(
        choices=ExecutionResult.choices, label=gettext_lazy("Result")
    )

    class Meta:
        model = TestExecution
        fields = ["project", "cycle", "result"]
