"""KPI pages: doors onto kpis.selectors and kpis.services.

Every member reads the overview (small multiples and status counts) and each KPI's page with
its figures and how they are computed. Project managers and consultants define KPIs, add them
from the catalogue and record baselines before go-live; from go-live on only the project
manager changes a baseline, with a reason. Measurement recorders, and each KPI's owner for
their own KPI, record and correct measurements, one at a time, in bulk or from a CSV file
(see entry.py). Benefits reports are in reports.py.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from implementation.models import Phase
from kpis import catalogue, charts, metrics, selectors, services
from kpis.choices import Direction, KpiCategory, KpiStatus
from kpis.forms import BaselineForm, CorrectionForm, KpiForm, MeasurementForm, TemplatesForm
from kpis.views import entry, reports
from kpis.views.figures import (
    STATUS_CSS,
    day,
    explain,
    overdue_text,
    percentage_points,
    whole_percent,
    with_unit,
)
from projects import policy
from projects.errors import ApplicationError
from projects.models import User
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial, paginate

TEMPLATES = "kpis"
# The detail page holds several forms with a "value" field: each gets its own ids.
BASELINE_IDS = "id_baseline_%s"


def _correction_ids(measurement) -> str:
    return f"id_correct_{measurement.pk}_%s"


def _detail_url(project, kpi) -> str:
    return reverse("kpis:detail", args=[project.code, kpi.pk])


def _done(request, url: str, message: str):
    """After a write: a message, then the page again (a full reload for htmx)."""
    messages.success(request, message)
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def may_record_any(user, project, kpis) -> bool:
    """Recorders record any KPI; an owner at least their own (no query: roles are cached)."""
    return policy.can(user, project, Capability.RECORD_MEASUREMENTS) or any(
        kpi.owner_id == user.pk for kpi in kpis
    )


def _chart(kpi, points, today, *, compact: bool):
    return charts.kpi_chart(
        name=kpi.name,
        unit=kpi.unit,
        baseline=kpi.baseline_value,
        baseline_date=kpi.baseline_date,
        target=kpi.target_value,
        target_date=kpi.target_date,
        points=points,
        today=today,
        direction=kpi.direction,
        compact=compact,
    )


# --- Overview -----------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@require_GET
def overview(request, project):
    """Status counts and a small chart per KPI; the same queries for 2 KPIs or 200."""
    user = request.user
    today = project.local_today()
    kpis = list(selectors.kpi_list(user=user, project=project))
    rows = selectors.kpi_rows(kpis, project=project, today=today)
    points = selectors.measurement_points(kpis)
    counts = selectors.status_counts(rows)
    cards = [
        {
            "kpi": row.kpi,
            "figures": row.figures,
            "chart": _chart(row.kpi, points.get(row.kpi.pk, []), today, compact=True),
            "latest": with_unit(row.figures.latest_value, row.kpi.unit),
            "latest_on": day(row.figures.latest_on),
            "progress": whole_percent(row.figures.progress),
            "status_label": KpiStatus(row.figures.status).label,
            "status_css": STATUS_CSS[row.figures.status],
            "next_due": day(row.figures.next_due),
            "overdue": overdue_text(row.figures),
        }
        for row in rows
    ]
    context = {
        "project": project,
        "cards": cards,
        "status_bar": charts.status_bar(counts=counts),
        "counts": [
            {
                "status": status,
                "label": KpiStatus(status).label,
                "count": counts.get(status, 0),
                "css": STATUS_CSS[status],
            }
            for status in charts.STATUS_ORDER
        ],
        "total": len(cards),
        "margin": percentage_points(metrics.AT_RISK_MARGIN),
        "can_manage": policy.can(user, project, Capability.MANAGE_KPIS),
        "can_record": may_record_any(user, project, kpis),
    }
    template = f"{TEMPLATES}/overview.html"
    if is_partial(request):
        template += "#kpi-grid"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- One KPI ------------------------------------------------------------------------------


def _corrections(measurement, unit: str) -> list[dict]:
    """The earlier values of a measured day, oldest first, with parsed times."""
    shown = []
    for earlier in measurement.corrections or []:
        try:
            at = datetime.datetime.fromisoformat(earlier.get("at", ""))
        except (TypeError, ValueError):
            at = None
        shown.append(
            {
                "value": with_unit(earlier.get("value"), unit),
                "note": earlier.get("note", ""),
                "by": earlier.get("by", ""),
                "at": at,
            }
        )
    return shown


def _detail_context(request, project, kpi, **forms) -> dict:
    user = request.user
    today = project.local_today()
    figures = selectors.figures(kpi, today)
    points = selectors.measurement_points([kpi]).get(kpi.pk, [])
    page = paginate(request, selectors.measurement_list(user=user, kpi=kpi))
    locked = services.baseline_is_locked(project)
    may_baseline = services.may_set_baseline(user, kpi)
    correcting = forms.get("correcting")
    measurements = [
        {
            "measurement": measurement,
            "value": with_unit(measurement.value, kpi.unit),
            "corrections": _corrections(measurement, kpi.unit),
            "form": forms["correction_form"]
            if correcting is not None and correcting.pk == measurement.pk
            else CorrectionForm(auto_id=_correction_ids(measurement)),
        }
        for measurement in page.object_list
    ]
    baseline_initial = {"value": kpi.baseline_value, "day": kpi.baseline_date}
    return {
        "project": project,
        "kpi": kpi,
        "figures": figures,
        "explained": explain(kpi, figures, go_live=project.target_go_live, today=today),
        "chart": _chart(kpi, points, today, compact=False),
        "page": page,
        "measurements": measurements,
        "correcting": correcting,
        "history": [
            {
                "change": change,
                "old": with_unit(change.old_value, kpi.unit)
                if change.old_value is not None
                else "—",
                "new": with_unit(change.new_value, kpi.unit),
            }
            for change in selectors.baseline_history(user=user, kpi=kpi)
        ],
        "status_label": KpiStatus(figures.status).label,
        "status_css": STATUS_CSS[figures.status],
        "baseline": with_unit(kpi.baseline_value, kpi.unit),
        "target": with_unit(kpi.target_value, kpi.unit),
        "direction_label": Direction(kpi.direction).label if kpi.direction else "",
        "locked": locked,
        "may_baseline": may_baseline,
        "can_manage": policy.can(user, project, Capability.MANAGE_KPIS),
        "can_record": policy.can_record_measurement(user, kpi),
        "record_form": forms.get("record_form") or MeasurementForm(initial={"measured_on": today}),
        "baseline_form": forms.get("baseline_form")
        or BaselineForm(locked=locked, initial=baseline_initial, auto_id=BASELINE_IDS),
    }


def _detail_page(request, project, kpi, status=200, partial=None, **forms):
    context = _detail_context(request, project, kpi, **forms)
    template = f"{TEMPLATES}/detail.html"
    if partial and is_partial(request):
        template += f"#{partial}"
    return render(request, template, context, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def kpi_detail(request, project, pk):
    """The KPI's chart, figures and how they are computed, measurements and baseline."""
    kpi = selectors.kpi_get(user=request.user, project=project, pk=pk)
    if is_partial(request) and request.GET.get("page"):
        response = _detail_page(request, project, kpi, partial="measurements")
    else:
        response = _detail_page(request, project, kpi)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _ensure_may_record(user, kpi) -> None:
    if not policy.can_record_measurement(user, kpi):
        raise PermissionDenied(_("You may not record values of this KPI."))


