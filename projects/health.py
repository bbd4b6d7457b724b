"""Project health: green, amber or red, computed from the data, never typed in.

All the rules live here. Each rule reads a project's facts and returns findings, each with a
level and a sentence that says why. A project's health is its worst finding. Facts are
loaded for a whole page of projects in a fixed number of queries, so the portfolio stays
fast however many projects it lists. Later features add facts and rules in this module.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from django.db.models import Count, Max, Min, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from implementation import hypercare, readiness
from implementation.choices import OPEN_ACTION_STATUSES, PhaseKind, PhaseStatus
from implementation.models import ActionItem, ChecklistItem, EndUser, HypercarePlan, Phase
from implementation.services import hypercare as hypercare_services
from kpis import metrics
from kpis.models import Kpi
from projects.choices import BUSINESS_DEPARTMENTS, Department, ProjectStatus, Role
from projects.models import Membership, Project
from uat.choices import OPEN_STATUSES, Severity
from uat.models import Defect

OVERDUE_RED_DAYS = 7  # a mandatory item overdue by more than this turns the project red
GO_LIVE_WARNING_DAYS = 30  # testing still open this close to go-live is a warning
PHASE_OVERRUN_DAYS = 14  # a running phase this far past its planned end is a warning
BASELINE_WARNING_DAYS = 30  # KPIs still without a baseline this close to go-live: a warning
KPI_OVERDUE_RED_PERIODS = 2  # a KPI this many measurements behind turns the project red
READINESS_WARNING_DAYS = 30  # red readiness criteria this close to go-live: a warning
READINESS_RED_DAYS = 7  # ... and this close, red
BLOCKING_SEVERITIES = (Severity.CRITICAL, Severity.HIGH)  # open defects that colour health


class Level(IntEnum):
    GREEN = 0
    AMBER = 1
    RED = 2

    @property
    def label(self) -> str:
        return str(_LEVEL_LABELS[self])

    @property
    def css(self) -> str:
        return self.name.lower()


_LEVEL_LABELS = {
    Level.GREEN: gettext_lazy("Green"),
    Level.AMBER: gettext_lazy("Amber"),
    Level.RED: gettext_lazy("Red"),
}


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str


@dataclass
class Health:
    findings: list[Finding] = field(default_factory=list)

    @property
    def level(self) -> Level:
        return max((finding.level for finding in self.findings), default=Level.GREEN)


@dataclass
class ProjectFacts:
    """What the rules may look at for one project."""

    project: Project
    today: datetime.date
    phases: list[Phase] = field(default_factory=list)
    overdue_mandatory_items: int = 0
    oldest_mandatory_due: datetime.date | None = None
    team: list[tuple[str, str]] = field(default_factory=list)  # (role, department)
    champions: set[str] = field(default_factory=set)  # departments with a digital champion
    end_user_departments: set[str] = field(default_factory=set)  # departments going live
    overdue_action_items: int = 0
    # severity -> count, of the BLOCKING_SEVERITIES only (blocking_defects_open)
    open_defects: dict[str, int] = field(default_factory=dict)
    kpis: list["KpiFact"] = field(default_factory=list)
    readiness: list | None = None  # go-live criteria (implementation.readiness), close to go-live
    hypercare: object | None = None  # support tickets (implementation.hypercare), once live
    hypercare_end: datetime.date | None = None


@dataclass(frozen=True)
class KpiFact:
    """What the rules need of one KPI: whether it has a baseline and how late it is."""

    name: str
    has_baseline: bool
    overdue_periods: int


def _kpi_fact(row: dict, project: Project, today: datetime.date) -> KpiFact:
    # The same rule as the KPI pages (kpis.metrics): due one period after the latest
    # measurement or after go-live, one more overdue per further period passed.
    due = metrics.next_due(
        cadence=row["cadence"], last_measured_on=row["latest_on"], start=project.target_go_live
    )
    overdue = (
        0
        if due is None
        else metrics.overdue_periods(cadence=row["cadence"], next_due=due, today=today)
    )
    return KpiFact(
        name=row["name"],
        has_baseline=row["baseline_value"] is not None and row["baseline_date"] is not None,
        overdue_periods=overdue,
    )


# --- Facts --------------------------------------------------------------------------------


def load_facts(projects: Iterable[Project]) -> dict[int, ProjectFacts]:
    """Facts for many projects in seven queries, whatever their number (or their KPIs' and
    measurements')."""
    facts = {p.pk: ProjectFacts(project=p, today=p.local_today()) for p in projects}
    if not facts:
        return facts
    for phase in Phase.objects.filter(project__in=facts).order_by("project", "position"):
        facts[phase.project_id].phases.append(phase)
    # "Today" differs per time zone by at most a day; the rules count days from each
    # project's own today, so the query only needs the widest cut-off.
    latest_today = max(f.today for f in facts.values())
    overdue = (
        # A completed phase's open items were waived at its gate: no longer overdue.
        ChecklistItem.objects.filter(
            phase__project__in=facts,
            is_mandatory=True,
            done_at__isnull=True,
            due_date__lt=latest_today,
        )
        .exclude(phase__status=PhaseStatus.COMPLETED)
        .values("phase__project")
        .annotate(oldest=Min("due_date"), count=Count("pk"))
    )
    for row in overdue:
        fact = facts[row["phase__project"]]
        if row["oldest"] < fact.today:
            fact.overdue_mandatory_items = row["count"]
            fact.oldest_mandatory_due = row["oldest"]
    for project_id, role, department, champion in Membership.objects.filter(
        project__in=facts
    ).values_list("project", "role", "department", "is_champion"):
        facts[project_id].team.append((role, department))
        if champion:
            facts[project_id].champions.add(department)
    for project_id, department in (
        EndUser.objects.filter(project__in=facts).values_list("project", "department").distinct()
    ):
        facts[project_id].end_user_departments.add(department)
    overdue_actions = (
        ActionItem.objects.filter(
            project__in=facts, status__in=OPEN_ACTION_STATUSES, due_date__lt=latest_today
        )
        .values("project")
        .annotate(oldest=Min("due_date"), count=Count("pk"))
    )
    for row in overdue_actions:
        fact = facts[row["project"]]
        if row["oldest"] < fact.today:
            fact.overdue_action_items = row["count"]
    # Only the severities a rule looks at: counting every open defect read tens of
    # thousands of rows per page of projects. Grouped by status too, so the database answers
    # from the (project, status, severity) index alone; the statuses are summed here.
    open_defects = (
        Defect.objects.filter(
            project__in=facts, status__in=OPEN_STATUSES, severity__in=BLOCKING_SEVERITIES
        )
        .values("project", "status", "severity")
        .annotate(count=Count("*"))  # not of the key, which is not in that index
        .order_by()
    )
    for row in open_defects:
        counts = facts[row["project"]].open_defects
        counts[row["severity"]] = counts.get(row["severity"], 0) + row["count"]
    kpis = (
        Kpi.objects.filter(project__in=facts)
        .values("project", "name", "cadence", "baseline_value", "baseline_date")
        .annotate(latest_on=Max("measurements__measured_on"))
        .order_by("project", "name")
    )
    for row in kpis:
        fact = facts[row["project"]]
        fact.kpis.append(_kpi_fact(row, fact.project, fact.today))
    # Readiness costs a few queries more, only when some project is close to go-live.
    close = [fact.project for fact in facts.values() if _readiness_matters(fact)]
    for pk, criteria in readiness.summaries(close).items():
        facts[pk].readiness = criteria
    # Support tickets matter from go-live on: two queries more, only for live projects.
    live = [f.project for f in facts.values() if f.today >= f.project.target_go_live]
    if live:
        for pk, status in hypercare.statuses(live).items():
            facts[pk].hypercare = status
        ends = dict(
            HypercarePlan.objects.filter(project__in=live, planned_end__isnull=False).values_list(
                "project", "planned_end"
            )
        )
        for project in live:
            facts[project.pk].hypercare_end = ends.get(project.pk) or (
                hypercare_services.default_end(project.target_go_live)
            )
    return facts


def _readiness_matters(fact: ProjectFacts) -> bool:
    days_left = (fact.project.target_go_live - fact.today).days
    go_live = next((p for p in fact.phases if p.kind == PhaseKind.GO_LIVE), None)
    return (
        fact.project.status == ProjectStatus.ACTIVE
        and 0 <= days_left <= READINESS_WARNING_DAYS
        and (go_live is None or go_live.status != PhaseStatus.COMPLETED)
    )


# --- Team coverage ------------------------------------------------------------------------


def team_coverage_gaps(team: Iterable[tuple[str, str]]) -> list[str]:
    """Who is missing from a steering group that has IT, business, finance, HR and management."""
    team = list(team)
    departments = {department for _role, department in team}
    roles = {role for role, _department in team}
    gaps = []
    if Department.IT not in departments:
        gaps.append(_("Nobody from IT is on the team."))
    if not departments & BUSINESS_DEPARTMENTS:
        gaps.append(
            _("No business department (sales, warehouse, purchasing, production) is on the team.")
        )
    if Department.ACCOUNTING_FINANCE not in departments:
        gaps.append(_("Nobody from accounting / finance is on the team."))
    if Department.HR not in departments:
        gaps.append(_("Nobody from HR is on the team."))
    if Department.MANAGEMENT not in departments:
        gaps.append(_("Senior management is not on the team."))
    if Role.EXECUTIVE not in roles:
        gaps.append(_("No executive is named to decide and sign off."))
    return gaps


# Departments that speak for themselves on a champion's behalf: IT supports, management
# decides; every other department going live needs a champion among its colleagues.
_NO_CHAMPION_NEEDED = frozenset({Department.IT, Department.MANAGEMENT, Department.OTHER})


def departments_needing_champion(
    team_departments: Iterable[str], end_user_departments: Iterable[str]
) -> list[str]:
    """The departments going live: those with end users to train, or, before the end-user
    roster is written, the business departments on the team."""
    departments = set(end_user_departments) or set(team_departments)
    return [d for d in Department.values if d in departments and d not in _NO_CHAMPION_NEEDED]


def champion_gaps(
    team: Iterable[tuple[str, str]], champions: Iterable[str], end_user_departments: Iterable[str]
) -> list[str]:
    """One warning per department going live without a digital champion."""
    champions = set(champions)
    needing = departments_needing_champion(
        (department for _role, department in team), end_user_departments
    )
    return [
        _("%(department)s has no digital champion.") % {"department": Department(d).label}
        for d in needing
        if d not in champions
    ]


def project_champion_gaps(project: Project) -> list[str]:
    """champion_gaps for one project, in two queries (the team page)."""
    team, champions = [], set()
    for role, department, champion in project.memberships.values_list(
        "role", "department", "is_champion"
    ):
        team.append((role, department))
        if champion:
            champions.add(department)
    departments = project.end_users.values_list("department", flat=True).distinct()
    return champion_gaps(team, champions, departments)


# --- Rules --------------------------------------------------------------------------------

Rule = Callable[[ProjectFacts], Iterable[Finding]]
RULES: list[Rule] = []


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


@rule
def go_live_passed_with_open_phases(facts: ProjectFacts) -> Iterable[Finding]:
    if facts.today <= facts.project.target_go_live:
        return
    open_phases = [
        p
        for p in facts.phases
        if p.kind != PhaseKind.HYPERCARE and p.status != PhaseStatus.COMPLETED
    ]
    if open_phases:
        yield Finding(
            Level.RED,
            ngettext(
                "The go-live date %(date)s has passed with %(count)d phase still open.",
                "The go-live date %(date)s has passed with %(count)d phases still open.",
                len(open_phases),
            )
            % {"date": facts.project.target_go_live.isoformat(), "count": len(open_phases)},
        )


@rule
def mandatory_items_overdue(facts: ProjectFacts) -> Iterable[Finding]:
    if not facts.overdue_mandatory_items:
        return
    days = (facts.today - facts.oldest_mandatory_due).days
    level = Level.RED if days > OVERDUE_RED_DAYS else Level.AMBER
    yield Finding(
        level,
        ngettext(
            "%(count)d mandatory checklist item is overdue, the oldest by %(days)d days.",
            "%(count)d mandatory checklist items are overdue, the oldest by %(days)d days.",
            facts.overdue_mandatory_items,
        )
        % {"count": facts.overdue_mandatory_items, "days": days},
    )


@rule
def testing_open_close_to_go_live(facts: ProjectFacts) -> Iterable[Finding]:
    days_left = (facts.project.target_go_live - facts.today).days
    if not 0 <= days_left <= GO_LIVE_WARNING_DAYS:
        return
    testing = next((p for p in facts.phases if p.kind == PhaseKind.TESTING), None)
    if testing and testing.status != PhaseStatus.COMPLETED:
        yield Finding(
            Level.AMBER,
            _("Go-live is in %(days)d days and testing is not completed.") % {"days": days_left},
        )


@rule
def phase_overrunning(facts: ProjectFacts) -> Iterable[Finding]:
    for phase in facts.phases:
        late = (facts.today - phase.planned_end).days
        if phase.status == PhaseStatus.IN_PROGRESS and late > PHASE_OVERRUN_DAYS:
            yield Finding(
                Level.AMBER,
                _("%(phase)s was planned to end on %(date)s and runs %(days)d days late.")
                % {
                    "phase": phase.get_kind_display(),
                    "date": phase.planned_end.isoformat(),
                    "days": late,
                },
            )


@rule
def action_items_overdue(facts: ProjectFacts) -> Iterable[Finding]:
    if facts.overdue_action_items:
        yield Finding(
            Level.AMBER,
            ngettext(
                "%(count)d action item from the review meetings is overdue.",
                "%(count)d action items from the review meetings are overdue.",
                facts.overdue_action_items,
            )
            % {"count": facts.overdue_action_items},
        )


@rule
def blocking_defects_open(facts: ProjectFacts) -> Iterable[Finding]:
    """Open critical defects stop a go-live (red); open high ones threaten it (amber)."""
    critical = facts.open_defects.get(Severity.CRITICAL, 0)
    high = facts.open_defects.get(Severity.HIGH, 0)
    if critical:
        yield Finding(
            Level.RED,
            ngettext(
                "%(count)d critical defect is open.",
                "%(count)d critical defects are open.",
                critical,
            )
            % {"count": critical},
        )
    if high:
        yield Finding(
            Level.AMBER,
            ngettext(
                "%(count)d high-severity defect is open.",
                "%(count)d high-severity defects are open.",
                high,
            )
            % {"count": high},
        )


@rule
def team_incomplete(facts: ProjectFacts) -> Iterable[Finding]:
    for gap in team_coverage_gaps(facts.team):
        yield Finding(Level.AMBER, gap)
    for gap in champion_gaps(facts.team, facts.champions, facts.end_user_departments):
        yield Finding(Level.AMBER, gap)


@rule
def kpi_measurements_overdue(facts: ProjectFacts) -> Iterable[Finding]:
    """A KPI not measured on its rhythm is amber; two or more measurements behind, red."""
    late = [kpi for kpi in facts.kpis if kpi.overdue_periods]
    if not late:
        return
    worst = max(kpi.overdue_periods for kpi in late)
    message = ngettext(
        "%(count)d KPI has a measurement overdue.",
        "%(count)d KPIs have measurements overdue.",
        len(late),
    ) % {"count": len(late)}
    if worst >= KPI_OVERDUE_RED_PERIODS:
        very_late = sum(1 for kpi in late if kpi.overdue_periods >= KPI_OVERDUE_RED_PERIODS)
        message += " " + ngettext(
            "%(count)d of them is %(periods)d or more measurements behind.",
            "%(count)d of them are %(periods)d or more measurements behind.",
            very_late,
        ) % {"count": very_late, "periods": KPI_OVERDUE_RED_PERIODS}
        yield Finding(Level.RED, message)
    else:
        yield Finding(Level.AMBER, message)


@rule
def kpis_without_baseline(facts: ProjectFacts) -> Iterable[Finding]:
    """Baselines are measured before go-live: missing ones close to it are amber; from
    go-live on, when baselines are locked, red."""
    missing = [kpi for kpi in facts.kpis if not kpi.has_baseline]
    if not missing:
        return
    go_live = facts.project.target_go_live
    days_left = (go_live - facts.today).days
    if days_left <= 0:
        yield Finding(
            Level.RED,
            ngettext(
                "Baselines are locked since go-live on %(date)s and %(count)d KPI has none.",
                "Baselines are locked since go-live on %(date)s and %(count)d KPIs have none.",
                len(missing),
            )
            % {"date": go_live.isoformat(), "count": len(missing)},
        )
    elif days_left <= BASELINE_WARNING_DAYS:
        yield Finding(
            Level.AMBER,
            ngettext(
                "Go-live is in %(days)d days and %(count)d KPI has no baseline yet.",
                "Go-live is in %(days)d days and %(count)d KPIs have no baseline yet.",
                len(missing),
            )
            % {"days": days_left, "count": len(missing)},
        )


@rule
def go_live_readiness(facts: ProjectFacts) -> Iterable[Finding]:
    """Red go/no-go criteria within a month of go-live are amber; within a week, red."""
    red = [criterion for criterion in facts.readiness or [] if not criterion.met]
    if not red:
        return
    days_left = (facts.project.target_go_live - facts.today).days
    level = Level.RED if days_left <= READINESS_RED_DAYS else Level.AMBER
    yield Finding(
        level,
        ngettext(
            "Go-live is in %(days)d days and %(count)d readiness criterion is red: %(which)s.",
            "Go-live is in %(days)d days and %(count)d readiness criteria are red: %(which)s.",
            len(red),
        )
        % {
            "days": days_left,
            "count": len(red),
            "which": "; ".join(criterion.label for criterion in red),
        },
    )


@rule
def hypercare_tickets(facts: ProjectFacts) -> Iterable[Finding]:
    """After go-live: open critical tickets are red; open tickets past their SLA, amber; a
    hypercare phase running past its planned end, amber."""
    status = facts.hypercare
    if status is None:
        return
    if status.open_critical:
        yield Finding(
            Level.RED,
            ngettext(
                "%(count)d critical support ticket is open.",
                "%(count)d critical support tickets are open.",
                status.open_critical,
            )
            % {"count": status.open_critical},
        )
    if status.open_breached:
        yield Finding(
            Level.AMBER,
            ngettext(
                "%(count)d open support ticket is past its SLA.",
                "%(count)d open support tickets are past their SLA.",
                status.open_breached,
            )
            % {"count": status.open_breached},
        )
    phase = next((p for p in facts.phases if p.kind == PhaseKind.HYPERCARE), None)
    if (
        facts.hypercare_end
        and facts.today > facts.hypercare_end
        and phase is not None
        and phase.status != PhaseStatus.COMPLETED
    ):
        yield Finding(
            Level.AMBER,
            _("Hypercare was planned to end on %(date)s and no exit is decided.")
            % {"date": facts.hypercare_end.isoformat()},
        )


@rule
def project_on_hold(facts: ProjectFacts) -> Iterable[Finding]:
    if facts.project.status == ProjectStatus.ON_HOLD:
        yield Finding(Level.AMBER, _("The project is on hold."))


def evaluate(facts: ProjectFacts) -> Health:
    if facts.project.status == ProjectStatus.CLOSED:
        return Health()
    return Health([finding for check in RULES for finding in check(facts)])


def health_for(projects: Iterable[Project]) -> dict[int, Health]:
    return {pk: evaluate(facts) for pk, facts in load_facts(projects).items()}


# --- Where a project stands ---------------------------------------------------------------


def current_phase(phases: list[Phase]) -> Phase | None:
    """The furthest phase in progress, else the first not completed; None when all are done."""
    in_progress = [p for p in phases if p.status == PhaseStatus.IN_PROGRESS]
    if in_progress:
        return in_progress[-1]
    return next((p for p in phases if p.status != PhaseStatus.COMPLETED), None)


def phase_progress(phases: Iterable[Phase]) -> dict[int, tuple[int, int]]:
    """(done, total) checklist items per phase, in one query."""
    rows = (
        ChecklistItem.objects.filter(phase__in=list(phases))
        .values("phase")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False)))
    )
    return {row["phase"]: (row["done"], row["total"]) for row in rows}
