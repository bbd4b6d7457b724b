"""Benefits report pages: past reports, building a new one, its progress and the download.

A report is built by a worker (kpis.reports); the page polls a small status fragment every
two seconds while it is queued or building, then offers the download, or the reason and a
retry when it failed.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kpis import selectors
from kpis.models import BenefitsReport
from projects.choices import PdfStatus
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.report_kit import ReportKit
from projects.web import is_partial, paginate

TEMPLATES = "kpis"
COMPONENT = "components/pdf_reports.html"
REPORT_KIT = ReportKit(
    prefix="report",
    list_url="kpis:reports",
    create_url="kpis:report-create",
    status_url="kpis:report-status",
    retry_url="kpis:report-retry",
    download_url="kpis:report-download",
    intro=gettext_lazy(
        "A PDF for executives: every KPI with its baseline, target, latest value, progress "
        "and status, and the charts, as of today. It is built in the background; this page "
        "shows its progress."
    ),
    build_label=gettext_lazy("Build the benefits report"),
    period_label=gettext_lazy("Figures as of"),
    empty_text=gettext_lazy("No benefits report yet."),
)


def _list_url(project) -> str:
    return reverse("kpis:reports", args=[project.code])


def _report_get(request, project, pk: int) -> BenefitsReport:
    report = selectors.report_list(user=request.user, project=project).filter(pk=pk).first()
    if report is None:
        raise Http404(_("No benefits report matches the given query."))
    return report


def file_name(project, report) -> str:
    return f"{project.code}-benefits-{report.as_of.isoformat()}.pdf"


def _list_context(request, project) -> dict:
    return {
        "project": project,
        "page": paginate(request, selectors.report_list(user=request.user, project=project)),
        "READY": PdfStatus.READY,
        "FAILED": PdfStatus.FAILED,
        "kit": REPORT_KIT,
    }


@project_view(Capability.VIEW_PROJECT)
@require_GET
def report_list(request, project):
    """Past benefits reports, newest first, and the button to build one."""
    template = f"{COMPONENT}#reports" if is_partial(request) else f"{TEMPLATES}/reports.html"
    response = render(request, template, _list_context(request, project))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _refused(request, error) -> None:
    if isinstance(error, ApplicationError):
        messages.error(request, error.message)
    else:
        for text in error.messages:
            messages.error(request, text)


@project_view(Capability.VIEW_PROJECT)
@require_POST
def report_create(request, project):
    """Queue a benefits report of the figures as they are today."""
    from kpis import reports

    try:
        reports.report_request(actor=request.user, project=project)
    except (ApplicationError, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, _("The benefits report is being built."))
    if is_partial(request):
        # The fragment shows the messages itself: the page around it is not reloaded.
        context = _list_context(request, project) | {"flash": True}
        return render(request, f"{COMPONENT}#reports", context)
    return redirect(_list_url(project))


def _status_fragment(request, project, report, *, flash: bool = False):
    context = {"project": project, "report": report, "flash_status": flash, "kit": REPORT_KIT}
    response = render(request, f"{COMPONENT}#status", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@project_view(Capability.VIEW_PROJECT)
@require_GET
def report_status(request, project, pk):
    """The report's status alone, polled while it is queued or building."""
    report = _report_get(request, project, pk)
    if not is_partial(request):
        return redirect(_list_url(project))
    return _status_fragment(request, project, report)


@project_view(Capability.VIEW_PROJECT)
@require_POST
def report_retry(request, project, pk):
    """Queue a failed report again."""
    from kpis import reports

    report = _report_get(request, project, pk)
    try:
        report = reports.report_retry(actor=request.user, report=report)
    except (ApplicationError, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, _("The benefits report is being built again."))
    if is_partial(request):
        report = _report_get(request, project, pk)
        return _status_fragment(request, project, report, flash=True)
    return redirect(_list_url(project))


@project_view(Capability.VIEW_PROJECT)
@require_GET
def report_download(request, project, pk):
    """The report's PDF as it was stored when built; 404 until it is ready."""
    report = _report_get(request, project, pk)
    if report.status != PdfStatus.READY or not report.file:
        raise Http404(_("This benefits report is not ready."))
    response = FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=file_name(project, report),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
