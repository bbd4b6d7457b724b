"""The weekly status report: a PDF per project for executives, built by a worker.

A report moves pending -> building -> ready, or failed, like every document built by a
worker (projects.documents). Any member who sees the project requests one
(`status_report_request`); beat builds one automatic report (no requester) per active
project and ISO week (`status_reports_weekly`), once: a unique constraint on
(project, week) for automatic reports makes a second beat a no-op. One report at a time
per project is on its way: a request while another is pending or building is refused.

The document reuses the executive summary of the weekly digest (implementation.digest.
weekly_status: phases, health and its reasons, sign-offs, KPI counts) and adds the
configuration changes recorded in the last 7 days, the current cycle's UAT figures with its
defect trend, each sign-off and each KPI's status. Dates are in the project's time zone.
It costs the same number of queries whatever the number of rows, and is rendered by
WeasyPrint with uat.pdf's StaticOnlyFetcher (user-typed text never fetches anything).
"""

import datetime
import logging
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from weasyprint import HTML

from implementation.digest import weekly_status
from implementation.models import ConfigurationChange, WeeklyStatusReport
from kpis import selectors as kpi_selectors
from kpis.charts import STATUS_COLOURS
from kpis.choices import KpiStatus
from kpis.models import Kpi
from projects import documents, policy
from projects.choices import PdfStatus, ProjectStatus
from projects.errors import ApplicationError
from projects.models import Project
from projects.policy import Capability
from uat.choices import DefectStatus, Severity, SignoffStatus
from uat.models import Defect, DefectEvent, SignOff
from uat.pdf import PDF_LIST_LIMIT, Capped, StaticOnlyFetcher, capped, page_counter, static_root
from uat.selectors.cycles import cycle_statuses, project_current_cycle
from uat.services.signoffs import enqueue_on_commit

logger = logging.getLogger(__name__)

TEMPLATE = "implementation/status_report_pdf.html"
CHANGES_DAYS = 7


def iso_week(day: datetime.date) -> str:
    """2026-11-23 -> '2026-W48'."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- Requesting, retrying, the weekly build -----------------------------------------------


def _queue(report: WeeklyStatusReport) -> None:
    from implementation.tasks import status_report_build_task

    enqueue_on_commit(status_report_build_task, report.pk)


def status_report_request(*, actor, project: Project) -> WeeklyStatusReport:
    """Ask for a report of the project as it stands now; refused while one is on its way."""
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    with transaction.atomic():
        # The project row lock makes "one on its way per project" hold under concurrent requests.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        waiting = (
            WeeklyStatusReport.objects.filter(project=project, status__in=documents.ON_ITS_WAY)
            .order_by("-requested_at", "-pk")
            .first()
        )
        if waiting is not None:
            raise ApplicationError(
                _(
                    "A status report of week %(week)s is already being prepared; "
                    "it will be listed here when it is ready."
                )
                % {"week": waiting.week}
            )
        report = WeeklyStatusReport.objects.create(
            project=project,
            requested_by=actor,
            week=iso_week(project.local_today()),
            status=PdfStatus.PENDING,
            queued_at=timezone.now(),
        )
        _queue(report)
    return report


def status_report_retry(*, actor, report: WeeklyStatusReport) -> WeeklyStatusReport:
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


def status_reports_weekly(now: datetime.datetime | None = None) -> int:
    """One automatic report per active project for the week of its local today, once.

    Returns how many were created (and queued); a second run the same week creates none.
    """
    now = now or timezone.now()
    created = 0
    for project in Project.objects.filter(status=ProjectStatus.ACTIVE).order_by("pk"):
        today = timezone.localtime(now, zoneinfo.ZoneInfo(project.time_zone)).date()
        week = iso_week(today)
        if WeeklyStatusReport.objects.filter(
            project=project, week=week, requested_by__isnull=True
        ).exists():
            continue
        try:
            with transaction.atomic():
                report = WeeklyStatusReport.objects.create(
                    project=project,
                    requested_by=None,
                    week=week,
                    status=PdfStatus.PENDING,
                    queued_at=timezone.now(),
                )
                _queue(report)
        except IntegrityError:  # another beat created it meanwhile
            continue
        created += 1
    return created


# --- Building ------------------------------------------------------------------------------


def status_report_build(*, report_pk: int) -> WeeklyStatusReport | None:
    """Build and store a requested report (see projects.documents); runs in a worker."""
    return documents.pdf_build(
        WeeklyStatusReport,
        report_pk,
        render=render_status_pdf,
        filename=file_name,
        related=("project", "requested_by"),
    )


def status_report_sweep(*, older_than_seconds: int = 600) -> int:
    """Queue again every stuck report; returns how many were queued."""
    from implementation.tasks import status_report_build_task

    return documents.pdf_sweep(
        WeeklyStatusReport, status_report_build_task, older_than_seconds=older_than_seconds
    )


def file_name(report: WeeklyStatusReport) -> str:
    return f"{report.project.code}-status-{report.week}.pdf"


# --- The document ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendDay:
    day: datetime.date
    opened: int
    closed: int


def _more_on_page(more: int) -> str:
    return ngettext(
        "and %(count)s more (listed on the project's pages)",
        "and %(count)s more (listed on the project's pages)",
        more,
    ) % {"count": more}


def _earlier_days(more: int) -> str:
    return ngettext(
        "and %(count)s earlier day (counted in the totals)",
        "and %(count)s earlier days (counted in the totals)",
        more,
    ) % {"count": more}


def _first_rows(queryset) -> Capped:
    """The first PDF_LIST_LIMIT rows of `queryset` and a note for the rest, in two queries
    whatever the number of rows: a busy week records hundreds of changes, and laying out
    each of them would outlast the build's time target."""
    total = queryset.count()
    rows = list(queryset[:PDF_LIST_LIMIT])
    more = max(total - PDF_LIST_LIMIT, 0)
    return Capped(rows, more, _more_on_page(more) if more else "")


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _defect_trend(cycle, zone) -> list[TrendDay]:
    """Defects opened and closed per local day of the cycle, days with activity only."""
    opened = Counter(
        day
        for day in Defect.objects.filter(cycle=cycle)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day", flat=True)
    )
    closed = Counter(
        day
        for day in DefectEvent.objects.filter(defect__cycle=cycle, to_status=DefectStatus.CLOSED)
        .annotate(day=TruncDate("at", tzinfo=zone))
        .values_list("day", flat=True)
    )
    days = sorted(set(opened) | set(closed))
    return [TrendDay(day, opened[day], closed[day]) for day in days]


