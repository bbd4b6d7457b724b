"""Data migration pages: the inventory of data objects, each object with its loads and
their reconciliation, recording and correcting loads, and the data owner's sign-off.

Doors onto implementation.selectors.golive_migration and implementation.services.migration.
Reading needs only to see the project; writes need MANAGE_MIGRATION, except the sign-off,
which the service keeps for the object's data owner.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from implementation.choices import Reconciliation
from implementation.golive_rules import percent_text
from implementation.migration_forms import LoadForm, MigrationObjectForm, SignOffForm
from implementation.selectors import golive_migration as selectors
from implementation.services import migration as services
from implementation.views.configuration import in_project_time_zone
from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error

# The trend chart's frame, in SVG user units; it scales to the card's width.
CHART_WIDTH, CHART_HEIGHT = 480, 190
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 464, 14, 140


# --- Trend chart --------------------------------------------------------------------------


def _scale_top(highest: Decimal) -> int:
    """A round top for the percentage axis, so small shares are not flattened."""
    for top in (1, 2, 5, 10, 20, 25, 50):
        if highest <= top:
            return top
    return 100


def trend_svg(history: selectors.ObjectHistory) -> str:
    """Rejected and missing share per load as a small inline SVG, empty without loads."""
    rows = history.rows
    if not rows:
        return ""
    highest = max(max(row.check.rejected_percent, row.check.missing_percent) for row in rows)
    top = _scale_top(highest)
    span = CHART_RIGHT - CHART_LEFT
    step = span / (len(rows) - 1) if len(rows) > 1 else 0

    def x(index: int) -> float:
        return round(CHART_LEFT + step * index if len(rows) > 1 else CHART_LEFT + span / 2, 1)

    def y(value: Decimal) -> float:
        share = min(float(value), float(top)) / top
        return round(CHART_BOTTOM - share * (CHART_BOTTOM - CHART_TOP), 1)

    points = []
    for index, row in enumerate(rows):
        points.append(
            {
                "x": x(index),
                "rejected_y": y(row.check.rejected_percent),
                "missing_y": y(row.check.missing_percent),
                "label": f"#{row.load.sequence}",
                "title": _("%(load)s: %(rejected)s%% rejected, %(missing)s%% missing")
                % {
                    "load": row.load.label,
                    "rejected": percent_text(row.check.rejected_percent),
                    "missing": percent_text(row.check.missing_percent),
                },
            }
        )
    context = {
        "obj": history.obj,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_RIGHT,
        "top_y": CHART_TOP,
        "mid_y": (CHART_TOP + CHART_BOTTOM) / 2,
        "bottom": CHART_BOTTOM,
        "top_label": top,
        "mid_label": percent_text(Decimal(top) / 2),
        "points": points,
        "rejected_line": " ".join(f"{p['x']},{p['rejected_y']}" for p in points),
        "missing_line": " ".join(f"{p['x']},{p['missing_y']}" for p in points),
        "legend_y": CHART_HEIGHT - 8,
    }
    return render_to_string("implementation/golive/migration/trend.svg", context)


# --- Inventory and objects ----------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def inventory(request, project):
    """Every data object with its last load, reconciliation, sign-off and trend."""
    data = selectors.migration_inventory(user=request.user, project=project)
    context = {
        "project": project,
        "inventory": data,
        "counts": data.counts,
        "can_manage": policy.can(request.user, project, Capability.MANAGE_MIGRATION),
    }
    return render(request, "implementation/golive/migration/inventory.html", context)


def _object_form_page(request, project, form, *, obj=None, status=200):
    context = {"project": project, "form": form, "obj": obj}
    return render(
        request, "implementation/golive/migration/object_form.html", context, status=status
    )


@project_view(Capability.MANAGE_MIGRATION)
@require_http_methods(["GET", "POST"])
def object_create(request, project):
    form = MigrationObjectForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.migration_object_create(
                actor=request.user, project=project, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("%(name)s added to the inventory.") % {"name": obj.name})
            return redirect(obj)
    return _object_form_page(request, project, form, status=UNPROCESSABLE if form.is_bound else 200)


@project_view(Capability.MANAGE_MIGRATION)
@require_http_methods(["GET", "POST"])
def object_edit(request, project, pk):
    obj = selectors.migration_object_get(user=request.user, project=project, pk=pk)
    form = MigrationObjectForm(request.POST or None, instance=obj, project=project)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            obj = services.migration_object_update(actor=request.user, obj=obj, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": obj.name})
            return redirect(obj)
    status = UNPROCESSABLE if form.is_bound else 200
    return _object_form_page(request, project, form, obj=obj, status=status)


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def object_detail(request, project, pk):
    """Mapping notes, every load explained, and whether the data gets cleaner."""
    obj = selectors.migration_object_get(user=request.user, project=project, pk=pk)
    history = selectors.migration_object_history(user=request.user, obj=obj)
    rows = [
        {
            "row": row,
            "can_sign_off": row.load.reconciliation != Reconciliation.FAILED
            and not row.load.is_signed_off
            and policy.can_sign_off_load(request.user, row.load),
        }
        for row in history.rows
    ]
    context = {
        "project": project,
        "obj": obj,
        "history": history,
        "rows": rows,
        "trend_svg": trend_svg(history),
        "can_manage": policy.can(request.user, project, Capability.MANAGE_MIGRATION),
    }
    return render(request, "implementation/golive/migration/object_detail.html", context)


# --- Loads --------------------------------------------------------------------------------


def _load_form_page(request, project, obj, form, *, load=None, status=200):
    context = {"project": project, "obj": obj, "form": form, "load": load}
    return render(request, "implementation/golive/migration/load_form.html", context, status=status)


@project_view(Capability.MANAGE_MIGRATION)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def load_create(request, project, pk):
    """Record a mock or final load; its reconciliation follows from the numbers."""
    obj = selectors.migration_object_get(user=request.user, project=project, pk=pk)
    form = LoadForm(request.POST or None, project=project, obj=obj)
    if request.method == "POST" and form.is_valid():
        try:
            load = services.load_record(actor=request.user, obj=obj, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("%(load)s recorded: %(status)s.")
                % {"load": load.label, "status": load.get_reconciliation_display().lower()},
            )
            return redirect(obj)
    status = UNPROCESSABLE if form.is_bound else 200
    return _load_form_page(request, project, obj, form, status=status)


@project_view(Capability.MANAGE_MIGRATION)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def load_edit(request, project, pk):
    """Correct a load's numbers; a signed-off load is frozen and says so instead."""
    load = selectors.load_get(user=request.user, project=project, pk=pk)
    obj = load.migration_object
    if load.is_signed_off:
        status = UNPROCESSABLE if request.method == "POST" else 200
        return _load_form_page(request, project, obj, None, load=load, status=status)
    form = LoadForm(request.POST or None, instance=load, project=project, obj=obj)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            load = services.load_update(actor=request.user, load=load, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("%(load)s saved: %(status)s.")
                % {"load": load.label, "status": load.get_reconciliation_display().lower()},
            )
            return redirect(obj)
    status = UNPROCESSABLE if form.is_bound else 200
    return _load_form_page(request, project, obj, form, load=load, status=status)


