"""Reads for the cutover pages: the plan with what each task still lacks, rehearsals, and
the go-live weekend's run-sheet sorted into buckets at a given moment.

Everything is for a project the caller can already see; a task of another project
answers 404. `run_sheet` takes `now` so that what counts as late is decided in one place
and tests can fix the clock.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from implementation.choices import CutoverStatus
from implementation.models import CutoverRehearsal, CutoverTask
from implementation.services.golive import golive_plan_of
from projects import policy
from projects.models import Project

GAP_LABELS = {
    "owner": gettext_lazy("no owner"),
    "start": gettext_lazy("no start"),
    "duration": gettext_lazy("no duration"),
}


def _ensure_visible(user, project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def _tasks(project: Project) -> QuerySet[CutoverTask]:
    # Dependencies carry only what the pages show of them: their number and status.
    return (
        CutoverTask.objects.filter(project=project)
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "depends_on",
                queryset=CutoverTask.objects.only("pk", "number", "status").order_by("number"),
            )
        )
        .order_by("position", "number")
    )


def gaps_of(task: CutoverTask) -> list[str]:
    """What keeps a task from being planned well enough to run."""
    gaps = []
    if not task.owner_id:
        gaps.append(str(GAP_LABELS["owner"]))
    if task.planned_start is None:
        gaps.append(str(GAP_LABELS["start"]))
    if task.duration_minutes is None:
        gaps.append(str(GAP_LABELS["duration"]))
    return gaps


@dataclass(frozen=True)
class PlanRow:
    task: CutoverTask
    gaps: list[str]
    depends_on: list[str]  # display numbers

    @property
    def duration(self) -> str:
        minutes = self.task.duration_minutes
        return duration_text(datetime.timedelta(minutes=minutes)) if minutes else ""


def cutover_plan(*, user, project: Project) -> list[PlanRow]:
    """The plan's tasks in order, each with its dependencies and what it still lacks
    (two queries whatever the number of tasks)."""
    _ensure_visible(user, project)
    rows = []
    for task in _tasks(project):
        task.project = project
        rows.append(
            PlanRow(
                task=task,
                gaps=gaps_of(task),
                depends_on=[dep.display_number for dep in task.depends_on.all()],
            )
        )
    return rows


def cutover_task_get(*, user, project: Project, number: int) -> CutoverTask:
    """A task of the project's plan by its number."""
    _ensure_visible(user, project)
    task = CutoverTask.objects.select_related("owner").filter(project=project, number=number)
    found = task.first()
    if found is None:
        raise Http404(_("No cutover task matches the given query."))
    found.project = project
    return found


def other_tasks(project: Project, task: CutoverTask | None = None) -> QuerySet[CutoverTask]:
    """The tasks a task may depend on, in plan order."""
    tasks = CutoverTask.objects.filter(project=project).order_by("position", "number")
    return tasks.exclude(pk=task.pk) if task is not None else tasks


def rehearsal_list(*, user, project: Project) -> QuerySet[CutoverRehearsal]:
    """Dress rehearsals, latest first."""
    _ensure_visible(user, project)
    return CutoverRehearsal.objects.filter(project=project).order_by("-held_on", "-pk")


# --- Run-sheet ----------------------------------------------------------------------------


def duration_text(delta: datetime.timedelta) -> str:
    """A span as people say it on a weekend: 2 d 3 h, 1 h 05 min, 12 min."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@dataclass(frozen=True)
class Countdown:
    label: str
    at: datetime.datetime | None
    now: datetime.datetime

    @property
    def is_past(self) -> bool:
        return self.at is not None and self.at <= self.now

    @property
    def text(self) -> str:
        if self.at is None:
            return _("not set")
        span = duration_text(self.at - self.now)
        if self.is_past:
            return _("passed %(span)s ago") % {"span": span}
        return _("in %(span)s") % {"span": span}


@dataclass(frozen=True)
class RunTask:
    task: CutoverTask
    waiting_for: list[str]  # unfinished dependencies, by display number
    is_late: bool
    last_note: str

    @property
    def is_ready(self) -> bool:
        return not self.waiting_for


@dataclass(frozen=True)
class RunSheet:
    now: datetime.datetime
    running: list[RunTask]
    late: list[RunTask]
    next: list[RunTask]
    blocked: list[RunTask]
    done: list[RunTask]
    freeze: Countdown
    rollback: Countdown
    rollback_criteria: str

    @property
    def total(self) -> int:
        return sum(len(b) for b in (self.running, self.late, self.next, self.blocked, self.done))


_FAR_FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)


def run_sheet(project: Project, now: datetime.datetime) -> RunSheet:
    """The plan as it stands at `now`: what runs (late once past its planned end), what
    should have started, what comes next (ready, or waiting for its dependencies), what is
    blocked and what is done. Three queries whatever the number of tasks."""
    buckets: dict[str, list[RunTask]] = {
        name: [] for name in ("running", "late", "next", "blocked", "done")
    }
    for task in _tasks(project):
        task.project = project
        waiting = [
            dep.display_number for dep in task.depends_on.all() if dep.status != CutoverStatus.DONE
        ]
        notes = [line for line in task.notes.splitlines() if line.strip()]
        if task.status == CutoverStatus.IN_PROGRESS:
            end = task.planned_end
            bucket, late = "running", end is not None and now > end
        elif task.status == CutoverStatus.NOT_STARTED:
            late = task.planned_start is not None and now > task.planned_start
            bucket = "late" if late else "next"
        elif task.status == CutoverStatus.BLOCKED:
            bucket, late = "blocked", False
        else:
            bucket, late = "done", False
        buckets[bucket].append(
            RunTask(
                task=task,
                waiting_for=waiting,
                is_late=late,
                last_note=notes[-1] if notes else "",
            )
        )
    buckets["late"].sort(key=lambda row: row.task.planned_start)
    buckets["next"].sort(key=lambda row: row.task.planned_start or _FAR_FUTURE)
    buckets["done"].sort(key=lambda row: row.task.actual_end or _FAR_FUTURE)
    plan = golive_plan_of(project)
    return RunSheet(
        now=now,
        **buckets,
        freeze=Countdown(str(_("Legacy system frozen")), plan.legacy_freeze_at, now),
        rollback=Countdown(str(_("Rollback decision")), plan.rollback_decision_at, now),
        rollback_criteria=plan.rollback_criteria,
    )
