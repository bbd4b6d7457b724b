"""Hypercare pages: the overview with its exit panel, the SLA settings, the weekly feedback
round and its results, and the module usage review. Doors onto
implementation.selectors.hypercare and implementation.services.hypercare.

Every member reads the overview, the feedback results and the module review. Project
managers and consultants (MANAGE_HYPERCARE) change the working hours, thresholds and SLA
targets and record module reviews; pilot and key users and the digital champions answer
the weekly survey; whoever prepares sign-offs (MANAGE_SIGNOFFS) asks for the exit decision,
which signs a snapshot of the exit panel. Dates and times are the project's.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from implementation import charts_hypercare as charts
from implementation.choices import PhaseKind, ReviewDecision, SlaUnit
from implementation.hypercare_forms import (
    WEEKDAY_CHOICES,
    FeedbackForm,
    HypercarePlanForm,
    ModuleReviewForm,
    SlaTargetsForm,
)
from implementation.selectors import hypercare as selectors
from implementation.services import hypercare as services
from implementation.views.configuration import in_project_time_zone
from projects import policy
from projects.choices import Department
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error

TEMPLATES = "implementation/hypercare"
# The ticket pages live next door (implementation.views.tickets); link them once they exist.
TICKET_PAGES = ("hypercare:tickets", "hypercare:ticket-list", "hypercare:board")


def _url(name: str, project) -> str:
    return reverse(f"hypercare:{name}", args=[project.code])


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _tickets_url(project) -> str | None:
    for name in TICKET_PAGES:
        found = selectors.url_or_none(name, project.code)
        if found:
            return found
    return None


def _unit(value: int, unit: str) -> str:
    """ "1 working hour", "3 business days": the unit in the number's grammar."""
    if unit == SlaUnit.BUSINESS_DAYS:
        return ngettext("business day", "business days", value)
    return ngettext("working hour", "working hours", value)


def _plan_view(project) -> dict:
    """The hypercare plan and the SLA targets as every member reads them."""
    plan = services.hypercare_plan_of(project)
    days = {day.strip() for day in plan.working_days.split(",")}
    return {
        "plan": plan,
        "working_days": [str(label) for value, label in WEEKDAY_CHOICES if value in days],
        "holidays": [datetime.date.fromisoformat(day) for day in plan.holidays or []],
        "sla": [
            row
            | {
                "response_unit_label": _unit(row["response_value"], row["response_unit"]),
                "resolution_unit_label": _unit(row["resolution_value"], row["resolution_unit"]),
            }
            for row in selectors.sla_rows(project)
        ],
    }


# --- Overview ---------------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def overview(request, project):
    """Hypercare at a glance and the exit panel: the same queries whatever the number of
    tickets, answers or weeks."""
    user = request.user
    seen = selectors.overview(project)
    weeks = seen.weeks
    context = {
        "project": project,
        "seen": seen,
        "chart": charts.weekly_chart(
            [row["week"] for row in weeks],
            [row["raised"] for row in weeks],
            [row["satisfaction"] for row in weeks],
            seen.facts.threshold,
        ),
        "threshold": seen.facts.threshold,
        "tickets_url": _tickets_url(project),
        "has_phase": project.phases.filter(kind=PhaseKind.HYPERCARE).exists(),
        "can_manage": policy.can(user, project, Capability.MANAGE_HYPERCARE),
        "can_request": policy.can(user, project, Capability.MANAGE_SIGNOFFS),
        "can_override": policy.can(user, project, Capability.OVERRIDE_SIGNOFF),
        "can_answer": policy.can_answer_feedback(user, project),
        **_plan_view(project),
    }
    return render(request, f"{TEMPLATES}/overview.html", context)


# --- Settings ---------------------------------------------------------------------------------


def _save_targets(request, project, form: SlaTargetsForm) -> bool:
    """Every severity's targets, or none: one refusal undoes the others."""
    failed = False
    with transaction.atomic():
        for severity, values in form.targets().items():
            try:
                services.sla_target_set(
                    actor=request.user, project=project, severity=severity, **values
                )
            except ValidationError as error:
                form.add_service_error(severity, error)
                failed = True
        if failed:
            transaction.set_rollback(True)
    return not failed


