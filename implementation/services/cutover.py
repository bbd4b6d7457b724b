"""Writes for the cutover plan: ordered tasks with dependencies, rehearsals, the run-sheet.

Cutover managers (project manager, consultants, IT: MANAGE_CUTOVER) write the plan: tasks
in order, each with an owner from the team, a planned start and a duration, and the tasks it
depends on. A task never depends on itself or, through others, on a task that depends on
it: such a plan could never run, so it is refused with the cycle spelled out.

On the go-live weekend the run-sheet moves tasks: start, done, blocked (with a reason), and
back to running. A task starts only when everything it depends on is done. Cutover managers
move any task; a task's owner moves their own (policy.can_run_cutover_task). The actual start
and end are kept as they happened.
"""

import datetime
import zoneinfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation.choices import CUTOVER_TRANSITIONS, CutoverStatus
from implementation.golive_rules import dependency_cycle
from implementation.models import CutoverRehearsal, CutoverTask
from implementation.services.golive_common import (
    add,
    clean_fields,
    member_errors,
    raise_if,
    reject_unknown,
)
from projects import policy
from projects.models import Project, User, validate_plausible_date
from projects.policy import Capability

TASK_FIELDS = (
    "title",
    "instructions",
    "owner",
    "planned_start",
    "duration_minutes",
    "position",
    "depends_on",
    "notes",
)
REHEARSAL_FIELDS = ("held_on", "outcome", "duration_hours", "notes")

Edge = tuple[int, int]  # (task, task it depends on)


def dependency_edges(project: Project) -> dict[int, list[int]]:
    """Every task of the project and the tasks it depends on (one query, two with no edges)."""
    through = CutoverTask.depends_on.through
    edges: dict[int, list[int]] = {
        pk: [] for pk in CutoverTask.objects.filter(project=project).values_list("pk", flat=True)
    }
    for task, dependency in through.objects.filter(from_cutovertask__project=project).values_list(
        "from_cutovertask_id", "to_cutovertask_id"
    ):
        edges.setdefault(task, []).append(dependency)
    return edges


def _dependency_errors(
    project: Project, task: CutoverTask | None, depends_on: list[CutoverTask]
) -> list[str]:
    errors = []
    if any(dep.project_id != project.pk for dep in depends_on):
        return [_("Choose tasks of this project's cutover plan.")]
    task_pk = task.pk if task is not None else None
    cycle = dependency_cycle(task_pk, [dep.pk for dep in depends_on], dependency_edges(project))
    if cycle:
        numbers = dict(CutoverTask.objects.filter(pk__in=set(cycle)).values_list("pk", "number"))
        if len(cycle) == 2 and cycle[0] == cycle[1]:
            errors.append(_("A task cannot depend on itself."))
        else:
            path = " → ".join(f"T-{numbers[pk]}" for pk in cycle)
            errors.append(
                _("These dependencies would make a cycle that can never run: %(path)s.")
                % {"path": path}
            )
    return errors


def _check_task(project: Project, task: CutoverTask, owner_changed: bool) -> dict:
    errors = member_errors(project, owner=task.owner if owner_changed else None)
    clean_fields(task, exclude=["project", "owner", "created_by"], errors=errors)
    if task.planned_start is not None and timezone.is_naive(task.planned_start):
        add(errors, "planned_start", _("Give the time with its time zone."))
    return errors


def cutover_task_create(*, actor: User, project: Project, **fields) -> CutoverTask:
    """Add a task to the plan with the next number (at the end unless a position is given)."""
    reject_unknown(fields, TASK_FIELDS, "cutover task")
    policy.ensure(actor, project, Capability.MANAGE_CUTOVER)
    depends_on = list(fields.pop("depends_on", None) or [])
    with transaction.atomic():
        # The project's row lock serialises numbering.
        locked = Project.objects.select_for_update().get(pk=project.pk)
        last = CutoverTask.objects.filter(project=locked).aggregate(
            number=Max("number"), position=Max("position")
        )
        fields.setdefault("position", (last["position"] or 0) + 10)
        task = CutoverTask(
            project=project, number=(last["number"] or 0) + 1, created_by=actor, **fields
        )
        task.title = (task.title or "").strip()
        errors = _check_task(project, task, owner_changed=True)
        for message in _dependency_errors(project, None, depends_on):
            add(errors, "depends_on", message)
        raise_if(errors)
        task.save()
        task.depends_on.set(depends_on)
    return task


