"""Tickets API: raising from the ERP's help button with a token, reads with their SLA
clocks, filters, the support team's edits and moves, comments, files, history, conversion
into a defect, the configuration change link, the triage board; the policy for every
role, outsiders 404, anonymous 401, bad input 400 with nothing saved, and query counts."""

import datetime
import struct
import zlib
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from implementation.choices import Environment, TicketStatus
from implementation.models import Ticket, TicketAttachment, TicketComment, TicketEvent
from implementation.services import hypercare
from implementation.services.configuration import configuration_change_record
from projects.choices import Role
from tests.factories import MembershipFactory, ProjectFactory
from tests.golive.factories import hypercare as on_hypercare_team
from tests.hypercare.factories import HANOI_MONDAY_9AM, a_ticket, moved
from tests.uat.test_cycles_factories import make_cycle
from uat.models import Defect

TICKETS = "/api/v1/tickets/"
BOARD = "/api/v1/ticket-board/"
SUPPORT = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT}
RAISERS = set(Role) - {Role.VIEWER}
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def url(ticket, action: str = "") -> str:
    return f"{TICKETS}{ticket.pk}/" + (f"{action}/" if action else "")


def row(ticket) -> dict:
    return Ticket.objects.filter(pk=ticket.pk).values().get()


def ticket_body(project, /, **overrides) -> dict:
    return {
        "project": project.code,
        "module": "Sales - Invoicing",
        "title": "Invoice posting fails",
        "description": "Posting an invoice shows error 500.",
        "severity": "high",
        "business_impact": "No invoices go out in the Cầu Giấy store.",
    } | overrides


def moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def a_change(project, actor):
    return configuration_change_record(
        actor=actor,
        project=project,
        area="Finance - Tax",
        setting="Tax calculation rounding method",
        old_value="Round per line",
        new_value="Round globally",
        reason="VAT is computed on the invoice total.",
        requested_by=actor,
        environment=Environment.PRODUCTION,
        applied_at=HANOI_MONDAY_9AM,
    )


# --- Raising ----------------------------------------------------------------------------------


def test_the_help_button_raises_a_ticket_with_a_members_token(project, key_user, pm):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=key_user).key}")

    response = client.post(TICKETS, ticket_body(project, assignee=pm.username), format="json")

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.reporter, ticket.assignee) == ("api", key_user, pm)
    body = response.json()
    assert {key: body[key] for key in body if key not in {"created_at", "updated_at", "sla"}} == {
        "pk": ticket.pk,
        "project": project.code,
        "number": 1,
        "display_number": "TCK-1",
        "module": "Sales - Invoicing",
        "title": "Invoice posting fails",
        "description": "Posting an invoice shows error 500.",
        "severity": "high",
        "business_impact": "No invoices go out in the Cầu Giấy store.",
        "status": "new",
        "source": "api",
        "reporter": key_user.username,
        "assignee": pm.username,
        "acknowledged_at": None,
        "resolved_at": None,
        "closed_at": None,
        "reopen_count": 0,
        "defect": None,
        "defect_number": None,
        "configuration_change": None,
        "configuration_change_number": None,
        "breached": False,
    }
    assert moment(body["sla"]["response"]["due_at"]) == ticket.response_due_at
    assert moment(body["sla"]["resolution"]["due_at"]) == ticket.resolution_due_at
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


@pytest.mark.parametrize("role", list(Role))
def test_raise_a_ticket_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(TICKETS, ticket_body(project), format="json")

    assert response.status_code == (201 if role in RAISERS else 403)
    assert Ticket.objects.count() == (1 if role in RAISERS else 0)


