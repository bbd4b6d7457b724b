"""Pages for projects and teams: thin doors onto selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from implementation import timeline
from implementation.selectors import phases as phase_selectors
from projects import health, policy, selectors, services
from projects.choices import Department, PdfStatus, Role
from projects.errors import ApplicationError
from projects.filters import ProjectFilter
from projects.forms import (
    MembershipAddForm,
    MembershipChangeForm,
    MembershipGoLiveRolesForm,
    ProjectCreateForm,
    ProjectEditForm,
)
from projects.policy import AUTHENTICATED, PUBLIC, Capability, declare, project_view
from projects.web import (
    UNPROCESSABLE,
    apply_error,
    is_partial,
    paginate,
    query_without_page,
)
from uat.selectors import signoffs as signoff_selectors

TEAM_CHANGED = "teamChanged"


@declare(PUBLIC)
@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("projects:list")
    return redirect("login")


@declare(AUTHENTICATED)
@login_required
@require_GET
def project_list(request):
    """My projects: the portfolio with current phase, days to go-live and health."""
    project_filter = ProjectFilter(request.GET, queryset=selectors.project_list(user=request.user))
    page = paginate(request, project_filter.qs)
    facts = health.load_facts(page.object_list)
    rows = [
        {
            "project": project,
            "role": Role(project.viewer_role).label if project.viewer_role else "",
            "current_phase": health.current_phase(facts[project.pk].phases),
            "health": health.evaluate(facts[project.pk]),
        }
        for project in page.object_list
    ]
    context = {
        "filter": project_filter,
        "page": page,
        "rows": rows,
        "query": query_without_page(request),
        "can_create": policy.can_create_project(request.user),
    }
    template = "projects/list.html#results" if is_partial(request) else "projects/list.html"
    return render(request, template, context)


@declare(AUTHENTICATED)
@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    policy.ensure_can_create_project(request.user)
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_create(actor=request.user, **data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request, _("Project %(code)s created with its six phases.") % {"code": project.code}
            )
            return redirect(project)
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "projects/form.html", {"form": form}, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def project_detail(request, project):
    """The project page: health and why, timeline, phase board, overdue items, team gaps."""
    facts = health.load_facts([project])[project.pk]
    phases = list(phase_selectors.phases_with_progress(user=request.user, project=project))
    for phase in phases:
        phase.project = project
    context = {
        "project": project,
        "health": health.evaluate(facts),
        "phases": phases,
        "current_phase": health.current_phase(phases),
        "timeline": timeline.render_svg(project=project, phases=phases),
        "overdue_items": phase_selectors.overdue_items(user=request.user, project=project),
        "coverage_gaps": health.team_coverage_gaps(facts.team)
        + health.champion_gaps(facts.team, facts.champions, facts.end_user_departments),
        "team_size": len(facts.team),
        "can_edit": policy.can(request.user, project, Capability.EDIT_PROJECT),
        "role": policy.role_in(request.user, project),
        "signoffs": _latest_signoffs(request.user, project),
    }
    return render(request, "projects/detail.html", context)


def _latest_signoffs(user, project, count: int = 5) -> list[dict]:
    """The newest sign-offs and their ready PDF, so executives download from the project page."""
    rows = []
    # Only the sign-off, its subject and its PDF are shown: no need for the people.
    latest = signoff_selectors.signoff_list(user=user, project=project).prefetch_related(None)
    for signoff in latest[:count]:
        pdf = getattr(signoff, "pdf", None)
        rows.append(
            {"signoff": signoff, "pdf": pdf if pdf and pdf.status == PdfStatus.READY else None}
        )
    return rows


@project_view(Capability.EDIT_PROJECT)
@require_http_methods(["GET", "POST"])
def project_edit(request, project):
    form = ProjectEditForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.project_update(actor=request.user, project=project, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Project details saved."))
            return redirect(project)
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "projects/form.html", {"form": form, "project": project}, status=status)


# --- Team ---------------------------------------------------------------------------------


def _team_context(request, project, add_form=None):
    from implementation.services.reminders import reminder_overview

    members = selectors.membership_list(user=request.user, project=project)
    return {
        "project": project,
        "members": members,
        # Weekly review e-mails: the reader's own switch; opt-outs and failures for managers.
        "my_membership": next((m for m in members if m.user_id == request.user.pk), None),
        "reminders": reminder_overview(user=request.user, project=project),
        "coverage_gaps": health.team_coverage_gaps(
            project.memberships.values_list("role", "department")
        )
        + health.project_champion_gaps(project),
        "can_manage": policy.can(request.user, project, Capability.MANAGE_TEAM),
        "add_form": add_form or MembershipAddForm(),
        "roles": Role.choices,
        "departments": Department.choices,
    }


def _member(request, project, pk):
    membership = selectors.membership_list(user=request.user, project=project).filter(pk=pk).first()
    if membership is None:
        raise Http404(_("No membership matches the given query."))
    return membership


def _row_response(request, project, membership, form=None, status=200, roles_form=None):
    context = {
        "project": project,
        "member": membership,
        "can_manage": True,
        "row_form": form,
        "roles_form": roles_form,
        "roles": Role.choices,
        "departments": Department.choices,
    }
    response = render(request, "projects/team.html#member-row", context, status=status)
    if status == 200:
        trigger_client_event(response, TEAM_CHANGED)
    return response


@project_view(Capability.VIEW_PROJECT)
@require_GET
def team(request, project):
    return render(request, "projects/team.html", _team_context(request, project))


@project_view(Capability.VIEW_PROJECT)
@require_GET
def team_coverage(request, project):
    return render(request, "projects/team.html#coverage", _team_context(request, project))


@project_view(Capability.MANAGE_TEAM)
@require_POST
def member_add(request, project):
    form = MembershipAddForm(request.POST)
    if form.is_valid():
        try:
            membership = services.membership_add(
                actor=request.user,
                project=project,
                user=form.cleaned_data["person"],
                role=form.cleaned_data["role"],
                department=form.cleaned_data["department"],
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if is_partial(request):
                return _row_response(request, project, membership)
            messages.success(request, _("%(user)s joined the team.") % {"user": membership.user})
            return redirect("projects:team", code=project.code)
    if is_partial(request):
        response = render(
            request,
            "projects/team.html#add-form",
            {"project": project, "add_form": form},
            status=UNPROCESSABLE,
        )
        response["HX-Retarget"] = "#member-add"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(
        request, "projects/team.html", _team_context(request, project, form), status=UNPROCESSABLE
    )


@project_view(Capability.MANAGE_TEAM)
@require_POST
def member_change(request, project, pk):
    """Change a member's role and department, or, from the row's second form, their go-live
    roles (digital champion, hypercare team)."""
    membership = _member(request, project, pk)
    if MembershipGoLiveRolesForm.MARKER in request.POST:
        return _member_go_live_roles(request, project, membership)
    form = MembershipChangeForm(request.POST)
    error_form = form
    if form.is_valid():
        try:
            membership = services.membership_change(
                actor=request.user, membership=membership, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            error_form = None
            if not is_partial(request):
                messages.success(request, _("%(user)s's role saved.") % {"user": membership.user})
    if is_partial(request):
        status = UNPROCESSABLE if error_form else 200
        return _row_response(request, project, membership, error_form, status)
    if error_form:
        for error in error_form.non_field_errors() or [_("Please choose a role and department.")]:
            messages.error(request, error)
    return redirect("projects:team", code=project.code)


def _member_go_live_roles(request, project, membership):
    form = MembershipGoLiveRolesForm(request.POST)
    # Two booleans: any POST is valid, a missing box is a role taken off.
    form.is_valid()
    try:
        membership = services.membership_set_go_live_roles(
            actor=request.user, membership=membership, **form.cleaned_data
        )
    except (ApplicationError, ValidationError) as error:
        apply_error(form, error)
        if is_partial(request):
            return _row_response(
                request, project, membership, status=UNPROCESSABLE, roles_form=form
            )
        for message in form.non_field_errors():
            messages.error(request, message)
        return redirect("projects:team", code=project.code)
    if is_partial(request):
        return _row_response(request, project, membership)
    messages.success(request, _("%(user)s's go-live roles saved.") % {"user": membership.user})
    return redirect("projects:team", code=project.code)


@project_view(Capability.MANAGE_TEAM)
@require_POST
def member_remove(request, project, pk):
    membership = _member(request, project, pk)
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except ApplicationError as error:
        if is_partial(request):
            form = MembershipChangeForm(
                {"role": membership.role, "department": membership.department}
            )
            form.is_valid()
            apply_error(form, error)
            return _row_response(request, project, membership, form, UNPROCESSABLE)
        messages.error(request, error.message)
        return redirect("projects:team", code=project.code)
    if is_partial(request):
        return trigger_client_event(HttpResponse(""), TEAM_CHANGED)
    messages.success(request, _("%(user)s left the team.") % {"user": membership.user})
    return redirect("projects:team", code=project.code)
