"""Phase, checklist and timeline pages: who may see and change what, what the HTMX actions
send back, and how the project page shows phases, waivers and overdue items."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

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

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
SVG = "{http://www.w3.org/2000/svg}"
PLAN_EDITORS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
NOT_PLAN_EDITORS = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
ALL_ROLES = PLAN_EDITORS + NOT_PLAN_EDITORS
KICK_OFF = "Kick-off held: goals, schedule, roles and expectations agreed"
STEERING = "Steering group named: IT, business departments, finance, HR, management"
MASTER_DATA = "Master data prepared in the target format"  # the optional discovery item
WAIVER = "Steering group accepts the open items."


# --- Helpers ------------------------------------------------------------------------------


@pytest.fixture
def project(creator):
    """The shared `project` fixture, created from the ERP template with its six phases.

    It starts in two weeks, so no checklist item is overdue unless a test makes one.
    """
    return project_services.project_create(
        actor=creator,
        name="Hanoi Retail ERP",
        code="HNR-ERP",
        client_organisation="Hanoi Retail JSC",
        system_kind=SystemKind.ERP,
        start_date=timezone.localdate() + datetime.timedelta(days=14),
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def url(name, project, *args) -> str:
    return reverse(f"implementation:{name}", args=[project.code, *args])


def phase_edit_data(phase, **changes) -> dict:
    data = {
        "planned_start": phase.planned_start.isoformat(),
        "planned_end": phase.planned_end.isoformat(),
        "actual_start": phase.actual_start.isoformat() if phase.actual_start else "",
        "actual_end": phase.actual_end.isoformat() if phase.actual_end else "",
        "owner": phase.owner_id or "",
        "notes": phase.notes,
    }
    data.update(changes)
    return data


def item_edit_data(item, **changes) -> dict:
    data = {
        "title": item.title,
        "kind": item.kind,
        "owner": item.owner_id or "",
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "description": item.description,
        "evidence_url": item.evidence_url,
    }
    if item.is_mandatory:
        data["is_mandatory"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def content(response) -> str:
    return response.content.decode()


# --- Permission matrix --------------------------------------------------------------------

# (url name, method, target, data): target "phase" -> discovery's kind, "item" -> the pk of
# discovery's optional item (owned by nobody).
WRITES = [
    ("phase-edit", "get", "phase", None),
    ("phase-edit", "post", "phase", {"notes": "Hijacked"}),
    ("phase-start", "post", "phase", {}),
    ("phase-complete", "get", "phase", None),
    ("phase-complete", "post", "phase", {"waiver_reason": "Because."}),
    ("phase-reopen", "get", "phase", None),
    ("phase-reopen", "post", "phase", {"reason": "Because."}),
    ("item-add", "post", "phase", {"title": "Sneaked in", "is_mandatory": "on"}),
    ("item-edit", "get", "item", None),
    ("item-edit", "post", "item", {"title": "Renamed", "kind": "criterion"}),
    ("item-toggle", "post", "item", {"done": "1"}),
    ("item-move", "post", "item", {"direction": "up"}),
    ("item-delete", "post", "item", {}),
]
WRITE_IDS = [f"{name}-{method}" for name, method, _target, _data in WRITES]


def write_request(client, project, write, headers=None):
    name, method, target, data = write
    arg = PhaseKind.DISCOVERY if target == "phase" else item_titled(project, MASTER_DATA).pk
    page = url(name, project, arg)
    if method == "get":
        return page, client.get(page, headers=headers or {})
    return page, client.post(page, data, headers=headers or {})


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_anonymous_is_redirected_to_login_from_phase_writes(client, project, write):
    before = state(project)

    page, response = write_request(client, project, write)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"
    assert state(project) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_outsider_gets_404_on_phase_writes(client, project, pm, outsider, write, headers):
    start(project, pm)
    before = state(project)
    client.force_login(outsider)

    _page, response = write_request(client, project, write, headers)

    assert response.status_code == 404
    assert state(project) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("role", NOT_PLAN_EDITORS)
@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_member_without_plan_rights_gets_403_on_phase_writes(
    client, project, members, pm, role, write, headers
):
    start(project, pm)
    before = state(project)
    client.force_login(members[role])

    _page, response = write_request(client, project, write, headers)

    assert response.status_code == 403
    assert state(project) == before


@pytest.mark.parametrize("name", ["phase", "phase-progress", "timeline"])
def test_outsider_gets_404_on_phase_reads(client, project, outsider, name):
    client.force_login(outsider)
    args = [] if name == "timeline" else [PhaseKind.DISCOVERY]

    response = client.get(url(name, project, *args))

    assert response.status_code == 404


def test_unknown_phase_kind_is_404(client, project, pm):
    client.force_login(pm)

    response = client.get(url("phase", project, "launch"))

    assert response.status_code == 404


def test_item_of_another_project_is_404_through_this_projects_url(client, project, pm):
    foreign = ChecklistItemFactory(title="Someone else's item", phase__project__code="OTH-ERP")
    client.force_login(pm)

    response = client.post(url("item-toggle", project, foreign.pk), {"done": "1"})

    assert response.status_code == 404
    assert ChecklistItem.objects.get(pk=foreign.pk).done_at is None


# --- Plan editors: the happy paths --------------------------------------------------------


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_starts_a_phase(client, project, members, role):
    client.force_login(members[role])

    response = client.post(url("phase-start", project, PhaseKind.DISCOVERY))

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    saved = phase_of(project)
    assert saved.status == PhaseStatus.IN_PROGRESS
    assert saved.actual_start == project.local_today()
    assert PhaseTransition.objects.get(phase=saved).actor == members[role]


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_completes_a_phase_whose_mandatory_items_are_done(
    client, project, members, role
):
    phase = start(project, members[role])
    tick_mandatory(phase, members[role])
    client.force_login(members[role])

    # the form has no waiver field when nothing is open: the browser sends only the token
    response = client.post(
        url("phase-complete", project, PhaseKind.DISCOVERY), {"csrfmiddlewaretoken": "token"}
    )

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    saved = phase_of(project)
    assert saved.status == PhaseStatus.COMPLETED
    assert saved.actual_end == project.local_today()
    assert saved.waiver_reason == ""


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_reopens_a_phase_with_a_reason(client, project, members, role):
    complete(project, members[role])
    client.force_login(members[role])

    response = client.post(
        url("phase-reopen", project, PhaseKind.DISCOVERY), {"reason": "Kick-off notes lost."}
    )

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    saved = phase_of(project)
    assert (saved.status, saved.actual_end) == (PhaseStatus.IN_PROGRESS, None)
    last = PhaseTransition.objects.filter(phase=saved).latest("at", "pk")
    assert (last.actor, last.reason) == (members[role], "Kick-off notes lost.")


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_edits_a_phase(client, project, members, role, key_user):
    phase = phase_of(project)
    client.force_login(members[role])

    response = client.post(
        url("phase-edit", project, PhaseKind.DISCOVERY),
        phase_edit_data(phase, owner=key_user.pk, notes="Workshops in Hanoi."),
    )

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    saved = phase_of(project)
    assert (saved.owner, saved.notes) == (key_user, "Workshops in Hanoi.")
    assert saved.planned_start == phase.planned_start


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_adds_an_item_with_a_plain_post(client, project, members, role):
    client.force_login(members[role])

    response = client.post(
        url("item-add", project, PhaseKind.DISCOVERY), {"title": "Vendor contract signed"}
    )

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    item = item_titled(project, "Vendor contract signed")
    assert (item.position, item.is_mandatory, item.kind) == (9, False, "criterion")
    assert item.due_date == phase_of(project).planned_end


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_edits_an_item(client, project, members, role, pilot_user):
    item = item_titled(project, MASTER_DATA)
    client.force_login(members[role])

    response = client.post(
        url("item-edit", project, item.pk),
        item_edit_data(item, title="Master data cleaned", owner=pilot_user.pk),
    )

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    saved = ChecklistItem.objects.get(pk=item.pk)
    assert (saved.title, saved.owner, saved.is_mandatory) == (
        "Master data cleaned",
        pilot_user,
        False,
    )


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_ticks_an_item_with_a_plain_post(client, project, members, role):
    item = item_titled(project, KICK_OFF)
    client.force_login(members[role])

    response = client.post(url("item-toggle", project, item.pk), {"done": "1"})

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    assert ChecklistItem.objects.get(pk=item.pk).done_by == members[role]


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_moves_an_item_with_a_plain_post(client, project, members, role):
    item = item_titled(project, STEERING)
    client.force_login(members[role])

    response = client.post(url("item-move", project, item.pk), {"direction": "up"})

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    assert item_titled(project, STEERING).position == 1
    assert item_titled(project, KICK_OFF).position == 2


@pytest.mark.parametrize("role", PLAN_EDITORS)
def test_plan_editor_deletes_an_optional_item_with_a_plain_post(client, project, members, role):
    item = item_titled(project, MASTER_DATA)
    client.force_login(members[role])

    response = client.post(url("item-delete", project, item.pk))

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


# --- The phase page -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_member_sees_the_phase_page_with_its_checklist(client, project, members, role):
    client.force_login(members[role])

    response = client.get(url("phase", project, PhaseKind.DISCOVERY))

    assert response.status_code == 200
    body = content(response)
    assert 'id="checklist"' in body
    assert body.count('<tr id="item-') == 8
    assert escape(KICK_OFF) in body
    assert escape(MASTER_DATA) in body
    assert "0 of 8 items done · 7 mandatory open" in body
    assert ("Start phase" in body) == (role in PLAN_EDITORS)
    assert ('id="item-add"' in body) == (role in PLAN_EDITORS)


def test_phase_progress_fragment_counts_done_items(client, project, pm, viewer):
    services.checklist_item_set_done(actor=pm, item=item_titled(project, KICK_OFF), is_done=True)
    client.force_login(viewer)

    response = client.get(url("phase-progress", project, PhaseKind.DISCOVERY), headers=HTMX)

    assert response.status_code == 200
    body = content(response)
    assert "<html" not in body
    assert "<span" not in body  # the counter's text only: the page keeps its element
    assert "1 of 8 items done · 6 mandatory open" in body


def test_phase_page_counter_refreshes_with_the_newest_tick(client, project, pm):
    client.force_login(pm)

    body = content(client.get(url("phase", project, PhaseKind.DISCOVERY)))

    assert 'id="phase-progress"' in body
    assert 'hx-sync="this:queue last"' in body
    assert 'hx-swap="innerHTML"' in body


def test_completed_phase_page_shows_a_frozen_checklist(client, project, pm):
    complete(project, pm)
    client.force_login(pm)

    response = client.get(url("phase", project, PhaseKind.DISCOVERY))

    body = content(response)
    assert "The phase is completed, so its checklist is frozen." in body
    assert 'id="item-add"' not in body
    assert "Reopen phase" in body
    assert "/toggle/" not in body
    assert "/move/" not in body
    assert "/delete/" not in body


# --- HTMX actions -------------------------------------------------------------------------


def test_htmx_tick_returns_the_row_and_triggers_checklist_changed(client, project, consultant):
    item = item_titled(project, KICK_OFF)
    client.force_login(consultant)

    response = client.post(url("item-toggle", project, item.pk), {"done": "1"}, headers=HTMX)

    assert response.status_code == 200
    body = content(response)
    assert "<html" not in body
    assert body.strip().startswith(f'<tr id="item-{item.pk}"')
    assert 'aria-pressed="true"' in body
    assert "checklistChanged" in response.headers["HX-Trigger"]
    saved = ChecklistItem.objects.get(pk=item.pk)
    assert saved.done_by == consultant
    assert saved.done_at is not None


def test_htmx_untick_clears_the_tick(client, project, consultant):
    item = item_titled(project, KICK_OFF)
    services.checklist_item_set_done(actor=consultant, item=item, is_done=True)
    client.force_login(consultant)

    response = client.post(url("item-toggle", project, item.pk), {"done": "0"}, headers=HTMX)

    assert response.status_code == 200
    assert 'aria-pressed="false"' in content(response)
    assert "checklistChanged" in response.headers["HX-Trigger"]
    saved = ChecklistItem.objects.get(pk=item.pk)
    assert (saved.done_at, saved.done_by) == (None, None)


def test_htmx_tick_on_a_frozen_checklist_answers_422_with_the_reason(client, project, pm):
    complete(project, pm)
    item = item_titled(project, MASTER_DATA)
    before = state(project)
    client.force_login(pm)

    response = client.post(url("item-toggle", project, item.pk), {"done": "1"}, headers=HTMX)

    assert response.status_code == 422
    body = content(response)
    assert "<html" not in body
    assert escape("Discovery & planning is completed; reopen it to change its checklist.") in body
    assert "HX-Trigger" not in response.headers
    assert state(project) == before


def test_items_owner_ticks_their_item_through_the_page(client, project, pilot_user):
    item = item_titled(project, KICK_OFF)
    ChecklistItem.objects.filter(pk=item.pk).update(owner=pilot_user)
    client.force_login(pilot_user)

    response = client.post(url("item-toggle", project, item.pk), {"done": "1"}, headers=HTMX)

    assert response.status_code == 200
    assert "checklistChanged" in response.headers["HX-Trigger"]
    assert ChecklistItem.objects.get(pk=item.pk).done_by == pilot_user


def test_htmx_quick_add_returns_the_new_row(client, project, it_member):
    client.force_login(it_member)

    response = client.post(
        url("item-add", project, PhaseKind.DISCOVERY),
        {"title": "Vendor contract signed", "is_mandatory": "on"},
        headers=HTMX,
    )

    assert response.status_code == 200
    body = content(response)
    assert "<html" not in body
    item = item_titled(project, "Vendor contract signed")
    assert body.strip().startswith(f'<tr id="item-{item.pk}"')
    assert "Vendor contract signed" in body
    assert "checklistChanged" in response.headers["HX-Trigger"]
    assert (item.position, item.is_mandatory) == (9, True)


@pytest.mark.parametrize("title", ["", "   "])
def test_htmx_quick_add_with_a_blank_title_retargets_the_form(client, project, pm, title):
    before = state(project)
    client.force_login(pm)

    response = client.post(
        url("item-add", project, PhaseKind.DISCOVERY), {"title": title}, headers=HTMX
    )

    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#item-add"
    assert response.headers["HX-Reswap"] == "outerHTML"
    body = content(response)
    assert "<html" not in body
    assert body.strip().startswith('<form id="item-add"')
    assert "This field is required." in body
    assert state(project) == before


def test_plain_quick_add_with_a_blank_title_renders_the_page_with_422(client, project, pm):
    before = state(project)
    client.force_login(pm)

    response = client.post(url("item-add", project, PhaseKind.DISCOVERY), {"title": ""})

    assert response.status_code == 422
    assert "<html" in content(response)
    assert "This field is required." in content(response)
    assert state(project) == before


def test_htmx_move_returns_the_checklist_partial(client, project, consultant):
    item = item_titled(project, STEERING)
    client.force_login(consultant)

    response = client.post(url("item-move", project, item.pk), {"direction": "up"}, headers=HTMX)

    assert response.status_code == 200
    body = content(response)
    assert "<html" not in body
    assert body.strip().startswith('<div id="checklist"')
    assert body.count('<tr id="item-') == 8
    assert body.index(escape(STEERING)) < body.index(escape(KICK_OFF))
    assert item_titled(project, STEERING).position == 1
    assert item_titled(project, KICK_OFF).position == 2


def test_htmx_move_down_at_the_end_keeps_the_order(client, project, consultant):
    last = ChecklistItem.objects.filter(phase=phase_of(project)).order_by("position").last()
    before = state(project)
    client.force_login(consultant)

    response = client.post(url("item-move", project, last.pk), {"direction": "down"}, headers=HTMX)

    assert response.status_code == 200
    assert state(project) == before


def test_htmx_delete_returns_an_empty_body_and_triggers_checklist_changed(
    client, project, consultant
):
    item = item_titled(project, MASTER_DATA)
    client.force_login(consultant)

    response = client.post(url("item-delete", project, item.pk), headers=HTMX)

    assert response.status_code == 200
    assert response.content == b""
    assert "checklistChanged" in response.headers["HX-Trigger"]
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_consultant_cannot_delete_a_mandatory_item(client, project, consultant, headers):
    item = item_titled(project, KICK_OFF)
    before = state(project)
    client.force_login(consultant)

    response = client.post(url("item-delete", project, item.pk), headers=headers)

    assert response.status_code == 403
    assert state(project) == before


def test_project_manager_deletes_a_mandatory_item(client, project, pm):
    item = item_titled(project, KICK_OFF)
    client.force_login(pm)

    response = client.post(url("item-delete", project, item.pk), headers=HTMX)

    assert response.status_code == 200
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


def test_consultant_cannot_make_a_mandatory_item_optional_on_the_edit_page(
    client, project, consultant
):
    item = item_titled(project, KICK_OFF)
    before = state(project)
    client.force_login(consultant)
    data = item_edit_data(item)
    del data["is_mandatory"]

    response = client.post(url("item-edit", project, item.pk), data)

    assert response.status_code == 403
    assert state(project) == before


# --- Complete and reopen pages ------------------------------------------------------------


def test_complete_page_lists_open_mandatory_items_and_offers_the_pm_a_waiver(client, project, pm):
    start(project, pm)
    client.force_login(pm)

    response = client.get(url("phase-complete", project, PhaseKind.DISCOVERY))

    assert response.status_code == 200
    body = content(response)
    assert "7 mandatory items are still open" in body
    assert escape(KICK_OFF) in body
    assert escape(MASTER_DATA) not in body
    assert 'name="waiver_reason"' in body
    assert "Complete with waiver" in body
    assert " disabled" not in body


def test_complete_page_offers_a_consultant_no_waiver(client, project, consultant):
    start(project, consultant)
    client.force_login(consultant)

    response = client.get(url("phase-complete", project, PhaseKind.DISCOVERY))

    assert response.status_code == 200
    body = content(response)
    assert "7 mandatory items are still open" in body
    assert escape(KICK_OFF) in body
    assert 'name="waiver_reason"' not in body
    assert "only the project manager can complete the phase with a waiver" in body
    assert 'type="submit" disabled' in body


def test_complete_page_says_the_gate_is_passed_when_everything_is_done(client, project, pm):
    tick_mandatory(start(project, pm), pm)
    client.force_login(pm)

    response = client.get(url("phase-complete", project, PhaseKind.DISCOVERY))

    assert "Every mandatory item is done: the gate is passed." in content(response)
    assert 'name="waiver_reason"' not in content(response)


def test_complete_without_a_waiver_reason_answers_422_and_changes_nothing(client, project, pm):
    start(project, pm)
    before = state(project)
    client.force_login(pm)

    response = client.post(
        url("phase-complete", project, PhaseKind.DISCOVERY), {"waiver_reason": ""}
    )

    assert response.status_code == 422
    body = content(response)
    assert "7 mandatory items are still open: " in body
    assert "have the project manager complete the phase with a waiver reason." in body
    assert state(project) == before
    assert phase_of(project).status == PhaseStatus.IN_PROGRESS


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.IT])
def test_builder_posting_a_waiver_gets_403_and_changes_nothing(client, project, members, role):
    start(project, members[role])
    before = state(project)
    client.force_login(members[role])

    response = client.post(
        url("phase-complete", project, PhaseKind.DISCOVERY), {"waiver_reason": WAIVER}
    )

    assert response.status_code == 403
    assert state(project) == before


def test_complete_on_a_not_started_phase_shows_the_refusal(client, project, pm):
    before = state(project)
    client.force_login(pm)

    response = client.post(
        url("phase-complete", project, PhaseKind.DISCOVERY), {"waiver_reason": WAIVER}
    )

    assert response.status_code == 422
    assert "A phase that is not started cannot become completed." in content(response)
    assert state(project) == before


def test_waiver_shows_on_the_phase_page_and_the_project_board(client, project, pm, viewer):
    start(project, pm)
    client.force_login(pm)

    response = client.post(
        url("phase-complete", project, PhaseKind.DISCOVERY), {"waiver_reason": WAIVER}
    )

    assert response.status_code == 302
    saved = phase_of(project)
    assert (saved.status, saved.waiver_reason, saved.waived_by) == (
        PhaseStatus.COMPLETED,
        WAIVER,
        pm,
    )
    client.force_login(viewer)
    phase_page = content(client.get(url("phase", project, PhaseKind.DISCOVERY)))
    assert "Completed with a waiver" in phase_page
    assert f"<p>{WAIVER}</p>" in phase_page
    assert f"Waived by {escape(pm.display_name)} on " in phase_page
    assert '<span class="badge badge--amber">waiver</span>' in phase_page
    project_page = content(client.get(project.get_absolute_url()))
    assert '<span class="badge badge--amber">Waiver</span>' in project_page
    assert f"<strong>Waiver:</strong> {WAIVER}" in project_page


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopen_without_a_reason_answers_422_and_changes_nothing(client, project, pm, reason):
    complete(project, pm)
    before = state(project)
    client.force_login(pm)

    response = client.post(url("phase-reopen", project, PhaseKind.DISCOVERY), {"reason": reason})

    assert response.status_code == 422
    assert "This field is required." in content(response)
    assert state(project) == before


def test_reopen_page_asks_why(client, project, pm):
    complete(project, pm)
    client.force_login(pm)

    response = client.get(url("phase-reopen", project, PhaseKind.DISCOVERY))

    assert response.status_code == 200
    assert "Why is the phase reopened?" in content(response)
    assert 'name="reason"' in content(response)


# --- Phase edit ---------------------------------------------------------------------------


def test_phase_edit_with_end_before_start_answers_422_with_the_error(client, project, pm):
    phase = phase_of(project)
    before = state(project)
    client.force_login(pm)

    response = client.post(
        url("phase-edit", project, PhaseKind.DISCOVERY),
        phase_edit_data(
            phase,
            planned_end=(phase.planned_start - datetime.timedelta(days=1)).isoformat(),
            notes="Should not be saved.",
        ),
    )

    assert response.status_code == 422
    assert "The planned end cannot be before the planned start." in content(response)
    assert state(project) == before


def test_phase_edit_with_an_actual_end_on_a_running_phase_answers_422(client, project, pm):
    phase = start(project, pm)
    before = state(project)
    client.force_login(pm)

    response = client.post(
        url("phase-edit", project, PhaseKind.DISCOVERY),
        phase_edit_data(phase, actual_end=project.local_today().isoformat()),
    )

    assert response.status_code == 422
    assert "Only a completed phase has an actual end." in content(response)
    assert state(project) == before


def test_phase_edit_offers_only_team_members_as_owner(client, project, pm, outsider):
    phase = phase_of(project)
    before = state(project)
    client.force_login(pm)

    response = client.post(
        url("phase-edit", project, PhaseKind.DISCOVERY), phase_edit_data(phase, owner=outsider.pk)
    )

    assert response.status_code == 422
    assert "Select a valid choice." in content(response)
    assert state(project) == before


# --- Item edit and evidence ---------------------------------------------------------------


def test_items_owner_uploads_evidence_and_members_download_it(
    client, project, pilot_user, viewer, outsider
):
    item = item_titled(project, KICK_OFF)
    ChecklistItem.objects.filter(pk=item.pk).update(owner=pilot_user)
    client.force_login(pilot_user)

    response = client.post(
        url("item-edit", project, item.pk),
        {
            "title": "Renamed by the owner",
            "evidence_url": "",
            "evidence_file": SimpleUploadedFile(
                "kickoff-minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf"
            ),
        },
    )

    assert response.status_code == 302
    assert response.url == url("phase", project, PhaseKind.DISCOVERY)
    saved = ChecklistItem.objects.get(pk=item.pk)
    assert saved.title == KICK_OFF  # the owner only adds evidence
    assert saved.evidence_file.name.startswith("evidence/")
    assert saved.evidence_file.name.endswith("kickoff-minutes.pdf")

    client.force_login(viewer)
    download = client.get(url("item-evidence", project, item.pk))

    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == ('attachment; filename="kickoff-minutes.pdf"')
    # Not download.close(): that fires request_finished, which would close the test's
    # database connection in the middle of its transaction on PostgreSQL.
    assert b"".join(download.streaming_content) == b"%PDF-1.4 minutes"

    client.force_login(outsider)
    assert client.get(url("item-evidence", project, item.pk)).status_code == 404


def test_item_edit_page_shows_an_owner_only_the_evidence_fields(client, project, pilot_user):
    item = item_titled(project, KICK_OFF)
    ChecklistItem.objects.filter(pk=item.pk).update(owner=pilot_user)
    client.force_login(pilot_user)

    response = client.get(url("item-edit", project, item.pk))

    assert response.status_code == 200
    body = content(response)
    assert 'name="evidence_url"' in body
    assert 'name="evidence_file"' in body
    assert 'name="title"' not in body
    assert 'name="is_mandatory"' not in body


def test_item_evidence_without_a_file_is_404(client, project, pm):
    client.force_login(pm)

    response = client.get(url("item-evidence", project, item_titled(project, KICK_OFF).pk))

    assert response.status_code == 404


# --- The project page ---------------------------------------------------------------------


def inline_svg(body: str) -> str:
    return body[body.index("<svg") : body.index("</svg>") + len("</svg>")]


def row_labels(svg_root) -> list[str]:
    return [
        text.text
        for group in svg_root.findall(f"{SVG}g")
        for text in group.findall(f"{SVG}text")
        if text.get("class") == "label"
    ]


def test_project_page_shows_the_timeline_inline(client, project, viewer):
    client.force_login(viewer)

    response = client.get(project.get_absolute_url())

    assert response.status_code == 200
    svg = inline_svg(content(response))
    for kind in PhaseKind:
        assert f">{escape(str(kind.label))}</text>" in svg
    root = ET.fromstring(svg)  # noqa: S314 - our own rendering
    assert row_labels(root) == [str(kind.label) for kind in PhaseKind]
    assert reverse("implementation:timeline", args=[project.code]) in content(response)


def test_project_page_phase_board_lists_six_phases_with_progress(client, project, pm):
    for title in (KICK_OFF, STEERING, MASTER_DATA):
        services.checklist_item_set_done(actor=pm, item=item_titled(project, title), is_done=True)
    client.force_login(pm)

    response = client.get(project.get_absolute_url())

    body = content(response)
    assert body.count('<li class="phase') == 6
    assert body.count('role="progressbar"') == 6
    for position, kind in enumerate(PhaseKind, start=1):
        assert f"{position}. {escape(str(kind.label))}</strong>" in body
    assert "3 of 8 items done" in body
    assert 'aria-valuemax="8" aria-valuenow="3"><span style="width: 38%"></span>' in body
    assert "0 of 6 items done" in body  # design
    assert "0 of 5 items done" in body  # hypercare


def test_project_page_lists_overdue_items(client, project, pm, key_user):
    today = project.local_today()
    ChecklistItemFactory(
        phase=phase_of(project, PhaseKind.DESIGN),
        title="Vendor contract countersigned",
        owner=key_user,
        due_date=today - datetime.timedelta(days=2),
        position=99,
    )
    ChecklistItemFactory(
        phase=phase_of(project, PhaseKind.DESIGN),
        title="Done on time",
        due_date=today - datetime.timedelta(days=2),
        done_at=timezone.now(),
        position=100,
    )
    client.force_login(pm)

    response = client.get(project.get_absolute_url())

    body = content(response)
    overdue = body[body.index("Overdue checklist items") :]
    assert "<td>Vendor contract countersigned" in overdue
    assert (today - datetime.timedelta(days=2)).isoformat() in overdue
    assert escape(key_user.display_name) in overdue
    assert "Done on time" not in body
    assert '<span class="badge badge--red">1 overdue</span>' in body


def test_project_page_without_overdue_items_has_no_overdue_table(client, project, pm):
    client.force_login(pm)

    response = client.get(project.get_absolute_url())

    assert "Overdue checklist items" not in content(response)


# --- The timeline image -------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_timeline_svg_is_an_xml_image_with_one_row_per_phase(client, project, members, role):
    client.force_login(members[role])

    response = client.get(url("timeline", project))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)  # noqa: S314 - our own rendering
    assert root.tag == f"{SVG}svg"
    assert row_labels(root) == [str(kind.label) for kind in PhaseKind]
    rows = [g for g in root.findall(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    assert len(rows) == 6


def test_anonymous_is_redirected_from_the_timeline(client, project):
    page = url("timeline", project)

    response = client.get(page)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"


# --- Query counts -------------------------------------------------------------------------


def fill_checklists(project, per_phase, owner) -> None:
    """Replace every checklist with `per_phase` items: owned, every other one done, all due
    before today (so the open half is overdue)."""
    ChecklistItem.objects.filter(phase__project=project).delete()
    today = project.local_today()
    for phase in Phase.objects.filter(project=project):
        for number in range(per_phase):
            ChecklistItemFactory(
                phase=phase,
                position=number + 1,
                owner=owner,
                due_date=today - datetime.timedelta(days=1 + number % 3),
                done_at=timezone.now() if number % 2 else None,
                done_by=owner if number % 2 else None,
            )


def count_queries(client, page) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "page",
    [
        lambda project: project.get_absolute_url(),
        lambda project: url("phase", project, PhaseKind.DISCOVERY),
        lambda project: url("timeline", project),
    ],
    ids=["project", "phase", "timeline"],
)
def test_page_query_count_does_not_grow_with_checklist_items(client, project, pm, page):
    start(project, pm)
    client.force_login(pm)
    fill_checklists(project, 2, pm)
    client.get(page(project))  # warm up the session and caches

    few = count_queries(client, page(project))
    fill_checklists(project, 20, pm)
    many = count_queries(client, page(project))

    assert few == many


def test_item_is_edited_in_place_with_htmx(client, project, pm):
    item = item_titled(project, KICK_OFF)
    client.force_login(pm)
    htmx = {"HX-Request": "true"}

    form_row = client.get(url("item-edit", project, item.pk), headers=htmx)
    saved_row = client.post(
        url("item-edit", project, item.pk),
        {
            "title": "Kick-off held with the steering group",
            "kind": "criterion",
            "is_mandatory": "on",
        },
        headers=htmx,
    )
    refused_row = client.post(
        url("item-edit", project, item.pk), {"title": "", "kind": "criterion"}, headers=htmx
    )

    assert form_row.status_code == 200
    assert b"<html" not in form_row.content
    assert b'class="is-editing"' in form_row.content
    assert saved_row.status_code == 200
    assert b"Kick-off held with the steering group" in saved_row.content
    assert b'<form class="stack"' not in saved_row.content
    assert "checklistChanged" in saved_row.headers["HX-Trigger"]
    assert refused_row.status_code == 422
    assert b'class="is-editing"' in refused_row.content
    assert ChecklistItem.objects.get(pk=item.pk).title == "Kick-off held with the steering group"
