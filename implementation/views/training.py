"""Go-live readiness pages: the communication plan, the end-user roster, training sessions
and training coverage. Doors onto implementation.selectors.golive_training and
implementation.services.training.

Every member reads them; training managers (project manager, consultants, key users:
MANAGE_TRAINING) plan activities and sessions, keep the roster, invite and record who came.
Dates and times are shown and entered in the project's time zone.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from implementation.choices import ActivityStatus, CommunicationKind
from implementation.golive_rules import percent_text
from implementation.models import EndUser
from implementation.selectors import golive_training as selectors
from implementation.services import training as services
from implementation.training_forms import (
    ActivityFilterForm,
    ActivityForm,
    AttendanceForm,
    DepartmentFilterForm,
    EndUserForm,
    EndUserImportForm,
    InviteForm,
    SessionForm,
    UninviteForm,
)
from implementation.views.configuration import in_project_time_zone
from projects import policy
from projects.choices import Department
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial, paginate, query_without_page

TEMPLATES = "implementation/golive"
ROSTER_PAGE_SIZE = 50


def _url(name: str, project, *args) -> str:
    return reverse(f"golive:{name}", args=[project.code, *args])


def _done(request, url: str, message: str):
    """After a write: a message, then the page (a full reload for htmx)."""
    messages.success(request, message)
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _render(request, template: str, context: dict, *, status: int = 200, partial: str = ""):
    """The page, or only its named partial for an htmx request that is not boosted."""
    if partial and is_partial(request):
        template += f"#{partial}"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _can_manage(request, project) -> bool:
    return policy.can(request.user, project, Capability.MANAGE_TRAINING)


# --- Communication plan --------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def communication(request, project):
    """The plan by date with its overdue activities flagged, filtered by status and kind."""
    filter_form = ActivityFilterForm(request.GET or None)
    filters = filter_form.filters()
    today = project.local_today()
    activities = selectors.activity_list(user=request.user, project=project, **filters)
    rows = [
        {
            "activity": activity,
            "overdue": activity.status == ActivityStatus.PLANNED and activity.planned_on < today,
        }
        for activity in activities
    ]
    counts = selectors.activity_kind_counts(user=request.user, project=project)
    context = {
        "project": project,
        "rows": rows,
        "filter_form": filter_form,
        "filtered": any(filters.values()),
        "overdue_count": sum(row["overdue"] for row in rows),
        "kind_counts": [
            {"kind": value, "label": label, "count": counts.get(value, 0)}
            for value, label in CommunicationKind.choices
        ],
        "total": sum(counts.values()),
        "can_manage": _can_manage(request, project),
    }
    return _render(request, f"{TEMPLATES}/communication/list.html", context, partial="results")


def _form_page(request, project, form, template: str, partial: str, **context):
    """A create or edit page: 422 with the errors when a posted form comes back."""
    status = UNPROCESSABLE if form.is_bound else 200
    context = {"project": project, "form": form, **context}
    return _render(request, f"{TEMPLATES}/{template}", context, status=status, partial=partial)


def _activity_form_page(request, project, form, activity=None):
    return _form_page(
        request, project, form, "communication/form.html", "activity-form", activity=activity
    )


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def communication_create(request, project):
    """Plan a communication activity; its owner comes from the team."""
    form = ActivityForm(
        request.POST if request.method == "POST" else None,
        team=selectors.team_members(project),
        initial={"owner": request.user.pk, "planned_on": project.local_today()},
    )
    if form.is_bound and form.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user, project=project, **form.service_arguments()
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                _url("communication", project),
                _("%(title)s added to the communication plan.") % {"title": activity.title},
            )
    return _activity_form_page(request, project, form)


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def communication_edit(request, project, pk):
    """Change an activity, for example mark it done."""
    activity = selectors.activity_get(user=request.user, project=project, pk=pk)
    form = ActivityForm(
        request.POST if request.method == "POST" else None,
        instance=activity,
        team=selectors.team_members(project),
    )
    if form.is_bound and form.is_valid():
        try:
            services.activity_update(
                actor=request.user, activity=activity, **form.service_arguments(changed_only=True)
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(request, _url("communication", project), _("Activity saved."))
    return _activity_form_page(request, project, form, activity)


# --- Training coverage and sessions ---------------------------------------------------------


def _coverage_row(row, threshold, label: str) -> dict:
    met = row.meets(threshold)
    return {
        "label": label,
        "planned": row.planned,
        "trained": row.trained,
        "percent": percent_text(row.percent),
        # A plain string, so the CSS width is never written with a localised comma.
        "width": f"{min(row.percent, 100):f}",
        "met": met,
    }


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def training(request, project):
    """Coverage per department against the project's threshold, and the sessions."""
    cover = selectors.training_coverage(user=request.user, project=project)
    now = timezone.now()
    sessions = list(selectors.session_list(user=request.user, project=project))
    context = {
        "project": project,
        "rows": [
            _coverage_row(row, cover.threshold, Department(row.department).label)
            for row in cover.rows
        ],
        "total": _coverage_row(cover.total, cover.threshold, _("All departments")),
        "threshold": percent_text(cover.threshold),
        "upcoming": [s for s in sessions if s.starts_at >= now],
        "past": [s for s in reversed(sessions) if s.starts_at < now],
        "can_manage": _can_manage(request, project),
    }
    return _render(request, f"{TEMPLATES}/training/overview.html", context)


