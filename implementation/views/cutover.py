"""Cutover pages: the plan of ordered tasks, rehearsals, and the go-live weekend's
run-sheet with its live part that refreshes itself.

Doors onto implementation.selectors.golive_cutover and implementation.services.cutover.
Reading needs only to see the project; the plan and rehearsals need MANAGE_CUTOVER; moving
a task on the run-sheet is for cutover managers and the task's owner, which the service
decides. Every page works without JavaScript: with htmx, moves answer the live part.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from implementation.choices import CUTOVER_TRANSITIONS, CutoverStatus
from implementation.cutover_forms import CutoverTaskForm, MoveForm, RehearsalForm
from implementation.selectors import golive_cutover as selectors
from implementation.services import cutover as services
from implementation.services.golive import golive_plan_of
from implementation.views.configuration import in_project_time_zone
from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial

LIVE_TEMPLATE = "implementation/golive/cutover/run_sheet.html#live"


def _plan_settings_url(project) -> str | None:
    """The readiness area's go-live plan page, when that page exists."""
    try:
        return reverse("golive:plan", args=[project.code])
    except NoReverseMatch:
        return None


def _plan_url(project) -> str:
    return reverse("golive:cutover", args=[project.code])


def _run_sheet_url(project) -> str:
    return reverse("golive:run-sheet", args=[project.code])


# --- Plan ---------------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def plan(request, project):
    """The plan in order with what each task lacks, the freeze and rollback, rehearsals."""
    rows = selectors.cutover_plan(user=request.user, project=project)
    context = {
        "project": project,
        "rows": rows,
        "incomplete": sum(1 for row in rows if row.gaps),
        "golive_plan": golive_plan_of(project),
        "rehearsals": selectors.rehearsal_list(user=request.user, project=project),
        "plan_settings_url": (
            _plan_settings_url(project)
            if policy.can(request.user, project, Capability.MANAGE_GO_LIVE)
            else None
        ),
        "can_manage": policy.can(request.user, project, Capability.MANAGE_CUTOVER),
    }
    return render(request, "implementation/golive/cutover/plan.html", context)


def _task_form_page(request, project, form, *, task=None, status=200):
    context = {"project": project, "form": form, "task": task}
    return render(request, "implementation/golive/cutover/task_form.html", context, status=status)


@project_view(Capability.MANAGE_CUTOVER)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def task_create(request, project):
    form = CutoverTaskForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.cutover_task_create(
                actor=request.user, project=project, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("%(task)s added to the plan.") % {"task": task})
            return redirect(_plan_url(project))
    return _task_form_page(request, project, form, status=UNPROCESSABLE if form.is_bound else 200)


@project_view(Capability.MANAGE_CUTOVER)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def task_edit(request, project, number):
    task = selectors.cutover_task_get(user=request.user, project=project, number=number)
    form = CutoverTaskForm(request.POST or None, instance=task, project=project)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            task = services.cutover_task_update(actor=request.user, task=task, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("%(task)s saved.") % {"task": task})
            return redirect(_plan_url(project))
    status = UNPROCESSABLE if form.is_bound else 200
    return _task_form_page(request, project, form, task=task, status=status)


@project_view(Capability.MANAGE_CUTOVER)
@require_http_methods(["GET", "POST"])
def rehearsal_create(request, project):
    """Record a dress rehearsal once it is held."""
    form = RehearsalForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.rehearsal_record(actor=request.user, project=project, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Rehearsal recorded."))
            return redirect(_plan_url(project))
    status = UNPROCESSABLE if form.is_bound else 200
    return render(
        request,
        "implementation/golive/cutover/rehearsal_form.html",
        {"project": project, "form": form},
        status=status,
    )


# --- Run-sheet ----------------------------------------------------------------------------


def _with_moves(request, project, rows) -> list[dict]:
    """Each task with the moves the user may make on it, from the same map the service
    checks, so the buttons and the rules cannot drift apart."""
    out = []
    for row in rows:
        task = row.task
        allowed = CUTOVER_TRANSITIONS.get(task.status, set())
        can_run = policy.can_run_cutover_task(request.user, task)
        start = can_run and CutoverStatus.IN_PROGRESS in allowed
        if task.actual_start is None:  # never ran: waits for its dependencies
            start = start and row.is_ready
        out.append(
            {
                "row": row,
                "task": task,
                "can_start": start,
                "can_finish": can_run and CutoverStatus.DONE in allowed,
                "can_block": can_run and CutoverStatus.BLOCKED in allowed,
            }
        )
    return out


def _live_context(request, project, error: str = "", notice: str = "") -> dict:
    sheet = selectors.run_sheet(project, timezone.now())
    return {
        "project": project,
        "sheet": sheet,
        "running": _with_moves(request, project, sheet.running),
        "late": _with_moves(request, project, sheet.late),
        "next": _with_moves(request, project, sheet.next),
        "blocked": _with_moves(request, project, sheet.blocked),
        "done": _with_moves(request, project, sheet.done),
        "error": error,
        "notice": notice,
        # The live part keeps the Done list open across refreshes when the reader opened it.
        "done_open": (request.POST or request.GET).get("done_open") == "true",
    }


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def run_sheet(request, project):
    """The go-live weekend on a phone: running, late, next, blocked and done tasks."""
    context = {
        **_live_context(request, project),
        "can_manage": policy.can(request.user, project, Capability.MANAGE_CUTOVER),
    }
    return render(request, "implementation/golive/cutover/run_sheet.html", context)


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def run_sheet_live(request, project):
    """Only the live part of the run-sheet, which polls this every 30 seconds."""
    response = render(request, LIVE_TEMPLATE, _live_context(request, project))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _messages_of(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_POST
def task_move(request, project, number):
    """Start, finish, block (with a reason) or take up a task again."""
    task = selectors.cutover_task_get(user=request.user, project=project, number=number)
    services.ensure_may_move_task(request.user, task)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            task = services.cutover_task_move(
                actor=request.user,
                task=task,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
    if form.errors:
        error = _("%(task)s: %(reason)s") % {
            "task": task.display_number,
            "reason": _messages_of(form),
        }
        if is_partial(request):
            return render(
                request, LIVE_TEMPLATE, _live_context(request, project, error), status=UNPROCESSABLE
            )
        messages.error(request, error)
        return redirect(_run_sheet_url(project))
    notice = _("%(task)s is now %(status)s.") % {
        "task": task.display_number,
        "status": task.get_status_display().lower(),
    }
    if is_partial(request):
        return render(request, LIVE_TEMPLATE, _live_context(request, project, notice=notice))
    messages.success(request, notice)
    return redirect(_run_sheet_url(project))


urlpatterns = [
    path("cutover/", plan, name="cutover"),
    path("cutover/new/", task_create, name="cutover-task-new"),
    path("cutover/<int:number>/edit/", task_edit, name="cutover-task-edit"),
    path("cutover/<int:number>/move/", task_move, name="cutover-task-move"),
    path("cutover/rehearsals/new/", rehearsal_create, name="rehearsal-new"),
    path("cutover/run-sheet/", run_sheet, name="run-sheet"),
    path("cutover/run-sheet/live/", run_sheet_live, name="run-sheet-live"),
]
