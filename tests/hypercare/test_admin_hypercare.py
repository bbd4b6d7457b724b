"""Hypercare records are read in admin and written in the application (SLA clocks, history)."""

import pytest

from implementation.models import Ticket
from projects.choices import Role
from tests.golive.factories import team_project
from tests.hypercare.factories import a_ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["ticket", "hypercareplan", "slatarget", "feedbackresponse", "modulereview"]
)
def test_hypercare_lists_open_and_nothing_is_added_from_admin(client, superuser, model):
    client.force_login(superuser)
    base = f"/admin/implementation/{model}/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}add/").status_code == 403


def test_a_ticket_and_its_history_cannot_be_changed_in_admin(client, superuser):
    project, people = team_project()
    ticket = a_ticket(project, people[Role.PILOT_USER])
    client.force_login(superuser)
    base = f"/admin/implementation/ticket/{ticket.pk}"

    assert client.get(f"{base}/change/").status_code == 200
    assert client.post(f"{base}/change/", {"title": "x"}).status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).title == "Cannot post the invoice"
