"""Writes for defects: reporting them and moving them through the workflow.

The moves allowed are the map in uat.choices.DEFECT_TRANSITIONS, the same for pages and
API. Triage, work and fixes are for defect managers (project manager, consultant, IT). A
re-test, closing a fixed defect or reopening it, is for a pilot or key user, and never for
whoever fixed it. Rejecting and reopening need a comment, a duplicate names its original,
and a deferral gives a reason, a workaround and a target date. Every move is a DefectEvent
with who, when, the comment and what changed.

Edits and assignments are events too (from_status == to_status, with `changes` holding
[old, new] per field). Defect managers edit everything; the reporter may still reword
title, description and steps while the defect is new. Bulk moves are all-or-nothing.
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
from uat.models import Defect, DefectComment, DefectEvent

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


def may_move(actor, defect: Defect, target: str) -> bool:
    """The same rule as the service, for pages and the API deciding which moves to offer."""
    if target not in DEFECT_TRANSITIONS.get(defect.status, ()):
        return False
    try:
        _ensure_may_move(actor, defect, target)
    except PermissionDenied:
        return False
    return True


def allowed_transitions(actor, defect: Defect) -> list[str]:
    """The moves this actor may make on this defect now, in the order DefectStatus lists them."""
    return [s for s in DefectStatus.values if may_move(actor, defect, s)]


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


# --- Edits, assignment, comments ---------------------------------------------------------

EDITABLE_FIELDS = (
    "title",
    "severity",
    *REPORTABLE_FIELDS,
)
REPORTER_EDITABLE_FIELDS = frozenset({"title", "description", "steps_to_reproduce"})


def editable_fields(actor, defect: Defect) -> frozenset[str]:
    """Fields this actor may change: everything for managers, a few for a new defect's reporter."""
    if policy.can(actor, defect.project, Capability.MANAGE_DEFECTS):
        return frozenset(EDITABLE_FIELDS)
    if (
        defect.reporter_id == actor.pk
        and defect.status == DefectStatus.NEW
        and policy.can(actor, defect.project, Capability.LOG_DEFECTS)
    ):
        return REPORTER_EDITABLE_FIELDS
    return frozenset()


def _as_json(value):
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Defect):
        return value.display_number
    return getattr(value, "username", None) or str(value)


def _ensure_member(project, user, field: str) -> None:
    if user is not None and not Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError({field: _("Choose a member of this project's team.")})


def _ensure_in_project(defect: Defect, fields: dict) -> None:
    cycle = fields.get("cycle")
    if cycle is not None and cycle.project_id != defect.project_id:
        raise ValidationError({"cycle": _("Choose a cycle of this project.")})
    execution = fields.get("execution")
    if execution is not None and execution.entry.cycle.project_id != defect.project_id:
        raise ValidationError({"execution": _("Choose a test run of this project.")})


def defect_update(*, actor, defect: Defect, comment: str = "", **fields) -> Defect:
    """Change a defect's fields and record each change, old -> new, in one event."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected defect fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = Defect.objects.select_for_update().get(pk=defect.pk)
        locked.project = defect.project  # keep the caller's instance and its cached role
        allowed = editable_fields(actor, locked)
        if not allowed:
            policy.ensure(actor, locked.project, Capability.MANAGE_DEFECTS)
        refused = set(fields) - allowed
        if refused:
            raise PermissionDenied(
                _("You may change only the title, description and steps of a new defect.")
            )
        if "assignee" in fields:
            _ensure_member(locked.project, fields["assignee"], "assignee")
        _ensure_in_project(locked, fields)
        changes = {}
        for name, value in fields.items():
            if isinstance(value, str):
                value = value.strip()
            old = getattr(locked, name)
            if old != value:
                changes[name] = [_as_json(old), _as_json(value)]
                setattr(locked, name, value)
        if not changes:
            return locked
        locked.full_clean(exclude=["number"])
        locked.save(update_fields=[*changes, "updated_at"])
        DefectEvent.objects.create(
            defect=locked,
            actor=actor,
            from_status=locked.status,
            to_status=locked.status,
            comment=comment.strip(),
            changes=changes,
        )
    return locked


def defect_assign(*, actor, defect: Defect, assignee) -> Defect:
    """Give a defect to a project member (or to nobody); only defect managers assign."""
    policy.ensure(actor, defect.project, Capability.MANAGE_DEFECTS)
    return defect_update(actor=actor, defect=defect, assignee=assignee)


def defect_comment_add(*, actor, defect: Defect, body: str) -> DefectComment:
    """Comment on a defect; members who may comment."""
    policy.ensure(actor, defect.project, Capability.COMMENT)
    body = (body or "").strip()
    _required(body=body)
    comment = DefectComment(defect=defect, author=actor, body=body)
    comment.full_clean()
    comment.save()
    return comment


def defect_report_with_screenshot(
    *, actor, project, title: str, severity: str, screenshot=None, **details
) -> Defect:
    """The pilot user's quick report: the defect and its screenshot, both or neither."""
    from uat.attachments import attachment_add

    with transaction.atomic():
        defect = defect_report(
            actor=actor, project=project, title=title, severity=severity, **details
        )
        if screenshot is not None:
            attachment_add(actor=actor, project=project, upload=screenshot, defect=defect)
    return defect


# --- Bulk --------------------------------------------------------------------------------


def _error_text(error: Exception) -> list[str]:
    if isinstance(error, ApplicationError):
        return [error.message]
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error)]


def _all_or_nothing(defects, act) -> list[Defect]:
    errors: dict[str, list[str]] = {}
    done = []
    with transaction.atomic():
        for defect in defects:
            try:
                done.append(act(defect))
            except (ApplicationError, ValidationError, PermissionDenied) as error:
                errors[defect.display_number] = _error_text(error)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(errors)
    return done


def _ensure_bulk(actor, project, defects) -> list[Defect]:
    policy.ensure(actor, project, Capability.MANAGE_DEFECTS)
    defects = list(defects)
    if not defects:
        raise ValidationError({"defects": _("Choose at least one defect.")})
    if any(defect.project_id != project.pk for defect in defects):
        raise ValidationError({"defects": _("Choose defects of this project only.")})
    return defects


def defects_bulk_assign(*, actor, project, defects, assignee) -> list[Defect]:
    """Assign several defects at once; if one fails, none changes (errors per defect)."""
    defects = _ensure_bulk(actor, project, defects)
    _ensure_member(project, assignee, "assignee")
    return _all_or_nothing(
        defects, lambda defect: defect_assign(actor=actor, defect=defect, assignee=assignee)
    )


def defects_bulk_transition(
    *, actor, project, defects, to_status: str, comment: str = "", **extra
) -> list[Defect]:
    """Move several defects at once; if one move is refused, none happens (errors per defect)."""
    defects = _ensure_bulk(actor, project, defects)
    return _all_or_nothing(
        defects,
        lambda defect: defect_transition(
            actor=actor, defect=defect, to_status=to_status, comment=comment, **extra
        ),
    )
