"""REST API for phases and checklist items: visibility, the gate and waivers, reopening,
history, checklist writes, who may do what, and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import ChecklistItem, Phase, PhaseTransition
from implementation.services import phases as services
from projects import services as project_services
from projects.choices import Role, SystemKind
from tests.factories import ChecklistItemFactory
from tests.implementation.phase_helpers import (
    complete,
    item_titled,
    phase_of,
    start,
    state,
    tick_mandatory,
)

PHASES_URL = "/api/v1/phases/"
ITEMS_URL = "/api/v1/checklist-items/"
PLAN_EDITORS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
NOT_PLAN_EDITORS = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
KICK_OFF = "Kick-off held: goals, schedule, roles and expectations agreed"
STEERING = "Steering group named: IT, business departments, finance, HR, management"
MASTER_DATA = "Master data prepared in the target format"  # the optional discovery item
WAIVER = "Steering group accepts the open items."
FROZEN = "Discovery & planning is completed; reopen it to change its checklist."
# (kind, items, mandatory) of the ERP template
TEMPLATE_COUNTS = [
    (PhaseKind.DISCOVERY, 8, 7),
    (PhaseKind.DESIGN, 6, 6),
    (PhaseKind.DEVELOPMENT, 4, 3),
    (PhaseKind.TESTING, 7, 6),
    (PhaseKind.GO_LIVE, 8, 7),
    (PhaseKind.HYPERCARE, 5, 5),
]


# --- Helpers ------------------------------------------------------------------------------


@pytest.fixture
def project(creator):
    """The shared `project` fixture, created from the ERP template with its six phases."""
    return project_services.project_create(
        actor=creator,
        name="Hanoi Retail ERP",
        code="HNR-ERP",
        client_organisation="Hanoi Retail JSC",
        system_kind=SystemKind.ERP,
        start_date=timezone.localdate() + datetime.timedelta(days=14),
    )


def phase_url(phase, action="") -> str:
    return f"{PHASES_URL}{phase.pk}/{action + '/' if action else ''}"


def item_url(item, action="") -> str:
    return f"{ITEMS_URL}{item.pk}/{action + '/' if action else ''}"


def create_payload(**changes) -> dict:
    payload = {"project": "HNR-ERP", "phase": PhaseKind.DISCOVERY, "title": "Vendor contract"}
    payload.update(changes)
    return payload


# --- Authentication and visibility --------------------------------------------------------


@pytest.mark.parametrize("address", [PHASES_URL, ITEMS_URL])
def test_anonymous_gets_401(api_client, project, address):
    response = api_client.get(address)

    assert response.status_code == 401


def test_phase_list_filtered_by_project_has_six_phases_with_progress(api_as, project, pm):
    for title in (KICK_OFF, MASTER_DATA):
        services.checklist_item_set_done(actor=pm, item=item_titled(project, title), is_done=True)
    ChecklistItemFactory(title="Someone else's", phase__project__code="OTH-ERP")

    response = api_as(pm).get(PHASES_URL, {"project": "HNR-ERP"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    rows = [
        (row["kind"], row["position"], row["items_total"], row["items_done"], row["mandatory_open"])
        for row in body["results"]
    ]
    expected = [
        (kind, position, total, 0, mandatory)
        for position, (kind, total, mandatory) in enumerate(TEMPLATE_COUNTS, start=1)
    ]
    expected[0] = (PhaseKind.DISCOVERY, 1, 8, 2, 6)
    assert rows == expected
    assert {row["project"] for row in body["results"]} == {"HNR-ERP"}


def test_phase_row_has_the_documented_fields(api_as, project, pm):
    phase = phase_of(project)

    response = api_as(pm).get(phase_url(phase))

    assert response.status_code == 200
    assert response.json() == {
        "pk": phase.pk,
        "project": "HNR-ERP",
        "kind": PhaseKind.DISCOVERY,
        "position": 1,
        "status": PhaseStatus.NOT_STARTED,
        "planned_start": phase.planned_start.isoformat(),
        "planned_end": phase.planned_end.isoformat(),
        "actual_start": None,
        "actual_end": None,
        "owner": None,
        "notes": "",
        "waiver_reason": "",
        "waived_by": None,
        "waived_at": None,
        "items_total": 8,
        "items_done": 0,
        "mandatory_open": 7,
    }


def test_outsider_sees_no_phases_or_items_of_the_project(api_as, project, outsider):
    client = api_as(outsider)

    phases = client.get(PHASES_URL, {"project": "HNR-ERP"})
    items = client.get(ITEMS_URL, {"project": "HNR-ERP"})

    assert (phases.status_code, phases.json()["count"]) == (200, 0)
    assert (items.status_code, items.json()["count"]) == (200, 0)


def test_outsider_gets_404_on_retrieve(api_as, project, outsider):
    client = api_as(outsider)

    assert client.get(phase_url(phase_of(project))).status_code == 404
    assert client.get(phase_url(phase_of(project), "history")).status_code == 404
    assert client.get(item_url(item_titled(project, KICK_OFF))).status_code == 404


def test_checklist_item_list_filters_by_project_phase_and_done(api_as, project, pm):
    services.checklist_item_set_done(actor=pm, item=item_titled(project, KICK_OFF), is_done=True)
    client = api_as(pm)

    everything = client.get(ITEMS_URL, {"project": "HNR-ERP"})
    discovery = client.get(ITEMS_URL, {"project": "HNR-ERP", "phase": PhaseKind.DISCOVERY})
    done = client.get(ITEMS_URL, {"project": "HNR-ERP", "is_done": "true"})
    optional = client.get(
        ITEMS_URL, {"project": "HNR-ERP", "phase": "discovery", "is_mandatory": "false"}
    )

    assert everything.json()["count"] == 38
    assert [row["position"] for row in discovery.json()["results"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [row["title"] for row in done.json()["results"]] == [KICK_OFF]
    assert done.json()["results"][0]["done_by"] == pm.username
    assert [row["title"] for row in optional.json()["results"]] == [MASTER_DATA]


@pytest.mark.parametrize("address", [PHASES_URL, ITEMS_URL])
def test_put_is_not_allowed(api_as, project, pm, address):
    target = phase_of(project) if address == PHASES_URL else item_titled(project, KICK_OFF)
    before = state(project)

    response = api_as(pm).put(f"{address}{target.pk}/", {"notes": "x", "title": "x"})

    assert response.status_code == 405
    assert state(project) == before


def test_phases_cannot_be_created_or_deleted(api_as, project, pm):
    client = api_as(pm)
    before = state(project)

    assert client.post(PHASES_URL, {"project": "HNR-ERP"}).status_code == 405
    assert client.delete(phase_url(phase_of(project))).status_code == 405
    assert state(project) == before


# --- Start, complete, reopen, history -----------------------------------------------------


def test_start_sets_status_and_actual_start(api_as, project, consultant):
    response = api_as(consultant).post(phase_url(phase_of(project), "start"))

    assert response.status_code == 200
    assert response.json()["status"] == PhaseStatus.IN_PROGRESS
    assert response.json()["actual_start"] == project.local_today().isoformat()
    assert phase_of(project).status == PhaseStatus.IN_PROGRESS


def test_start_twice_is_a_400(api_as, project, pm):
    start(project, pm)
    before = state(project)

    response = api_as(pm).post(phase_url(phase_of(project), "start"))

    assert response.status_code == 400
    assert response.json() == {"detail": "A phase that is in progress cannot become in progress."}
    assert state(project) == before


def test_start_is_refused_on_a_completed_phase(api_as, project, pm):
    # Reopening needs a reason: start must not be a way around it.
    complete(project, pm)
    before = state(project)

    response = api_as(pm).post(phase_url(phase_of(project), "start"))

    assert response.status_code == 400
    assert state(project) == before


def test_complete_without_waiver_is_a_400_listing_the_open_items(api_as, project, pm):
    start(project, pm)
    ChecklistItem.objects.filter(phase__project=project, is_mandatory=True).exclude(
        title=KICK_OFF
    ).update(done_at=timezone.now(), done_by=pm)
    before = state(project)

    response = api_as(pm).post(phase_url(phase_of(project), "complete"), {})

    assert response.status_code == 400
    assert response.json() == {
        "waiver_reason": [
            f"1 mandatory item is still open: {KICK_OFF}. Tick it, or have the project "
            "manager complete the phase with a waiver reason."
        ]
    }
    assert state(project) == before


def test_project_manager_completes_with_a_waiver(api_as, project, pm):
    start(project, pm)

    response = api_as(pm).post(
        phase_url(phase_of(project), "complete"), {"waiver_reason": WAIVER}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == PhaseStatus.COMPLETED
    assert body["waiver_reason"] == WAIVER
    assert body["waived_by"] == pm.username
    assert body["waived_at"] is not None
    assert body["actual_end"] == project.local_today().isoformat()
    assert body["mandatory_open"] == 7
    transition = PhaseTransition.objects.filter(phase=phase_of(project)).latest("at", "pk")
    assert (transition.is_waiver, transition.reason, transition.actor) == (True, WAIVER, pm)


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.IT])
def test_builder_waiver_is_a_403_and_changes_nothing(api_as, project, members, role):
    start(project, members[role])
    before = state(project)

    response = api_as(members[role]).post(
        phase_url(phase_of(project), "complete"), {"waiver_reason": WAIVER}, format="json"
    )

    assert response.status_code == 403
    assert state(project) == before


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_completes_a_phase_with_every_mandatory_item_done(
    api_as, project, members, role
):
    tick_mandatory(start(project, members[role]), members[role])

    response = api_as(members[role]).post(phase_url(phase_of(project), "complete"))

    assert response.status_code == 200
    assert response.json()["status"] == PhaseStatus.COMPLETED
    assert response.json()["waiver_reason"] == ""
    assert response.json()["waived_by"] is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [({}, "This field is required."), ({"reason": "  "}, "This field may not be blank.")],
    ids=["missing", "blank"],
)
def test_reopen_without_a_reason_is_a_400(api_as, project, pm, payload, message):
    complete(project, pm)
    before = state(project)

    response = api_as(pm).post(phase_url(phase_of(project), "reopen"), payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": [message]}
    assert state(project) == before


def test_reopen_with_a_reason_clears_the_end_and_the_waiver(api_as, project, pm, it_member):
    phase = start(project, pm)
    services.phase_complete(actor=pm, phase=phase, waiver_reason=WAIVER)

    response = api_as(it_member).post(
        phase_url(phase, "reopen"), {"reason": "UAT sign-off was missing."}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == PhaseStatus.IN_PROGRESS
    assert body["actual_end"] is None
    assert (body["waiver_reason"], body["waived_by"], body["waived_at"]) == ("", None, None)


def test_history_lists_every_transition_in_order(api_as, project, pm, consultant, viewer):
    phase = start(project, pm)
    services.phase_complete(actor=pm, phase=phase, waiver_reason=WAIVER)
    services.phase_reopen(actor=consultant, phase=phase, reason="UAT sign-off was missing.")

    response = api_as(viewer).get(phase_url(phase, "history"))

    assert response.status_code == 200
    rows = response.json()
    assert [{key: value for key, value in row.items() if key != "at"} for row in rows] == [
        {
            "from_status": "not_started",
            "to_status": "in_progress",
            "actor": pm.username,
            "reason": "",
            "is_waiver": False,
        },
        {
            "from_status": "in_progress",
            "to_status": "completed",
            "actor": pm.username,
            "reason": WAIVER,
            "is_waiver": True,
        },
        {
            "from_status": "completed",
            "to_status": "in_progress",
            "actor": consultant.username,
            "reason": "UAT sign-off was missing.",
            "is_waiver": False,
        },
    ]
    assert all(row["at"] for row in rows)


# --- Phase PATCH --------------------------------------------------------------------------


def test_patch_phase_saves_the_plan(api_as, project, pm, key_user):
    phase = phase_of(project)

    response = api_as(pm).patch(
        phase_url(phase),
        {"planned_end": "2027-06-30", "owner": key_user.username, "notes": "Workshops."},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["planned_end"] == "2027-06-30"
    assert response.json()["owner"]["username"] == key_user.username
    saved = phase_of(project)
    assert (saved.planned_end, saved.owner, saved.notes) == (
        datetime.date(2027, 6, 30),
        key_user,
        "Workshops.",
    )


def test_patch_phase_with_end_before_start_is_a_400_on_the_field(api_as, project, pm):
    phase = phase_of(project)
    before = state(project)

    response = api_as(pm).patch(
        phase_url(phase),
        {
            "planned_end": (phase.planned_start - datetime.timedelta(days=1)).isoformat(),
            "notes": "Should not be saved.",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "planned_end": ["The planned end cannot be before the planned start."]
    }
    assert state(project) == before


def test_patch_phase_with_an_owner_off_the_team_is_a_400(api_as, project, pm, outsider):
    before = state(project)

    response = api_as(pm).patch(
        phase_url(phase_of(project)),
        {"owner": outsider.username, "notes": "Should not be saved."},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"owner": ["Choose a member of this project's team."]}
    assert state(project) == before


# --- Checklist items: create --------------------------------------------------------------


def test_create_item_with_an_owner_by_username(api_as, project, consultant, pilot_user):
    response = api_as(consultant).post(
        ITEMS_URL,
        create_payload(
            kind="deliverable",
            owner=pilot_user.username,
            due_date="2027-02-01",
            is_mandatory=False,
            evidence_url="https://docs.example.com/contract",
        ),
        format="json",
    )

    assert response.status_code == 201
    item = item_titled(project, "Vendor contract")
    assert response.json() == {
        "pk": item.pk,
        "project": "HNR-ERP",
        "phase": PhaseKind.DISCOVERY,
        "position": 9,
        "kind": "deliverable",
        "title": "Vendor contract",
        "description": "",
        "owner": pilot_user.username,
        "due_date": "2027-02-01",
        "is_mandatory": False,
        "is_done": False,
        "done_at": None,
        "done_by": None,
        "evidence_url": "https://docs.example.com/contract",
    }
    assert (item.owner, item.phase, item.is_mandatory) == (pilot_user, phase_of(project), False)


@pytest.mark.parametrize(
    ("owner", "message"),
    [
        ("nobody", "Choose a member of this project's team."),
        ("outsider", "Choose a member of this project's team."),
    ],
    ids=["unknown", "not-a-member"],
)
def test_create_item_with_a_bad_owner_is_a_400_on_owner(
    api_as, project, pm, outsider, owner, message
):
    before = state(project)
    username = outsider.username if owner == "outsider" else owner

    response = api_as(pm).post(ITEMS_URL, create_payload(owner=username), format="json")

    assert response.status_code == 400
    assert response.json() == {"owner": [message.format(outsider=outsider)]}
    assert state(project) == before


@pytest.mark.parametrize("code", ["OTH-ERP", "NOPE-404", ""])
def test_create_item_in_a_project_you_cannot_see_is_a_400_on_project(api_as, project, pm, code):
    ChecklistItemFactory(phase__project__code="OTH-ERP")
    before = ChecklistItem.objects.count()

    response = api_as(pm).post(ITEMS_URL, create_payload(project=code), format="json")

    assert response.status_code == 400
    assert response.json() == {"project": ["No such project."]}
    assert ChecklistItem.objects.count() == before


def test_create_item_in_a_completed_phase_is_a_400(api_as, project, pm):
    complete(project, pm)
    before = state(project)

    response = api_as(pm).post(ITEMS_URL, create_payload(), format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": FROZEN}
    assert state(project) == before


def test_create_item_without_a_title_is_a_400(api_as, project, pm):
    before = state(project)

    response = api_as(pm).post(ITEMS_URL, create_payload(title=""), format="json")

    assert response.status_code == 400
    assert response.json() == {"title": ["This field may not be blank."]}
    assert state(project) == before


# --- Checklist items: PATCH, DELETE, tick, untick, move -----------------------------------


def test_patch_item_by_a_plan_editor(api_as, project, it_member, key_user):
    item = item_titled(project, MASTER_DATA)

    response = api_as(it_member).patch(
        item_url(item),
        {"title": "Master data cleaned", "owner": key_user.username, "is_mandatory": True},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Master data cleaned"
    assert response.json()["owner"] == key_user.username
    assert response.json()["is_mandatory"] is True
    saved = item_titled(project, "Master data cleaned")
    assert (saved.owner, saved.is_mandatory) == (key_user, True)


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.IT])
def test_only_the_project_manager_makes_an_item_optional(api_as, project, members, pm, role):
    item = item_titled(project, KICK_OFF)
    before = state(project)

    denied = api_as(members[role]).patch(item_url(item), {"is_mandatory": False}, format="json")

    assert denied.status_code == 403
    assert state(project) == before

    allowed = api_as(pm).patch(item_url(item), {"is_mandatory": False}, format="json")

    assert allowed.status_code == 200
    assert item_titled(project, KICK_OFF).is_mandatory is False


def test_items_owner_adds_evidence_but_cannot_rename(api_as, project, pilot_user):
    item = item_titled(project, KICK_OFF)
    ChecklistItem.objects.filter(pk=item.pk).update(owner=pilot_user)
    client = api_as(pilot_user)
    before = state(project)

    renamed = client.patch(item_url(item), {"title": "Skipped"}, format="json")

    assert renamed.status_code == 403
    assert state(project) == before

    evidence = client.patch(
        item_url(item), {"evidence_url": "https://docs.example.com/minutes"}, format="json"
    )
    ticked = client.post(item_url(item, "tick"))

    assert evidence.status_code == 200
    assert ticked.status_code == 200
    assert ticked.json()["done_by"] == pilot_user.username
    saved = item_titled(project, KICK_OFF)
    assert (saved.evidence_url, saved.done_by) == ("https://docs.example.com/minutes", pilot_user)


def test_tick_and_untick(api_as, project, consultant):
    item = item_titled(project, KICK_OFF)
    client = api_as(consultant)

    ticked = client.post(item_url(item, "tick"))

    assert ticked.status_code == 200
    assert ticked.json()["is_done"] is True
    assert ticked.json()["done_by"] == consultant.username
    assert ticked.json()["done_at"] is not None

    unticked = client.post(item_url(item, "untick"))

    assert unticked.status_code == 200
    assert (unticked.json()["is_done"], unticked.json()["done_by"]) == (False, None)
    assert unticked.json()["done_at"] is None
    saved = item_titled(project, KICK_OFF)
    assert (saved.done_at, saved.done_by) == (None, None)


@pytest.mark.parametrize("action", ["tick", "untick"])
def test_tick_on_a_completed_phase_is_a_400(api_as, project, pm, action):
    complete(project, pm)
    before = state(project)

    response = api_as(pm).post(item_url(item_titled(project, KICK_OFF), action))

    assert response.status_code == 400
    assert response.json() == {"detail": FROZEN}
    assert state(project) == before


def test_move_up_renumbers(api_as, project, consultant):
    response = api_as(consultant).post(
        item_url(item_titled(project, STEERING), "move"), {"direction": "up"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["position"] == 1
    assert item_titled(project, KICK_OFF).position == 2


def test_move_with_a_bad_direction_is_a_400(api_as, project, consultant):
    before = state(project)

    response = api_as(consultant).post(
        item_url(item_titled(project, STEERING), "move"), {"direction": "left"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"direction": ['"left" is not a valid choice.']}
    assert state(project) == before


def test_delete_optional_item_by_a_builder(api_as, project, consultant):
    item = item_titled(project, MASTER_DATA)

    response = api_as(consultant).delete(item_url(item))

    assert response.status_code == 204
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


def test_delete_mandatory_item_needs_the_project_manager(api_as, project, consultant, pm):
    item = item_titled(project, KICK_OFF)
    before = state(project)

    denied = api_as(consultant).delete(item_url(item))

    assert denied.status_code == 403
    assert state(project) == before

    allowed = api_as(pm).delete(item_url(item))

    assert allowed.status_code == 204
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


# --- Permission matrix --------------------------------------------------------------------


def _write(client, project, name):
    phase = phase_of(project)
    item = item_titled(project, MASTER_DATA)
    requests = {
        "phase-start": lambda: client.post(phase_url(phase_of(project, PhaseKind.DESIGN), "start")),
        "phase-complete": lambda: client.post(
            phase_url(phase, "complete"), {"waiver_reason": WAIVER}, format="json"
        ),
        "phase-reopen": lambda: client.post(
            phase_url(phase_of(project, PhaseKind.DEVELOPMENT), "reopen"),
            {"reason": "Missed a deliverable."},
            format="json",
        ),
        "phase-patch": lambda: client.patch(phase_url(phase), {"notes": "Mine."}, format="json"),
        "item-create": lambda: client.post(ITEMS_URL, create_payload(), format="json"),
        "item-patch": lambda: client.patch(item_url(item), {"title": "Mine."}, format="json"),
        "item-delete": lambda: client.delete(item_url(item)),
        "item-tick": lambda: client.post(item_url(item, "tick")),
        "item-untick": lambda: client.post(item_url(item_titled(project, KICK_OFF), "untick")),
        "item-move": lambda: client.post(
            item_url(item, "move"), {"direction": "up"}, format="json"
        ),
    }
    return requests[name]()


API_WRITES = [
    ("phase-start", 200),
    ("phase-complete", 200),
    ("phase-reopen", 200),
    ("phase-patch", 200),
    ("item-create", 201),
    ("item-patch", 200),
    ("item-delete", 204),
    ("item-tick", 200),
    ("item-untick", 200),
    ("item-move", 200),
]


@pytest.fixture
def api_scene(project, pm):
    """Discovery running with the kick-off ticked; development completed."""
    start(project, pm)
    services.checklist_item_set_done(actor=pm, item=item_titled(project, KICK_OFF), is_done=True)
    complete(project, pm, PhaseKind.DEVELOPMENT)
    return project


@pytest.mark.parametrize(("name", "_status"), API_WRITES, ids=[n for n, _s in API_WRITES])
@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
def test_member_without_plan_rights_gets_403_on_api_writes(
    api_as, api_scene, members, role, name, _status
):
    before = state(api_scene)

    response = _write(api_as(members[role]), api_scene, name)

    assert response.status_code == 403
    assert state(api_scene) == before


@pytest.mark.parametrize(("name", "_status"), API_WRITES, ids=[n for n, _s in API_WRITES])
def test_outsider_gets_404_on_api_writes(api_as, api_scene, outsider, name, _status):
    before = state(api_scene)

    response = _write(api_as(outsider), api_scene, name)

    if name == "item-create":
        assert response.status_code == 400
        assert response.json() == {"project": ["No such project."]}
    else:
        assert response.status_code == 404
    assert state(api_scene) == before


@pytest.mark.parametrize(("name", "_status"), API_WRITES, ids=[n for n, _s in API_WRITES])
def test_anonymous_gets_401_on_api_writes(api_client, api_scene, name, _status):
    before = state(api_scene)

    response = _write(api_client, api_scene, name)

    assert response.status_code == 401
    assert state(api_scene) == before


@pytest.mark.parametrize(("name", "status"), API_WRITES, ids=[n for n, _s in API_WRITES])
@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_may_use_every_api_write(api_as, api_scene, members, role, name, status):
    client = api_as(members[role])
    if name == "phase-complete" and role != Role.PROJECT_MANAGER:
        tick_mandatory(phase_of(api_scene), members[role])

    response = _write(client, api_scene, name)

    assert response.status_code == status


# --- Query counts -------------------------------------------------------------------------


def fill_checklists(project, per_phase, owner) -> None:
    ChecklistItem.objects.filter(phase__project=project).delete()
    for phase in Phase.objects.filter(project=project):
        for number in range(per_phase):
            ChecklistItemFactory(
                phase=phase,
                position=number + 1,
                owner=owner,
                done_at=timezone.now() if number % 2 else None,
                done_by=owner if number % 2 else None,
            )


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address, {"project": "HNR-ERP"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("address", [PHASES_URL, ITEMS_URL])
def test_list_query_count_does_not_grow_with_checklist_items(api_as, project, pm, address):
    client = api_as(pm)
    fill_checklists(project, 2, pm)
    few = count_queries(client, address)

    fill_checklists(project, 20, pm)
    many = count_queries(client, address)

    assert few == many
