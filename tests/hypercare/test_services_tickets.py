"""Support tickets through their services: numbers, SLA due times, the workflow and who
moves it, history, comments, attachments, conversion to a defect, configuration changes."""

import datetime
import struct
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from implementation.choices import TICKET_TRANSITIONS, Environment, TicketSource, TicketStatus
from implementation.models import Ticket, TicketAttachment, TicketComment, TicketEvent
from implementation.services import hypercare
from implementation.services.configuration import configuration_change_record
from tests.factories import MembershipFactory, ProjectFactory
from tests.hypercare.factories import (
    HANOI_MONDAY_9AM,
    a_ticket,
    a_ticket_in,
    frozen,
    local,
    moved,
    on_hypercare_team,
)
from uat.models import Defect

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


# --- Numbers and due times -------------------------------------------------------------------


def test_tickets_are_numbered_per_project(project, pilot_user):
    first = a_ticket(project, pilot_user)
    second = a_ticket(project, pilot_user)
    other = ProjectFactory()
    stranger = MembershipFactory(project=other, role="pilot_user").user

    elsewhere = a_ticket(other, stranger)

    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert second.display_number == "TCK-2"
    assert str(first) == "TCK-1 Cannot post the invoice"


def test_raising_records_the_reporter_source_and_a_history_row(project, pilot_user):
    ticket = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, title="  Price list missing  ")

    assert ticket.title == "Price list missing"
    assert ticket.status == TicketStatus.NEW
    assert ticket.reporter == pilot_user
    assert ticket.source == TicketSource.WEB
    assert ticket.created_at == HANOI_MONDAY_9AM
    assert list(ticket.events.values_list("from_status", "to_status", "comment")) == [
        ("new", "new", "Raised.")
    ]


def test_the_api_marks_its_tickets(project, pilot_user):
    ticket = a_ticket(project, pilot_user, source=TicketSource.API)
    assert ticket.source == "api"


@pytest.mark.parametrize(
    ("severity", "response", "resolution"),
    [
        # Raised Monday 16 November 09:00 in Hanoi, office hours 08:00-17:00.
        ("critical", (16, 10), (16, 13)),
        ("high", (16, 13), (17, 9)),
        ("medium", (17, 9), (19, 9)),
        ("low", (19, 9), (30, 9)),
    ],
)
def test_default_due_times_per_severity(project, pilot_user, severity, response, resolution):
    ticket = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, severity=severity)

    assert ticket.response_due_at == local(project, 2026, 11, *response)
    assert ticket.resolution_due_at == local(project, 2026, 11, *resolution)


def test_a_ticket_raised_friday_afternoon_is_due_after_the_weekend(project, pilot_user):
    ticket = a_ticket(project, pilot_user, at=local(project, 2026, 11, 20, 16), severity="high")

    assert ticket.response_due_at == local(project, 2026, 11, 23, 11)
    assert ticket.resolution_due_at == local(project, 2026, 11, 23, 16)


def test_due_times_follow_the_plans_hours_and_holidays(project, pm, pilot_user):
    hypercare.hypercare_plan_update(
        actor=pm,
        project=project,
        work_starts=datetime.time(8, 30),
        work_ends=datetime.time(17, 30),
        holidays=["2026-11-17"],
    )

    ticket = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, severity="medium")

    # Monday 09:00 + 9 h: 8.5 h on Monday, then Tuesday is a holiday, Wednesday 09:00.
    assert ticket.response_due_at == local(project, 2026, 11, 18, 9)


def test_project_targets_apply_to_tickets_raised_afterwards_only(project, pm, pilot_user):
    before = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, severity="high")

    hypercare.sla_target_set(
        actor=pm,
        project=project,
        severity="high",
        response_value=2,
        response_unit="hours",
        resolution_value=2,
        resolution_unit="business_days",
    )
    after = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, severity="high")
    medium = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, severity="medium")

    before.refresh_from_db()
    assert before.response_due_at == local(project, 2026, 11, 16, 13)
    assert before.resolution_due_at == local(project, 2026, 11, 17, 9)
    assert after.response_due_at == local(project, 2026, 11, 16, 11)
    assert after.resolution_due_at == local(project, 2026, 11, 18, 9)
    assert medium.response_due_at == local(project, 2026, 11, 17, 9)  # still the default