def _uat(project: Project, zone) -> dict | None:
    cycle = project_current_cycle(project)
    if cycle is None:
        return None
    state = cycle_statuses([cycle])[cycle.pk]
    trend = _defect_trend(cycle, zone)
    # The latest days are the ones a weekly report is about; the totals still count every day.
    shown = capped(reversed(trend), _earlier_days)
    return {
        "cycle": cycle,
        "state": state,
        "pass_rate": "–" if state.pass_rate is None else f"{state.pass_rate}%",
        "open_defects": [
            (severity.label, state.open_defects.get(severity.value, 0)) for severity in Severity
        ],
        "open_total": sum(state.open_defects.values()),
        "trend": Capped(shown.rows[::-1], shown.more, shown.note),
        "opened_total": sum(row.opened for row in trend),
        "closed_total": sum(row.closed for row in trend),
    }


def status_report_context(report: WeeklyStatusReport) -> dict:
    """Everything the document shows; the same number of queries for any amount of data."""
    project = report.project
    zone = zoneinfo.ZoneInfo(project.time_zone)
    now = timezone.now()
    today = timezone.localtime(now, zone).date()
    summary = weekly_status(project)
    since = now - datetime.timedelta(days=CHANGES_DAYS)
    changes = _first_rows(
        ConfigurationChange.objects.filter(project=project, recorded_at__gte=since)
        .select_related("recorded_by")
        .order_by("number")
    )
    signoffs = _first_rows(SignOff.objects.filter(project=project).order_by("number"))
    kpis = kpi_selectors.with_latest(Kpi.objects.filter(project=project).order_by("name"))
    rows = kpi_selectors.kpi_rows(kpis, project=project, today=today)
    return {
        "report": report,
        "project": project,
        "today": today,
        "built_at": now,
        "summary": summary,
        "changes": changes,
        "changes_days": CHANGES_DAYS,
        "uat": _uat(project, zone),
        "signoffs": Capped(
            [
                {
                    "signoff": signoff,
                    "status": _label(SignoffStatus, signoff.status),
                    "signed_on": signoff.concluded_at
                    if signoff.status == SignoffStatus.SIGNED
                    else None,
                }
                for signoff in signoffs
            ],
            signoffs.more,
            signoffs.note,
        ),
        "kpis": capped(
            [
                {
                    "kpi": row.kpi,
                    "status": _label(KpiStatus, row.figures.status),
                    "colour": STATUS_COLOURS.get(row.figures.status, "#616e7c"),
                }
                for row in rows
            ],
            _more_on_page,
        ),
        "page_counter": page_counter(),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }


def render_status_html(report: WeeklyStatusReport) -> str:
    """The document's HTML under the active language, times in the project's time zone."""
    with timezone.override(zoneinfo.ZoneInfo(report.project.time_zone)):
        return render_to_string(TEMPLATE, status_report_context(report))


def render_status_pdf(report: WeeklyStatusReport) -> bytes:
    """The report as PDF bytes. Fetches nothing but static files and data: URLs."""
    root = static_root()
    html = HTML(
        string=render_status_html(report),
        base_url=root.as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(root),
    )
    return html.write_pdf()
