"""Phase and checklist services: the transition table, the gate, waivers, reopening, plan
edits, the frozen checklist and who may write what."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from implementation.choices import PHASE_TRANSITIONS, ChecklistItemKind, PhaseKind, PhaseStatus
from implementation.models import ChecklistItem, Phase, PhaseTransition
from implementation.services import phases as services
from projects import services as project_services
from projects.choices import Role, SystemKind
from projects.errors import ApplicationError
from tests.implementation.phase_helpers import (
    phase_of,
)

PLAN_EDITORS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
NOT_PLAN_EDITORS = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
REOPEN_REASON_REQUIRED = "Say why the phase is reopened."
FROZEN = "Discovery & planning is completed; reopen it to change its checklist."
# The ERP template's discovery checklist: 8 items, the 6th ("Master data ...") optional.
DISCOVERY_MANDATORY = [
    "Kick-off held: goals, schedule, roles and expectations agreed",
    "Steering group named: IT, business departments, finance, HR, management",
    "Current processes analysed and requirements collected",
    "Project plan written: method, deployment plan, preparation, test procedure",
    "Data to migrate identified: chart of accounts, vendors, customers, items",
    "Success KPIs chosen, with how each baseline will be measured",
    "Chart of accounts and opening balances scoped",
]
DISCOVERY_OPTIONAL = "Master data prepared in the target format"


# --- Helpers ------------------------------------------------------------------------------


@pytest.fixture
def project(creator):
    """The shared `project` fixture, but created from the ERP template with its six phases."""
    return project_services.project_create(
        actor=creator,
        name="Hanoi Retail ERP",
        code="HNR-ERP",
        client_organisation="Hanoi Retail JSC",
        system_kind=SystemKind.ERP,
        start_date=timezone.localdate() + datetime.timedelta(days=14),
    )


def item_titled(phase, title) -> ChecklistItem:
    return ChecklistItem.objects.get(phase=phase, title=title)


def state(project) -> tuple:
    """Everything the phase services may write, to prove a refusal changed nothing."""
    return (
        list(Phase.objects.filter(project=project).order_by("pk").values()),
        list(ChecklistItem.objects.filter(phase__project=project).order_by("pk").values()),
        list(PhaseTransition.objects.filter(phase__project=project).order_by("pk").values()),
    )


def tick_mandatory(phase, user, *, keep_open=()) -> None:
    ChecklistItem.objects.filter(phase=phase, is_mandatory=True).exclude(
        title__in=keep_open
    ).update(done_at=timezone.now(), done_by=user)


def set_status(phase, status) -> Phase:
    """Put a phase in a status directly (the services are what is under test)."""
    today = phase.project.local_today()
    phase.status = status
    phase.actual_start = None if status == PhaseStatus.NOT_STARTED else today
    phase.actual_end = today if status == PhaseStatus.COMPLETED else None
    phase.save()
    return phase


def started(project, actor, kind=PhaseKind.DISCOVERY) -> Phase:
    return services.phase_start(actor=actor, phase=phase_of(project, kind))


def completed(project, actor, kind=PhaseKind.DISCOVERY) -> Phase:
    phase = started(project, actor, kind)
    tick_mandatory(phase, actor)
    return services.phase_complete(actor=actor, phase=phase)


def last_transition(phase) -> PhaseTransition:
    return PhaseTransition.objects.filter(phase=phase).latest("at", "pk")


# --- The transition table -----------------------------------------------------------------

ALLOWED_MOVES = {
    (PhaseStatus.NOT_STARTED, PhaseStatus.IN_PROGRESS),
    (PhaseStatus.IN_PROGRESS, PhaseStatus.COMPLETED),
    (PhaseStatus.COMPLETED, PhaseStatus.IN_PROGRESS),
}


@pytest.mark.parametrize("source", list(PhaseStatus))
@pytest.mark.parametrize("target", list(PhaseStatus))
def test_transition_table_allows_only_start_complete_and_reopen(source, target):
    assert (target in PHASE_TRANSITIONS[source]) == ((source, target) in ALLOWED_MOVES)


def _start(actor, phase):
    return services.phase_start(actor=actor, phase=phase)


def _complete(actor, phase):
    return services.phase_complete(actor=actor, phase=phase, waiver_reason="Accepted by steering")


def _reopen(actor, phase):
    return services.phase_reopen(actor=actor, phase=phase, reason="Sign-off was incomplete")


MOVES = {"start": _start, "complete": _complete, "reopen": _reopen}


@pytest.mark.parametrize(
    ("move", "source", "target"),
    [
        ("start", PhaseStatus.NOT_STARTED, PhaseStatus.IN_PROGRESS),
        ("complete", PhaseStatus.IN_PROGRESS, PhaseStatus.COMPLETED),
        ("reopen", PhaseStatus.COMPLETED, PhaseStatus.IN_PROGRESS),
    ],
)
def test_each_move_succeeds_from_its_one_source_status_and_is_recorded(
    project, pm, move, source, target
):
    phase = set_status(phase_of(project), source)

    moved = MOVES[move](pm, phase)

    assert moved.status == target
    assert phase_of(project).status == target
    transition = PhaseTransition.objects.get(phase=phase)
    assert (transition.from_status, transition.to_status, transition.actor) == (source, target, pm)


@pytest.mark.parametrize(
    ("move", "source"),
    [
        ("start", PhaseStatus.IN_PROGRESS),
        ("start", PhaseStatus.COMPLETED),
        ("complete", PhaseStatus.NOT_STARTED),
        ("complete", PhaseStatus.COMPLETED),
        ("reopen", PhaseStatus.NOT_STARTED),
        ("reopen", PhaseStatus.IN_PROGRESS),
    ],
)
def test_every_other_move_is_refused_and_changes_nothing(project, pm, move, source):
    phase = set_status(phase_of(project), source)
    before = state(project)

    with pytest.raises(ApplicationError):
        MOVES[move](pm, phase)

    assert state(project) == before
    assert not PhaseTransition.objects.filter(phase=phase).exists()


def test_start_sets_actual_start_to_project_local_today_and_keeps_a_recorded_one(project, pm):
    design = phase_of(project, PhaseKind.DESIGN)
    Phase.objects.filter(pk=design.pk).update(actual_start=datetime.date(2026, 1, 2))

    discovery = services.phase_start(actor=pm, phase=phase_of(project))
    design = services.phase_start(actor=pm, phase=design)

    assert discovery.actual_start == project.local_today()
    assert phase_of(project).actual_start == project.local_today()
    assert phase_of(project, PhaseKind.DESIGN).actual_start == datetime.date(2026, 1, 2)


# --- The gate -----------------------------------------------------------------------------


def test_complete_fails_while_mandatory_items_are_open_and_lists_them(project, pm):
    phase = started(project, pm)
    tick_mandatory(phase, pm, keep_open=DISCOVERY_MANDATORY[:2])
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.phase_complete(actor=pm, phase=phase)

    assert error.value.message_dict == {
        "waiver_reason": [
            "2 mandatory items are still open: "
            f"{DISCOVERY_MANDATORY[0]}; {DISCOVERY_MANDATORY[1]}. Tick them, or have the "
            "project manager complete the phase with a waiver reason."
        ]
    }
    assert state(project) == before
    assert phase_of(project).status == PhaseStatus.IN_PROGRESS


def test_complete_message_names_a_single_open_item(project, pm):
    phase = started(project, pm)
    tick_mandatory(phase, pm, keep_open=[DISCOVERY_MANDATORY[3]])

    with pytest.raises(ValidationError) as error:
        services.phase_complete(actor=pm, phase=phase, waiver_reason="   ")

    assert error.value.message_dict == {
        "waiver_reason": [
            f"1 mandatory item is still open: {DISCOVERY_MANDATORY[3]}. Tick it, or have the "
            "project manager complete the phase with a waiver reason."
        ]
    }


def test_complete_message_lists_the_first_five_open_items_then_an_ellipsis(project, pm):
    phase = started(project, pm)

    with pytest.raises(ValidationError) as error:
        services.phase_complete(actor=pm, phase=phase)

    assert error.value.message_dict == {
        "waiver_reason": [
            "7 mandatory items are still open: "
            + "; ".join(DISCOVERY_MANDATORY[:5])
            + "; …. Tick them, or have the project manager complete the phase with a "
            "waiver reason."
        ]
    }


def test_open_optional_items_do_not_block_completion(project, consultant):
    phase = started(project, consultant)
    tick_mandatory(phase, consultant)

    completed_phase = services.phase_complete(actor=consultant, phase=phase)

    assert completed_phase.status == PhaseStatus.COMPLETED
    assert item_titled(phase, DISCOVERY_OPTIONAL).done_at is None
    assert phase_of(project).status == PhaseStatus.COMPLETED


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_complete_with_every_mandatory_item_done_records_the_transition(project, members, role):
    actor = members[role]
    phase = started(project, actor)
    tick_mandatory(phase, actor)

    services.phase_complete(actor=actor, phase=phase)

    saved = phase_of(project)
    assert saved.status == PhaseStatus.COMPLETED
    assert saved.actual_end == project.local_today()
    assert (saved.waiver_reason, saved.waived_by, saved.waived_at) == ("", None, None)
    transition = last_transition(phase)
    assert transition.from_status == PhaseStatus.IN_PROGRESS
    assert transition.to_status == PhaseStatus.COMPLETED
    assert transition.actor == actor
    assert transition.reason == ""
    assert transition.is_waiver is False


def test_actual_end_is_today_in_the_projects_time_zone(project, pm):
    # Kiritimati is UTC+14: its date is ahead of the server's for most of the day.
    project.time_zone = "Pacific/Kiritimati"
    project.save(update_fields=["time_zone"])
    phase = started(project, pm)
    tick_mandatory(phase, pm)

    services.phase_complete(actor=pm, phase=phase_of(project))

    kiritimati_today = timezone.localdate(timezone=zoneinfo.ZoneInfo("Pacific/Kiritimati"))
    assert phase_of(project).actual_end == kiritimati_today


def test_complete_never_ends_before_a_recorded_future_start(project, pm):
    phase = started(project, pm)
    future = project.local_today() + datetime.timedelta(days=3)
    Phase.objects.filter(pk=phase.pk).update(actual_start=future)
    tick_mandatory(phase, pm)

    services.phase_complete(actor=pm, phase=phase)

    assert phase_of(project).actual_end == future


# --- Waivers ------------------------------------------------------------------------------


def test_project_manager_completes_with_a_waiver_while_items_are_open(project, pm):
    phase = started(project, pm)

    services.phase_complete(
        actor=pm, phase=phase, waiver_reason="  Steering group accepts the open items.  "
    )

    saved = phase_of(project)
    assert saved.status == PhaseStatus.COMPLETED
    assert saved.waiver_reason == "Steering group accepts the open items."
    assert saved.waived_by == pm
    assert saved.waived_at is not None
    assert saved.is_waived is True
    assert saved.actual_end == project.local_today()
    transition = last_transition(phase)
    assert transition.from_status == PhaseStatus.IN_PROGRESS
    assert transition.to_status == PhaseStatus.COMPLETED
    assert transition.actor == pm
    assert transition.is_waiver is True
    assert transition.reason == "Steering group accepts the open items."
    # the open items stay open: the waiver does not tick them
    assert ChecklistItem.objects.filter(phase=phase, done_at__isnull=True).count() == 8


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.IT])
def test_builder_cannot_waive_the_gate_and_nothing_changes(project, members, role):
    actor = members[role]
    phase = started(project, actor)
    tick_mandatory(phase, actor, keep_open=DISCOVERY_MANDATORY[:1])
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.phase_complete(actor=actor, phase=phase, waiver_reason="We are late anyway.")

    assert state(project) == before
    assert phase_of(project).status == PhaseStatus.IN_PROGRESS


def test_waiver_reason_is_ignored_when_nothing_is_left_to_waive(project, consultant):
    phase = started(project, consultant)
    tick_mandatory(phase, consultant)

    services.phase_complete(actor=consultant, phase=phase, waiver_reason="Just in case.")

    saved = phase_of(project)
    assert saved.status == PhaseStatus.COMPLETED
    assert (saved.waiver_reason, saved.waived_by, saved.waived_at) == ("", None, None)
    transition = last_transition(phase)
    assert (transition.is_waiver, transition.reason) == (False, "")


# --- Reopen -------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_reopen_needs_a_reason(project, pm, reason):
    phase = completed(project, pm)
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.phase_reopen(actor=pm, phase=phase, reason=reason)

    assert error.value.message_dict == {"reason": [REOPEN_REASON_REQUIRED]}
    assert state(project) == before


def test_reopen_records_who_when_and_why_and_keeps_the_waiver_in_history(project, pm, consultant):
    phase = started(project, pm)
    services.phase_complete(actor=pm, phase=phase, waiver_reason="Accepted by the steering group.")

    services.phase_reopen(actor=consultant, phase=phase, reason="  Kick-off notes were lost.  ")

    saved = phase_of(project)
    assert saved.status == PhaseStatus.IN_PROGRESS
    assert saved.actual_start == project.local_today()
    assert saved.actual_end is None
    assert (saved.waiver_reason, saved.waived_by, saved.waived_at) == ("", None, None)
    history = list(
        PhaseTransition.objects.filter(phase=phase)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "actor", "reason", "is_waiver")
    )
    assert history == [
        (PhaseStatus.NOT_STARTED, PhaseStatus.IN_PROGRESS, pm.pk, "", False),
        (
            PhaseStatus.IN_PROGRESS,
            PhaseStatus.COMPLETED,
            pm.pk,
            "Accepted by the steering group.",
            True,
        ),
        (
            PhaseStatus.COMPLETED,
            PhaseStatus.IN_PROGRESS,
            consultant.pk,
            "Kick-off notes were lost.",
            False,
        ),
    ]
    assert last_transition(phase).at is not None


# --- Phase moves: who may -----------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
@pytest.mark.parametrize(
    ("move", "source"),
    [
        ("start", PhaseStatus.NOT_STARTED),
        ("complete", PhaseStatus.IN_PROGRESS),
        ("reopen", PhaseStatus.COMPLETED),
    ],
)
def test_member_without_plan_rights_cannot_move_a_phase(project, members, role, move, source):
    phase = set_status(phase_of(project), source)
    before = state(project)

    with pytest.raises(PermissionDenied):
        MOVES[move](members[role], phase)

    assert state(project) == before


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editors_start_and_reopen_phases(project, members, role):
    actor = members[role]
    phase = services.phase_start(actor=actor, phase=phase_of(project))
    tick_mandatory(phase, actor)
    services.phase_complete(actor=actor, phase=phase)

    services.phase_reopen(actor=actor, phase=phase, reason="Missed a deliverable.")

    assert phase_of(project).status == PhaseStatus.IN_PROGRESS
    assert PhaseTransition.objects.filter(phase=phase, actor=actor).count() == 3


# --- phase_update -------------------------------------------------------------------------


def test_update_saves_plan_owner_and_notes(project, pm, consultant):
    phase = phase_of(project)

    services.phase_update(
        actor=consultant,
        phase=phase,
        planned_start=datetime.date(2027, 1, 4),
        planned_end=datetime.date(2027, 2, 26),
        owner=pm,
        notes="Workshops in Hanoi.",
    )

    saved = phase_of(project)
    assert saved.planned_start == datetime.date(2027, 1, 4)
    assert saved.planned_end == datetime.date(2027, 2, 26)
    assert saved.owner == pm
    assert saved.notes == "Workshops in Hanoi."
    assert saved.status == PhaseStatus.NOT_STARTED


def test_update_refuses_planned_end_before_planned_start_and_saves_nothing(project, pm):
    phase = phase_of(project)
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.phase_update(
            actor=pm,
            phase=phase,
            planned_end=phase.planned_start - datetime.timedelta(days=1),
            notes="Should not be saved.",
        )

    assert error.value.message_dict == {
        "planned_end": ["The planned end cannot be before the planned start."]
    }
    assert state(project) == before


def test_update_refuses_actual_end_before_actual_start_and_saves_nothing(project, pm):
    phase = completed(project, pm)
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.phase_update(
            actor=pm,
            phase=phase,
            actual_end=phase.actual_start - datetime.timedelta(days=1),
            notes="Should not be saved.",
        )

    assert error.value.message_dict == {
        "actual_end": ["The actual end cannot be before the actual start."]
    }
    assert state(project) == before


def test_update_refuses_an_actual_end_on_a_running_phase(project, pm):
    phase = started(project, pm)
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.phase_update(actor=pm, phase=phase, actual_end=project.local_today())

    assert error.value.message_dict == {"actual_end": ["Only a completed phase has an actual end."]}
    assert state(project) == before


def test_update_refuses_an_owner_who_is_not_on_the_team(project, pm, outsider):
    phase = phase_of(project)
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.phase_update(actor=pm, phase=phase, owner=outsider, notes="Should not be saved.")

    assert error.value.message_dict == {"owner": ["Choose a member of this project's team."]}
    assert state(project) == before


def test_update_refuses_status_changes(project, pm):
    before = state(project)

    with pytest.raises(TypeError):
        services.phase_update(actor=pm, phase=phase_of(project), status=PhaseStatus.COMPLETED)

    assert state(project) == before


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_member_without_plan_rights_cannot_update_a_phase(project, members, role):
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.phase_update(actor=members[role], phase=phase_of(project), notes="Mine now.")

    assert state(project) == before


# --- Checklist: create --------------------------------------------------------------------


def test_item_create_appends_at_the_end(project, consultant, pilot_user):
    phase = phase_of(project)

    item = services.checklist_item_create(
        actor=consultant,
        phase=phase,
        title="Vendor contract countersigned",
        kind=ChecklistItemKind.DELIVERABLE,
        owner=pilot_user,
        due_date=datetime.date(2027, 2, 1),
        is_mandatory=False,
    )

    saved = ChecklistItem.objects.get(pk=item.pk)
    assert saved.position == 9
    assert saved.phase == phase
    assert saved.title == "Vendor contract countersigned"
    assert saved.kind == ChecklistItemKind.DELIVERABLE
    assert saved.owner == pilot_user
    assert saved.due_date == datetime.date(2027, 2, 1)
    assert saved.is_mandatory is False
    assert saved.done_at is None
    assert list(phase.checklist_items.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
    ]


def test_item_create_after_gaps_takes_the_next_number_after_the_last(project, pm):
    phase = phase_of(project, PhaseKind.HYPERCARE)
    ChecklistItem.objects.filter(phase=phase, position=5).update(position=40)

    item = services.checklist_item_create(
        actor=pm, phase=phase, title="Lessons learned written", kind=ChecklistItemKind.DELIVERABLE
    )

    assert item.position == 41


def test_item_create_refuses_an_owner_who_is_not_on_the_team(project, pm, outsider):
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.checklist_item_create(
            actor=pm,
            phase=phase_of(project),
            title="Vendor contract countersigned",
            kind=ChecklistItemKind.CRITERION,
            owner=outsider,
        )

    assert error.value.message_dict == {"owner": ["Choose a member of this project's team."]}
    assert state(project) == before


def test_item_create_refuses_a_blank_title(project, pm):
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.checklist_item_create(
            actor=pm, phase=phase_of(project), title="", kind=ChecklistItemKind.CRITERION
        )

    assert list(error.value.message_dict) == ["title"]
    assert state(project) == before


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_member_without_plan_rights_cannot_add_items(project, members, role):
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_create(
            actor=members[role],
            phase=phase_of(project),
            title="Sneaked in",
            kind=ChecklistItemKind.CRITERION,
        )

    assert state(project) == before


# --- Checklist: frozen when the phase is completed ----------------------------------------


FROZEN_WRITES = {
    "create": lambda actor, item: services.checklist_item_create(
        actor=actor, phase=item.phase, title="Late addition", kind=ChecklistItemKind.CRITERION
    ),
    "update": lambda actor, item: services.checklist_item_update(
        actor=actor, item=item, title="Renamed after the gate"
    ),
    "tick": lambda actor, item: services.checklist_item_set_done(
        actor=actor, item=item, is_done=True
    ),
    "untick": lambda actor, item: services.checklist_item_set_done(
        actor=actor, item=item, is_done=False
    ),
    "move": lambda actor, item: services.checklist_item_move(actor=actor, item=item, offset=1),
    "delete": lambda actor, item: services.checklist_item_delete(actor=actor, item=item),
}


@pytest.mark.parametrize("write", list(FROZEN_WRITES))
def test_completed_phases_checklist_is_frozen(project, pm, write):
    phase = started(project, pm)
    services.phase_complete(actor=pm, phase=phase, waiver_reason="Accepted by the steering group.")
    ChecklistItem.objects.filter(title=DISCOVERY_MANDATORY[0]).update(
        done_at=timezone.now(), done_by=pm
    )
    item = ChecklistItem.objects.select_related("phase__project").get(
        phase=phase, title=DISCOVERY_MANDATORY[0 if write == "untick" else 1]
    )
    before = state(project)

    with pytest.raises(ApplicationError) as error:
        FROZEN_WRITES[write](pm, item)

    assert error.value.message == FROZEN
    assert state(project) == before


def test_reopening_unfreezes_the_checklist(project, pm):
    phase = completed(project, pm)
    services.phase_reopen(actor=pm, phase=phase, reason="Kick-off notes were lost.")

    item = services.checklist_item_create(
        actor=pm, phase=phase_of(project), title="Late addition", kind=ChecklistItemKind.CRITERION
    )

    assert item.position == 9


# --- Checklist: tick ----------------------------------------------------------------------


def test_tick_records_who_and_when_and_untick_clears_them(project, it_member):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    moment = timezone.now()

    services.checklist_item_set_done(actor=it_member, item=item, is_done=True)

    ticked = ChecklistItem.objects.get(pk=item.pk)
    assert ticked.done_by == it_member
    assert ticked.done_at >= moment
    assert ticked.is_done is True

    services.checklist_item_set_done(actor=it_member, item=ticked, is_done=False)

    unticked = ChecklistItem.objects.get(pk=item.pk)
    assert (unticked.done_at, unticked.done_by) == (None, None)


def test_ticking_a_done_item_again_keeps_the_first_tick(project, pm, consultant):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    services.checklist_item_set_done(actor=pm, item=item, is_done=True)
    first = ChecklistItem.objects.get(pk=item.pk)

    services.checklist_item_set_done(actor=consultant, item=first, is_done=True)

    again = ChecklistItem.objects.get(pk=item.pk)
    assert (again.done_by, again.done_at) == (pm, first.done_at)


def test_tick_with_evidence_link_saves_it(project, consultant):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])

    services.checklist_item_set_done(
        actor=consultant, item=item, is_done=True, evidence_url="https://docs.example.com/kickoff"
    )

    assert ChecklistItem.objects.get(pk=item.pk).evidence_url == "https://docs.example.com/kickoff"


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_member_who_does_not_own_the_item_cannot_tick_it(project, members, role):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_set_done(actor=members[role], item=item, is_done=True)

    assert state(project) == before


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_items_owner_ticks_their_own_item_and_adds_evidence(project, members, role):
    owner = members[role]
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    ChecklistItem.objects.filter(pk=item.pk).update(owner=owner)
    item.refresh_from_db()

    services.checklist_item_set_done(actor=owner, item=item, is_done=True)
    services.checklist_item_update(
        actor=owner, item=item, evidence_url="https://docs.example.com/kickoff-minutes"
    )

    saved = ChecklistItem.objects.get(pk=item.pk)
    assert saved.done_by == owner
    assert saved.evidence_url == "https://docs.example.com/kickoff-minutes"


def test_items_owner_cannot_edit_the_title(project, pilot_user):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    ChecklistItem.objects.filter(pk=item.pk).update(owner=pilot_user)
    item.refresh_from_db()
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_update(actor=pilot_user, item=item, title="Kick-off skipped")

    with pytest.raises(PermissionDenied):
        services.checklist_item_update(
            actor=pilot_user,
            item=item,
            title="Kick-off skipped",
            evidence_url="https://docs.example.com/kickoff-minutes",
        )

    assert state(project) == before


# --- Checklist: update --------------------------------------------------------------------


def test_plan_editor_edits_an_item(project, consultant, key_user):
    item = item_titled(phase_of(project), DISCOVERY_OPTIONAL)

    services.checklist_item_update(
        actor=consultant,
        item=item,
        title="Master data cleaned and loaded",
        owner=key_user,
        is_mandatory=True,
        due_date=datetime.date(2027, 3, 1),
    )

    saved = ChecklistItem.objects.get(pk=item.pk)
    assert saved.title == "Master data cleaned and loaded"
    assert saved.owner == key_user
    assert saved.is_mandatory is True
    assert saved.due_date == datetime.date(2027, 3, 1)


def test_item_update_refuses_an_owner_who_is_not_on_the_team(project, pm, outsider):
    item = item_titled(phase_of(project), DISCOVERY_OPTIONAL)
    before = state(project)

    with pytest.raises(ValidationError) as error:
        services.checklist_item_update(actor=pm, item=item, owner=outsider)

    assert error.value.message_dict == {"owner": ["Choose a member of this project's team."]}
    assert state(project) == before


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.IT])
def test_only_the_project_manager_makes_a_mandatory_item_optional(project, members, pm, role):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_update(actor=members[role], item=item, is_mandatory=False)

    assert state(project) == before

    services.checklist_item_update(actor=pm, item=item, is_mandatory=False)

    assert ChecklistItem.objects.get(pk=item.pk).is_mandatory is False


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_member_without_plan_rights_cannot_edit_an_item(project, members, role):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_update(actor=members[role], item=item, title="Renamed")
    with pytest.raises(PermissionDenied):
        services.checklist_item_update(
            actor=members[role], item=item, evidence_url="https://docs.example.com/x"
        )

    assert state(project) == before


# --- Checklist: move ----------------------------------------------------------------------


def positions(phase) -> list[tuple[str, int]]:
    return list(
        ChecklistItem.objects.filter(phase=phase)
        .order_by("position", "pk")
        .values_list("title", "position")
    )


@pytest.fixture
def three_items(project):
    """A phase whose checklist is A, B, C numbered with gaps (10, 20, 30)."""
    phase = phase_of(project, PhaseKind.HYPERCARE)
    ChecklistItem.objects.filter(phase=phase).delete()
    for number, title in enumerate(["A", "B", "C"], start=1):
        ChecklistItem.objects.create(phase=phase, title=title, position=number * 10)
    return phase


@pytest.mark.parametrize(
    ("title", "offset", "expected"),
    [
        ("B", -1, ["B", "A", "C"]),
        ("B", 1, ["A", "C", "B"]),
        ("A", -1, ["A", "B", "C"]),
        ("C", 1, ["A", "B", "C"]),
        ("A", 1, ["B", "A", "C"]),
        ("C", -1, ["A", "C", "B"]),
    ],
)
def test_move_renumbers_one_to_n_and_clamps_at_the_ends(
    three_items, consultant, title, offset, expected
):
    item = item_titled(three_items, title)

    result = services.checklist_item_move(actor=consultant, item=item, offset=offset)

    assert [(i.title, i.position) for i in result] == [
        (t, n) for n, t in enumerate(expected, start=1)
    ]
    assert positions(three_items) == [(t, n) for n, t in enumerate(expected, start=1)]


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_member_without_plan_rights_cannot_move_items(three_items, project, members, role):
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_move(
            actor=members[role], item=item_titled(three_items, "B"), offset=-1
        )

    assert state(project) == before


# --- Checklist: delete --------------------------------------------------------------------


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_deletes_an_optional_item(project, members, role):
    item = item_titled(phase_of(project), DISCOVERY_OPTIONAL)

    services.checklist_item_delete(actor=members[role], item=item)

    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.IT])
def test_only_the_project_manager_deletes_a_mandatory_item(project, members, pm, role):
    item = item_titled(phase_of(project), DISCOVERY_MANDATORY[0])
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_delete(actor=members[role], item=item)

    assert state(project) == before

    services.checklist_item_delete(actor=pm, item=item)

    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_member_without_plan_rights_cannot_delete_items(project, members, role):
    item = item_titled(phase_of(project), DISCOVERY_OPTIONAL)
    ChecklistItem.objects.filter(pk=item.pk).update(owner=members[role])
    item.refresh_from_db()
    before = state(project)

    with pytest.raises(PermissionDenied):
        services.checklist_item_delete(actor=members[role], item=item)

    assert state(project) == before
