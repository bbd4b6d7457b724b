"""Go-live readiness pages: the readiness panel and the go-live plan.

Every member reads the panel: the seven go/no-go criteria computed from the project's data
(implementation.readiness), why each red one is red, and the rows behind the numbers. Only
the project manager (MANAGE_GO_LIVE) changes the go-live plan; project managers and
consultants (MANAGE_SIGNOFFS) ask for the go/no-go decision, which signs a snapshot of the
same panel. Times are shown and entered in the project's time zone.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from implementation import readiness
from implementation.choices import LoadKind, Reconciliation, RehearsalOutcome
from implementation.golive_forms import GoLivePlanForm
from implementation.models import MigrationObject
from implementation.services import golive as services
from implementation.views.configuration import in_project_time_zone
from projects import policy
from projects.choices import Department, Role
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error
from uat.choices import DefectStatus, Severity, SignoffKind, SignoffStatus
from uat.models import SignOff

TEMPLATES = "implementation/golive"
PERCENT_CRITERIA = {"training_coverage"}
# A late UAT can leave thousands of blocking or deferred defects: the page lists the first
# ones and links to the defect list (paginated) for the rest. The go-live sign-off's
# snapshot still lists them all (implementation.readiness.snapshot_content).
DEFECT_ROWS = 50


def url_or_none(name: str, *args) -> str | None:
    """The page's address, or None while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _figure(key: str, value) -> str:
    return f"{value}%" if key in PERCENT_CRITERIA else str(value)


def _criteria_rows(panel: readiness.Panel) -> list[dict]:
    return [
        {
            "key": criterion.key,
            "label": criterion.label,
            "met": criterion.met,
            "actual": _figure(criterion.key, criterion.actual),
            "threshold": _figure(criterion.key, criterion.threshold),
            "reasons": reasons,
        }
        for criterion, reasons in panel.rows
    ]


def _migration_rows(project, rows: list[dict]) -> list[dict]:
    # The panel names objects (unique per project); their pages need the primary key.
    keys = dict(MigrationObject.objects.filter(project=project).values_list("name", "pk"))
    return [
        row
        | {
            "url": url_or_none("golive:migration-object", project.code, keys[row["name"]])
            if row["name"] in keys
            else None,
            "kind_label": _label(LoadKind, row["kind"]) if row["kind"] else "",
            "reconciliation_label": _label(Reconciliation, row["reconciliation"])
            if row["reconciliation"]
            else "",
            "is_failed": row["reconciliation"] == Reconciliation.FAILED,
        }
        for row in rows
    ]


def _incomplete_tasks(rows: list[dict]) -> list[dict]:
    return [
        row
        for row in rows
        if row["owner"] is None or row["planned_start"] is None or row["duration_minutes"] is None
    ]


def _coverage_rows(facts: readiness.Facts) -> list[dict]:
    threshold = facts.training_threshold
    return [
        {
            "department": _label(Department, row.department),
            "planned": row.planned,
            "trained": row.trained,
            "percent": f"{row.percent.normalize():f}",
            "met": row.meets(threshold),
        }
        for row in facts.coverage
    ]


def _signoffs(project) -> list[dict]:
    rows = (
        SignOff.objects.filter(project=project, kind=SignoffKind.GO_LIVE)
        .order_by("-number")
        .values("number", "title", "status", "round", "stale_at", "requested_at")
    )
    return [
        row
        | {
            "display_number": f"SO-{row['number']}",
            "status_label": _label(SignoffStatus, row["status"]),
            "url": reverse("signoffs:detail", args=[project.code, row["number"]]),
        }
        for row in rows
    ]


def readiness_context(request, project) -> dict:
    panel = readiness.panel(project, defect_rows=DEFECT_ROWS)
    facts = panel.facts
    plan = services.golive_plan_of(project)
    user = request.user
    return {
        "project": project,
        "panel": panel,
        "ready": panel.ready,
        "red_count": len(panel.red),
        "criteria": _criteria_rows(panel),
        "blocking_defects": [
            row
            | {
                "severity_label": _label(Severity, row["severity"]),
                "status_label": _label(DefectStatus, row["status"]),
            }
            for row in panel.blocking_defects
        ],
        "blocking_more": panel.blocking_total - len(panel.blocking_defects),
        "deferred_defects": [
            row | {"severity_label": _label(Severity, row["severity"])}
            for row in panel.deferred_defects
        ],
        "deferred_more": panel.deferred_total - len(panel.deferred_defects),
        "migration": _migration_rows(project, panel.migration),
        "incomplete_tasks": _incomplete_tasks(panel.cutover_tasks),
        "rehearsal": panel.rehearsal
        and panel.rehearsal
        | {
            "outcome_label": _label(RehearsalOutcome, panel.rehearsal["outcome"]),
            "is_successful": panel.rehearsal["outcome"] == RehearsalOutcome.SUCCESSFUL,
        },
        "coverage": _coverage_rows(facts),
        "threshold": f"{facts.training_threshold.normalize():f}",
        "hypercare_team": [
            row
            | {
                "role_label": _label(Role, row["role"]),
                "department_label": _label(Department, row["department"]),
            }
            for row in panel.hypercare_team
        ],
        "kpis_without_baseline": panel.kpis_without_baseline,
        "plan": plan,
        "signoffs": _signoffs(project),
        "can_edit_plan": policy.can(user, project, Capability.MANAGE_GO_LIVE),
        "can_request": policy.can(user, project, Capability.MANAGE_SIGNOFFS),
        "can_override": policy.can(user, project, Capability.OVERRIDE_SIGNOFF),
    }


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def readiness_panel(request, project):
    """The go/no-go criteria with their numbers and reasons, and the rows behind them; the
    same queries whatever the number of objects, tasks, end users or defects."""
    return render(request, f"{TEMPLATES}/readiness.html", readiness_context(request, project))


@project_view(Capability.MANAGE_GO_LIVE)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def plan_edit(request, project):
    """Change the go-live plan: training threshold, legacy freeze, rollback, support plan."""
    plan = services.golive_plan_of(project)
    data = request.POST if request.method == "POST" else None
    form = GoLivePlanForm(data, instance=plan, project=project)
    if data is not None and form.is_valid():
        try:
            services.golive_plan_update(actor=request.user, project=project, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Go-live plan saved."))
            return redirect("golive:readiness", project.code)
    status = UNPROCESSABLE if data is not None else 200
    context = {"project": project, "form": form}
    return render(request, f"{TEMPLATES}/plan.html", context, status=status)


urlpatterns = [
    path("", readiness_panel, name="readiness"),
    path("plan/", plan_edit, name="plan"),
]