@project_view(Capability.VIEW_PROJECT)
@require_POST
def measurement_record(request, project, pk):
    """Record the KPI's value on a day."""
    kpi = selectors.kpi_get(user=request.user, project=project, pk=pk)
    _ensure_may_record(request.user, kpi)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        try:
            services.measurement_record(actor=request.user, kpi=kpi, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                _detail_url(project, kpi),
                _("%(value)s recorded for %(date)s.")
                % {
                    "value": with_unit(form.cleaned_data["value"], kpi.unit),
                    "date": day(form.cleaned_data["measured_on"]),
                },
            )
    return _detail_page(request, project, kpi, UNPROCESSABLE, partial="record", record_form=form)


@project_view(Capability.VIEW_PROJECT)
@require_POST
def measurement_correct(request, project, pk, measurement_pk):
    """Replace a measured day's value; the earlier value stays visible."""
    kpi = selectors.kpi_get(user=request.user, project=project, pk=pk)
    measurement = selectors.measurement_list(user=request.user, kpi=kpi).filter(pk=measurement_pk)
    measurement = measurement.first()
    if measurement is None:
        raise Http404(_("No measurement matches the given query."))
    _ensure_may_record(request.user, kpi)
    form = CorrectionForm(request.POST, auto_id=_correction_ids(measurement))
    if form.is_valid():
        try:
            services.measurement_correct(
                actor=request.user, measurement=measurement, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                _detail_url(project, kpi),
                _("The value of %(date)s was corrected.") % {"date": day(measurement.measured_on)},
            )
    if is_partial(request):
        context = {
            "project": project,
            "kpi": kpi,
            "row": {"measurement": measurement, "form": form},
        }
        return render(request, f"{TEMPLATES}/detail.html#correct", context, status=UNPROCESSABLE)
    return _detail_page(
        request,
        project,
        kpi,
        UNPROCESSABLE,
        correcting=measurement,
        correction_form=form,
    )