def test_raising_refuses_bad_input_and_saves_nothing(project, pilot_user, viewer, outsider):
    with pytest.raises(ValidationError) as error:
        a_ticket(project, pilot_user, title="  ", severity="urgent", module="")
    assert set(error.value.message_dict) == {"title", "severity", "module"}
    with pytest.raises(ValidationError) as error:
        a_ticket(project, pilot_user, assignee=viewer)
    assert error.value.message_dict == {"assignee": ["Choose someone of the support team."]}
    with pytest.raises(ValidationError) as error:
        a_ticket(project, pilot_user, assignee=outsider)
    assert error.value.message_dict == {"assignee": ["Choose a member of this project's team."]}
    with pytest.raises(PermissionDenied):
        a_ticket(project, viewer)
    with pytest.raises(PermissionDenied):
        a_ticket(project, outsider)
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


# --- Workflow --------------------------------------------------------------------------------

PAIRS = [(before, after) for before in TicketStatus for after in TicketStatus]


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_every_move_against_the_transition_table(project, pilot_user, it_member, before, after):
    ticket = a_ticket_in(before, project, pilot_user, it_member)
    events = ticket.events.count()
    allowed = after in TICKET_TRANSITIONS[before]

    if allowed:
        result = moved(
            ticket,
            it_member,
            after,
            at=HANOI_MONDAY_9AM + H,
            comment="Still wrong at the Hà Đông store.",
        )
        assert result.status == after
        assert ticket.events.count() == events + 1
        event = ticket.events.last()
        assert (event.from_status, event.to_status, event.actor) == (before, after, it_member)
    else:
        with pytest.raises(ValidationError) as error:
            moved(ticket, it_member, after, at=HANOI_MONDAY_9AM + H, comment="Try.")
        assert list(error.value.message_dict) == ["status"]
        ticket.refresh_from_db()
        assert ticket.status == before
        assert ticket.events.count() == events


def test_an_unknown_status_is_refused(project, pilot_user, it_member):
    ticket = a_ticket(project, pilot_user)
    with pytest.raises(ValidationError) as error:
        moved(ticket, it_member, "parked")
    assert error.value.message_dict == {"status": ["A ticket that is new cannot become parked."]}


@pytest.mark.parametrize("role", ["pm", "consultant", "it_member"])
def test_the_support_team_handles_tickets(request, project, pilot_user, role):
    handler = request.getfixturevalue(role)
    ticket = a_ticket(project, pilot_user)

    assert moved(ticket, handler, TicketStatus.ACKNOWLEDGED).status == "acknowledged"


@pytest.mark.parametrize("role", ["key_user", "pilot_user", "executive", "viewer", "outsider"])
def test_others_do_not_handle_tickets(request, project, consultant, role):
    actor = request.getfixturevalue(role)
    ticket = a_ticket(project, consultant)

    with pytest.raises(PermissionDenied):
        moved(ticket, actor, TicketStatus.ACKNOWLEDGED)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.acknowledged_at) == ("new", None)


def test_a_pilot_user_on_the_hypercare_team_handles_tickets(project, pm, pilot_user, key_user):
    on_hypercare_team(project, pm, pilot_user)
    ticket = a_ticket(project, key_user)

    assert hypercare.may_move(pilot_user, ticket, TicketStatus.ACKNOWLEDGED)
    assert moved(ticket, pilot_user, TicketStatus.IN_PROGRESS).status == "in_progress"
    assert not hypercare.may_move(key_user, ticket, TicketStatus.RESOLVED)


def test_the_reporter_closes_and_reopens_their_resolved_ticket(project, pilot_user, it_member):
    ticket = a_ticket_in(TicketStatus.RESOLVED, project, pilot_user, it_member)

    assert not hypercare.may_move(pilot_user, ticket, TicketStatus.ACKNOWLEDGED)
    closed = moved(ticket, pilot_user, TicketStatus.CLOSED, at=HANOI_MONDAY_9AM + 2 * H)
    assert closed.status == "closed"
    assert closed.closed_at == HANOI_MONDAY_9AM + 2 * H
    reopened = moved(ticket, pilot_user, TicketStatus.IN_PROGRESS, comment="Again today.")
    assert reopened.status == "in_progress"
    # Once it is back with the support team, the reporter no longer moves it.
    with pytest.raises(PermissionDenied):
        moved(reopened, pilot_user, TicketStatus.RESOLVED)


