"""Support ticket pages: who reads and writes what, bad input (422, nothing saved), the SLA
state on the list and the ticket, filters, files, fragments and query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from implementation.choices import Environment, TicketStatus
from implementation.models import Ticket, TicketAttachment, TicketComment, TicketEvent
from implementation.services import configuration, hypercare
from implementation.views import tickets as views
from projects.choices import Role
from projects.models import Membership
from projects.policy import POLICY_ATTRIBUTE
from tests.hypercare.factories import HANOI_MONDAY_9AM, a_ticket, moved
from uat.models import Defect

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
S = TicketStatus
HANDLERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
NOT_HANDLERS = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
RAISERS = [r for r in Role if r != Role.VIEWER]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 32


def url(name, project, *args) -> str:
    return reverse(f"hypercare:{name}", args=[project.code, *args])


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ticket(project, pilot_user, members):
    return a_ticket(project, pilot_user, title="Cannot post the invoice")


def raise_post(**changes) -> dict:
    return {
        "title": "Stock count wrong",
        "module": "Inventory",
        "severity": "medium",
        "description": "The count for SKU 12 is 0 but the shelf is full.",
        "business_impact": "Orders for SKU 12 are refused.",
    } | changes


def upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def snapshot(project) -> tuple:
    tickets = Ticket.objects.filter(project=project)
    return (
        list(tickets.order_by("pk").values()),
        list(TicketEvent.objects.filter(ticket__project=project).order_by("pk").values()),
        list(TicketComment.objects.filter(ticket__project=project).order_by("pk").values()),
        TicketAttachment.objects.filter(ticket__project=project).count(),
        Defect.objects.filter(project=project).count(),
    )


# --- Policies -----------------------------------------------------------------------------


def test_ticket_pages_declare_the_capability_they_check():
    assert {p.name: getattr(p.callback, POLICY_ATTRIBUTE) for p in views.urlpatterns} == {
        "tickets": "project:view_project",
        "ticket-new": "project:raise_tickets",
        "ticket": "project:view_project",
        "ticket-transition": "project:view_project",
        "ticket-edit": "project:view_project",
        "ticket-comment": "project:view_project",
        "ticket-attach": "project:view_project",
        "ticket-attachment": "project:view_project",
        "ticket-convert": "project:view_project",
        "ticket-link-change": "project:view_project",
        "board": "project:view_project",
        "board-live": "project:view_project",
    }


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", ["tickets", "ticket"])
def test_every_member_reads_the_list_and_a_ticket(client, project, members, ticket, role, name):
    client.force_login(members[role])
    args = [ticket.number] if name == "ticket" else []

    response = client.get(url(name, project, *args))

    assert response.status_code == 200
    assert "Cannot post the invoice" in response.content.decode()


@pytest.mark.parametrize(
    "name", ["tickets", "ticket-new", "ticket", "ticket-edit", "ticket-attachment"]
)
def test_outsiders_get_404_and_anonymous_users_the_login(client, project, outsider, ticket, name):
    attachment = hypercare.ticket_attach(
        actor=ticket.reporter, ticket=ticket, upload=upload("shot.png", PNG)
    )
    args = {
        "ticket": [ticket.number],
        "ticket-edit": [ticket.number],
        "ticket-attachment": [ticket.number, attachment.pk],
    }.get(name, [])
    target = url(name, project, *args)

    anonymous = client.get(target)
    client.force_login(outsider)
    stranger = client.get(target)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(LOGIN_URL)
    assert stranger.status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "ticket-transition",
        "ticket-edit",
        "ticket-comment",
        "ticket-attach",
        "ticket-convert",
        "ticket-link-change",
    ],
)
def test_outsiders_and_anonymous_users_cannot_post_to_a_ticket(
    client, project, outsider, ticket, name
):
    before = snapshot(project)
    data = {"status": S.ACKNOWLEDGED, "body": "Hi", "change": "1", "title": "Changed"}

    anonymous = client.post(url(name, project, ticket.number), data)
    client.force_login(outsider)
    stranger = client.post(url(name, project, ticket.number), data)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(LOGIN_URL)
    assert stranger.status_code == 404
    assert snapshot(project) == before


@pytest.mark.parametrize("role", list(Role))
def test_every_role_but_viewer_may_open_the_raise_form(client, project, members, role):
    client.force_login(members[role])

    response = client.get(url("ticket-new", project))

    assert response.status_code == (403 if role == Role.VIEWER else 200)


@pytest.mark.parametrize("role", list(Role))
def test_raise_a_ticket_button_only_for_those_who_may(client, project, members, role):
    client.force_login(members[role])

    html = client.get(url("tickets", project)).content.decode()

    assert (url("ticket-new", project) in html) is (role != Role.VIEWER)


# --- Raising ------------------------------------------------------------------------------


def test_the_raise_form_explains_each_severity(client, project, pilot_user):
    client.force_login(pilot_user)

    html = client.get(url("ticket-new", project)).content.decode()

    assert html.count('type="radio" name="severity"') == 4
    for text in (
        "The business stops, no workaround.",
        "A key process is badly hurt, a workaround is painful.",
        "Some users are hindered, a workaround exists.",
        "A cosmetic issue or a question.",
    ):
        assert text in html
    # Suggestions: the usual configuration areas.
    assert '<option value="Inventory">' in html


def test_modules_already_used_are_suggested(client, project, pilot_user):
    a_ticket(project, pilot_user, module="Loyalty cards")
    client.force_login(pilot_user)

    html = client.get(url("ticket-new", project)).content.decode()

    assert '<option value="Loyalty cards">' in html


@pytest.mark.parametrize("role", RAISERS)
def test_members_who_may_raise_a_ticket_raise_one(client, project, members, role):
    client.force_login(members[role])

    response = client.post(url("ticket-new", project), raise_post())

    ticket = Ticket.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == url("ticket", project, ticket.number)
    assert (ticket.title, ticket.module, ticket.severity, ticket.reporter) == (
        "Stock count wrong",
        "Inventory",
        "medium",
        members[role],
    )
    assert ticket.status == S.NEW


def test_a_viewer_cannot_raise_a_ticket(client, project, viewer):
    client.force_login(viewer)

    response = client.post(url("ticket-new", project), raise_post())

    assert response.status_code == 403
    assert not Ticket.objects.filter(project=project).exists()


def test_a_screenshot_is_attached_when_the_ticket_is_raised(client, project, pilot_user):
    client.force_login(pilot_user)

    response = client.post(url("ticket-new", project), raise_post(file=upload("shot.png", PNG)))

    assert response.status_code == 302
    attachment = TicketAttachment.objects.get()
    assert attachment.ticket.project == project
    assert (attachment.original_name, attachment.content_type) == ("shot.png", "image/png")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"severity": "urgent"}, "severity"),
        ({"severity": ""}, "severity"),
        ({"module": ""}, "module"),
        ({"business_impact": ""}, "business_impact"),
        ({"file": None}, "file"),  # replaced by a refused file below
    ],
)
def test_bad_input_on_raise_gives_422_and_saves_nothing(
    client, project, pilot_user, changes, field
):
    if field == "file":
        changes = {"file": upload("setup.exe", EXE)}
    client.force_login(pilot_user)
    before = snapshot(project)

    response = client.post(url("ticket-new", project), raise_post(**changes))

    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert snapshot(project) == before


def test_a_refused_file_leaves_no_ticket_and_keeps_the_numbering(client, project, pilot_user):
    client.force_login(pilot_user)

    refused = client.post(url("ticket-new", project), raise_post(file=upload("a.png", EXE)))
    accepted = client.post(url("ticket-new", project), raise_post())

    assert refused.status_code == 422
    assert "Only PNG, JPEG, PDF" in refused.content.decode()
    assert accepted.status_code == 302
    assert list(Ticket.objects.filter(project=project).values_list("number", flat=True)) == [1]


# --- SLA state ----------------------------------------------------------------------------


def test_a_ticket_raised_in_the_past_shows_breached(client, project, pm, pilot_user):
    old = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, title="Old one")
    fresh = a_ticket(project, pilot_user, title="Fresh one", severity="low")
    client.force_login(pm)

    html = client.get(url("tickets", project)).content.decode()
    detail = client.get(url("ticket", project, old.number)).content.decode()

    old_row = re.search(rf'<tr id="ticket-{old.number}".*?</tr>', html, re.S).group(0)
    fresh_row = re.search(rf'<tr id="ticket-{fresh.number}".*?</tr>', html, re.S).group(0)
    assert 'data-sla="breached"' in old_row
    assert "is-overdue" in old_row
    assert 'data-sla="due"' in fresh_row
    assert "Due in" in fresh_row
    assert re.search(r'id="clock-response"[^>]*data-state="breached"', detail)
    assert re.search(r'id="clock-resolution"[^>]*data-state="breached"', detail)
    # Due times in the project's zone: 4 working hours after 09:00 on that Monday.
    assert "Due Mon 2026-11-16 13:00" in detail


def test_counts_of_open_and_breached_tickets(client, project, pm, pilot_user):
    a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM)
    a_ticket(project, pilot_user)
    done = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM)
    moved(done, pm, S.RESOLVED)
    client.force_login(pm)

    html = client.get(url("tickets", project)).content.decode()

    assert '<span class="stat__value" data-count="open">2</span>' in html
    assert '<span class="stat__value" data-count="breached">1</span>' in html


def test_a_met_clock_shows_met(client, project, pm, pilot_user):
    ticket = a_ticket(project, pilot_user, severity="low")
    moved(ticket, pm, S.ACKNOWLEDGED)
    client.force_login(pm)

    detail = client.get(url("ticket", project, ticket.number)).content.decode()

    assert re.search(r'id="clock-response"[^>]*data-state="met"', detail)
    assert re.search(r'id="clock-resolution"[^>]*data-state="running"', detail)
    assert "of working time left" in detail


# --- Filters ------------------------------------------------------------------------------


@pytest.fixture
def mixed(project, pm, it_member, pilot_user):
    """1: high, breached, assigned to IT; 2: low, fresh; 3: critical, resolved."""
    one = a_ticket(project, pilot_user, at=HANOI_MONDAY_9AM, assignee=it_member, module="Sales")
    two = a_ticket(project, pilot_user, severity="low", module="Inventory")
    three = a_ticket(project, pilot_user, severity="critical", module="Sales")
    moved(three, pm, S.RESOLVED)
    return one, two, three


def numbers_shown(response) -> list[int]:
    return [row.number for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [3, 2, 1]),
        ({"status": "open"}, [2, 1]),
        ({"status": "resolved"}, [3]),
        ({"severity": "low"}, [2]),
        ({"module": "sal"}, [3, 1]),
        ({"assignee": "me"}, [1]),
        ({"breached": "yes"}, [1]),
        ({"breached": "no"}, [3, 2]),
        ({"status": "nonsense"}, [3, 2, 1]),
    ],
)
def test_filters(client, project, it_member, mixed, query, expected):
    client.force_login(it_member)

    response = client.get(url("tickets", project), query)

    assert response.status_code == 200
    assert numbers_shown(response) == expected


def test_the_list_pages_by_fifty(client, project, pm, pilot_user):
    for _ in range(51):
        a_ticket(project, pilot_user)
    client.force_login(pm)

    first = client.get(url("tickets", project))
    second = client.get(url("tickets", project), {"page": 2})

    assert len(first.context["rows"]) == 50
    assert numbers_shown(second) == [1]


def test_the_filtered_list_answers_htmx_with_the_results_fragment(client, project, pm, mixed):
    client.force_login(pm)

    response = client.get(url("tickets", project), {"severity": "low"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="results"')
    assert 'id="ticket-2"' in html
    assert 'id="ticket-1"' not in html
    assert "HX-Request" in response["Vary"]


# --- Moves --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", HANDLERS)
def test_the_support_team_acknowledges(client, project, members, ticket, role):
    client.force_login(members[role])

    response = client.post(
        url("ticket-transition", project, ticket.number), {"status": "acknowledged"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == S.ACKNOWLEDGED
    assert ticket.acknowledged_at is not None


@pytest.mark.parametrize("role", NOT_HANDLERS)
def test_others_cannot_acknowledge_even_their_own_ticket(client, project, members, role):
    ticket = (
        a_ticket(project, members[Role.PILOT_USER])
        if role == Role.VIEWER
        else a_ticket(project, members[role])
    )
    before = snapshot(project)
    client.force_login(members[role])

    response = client.post(
        url("ticket-transition", project, ticket.number), {"status": "acknowledged"}
    )

    assert response.status_code == 403
    assert snapshot(project) == before


def test_the_page_offers_only_the_moves_the_user_may_make(client, project, pm, pilot_user, ticket):
    client.force_login(pilot_user)
    as_reporter_new = client.get(url("ticket", project, ticket.number)).content.decode()
    client.force_login(pm)
    as_pm = client.get(url("ticket", project, ticket.number)).content.decode()
    moved(ticket, pm, S.RESOLVED)
    client.force_login(pilot_user)
    as_reporter_resolved = client.get(url("ticket", project, ticket.number)).content.decode()

    assert "data-move=" not in as_reporter_new
    assert set(re.findall(r'data-move="(\w+)"', as_pm)) == {
        "acknowledged",
        "in_progress",
        "resolved",
    }
    assert set(re.findall(r'data-move="(\w+)"', as_reporter_resolved)) == {"closed", "in_progress"}
    assert "Reopen" in as_reporter_resolved


def test_the_reporter_closes_their_resolved_ticket(client, project, pm, pilot_user, ticket):
    moved(ticket, pm, S.RESOLVED)
    client.force_login(pilot_user)

    response = client.post(url("ticket-transition", project, ticket.number), {"status": "closed"})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == S.CLOSED


def test_someone_else_cannot_close_a_resolved_ticket(client, project, pm, key_user, ticket):
    moved(ticket, pm, S.RESOLVED)
    before = snapshot(project)
    client.force_login(key_user)

    response = client.post(url("ticket-transition", project, ticket.number), {"status": "closed"})

    assert response.status_code == 403
    assert snapshot(project) == before


def test_reopening_without_a_comment_gives_422_and_changes_nothing(
    client, project, pm, pilot_user, ticket
):
    moved(ticket, pm, S.RESOLVED)
    before = snapshot(project)
    client.force_login(pilot_user)

    response = client.post(
        url("ticket-transition", project, ticket.number), {"status": "in_progress", "comment": " "}
    )

    assert response.status_code == 422
    assert "Say why the ticket is reopened." in response.content.decode()
    assert snapshot(project) == before


def test_the_reporter_reopens_with_a_comment(client, project, pm, pilot_user, ticket):
    moved(ticket, pm, S.RESOLVED)
    client.force_login(pilot_user)

    response = client.post(
        url("ticket-transition", project, ticket.number),
        {"status": "in_progress", "comment": "Still fails for credit notes."},
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.reopen_count) == (S.IN_PROGRESS, 1)
    assert ticket.events.last().comment == "Still fails for credit notes."


@pytest.mark.parametrize("status", ["closed", "bogus", ""])
def test_a_move_the_workflow_does_not_allow_gives_422(client, project, pm, ticket, status):
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(url("ticket-transition", project, ticket.number), {"status": status})

    assert response.status_code == 422
    assert snapshot(project) == before


# --- Edit and assign ----------------------------------------------------------------------


def edit_post(ticket, **changes) -> dict:
    return {
        "title": ticket.title,
        "module": ticket.module,
        "severity": ticket.severity,
        "description": ticket.description,
        "business_impact": ticket.business_impact,
        "assignee": ticket.assignee_id or "",
        "comment": "",
    } | changes


@pytest.mark.parametrize("role", list(Role))
def test_only_the_support_team_edits(client, project, members, ticket, role):
    client.force_login(members[role])
    before = snapshot(project)

    page = client.get(url("ticket-edit", project, ticket.number))
    response = client.post(
        url("ticket-edit", project, ticket.number), edit_post(ticket, severity="critical")
    )

    ticket.refresh_from_db()
    if role in HANDLERS:
        assert page.status_code == 200
        assert response.status_code == 302
        assert ticket.severity == "critical"
    else:
        assert (page.status_code, response.status_code) == (403, 403)
        assert snapshot(project) == before


def test_a_hypercare_team_member_handles_tickets(client, project, key_user, it_member, ticket):
    Membership.objects.filter(project=project, user=key_user).update(on_hypercare_team=True)
    client.force_login(key_user)

    response = client.post(
        url("ticket-edit", project, ticket.number),
        {"form": "assign", "assignee": key_user.pk},
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.assignee == key_user


def test_assign_from_the_ticket_page(client, project, pm, it_member, ticket):
    client.force_login(pm)
    page = client.get(url("ticket", project, ticket.number)).content.decode()

    response = client.post(
        url("ticket-edit", project, ticket.number), {"form": "assign", "assignee": it_member.pk}
    )

    ticket.refresh_from_db()
    assert f'<option value="{it_member.pk}">' in page
    assert response.status_code == 302
    assert ticket.assignee == it_member
    assert ticket.events.last().changes == {"assignee": [None, it_member.pk]}
    history = client.get(url("ticket", project, ticket.number)).content.decode()
    assert f"Assignee: — → {it_member.display_name}" in history


@pytest.mark.parametrize("how", ["assign", "edit"])
def test_an_assignee_outside_the_support_team_gives_422(
    client, project, pm, pilot_user, outsider, ticket, how
):
    client.force_login(pm)
    before = snapshot(project)
    page = client.get(url("ticket", project, ticket.number)).content.decode()

    for person in (pilot_user, outsider):
        data = (
            {"form": "assign", "assignee": person.pk}
            if how == "assign"
            else edit_post(ticket, assignee=person.pk)
        )
        response = client.post(url("ticket-edit", project, ticket.number), data)
        assert response.status_code == 422
        assert "Select a valid choice" in response.content.decode()
    assert f'<option value="{pilot_user.pk}">' not in page
    assert snapshot(project) == before


@pytest.mark.parametrize("changes", [{"title": ""}, {"severity": "urgent"}, {"module": "   "}])
def test_bad_edits_give_422_and_save_nothing(client, project, pm, ticket, changes):
    client.force_login(pm)
    before = snapshot(project)

    response = client.post(url("ticket-edit", project, ticket.number), edit_post(ticket, **changes))

    assert response.status_code == 422
    assert snapshot(project) == before


# --- Comments and files -------------------------------------------------------------------


def test_a_comment_is_added(client, project, pilot_user, ticket):
    client.force_login(pilot_user)

    response = client.post(url("ticket-comment", project, ticket.number), {"body": "Any news?"})

    assert response.status_code == 302
    assert list(ticket.comments.values_list("body", flat=True)) == ["Any news?"]


def test_a_comment_by_htmx_answers_the_comments_fragment(client, project, pilot_user, ticket):
    client.force_login(pilot_user)

    response = client.post(
        url("ticket-comment", project, ticket.number), {"body": "Any news?"}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="card" id="comments">')
    assert "Any news?" in html
    assert response["HX-Trigger"] == "ticketsChanged"


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_an_empty_comment_gives_422(client, project, pilot_user, ticket, headers):
    client.force_login(pilot_user)
    before = snapshot(project)

    response = client.post(
        url("ticket-comment", project, ticket.number), {"body": "  "}, headers=headers
    )

    assert response.status_code == 422
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ["ticket-comment", "ticket-attach"])
def test_a_viewer_cannot_comment_or_attach(client, project, viewer, ticket, name):
    client.force_login(viewer)
    before = snapshot(project)

    response = client.post(
        url(name, project, ticket.number), {"body": "Hi", "file": upload("a.png", PNG)}
    )

    assert response.status_code == 403
    assert snapshot(project) == before


def test_a_file_is_attached_and_downloaded_by_members_only(
    client, project, pilot_user, executive, outsider, ticket
):
    client.force_login(pilot_user)
    response = client.post(
        url("ticket-attach", project, ticket.number), {"file": upload("shot.png", PNG)}
    )
    attachment = TicketAttachment.objects.get(ticket=ticket)
    target = url("ticket-attachment", project, ticket.number, attachment.pk)

    client.force_login(executive)
    download = client.get(target)
    client.force_login(outsider)
    stranger = client.get(target)

    assert response.status_code == 302
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    assert stranger.status_code == 404


def test_a_file_of_another_ticket_is_not_found_under_this_one(client, project, pilot_user, ticket):
    other = a_ticket(project, pilot_user)
    attachment = hypercare.ticket_attach(
        actor=pilot_user, ticket=other, upload=upload("shot.png", PNG)
    )
    client.force_login(pilot_user)

    response = client.get(url("ticket-attachment", project, ticket.number, attachment.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_refused_file_type_gives_422(client, project, pilot_user, ticket, headers):
    client.force_login(pilot_user)
    before = snapshot(project)

    response = client.post(
        url("ticket-attach", project, ticket.number),
        {"file": upload("setup.exe", EXE)},
        headers=headers,
    )

    assert response.status_code == 422
    assert "Only PNG, JPEG, PDF" in response.content.decode()
    assert snapshot(project) == before


def test_a_file_by_htmx_answers_the_attachments_fragment(client, project, pilot_user, ticket):
    client.force_login(pilot_user)

    response = client.post(
        url("ticket-attach", project, ticket.number),
        {"file": upload("shot.png", PNG)},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="attachments">')
    assert "shot.png" in html


# --- Defect and configuration change ------------------------------------------------------


def test_the_support_team_converts_a_ticket_into_a_defect(client, project, pm, ticket):
    client.force_login(pm)

    response = client.post(url("ticket-convert", project, ticket.number))

    ticket.refresh_from_db()
    defect = Defect.objects.get(project=project)
    assert response.status_code == 302
    assert ticket.defect == defect
    page = client.get(url("ticket", project, ticket.number)).content.decode()
    assert reverse("uat:defect-detail", args=[project.code, defect.number]) in page
    assert url("ticket-convert", project, ticket.number) not in page


def test_converting_twice_gives_422(client, project, pm, ticket):
    client.force_login(pm)
    client.post(url("ticket-convert", project, ticket.number))
    before = snapshot(project)

    response = client.post(url("ticket-convert", project, ticket.number))

    assert response.status_code == 422
    assert "already logged as a defect" in response.content.decode()
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ["ticket-convert", "ticket-link-change"])
@pytest.mark.parametrize("role", NOT_HANDLERS)
def test_others_cannot_convert_or_link(client, project, members, ticket, role, name):
    client.force_login(members[role])
    before = snapshot(project)

    response = client.post(url(name, project, ticket.number), {"change": "CFG-1"})

    assert response.status_code == 403
    assert snapshot(project) == before


@pytest.fixture
def change(project, pm):
    return configuration.configuration_change_record(
        actor=pm,
        project=project,
        area="Finance - Tax",
        setting="VAT rounding",
        new_value="Per line",
        reason="Invoices were off by 1 VND.",
        requested_by=pm,
        environment=Environment.values[0],
        applied_at=timezone.now() - datetime.timedelta(hours=1),
    )


@pytest.mark.parametrize("typed", ["CFG-{n}", "cfg-{n}", "{n}"])
def test_link_a_configuration_change_by_its_number(client, project, pm, ticket, change, typed):
    client.force_login(pm)

    response = client.post(
        url("ticket-link-change", project, ticket.number), {"change": typed.format(n=change.number)}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.configuration_change == change
    page = client.get(url("ticket", project, ticket.number)).content.decode()
    assert reverse("implementation:config-detail", args=[project.code, change.number]) in page
    assert f"CFG-{change.number}" in page


@pytest.mark.parametrize("typed", ["CFG-99", "abc", "", "CFG-0"])
def test_an_unknown_change_gives_422(client, project, pm, ticket, change, typed):
    client.force_login(pm)
    before = snapshot(project)

    response = client.post(url("ticket-link-change", project, ticket.number), {"change": typed})

    assert response.status_code == 422
    assert snapshot(project) == before


def test_a_change_of_another_project_cannot_be_linked(client, project, pm, ticket):
    from tests.factories import MembershipFactory, ProjectFactory

    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    foreign = configuration.configuration_change_record(
        actor=pm,
        project=other,
        area="Sales",
        setting="Discount cap",
        new_value="10%",
        reason="Policy.",
        requested_by=pm,
        environment=Environment.values[0],
        applied_at=timezone.now() - datetime.timedelta(hours=1),
    )
    client.force_login(pm)

    response = client.post(
        url("ticket-link-change", project, ticket.number), {"change": f"CFG-{foreign.number}"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 422
    assert ticket.configuration_change is None


# --- Query counts -------------------------------------------------------------------------


def test_list_queries_do_not_grow_with_tickets(client, project, pm, it_member, pilot_user):
    client.force_login(pm)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url("tickets", project))
        assert response.status_code == 200
        return len(captured)

    for _ in range(2):
        a_ticket(project, pilot_user, assignee=it_member)
    few = queries()
    for i in range(18):
        a_ticket(project, pilot_user, module=f"Module {i}", at=HANOI_MONDAY_9AM)
    many = queries()

    assert few == many
    assert Ticket.objects.filter(project=project).count() == 20


@pytest.mark.parametrize("role", [Role.PROJECT_MANAGER, Role.PILOT_USER])
def test_detail_queries_do_not_grow_with_comments_and_events(
    client, project, members, it_member, pilot_user, role
):
    pm = members[Role.PROJECT_MANAGER]
    ticket = a_ticket(project, pilot_user)
    client.force_login(members[role])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url("ticket", project, ticket.number))
        assert response.status_code == 200
        return len(captured)

    def add(count):
        for i in range(count):
            author = pilot_user if i % 2 else pm
            hypercare.ticket_comment_add(actor=author, ticket=ticket, body=f"Note {i}")
            hypercare.ticket_update(
                actor=pm, ticket=ticket, assignee=it_member if i % 2 else pm, comment=f"{i}"
            )
            hypercare.ticket_attach(actor=author, ticket=ticket, upload=upload(f"{i}.png", PNG))

    add(2)
    few = queries()
    add(18)
    many = queries()

    assert few == many
    assert ticket.comments.count() == 20
    assert ticket.events.count() == 21