def _sign_off_refusal(load) -> str:
    if load.is_signed_off:
        return _("This load is already signed off.")
    if load.reconciliation == Reconciliation.FAILED:
        return _("A failed load cannot be signed off: correct the data and load it again.")
    return ""


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def load_sign_off(request, project, pk):
    """The data owner confirms a load's numbers, with an optional comment."""
    load = selectors.load_get(user=request.user, project=project, pk=pk)
    obj = load.migration_object
    if not policy.can_sign_off_load(request.user, load):
        raise PermissionDenied(
            _("Only the data owner of %(object)s signs its loads off.") % {"object": obj.name}
        )
    form = SignOffForm(request.POST or None)
    refusal = _sign_off_refusal(load)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            load = services.load_sign_off(
                actor=request.user, load=load, comment=form.cleaned_data["comment"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("%(load)s signed off.") % {"load": load.label})
            return redirect(obj)
    check = selectors.check_of(load)
    context = {
        "project": project,
        "obj": obj,
        "load": load,
        "check": check,
        "explanation": selectors.explain(check, load.tolerance_percent),
        "form": None if refusal else form,
        "refusal": refusal,
    }
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "implementation/golive/migration/sign_off.html", context, status=status)


urlpatterns = [
    path("migration/", inventory, name="migration"),
    path("migration/new/", object_create, name="migration-object-new"),
    path("migration/<int:pk>/", object_detail, name="migration-object"),
    path("migration/<int:pk>/edit/", object_edit, name="migration-object-edit"),
    path("migration/<int:pk>/loads/new/", load_create, name="load-new"),
    path("migration/loads/<int:pk>/edit/", load_edit, name="load-edit"),
    path("migration/loads/<int:pk>/sign-off/", load_sign_off, name="load-sign-off"),
]
