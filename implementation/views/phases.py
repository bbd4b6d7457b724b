"""Pages for phases, gates and checklists: doors onto implementation.services.phases."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from implementation import timeline
from implementation.phase_forms import (
    ChecklistItemForm,
    ChecklistItemQuickForm,
    PhaseCompleteForm,
    PhaseForm,
    PhaseReopenForm,
)
from implementation.selectors import phases as selectors
from implementation.services import phases as services
from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial

CHECKLIST_CHANGED = "checklistChanged"


def _phase_context(request, project, phase, **extra):
    today = project.local_today()
    items = list(phase.checklist_items.all())
    for item in items:
        item.overdue = phase.is_open and item.is_overdue(today)
    can_edit = policy.can(request.user, project, Capability.EDIT_PLAN)
    return {
        "project": project,
        "phase": phase,
        "items": items,
        "done_count": sum(item.is_done for item in items),
        "open_mandatory": [i for i in items if i.is_mandatory and not i.is_done],
        "transitions": list(phase.transitions.all()),
        "can_edit": can_edit,
        "can_waive": policy.can(request.user, project, Capability.WAIVE_GATE),
        "is_locked": phase.status == "completed",
        "quick_form": ChecklistItemQuickForm(),
        "user_pk": request.user.pk,
        **extra,
    }


def _item_row(request, project, item, status=200, form=None):
    item.overdue = item.phase.is_open and item.is_overdue(project.local_today())
    context = {
        "project": project,
        "phase": item.phase,
        "item": item,
        "can_edit": policy.can(request.user, project, Capability.EDIT_PLAN),
        "is_locked": item.phase.status == "completed",
        "user_pk": request.user.pk,
        "row_error": form,
    }
    response = render(request, "implementation/phases/detail.html#item-row", context, status=status)
    if status == 200:
        trigger_client_event(response, CHECKLIST_CHANGED)
    return response


def _errors_as_message(request, error) -> None:
    if isinstance(error, ApplicationError):
        messages.error(request, error.message)
    else:
        for text in error.messages:
            messages.error(request, text)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def phase_detail(request, project, kind):
    phase = selectors.phase_get(user=request.user, project=project, kind=kind)
    return render(
        request, "implementation/phases/detail.html", _phase_context(request, project, phase)
    )


@project_view(Capability.VIEW_PROJECT)
@require_GET
def phase_progress(request, project, kind):
    """The progress counter of a phase, refreshed after each tick."""
    phase = selectors.phase_get(user=request.user, project=project, kind=kind)
    return render(
        request,
        "implementation/phases/detail.html#progress",
        _phase_context(request, project, phase),
    )


@project_view(Capability.EDIT_PLAN)
@require_http_methods(["GET", "POST"])
def phase_edit(request, project, kind):
    phase = selectors.phase_get(user=request.user, project=project, kind=kind)
    form = PhaseForm(request.POST or None, instance=phase, project=project)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.phase_update(actor=request.user, phase=phase, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Phase saved."))
            return redirect(phase)
    status = UNPROCESSABLE if form.is_bound else 200
    return render(
        request,
        "implementation/phases/form.html",
        {"project": project, "phase": phase, "form": form},
        status=status,
    )


@project_view(Capability.EDIT_PLAN)
@require_POST
def phase_start(request, project, kind):
    phase = selectors.phase_get(user=request.user, project=project, kind=kind)
    try:
        services.phase_start(actor=request.user, phase=phase)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(phase)s started.") % {"phase": phase.get_kind_display()})
    return redirect(phase)


def _phase_move_page(request, project, kind, *, action, form_class, move, done_message):
    """The confirm page of a phase move that asks for words (a waiver, a reason)."""
    phase = selectors.phase_get(user=request.user, project=project, kind=kind)
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            move(actor=request.user, phase=phase, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, done_message % {"phase": phase.get_kind_display()})
            return redirect(phase)
    context = _phase_context(request, project, phase, form=form, action=action)
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "implementation/phases/move.html", context, status=status)


@project_view(Capability.EDIT_PLAN)
@require_http_methods(["GET", "POST"])
def phase_complete(request, project, kind):
    return _phase_move_page(
        request,
        project,
        kind,
        action="complete",
        form_class=PhaseCompleteForm,
        move=services.phase_complete,
        done_message=_("%(phase)s completed."),
    )


@project_view(Capability.EDIT_PLAN)
@require_http_methods(["GET", "POST"])
def phase_reopen(request, project, kind):
    return _phase_move_page(
        request,
        project,
        kind,
        action="reopen",
        form_class=PhaseReopenForm,
        move=services.phase_reopen,
        done_message=_("%(phase)s reopened."),
    )


# --- Checklist ----------------------------------------------------------------------------


@project_view(Capability.EDIT_PLAN)
@require_POST
def item_add(request, project, kind):
    phase = selectors.phase_get(user=request.user, project=project, kind=kind)
    form = ChecklistItemQuickForm(request.POST)
    if form.is_valid():
        try:
            item = services.checklist_item_create(
                actor=request.user,
                phase=phase,
                title=form.cleaned_data["title"],
                kind="criterion",
                is_mandatory=form.cleaned_data["is_mandatory"],
                due_date=phase.planned_end,
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if is_partial(request):
                item.phase = phase
                return _item_row(request, project, item)
            messages.success(request, _("Item added."))
            return redirect(phase)
    if is_partial(request):
        response = render(
            request,
            "implementation/phases/detail.html#quick-form",
            {"project": project, "phase": phase, "quick_form": form},
            status=UNPROCESSABLE,
        )
        response["HX-Retarget"] = "#item-add"
        response["HX-Reswap"] = "outerHTML"
        return response
    context = _phase_context(request, project, phase, quick_form=form)
    return render(request, "implementation/phases/detail.html", context, status=UNPROCESSABLE)


@project_view(Capability.VIEW_PROJECT)
@require_http_methods(["GET", "POST"])
def item_edit(request, project, pk):
    item = selectors.checklist_item_get(user=request.user, project=project, pk=pk)
    if not policy.can_tick_checklist_item(request.user, item):
        policy.ensure(request.user, project, Capability.EDIT_PLAN)
    form = ChecklistItemForm(
        request.POST or None, request.FILES or None, instance=item, project=project
    )
    if not policy.can(request.user, project, Capability.EDIT_PLAN):
        # An owner who is not a plan editor only attaches evidence.
        for name in list(form.fields):
            if name not in services.EVIDENCE_FIELDS:
                del form.fields[name]
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes.get("evidence_file") is False:  # "clear" ticked
            changes["evidence_file"] = ""
        try:
            saved = services.checklist_item_update(actor=request.user, item=item, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if is_partial(request):
                saved.phase = item.phase
                return _item_row(request, project, saved)
            messages.success(request, _("Item saved."))
            return redirect(item.phase)
    status = UNPROCESSABLE if form.is_bound else 200
    context = {"project": project, "phase": item.phase, "item": item, "form": form}
    if is_partial(request):
        # Edit in place: the row turns into its form.
        return render(
            request, "implementation/phases/detail.html#item-edit-row", context, status=status
        )
    return render(request, "implementation/phases/item_form.html", context, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_POST
def item_toggle(request, project, pk):
    """Tick or untick; plan editors and the item's owner may."""
    item = selectors.checklist_item_get(user=request.user, project=project, pk=pk)
    try:
        item = services.checklist_item_set_done(
            actor=request.user, item=item, is_done=request.POST.get("done") == "1"
        )
    except ApplicationError as error:
        if is_partial(request):
            return _item_row(request, project, item, UNPROCESSABLE, error.message)
        messages.error(request, error.message)
    if is_partial(request):
        return _item_row(request, project, item)
    return redirect(item.phase)


