"""The go-live plan, go-live roles on the team (digital champions, hypercare team), and the
policy of every go-live service for every role."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from implementation.choices import CommunicationKind, CutoverStatus, RehearsalOutcome
from implementation.models import GoLivePlan
from implementation.models.golive import DEFAULT_TRAINING_THRESHOLD
from implementation.services import cutover, golive, migration, training
from projects import services as project_services
from projects.choices import Department, Role
from projects.errors import ApplicationError
from projects.models import Membership
from tests.factories import MembershipFactory
from tests.golive.factories import a_load, a_task, an_object

pytestmark = pytest.mark.django_db


def at(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


# --- Go-live plan ---------------------------------------------------------------------------


def test_reading_a_plan_that_does_not_exist_gives_the_defaults_and_writes_nothing(project):
    plan = golive.golive_plan_of(project)

    assert plan.pk is None
    assert plan.training_threshold == DEFAULT_TRAINING_THRESHOLD
    assert not GoLivePlan.objects.exists()


def test_the_pm_writes_the_plan_made_on_first_change(project, pm):
    plan = golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=at(10),
        rollback_decision_at=at(11.75),
        rollback_criteria="Invoices cannot be posted or the POS cannot sell.",
    )
    again = golive.golive_plan_update(actor=pm, project=project, training_threshold=80)

    assert GoLivePlan.objects.count() == 1
    assert again.pk == plan.pk
    again.refresh_from_db()
    assert again.training_threshold == 80
    assert again.rollback_criteria.startswith("Invoices")
    assert again.updated_by == pm
    assert golive.golive_plan_of(project).pk == plan.pk


@pytest.mark.parametrize("who", ["consultant", "it_member", "key_user", "executive"])
def test_only_the_pm_changes_the_plan(request, project, pm, who):
    with pytest.raises(PermissionDenied):
        golive.golive_plan_update(
            actor=request.getfixturevalue(who), project=project, training_threshold=50
        )
    assert not GoLivePlan.objects.exists()


def test_a_rollback_decision_before_the_freeze_is_refused(project, pm):
    golive.golive_plan_update(actor=pm, project=project, legacy_freeze_at=at(10))

    with pytest.raises(ValidationError) as error:
        golive.golive_plan_update(actor=pm, project=project, rollback_decision_at=at(9))

    assert error.value.message_dict == {
        "rollback_decision_at": ["The rollback decision comes after the legacy system is frozen."]
    }
    assert GoLivePlan.objects.get().rollback_decision_at is None


@pytest.mark.parametrize("field", ["legacy_freeze_at", "rollback_decision_at"])
def test_a_naive_time_is_refused(project, pm, field):
    with pytest.raises(ValidationError) as error:
        golive.golive_plan_update(
            actor=pm,
            project=project,
            **{field: datetime.datetime(2026, 12, 4, 18, 0)},  # noqa: DTZ001
        )
    assert error.value.message_dict == {field: ["Give the time with its time zone."]}
    assert not GoLivePlan.objects.exists()


@pytest.mark.parametrize("threshold", [-1, 101])
def test_a_threshold_outside_0_to_100_is_a_field_error(project, pm, threshold):
    with pytest.raises(ValidationError) as error:
        golive.golive_plan_update(actor=pm, project=project, training_threshold=threshold)
    assert set(error.value.message_dict) == {"training_threshold"}


# --- Champions and the hypercare team -------------------------------------------------------


def member(project, department, **flags):
    return MembershipFactory(project=project, role=Role.PILOT_USER, department=department, **flags)


def flags():
    return sorted(
        Membership.objects.values_list("user__username", "is_champion", "on_hypercare_team")
    )


def test_the_pm_names_a_champion_and_the_hypercare_team(project, pm):
    seller = member(project, Department.SALES)

    named = project_services.membership_set_go_live_roles(
        actor=pm, membership=seller, is_champion=True, on_hypercare_team=True
    )

    named.refresh_from_db()
    assert (named.is_champion, named.on_hypercare_team) == (True, True)
    kept = project_services.membership_set_go_live_roles(
        actor=pm, membership=seller, on_hypercare_team=False
    )
    kept.refresh_from_db()
    assert (kept.is_champion, kept.on_hypercare_team) == (True, False)


def test_one_champion_per_department(project, pm):
    member(project, Department.SALES, is_champion=True)
    second = member(project, Department.SALES)
    before = flags()

    with pytest.raises(ApplicationError, match="Sales already has a digital champion"):
        project_services.membership_set_go_live_roles(actor=pm, membership=second, is_champion=True)

    assert flags() == before


def test_renaming_the_same_champion_is_no_conflict(project, pm):
    champion = member(project, Department.SALES, is_champion=True)
    again = project_services.membership_set_go_live_roles(
        actor=pm, membership=champion, is_champion=True
    )
    assert again.is_champion


def test_a_champion_moved_into_a_department_with_a_champion_is_refused(project, pm):
    member(project, Department.WAREHOUSE, is_champion=True)
    seller = member(project, Department.SALES, is_champion=True)

    with pytest.raises(ApplicationError, match="Warehouse already has a digital champion"):
        project_services.membership_change(
            actor=pm, membership=seller, role=Role.PILOT_USER, department=Department.WAREHOUSE
        )

    seller.refresh_from_db()
    assert seller.department == Department.SALES


def test_a_member_who_is_no_champion_may_move_anywhere(project, pm):
    member(project, Department.WAREHOUSE, is_champion=True)
    seller = member(project, Department.SALES)

    moved = project_services.membership_change(
        actor=pm, membership=seller, role=Role.PILOT_USER, department=Department.WAREHOUSE
    )

    assert moved.department == Department.WAREHOUSE


@pytest.mark.parametrize("who", ["consultant", "key_user"])
def test_only_team_managers_name_go_live_roles(request, project, pm, who):
    actor = request.getfixturevalue(who)
    seller = member(project, Department.SALES)
    before = flags()
    with pytest.raises(PermissionDenied):
        project_services.membership_set_go_live_roles(
            actor=actor, membership=seller, is_champion=True
        )
    assert flags() == before


# --- Who may call what ----------------------------------------------------------------------

PM, CON, IT, KEY = Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT, Role.KEY_USER

# Written out on purpose rather than derived from the policy module: a change of policy
# must change this table too.
ALLOWED: dict[str, set[str]] = {
    "migration_object_create": {PM, CON, IT},
    "migration_object_update": {PM, CON, IT},
    "load_record": {PM, CON, IT},
    "load_update": {PM, CON, IT},
    "cutover_task_create": {PM, CON, IT},
    "cutover_task_update": {PM, CON, IT},
    "cutover_task_move": {PM, CON, IT},  # a task owned by the PM
    "rehearsal_record": {PM, CON, IT},
    "activity_create": {PM, CON, KEY},
    "activity_update": {PM, CON, KEY},
    "end_user_create": {PM, CON, KEY},
    "end_user_update": {PM, CON, KEY},
    "end_users_import": {PM, CON, KEY},
    "session_create": {PM, CON, KEY},
    "session_update": {PM, CON, KEY},
    "session_invite": {PM, CON, KEY},
    "attendance_record": {PM, CON, KEY},
    "attendance_remove": {PM, CON, KEY},
    "golive_plan_update": {PM},
    "membership_set_go_live_roles": {PM},
}


@pytest.fixture
def world(project, members):
    """One of everything, made by the PM (who may do all of it)."""
    pm = members[Role.PROJECT_MANAGER]
    obj = an_object(project, pm, pm)
    session = training.session_create(
        actor=pm,
        project=project,
        title="Warehouse receipts",
        starts_at=at(-1),
        duration_minutes=90,
    )
    end_user = training.end_user_create(
        actor=pm, project=project, name="Vũ Văn Kho", department=Department.WAREHOUSE
    )
    training.session_invite(actor=pm, session=session, end_users=[end_user])
    return {
        "pm": pm,
        "object": obj,
        "load": a_load(obj, pm),
        "task": a_task(project, pm),
        "activity": training.activity_create(
            actor=pm,
            project=project,
            title="Posters in the stores",
            kind=CommunicationKind.POSTER,
            planned_on=datetime.date(2026, 12, 1),
            owner=pm,
        ),
        "end_user": end_user,
        "session": session,
        "membership": Membership.objects.get(project=project, user=members[Role.PILOT_USER]),
    }


ACTIONS = {
    "migration_object_create": lambda a, p, w: migration.migration_object_create(
        actor=a, project=p, name="Vendors", source_system="Excel", owner=w["pm"]
    ),
    "migration_object_update": lambda a, p, w: migration.migration_object_update(
        actor=a, obj=w["object"], mapping_notes="Tax code → VAT field."
    ),
    "load_record": lambda a, p, w: a_load(w["object"], a),
    "load_update": lambda a, p, w: migration.load_update(actor=a, load=w["load"], notes="ok"),
    "cutover_task_create": lambda a, p, w: cutover.cutover_task_create(
        actor=a, project=p, title="Back up the POS database"
    ),
    "cutover_task_update": lambda a, p, w: cutover.cutover_task_update(
        actor=a, task=w["task"], duration_minutes=90
    ),
    "cutover_task_move": lambda a, p, w: cutover.cutover_task_move(
        actor=a, task=w["task"], status=CutoverStatus.IN_PROGRESS
    ),
    "rehearsal_record": lambda a, p, w: cutover.rehearsal_record(
        actor=a, project=p, held_on=p.local_today(), outcome=RehearsalOutcome.SUCCESSFUL
    ),
    "activity_create": lambda a, p, w: training.activity_create(
        actor=a,
        project=p,
        title="Weekly news e-mail",
        kind=CommunicationKind.EMAIL,
        planned_on=datetime.date(2026, 12, 2),
        owner=w["pm"],
    ),
    "activity_update": lambda a, p, w: training.activity_update(
        actor=a, activity=w["activity"], notes="Printed."
    ),
    "end_user_create": lambda a, p, w: training.end_user_create(
        actor=a, project=p, name="Đỗ Thị Hoa", department=Department.SALES
    ),
    "end_user_update": lambda a, p, w: training.end_user_update(
        actor=a, end_user=w["end_user"], name="Vũ Văn Khoa"
    ),
    "end_users_import": lambda a, p, w: training.end_users_import(
        actor=a, project=p, text="Đỗ Thị Hoa,Sales\n"
    ),
    "session_create": lambda a, p, w: training.session_create(
        actor=a, project=p, title="Month-end close", starts_at=at(3), duration_minutes=60
    ),
    "session_update": lambda a, p, w: training.session_update(
        actor=a, session=w["session"], location="Hà Đông warehouse"
    ),
    "session_invite": lambda a, p, w: training.session_invite(
        actor=a, session=w["session"], end_users=[w["end_user"]]
    ),
    "attendance_record": lambda a, p, w: training.attendance_record(
        actor=a, session=w["session"], attended={w["end_user"].pk: True}
    ),
    "attendance_remove": lambda a, p, w: training.attendance_remove(
        actor=a, session=w["session"], end_user=w["end_user"]
    ),
    "golive_plan_update": lambda a, p, w: golive.golive_plan_update(
        actor=a, project=p, support_plan="Hotline 8-18."
    ),
    "membership_set_go_live_roles": lambda a, p, w: project_services.membership_set_go_live_roles(
        actor=a, membership=w["membership"], on_hypercare_team=True
    ),
}


def test_the_table_covers_every_action():
    assert set(ALLOWED) == set(ACTIONS)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_policy_of_every_service_for_every_role(project, members, world, role, action):
    actor = members[role]
    if role in ALLOWED[action]:
        ACTIONS[action](actor, project, world)
    else:
        with pytest.raises(PermissionDenied):
            ACTIONS[action](actor, project, world)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_outsiders_may_call_no_go_live_service(project, world, outsider, action):
    with pytest.raises(PermissionDenied):
        ACTIONS[action](outsider, project, world)


def test_the_cutover_task_owner_may_move_it_whatever_the_role(project, members, world):
    viewer = members[Role.VIEWER]
    task = cutover.cutover_task_update(actor=world["pm"], task=world["task"], owner=viewer)

    moved = cutover.cutover_task_move(actor=viewer, task=task, status=CutoverStatus.IN_PROGRESS)

    assert moved.status == CutoverStatus.IN_PROGRESS
