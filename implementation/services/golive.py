"""Writes for a project's go-live plan: readiness thresholds, the legacy freeze, rollback
criteria and decision point, and the support plan. Only the project manager
(MANAGE_GO_LIVE) changes them; the plan is made with the defaults on first change."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation.models import GoLivePlan
from implementation.services.golive_common import add, clean_fields, raise_if, reject_unknown
from projects import policy
from projects.models import Project, User
from projects.policy import Capability

PLAN_FIELDS = (
    "training_threshold",
    "legacy_freeze_at",
    "rollback_decision_at",
    "rollback_criteria",
    "support_plan",
)


def golive_plan_of(project: Project) -> GoLivePlan:
    """The project's plan, or an unsaved one with the defaults (reading never writes)."""
    try:
        return project.golive_plan
    except GoLivePlan.DoesNotExist:
        return GoLivePlan(project=project)


def golive_plan_update(*, actor: User, project: Project, **changes) -> GoLivePlan:
    reject_unknown(changes, PLAN_FIELDS, "go-live plan")
    policy.ensure(actor, project, Capability.MANAGE_GO_LIVE)
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        plan = GoLivePlan.objects.filter(project=project).first() or GoLivePlan(project=project)
        for field, value in changes.items():
            setattr(plan, field, value)
        errors: dict[str, list[str]] = {}
        clean_fields(plan, exclude=["project", "updated_by"], errors=errors)
        for field in ("legacy_freeze_at", "rollback_decision_at"):
            value = getattr(plan, field)
            if value is not None and field not in errors and timezone.is_naive(value):
                add(errors, field, _("Give the time with its time zone."))
        if (
            not errors
            and plan.legacy_freeze_at
            and plan.rollback_decision_at
            and plan.rollback_decision_at < plan.legacy_freeze_at
        ):
            add(
                errors,
                "rollback_decision_at",
                _("The rollback decision comes after the legacy system is frozen."),
            )
        raise_if(errors)
        plan.updated_by = actor
        plan.save()
    project.golive_plan = plan
    return plan