def test_another_user_does_not_close_someone_elses_ticket(project, pilot_user, key_user, it_member):
    ticket = a_ticket_in(TicketStatus.RESOLVED, project, pilot_user, it_member)

    with pytest.raises(PermissionDenied):
        moved(ticket, key_user, TicketStatus.CLOSED)
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_reporter_who_lost_their_membership_moves_nothing(project, pilot_user, it_member):
    ticket = a_ticket_in(TicketStatus.RESOLVED, project, pilot_user, it_member)
    project.memberships.filter(user=pilot_user).delete()
    ticket = Ticket.objects.get(pk=ticket.pk)

    with pytest.raises(PermissionDenied):
        moved(ticket, pilot_user, TicketStatus.CLOSED)


def test_the_first_response_is_stamped_once(project, pilot_user, it_member):
    ticket = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM)

    moved(ticket, it_member, TicketStatus.ACKNOWLEDGED, at=HANOI_MONDAY_9AM + H)
    moved(ticket, it_member, TicketStatus.IN_PROGRESS, at=HANOI_MONDAY_9AM + 2 * H)
    resolved = moved(ticket, it_member, TicketStatus.RESOLVED, at=HANOI_MONDAY_9AM + 3 * H)

    assert resolved.acknowledged_at == HANOI_MONDAY_9AM + H
    assert resolved.resolved_at == HANOI_MONDAY_9AM + 3 * H


def test_resolving_a_new_ticket_is_also_its_first_response(project, pilot_user, it_member):
    ticket = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM)

    resolved = moved(ticket, it_member, TicketStatus.RESOLVED, at=HANOI_MONDAY_9AM + H)

    assert resolved.acknowledged_at == resolved.resolved_at == HANOI_MONDAY_9AM + H


@pytest.mark.parametrize("start", [TicketStatus.RESOLVED, TicketStatus.CLOSED])
def test_a_reopen_needs_a_comment(project, pilot_user, it_member, start):
    ticket = a_ticket_in(start, project, pilot_user, it_member)
    events = ticket.events.count()

    with pytest.raises(ValidationError) as error:
        moved(ticket, pilot_user, TicketStatus.IN_PROGRESS, comment="   ")

    assert error.value.message_dict == {"comment": ["Say why the ticket is reopened."]}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.events.count()) == (start, 0, events)


def test_a_reopen_restarts_the_resolution_clock_and_counts(project, pilot_user, it_member):
    ticket = a_ticket_in(
        TicketStatus.CLOSED, project, pilot_user, it_member, severity="high"
    )  # resolved Monday 09:02
    response_due = ticket.response_due_at
    wednesday = local(project, 2026, 11, 18, 14)

    reopened = moved(
        ticket, pilot_user, TicketStatus.IN_PROGRESS, at=wednesday, comment="Still wrong."
    )

    assert reopened.reopen_count == 1
    assert (reopened.resolved_at, reopened.closed_at) == (None, None)
    assert reopened.resolution_due_at == local(project, 2026, 11, 19, 14)  # 1 business day
    assert reopened.response_due_at == response_due
    event = reopened.events.last()
    assert (event.from_status, event.to_status, event.comment) == (
        "closed",
        "in_progress",
        "Still wrong.",
    )
    resolved = moved(reopened, it_member, TicketStatus.RESOLVED, at=wednesday + H)
    again = moved(resolved, pilot_user, TicketStatus.IN_PROGRESS, at=wednesday + 2 * H, comment="!")
    assert again.reopen_count == 2


# --- Edits -----------------------------------------------------------------------------------


def test_a_severity_change_works_the_due_times_out_again(project, pilot_user, it_member):
    ticket = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, severity="low")

    with frozen(HANOI_MONDAY_9AM + 3 * H):
        changed = hypercare.ticket_update(
            actor=it_member, ticket=ticket, severity="critical", comment="Whole store blocked."
        )

    assert changed.response_due_at == local(project, 2026, 11, 16, 10)
    assert changed.resolution_due_at == local(project, 2026, 11, 16, 13)
    event = changed.events.last()
    assert event.changes == {"severity": ["low", "critical"]}
    assert event.comment == "Whole store blocked."
    assert event.actor == it_member


