"""Writes for phases and their checklists.

A phase moves not started -> in progress -> completed, and may be reopened (completed ->
in progress) with a reason. Plan editors (project manager, consultant, IT) move phases and
edit checklists. A phase completes only when every mandatory checklist item is done, or
with a waiver: the project manager writes the reason, which stays on the phase and in its
history. Every move is recorded as a PhaseTransition with who, when and why.

A completed phase's checklist is frozen: reopen the phase to change it, so the gate that
was passed stays what it was.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation.blueprints import BLUEPRINTS, plan_phases
from implementation.choices import PHASE_ORDER, PHASE_TRANSITIONS, PhaseStatus
from implementation.models import ChecklistItem, ChecklistItemEvent, Phase, PhaseTransition
from projects import policy
from projects.errors import ApplicationError
from projects.models import Membership
from projects.policy import Capability

PHASE_EDITABLE_FIELDS = (
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "owner",
    "notes",
)
ITEM_EDITABLE_FIELDS = (
    "title",
    "kind",
    "description",
    "owner",
    "due_date",
    "is_mandatory",
    "evidence_url",
    "evidence_file",
)
EVIDENCE_FIELDS = ("evidence_url", "evidence_file")


def phases_create_from_blueprint(*, project) -> list[Phase]:
    """Create the six phases and their default checklist items for a new project.

    Called inside project_create's transaction, which has checked the actor already.
    """
    blueprint = BLUEPRINTS[project.system_kind]
    phases = Phase.objects.bulk_create(
        Phase(
            project=project,
            kind=kind,
            position=PHASE_ORDER[kind],
            planned_start=start,
            planned_end=end,
        )
        for kind, start, end in plan_phases(blueprint, project.start_date, project.target_go_live)
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            phase=phase,
            kind=item.kind,
            title=str(item.title),
            is_mandatory=item.is_mandatory,
            position=position,
            due_date=phase.planned_end,
        )
        for phase in phases
        for position, item in enumerate(blueprint.items[phase.kind], start=1)
    )
    return phases


# --- Helpers ------------------------------------------------------------------------------


def _lock_phase(phase: Phase) -> Phase:
    return Phase.objects.select_for_update().select_related("project").get(pk=phase.pk)


def _ensure_member(project, user, field: str) -> None:
    if user is not None and not Membership.objects.filter(project=project, user=user).exists():
        # No names: the caller may not know people outside the project.
        raise ValidationError({field: _("Choose a member of this project's team.")})


def _check_move(phase: Phase, target: str, *, source: str) -> None:
    """Each verb moves from one status only (start: not started, reopen: completed)."""
    if phase.status != source or target not in PHASE_TRANSITIONS[phase.status]:
        raise ApplicationError(
            _("A phase that is %(status)s cannot become %(target)s.")
            % {
                "status": phase.get_status_display().lower(),
                "target": PhaseStatus(target).label.lower(),
            }
        )


def _record(phase: Phase, actor, source: str, reason: str = "", is_waiver=False) -> None:
    PhaseTransition.objects.create(
        phase=phase,
        from_status=source,
        to_status=phase.status,
        actor=actor,
        reason=reason,
        is_waiver=is_waiver,
    )


def open_mandatory_items(phase: Phase) -> list[ChecklistItem]:
    return list(
        phase.checklist_items.filter(is_mandatory=True, done_at__isnull=True).order_by(
            "position", "pk"
        )
    )


# --- Phase moves --------------------------------------------------------------------------


def phase_start(*, actor, phase: Phase) -> Phase:
    """Start a phase; its actual start is today unless already recorded."""
    policy.ensure(actor, phase.project, Capability.EDIT_PLAN)
    with transaction.atomic():
        locked = _lock_phase(phase)
        _check_move(locked, PhaseStatus.IN_PROGRESS, source=PhaseStatus.NOT_STARTED)
        source = locked.status
        locked.status = PhaseStatus.IN_PROGRESS
        locked.actual_start = locked.actual_start or locked.project.local_today()
        locked.save(update_fields=["status", "actual_start"])
        _record(locked, actor, source)
    return locked


def phase_complete(*, actor, phase: Phase, waiver_reason: str = "") -> Phase:
    """Complete a phase: every mandatory item done, or a project manager's waiver."""
    policy.ensure(actor, phase.project, Capability.EDIT_PLAN)
    waiver_reason = waiver_reason.strip()
    with transaction.atomic():
        locked = _lock_phase(phase)
        _check_move(locked, PhaseStatus.COMPLETED, source=PhaseStatus.IN_PROGRESS)
        still_open = open_mandatory_items(locked)
        if still_open and not waiver_reason:
            raise ValidationError(
                {
                    "waiver_reason": ngettext(
                        "%(count)d mandatory item is still open: %(titles)s. Tick it, or "
                        "have the project manager complete the phase with a waiver reason.",
                        "%(count)d mandatory items are still open: %(titles)s. Tick them, or "
                        "have the project manager complete the phase with a waiver reason.",
                        len(still_open),
                    )
                    % {
                        "count": len(still_open),
                        "titles": "; ".join(item.title for item in still_open[:5])
                        + ("; …" if len(still_open) > 5 else ""),
                    }
                }
            )
        is_waiver = bool(still_open)
        if is_waiver:
            policy.ensure(actor, locked.project, Capability.WAIVE_GATE)
        source = locked.status
        locked.status = PhaseStatus.COMPLETED
        today = locked.project.local_today()
        locked.actual_start = locked.actual_start or today
        locked.actual_end = max(today, locked.actual_start)
        if is_waiver:
            locked.waiver_reason = waiver_reason
            locked.waived_by = actor
            locked.waived_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "actual_start",
                "actual_end",
                "waiver_reason",
                "waived_by",
                "waived_at",
            ]
        )
        _record(locked, actor, source, waiver_reason if is_waiver else "", is_waiver)
    return locked


