"""Measurements in numbers: bulk entry on one screen and CSV import, both all or nothing.

Open to measurement recorders and to anyone who owns a KPI of the project (for their own
KPIs); every row is checked by kpis.services before anything is saved.
"""

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from kpis import selectors, services
from kpis.forms import BulkForm, ImportForm
from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial

TEMPLATES = "kpis"
# The service names the date column after the model field; the file calls it "date".
CSV_COLUMNS = {"measured_on": "date"}


def recordable_kpis(user, project) -> list:
    """The KPIs the user may record, by name; 403 when that is none and the user is no
    measurement recorder."""
    kpis = list(selectors.kpi_list(user=user, project=project))
    for kpi in kpis:
        kpi.project = project  # the policy reads it; no query per KPI
    mine = [kpi for kpi in kpis if policy.can_record_measurement(user, kpi)]
    if not mine and not policy.can(user, project, Capability.RECORD_MEASUREMENTS):
        raise PermissionDenied(_("Only measurement recorders and KPI owners record measurements."))
    return mine


def _saved(request, project, count: int):
    messages.success(
        request,
        ngettext("%(count)s measurement saved.", "%(count)s measurements saved.", count)
        % {"count": count},
    )
    target = reverse("kpis:overview", args=[project.code])
    if is_partial(request):
        return HttpResponseClientRedirect(target)
    return redirect(target)


@project_view(Capability.VIEW_PROJECT)
@require_http_methods(["GET", "POST"])
def bulk_entry(request, project):
    """One row per KPI: the values of the day entered at once; empty rows are ignored."""
    kpis = recordable_kpis(request.user, project)
    form = BulkForm(
        request.POST if request.method == "POST" else None,
        kpis=kpis,
        today=project.local_today(),
    )
    if form.is_bound and form.is_valid():
        rows = form.rows()
        by_number = {row["row"]: row["kpi"] for row in rows}
        try:
            if not rows:
                raise ValidationError(_("Enter at least one value."))
            created = services.measurements_record_bulk(
                actor=request.user, project=project, rows=rows
            )
        except services.RowProblems as error:
            for problem in error.problems:
                kpi = by_number.get(problem.row)
                if kpi is None:
                    form.add_error(None, problem.message)
                else:
                    form.add_problem(kpi, problem.column, problem.message)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _saved(request, project, len(created))
    context = {"project": project, "form": form, "today": project.local_today()}
    template = f"{TEMPLATES}/bulk.html"
    if is_partial(request):
        template += "#bulk-form"
    return render(request, template, context, status=UNPROCESSABLE if form.is_bound else 200)


@project_view(Capability.VIEW_PROJECT)
@require_http_methods(["GET", "POST"])
def measurement_import(request, project):
    """Upload a CSV of measurements; every row is checked and nothing is saved if one is
    wrong."""
    recordable_kpis(request.user, project)
    problems = []
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                created = services.measurements_import(
                    actor=request.user, project=project, data=form.cleaned_data["file"].read()
                )
            except services.RowProblems as error:
                problems = [
                    {
                        "row": problem.row,
                        "column": CSV_COLUMNS.get(problem.column, problem.column),
                        "message": problem.message,
                    }
                    for problem in error.problems
                ]
            except (ApplicationError, ValidationError) as error:
                apply_error(form, error)
            else:
                return _saved(request, project, len(created))
    else:
        form = ImportForm()
    context = {"project": project, "form": form, "problems": problems}
    template = f"{TEMPLATES}/import.html"
    if is_partial(request):
        template += "#import-form"
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, template, context, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def import_sample(request, project):
    """A CSV to fill in: a row per KPI the user may record, dated today."""
    kpis = recordable_kpis(request.user, project)
    today = project.local_today().isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["kpi", "date", "value", "note"])
    for kpi in kpis:
        writer.writerow([kpi.name, today, "", ""])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"{project.code}-measurements-{today}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
