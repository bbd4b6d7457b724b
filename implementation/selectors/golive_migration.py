"""Reads for the data migration pages: the inventory with each object's last load and
trend, one object with every load explained, and single objects and loads by key.

Everything is for a project the caller can already see; an object or load of another
project answers 404. The numbers behind a reconciliation status are worked out again from
the stored counts and the tolerance the load was checked with (golive_rules.reconcile), so
the page explains the status with the same arithmetic that set it.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation.choices import Reconciliation
from implementation.golive_rules import LoadCheck, cleaner_than, percent_text, reconcile
from implementation.models import MigrationLoad, MigrationObject
from projects import policy
from projects.models import Project, User


def _ensure_visible(user, project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def members_of(project: Project) -> QuerySet[User]:
    """The people who may own a data object, by name."""
    return User.objects.filter(memberships__project=project).order_by(
        "first_name", "last_name", "username"
    )


# --- One load explained -------------------------------------------------------------------


def check_of(load: MigrationLoad) -> LoadCheck:
    """The gaps behind a load's status, from its stored numbers and tolerance."""
    return reconcile(
        source_count=load.source_count,
        loaded_count=load.loaded_count,
        rejected_count=load.rejected_count,
        source_total=load.source_total,
        target_total=load.target_total,
        tolerance_percent=load.tolerance_percent,
    )


def explain(check: LoadCheck, tolerance: Decimal) -> str:
    """One sentence saying why a load is reconciled, within tolerance or failed."""
    tolerance_text = percent_text(tolerance)
    has_totals = check.total_difference is not None
    if check.status == Reconciliation.RECONCILED:
        if has_totals:
            return _("Every source record arrived and the control totals match exactly.")
        return _("Every source record arrived.")
    records = ngettext(
        "%(missing)d record did not arrive (%(percent)s%%)",
        "%(missing)d records did not arrive (%(percent)s%%)",
        check.missing,
    ) % {"missing": check.missing, "percent": percent_text(check.missing_percent)}
    parts = [records] if check.missing else []
    if has_totals and check.total_difference:
        parts.append(
            _("the control totals differ by %(percent)s%%")
            % {"percent": percent_text(check.total_difference_percent)}
        )
    gaps = _(" and ").join(str(part) for part in parts)
    if check.status == Reconciliation.WITHIN_TOLERANCE:
        return _("%(gaps)s: within the %(tolerance)s%% tolerance.") % {
            "gaps": gaps[:1].upper() + gaps[1:],
            "tolerance": tolerance_text,
        }
    return _("%(gaps)s: beyond the %(tolerance)s%% tolerance.") % {
        "gaps": gaps[:1].upper() + gaps[1:],
        "tolerance": tolerance_text,
    }


def number_text(value: Decimal | None) -> str:
    """A control total as people read it: grouped thousands, no trailing zeros."""
    if value is None:
        return "-"
    return f"{value.normalize():,f}" if value == value.to_integral() else f"{value:,f}".rstrip("0")


@dataclass(frozen=True)
class LoadRow:
    load: MigrationLoad
    check: LoadCheck
    explanation: str

    @property
    def has_totals(self) -> bool:
        return self.check.total_difference is not None

    @property
    def source_total(self) -> str:
        return number_text(self.load.source_total)

    @property
    def target_total(self) -> str:
        return number_text(self.load.target_total)

    @property
    def difference(self) -> str:
        difference = self.check.total_difference
        if difference is None:
            return "-"
        return ("+" if difference > 0 else "") + number_text(difference)

    @property
    def difference_percent(self) -> str:
        return percent_text(self.check.total_difference_percent)

    @property
    def rejected_percent(self) -> str:
        return percent_text(self.check.rejected_percent)

    @property
    def missing_percent(self) -> str:
        return percent_text(self.check.missing_percent)

    @property
    def tolerance(self) -> str:
        return percent_text(self.load.tolerance_percent)


def _row(load: MigrationLoad) -> LoadRow:
    check = check_of(load)
    return LoadRow(load=load, check=check, explanation=explain(check, load.tolerance_percent))


