"""Writes for defects: reporting them and moving them through the workflow.

The moves allowed are the map in uat.choices.DEFECT_TRANSITIONS, the same for pages and
API. Triage, work and fixes are for defect managers (project manager, consultant, IT). A
re-test, closing a fixed defect or reopening it, is for a pilot or key user, and never for
whoever fixed it. Rejecting and reopening need a comment, a duplicate names its original,
and a deferral gives a reason, a workaround and a target date. Every move is a DefectEvent
with who, when, the comment and what changed.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from projects import policy
from projects.errors import ApplicationError
from projects.models import Membership
from projects.policy import Capability
from uat.choices import DEFECT_TRANSITIONS, RETEST_TARGETS, DefectStatus
from uat.models import Defect, DefectEvent

REPORTABLE_FIELDS = (
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
    "priority",
    "module",
    "environment",
    "assignee",
    "cycle",
    "execution",
)


def defect_report(*, actor, project, title: str, severity: str, **details) -> Defect:
    """Log a new defect; it gets the project's next number."""
    unknown = set(details) - set(REPORTABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected defect fields: {sorted(unknown)}")
    policy.ensure(actor, project, Capability.LOG_DEFECTS)
    assignee = details.get("assignee")
    if (
        assignee is not None
        and not Membership.objects.filter(project=project, user=assignee).exists()
    ):
        raise ValidationError({"assignee": _("Choose a member of this project's team.")})
    with transaction.atomic():
        # Lock the project row so two reports can't take the same number.
        type(project).objects.select_for_update().filter(pk=project.pk).first()
        last = Defect.objects.filter(project=project).aggregate(last=Max("number"))["last"] or 0
        defect = Defect(
            project=project,
            number=last + 1,
            title=title,
            severity=severity,
            reporter=actor,
            **details,
        )
        defect.full_clean(exclude=["number"])
        defect.save()
        DefectEvent.objects.create(
            defect=defect,
            actor=actor,
            from_status=DefectStatus.NEW,
            to_status=DefectStatus.NEW,
            comment=_("Reported."),
        )
    return defect


def _ensure_may_move(actor, defect: Defect, target: str) -> None:
    project = defect.project
    if target in RETEST_TARGETS:
        policy.ensure(actor, project, Capability.RETEST)
        if defect.fixed_by_id is not None and defect.fixed_by_id == actor.pk:
            raise PermissionDenied(
                _("You fixed this defect; a pilot user or key user re-tests it.")
            )
    else:
        policy.ensure(actor, project, Capability.MANAGE_DEFECTS)


def _required(**values) -> None:
    missing = {name: _("This field is required.") for name, value in values.items() if not value}
    if missing:
        raise ValidationError(missing)


def defect_transition(
    *,
    actor,
    defect: Defect,
    to_status: str,
    comment: str = "",
    duplicate_of: Defect | None = None,
    deferral_reason: str = "",
    workaround: str = "",
    target_date: datetime.date | None = None,
) -> Defect:
    """Move a defect to `to_status` if the workflow allows it, and record the move."""
    if to_status not in DefectStatus.values:
        raise ValidationError({"to_status": _("Unknown status.")})
    comment = comment.strip()
    with transaction.atomic():
        locked = Defect.objects.select_for_update().select_related("project").get(pk=defect.pk)
        locked.project = defect.project  # keep the caller's instance and its cached role
        source = locked.status
        if to_status not in DEFECT_TRANSITIONS[source]:
            raise ApplicationError(
                _("A defect that is %(source)s cannot become %(target)s.")
                % {
                    "source": DefectStatus(source).label.lower(),
                    "target": DefectStatus(to_status).label.lower(),
                }
            )
        _ensure_may_move(actor, locked, to_status)
        changes: dict[str, object] = {}
        if to_status in {DefectStatus.REJECTED, DefectStatus.REOPENED}:
            _required(comment=comment)
        if to_status == DefectStatus.DUPLICATE:
            _required(duplicate_of=duplicate_of)
            if duplicate_of.project_id != locked.project_id or duplicate_of.pk == locked.pk:
                raise ValidationError({"duplicate_of": _("Choose another defect of this project.")})
            if duplicate_of.status == DefectStatus.DUPLICATE:
                raise ValidationError(
                    {"duplicate_of": _("That defect is itself a duplicate; choose its original.")}
                )
            locked.duplicate_of = duplicate_of
            changes["duplicate_of"] = duplicate_of.display_number
        if to_status == DefectStatus.DEFERRED:
            deferral_reason, workaround = deferral_reason.strip(), workaround.strip()
            _required(
                deferral_reason=deferral_reason, workaround=workaround, target_date=target_date
            )
            locked.deferral_reason, locked.workaround = deferral_reason, workaround
            locked.target_date = target_date
            changes.update(
                deferral_reason=deferral_reason,
                workaround=workaround,
                target_date=target_date.isoformat(),
            )
        if to_status == DefectStatus.FIXED:
            locked.fixed_by = actor
        locked.status = to_status
        locked.full_clean(exclude=["number"])
        locked.save()
        DefectEvent.objects.create(
            defect=locked,
            actor=actor,
            from_status=source,
            to_status=to_status,
            comment=comment,
            changes=changes,
        )
    return locked