def phase_reopen(*, actor, phase: Phase, reason: str) -> Phase:
    """Reopen a completed phase; the reason is required and kept in the phase's history."""
    policy.ensure(actor, phase.project, Capability.EDIT_PLAN)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the phase is reopened.")})
    with transaction.atomic():
        locked = _lock_phase(phase)
        _check_move(locked, PhaseStatus.IN_PROGRESS, source=PhaseStatus.COMPLETED)
        source = locked.status
        locked.status = PhaseStatus.IN_PROGRESS
        locked.actual_end = None
        # The waiver belonged to the completion being undone; the history keeps it.
        locked.waiver_reason, locked.waived_by, locked.waived_at = "", None, None
        locked.save(
            update_fields=["status", "actual_end", "waiver_reason", "waived_by", "waived_at"]
        )
        _record(locked, actor, source, reason)
    return locked


def phase_update(*, actor, phase: Phase, **changes) -> Phase:
    """Change a phase's plan, actual dates, owner or notes (not its status)."""
    unknown = set(changes) - set(PHASE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected phase fields: {sorted(unknown)}")
    policy.ensure(actor, phase.project, Capability.EDIT_PLAN)
    if "owner" in changes:
        _ensure_member(phase.project, changes["owner"], "owner")
    with transaction.atomic():
        locked = _lock_phase(phase)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean(exclude=["project"])
        if locked.actual_start is None and locked.status != PhaseStatus.NOT_STARTED:
            raise ValidationError(
                {"actual_start": _("A phase that has started keeps its actual start date.")}
            )
        if locked.actual_end and locked.status != PhaseStatus.COMPLETED:
            raise ValidationError({"actual_end": _("Only a completed phase has an actual end.")})
        if locked.actual_end is None and locked.status == PhaseStatus.COMPLETED:
            raise ValidationError({"actual_end": _("A completed phase keeps its actual end date.")})
        locked.save(update_fields=list(changes))
    return locked


# --- Checklist ----------------------------------------------------------------------------


def _ensure_open_phase(phase: Phase) -> None:
    if phase.status == PhaseStatus.COMPLETED:
        raise ApplicationError(
            _("%(phase)s is completed; reopen it to change its checklist.")
            % {"phase": phase.get_kind_display()}
        )


def _lock_item(item: ChecklistItem) -> ChecklistItem:
    return (
        ChecklistItem.objects.select_for_update().select_related("phase__project").get(pk=item.pk)
    )


def checklist_item_create(
    *,
    actor,
    phase: Phase,
    title: str,
    kind: str,
    description: str = "",
    owner=None,
    due_date: datetime.date | None = None,
    is_mandatory: bool = True,
    evidence_url: str = "",
    evidence_file=None,
) -> ChecklistItem:
    """Add an item at the end of a phase's checklist."""
    policy.ensure(actor, phase.project, Capability.EDIT_PLAN)
    _ensure_member(phase.project, owner, "owner")
    with transaction.atomic():
        locked = _lock_phase(phase)
        _ensure_open_phase(locked)
        last = locked.checklist_items.aggregate(last=Max("position"))["last"] or 0
        item = ChecklistItem(
            phase=locked,
            title=title,
            kind=kind,
            description=description,
            owner=owner,
            due_date=due_date,
            is_mandatory=is_mandatory,
            evidence_url=evidence_url,
            position=last + 1,
        )
        if evidence_file:
            item.evidence_file = evidence_file
        item.full_clean()
        item.save()
    return item


def checklist_item_update(*, actor, item: ChecklistItem, **changes) -> ChecklistItem:
    """Edit an item. Plan editors edit everything; its owner adds evidence.

    Making a mandatory item optional changes the gate, so only a project manager may.
    """
    unknown = set(changes) - set(ITEM_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected checklist item fields: {sorted(unknown)}")
    project = item.phase.project
    if set(changes) - set(EVIDENCE_FIELDS) or not policy.can_tick_checklist_item(actor, item):
        policy.ensure(actor, project, Capability.EDIT_PLAN)
    if "owner" in changes:
        _ensure_member(project, changes["owner"], "owner")
    with transaction.atomic():
        locked = _lock_item(item)
        _ensure_open_phase(locked.phase)
        if locked.is_mandatory and changes.get("is_mandatory") is False:
            policy.ensure(actor, project, Capability.WAIVE_GATE)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save(update_fields=[*changes, "updated_at"])
    return locked


def checklist_item_set_done(
    *, actor, item: ChecklistItem, is_done: bool, evidence_url: str | None = None
) -> ChecklistItem:
    """Tick or untick an item; the tick records who and when."""
    if not policy.can_tick_checklist_item(actor, item):
        policy.ensure(actor, item.phase.project, Capability.EDIT_PLAN)
    with transaction.atomic():
        locked = _lock_item(item)
        _ensure_open_phase(locked.phase)
        fields = ["done_at", "done_by", "updated_at"]
        if is_done != locked.is_done:
            # The item keeps its latest state; every tick and untick is kept as an event.
            ChecklistItemEvent.objects.create(
                item=locked,
                actor=actor,
                action=ChecklistItemEvent.Action.TICKED
                if is_done
                else ChecklistItemEvent.Action.UNTICKED,
            )
        if is_done and not locked.is_done:
            locked.done_at, locked.done_by = timezone.now(), actor
        elif not is_done:
            locked.done_at, locked.done_by = None, None
        if evidence_url is not None:
            locked.evidence_url = evidence_url
            locked.full_clean()
            fields.append("evidence_url")
        locked.save(update_fields=fields)
    return locked


def checklist_item_move(*, actor, item: ChecklistItem, offset: int) -> list[ChecklistItem]:
    """Move an item up (-1) or down (+1); positions are renumbered 1..n."""
    policy.ensure(actor, item.phase.project, Capability.EDIT_PLAN)
    with transaction.atomic():
        phase = _lock_phase(item.phase)
        _ensure_open_phase(phase)
        items = list(phase.checklist_items.order_by("position", "pk"))
        index = next(i for i, candidate in enumerate(items) if candidate.pk == item.pk)
        target = min(max(index + offset, 0), len(items) - 1)
        items.insert(target, items.pop(index))
        for position, candidate in enumerate(items, start=1):
            candidate.position = position
        ChecklistItem.objects.bulk_update(items, ["position"])
    return items


def checklist_item_delete(*, actor, item: ChecklistItem) -> None:
    """Remove an item added by mistake; removing a mandatory one is the manager's call."""
    policy.ensure(actor, item.phase.project, Capability.EDIT_PLAN)
    with transaction.atomic():
        locked = _lock_item(item)
        _ensure_open_phase(locked.phase)
        if locked.is_mandatory:
            policy.ensure(actor, locked.phase.project, Capability.WAIVE_GATE)
        if locked.is_done or locked.events.exists():
            raise ApplicationError(
                _(
                    "This item has been ticked, so it stays in the phase's record. "
                    "Make it optional instead."
                )
            )
        locked.delete()