@dataclass(frozen=True)
class Trend:
    """Rejected share of the last load against the load before."""

    cleaner: bool | None  # None: unchanged
    latest: LoadRow
    previous: LoadRow

    @property
    def direction(self) -> str:
        if self.cleaner is None:
            return "unchanged"
        return "cleaner" if self.cleaner else "dirtier"

    @property
    def sentence(self) -> str:
        values = {
            "latest": percent_text(self.latest.check.rejected_percent),
            "latest_label": self.latest.load.label,
            "previous": percent_text(self.previous.check.rejected_percent),
            "previous_label": self.previous.load.label,
        }
        if self.cleaner is None:
            return (
                _("Unchanged: %(latest)s%% rejected on %(latest_label)s, as on %(previous_label)s.")
                % values
            )
        if self.cleaner:
            return (
                _(
                    "Getting cleaner: %(latest)s%% rejected on %(latest_label)s, down from "
                    "%(previous)s%% on %(previous_label)s."
                )
                % values
            )
        return (
            _(
                "Getting dirtier: %(latest)s%% rejected on %(latest_label)s, up from "
                "%(previous)s%% on %(previous_label)s."
            )
            % values
        )


def trend_of(rows: list[LoadRow]) -> Trend | None:
    """The trend between the last two loads (rows in load order), None before two loads."""
    if len(rows) < 2:
        return None
    previous, latest = rows[-2], rows[-1]
    return Trend(
        cleaner=cleaner_than(previous.check.rejected_percent, latest.check.rejected_percent),
        latest=latest,
        previous=previous,
    )


# --- Inventory ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectRow:
    obj: MigrationObject
    last: LoadRow | None
    trend: Trend | None

    @property
    def awaits_sign_off(self) -> bool:
        return (
            self.last is not None
            and self.last.load.reconciliation != Reconciliation.FAILED
            and not self.last.load.is_signed_off
        )


@dataclass
class Inventory:
    rows: list[ObjectRow]
    counts: dict[str, int] = field(default_factory=dict)


def migration_inventory(*, user, project: Project) -> Inventory:
    """Every data object with its last load and trend, and the counts over them
    (two queries whatever the number of objects and loads)."""
    _ensure_visible(user, project)
    objects = (
        MigrationObject.objects.filter(project=project)
        .select_related("owner")
        .prefetch_related(Prefetch("loads", queryset=MigrationLoad.objects.order_by("sequence")))
        .order_by("name")
    )
    rows = []
    for obj in objects:
        obj.project = project
        # Only the last two loads matter here; the rest of the history is on the object's page.
        loads = [_row(load) for load in list(obj.loads.all())[-2:]]
        rows.append(ObjectRow(obj=obj, last=loads[-1] if loads else None, trend=trend_of(loads)))
    counts = {
        "objects": len(rows),
        Reconciliation.RECONCILED.value: 0,
        Reconciliation.WITHIN_TOLERANCE.value: 0,
        Reconciliation.FAILED.value: 0,
        "not_loaded": 0,
        "awaiting_sign_off": sum(row.awaits_sign_off for row in rows),
    }
    for row in rows:
        key = row.last.load.reconciliation if row.last else "not_loaded"
        counts[key] += 1
    return Inventory(rows=rows, counts=counts)


# --- One object ---------------------------------------------------------------------------


def migration_object_get(*, user, project: Project, pk: int) -> MigrationObject:
    """A data object of the project, with its owner."""
    _ensure_visible(user, project)
    obj = MigrationObject.objects.select_related("owner").filter(project=project, pk=pk).first()
    if obj is None:
        raise Http404(_("No data object matches the given query."))
    obj.project = project
    return obj


@dataclass(frozen=True)
class ObjectHistory:
    obj: MigrationObject
    rows: list[LoadRow]
    trend: Trend | None


def migration_object_history(*, user, obj: MigrationObject) -> ObjectHistory:
    """Every load of the object in order, each with the numbers behind its status."""
    _ensure_visible(user, obj.project)
    loads = (
        MigrationLoad.objects.filter(migration_object=obj)
        .select_related("signed_off_by")
        .order_by("sequence")
    )
    rows = []
    for load in loads:
        load.migration_object = obj
        load.project = obj.project
        rows.append(_row(load))
    return ObjectHistory(obj=obj, rows=rows, trend=trend_of(rows))


def load_get(*, user, project: Project, pk: int) -> MigrationLoad:
    """A load of one of the project's data objects, with the object and its owner."""
    _ensure_visible(user, project)
    load = (
        MigrationLoad.objects.select_related("migration_object__owner", "signed_off_by")
        .filter(project=project, pk=pk)
        .first()
    )
    if load is None:
        raise Http404(_("No load matches the given query."))
    load.project = project
    load.migration_object.project = project
    return load
