"""The benefits report: a PDF for executives of every KPI's figures, built by a worker.

A report moves pending -> building -> ready, or failed, like every document built by a
worker (projects.documents). Any member who sees the project requests one
(`report_request`): the row is written first, as of the project's today, and a worker is
told after the commit. If the broker is down the row stays pending; `report_sweep` (beat)
or `report_retry` queues it again. One report at a time per project is on its way: a
request while another is pending or building is refused.

The document shows the figures on the report's as-of date: measurements after that date are
left out, so a report rebuilt later (retry, sweep) still says what was known that day. The
KPIs' definitions (baseline, target, owner) are read as they are at build time.

It is rendered by WeasyPrint as the sign-off PDF is, with uat.pdf's StaticOnlyFetcher (our
static files and data: URLs only; KPI names and notes are typed by users) and the DejaVu fonts
of static/fonts, which cover Vietnamese.
"""

import datetime
import logging
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from weasyprint import HTML

from kpis import selectors
from kpis.charts import (
    STATUS_COLOURS,
    STATUS_ORDER,
    format_number,
    kpi_chart,
    status_bar,
    thin,
    with_unit,
)
from kpis.choices import Cadence, Direction, KpiCategory, KpiStatus
from kpis.models import BenefitsReport, Kpi, Measurement
from projects import documents, policy
from projects.choices import PdfStatus
from projects.errors import ApplicationError
from projects.models import Project
from projects.policy import Capability
from uat.pdf import StaticOnlyFetcher, page_counter, static_root
from uat.services.signoffs import enqueue_on_commit

logger = logging.getLogger(__name__)

TEMPLATE = "kpis/report_pdf.html"
NOTES_SHOWN = 3
# A chart draws at most about this many measurements (thin() keeps the ends, the lowest and the
# highest): a daily KPI has hundreds, each a marker WeasyPrint lays out and paints, and on a
# 640-wide chart more than this are not told apart anyway.
CHART_POINTS = 60
CHART_HEIGHT = 180  # x 640 wide (the full chart's width): see report-pdf.css


# --- Requesting and retrying ---------------------------------------------------------------


def _queue(report: BenefitsReport) -> None:
    from kpis.tasks import benefits_report_build_task

    enqueue_on_commit(benefits_report_build_task, report.pk)


def report_request(*, actor, project: Project) -> BenefitsReport:
    """Ask for a report as of the project's today; refused while one is already on its way."""
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    with transaction.atomic():
        # The project row lock makes "one on its way per project" hold under concurrent requests.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        waiting = (
            BenefitsReport.objects.filter(project=project, status__in=documents.ON_ITS_WAY)
            .order_by("-requested_at", "-pk")
            .first()
        )
        if waiting is not None:
            raise ApplicationError(
                _(
                    "A benefits report as of %(date)s is already being prepared; "
                    "it will be listed here when it is ready."
                )
                % {"date": waiting.as_of.isoformat()}
            )
        report = BenefitsReport.objects.create(
            project=project,
            requested_by=actor,
            as_of=project.local_today(),
            status=PdfStatus.PENDING,
            queued_at=timezone.now(),
        )
        _queue(report)
    return report


def report_retry(*, actor, report: BenefitsReport) -> BenefitsReport:
    """Queue the build again after a failure, or when it never left the queue."""
    project = report.project
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    with transaction.atomic():
        locked = documents.pdf_requeue(
            report,
            ready_message=_("This report is ready; request a new one for newer figures."),
            queue=_queue,
        )
    locked.project = project
    return locked


# --- Building ------------------------------------------------------------------------------


def report_build(*, report_pk: int) -> BenefitsReport | None:
    """Build and store a requested report (see projects.documents); runs in a worker."""
    return documents.pdf_build(
        BenefitsReport,
        report_pk,
        render=render_benefits_pdf,
        filename=lambda report: f"{report.project.code}-benefits-{report.as_of.isoformat()}.pdf",
        related=("project", "requested_by"),
    )


def report_sweep(*, older_than_seconds: int = 600) -> int:
    """Queue again every stuck report; returns how many were queued."""
    from kpis.tasks import benefits_report_build_task

    return documents.pdf_sweep(
        BenefitsReport, benefits_report_build_task, older_than_seconds=older_than_seconds
    )


# --- The document ----------------------------------------------------------------------------


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _percent(share: Decimal | None) -> str:
    """0.5 -> '50%', 0.33335 -> '33.3%' (one decimal at most)."""
    if share is None:
        return "–"
    return f"{format_number((share * 100).quantize(Decimal('0.1')))}%"


def _value(value: Decimal | None, unit: str) -> str:
    return "–" if value is None else with_unit(value, unit)


def _formula(kpi: Kpi, figures) -> str:
    """How the progress shown was computed, in one line, with the KPI's own numbers."""
    if not kpi.has_baseline:
        return _("Progress is measured from a baseline; this KPI has none yet.")
    if figures.latest_value is None:
        return _("Progress will be computed from the first measurement.")
    if kpi.baseline_value == kpi.target_value:
        return _(
            "The baseline equals the target: progress is 100% when the target is met, else 0%."
        )
    unit = kpi.unit
    return _(
        "Progress = (latest − baseline) ÷ (target − baseline) = "
        "(%(latest)s − %(baseline)s) ÷ (%(target)s − %(baseline)s) = %(progress)s"
    ) % {
        "latest": _value(figures.latest_value, unit),
        "baseline": _value(kpi.baseline_value, unit),
        "target": _value(kpi.target_value, unit),
        "progress": _percent(figures.progress),
    }