def test_a_viewer_gets_403_before_the_input_is_read(api_as, project, viewer):
    response = api_as(viewer).post(
        TICKETS, {"project": project.code, "severity": "apocalyptic"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"severity": "urgent"}, {"severity"}),
        ({"severity": ""}, {"severity"}),
        ({"title": ""}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"business_impact": None}, {"business_impact"}),
        ({"module": ["Sales"]}, {"module"}),
        ({"assignee": "nobody-here"}, {"assignee"}),
        ({"project": ""}, {"project"}),
        ({"project": "NOPE-1"}, {"project"}),
    ],
)
def test_bad_ticket_input_is_400_and_saves_nothing(api_as, project, key_user, overrides, fields):
    response = api_as(key_user).post(TICKETS, ticket_body(project, **overrides), format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Ticket.objects.exists()


def test_an_assignee_outside_the_support_team_is_refused(api_as, project, key_user, pilot_user):
    response = api_as(key_user).post(
        TICKETS, ticket_body(project, assignee=pilot_user.username), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"assignee"}
    assert not Ticket.objects.exists()


def test_someone_on_another_projects_team_is_no_assignee(api_as, project, key_user, outsider):
    response = api_as(key_user).post(
        TICKETS, ticket_body(project, assignee=outsider.username), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"assignee"}
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", [[], "text", 42, [{"project": "HNR-ERP"}]])
def test_a_body_that_is_not_an_object_is_400(api_as, project, key_user, body):
    response = api_as(key_user).post(TICKETS, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
    assert not Ticket.objects.exists()


def test_outsiders_cannot_raise_tickets_on_a_project_they_do_not_see(api_as, project, pm, outsider):
    response = api_as(outsider).post(TICKETS, ticket_body(project), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"project"}
    assert not Ticket.objects.exists()


# --- Reading, SLA clocks and filters ----------------------------------------------------------


def test_a_ticket_raised_in_the_past_reads_with_its_running_clocks(api_as, project, pm, key_user):
    ticket = a_ticket(project, key_user, at=HANOI_MONDAY_9AM, severity="critical")
    eleven = HANOI_MONDAY_9AM + 2 * HOUR

    with mock.patch("django.utils.timezone.now", return_value=eleven):
        body = api_as(pm).get(url(ticket)).json()

    # Critical: respond within 1 working hour, resolve within 4 (08:00-17:00 in Hanoi).
    response, resolution = body["sla"]["response"], body["sla"]["resolution"]
    assert moment(response["due_at"]) == HANOI_MONDAY_9AM + HOUR
    assert (response["met_at"], response["breached"], response["working_minutes_left"]) == (
        None,
        True,
        0,
    )
    assert moment(resolution["due_at"]) == HANOI_MONDAY_9AM + 4 * HOUR
    assert (resolution["met_at"], resolution["breached"], resolution["working_minutes_left"]) == (
        None,
        False,
        120,
    )
    assert body["breached"] is True


def test_clocks_stop_when_answered_and_resolved(api_as, project, pm, key_user):
    ticket = a_ticket(project, key_user, at=HANOI_MONDAY_9AM, severity="critical")
    moved(ticket, pm, TicketStatus.ACKNOWLEDGED, at=HANOI_MONDAY_9AM + HOUR / 2)
    moved(ticket, pm, TicketStatus.RESOLVED, at=HANOI_MONDAY_9AM + 5 * HOUR)

    body = api_as(key_user).get(url(ticket)).json()

    response, resolution = body["sla"]["response"], body["sla"]["resolution"]
    assert moment(response["met_at"]) == HANOI_MONDAY_9AM + HOUR / 2
    assert (response["breached"], response["working_minutes_left"]) == (False, 0)
    assert moment(resolution["met_at"]) == HANOI_MONDAY_9AM + 5 * HOUR
    assert (resolution["breached"], resolution["working_minutes_left"]) == (True, 0)
    assert (body["status"], body["breached"]) == ("resolved", True)


def test_a_night_ticket_starts_its_clock_in_the_morning(api_as, project, pm, key_user):
    sunday_night = HANOI_MONDAY_9AM - 12 * HOUR  # 21:00 on Sunday in Hanoi
    ticket = a_ticket(project, key_user, at=sunday_night, severity="critical")

    with mock.patch("django.utils.timezone.now", return_value=sunday_night + HOUR):
        body = api_as(pm).get(url(ticket)).json()

    assert moment(body["sla"]["response"]["due_at"]) == HANOI_MONDAY_9AM  # 08:00 + 1 h
    assert body["sla"]["response"]["working_minutes_left"] == 60
    assert body["sla"]["resolution"]["working_minutes_left"] == 240
    assert body["breached"] is False


def test_tickets_list_newest_first_and_filter(api_as, project, pm, it_member, key_user, outsider):
    old = a_ticket(
        project, key_user, at=timezone.now() - datetime.timedelta(days=30), module="Warehouse"
    )
    moved(old, it_member, TicketStatus.RESOLVED)
    fresh = a_ticket(project, key_user, severity="low", assignee=pm)
    client = api_as(pm)

    def numbers(**query):
        response = client.get(TICKETS, query)
        assert response.status_code == 200
        return [item["number"] for item in response.json()["results"]]

    assert numbers(project=project.code) == [fresh.number, old.number]
    assert numbers(project=project.code.lower()) == [fresh.number, old.number]
    assert numbers(status="resolved") == [old.number]
    assert numbers(open="true") == [fresh.number]
    assert numbers(open="false") == [old.number]
    assert numbers(severity="low") == [fresh.number]
    assert numbers(module="wareh") == [old.number]
    assert numbers(assignee=pm.username) == [fresh.number]
    assert numbers(assignee="none") == [old.number]
    assert numbers(breached="true") == [old.number]
    assert numbers(breached="false") == [fresh.number]
    assert client.get(TICKETS, {"severity": "urgent"}).status_code == 400
    assert client.get(TICKETS, {"status": "lost"}).status_code == 400
    assert api_as(outsider).get(TICKETS).json()["results"] == []
    assert api_as(outsider).get(TICKETS, {"project": project.code}).json()["results"] == []


def test_outsiders_get_404_for_a_ticket_and_its_parts(api_as, project, pm, key_user, outsider):
    ticket = a_ticket(project, key_user)
    client = api_as(outsider)

    assert client.get(url(ticket)).status_code == 404
    for part in ("comments", "history", "attachments"):
        assert client.get(url(ticket, part)).status_code == 404
    assert client.patch(url(ticket), {"title": "Mine"}, format="json").status_code == 404
    for part, body in [
        ("transition", {"status": "acknowledged"}),
        ("comments", {"body": "Hello"}),
        ("convert-to-defect", {}),
        ("link-change", {"configuration_change": "CFG-1"}),
    ]:
        assert client.post(url(ticket, part), body, format="json").status_code == 404
    assert client.get(f"{TICKETS}999999/").status_code == 404
    assert row(ticket)["status"] == "new"
    assert TicketComment.objects.count() == 0


def test_anonymous_clients_get_401(api_client, project, key_user):
    ticket = a_ticket(project, key_user)

    assert api_client.get(TICKETS).status_code == 401
    assert api_client.post(TICKETS, ticket_body(project), format="json").status_code == 401
    assert api_client.get(url(ticket)).status_code == 401
    assert api_client.patch(url(ticket), {"title": "x"}, format="json").status_code == 401
    for part in ("transition", "comments", "attachments", "convert-to-defect", "link-change"):
        assert api_client.post(url(ticket, part), {}, format="json").status_code == 401
    assert api_client.get(url(ticket, "history")).status_code == 401
    assert api_client.get(f"{BOARD}{project.code}/").status_code == 401
    assert Ticket.objects.count() == 1
    assert row(ticket)["title"] == "Cannot post the invoice"


def test_tickets_are_not_put_or_deleted(api_as, project, pm, key_user):
    ticket = a_ticket(project, key_user)
    client = api_as(pm)

    assert client.put(url(ticket), ticket_body(project), format="json").status_code == 405
    assert client.delete(url(ticket)).status_code == 405
    assert client.delete(url(ticket, "comments")).status_code == 405
    assert Ticket.objects.count() == 1


# --- The support team's edits -----------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_edit_a_ticket_by_role(api_as, project, members, role):
    ticket = a_ticket(project, members[Role.PILOT_USER])

    response = api_as(members[role]).patch(url(ticket), {"module": "Finance"}, format="json")

    assert response.status_code == (200 if role in SUPPORT else 403)
    assert row(ticket)["module"] == ("Finance" if role in SUPPORT else "Sales")


def test_someone_on_the_hypercare_team_edits_tickets(api_as, project, pm, key_user, pilot_user):
    on_hypercare_team(project, pm, key_user)
    ticket = a_ticket(project, pilot_user)

    response = api_as(key_user).patch(url(ticket), {"assignee": key_user.username}, format="json")

    assert response.status_code == 200
    assert response.json()["assignee"] == key_user.username


def test_a_member_outside_the_support_team_gets_403_before_the_input_is_read(
    api_as, project, key_user
):
    ticket = a_ticket(project, key_user)

    response = api_as(key_user).patch(url(ticket), {"severity": "cosmic"}, format="json")

    assert response.status_code == 403


def test_a_severity_change_works_the_due_times_out_again(api_as, project, pm, key_user):
    ticket = a_ticket(project, key_user, at=HANOI_MONDAY_9AM, severity="low")

    response = api_as(pm).patch(
        url(ticket), {"severity": "critical", "comment": "Stops all invoicing."}, format="json"
    )

    assert response.status_code == 200
    sla = response.json()["sla"]
    assert moment(sla["response"]["due_at"]) == HANOI_MONDAY_9AM + HOUR
    assert moment(sla["resolution"]["due_at"]) == HANOI_MONDAY_9AM + 4 * HOUR
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert (event.comment, event.changes) == (
        "Stops all invoicing.",
        {"severity": ["low", "critical"]},
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"severity": "urgent"}, {"severity"}),
        ({"title": ""}, {"title"}),
        ({"assignee": "nobody-here"}, {"assignee"}),
        ({"assignee": 7}, {"assignee"}),
        ([], {"non_field_errors"}),
        ("text", {"non_field_errors"}),
    ],
)
def test_bad_edits_are_400_and_change_nothing(api_as, project, pm, key_user, body, fields):
    ticket = a_ticket(project, key_user)
    before = row(ticket)

    response = api_as(pm).patch(url(ticket), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(ticket) == before


def test_an_assignee_must_be_of_the_support_team(api_as, project, pm, key_user, pilot_user):
    ticket = a_ticket(project, key_user)
    before = row(ticket)

    response = api_as(pm).patch(
        url(ticket), {"title": "New title", "assignee": pilot_user.username}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"assignee"}
    assert row(ticket) == before


# --- Moves ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_acknowledge_by_role(api_as, project, members, role):
    reporter = members[Role.EXECUTIVE] if role != Role.EXECUTIVE else members[Role.PILOT_USER]
    ticket = a_ticket(project, reporter)

    response = api_as(members[role]).post(
        url(ticket, "transition"), {"status": "acknowledged"}, format="json"
    )

    assert response.status_code == (200 if role in SUPPORT else 403)
    assert row(ticket)["status"] == ("acknowledged" if role in SUPPORT else "new")


def test_acknowledging_stops_the_response_clock(api_as, project, it_member, key_user):
    ticket = a_ticket(project, key_user)

    response = api_as(it_member).post(
        url(ticket, "transition"), {"status": "acknowledged", "comment": "Looking"}, format="json"
    )

    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["sla"]["response"]["met_at"] == body["acknowledged_at"]
    assert body["acknowledged_at"] is not None
    assert body["sla"]["response"]["breached"] is False


def test_a_member_who_cannot_move_it_gets_403_before_the_input_is_read(
    api_as, project, key_user, executive
):
    ticket = a_ticket(project, key_user)

    response = api_as(executive).post(
        url(ticket, "transition"), {"status": "teleported"}, format="json"
    )

    assert response.status_code == 403


def test_the_reporter_cannot_acknowledge_their_own_ticket(api_as, project, key_user):
    ticket = a_ticket(project, key_user)

    response = api_as(key_user).post(
        url(ticket, "transition"), {"status": "acknowledged"}, format="json"
    )

    assert response.status_code == 403
    assert row(ticket)["status"] == "new"


def test_the_reporter_closes_or_reopens_a_resolved_ticket(api_as, project, pm, key_user):
    ticket = a_ticket(project, key_user)
    moved(ticket, pm, TicketStatus.RESOLVED)
    client = api_as(key_user)

    refused = client.post(url(ticket, "transition"), {"status": "in_progress"}, format="json")
    reopened = client.post(
        url(ticket, "transition"),
        {"status": "in_progress", "comment": "Still fails for credit notes."},
        format="json",
    )

    assert refused.status_code == 400
    assert set(refused.json()) == {"comment"}
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["reopen_count"]) == ("in_progress", 1)
    assert reopened.json()["sla"]["resolution"]["met_at"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"status": "lost"}, {"status"}),
        ({"status": "closed"}, {"status"}),  # new -> closed is not a move
        ({}, {"status"}),
        ({"status": "resolved", "comment": ["a"]}, {"comment"}),
        ([], {"non_field_errors"}),
    ],
)
def test_bad_moves_are_400_and_change_nothing(api_as, project, pm, key_user, body, fields):
    ticket = a_ticket(project, key_user)
    before = row(ticket)

    response = api_as(pm).post(url(ticket, "transition"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(ticket) == before
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_reopening_without_a_comment_is_400_and_changes_nothing(api_as, project, pm, key_user):
    ticket = a_ticket(project, key_user)
    moved(ticket, pm, TicketStatus.RESOLVED)
    moved(ticket, pm, TicketStatus.CLOSED)
    before = row(ticket)

    response = api_as(pm).post(
        url(ticket, "transition"), {"status": "in_progress", "comment": "   "}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"comment"}
    assert row(ticket) == before


# --- Comments, history, files -----------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_comment_by_role(api_as, project, members, role):
    ticket = a_ticket(project, members[Role.PILOT_USER])

    response = api_as(members[role]).post(
        url(ticket, "comments"), {"body": "Same here."}, format="json"
    )

    assert response.status_code == (201 if role in RAISERS else 403)
    assert TicketComment.objects.count() == (1 if role in RAISERS else 0)


def test_comments_read_oldest_first(api_as, project, pm, key_user, viewer):
    ticket = a_ticket(project, key_user)
    api_as(pm).post(url(ticket, "comments"), {"body": "Can you send a screenshot?"}, format="json")
    api_as(key_user).post(url(ticket, "comments"), {"body": "  Attached.  "}, format="json")

    body = api_as(viewer).get(url(ticket, "comments")).json()

    assert [(c["author"], c["body"]) for c in body] == [
        (pm.username, "Can you send a screenshot?"),
        (key_user.username, "Attached."),
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"body": ""}, {"body"}),
        ({"body": "   "}, {"body"}),
        ({}, {"body"}),
        ({"body": "x" * 10_001}, {"body"}),
        ("text", {"non_field_errors"}),
    ],
)
def test_bad_comments_are_400(api_as, project, key_user, body, fields):
    ticket = a_ticket(project, key_user)

    response = api_as(key_user).post(url(ticket, "comments"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not TicketComment.objects.exists()


def test_a_viewer_gets_403_on_comments_before_the_input_is_read(api_as, project, key_user, viewer):
    ticket = a_ticket(project, key_user)

    response = api_as(viewer).post(url(ticket, "comments"), [], format="json")

    assert response.status_code == 403


def test_history_lists_every_move_and_edit(api_as, project, pm, key_user, viewer):
    ticket = a_ticket(project, key_user)
    moved(ticket, pm, TicketStatus.ACKNOWLEDGED, comment="On it")
    hypercare.ticket_update(actor=pm, ticket=ticket, module="Finance")

    body = api_as(viewer).get(url(ticket, "history")).json()

    assert [
        (e["actor"], e["from_status"], e["to_status"], e["comment"], e["changes"]) for e in body
    ] == [
        (key_user.username, "new", "new", "Raised.", {}),
        (pm.username, "new", "acknowledged", "On it", {}),
        (pm.username, "acknowledged", "acknowledged", "", {"module": ["Sales", "Finance"]}),
    ]


def test_attach_a_screenshot_and_list_it(api_as, project, key_user, viewer):
    ticket = a_ticket(project, key_user)

    response = api_as(key_user).post(
        url(ticket, "attachments"), {"file": upload("error.png", tiny_png())}, format="multipart"
    )

    assert response.status_code == 201
    attachment = TicketAttachment.objects.get()
    listed = api_as(viewer).get(url(ticket, "attachments")).json()
    assert listed == [
        {
            "pk": attachment.pk,
            "original_name": "error.png",
            "content_type": "image/png",
            "size": len(tiny_png()),
            "uploaded_by": key_user.username,
            "uploaded_at": listed[0]["uploaded_at"],
        }
    ]
    assert response.json() == listed[0]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
        ("error.pdf", None),  # a PNG that says it is a PDF
        ("script.png", b"\x00\x01\x02binary\xff\xfe"),
    ],
)
def test_a_file_of_a_refused_type_is_400_and_not_stored(api_as, project, key_user, name, data):
    ticket = a_ticket(project, key_user)

    response = api_as(key_user).post(
        url(ticket, "attachments"),
        {"file": upload(name, data if data is not None else tiny_png())},
        format="multipart",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"file"}
    assert not TicketAttachment.objects.exists()