def cutover_task_update(*, actor: User, task: CutoverTask, **changes) -> CutoverTask:
    """Change a task of the plan, its dependencies included (never into a cycle)."""
    reject_unknown(changes, TASK_FIELDS, "cutover task")
    project = task.project
    policy.ensure(actor, project, Capability.MANAGE_CUTOVER)
    depends_on = changes.pop("depends_on", None)
    with transaction.atomic():
        # Lock the plan while dependencies are checked: two edits at once could close a
        # cycle that neither would close alone.
        Project.objects.select_for_update().get(pk=project.pk)
        locked = CutoverTask.objects.select_for_update().get(pk=task.pk)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.title = (locked.title or "").strip()
        errors = _check_task(project, locked, owner_changed="owner" in changes)
        if depends_on is not None:
            depends_on = list(depends_on)
            for message in _dependency_errors(project, locked, depends_on):
                add(errors, "depends_on", message)
        raise_if(errors)
        locked.save()
        if depends_on is not None:
            locked.depends_on.set(depends_on)
    locked.project = project
    return locked


def _unfinished_dependencies(task: CutoverTask) -> list[str]:
    return [
        dep.display_number
        for dep in task.depends_on.exclude(status=CutoverStatus.DONE).order_by("number")
    ]


def ensure_may_move_task(actor: User, task: CutoverTask) -> None:
    """Refuse (403) before anything else is read: cutover managers move any task, a task's
    owner their own."""
    policy.ensure(actor, task.project, Capability.VIEW_PROJECT)
    if not policy.can_run_cutover_task(actor, task):
        raise PermissionDenied(_("Only the task's owner or a cutover manager moves this task."))


def cutover_task_move(
    *,
    actor: User,
    task: CutoverTask,
    status: str,
    note: str = "",
    at: datetime.datetime | None = None,
) -> CutoverTask:
    """Move a task on the run-sheet: start it, finish it, block it (with a reason) or take
    it up again. `at` records a move after the fact; it is never in the future."""
    project = task.project
    ensure_may_move_task(actor, task)
    now = timezone.now()
    at = at or now
    if at > now:
        raise ValidationError({"at": [_("A move is recorded when it happens, not in advance.")]})
    try:
        validate_plausible_date(at.date())
    except ValidationError as error:
        raise ValidationError({"at": error.messages}) from error
    note = note.strip()
    with transaction.atomic():
        locked = CutoverTask.objects.select_for_update().get(pk=task.pk)
        if status not in CUTOVER_TRANSITIONS.get(locked.status, set()):
            raise ValidationError(
                {
                    "status": [
                        _("A task that is %(current)s cannot become %(new)s.")
                        % {
                            "current": locked.get_status_display().lower(),
                            "new": str(CutoverStatus(status).label).lower()
                            if status in CutoverStatus.values
                            else status,
                        }
                    ]
                }
            )
        # A task that never ran (not started, or blocked before it started) starts only once
        # its dependencies are done; one that ran and was blocked or reopened resumes.
        if status == CutoverStatus.IN_PROGRESS and locked.actual_start is None:
            waiting = _unfinished_dependencies(locked)
            if waiting:
                raise ValidationError(
                    {
                        "status": [
                            _("This task waits for %(tasks)s to be done.")
                            % {"tasks": ", ".join(waiting)}
                        ]
                    }
                )
        if status == CutoverStatus.BLOCKED and not note:
            raise ValidationError({"note": [_("Say what blocks the task.")]})
        if status == CutoverStatus.IN_PROGRESS:
            if locked.actual_start is None:
                locked.actual_start = at
            locked.actual_end = None
        elif status == CutoverStatus.DONE:
            if locked.actual_start and at < locked.actual_start:
                raise ValidationError({"at": [_("A task cannot end before it started.")]})
            locked.actual_end = at
        if note:
            # The project's clock, whoever calls (a page, the API, a shell).
            zone = zoneinfo.ZoneInfo(project.time_zone)
            stamp = timezone.localtime(at, zone).strftime("%Y-%m-%d %H:%M")
            line = f"[{stamp} {actor.get_full_name() or actor.get_username()}] {note}"
            locked.notes = f"{locked.notes}\n{line}".strip()
        locked.status = status
        locked.save(update_fields=["status", "actual_start", "actual_end", "notes", "updated_at"])
    locked.project = project
    return locked


def rehearsal_record(*, actor: User, project: Project, **fields) -> CutoverRehearsal:
    """Record a dress rehearsal of the cutover plan once it is held."""
    reject_unknown(fields, REHEARSAL_FIELDS, "rehearsal")
    policy.ensure(actor, project, Capability.MANAGE_CUTOVER)
    rehearsal = CutoverRehearsal(project=project, recorded_by=actor, **fields)
    errors: dict[str, list[str]] = {}
    clean_fields(rehearsal, exclude=["project", "recorded_by"], errors=errors)
    if rehearsal.held_on and "held_on" not in errors and rehearsal.held_on > project.local_today():
        add(errors, "held_on", _("A rehearsal is recorded once it is held."))
    raise_if(errors)
    rehearsal.save()
    return rehearsal
