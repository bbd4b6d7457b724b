"""Reads of phases and checklists, for a project the caller can already see."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import ChecklistItem, Phase, PhaseTransition
from projects import policy

PROGRESS_ANNOTATIONS = {
    "items_total": Count("checklist_items"),
    "items_done": Count("checklist_items", filter=Q(checklist_items__done_at__isnull=False)),
    "mandatory_open": Count(
        "checklist_items",
        filter=Q(checklist_items__is_mandatory=True, checklist_items__done_at__isnull=True),
    ),
}


def _ensure_visible(user, project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def phases_with_progress(*, user, project) -> QuerySet[Phase]:
    """The project's phases in order, with checklist counts and the overdue count."""
    _ensure_visible(user, project)
    today = project.local_today()
    return (
        Phase.objects.filter(project=project)
        .select_related("owner", "waived_by")
        .annotate(
            items_total=Count("checklist_items"),
            items_done=Count("checklist_items", filter=Q(checklist_items__done_at__isnull=False)),
            mandatory_open=Count(
                "checklist_items",
                filter=Q(checklist_items__is_mandatory=True, checklist_items__done_at__isnull=True),
            ),
            items_overdue=Count(
                "checklist_items",
                filter=Q(checklist_items__done_at__isnull=True, checklist_items__due_date__lt=today)
                & ~Q(status=PhaseStatus.COMPLETED),
            ),
        )
        .order_by("position")
    )


def phase_get(*, user, project, kind: str) -> Phase:
    """One phase of a visible project by its kind, with its checklist and history loaded."""
    _ensure_visible(user, project)
    if kind not in PhaseKind.values:
        raise Http404(_("No phase matches the given query."))
    phase = (
        Phase.objects.filter(project=project, kind=kind)
        .select_related("owner", "waived_by")
        .prefetch_related(
            Prefetch(
                "checklist_items",
                queryset=ChecklistItem.objects.select_related("owner", "done_by").order_by(
                    "position", "pk"
                ),
            ),
            Prefetch(
                "transitions",
                queryset=PhaseTransition.objects.select_related("actor").order_by("at", "pk"),
            ),
        )
        .first()
    )
    if phase is None:
        raise Http404(_("No phase matches the given query."))
    phase.project = project  # keep the caller's instance and its cached role
    return phase


def checklist_item_get(*, user, project, pk: int) -> ChecklistItem:
    _ensure_visible(user, project)
    item = (
        ChecklistItem.objects.filter(phase__project=project, pk=pk)
        .select_related("phase", "owner", "done_by")
        .first()
    )
    if item is None:
        raise Http404(_("No checklist item matches the given query."))
    item.phase.project = project
    return item


def overdue_items(*, user, project, limit: int = 10) -> list[ChecklistItem]:
    """Open items past their due date, mandatory and oldest first."""
    _ensure_visible(user, project)
    return list(
        ChecklistItem.objects.filter(
            phase__project=project, done_at__isnull=True, due_date__lt=project.local_today()
        )
        .exclude(phase__status=PhaseStatus.COMPLETED)
        .select_related("phase__project", "owner")
        .order_by("-is_mandatory", "due_date", "pk")[:limit]
    )


def phases_visible_to(user) -> QuerySet[Phase]:
    """Phases of every project the user can see (for the API)."""
    from projects.models import Project

    return Phase.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))


def checklist_items_visible_to(user) -> QuerySet[ChecklistItem]:
    from projects.models import Project

    return ChecklistItem.objects.filter(
        phase__project__in=Project.objects.visible_to(user).values("pk")
    )
