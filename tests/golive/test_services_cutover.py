"""Cutover services: the plan's tasks and dependencies (never a cycle), the run-sheet moves
and rehearsals."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from implementation.choices import CUTOVER_TRANSITIONS, CutoverStatus, RehearsalOutcome
from implementation.models import CutoverRehearsal, CutoverTask
from implementation.services import cutover
from tests.factories import MembershipFactory, UserFactory
from tests.golive.factories import a_task

pytestmark = pytest.mark.django_db
S = CutoverStatus


def tasks():
    return list(CutoverTask.objects.order_by("pk").values())


def edges():
    through = CutoverTask.depends_on.through
    return sorted(through.objects.values_list("from_cutovertask_id", "to_cutovertask_id"))


def chain(project, actor, count=3):
    """T-1 <- T-2 <- ... each depending on the one before."""
    made = [a_task(project, actor, title="Task 1")]
    for n in range(2, count + 1):
        made.append(a_task(project, actor, title=f"Task {n}", depends_on=[made[-1]]))
    return made


def test_tasks_are_numbered_and_placed_at_the_end(project, it_member):
    first = a_task(project, it_member, title="  Freeze legacy POS  ")
    second = a_task(project, it_member)
    third = a_task(project, it_member, position=5)

    assert [t.number for t in (first, second, third)] == [1, 2, 3]
    assert [t.position for t in (first, second, third)] == [10, 20, 5]
    assert first.title == "Freeze legacy POS"
    assert first.display_number == "T-1"
    assert first.created_by == it_member


def test_a_task_with_its_dependencies(project, it_member):
    one, two = a_task(project, it_member), a_task(project, it_member)

    three = a_task(project, it_member, depends_on=[one, two])

    assert set(three.depends_on.all()) == {one, two}
    found = cutover.dependency_edges(project)
    assert set(found) == {one.pk, two.pk, three.pk}
    assert (found[one.pk], found[two.pk], sorted(found[three.pk])) == ([], [], [one.pk, two.pk])


def test_a_dependency_on_another_projects_task_is_refused(project, it_member, outsider):
    other = outsider.memberships.get().project
    foreign = a_task(other, outsider)
    before = tasks()

    with pytest.raises(ValidationError) as error:
        a_task(project, it_member, depends_on=[foreign])

    assert error.value.message_dict == {
        "depends_on": ["Choose tasks of this project's cutover plan."]
    }
    assert tasks() == before


def test_a_task_cannot_depend_on_itself(project, it_member):
    task = a_task(project, it_member)

    with pytest.raises(ValidationError) as error:
        cutover.cutover_task_update(actor=it_member, task=task, depends_on=[task])

    assert error.value.message_dict == {"depends_on": ["A task cannot depend on itself."]}
    assert edges() == []


def test_an_update_closing_a_cycle_is_refused_with_the_cycle_spelled_out(project, it_member):
    one, two, three = chain(project, it_member)
    before_edges, before = edges(), tasks()

    with pytest.raises(ValidationError) as error:
        cutover.cutover_task_update(
            actor=it_member, task=one, depends_on=[three], title="Renamed too"
        )

    assert error.value.message_dict == {
        "depends_on": [
            "These dependencies would make a cycle that can never run: T-1 → T-3 → T-2 → T-1."
        ]
    }
    assert (edges(), tasks()) == (before_edges, before)


def test_a_two_task_cycle_is_refused(project, it_member):
    one, two = chain(project, it_member, count=2)

    with pytest.raises(ValidationError, match="T-1 → T-2 → T-1"):
        cutover.cutover_task_update(actor=it_member, task=one, depends_on=[two])


def test_dependencies_can_be_turned_around_in_one_update(project, it_member):
    one, two = chain(project, it_member, count=2)
    cutover.cutover_task_update(actor=it_member, task=two, depends_on=[])

    cutover.cutover_task_update(actor=it_member, task=one, depends_on=[two])

    assert edges() == [(one.pk, two.pk)]


def test_an_owner_outside_the_team_is_refused(project, it_member):
    with pytest.raises(ValidationError) as error:
        a_task(project, it_member, owner=UserFactory())
    assert error.value.message_dict == {"owner": ["Choose a member of this project's team."]}
    assert tasks() == []


def test_a_naive_planned_start_is_refused(project, it_member):
    with pytest.raises(ValidationError) as error:
        a_task(project, it_member, planned_start=datetime.datetime(2026, 12, 4, 18, 0))  # noqa: DTZ001
    assert error.value.message_dict == {"planned_start": ["Give the time with its time zone."]}


def test_a_task_may_be_planned_without_owner_or_time(project, it_member):
    task = a_task(project, it_member, owner=None, planned_start=None, duration_minutes=None)
    assert not task.is_complete


# --- The run-sheet --------------------------------------------------------------------------


def move(task, actor, status, **kwargs):
    return cutover.cutover_task_move(actor=actor, task=task, status=status, **kwargs)


@pytest.mark.parametrize(
    ("source", "target"),
    [(s, t) for s in S for t in S if s != t],
)
def test_every_move_follows_the_transition_table(project, it_member, source, target):
    task = a_task(project, it_member)
    CutoverTask.objects.filter(pk=task.pk).update(status=source)
    task.refresh_from_db()
    allowed = target in CUTOVER_TRANSITIONS[source]

    if allowed:
        moved = move(task, it_member, target, note="Network switch down.")
        assert moved.status == target
    else:
        with pytest.raises(ValidationError) as error:
            move(task, it_member, target, note="x")
        assert "status" in error.value.message_dict
        task.refresh_from_db()
        assert task.status == source


def test_a_task_waits_for_its_dependencies_to_be_done(project, it_member):
    one, two = chain(project, it_member, count=2)

    with pytest.raises(ValidationError) as error:
        move(two, it_member, S.IN_PROGRESS)

    assert error.value.message_dict == {"status": ["This task waits for T-1 to be done."]}
    move(one, it_member, S.IN_PROGRESS)
    move(one, it_member, S.DONE)
    started = move(two, it_member, S.IN_PROGRESS)
    assert started.status == S.IN_PROGRESS
    assert started.actual_start is not None


def test_blocking_needs_a_note_which_is_kept_with_who_and_when(project, it_member):
    task = a_task(project, it_member)
    move(task, it_member, S.IN_PROGRESS)

    with pytest.raises(ValidationError) as error:
        move(task, it_member, S.BLOCKED, note="   ")
    assert error.value.message_dict == {"note": ["Say what blocks the task."]}

    blocked = move(task, it_member, S.BLOCKED, note="Bank file rejected by the importer.")
    blocked.refresh_from_db()
    assert blocked.status == S.BLOCKED
    assert blocked.notes.endswith("Bank file rejected by the importer.")
    assert it_member.get_full_name() in blocked.notes


def test_done_sets_the_actual_end_and_reopening_clears_it(project, it_member):
    task = a_task(project, it_member)
    start = timezone.now() - datetime.timedelta(hours=2)
    end = timezone.now() - datetime.timedelta(hours=1)
    move(task, it_member, S.IN_PROGRESS, at=start)

    done = move(task, it_member, S.DONE, at=end)
    done.refresh_from_db()
    assert (done.actual_start, done.actual_end) == (start, end)

    again = move(done, it_member, S.IN_PROGRESS)
    again.refresh_from_db()
    assert again.status == S.IN_PROGRESS
    assert (again.actual_start, again.actual_end) == (start, None)


def test_a_task_cannot_end_before_it_started(project, it_member):
    task = a_task(project, it_member)
    move(task, it_member, S.IN_PROGRESS)

    with pytest.raises(ValidationError) as error:
        move(task, it_member, S.DONE, at=timezone.now() - datetime.timedelta(days=1))

    assert set(error.value.message_dict) == {"at"}
    task.refresh_from_db()
    assert (task.status, task.actual_end) == (S.IN_PROGRESS, None)


def test_a_move_is_never_recorded_in_advance(project, it_member):
    task = a_task(project, it_member)
    with pytest.raises(ValidationError) as error:
        move(task, it_member, S.IN_PROGRESS, at=timezone.now() + datetime.timedelta(hours=1))
    assert set(error.value.message_dict) == {"at"}
    task.refresh_from_db()
    assert task.status == S.NOT_STARTED


def test_the_owner_moves_their_own_task(project, it_member, pilot_user):
    task = a_task(project, it_member, owner=pilot_user)

    moved = move(task, pilot_user, S.IN_PROGRESS)

    assert moved.status == S.IN_PROGRESS


@pytest.mark.parametrize("who", ["pilot_user", "key_user", "executive", "viewer"])
def test_other_members_do_not_move_a_task(request, project, it_member, who):
    owner = MembershipFactory(project=project).user
    task = a_task(project, it_member, owner=owner)

    with pytest.raises(PermissionDenied):
        move(task, request.getfixturevalue(who), S.IN_PROGRESS)

    task.refresh_from_db()
    assert task.status == S.NOT_STARTED


def test_the_owner_may_not_edit_the_plan(project, it_member, pilot_user):
    task = a_task(project, it_member, owner=pilot_user)
    with pytest.raises(PermissionDenied):
        cutover.cutover_task_update(actor=pilot_user, task=task, title="Mine now")


# --- Rehearsals -----------------------------------------------------------------------------


def test_a_rehearsal_is_recorded_once_held(project, it_member):
    rehearsal = cutover.rehearsal_record(
        actor=it_member,
        project=project,
        held_on=project.local_today(),
        outcome=RehearsalOutcome.SUCCESSFUL,
        duration_hours="30.5",
        notes="Opening balances took 4 hours, not 2.",
    )
    assert rehearsal.recorded_by == it_member
    assert CutoverRehearsal.objects.count() == 1

    with pytest.raises(ValidationError) as error:
        cutover.rehearsal_record(
            actor=it_member,
            project=project,
            held_on=project.local_today() + datetime.timedelta(days=1),
            outcome=RehearsalOutcome.SUCCESSFUL,
        )
    assert set(error.value.message_dict) == {"held_on"}
    assert CutoverRehearsal.objects.count() == 1


def test_a_task_blocked_before_it_ran_still_waits_for_its_dependencies(project, it_member):
    one, two = chain(project, it_member, count=2)
    move(two, it_member, S.BLOCKED, note="Waiting for the network team.")

    with pytest.raises(ValidationError) as error:
        move(two, it_member, S.IN_PROGRESS)

    assert error.value.message_dict == {"status": ["This task waits for T-1 to be done."]}
    two.refresh_from_db()
    assert (two.status, two.actual_start) == (S.BLOCKED, None)


def test_a_task_blocked_while_running_resumes_without_waiting(project, it_member):
    one, two = chain(project, it_member, count=2)
    move(one, it_member, S.IN_PROGRESS)
    move(one, it_member, S.DONE)
    move(two, it_member, S.IN_PROGRESS)
    move(one, it_member, S.IN_PROGRESS)  # taken up again: two's dependency is open again
    move(two, it_member, S.BLOCKED, note="Load stopped.")

    assert move(two, it_member, S.IN_PROGRESS).status == S.IN_PROGRESS


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+00:00", "1999-12-31T12:00:00+00:00"])
def test_a_move_dated_implausibly_early_is_a_field_error(project, it_member, at):
    project.time_zone = "America/New_York"
    project.save(update_fields=["time_zone"])
    task = a_task(project, it_member)

    with pytest.raises(ValidationError) as error:
        cutover.cutover_task_move(
            actor=it_member,
            task=task,
            status=S.BLOCKED,
            note="x",
            at=datetime.datetime.fromisoformat(at),
        )

    assert list(error.value.message_dict) == ["at"]
    task.refresh_from_db()
    assert (task.status, task.notes) == (S.NOT_STARTED, "")
