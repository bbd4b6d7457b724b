"""Pages of the configuration log: doors onto implementation.services.configuration.

The log is append-only, so there are pages to read, record and export, and none to edit or
delete. Times are shown and entered in the project's time zone.
"""

import zoneinfo
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from implementation import exports
from implementation.choices import CONFIGURATION_AREAS
from implementation.configuration_filters import ConfigurationChangeFilter
from implementation.configuration_forms import AREA_SUGGESTIONS_ID, ConfigurationChangeForm
from implementation.models import ConfigurationChange
from implementation.selectors import configuration as selectors
from implementation.services import configuration as services
from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial, paginate, query_without_page

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def in_project_time_zone(view):
    """Parse and show times where the project happens, whatever the server's zone."""

    @wraps(view)
    def wrapper(request, project, *args, **kwargs):
        with timezone.override(zoneinfo.ZoneInfo(project.time_zone)):
            return view(request, project, *args, **kwargs)

    return wrapper


def _filtered(request, project) -> ConfigurationChangeFilter:
    return ConfigurationChangeFilter(
        request.GET,
        queryset=selectors.configuration_change_list(user=request.user, project=project),
        project=project,
    )


def _entry(request, project, number) -> ConfigurationChange:
    try:
        number = int(number)
    except (TypeError, ValueError) as error:
        raise Http404(_("No configuration change matches the given query.")) from error
    return selectors.configuration_change_get(user=request.user, project=project, number=number)


def _area_suggestions(project) -> list[str]:
    suggestions = [str(area) for area in CONFIGURATION_AREAS]
    in_use = selectors.areas_in_use(project=project)
    return suggestions + sorted(set(in_use) - set(suggestions))


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def config_list(request, project):
    """The log, newest first, filtered; the filter form swaps only the results."""
    change_filter = _filtered(request, project)
    query = query_without_page(request)
    context = {
        "project": project,
        # A row links to its entry, config/<number>/ under this URL: one reverse() a page.
        "config_url": reverse("implementation:config-list", args=[project.code]),
        "filter": change_filter,
        "page": paginate(request, selectors.configuration_change_page_rows(change_filter.qs)),
        "query": query,
        "can_write": policy.can(request.user, project, Capability.EDIT_CONFIGURATION_LOG),
        "area_suggestions": _area_suggestions(project),
        "area_suggestions_id": AREA_SUGGESTIONS_ID,
    }
    template = (
        "implementation/configuration/list.html#results"
        if is_partial(request)
        else "implementation/configuration/list.html"
    )
    response = render(request, template, context)
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _correction_initial(corrected: ConfigurationChange) -> dict:
    """A correction starts from the wrong entry: its new value is now the old one."""
    return {
        "area": corrected.area,
        "setting": corrected.setting,
        "old_value": corrected.new_value,
        "reference": corrected.reference,
        "requested_by": corrected.requested_by,
        "environment": corrected.environment,
        "phase": corrected.phase,
        "supersedes": corrected,
    }


def _now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


@project_view(Capability.EDIT_CONFIGURATION_LOG)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def config_create(request, project):
    """Record an entry; with ?supersedes=<number>, a correction prefilled from that entry."""
    corrected = None
    if request.method == "POST":
        form = ConfigurationChangeForm(request.POST, project=project)
        if form.is_valid():
            try:
                change = services.configuration_change_record(
                    actor=request.user, project=project, **form.cleaned_data
                )
            except (ApplicationError, ValidationError) as error:
                apply_error(form, error)
            else:
                messages.success(
                    request, _("%(entry)s recorded.") % {"entry": change.display_number}
                )
                return redirect(change)
        corrected = form.cleaned_data.get("supersedes")
    else:
        initial = {"applied_at": _now_to_the_minute()}
        if request.GET.get("supersedes"):
            corrected = _entry(request, project, request.GET["supersedes"])
            refusal = services.supersede_refusal(corrected)
            if refusal:
                messages.error(request, refusal)
                return redirect(corrected)
            initial |= _correction_initial(corrected)
        form = ConfigurationChangeForm(initial=initial, project=project)
    context = {
        "project": project,
        "form": form,
        "corrected": corrected,
        "area_suggestions": _area_suggestions(project),
        "area_suggestions_id": AREA_SUGGESTIONS_ID,
    }
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "implementation/configuration/form.html", context, status=status)


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def config_detail(request, project, number):
    """One entry, with the entry it corrects and the one correcting it."""
    change = _entry(request, project, number)
    context = {
        "project": project,
        "change": change,
        "can_write": policy.can(request.user, project, Capability.EDIT_CONFIGURATION_LOG),
    }
    return render(request, "implementation/configuration/detail.html", context)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def config_export_csv(request, project):
    """The filtered log as CSV, every row, streamed."""
    changes = _filtered(request, project).qs
    response = StreamingHttpResponse(
        exports.csv_lines(changes, project), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(project, "csv")}"'
    return response


@project_view(Capability.VIEW_PROJECT)
@require_GET
def config_export_xlsx(request, project):
    """The filtered log as an Excel workbook, every row."""
    changes = _filtered(request, project).qs
    response = HttpResponse(exports.xlsx_bytes(changes, project), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(project, "xlsx")}"'
    return response


urlpatterns = [
    path("config/", config_list, name="config-list"),
    path("config/new/", config_create, name="config-create"),
    path("config/export.csv", config_export_csv, name="config-export-csv"),
    path("config/export.xlsx", config_export_xlsx, name="config-export-xlsx"),
    path("config/<int:number>/", config_detail, name="config-detail"),
]