def _due(figures, today: datetime.date) -> tuple[str, bool]:
    """The next measurement's due date, or how many are overdue; True when overdue."""
    if figures.next_due is None:
        return _("No measurement is due yet."), False
    if figures.overdue_periods:
        return (
            translation.ngettext(
                "Overdue: %(count)s measurement missed since %(date)s.",
                "Overdue: %(count)s measurements missed since %(date)s.",
                figures.overdue_periods,
            )
            % {"count": figures.overdue_periods, "date": figures.next_due.isoformat()},
            True,
        )
    if figures.next_due == today:
        return _("Next measurement due today."), False
    return _("Next measurement due %(date)s.") % {"date": figures.next_due.isoformat()}, False


def _as_of(points: dict, as_of: datetime.date) -> dict:
    return {pk: [(day, v) for day, v in rows if day <= as_of] for pk, rows in points.items()}


def _notes(kpis: list[Kpi], as_of: datetime.date) -> dict[tuple[int, datetime.date], str]:
    """The notes of the KPIs' measurements up to the as-of date, by (KPI, day): one query."""
    return {
        (kpi_pk, day): note
        for kpi_pk, day, note in Measurement.objects.filter(
            kpi__in=[kpi.pk for kpi in kpis], measured_on__lte=as_of
        )
        .exclude(note="")
        .values_list("kpi_id", "measured_on", "note")
    }


def _section(kpi: Kpi, figures, points: list, notes: dict, today: datetime.date) -> dict:
    unit = kpi.unit
    due, overdue = _due(figures, today)
    latest = points[-NOTES_SHOWN:][::-1]
    return {
        "kpi": kpi,
        "category": _label(KpiCategory, kpi.category),
        "direction": _label(Direction, kpi.direction),
        "cadence": _label(Cadence, kpi.cadence),
        "owner": kpi.owner.display_name,
        "baseline": _value(kpi.baseline_value, unit) if kpi.has_baseline else "",
        "target": _value(kpi.target_value, unit),
        "latest": _value(figures.latest_value, unit),
        "progress": _percent(figures.progress),
        "expected": _percent(figures.expected),
        "status": figures.status,
        "status_label": _label(KpiStatus, figures.status),
        "colour": STATUS_COLOURS.get(figures.status, "#616e7c"),
        "formula": _formula(kpi, figures),
        "due": due,
        "overdue": overdue,
        # With neither a baseline nor a measurement there is no line to draw.
        "chart": kpi_chart(
            name=kpi.name,
            unit=unit,
            baseline=kpi.baseline_value,
            baseline_date=kpi.baseline_date,
            target=kpi.target_value,
            target_date=kpi.target_date,
            points=thin(points, CHART_POINTS),
            today=today,
            direction=kpi.direction,
            height=CHART_HEIGHT,
        )
        if kpi.has_baseline or points
        else "",
        "measurements": [
            {"day": day, "value": _value(value, unit), "note": notes.get((kpi.pk, day), "")}
            for day, value in latest
        ],
    }


def benefits_report_context(report: BenefitsReport) -> dict:
    """Everything the document shows, as of the report's date: three queries for any size."""
    project = report.project
    today = report.as_of
    kpis = list(Kpi.objects.filter(project=project).select_related("owner").order_by("name"))
    points = _as_of(selectors.measurement_points(kpis), today)
    for kpi in kpis:
        # The latest value as of the report's date, not the latest ever (with_latest's).
        kpi.latest_on, kpi.latest_value = points[kpi.pk][-1] if points.get(kpi.pk) else (None, None)
    rows = selectors.kpi_rows(kpis, project=project, today=today)
    counts = selectors.status_counts(rows)
    notes = _notes(kpis, today)
    return {
        "report": report,
        "project": project,
        "as_of": today,
        "go_live": project.target_go_live,
        "counts": [
            {
                "status": status,
                "label": _label(KpiStatus, status),
                "count": counts[status],
                "colour": STATUS_COLOURS[status],
            }
            for status in STATUS_ORDER
        ],
        "total": len(rows),
        "status_bar": status_bar(counts=counts, width=480, height=16),
        "sections": [
            _section(row.kpi, row.figures, points.get(row.kpi.pk, []), notes, today) for row in rows
        ],
        "page_counter": page_counter(),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }


def render_benefits_html(report: BenefitsReport) -> str:
    """The document's HTML under the active language, times in the project's time zone."""
    with timezone.override(zoneinfo.ZoneInfo(report.project.time_zone)):
        return render_to_string(TEMPLATE, benefits_report_context(report))


def render_benefits_pdf(report: BenefitsReport) -> bytes:
    """The report as PDF bytes. Fetches nothing but static files and data: URLs."""
    root = static_root()
    html = HTML(
        string=render_benefits_html(report),
        base_url=root.as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(root),
    )
    return html.write_pdf()