def test_an_upload_without_a_file_is_400(api_as, project, key_user):
    ticket = a_ticket(project, key_user)

    response = api_as(key_user).post(url(ticket, "attachments"), {}, format="multipart")

    assert response.status_code == 400
    assert set(response.json()) == {"file"}


@pytest.mark.parametrize("role", list(Role))
def test_attach_by_role(api_as, project, members, role):
    ticket = a_ticket(project, members[Role.PILOT_USER])

    response = api_as(members[role]).post(
        url(ticket, "attachments"), {"file": upload("error.png", tiny_png())}, format="multipart"
    )

    assert response.status_code == (201 if role in RAISERS else 403)
    assert TicketAttachment.objects.count() == (1 if role in RAISERS else 0)


# --- Defects and configuration changes --------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_convert_to_a_defect_by_role(api_as, project, members, role):
    ticket = a_ticket(project, members[Role.PILOT_USER])

    response = api_as(members[role]).post(url(ticket, "convert-to-defect"), {}, format="json")

    assert response.status_code == (200 if role in SUPPORT else 403)
    assert Defect.objects.count() == (1 if role in SUPPORT else 0)


def test_a_converted_ticket_names_its_defect_and_is_converted_once(api_as, project, pm, key_user):
    ticket = a_ticket(project, key_user)
    cycle = make_cycle(project)
    client = api_as(pm)

    response = client.post(url(ticket, "convert-to-defect"), {"cycle": cycle.pk}, format="json")
    again = client.post(url(ticket, "convert-to-defect"), {}, format="json")

    defect = Defect.objects.get()
    assert (response.json()["defect"], response.json()["defect_number"]) == (
        defect.pk,
        defect.display_number,
    )
    assert (defect.cycle, defect.severity) == (cycle, "high")
    assert again.status_code == 400
    assert set(again.json()) == {"defect"}
    assert Defect.objects.count() == 1