@project_view(Capability.MANAGE_HYPERCARE)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def settings_page(request, project):
    """The hypercare plan (working hours, holidays, end, exit thresholds) and the SLA
    targets per severity: two forms on one page, each saved whole or not at all."""
    plan = services.hypercare_plan_of(project)
    which = request.POST.get("form") if request.method == "POST" else None
    plan_form = HypercarePlanForm(request.POST if which == "plan" else None, instance=plan)
    targets_form = SlaTargetsForm(
        request.POST if which == "targets" else None, rows=selectors.sla_rows(project)
    )
    if which == "plan" and plan_form.is_valid():
        try:
            services.hypercare_plan_update(
                actor=request.user, project=project, **plan_form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(plan_form, error)
        else:
            messages.success(request, _("Hypercare plan saved."))
            return redirect(_url("settings", project))
    if (
        which == "targets"
        and targets_form.is_valid()
        and _save_targets(request, project, targets_form)
    ):
        messages.success(request, _("SLA targets saved. Tickets raised from now on use them."))
        return redirect(_url("settings", project))
    status = UNPROCESSABLE if which in {"plan", "targets"} else 200
    context = {"project": project, "plan_form": plan_form, "targets_form": targets_form}
    return render(request, f"{TEMPLATES}/settings.html", context, status=status)


# --- Weekly feedback --------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def feedback(request, project):
    """This week's survey for pilot and key users and champions, filled in with their answer
    when they gave one already; answering again replaces it."""
    user = request.user
    can_answer = policy.can_answer_feedback(user, project)
    if request.method == "POST" and not can_answer:
        raise PermissionDenied(
            _("The weekly feedback round asks pilot and key users and digital champions.")
        )
    week = services.week_of(project.local_today())
    answer = selectors.this_week_answer(project, user) if can_answer else None
    initial = (
        {"satisfaction": answer.satisfaction, "blockers": answer.blockers, "helps": answer.helps}
        if answer
        else {}
    )
    form = FeedbackForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.feedback_answer(actor=user, project=project, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("Thank you: your answer for the week of %(week)s is saved.")
                % {"week": week.isoformat()},
            )
            return redirect(_url("feedback", project))
    context = {
        "project": project,
        "form": form,
        "week": week,
        "answer": answer,
        "can_answer": can_answer,
    }
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, f"{TEMPLATES}/feedback.html", context, status=status)


def _week_param(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def feedback_results(request, project):
    """Answers and average satisfaction per week and department over twelve weeks, the trend,
    and what blocks and helps people in the chosen week; the same queries whatever the
    number of answers."""
    results = selectors.feedback_results(project, week=_week_param(request.GET.get("week")))
    departments = results.department_labels
    starts = [week.start for week in results.weeks]
    selected = next(week for week in results.weeks if week.start == results.selected)
    context = {
        "project": project,
        "results": results,
        "departments": departments,
        "rows": results.rows(),
        "selected": selected,
        "responses": [
            {
                "department": _label(Department, response.department),
                "satisfaction": response.satisfaction,
                "blockers": response.blockers,
                "helps": response.helps,
            }
            for response in results.responses
        ],
        "blockers_count": sum(1 for r in results.responses if r.blockers),
        "helps_count": sum(1 for r in results.responses if r.helps),
        "chart": charts.satisfaction_trend(
            starts,
            [week.satisfaction for week in results.weeks],
            [
                (
                    label,
                    [week.by_department.get(value, (0, None))[1] for week in results.weeks],
                )
                for value, label in departments
            ],
        ),
        "can_answer": policy.can_answer_feedback(request.user, project),
    }
    return render(request, f"{TEMPLATES}/feedback_results.html", context)


# --- Module usage review ----------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def modules(request, project):
    """One row per module: its adoption KPIs, its open and recent tickets and its last three
    reviews; hypercare managers record a review with a decision. Four queries whatever the
    number of modules, KPIs, tickets or reviews."""
    user = request.user
    can_manage = policy.can(user, project, Capability.MANAGE_HYPERCARE)
    bound = None
    if request.method == "POST":
        policy.ensure(user, project, Capability.MANAGE_HYPERCARE)
        bound = ModuleReviewForm(request.POST)
        if bound.is_valid():
            try:
                review = services.module_review_record(
                    actor=user, project=project, **bound.cleaned_data
                )
            except (ApplicationError, ValidationError) as error:
                apply_error(bound, error)
            else:
                messages.success(
                    request,
                    _("Review of %(module)s recorded: %(decision)s.")
                    % {"module": review.module, "decision": review.get_decision_display()},
                )
                return redirect(_url("modules", project))
    rows = selectors.module_rows(project)
    bound_key = selectors.module_key(request.POST.get("module", "")) if bound else None
    shown = []
    for index, row in enumerate(rows):
        is_bound = bound is not None and row.key == bound_key
        shown.append(
            {
                "row": row,
                "anchor": f"module-{index + 1}",
                "kpis": [
                    {
                        "kpi": kpi_row.kpi,
                        "figures": kpi_row.figures,
                        "status_label": selectors.kpi_status_label(kpi_row.figures.status),
                    }
                    for kpi_row in row.kpis
                ],
                "form": bound
                if is_bound
                else ModuleReviewForm(
                    initial={"module": row.name},
                    auto_id=f"id_m{index + 1}_%s",
                ),
                "is_bound": is_bound,
            }
        )
    other_form = (
        bound
        if bound is not None and not any(item["is_bound"] for item in shown)
        else ModuleReviewForm(auto_id="id_new_%s")
    )
    context = {
        "project": project,
        "rows": shown,
        "other_form": other_form,
        "can_manage": can_manage,
        "tickets_url": _tickets_url(project),
        "DECISIONS": ReviewDecision,
        "recent_weeks": selectors.RECENT_WEEKS,
    }
    status = UNPROCESSABLE if bound is not None else 200
    return render(request, f"{TEMPLATES}/modules.html", context, status=status)


urlpatterns = [
    path("", overview, name="overview"),
    path("settings/", settings_page, name="settings"),
    path("feedback/", feedback, name="feedback"),
    path("feedback/results/", feedback_results, name="feedback-results"),
    path("modules/", modules, name="modules"),
]