@project_view(Capability.VIEW_PROJECT)
@require_POST
def baseline_set(request, project, pk):
    """Record or change the baseline: before go-live by KPI managers, then only the PM."""
    kpi = selectors.kpi_get(user=request.user, project=project, pk=pk)
    if not services.may_set_baseline(request.user, kpi):
        if services.baseline_is_locked(project):
            raise PermissionDenied(
                _("From go-live on the baseline is locked; only the project manager changes it.")
            )
        policy.ensure(request.user, project, Capability.MANAGE_KPIS)
    form = BaselineForm(
        request.POST, locked=services.baseline_is_locked(project), auto_id=BASELINE_IDS
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.kpi_set_baseline(
                actor=request.user,
                kpi=kpi,
                value=data["value"],
                day=data["day"],
                method=data["method"],
                reason=data.get("reason", ""),
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(request, _detail_url(project, kpi), _("Baseline saved."))
    return _detail_page(
        request, project, kpi, UNPROCESSABLE, partial="baseline", baseline_form=form
    )


# --- Defining KPIs ------------------------------------------------------------------------


def _team(project):
    return User.objects.filter(memberships__project=project).order_by(
        "first_name", "last_name", "username"
    )


def _phases(project):
    return Phase.objects.filter(project=project).order_by("position")


def _form_page(request, project, form, kpi=None, status=200):
    context = {"project": project, "form": form, "kpi": kpi}
    template = f"{TEMPLATES}/form.html"
    if is_partial(request):
        template += "#kpi-form"
    return render(request, template, context, status=status)


@project_view(Capability.MANAGE_KPIS)
@require_http_methods(["GET", "POST"])
def kpi_create(request, project):
    """Define a KPI; before go-live its baseline may be given at once."""
    form = KpiForm(
        request.POST if request.method == "POST" else None,
        team=_team(project),
        phases=_phases(project),
        with_baseline=not services.baseline_is_locked(project),
        initial={"owner": request.user.pk},
    )
    if form.is_bound and form.is_valid():
        try:
            kpi = services.kpi_create(
                actor=request.user, project=project, **form.service_arguments()
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request, _detail_url(project, kpi), _("KPI %(name)s added.") % {"name": kpi.name}
            )
    return _form_page(request, project, form, status=UNPROCESSABLE if form.is_bound else 200)


@project_view(Capability.MANAGE_KPIS)
@require_http_methods(["GET", "POST"])
def kpi_edit(request, project, pk):
    """Change what a KPI is and aims at; the baseline is set on the KPI's page."""
    kpi = selectors.kpi_get(user=request.user, project=project, pk=pk)
    form = KpiForm(
        request.POST if request.method == "POST" else None,
        instance=kpi,
        team=_team(project),
        phases=_phases(project),
        with_baseline=False,
    )
    if form.is_bound and form.is_valid():
        arguments = form.service_arguments()
        changes = {name: arguments[name] for name in form.changed_data}
        try:
            services.kpi_update(actor=request.user, kpi=kpi, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(request, _detail_url(project, kpi), _("KPI saved."))
    status = UNPROCESSABLE if form.is_bound else 200
    return _form_page(request, project, form, kpi, status=status)


@project_view(Capability.MANAGE_KPIS)
@require_http_methods(["GET", "POST"])
def kpi_templates(request, project):
    """Tick KPI templates and add them in one click; the team adjusts them afterwards."""
    existing = {
        name.casefold()
        for name in selectors.kpi_list(user=request.user, project=project).values_list(
            "name", flat=True
        )
    }
    form = TemplatesForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            created = services.kpis_add_from_templates(
                actor=request.user, project=project, keys=form.cleaned_data["templates"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if created:
                text = ngettext(
                    "%(count)s KPI added: record its baseline and adjust its target.",
                    "%(count)s KPIs added: record their baselines and adjust their targets.",
                    len(created),
                ) % {"count": len(created)}
            else:
                text = _("These KPIs were already added.")
            return _done(request, reverse("kpis:overview", args=[project.code]), text)
    ticked = set(form.data.getlist("templates")) if form.is_bound else set()
    rows = [
        {
            "template": template,
            "added": str(template.name).casefold() in existing,
            "ticked": template.key in ticked,
            "category": KpiCategory(template.category).label,
            "direction": Direction(template.direction).label,
            "baseline": with_unit(template.example_baseline, str(template.unit)),
            "target": with_unit(template.example_target, str(template.unit)),
        }
        for template in catalogue.TEMPLATES
    ]
    context = {"project": project, "form": form, "rows": rows}
    template = f"{TEMPLATES}/templates.html"
    if is_partial(request):
        template += "#templates-form"
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, template, context, status=status)


urlpatterns = [
    path("", overview, name="overview"),
    path("new/", kpi_create, name="create"),
    path("templates/", kpi_templates, name="templates"),
    path("bulk/", entry.bulk_entry, name="bulk"),
    path("import/", entry.measurement_import, name="import"),
    path("import/sample.csv", entry.import_sample, name="import-sample"),
    path("reports/", reports.report_list, name="reports"),
    path("reports/new/", reports.report_create, name="report-create"),
    path("reports/<int:pk>/status/", reports.report_status, name="report-status"),
    path("reports/<int:pk>/retry/", reports.report_retry, name="report-retry"),
    path("reports/<int:pk>/download/", reports.report_download, name="report-download"),
    path("<int:pk>/", kpi_detail, name="detail"),
    path("<int:pk>/edit/", kpi_edit, name="edit"),
    path("<int:pk>/baseline/", baseline_set, name="baseline"),
    path("<int:pk>/measurements/", measurement_record, name="measurement-record"),
    path(
        "<int:pk>/measurements/<int:measurement_pk>/correct/",
        measurement_correct,
        name="measurement-correct",
    ),
]