@pytest.mark.parametrize("cycle", ["x", 0, -1, 2**70, "other"])
def test_a_cycle_not_of_the_project_is_400(api_as, project, pm, key_user, cycle):
    ticket = a_ticket(project, key_user)
    if cycle == "other":
        cycle = make_cycle(ProjectFactory()).pk

    response = api_as(pm).post(url(ticket, "convert-to-defect"), {"cycle": cycle}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"cycle"}
    assert not Defect.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_link_a_configuration_change_by_role(api_as, project, members, role):
    ticket = a_ticket(project, members[Role.PILOT_USER])
    change = a_change(project, members[Role.IT])

    response = api_as(members[role]).post(
        url(ticket, "link-change"), {"configuration_change": "CFG-1"}, format="json"
    )

    assert response.status_code == (200 if role in SUPPORT else 403)
    assert row(ticket)["configuration_change_id"] == (change.pk if role in SUPPORT else None)
    if role in SUPPORT:
        assert response.json()["configuration_change_number"] == "CFG-1"


@pytest.mark.parametrize("number", ["cfg-1", "1", 1])
def test_a_change_is_named_by_its_number(api_as, project, it_member, key_user, number):
    ticket = a_ticket(project, key_user)
    change = a_change(project, it_member)

    response = api_as(it_member).post(
        url(ticket, "link-change"), {"configuration_change": number}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["configuration_change"] == change.pk


@pytest.mark.parametrize("number", ["CFG-2", "CFG-x", "", "CFG-99999999999", None])
def test_an_unknown_change_is_400(api_as, project, it_member, key_user, number):
    ticket = a_ticket(project, key_user)
    a_change(project, it_member)

    response = api_as(it_member).post(
        url(ticket, "link-change"), {"configuration_change": number}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"configuration_change"}
    assert row(ticket)["configuration_change_id"] is None


def test_a_change_of_another_project_is_not_found(api_as, project, it_member, key_user):
    ticket = a_ticket(project, key_user)
    other = ProjectFactory()
    MembershipFactory(project=other, user=it_member, role=Role.IT)
    a_change(other, it_member)

    response = api_as(it_member).post(
        url(ticket, "link-change"), {"configuration_change": "CFG-1"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"configuration_change"}
    assert row(ticket)["configuration_change_id"] is None


# --- The triage board -------------------------------------------------------------------------


def test_the_board_shows_open_tickets_by_severity_breaching_first(
    api_as, project, pm, key_user, viewer
):
    overdue = a_ticket(project, key_user, at=timezone.now() - datetime.timedelta(days=20))
    fresh = a_ticket(project, key_user)
    critical = a_ticket(project, key_user, severity="critical", assignee=pm)
    done = a_ticket(project, key_user, severity="critical")
    moved(done, pm, TicketStatus.RESOLVED)

    response = api_as(viewer).get(f"{BOARD}{project.code.lower()}/")

    assert response.status_code == 200
    body = response.json()
    assert body["project"] == project.code
    columns = {c["severity"]: c for c in body["columns"]}
    assert [c["severity"] for c in body["columns"]] == ["critical", "high", "medium", "low"]
    assert columns["critical"]["label"] == "Critical"
    assert [t["number"] for t in columns["critical"]["tickets"]] == [critical.number]
    assert columns["critical"]["tickets"][0]["assignee"] == pm.username
    assert [(t["number"], t["breached"]) for t in columns["high"]["tickets"]] == [
        (overdue.number, True),
        (fresh.number, False),
    ]
    assert columns["low"]["tickets"] == []


def test_the_board_of_a_hidden_or_unknown_project_is_404(api_as, project, pm, outsider):
    assert api_as(outsider).get(f"{BOARD}{project.code}/").status_code == 404
    assert api_as(pm).get(f"{BOARD}NOPE-1/").status_code == 404
    assert api_as(pm).post(f"{BOARD}{project.code}/", {}).status_code == 405


# --- Query counts -----------------------------------------------------------------------------


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def _busy_project(pm, size: int):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    reporter = MembershipFactory(project=other, role=Role.KEY_USER).user
    tickets = []
    for number in range(size):
        ticket = a_ticket(
            other,
            reporter,
            at=timezone.now() - datetime.timedelta(days=number),
            assignee=pm if number % 2 else None,
            severity=["critical", "high", "medium", "low"][number % 4],
        )
        if number % 3 == 0:
            moved(ticket, pm, TicketStatus.IN_PROGRESS)
        if number % 5 == 0:
            hypercare.ticket_convert_to_defect(actor=pm, ticket=ticket)
        hypercare.ticket_comment_add(actor=reporter, ticket=ticket, body=f"Comment {number}")
        tickets.append(ticket)
    hypercare.hypercare_plan_update(actor=pm, project=other, holidays=["2026-09-02"])
    return other, tickets


def test_ticket_list_and_board_query_counts_do_not_grow(api_as, pm):
    counts = []
    for size in (2, 20):
        other, _tickets = _busy_project(pm, size)
        client = api_as(pm)
        counts.append(
            (
                _count(client, f"{TICKETS}?project={other.code}"),
                _count(client, TICKETS),
                _count(client, f"{BOARD}{other.code}/"),
            )
        )

    assert counts[0] == counts[1]


def test_comment_and_history_query_counts_do_not_grow(api_as, pm):
    counts = []
    for size in (2, 20):
        other, tickets = _busy_project(pm, 1)
        ticket = tickets[0]
        reporter = ticket.reporter
        for number in range(size):
            hypercare.ticket_comment_add(actor=reporter, ticket=ticket, body=f"More {number}")
            hypercare.ticket_update(actor=pm, ticket=ticket, title=f"Title {number}")
        client = api_as(pm)
        counts.append(
            (_count(client, url(ticket, "comments")), _count(client, url(ticket, "history")))
        )

    assert counts[0] == counts[1]
