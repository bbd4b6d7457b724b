"""Pages of test cycles and runs: doors onto uat.selectors.cycles and the cycle and
execution services.

Every member reads cycles and their dashboards; project managers, consultants and key users
plan them and choose their scope. Testers find their scenarios on "My tests" and record
each run on one phone-sized screen that works without JavaScript.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from projects import policy
from projects.errors import ApplicationError
from projects.models import User
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial
from uat import charts
from uat.choices import DefectStatus, ExecutionResult
from uat.cycle_forms import CycleForm, RunForm, ScopeForm
from uat.selectors import cycles as selectors
from uat.selectors import scenarios as scenario_selectors
from uat.services import cycles as services
from uat.services import executions as execution_services

# A cycle can hold thousands of scenarios: the dashboard pages its scope table.
SCOPE_ROWS = 50


def _dashboard_url(project, cycle) -> str:
    return reverse("uat:cycle-dashboard", args=[project.code, cycle.pk])


def _run_url_prefix(project, cycle) -> str:
    """The run URL of the cycle up to the entry's pk: the scope table appends each entry's
    pk and "/" instead of reversing the URL once per row."""
    url = reverse("uat:run", args=[project.code, cycle.pk, 0])
    return url[: -len("0/")]


@project_view(Capability.VIEW_PROJECT)
@require_GET
def cycle_list(request, project):
    """The project's cycles, newest first, each with its progress and exit criteria."""
    cycles = list(selectors.cycle_list(user=request.user, project=project))
    statuses = selectors.cycle_statuses(cycles)
    rows = [(cycle, statuses[cycle.pk]) for cycle in cycles]
    context = {
        "project": project,
        "rows": rows,
        "can_manage": policy.can(request.user, project, Capability.MANAGE_TESTS),
    }
    return render(request, "uat/cycles/list.html", context)


def _form_page(request, project, form, cycle=None, status=200):
    context = {"project": project, "form": form, "cycle": cycle}
    return render(request, "uat/cycles/form.html", context, status=status)


