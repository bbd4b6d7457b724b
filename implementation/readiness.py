"""Go-live readiness: the go/no-go criteria, computed from the project's own data.

Nobody ticks "ready" by hand. Each criterion is green or red with the numbers behind it:

- uat_signed: a UAT sign-off is signed;
- no_open_critical_high: no open critical or high defects (deferred ones are listed with
  their workarounds: they do not block, but every signatory sees them);
- migration_reconciled: every data object's last load reconciled (or within its tolerance)
  and signed off by its data owner;
- cutover_ready: the cutover plan is complete (every task has an owner, a start and a
  duration; the legacy freeze, the rollback criteria and decision point are set) and has
  been rehearsed successfully;
- training_coverage: in every department at least the project's threshold (default 90%) of
  the planned end users attended a session;
- hypercare_ready: a hypercare team is named and the support plan written;
- kpi_baselines: the project has KPIs and every one has its baseline.

`load_facts` gathers the numbers for many projects in a fixed number of queries (health
uses it for the portfolio); `panel` adds the lists behind them for one project (the
readiness page and the go/no-go sign-off's snapshot). `evaluate` is the rule, and
`reasons` says in words why a criterion is red.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation.choices import ACCEPTABLE_RECONCILIATION, RehearsalOutcome
from implementation.golive_rules import Coverage, coverage
from implementation.models import (
    CutoverRehearsal,
    CutoverTask,
    EndUser,
    GoLivePlan,
    MigrationLoad,
    MigrationObject,
)
from implementation.models.golive import DEFAULT_TRAINING_THRESHOLD
from kpis.models import Kpi
from projects.choices import Department
from projects.models import Membership, Project
from uat.choices import OPEN_STATUSES, DefectStatus, Severity, SignoffKind, SignoffStatus
from uat.models import Defect, SignOff

CRITERIA = (
    "uat_signed",
    "no_open_critical_high",
    "migration_reconciled",
    "cutover_ready",
    "training_coverage",
    "hypercare_ready",
    "kpi_baselines",
)


@dataclass
class Facts:
    """The numbers the criteria look at, for one project."""

    project: Project
    training_threshold: Decimal = DEFAULT_TRAINING_THRESHOLD
    uat_signed: int = 0
    open_critical: int = 0
    open_high: int = 0
    deferred: int = 0
    objects: int = 0
    objects_without_load: int = 0
    objects_failed: int = 0  # last load failed
    objects_unsigned: int = 0  # last load acceptable but not signed off
    tasks: int = 0
    tasks_incomplete: int = 0  # without an owner, a start or a duration
    tasks_without_owner: int = 0
    tasks_without_time: int = 0
    freeze_set: bool = False
    rollback_set: bool = False  # criteria and decision point
    rehearsals: int = 0
    successful_rehearsals: int = 0
    coverage: list[Coverage] = field(default_factory=list)
    hypercare_team: int = 0
    support_plan: bool = False
    kpis: int = 0
    kpis_without_baseline: int = 0

    @property
    def objects_ready(self) -> int:
        return (
            self.objects - self.objects_without_load - self.objects_failed - self.objects_unsigned
        )

    @property
    def tasks_complete(self) -> int:
        return self.tasks - self.tasks_incomplete


@dataclass(frozen=True)
class Criterion:
    key: str
    met: bool
    actual: int | str
    threshold: int | str

    @property
    def label(self) -> str:
        from uat.snapshots import criterion_label

        return criterion_label(self.key)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def evaluate(facts: Facts) -> list[Criterion]:
    """The seven criteria, in order, from the facts."""
    below = [row for row in facts.coverage if not row.meets(facts.training_threshold)]
    lowest = min((row.percent for row in facts.coverage), default=Decimal(0))
    return [
        Criterion("uat_signed", facts.uat_signed >= 1, facts.uat_signed, 1),
        Criterion(
            "no_open_critical_high",
            facts.open_critical + facts.open_high == 0,
            facts.open_critical + facts.open_high,
            0,
        ),
        Criterion(
            "migration_reconciled",
            facts.objects > 0 and facts.objects_ready == facts.objects,
            facts.objects_ready,
            facts.objects,
        ),
        Criterion(
            "cutover_ready",
            facts.tasks > 0
            and facts.tasks_incomplete == 0
            and facts.freeze_set
            and facts.rollback_set
            and facts.successful_rehearsals > 0,
            facts.tasks_complete,
            facts.tasks,
        ),
        Criterion(
            "training_coverage",
            bool(facts.coverage) and not below,
            _percent(lowest),
            _percent(facts.training_threshold),
        ),
        Criterion(
            "hypercare_ready",
            facts.hypercare_team > 0 and facts.support_plan,
            facts.hypercare_team,
            1,
        ),
        Criterion(
            "kpi_baselines",
            facts.kpis > 0 and facts.kpis_without_baseline == 0,
            facts.kpis - facts.kpis_without_baseline,
            facts.kpis,
        ),
    ]


def reasons(key: str, facts: Facts) -> list[str]:
    """Why a criterion is red, in words with the numbers; empty when it is green."""
    f = facts
    out: list[str] = []
    if key == "uat_signed" and not f.uat_signed:
        out.append(_("No UAT sign-off is signed yet."))
    elif key == "no_open_critical_high":
        if f.open_critical:
            out.append(
                ngettext(
                    "%(count)d critical defect is open.",
                    "%(count)d critical defects are open.",
                    f.open_critical,
                )
                % {"count": f.open_critical}
            )
        if f.open_high:
            out.append(
                ngettext(
                    "%(count)d high-severity defect is open.",
                    "%(count)d high-severity defects are open.",
                    f.open_high,
                )
                % {"count": f.open_high}
            )
    elif key == "migration_reconciled":
        if not f.objects:
            out.append(_("No data objects are listed for migration."))
        if f.objects_without_load:
            out.append(
                ngettext(
                    "%(count)d data object has not been loaded yet.",
                    "%(count)d data objects have not been loaded yet.",
                    f.objects_without_load,
                )
                % {"count": f.objects_without_load}
            )
        if f.objects_failed:
            out.append(
                ngettext(
                    "%(count)d data object failed reconciliation on its last load.",
                    "%(count)d data objects failed reconciliation on their last load.",
                    f.objects_failed,
                )
                % {"count": f.objects_failed}
            )
        if f.objects_unsigned:
            out.append(
                ngettext(
                    "%(count)d data object's last load is not signed off by its owner.",
                    "%(count)d data objects' last loads are not signed off by their owners.",
                    f.objects_unsigned,
                )
                % {"count": f.objects_unsigned}
            )
    elif key == "cutover_ready":
        if not f.tasks:
            out.append(_("The cutover plan has no tasks."))
        if f.tasks_without_owner:
            out.append(
                ngettext(
                    "%(count)d cutover task has no owner.",
                    "%(count)d cutover tasks have no owner.",
                    f.tasks_without_owner,
                )
                % {"count": f.tasks_without_owner}
            )
        if f.tasks_without_time:
            out.append(
                ngettext(
                    "%(count)d cutover task has no planned start or duration.",
                    "%(count)d cutover tasks have no planned start or duration.",
                    f.tasks_without_time,
                )
                % {"count": f.tasks_without_time}
            )
        if not f.freeze_set:
            out.append(_("The legacy system's freeze time is not set."))
        if not f.rollback_set:
            out.append(_("The rollback criteria and decision point are not both set."))
        if not f.successful_rehearsals:
            if f.rehearsals:
                out.append(
                    ngettext(
                        "%(count)d rehearsal was held, none successful yet.",
                        "%(count)d rehearsals were held, none successful yet.",
                        f.rehearsals,
                    )
                    % {"count": f.rehearsals}
                )
            else:
                out.append(_("The cutover has not been rehearsed."))
    elif key == "training_coverage":
        if not f.coverage:
            out.append(_("No end users are listed for training."))
        for row in f.coverage:
            if not row.meets(f.training_threshold):
                out.append(
                    _(
                        "%(department)s: %(trained)d of %(planned)d end users trained "
                        "(%(percent)s%%, %(threshold)s%% needed)."
                    )
                    % {
                        "department": Department(row.department).label,
                        "trained": row.trained,
                        "planned": row.planned,
                        "percent": _percent(row.percent),
                        "threshold": _percent(f.training_threshold),
                    }
                )
    elif key == "hypercare_ready":
        if not f.hypercare_team:
            out.append(_("Nobody is named on the hypercare team."))
        if not f.support_plan:
            out.append(_("The support plan is not written."))
    elif key == "kpi_baselines":
        if not f.kpis:
            out.append(_("No KPIs are defined: nobody could tell whether the system paid off."))
        elif f.kpis_without_baseline:
            out.append(
                ngettext(
                    "%(count)d KPI has no baseline.",
                    "%(count)d KPIs have no baseline.",
                    f.kpis_without_baseline,
                )
                % {"count": f.kpis_without_baseline}
            )
    return out


# --- Loading the facts ----------------------------------------------------------------------


def _last_load(field_name: str):
    return Subquery(
        MigrationLoad.objects.filter(migration_object=OuterRef("pk"))
        .order_by("-sequence")
        .values(field_name)[:1]
    )


def load_facts(projects: Iterable[Project]) -> dict[int, Facts]:
    """Facts for many projects in nine queries, whatever their number or size."""
    facts = {p.pk: Facts(project=p) for p in projects}
    if not facts:
        return facts
    for row in GoLivePlan.objects.filter(project__in=facts).values(
        "project",
        "training_threshold",
        "legacy_freeze_at",
        "rollback_decision_at",
        "rollback_criteria",
        "support_plan",
    ):
        fact = facts[row["project"]]
        fact.training_threshold = row["training_threshold"]
        fact.freeze_set = row["legacy_freeze_at"] is not None
        fact.rollback_set = bool(row["rollback_criteria"].strip()) and (
            row["rollback_decision_at"] is not None
        )
        fact.support_plan = bool(row["support_plan"].strip())
    for row in (
        SignOff.objects.filter(project__in=facts, kind=SignoffKind.UAT, status=SignoffStatus.SIGNED)
        .values("project")
        .annotate(count=Count("pk"))
    ):
        facts[row["project"]].uat_signed = row["count"]
    for row in (
        Defect.objects.filter(
            project__in=facts,
            severity__in=[Severity.CRITICAL, Severity.HIGH],
            status__in=[*OPEN_STATUSES, DefectStatus.DEFERRED],
        )
        .values("project", "status", "severity")
        # COUNT(*), not of the key: every column read is then in the (project, status,
        # severity) index, which PostgreSQL can answer alone once the table is vacuumed.
        .annotate(count=Count("*"))
        .order_by()
    ):
        fact = facts[row["project"]]
        if row["status"] == DefectStatus.DEFERRED:
            fact.deferred += row["count"]
        elif row["severity"] == Severity.CRITICAL:
            fact.open_critical += row["count"]
        else:
            fact.open_high += row["count"]
    for row in MigrationObject.objects.filter(project__in=facts).values(
        "project", status=_last_load("reconciliation"), signed=_last_load("signed_off_at")
    ):
        fact = facts[row["project"]]
        fact.objects += 1
        if row["status"] is None:
            fact.objects_without_load += 1
        elif row["status"] not in ACCEPTABLE_RECONCILIATION:
            fact.objects_failed += 1
        elif row["signed"] is None:
            fact.objects_unsigned += 1
    for row in (
        CutoverTask.objects.filter(project__in=facts)
        .values("project")
        .annotate(
            count=Count("pk"),
            without_owner=Count("pk", filter=Q(owner__isnull=True)),
            without_time=Count(
                "pk", filter=Q(planned_start__isnull=True) | Q(duration_minutes__isnull=True)
            ),
            incomplete=Count(
                "pk",
                filter=Q(owner__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(duration_minutes__isnull=True),
            ),
        )
    ):
        fact = facts[row["project"]]
        fact.tasks = row["count"]
        fact.tasks_without_owner = row["without_owner"]
        fact.tasks_without_time = row["without_time"]
        fact.tasks_incomplete = row["incomplete"]
    for row in (
        CutoverRehearsal.objects.filter(project__in=facts)
        .values("project")
        .annotate(
            count=Count("pk"),
            successful=Count("pk", filter=Q(outcome=RehearsalOutcome.SUCCESSFUL)),
        )
    ):
        facts[row["project"]].rehearsals = row["count"]
        facts[row["project"]].successful_rehearsals = row["successful"]
    planned: dict[int, dict[str, int]] = defaultdict(dict)
    trained: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        EndUser.objects.filter(project__in=facts)
        .values("project", "department")
        .annotate(
            # distinct: the join on attendances repeats an end user once per session.
            count=Count("pk", distinct=True),
            trained=Count("pk", filter=Q(attendances__attended=True), distinct=True),
        )
        .order_by("project", "department")
    ):
        planned[row["project"]][row["department"]] = row["count"]
        trained[row["project"]][row["department"]] = row["trained"]
    for pk, by_department in planned.items():
        facts[pk].coverage = coverage(by_department, trained[pk])
    for row in (
        Membership.objects.filter(project__in=facts, on_hypercare_team=True)
        .values("project")
        .annotate(count=Count("pk"))
    ):
        facts[row["project"]].hypercare_team = row["count"]
    for row in (
        Kpi.objects.filter(project__in=facts)
        .values("project")
        .annotate(
            count=Count("pk"),
            without=Count(
                "pk", filter=Q(baseline_value__isnull=True) | Q(baseline_date__isnull=True)
            ),
        )
    ):
        facts[row["project"]].kpis = row["count"]
        facts[row["project"]].kpis_without_baseline = row["without"]
    return facts


# --- The panel of one project ---------------------------------------------------------------


@dataclass
class Panel:
    """The readiness panel of one project: the criteria, why each red one is red, and the
    rows behind the numbers."""

    facts: Facts
    criteria: list[Criterion]
    blocking_defects: list[dict]
    deferred_defects: list[dict]
    migration: list[dict]
    cutover_tasks: list[dict]
    rehearsal: dict | None
    hypercare_team: list[dict]
    kpis_without_baseline: list[dict]
    uat_signoffs: list[dict]
    as_of: datetime.datetime | None = None
    # How many blocking and deferred defects there are, listed or not (see panel()).
    blocking_total: int = 0
    deferred_total: int = 0

    @property
    def ready(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def red(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.met]

    def reasons(self, key: str) -> list[str]:
        return reasons(key, self.facts)

    @property
    def rows(self) -> list[tuple[Criterion, list[str]]]:
        return [(c, reasons(c.key, self.facts)) for c in self.criteria]


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def panel(project: Project, *, defect_rows: int | None = None) -> Panel:
    """Everything the readiness page shows, in a fixed number of queries (about 18).

    The page passes `defect_rows` to list only the first blocking and deferred defects (a
    late UAT can leave thousands); the go-live sign-off's snapshot lists them all."""
    facts = load_facts([project])[project.pk]
    blocking = (
        Defect.objects.filter(
            project=project,
            severity__in=[Severity.CRITICAL, Severity.HIGH],
            status__in=OPEN_STATUSES,
        )
        .order_by("number")
        .values("number", "title", "severity", "status")
    )
    # Every deferred defect is listed, whatever its severity: signatories accept them all.
    # Counted apart, from the index: a window counting them with the rows made the database
    # read every deferred row, even when only the first are shown.
    deferred = (
        Defect.objects.filter(project=project, status=DefectStatus.DEFERRED)
        .order_by("number")
        .values("number", "title", "severity", "deferral_reason", "workaround", "target_date")
    )
    deferred_total = (
        Defect.objects.filter(project=project, status=DefectStatus.DEFERRED)
        .order_by()
        .aggregate(total=Count("*"))["total"]
    )
    if defect_rows is not None:
        blocking, deferred = blocking[:defect_rows], deferred[:defect_rows]
    blocking, deferred = list(blocking), list(deferred)
    migration = [
        {
            "name": row["name"],
            "owner": _name(
                row["owner__first_name"], row["owner__last_name"], row["owner__username"]
            ),
            "load": row["load"],
            "kind": row["kind"],
            "reconciliation": row["status"],
            "signed_off": row["signed"] is not None,
            "source": row["source"],
            "loaded": row["loaded"],
            "rejected": row["rejected"],
        }
        for row in MigrationObject.objects.filter(project=project)
        .order_by("name")
        .values(
            "name",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            load=_last_load("sequence"),
            kind=_last_load("kind"),
            status=_last_load("reconciliation"),
            signed=_last_load("signed_off_at"),
            source=_last_load("source_count"),
            loaded=_last_load("loaded_count"),
            rejected=_last_load("rejected_count"),
        )
    ]
    tasks = [
        {
            "number": row["number"],
            "title": row["title"],
            "owner": _name(
                row["owner__first_name"], row["owner__last_name"], row["owner__username"]
            )
            if row["owner"]
            else None,
            "planned_start": row["planned_start"],
            "duration_minutes": row["duration_minutes"],
        }
        for row in CutoverTask.objects.filter(project=project)
        .order_by("position", "number")
        .values(
            "number",
            "title",
            "owner",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            "planned_start",
            "duration_minutes",
        )
    ]
    rehearsal = (
        CutoverRehearsal.objects.filter(project=project)
        .order_by("-held_on", "-pk")
        .values("held_on", "outcome")
        .first()
    )
    team = [
        {"name": _name(first, last, username), "role": role, "department": department}
        for first, last, username, role, department in Membership.objects.filter(
            project=project, on_hypercare_team=True
        )
        .order_by("user__last_name", "user__first_name", "user__username")
        .values_list("user__first_name", "user__last_name", "user__username", "role", "department")
    ]
    kpis = list(
        Kpi.objects.filter(project=project)
        .filter(Q(baseline_value__isnull=True) | Q(baseline_date__isnull=True))
        .order_by("name")
        .values("pk", "name")
    )
    signoffs = list(
        SignOff.objects.filter(project=project, kind=SignoffKind.UAT)
        .exclude(status=SignoffStatus.DRAFT)
        .order_by("number")
        .values("number", "title", "status", "snapshot_hash")
    )
    return Panel(
        facts=facts,
        criteria=evaluate(facts),
        blocking_defects=blocking,
        deferred_defects=[
            {
                "number": d["number"],
                "title": d["title"],
                "severity": d["severity"],
                "reason": d["deferral_reason"],
                "workaround": d["workaround"],
                "target_date": d["target_date"],
            }
            for d in deferred
        ],
        migration=migration,
        cutover_tasks=tasks,
        rehearsal=rehearsal,
        hypercare_team=team,
        kpis_without_baseline=kpis,
        uat_signoffs=signoffs,
        blocking_total=facts.open_critical + facts.open_high,
        deferred_total=deferred_total,
    )


