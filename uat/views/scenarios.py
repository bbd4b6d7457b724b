"""Pages of UAT test scenarios: doors onto uat.selectors.scenarios and uat.services.scenarios.

Every member reads scenarios and exports them; project managers, consultants and key users
write, edit and import them. Steps are edited as a list of rows that works without
JavaScript: empty rows are dropped, and "More step rows" adds empty ones.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial, paginate, query_without_page
from uat import scenario_io
from uat.scenario_forms import (
    ScenarioForm,
    ScenarioImportForm,
    StepFormSet,
    steps_of,
    with_more_rows,
)
from uat.selectors import scenarios as selectors
from uat.selectors.scenarios import ScenarioFilter
from uat.services import scenarios as services

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEPS_PREFIX = "steps"


def _filtered(request, project, queryset) -> ScenarioFilter:
    return ScenarioFilter(request.GET, queryset=queryset, project=project)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def scenario_list(request, project):
    """The scenarios, by code, filtered; the filter form swaps only the results."""
    scenario_filter = _filtered(
        request, project, selectors.scenario_list(user=request.user, project=project)
    )
    context = {
        "project": project,
        "filter": scenario_filter,
        "page": paginate(request, scenario_filter.qs),
        "query": query_without_page(request),
        "can_write": policy.can(request.user, project, Capability.MANAGE_TESTS),
    }
    template = (
        "uat/scenarios/list.html#results" if is_partial(request) else "uat/scenarios/list.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _detail_url(project, scenario) -> str:
    return reverse("uat:scenario-detail", args=[project.code, scenario.pk])


def _form_page(request, project, form, formset, scenario=None, status=200):
    context = {"project": project, "form": form, "formset": formset, "scenario": scenario}
    return render(request, "uat/scenarios/form.html", context, status=status)


def _save(request, project, scenario=None):
    """Shared POST handling of the create and edit pages."""
    form = ScenarioForm(request.POST, project=project, instance=scenario)
    if "more_steps" in request.POST:
        formset = StepFormSet(with_more_rows(request.POST), prefix=STEPS_PREFIX)
        return _form_page(request, project, form, formset, scenario)
    formset = StepFormSet(request.POST, prefix=STEPS_PREFIX)
    if form.is_valid() and formset.is_valid():
        data = dict(form.cleaned_data)
        try:
            if scenario is None:
                saved = services.scenario_create(
                    actor=request.user, project=project, steps=steps_of(formset), **data
                )
                messages.success(request, _("Scenario %(code)s created.") % {"code": saved.code})
            else:
                saved = services.scenario_update(
                    actor=request.user, scenario=scenario, steps=steps_of(formset), **data
                )
                messages.success(request, _("Scenario %(code)s saved.") % {"code": saved.code})
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)  # step problems show on top of the form
        else:
            return redirect(_detail_url(project, saved))
    return _form_page(request, project, form, formset, scenario, status=UNPROCESSABLE)


@project_view(Capability.MANAGE_TESTS)
@require_http_methods(["GET", "POST"])
def scenario_create(request, project):
    """Write a new scenario and its steps."""
    if request.method == "POST":
        return _save(request, project)
    form = ScenarioForm(project=project)
    return _form_page(request, project, form, StepFormSet(prefix=STEPS_PREFIX))


@project_view(Capability.VIEW_PROJECT)
@require_GET
def scenario_detail(request, project, pk):
    """One scenario with its steps."""
    scenario = selectors.scenario_get(user=request.user, project=project, pk=pk)
    context = {
        "project": project,
        "scenario": scenario,
        "can_write": policy.can(request.user, project, Capability.MANAGE_TESTS),
    }
    return render(request, "uat/scenarios/detail.html", context)


@project_view(Capability.MANAGE_TESTS)
@require_http_methods(["GET", "POST"])
def scenario_edit(request, project, pk):
    """Change a scenario; the steps shown replace all of its steps."""
    scenario = selectors.scenario_get(user=request.user, project=project, pk=pk)
    if request.method == "POST":
        return _save(request, project, scenario)
    form = ScenarioForm(project=project, instance=scenario)
    formset = StepFormSet(
        prefix=STEPS_PREFIX,
        initial=[
            {"action": step.action, "expected_result": step.expected_result}
            for step in scenario.steps.all()
        ],
    )
    return _form_page(request, project, form, formset, scenario)


@project_view(Capability.MANAGE_TESTS)
@require_http_methods(["GET", "POST"])
def scenario_import(request, project):
    """Upload a CSV or Excel file; every row is checked and nothing is saved if one is wrong."""
    problems = []
    if request.method == "POST":
        form = ScenarioImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.scenario_import(
                    actor=request.user, project=project, upload=upload, file_name=upload.name
                )
            except services.ScenarioImportError as error:
                problems = error.problems
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Import done: %(created)d scenarios created, %(updated)d updated, "
                        "%(steps)d steps written."
                    )
                    % {"created": result.created, "updated": result.updated, "steps": result.steps},
                )
                return redirect("uat:scenario-list", project.code)
    else:
        form = ScenarioImportForm()
    context = {
        "project": project,
        "form": form,
        "problems": problems,
        "columns": scenario_io.COLUMNS,
    }
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "uat/scenarios/import.html", context, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def scenario_export_csv(request, project):
    """The filtered scenarios as CSV in the import format, streamed."""
    scenarios = _filtered(
        request, project, selectors.scenario_export_list(user=request.user, project=project)
    ).qs
    response = StreamingHttpResponse(
        scenario_io.csv_lines(scenarios), content_type="text/csv; charset=utf-8"
    )
    name = scenario_io.file_name(project, "csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@project_view(Capability.VIEW_PROJECT)
@require_GET
def scenario_export_xlsx(request, project):
    """The filtered scenarios as an Excel workbook in the import format."""
    scenarios = _filtered(
        request, project, selectors.scenario_export_list(user=request.user, project=project)
    ).qs
    response = HttpResponse(scenario_io.xlsx_bytes(scenarios), content_type=XLSX_CONTENT_TYPE)
    name = scenario_io.file_name(project, "xlsx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("scenarios/", scenario_list, name="scenario-list"),
    path("scenarios/new/", scenario_create, name="scenario-create"),
    path("scenarios/import/", scenario_import, name="scenario-import"),
    path("scenarios/export.csv", scenario_export_csv, name="scenario-export-csv"),
    path("scenarios/export.xlsx", scenario_export_xlsx, name="scenario-export-xlsx"),
    path("scenarios/<int:pk>/", scenario_detail, name="scenario-detail"),
    path("scenarios/<int:pk>/edit/", scenario_edit, name="scenario-edit"),
]