def test_a_severity_change_after_a_reopen_keeps_the_reopen_as_resolution_start(
    project, pilot_user, it_member
):
    ticket = a_ticket_in(TicketStatus.RESOLVED, project, pilot_user, it_member, severity="low")
    reopened_at = local(project, 2026, 11, 18, 10)
    moved(ticket, pilot_user, TicketStatus.IN_PROGRESS, at=reopened_at, comment="Not fixed.")

    with frozen(reopened_at + H):
        changed = hypercare.ticket_update(actor=it_member, ticket=ticket, severity="high")

    assert changed.response_due_at == local(project, 2026, 11, 16, 13)  # from raising
    assert changed.resolution_due_at == local(project, 2026, 11, 19, 10)  # from the reopen


def test_an_edit_records_only_what_changed(project, pilot_user, it_member, consultant):
    ticket = a_ticket(project, pilot_user)
    events = ticket.events.count()

    hypercare.ticket_update(actor=it_member, ticket=ticket, module="Sales", title=ticket.title)
    assert ticket.events.count() == events  # nothing changed, nothing said

    changed = hypercare.ticket_update(
        actor=it_member, ticket=ticket, module="Point of sale", assignee=consultant
    )
    assert changed.module == "Point of sale"
    assert ticket.events.last().changes == {
        "module": ["Sales", "Point of sale"],
        "assignee": [None, consultant.pk],
    }


def test_only_the_support_team_edits(project, pilot_user, key_user, viewer, outsider):
    ticket = a_ticket(project, pilot_user)
    for actor in (pilot_user, key_user, viewer, outsider):
        with pytest.raises(PermissionDenied):
            hypercare.ticket_update(actor=actor, ticket=ticket, title="Mine now")
    ticket.refresh_from_db()
    assert ticket.title == "Cannot post the invoice"


def test_an_edit_refuses_bad_values_and_changes_nothing(project, pilot_user, it_member, viewer):
    ticket = a_ticket(project, pilot_user, severity="low")
    due = (ticket.response_due_at, ticket.resolution_due_at)

    with pytest.raises(ValidationError) as error:
        hypercare.ticket_update(actor=it_member, ticket=ticket, severity="urgent", title="")
    assert set(error.value.message_dict) == {"severity", "title"}
    with pytest.raises(ValidationError) as error:
        hypercare.ticket_update(actor=it_member, ticket=ticket, assignee=viewer)
    assert list(error.value.message_dict) == ["assignee"]
    with pytest.raises(TypeError):
        hypercare.ticket_update(actor=it_member, ticket=ticket, status="closed")

    ticket.refresh_from_db()
    assert (ticket.severity, ticket.assignee, ticket.title) == ("low", None, ticket.title)
    assert (ticket.response_due_at, ticket.resolution_due_at) == due
    assert ticket.events.count() == 1


# --- Comments and attachments ----------------------------------------------------------------


def test_members_who_raise_tickets_comment(project, pilot_user, executive, viewer, outsider):
    ticket = a_ticket(project, pilot_user)

    comment = hypercare.ticket_comment_add(actor=executive, ticket=ticket, body="  Urgent.  ")

    assert (comment.body, comment.author) == ("Urgent.", executive)
    with pytest.raises(ValidationError) as error:
        hypercare.ticket_comment_add(actor=pilot_user, ticket=ticket, body=" ")
    assert list(error.value.message_dict) == ["body"]
    for actor in (viewer, outsider):
        with pytest.raises(PermissionDenied):
            hypercare.ticket_comment_add(actor=actor, ticket=ticket, body="Hello")
    assert TicketComment.objects.count() == 1


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.usefixtures("_media")
def test_a_screenshot_is_attached_under_a_generated_name(project, pilot_user):
    ticket = a_ticket(project, pilot_user)

    attachment = hypercare.ticket_attach(
        actor=pilot_user, ticket=ticket, upload=SimpleUploadedFile("màn hình.png", tiny_png())
    )

    assert attachment.content_type == "image/png"
    assert attachment.size == len(tiny_png())
    assert attachment.uploaded_by == pilot_user
    assert attachment.file.name.startswith(f"tickets/{project.pk}/")
    assert "màn" not in attachment.file.name


