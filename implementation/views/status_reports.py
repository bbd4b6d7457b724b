"""Weekly status report pages: past reports, building one now, its progress and the download.

A report is built by a worker (implementation.status_reports); the page polls a small status
fragment every two seconds while it is queued or building, then offers the download, or the
reason and a retry when it failed. Weekly automatic reports are listed with the others.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from implementation import status_reports as services
from implementation.models import WeeklyStatusReport
from projects.choices import PdfStatus
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.report_kit import ReportKit
from projects.web import is_partial, paginate

TEMPLATE = "implementation/status_reports/list.html"
COMPONENT = "components/pdf_reports.html"
REPORT_KIT = ReportKit(
    prefix="status-report",
    list_url="implementation:status-reports",
    create_url="implementation:status-report-create",
    status_url="implementation:status-report-status",
    retry_url="implementation:status-report-retry",
    download_url="implementation:status-report-download",
    intro=gettext_lazy(
        "A PDF for executives: phase progress and health with its reasons, this week's "
        "configuration changes, UAT progress and the defect trend, sign-offs and KPI status. "
        "One is built every Monday; build one now if you need it. It is built in the "
        "background; this page shows its progress."
    ),
    build_label=gettext_lazy("Build the status report"),
    period_label=gettext_lazy("Week"),
    empty_text=gettext_lazy("No status report yet."),
)


def _list_url(project) -> str:
    return reverse("implementation:status-reports", args=[project.code])


def _reports(project):
    # project_view has checked that the user sees the project.
    return WeeklyStatusReport.objects.filter(project=project).select_related("requested_by")


def _report_get(project, pk: int) -> WeeklyStatusReport:
    report = _reports(project).filter(pk=pk).first()
    if report is None:
        raise Http404(_("No status report matches the given query."))
    report.project = project
    return report


def _list_context(request, project) -> dict:
    return {
        "project": project,
        "page": paginate(request, _reports(project)),
        "READY": PdfStatus.READY,
        "FAILED": PdfStatus.FAILED,
        "kit": REPORT_KIT,
    }


def _refused(request, error) -> None:
    if isinstance(error, ApplicationError):
        messages.error(request, error.message)
    else:
        for text in error.messages:
            messages.error(request, text)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def status_report_list(request, project):
    """Past status reports, newest first, and the button to build one."""
    template = COMPONENT + "#reports" if is_partial(request) else TEMPLATE
    response = render(request, template, _list_context(request, project))
    patch_vary_headers(response, ["HX-Request"])
    return response


@project_view(Capability.VIEW_PROJECT)
@require_POST
def status_report_create(request, project):
    """Queue a status report of the project as it stands now."""
    try:
        services.status_report_request(actor=request.user, project=project)
    except (ApplicationError, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, _("The status report is being built."))
    if is_partial(request):
        context = _list_context(request, project) | {"flash": True}
        return render(request, COMPONENT + "#reports", context)
    return redirect(_list_url(project))


def _status_fragment(request, project, report, *, flash: bool = False):
    context = {"project": project, "report": report, "flash_status": flash, "kit": REPORT_KIT}
    response = render(request, COMPONENT + "#status", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@project_view(Capability.VIEW_PROJECT)
@require_GET
def status_report_status(request, project, pk):
    """The report's status alone, polled while it is queued or building."""
    report = _report_get(project, pk)
    if not is_partial(request):
        return redirect(_list_url(project))
    return _status_fragment(request, project, report)


@project_view(Capability.VIEW_PROJECT)
@require_POST
def status_report_retry(request, project, pk):
    """Queue a failed report again."""
    report = _report_get(project, pk)
    try:
        services.status_report_retry(actor=request.user, report=report)
    except (ApplicationError, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, _("The status report is being built again."))
    if is_partial(request):
        return _status_fragment(request, project, _report_get(project, pk), flash=True)
    return redirect(_list_url(project))


@project_view(Capability.VIEW_PROJECT)
@require_GET
def status_report_download(request, project, pk):
    """The report's PDF as it was stored when built; 404 until it is ready."""
    report = _report_get(project, pk)
    if report.status != PdfStatus.READY or not report.file:
        raise Http404(_("This status report is not ready."))
    response = FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=services.file_name(report),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("status-reports/", status_report_list, name="status-reports"),
    path("status-reports/new/", status_report_create, name="status-report-create"),
    path("status-reports/<int:pk>/status/", status_report_status, name="status-report-status"),
    path("status-reports/<int:pk>/retry/", status_report_retry, name="status-report-retry"),
    path(
        "status-reports/<int:pk>/download/",
        status_report_download,
        name="status-report-download",
    ),
]