# --- End users -----------------------------------------------------------------------------


def _roster_context(request, project, add_form=None) -> dict:
    filter_form = DepartmentFilterForm(request.GET or None)
    end_users = selectors.end_user_list(
        user=request.user, project=project, department=filter_form.chosen()
    )
    team = selectors.team_members(project)
    return {
        "project": project,
        "filter_form": filter_form,
        "page": paginate(request, end_users, per_page=ROSTER_PAGE_SIZE),
        "query": query_without_page(request),
        "add_form": add_form or EndUserForm(team=team),
        "can_manage": _can_manage(request, project),
    }


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def end_users(request, project):
    """The roster by department; training managers add people here one at a time."""
    if request.method == "GET":
        return _render(
            request,
            f"{TEMPLATES}/training/end_users.html",
            _roster_context(request, project),
            partial="results",
        )
    policy.ensure(request.user, project, Capability.MANAGE_TRAINING)
    form = EndUserForm(request.POST, team=selectors.team_members(project))
    if form.is_valid():
        try:
            end_user = services.end_user_create(
                actor=request.user, project=project, **form.service_arguments()
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                _url("end-users", project),
                _("%(name)s added to the end users.") % {"name": end_user.name},
            )
    return _render(
        request,
        f"{TEMPLATES}/training/end_users.html",
        _roster_context(request, project, add_form=form),
        status=UNPROCESSABLE,
        partial="add-form",
    )


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def end_users_import(request, project):
    """Add many end users from CSV lines; one bad line adds nobody."""
    form = EndUserImportForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            added = services.end_users_import(
                actor=request.user, project=project, text=form.cleaned_data["text"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                _url("end-users", project),
                ngettext("%(count)d end user added.", "%(count)d end users added.", len(added))
                % {"count": len(added)},
            )
    context = {"project": project, "form": form}
    status = UNPROCESSABLE if form.is_bound else 200
    return _render(
        request, f"{TEMPLATES}/training/import.html", context, status=status, partial="import-form"
    )


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def end_user_edit(request, project, pk):
    end_user = selectors.end_user_get(user=request.user, project=project, pk=pk)
    form = EndUserForm(
        request.POST if request.method == "POST" else None,
        instance=end_user,
        team=selectors.team_members(project),
    )
    if form.is_bound and form.is_valid():
        try:
            services.end_user_update(
                actor=request.user, end_user=end_user, **form.service_arguments(changed_only=True)
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(request, _url("end-users", project), _("End user saved."))
    return _form_page(
        request, project, form, "training/end_user_form.html", "end-user-form", end_user=end_user
    )


# --- Training sessions ---------------------------------------------------------------------


def _session_form_page(request, project, form, session=None):
    return _form_page(
        request, project, form, "training/session_form.html", "session-form", session=session
    )


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def session_create(request, project):
    """Plan a session; the trainer comes from the team."""
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        team=selectors.team_members(project),
        time_zone=project.time_zone,
    )
    if form.is_bound and form.is_valid():
        try:
            session = services.session_create(
                actor=request.user, project=project, **form.service_arguments()
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(
                request,
                _url("session", project, session.pk),
                _("Session %(title)s planned: invite the end users.") % {"title": session.title},
            )
    return _session_form_page(request, project, form)


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def session_edit(request, project, pk):
    session = selectors.session_get(user=request.user, project=project, pk=pk)
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        instance=session,
        team=selectors.team_members(project),
        time_zone=project.time_zone,
    )
    if form.is_bound and form.is_valid():
        try:
            services.session_update(
                actor=request.user, session=session, **form.service_arguments(changed_only=True)
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            return _done(request, _url("session", project, session.pk), _("Session saved."))
    return _session_form_page(request, project, form, session)


def _invitable(project, session):
    return (
        EndUser.objects.filter(project=project)
        .exclude(attendances__session=session)
        .order_by("department", "name", "pk")
    )


def _session_page(request, project, session, *, status=200, partial="", **forms):
    attendances = list(selectors.session_attendance(user=request.user, session=session))
    attendance_form = forms.get("attendance_form") or AttendanceForm(attendances=attendances)
    context = {
        "project": project,
        "session": session,
        "ends_at": session.starts_at + datetime.timedelta(minutes=session.duration_minutes),
        "started": session.starts_at <= timezone.now(),
        "attendance_form": attendance_form,
        "attendance_rows": attendance_form.bound_rows(),
        "invite_form": forms.get("invite_form")
        or InviteForm(end_users=_invitable(project, session)),
        "can_manage": _can_manage(request, project),
        "uninvite_errors": forms.get("uninvite_errors", []),
    }
    return _render(
        request,
        f"{TEMPLATES}/training/session_detail.html",
        context,
        status=status,
        partial=partial,
    )


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def session(request, project, pk):
    """A session's details, who was invited and who came."""
    found = selectors.session_get(user=request.user, project=project, pk=pk)
    return _session_page(request, project, found)


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_POST
def session_invite(request, project, pk):
    """Invite a whole department, chosen end users, or both; the already invited stay."""
    found = selectors.session_get(user=request.user, project=project, pk=pk)
    form = InviteForm(request.POST, end_users=EndUser.objects.filter(project=project))
    if form.is_valid():
        chosen = list(form.cleaned_data["end_users"])
        department = form.cleaned_data["department"]
        if department:
            chosen += list(EndUser.objects.filter(project=project, department=department))
        try:
            count = services.session_invite(actor=request.user, session=found, end_users=chosen)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if count:
                text = ngettext(
                    "%(count)d end user invited.", "%(count)d end users invited.", count
                ) % {"count": count}
            else:
                text = _("Everyone chosen was already invited.")
            return _done(request, _url("session", project, found.pk), text)
    return _session_page(
        request, project, found, status=UNPROCESSABLE, partial="invite", invite_form=form
    )


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_POST
def session_uninvite(request, project, pk):
    """Take someone off the list, as long as nothing is recorded for them: whoever came or
    did not come stays, so that the session's attendance is never rewritten."""
    found = selectors.session_get(user=request.user, project=project, pk=pk)
    form = UninviteForm(request.POST, end_users=EndUser.objects.filter(project=project))
    if form.is_valid():
        end_user = form.cleaned_data["end_user"]
        try:
            services.attendance_remove(actor=request.user, session=found, end_user=end_user)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            text = _("%(name)s is no longer invited.") % {"name": end_user.name}
            return _done(request, _url("session", project, found.pk), text)
    return _session_page(
        request,
        project,
        found,
        status=UNPROCESSABLE,
        partial="attendance",
        uninvite_errors=[str(e) for errors in form.errors.values() for e in errors],
    )


@project_view(Capability.MANAGE_TRAINING)
@in_project_time_zone
@require_POST
def session_attendance(request, project, pk):
    """Save, in one go, who came, who did not and whose attendance is not known yet."""
    found = selectors.session_get(user=request.user, project=project, pk=pk)
    attendances = list(selectors.session_attendance(user=request.user, session=found))
    form = AttendanceForm(request.POST, attendances=attendances)
    if form.is_valid():
        try:
            written = services.attendance_record(
                actor=request.user, session=found, attended=form.changes()
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            text = (
                ngettext(
                    "Attendance of %(count)d person saved.",
                    "Attendance of %(count)d people saved.",
                    written,
                )
                % {"count": written}
                if written
                else _("Nothing changed.")
            )
            return _done(request, _url("session", project, found.pk), text)
    return _session_page(
        request, project, found, status=UNPROCESSABLE, partial="attendance", attendance_form=form
    )


urlpatterns = [
    path("communication/", communication, name="communication"),
    path("communication/new/", communication_create, name="communication-new"),
    path("communication/<int:pk>/edit/", communication_edit, name="communication-edit"),
    path("training/", training, name="training"),
    path("training/end-users/", end_users, name="end-users"),
    path("training/end-users/import/", end_users_import, name="end-users-import"),
    path("training/end-users/<int:pk>/edit/", end_user_edit, name="end-user-edit"),
    path("training/sessions/new/", session_create, name="session-new"),
    path("training/sessions/<int:pk>/", session, name="session"),
    path("training/sessions/<int:pk>/edit/", session_edit, name="session-edit"),
    path("training/sessions/<int:pk>/invite/", session_invite, name="session-invite"),
    path("training/sessions/<int:pk>/attendance/", session_attendance, name="session-attendance"),
    path("training/sessions/<int:pk>/uninvite/", session_uninvite, name="session-uninvite"),
]