@pytest.mark.usefixtures("_media")
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", EXE, "Only PNG, JPEG, PDF, Excel (.xlsx) and plain text files"),
        ("invoice.png", EXE, "Only PNG, JPEG, PDF, Excel (.xlsx) and plain text files"),
        ("invoice.pdf", None, "The file's name says .pdf but its content is .png."),
    ],
)
def test_files_of_refused_types_are_not_stored(project, pilot_user, name, data, message):
    ticket = a_ticket(project, pilot_user)

    with pytest.raises(ValidationError) as error:
        hypercare.ticket_attach(
            actor=pilot_user, ticket=ticket, upload=SimpleUploadedFile(name, data or tiny_png())
        )

    assert error.value.message_dict["file"][0].startswith(message)
    assert not TicketAttachment.objects.exists()


@pytest.mark.usefixtures("_media")
def test_attaching_needs_a_file_and_a_role(project, pilot_user, viewer):
    ticket = a_ticket(project, pilot_user)

    with pytest.raises(ValidationError) as error:
        hypercare.ticket_attach(actor=pilot_user, ticket=ticket, upload=None)
    assert list(error.value.message_dict) == ["file"]
    with pytest.raises(PermissionDenied):
        hypercare.ticket_attach(
            actor=viewer, ticket=ticket, upload=SimpleUploadedFile("a.png", tiny_png())
        )
    assert not TicketAttachment.objects.exists()


# --- Defects and configuration changes -------------------------------------------------------


def test_a_ticket_is_converted_into_a_defect_once(project, pilot_user, it_member):
    ticket = a_ticket(project, pilot_user, severity="critical", module="Accounting")

    converted = hypercare.ticket_convert_to_defect(actor=it_member, ticket=ticket)

    defect = Defect.objects.get()
    assert converted.defect == defect
    assert defect.severity == "critical"
    assert defect.title == "TCK-1: Cannot post the invoice"
    assert defect.module == "Accounting"
    assert "Business impact: Invoices of the Hà Đông store wait." in defect.description
    event = converted.events.last()
    assert event.changes == {"defect": [None, defect.number]}
    assert event.comment == f"Logged as defect {defect.display_number}."
    with pytest.raises(ValidationError) as error:
        hypercare.ticket_convert_to_defect(actor=it_member, ticket=ticket)
    assert list(error.value.message_dict) == ["defect"]
    assert Defect.objects.count() == 1


def test_only_the_support_team_converts(project, pilot_user, key_user):
    ticket = a_ticket(project, pilot_user)
    with pytest.raises(PermissionDenied):
        hypercare.ticket_convert_to_defect(actor=key_user, ticket=ticket)
    assert not Defect.objects.exists()


def a_change(project, actor):
    return configuration_change_record(
        actor=actor,
        project=project,
        area="Finance - Tax",
        setting="Tax calculation rounding method",
        old_value="Round per line",
        new_value="Round globally",
        reason="VNPT computes VAT on the invoice total.",
        reference="TCK-1",
        requested_by=actor,
        environment=Environment.PRODUCTION,
        applied_at=HANOI_MONDAY_9AM,
    )


def test_a_ticket_links_a_change_of_its_own_project_only(project, pilot_user, it_member):
    ticket = a_ticket(project, pilot_user)
    other = ProjectFactory()
    other_it = MembershipFactory(project=other, role="it").user

    foreign = a_change(other, other_it)

    with pytest.raises(ValidationError) as error:
        hypercare.ticket_link_change(actor=it_member, ticket=ticket, change=foreign)
    assert list(error.value.message_dict) == ["configuration_change"]
    ticket.refresh_from_db()
    assert ticket.configuration_change is None

    change = a_change(project, it_member)
    linked = hypercare.ticket_link_change(actor=it_member, ticket=ticket, change=change)
    assert linked.configuration_change == change
    assert linked.events.last().changes == {"configuration_change": [None, change.pk]}
    with pytest.raises(PermissionDenied):
        hypercare.ticket_link_change(actor=pilot_user, ticket=ticket, change=change)