@project_view(Capability.EDIT_PLAN)
@require_POST
def item_move(request, project, pk):
    item = selectors.checklist_item_get(user=request.user, project=project, pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.checklist_item_move(actor=request.user, item=item, offset=offset)
    except ApplicationError as error:
        messages.error(request, error.message)
    if is_partial(request):
        phase = selectors.phase_get(user=request.user, project=project, kind=item.phase.kind)
        return render(
            request,
            "implementation/phases/detail.html#checklist",
            _phase_context(request, project, phase),
        )
    return redirect(item.phase)


@project_view(Capability.EDIT_PLAN)
@require_POST
def item_delete(request, project, pk):
    item = selectors.checklist_item_get(user=request.user, project=project, pk=pk)
    try:
        services.checklist_item_delete(actor=request.user, item=item)
    except ApplicationError as error:
        if is_partial(request):
            return _item_row(request, project, item, UNPROCESSABLE, error.message)
        messages.error(request, error.message)
        return redirect(item.phase)
    if is_partial(request):
        return trigger_client_event(HttpResponse(""), CHECKLIST_CHANGED)
    messages.success(request, _("Item removed."))
    return redirect(item.phase)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def item_evidence(request, project, pk):
    """Evidence files are served through the policy, never from a public URL."""
    item = selectors.checklist_item_get(user=request.user, project=project, pk=pk)
    if not item.evidence_file:
        raise Http404(_("No evidence file."))
    return FileResponse(
        item.evidence_file.open("rb"),
        as_attachment=True,
        filename=item.evidence_file.name.rsplit("/", 1)[-1],
    )


@project_view(Capability.VIEW_PROJECT)
@require_GET
def timeline_svg(request, project):
    """The phase timeline as a standalone SVG image (the same drawing goes into PDFs)."""
    phases = list(selectors.phases_with_progress(user=request.user, project=project))
    svg = timeline.render_svg(project=project, phases=phases, standalone=True)
    return HttpResponse(svg, content_type="image/svg+xml")


urlpatterns = [
    path("timeline.svg", timeline_svg, name="timeline"),
    path("phases/<str:kind>/", phase_detail, name="phase"),
    path("phases/<str:kind>/progress/", phase_progress, name="phase-progress"),
    path("phases/<str:kind>/edit/", phase_edit, name="phase-edit"),
    path("phases/<str:kind>/start/", phase_start, name="phase-start"),
    path("phases/<str:kind>/complete/", phase_complete, name="phase-complete"),
    path("phases/<str:kind>/reopen/", phase_reopen, name="phase-reopen"),
    path("phases/<str:kind>/items/add/", item_add, name="item-add"),
    path("items/<int:pk>/edit/", item_edit, name="item-edit"),
    path("items/<int:pk>/toggle/", item_toggle, name="item-toggle"),
    path("items/<int:pk>/move/", item_move, name="item-move"),
    path("items/<int:pk>/delete/", item_delete, name="item-delete"),
    path("items/<int:pk>/evidence/", item_evidence, name="item-evidence"),
]