def summaries(projects: Iterable[Project]) -> dict[int, list[Criterion]]:
    """The criteria of many projects (for health and the agenda), in fixed queries."""
    return {pk: evaluate(facts) for pk, facts in load_facts(projects).items()}


# --- The go/no-go sign-off's snapshot -------------------------------------------------------


def snapshot_content(project: Project, phase) -> dict:
    """What a go-live readiness sign-off signs: the panel, numbers and rows, without words
    (pages and the PDF translate the keys) and without the clock."""
    p = panel(project)
    f = p.facts
    checklist = (
        list(
            phase.checklist_items.order_by("position", "pk").values(
                "pk", "title", "is_mandatory", "done_at"
            )
        )
        if phase is not None
        else []
    )
    return {
        "exit_criteria": [
            {"key": c.key, "threshold": c.threshold, "actual": c.actual, "met": c.met}
            for c in p.criteria
        ],
        "readiness": {
            "training_threshold": f.training_threshold,
            "uat_signed": f.uat_signed,
            "open_critical": f.open_critical,
            "open_high": f.open_high,
            "deferred": f.deferred,
            "objects": f.objects,
            "objects_without_load": f.objects_without_load,
            "objects_failed": f.objects_failed,
            "objects_unsigned": f.objects_unsigned,
            "tasks": f.tasks,
            "tasks_incomplete": f.tasks_incomplete,
            "tasks_without_owner": f.tasks_without_owner,
            "tasks_without_time": f.tasks_without_time,
            "freeze_set": f.freeze_set,
            "rollback_set": f.rollback_set,
            "rehearsals": f.rehearsals,
            "successful_rehearsals": f.successful_rehearsals,
            "hypercare_team": f.hypercare_team,
            "support_plan": f.support_plan,
            "kpis": f.kpis,
            "kpis_without_baseline": f.kpis_without_baseline,
        },
        "open_defects": {
            Severity.CRITICAL.value: f.open_critical,
            Severity.HIGH.value: f.open_high,
        },
        "blocking_defects": p.blocking_defects,
        "deferred_defects": p.deferred_defects,
        "migration": p.migration,
        "cutover_tasks": p.cutover_tasks,
        "training": [
            {
                "department": row.department,
                "planned": row.planned,
                "trained": row.trained,
                "percent": row.percent,
                "met": row.meets(f.training_threshold),
            }
            for row in f.coverage
        ],
        "hypercare_team": p.hypercare_team,
        "kpis_without_baseline": [{"name": k["name"]} for k in p.kpis_without_baseline],
        "uat_signoffs": p.uat_signoffs,
        "checklist": [
            {
                "pk": item["pk"],
                "title": item["title"],
                "mandatory": item["is_mandatory"],
                "done": item["done_at"] is not None,
            }
            for item in checklist
        ],
    }


def facts_from_snapshot(project: Project, content: dict) -> Facts:
    """The facts a snapshot froze, so its red criteria can be explained in words later."""
    numbers = dict(content.get("readiness", {}))
    threshold = Decimal(str(numbers.pop("training_threshold", DEFAULT_TRAINING_THRESHOLD)))
    known = set(Facts.__dataclass_fields__)
    facts = Facts(
        project=project,
        training_threshold=threshold,
        **{k: v for k, v in numbers.items() if k in known},
    )
    facts.coverage = [
        Coverage(row["department"], row["planned"], row["trained"])
        for row in content.get("training", [])
    ]
    return facts