@project_view(Capability.MANAGE_TESTS)
@require_http_methods(["GET", "POST"])
def cycle_create(request, project):
    """Plan a new test cycle."""
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_create(actor=request.user, project=project, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Test cycle %(name)s planned.") % {"name": cycle.name})
            return redirect(reverse("uat:cycle-scope", args=[project.code, cycle.pk]))
    return _form_page(request, project, form, status=UNPROCESSABLE if form.is_bound else 200)


@project_view(Capability.MANAGE_TESTS)
@require_http_methods(["GET", "POST"])
def cycle_edit(request, project, pk):
    """Change a cycle's dates, environment, entry criteria and exit thresholds."""
    cycle = selectors.cycle_get(user=request.user, project=project, pk=pk)
    form = CycleForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.cycle_update(actor=request.user, cycle=cycle, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Test cycle saved."))
            return redirect(_dashboard_url(project, cycle))
    status = UNPROCESSABLE if form.is_bound else 200
    return _form_page(request, project, form, cycle, status=status)


@project_view(Capability.MANAGE_TESTS)
@require_http_methods(["GET", "POST"])
def cycle_scope(request, project, pk):
    """Tick the scenarios in scope and assign each to testers."""
    cycle = selectors.cycle_get(user=request.user, project=project, pk=pk)
    scenarios = scenario_selectors.scenario_list(user=request.user, project=project)
    testers = User.objects.filter(pk__in=services.testers_of(project)).order_by(
        "last_name", "first_name", "username"
    )
    current = {
        entry.scenario_id: [user.pk for user in entry.assignee_list]
        for entry in selectors.scope_list(user=request.user, cycle=cycle)
    }
    form = ScopeForm(
        request.POST if request.method == "POST" else None,
        scenarios=scenarios,
        testers=list(testers),
        current=current,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_set_scope(
                actor=request.user, cycle=cycle, scenario_assignments=form.assignments()
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Scope saved."))
            return redirect(_dashboard_url(project, cycle))
    context = {"project": project, "cycle": cycle, "form": form}
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "uat/cycles/scope.html", context, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def cycle_dashboard(request, project, pk):
    """Progress, pass rate, defects, the daily trend and the exit criteria of one cycle."""
    cycle = selectors.cycle_get(user=request.user, project=project, pk=pk)
    defect_counts = selectors.defect_counts(cycle)  # one count for the status and the table
    status = selectors.cycle_status(cycle, defect_counts=defect_counts)
    trend = selectors.execution_trend(cycle)
    scope = Paginator(selectors.scope_list(user=request.user, cycle=cycle), SCOPE_ROWS)
    scope.count = status.planned  # the status counted the scope already: no second COUNT
    page = scope.get_page(request.GET.get("page"))
    context = {
        "project": project,
        "cycle": cycle,
        "status": status,
        "entries": page.object_list,
        "page": page,
        "defect_statuses": DefectStatus.labels,
        "defect_rows": selectors.defects_by_severity_and_status(cycle, counts=defect_counts),
        "trend": mark_safe(  # noqa: S308 - rendered by our own template, values escaped there
            charts.render_svg(cycle=cycle, trend=trend, today=project.local_today())
        ),
        "percent_done": round(100 * status.executed / status.planned) if status.planned else 0,
        "can_manage": policy.can(request.user, project, Capability.MANAGE_TESTS),
        "can_run": policy.can(request.user, project, Capability.RUN_TESTS),
        "run_url_prefix": _run_url_prefix(project, cycle),
    }
    return render(request, "uat/cycles/dashboard.html", context)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def my_tests(request, project):
    """The current cycle's scenarios assigned to me, what is left first."""
    cycle = selectors.current_cycle(user=request.user, project=project)
    entries = list(selectors.my_entries(user=request.user, cycle=cycle)) if cycle else []
    done = [e for e in entries if e.latest not in (None, ExecutionResult.NOT_RUN)]
    left = [e for e in entries if e.latest in (None, ExecutionResult.NOT_RUN)]
    context = {"project": project, "cycle": cycle, "left": left, "done": done}
    return render(request, "uat/cycles/my_tests.html", context)


@project_view(Capability.RUN_TESTS)
@require_http_methods(["GET", "POST"])
def run(request, project, pk, entry_pk):
    """One scenario's steps and the form to record the run (and a defect when it fails)."""
    cycle = selectors.cycle_get(user=request.user, project=project, pk=pk)
    entry = selectors.entry_get(user=request.user, cycle=cycle, pk=entry_pk)
    if not execution_services.may_run(request.user, entry):
        raise PermissionDenied(_("This scenario is not assigned to you in this cycle."))
    scenario = entry.scenario
    steps = list(scenario.steps.all())
    form = RunForm(request.POST or None, request.FILES or None, scenario=scenario, steps=steps)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            execution_services.execution_record(
                actor=request.user,
                entry=entry,
                result=data["result"],
                actual_result=data["actual_result"],
                notes=data["notes"],
                failed_step=data["failed_step"],
                defect=form.defect_data(),
                attachments=[data["attachment"]] if data.get("attachment") else [],
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Run of %(code)s saved.") % {"code": scenario.code})
            target = reverse("uat:my-tests", args=[project.code])
            if is_partial(request):
                return HttpResponseClientRedirect(target)
            return redirect(target)
    context = {
        "project": project,
        "cycle": cycle,
        "entry": entry,
        "scenario": scenario,
        "steps": steps,
        "form": form,
        "runs": selectors.entry_runs(user=request.user, entry=entry)[:5],
    }
    status = UNPROCESSABLE if form.is_bound else 200
    template = "uat/cycles/run.html#run-form" if is_partial(request) else "uat/cycles/run.html"
    return render(request, template, context, status=status)


urlpatterns = [
    path("cycles/", cycle_list, name="cycle-list"),
    path("cycles/new/", cycle_create, name="cycle-create"),
    path("cycles/<int:pk>/", cycle_dashboard, name="cycle-dashboard"),
    path("cycles/<int:pk>/edit/", cycle_edit, name="cycle-edit"),
    path("cycles/<int:pk>/scope/", cycle_scope, name="cycle-scope"),
    path("cycles/<int:pk>/run/<int:entry_pk>/", run, name="run"),
    path("my-tests/", my_tests, name="my-tests"),
]
