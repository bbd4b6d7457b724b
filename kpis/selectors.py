"""Reads of KPIs, scoped to the asking user, with their computed figures.

Figures (latest value, progress, status, next measurement due) are computed in Python by
kpis.metrics from the KPI and its latest measurement, which the list reads with one
subquery: a list costs the same queries for 2 KPIs or 200, and for 10 or 10,000
measurements.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from kpis import metrics
from kpis.choices import KpiStatus
from kpis.models import BenefitsReport, Kpi, Measurement
from projects import policy
from projects.models import Project
from projects.shared_parts import shared


def _ensure_visible(user, project: Project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def with_latest(queryset: QuerySet[Kpi]) -> QuerySet[Kpi]:
    """Annotate each KPI with its latest measurement's value and date."""
    latest = Measurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_on")
    return queryset.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_on=Subquery(latest.values("measured_on")[:1]),
    )


def figures(kpi: Kpi, today: datetime.date | None = None) -> metrics.KpiFigures:
    """The KPI's computed figures today (in the project's time zone)."""
    project = kpi.project
    if not hasattr(kpi, "latest_on"):
        latest = kpi.measurements.order_by("-measured_on").first()
        kpi.latest_value = latest.value if latest else None
        kpi.latest_on = latest.measured_on if latest else None
    return metrics.compute(
        baseline=kpi.baseline_value,
        baseline_date=kpi.baseline_date,
        target=kpi.target_value,
        target_date=kpi.target_date,
        direction=kpi.direction,
        cadence=kpi.cadence,
        go_live=project.target_go_live,
        latest_value=kpi.latest_value,
        latest_on=kpi.latest_on,
        today=today or project.local_today(),
    )


@dataclass(frozen=True)
class KpiRow:
    kpi: Kpi
    figures: metrics.KpiFigures


def kpi_list(*, user, project: Project) -> QuerySet[Kpi]:
    """The project's KPIs by name, each with its owner and latest measurement."""
    _ensure_visible(user, project)
    return with_latest(
        Kpi.objects.filter(project=project).select_related("owner", "phase")
    ).order_by("name")


def project_kpis(project: Project) -> list[Kpi]:
    """The project's KPIs by name, each with its owner and latest measurement (one query).
    Within a shared_project_parts block they are read once per project: a dispatch's
    agenda, weekly status and members' sections all ask for them."""
    return shared(
        project,
        "kpis",
        lambda: list(
            with_latest(Kpi.objects.filter(project=project).select_related("owner")).order_by(
                "name"
            )
        ),
    )


def kpi_rows(kpis, *, project: Project, today: datetime.date | None = None) -> list[KpiRow]:
    """Pair each KPI (from kpi_list) with its figures; no queries."""
    today = today or project.local_today()
    rows = []
    for kpi in kpis:
        kpi.project = project
        rows.append(KpiRow(kpi, figures(kpi, today)))
    return rows


def status_counts(rows: list[KpiRow]) -> dict[str, int]:
    counts = Counter(row.figures.status for row in rows)
    return {status: counts.get(status, 0) for status in KpiStatus.values}


def measurement_points(kpis) -> dict[int, list[tuple[datetime.date, object]]]:
    """Every measurement of these KPIs as (date, value), oldest first, in one query."""
    points: dict[int, list] = defaultdict(list)
    for kpi_pk, day, value in (
        Measurement.objects.filter(kpi__in=[kpi.pk for kpi in kpis])
        .order_by("measured_on")
        .values_list("kpi_id", "measured_on", "value")
    ):
        points[kpi_pk].append((day, value))
    return points


def kpi_get(*, user, project: Project, pk: int) -> Kpi:
    _ensure_visible(user, project)
    kpi = (
        with_latest(Kpi.objects.filter(project=project, pk=pk))
        .select_related("owner", "phase", "created_by")
        .first()
    )
    if kpi is None:
        raise Http404(_("No KPI matches the given query."))
    kpi.project = project
    return kpi


def measurement_list(*, user, kpi: Kpi) -> QuerySet[Measurement]:
    """The KPI's measurements, newest first, with who recorded them."""
    _ensure_visible(user, kpi.project)
    return (
        Measurement.objects.filter(kpi=kpi).select_related("recorded_by").order_by("-measured_on")
    )


def baseline_history(*, user, kpi: Kpi):
    _ensure_visible(user, kpi.project)
    return kpi.baseline_changes.select_related("changed_by").order_by("changed_at", "pk")


def kpis_due(project: Project, today: datetime.date | None = None) -> list[KpiRow]:
    """KPIs whose next measurement is due by today or overdue, most overdue first (1 query)."""
    today = today or project.local_today()
    rows = [
        row
        for row in kpi_rows(project_kpis(project), project=project, today=today)
        if row.figures.next_due
    ]
    rows = [row for row in rows if row.figures.next_due <= today]
    return sorted(rows, key=lambda row: (row.figures.next_due, row.kpi.name))


def report_list(*, user, project: Project) -> QuerySet[BenefitsReport]:
    _ensure_visible(user, project)
    return BenefitsReport.objects.filter(project=project).select_related("requested_by")


# --- API reads ----------------------------------------------------------------------------


def kpis_visible_to(user) -> QuerySet[Kpi]:
    return with_latest(
        Kpi.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
        .select_related("project", "owner", "phase")
        .order_by("project__code", "name")
    )


def kpi_get_by_pk(*, user, pk: int) -> Kpi:
    kpi = kpis_visible_to(user).filter(pk=pk).first()
    if kpi is None:
        raise Http404(_("No KPI matches the given query."))
    return kpi


def measurements_visible_to(user) -> QuerySet[Measurement]:
    return (
        Measurement.objects.filter(kpi__project__in=Project.objects.visible_to(user).values("pk"))
        .select_related("kpi__project", "recorded_by")
        .order_by("kpi__project__code", "kpi__name", "-measured_on")
    )
