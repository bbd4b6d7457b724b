"""The tickets API builds its SLA serializer once per list, not once per row: serializers
built per row left thousands of reference cycles per page, and the garbage collector's full
passes over them were the endpoint's slow outliers."""

from unittest import mock

import pytest

from implementation.api import hypercare_tickets
from tests.hypercare.factories import a_ticket

pytestmark = pytest.mark.django_db


def _built(api, path) -> tuple[int, dict]:
    original = hypercare_tickets.SlaSerializer.__init__
    calls = []

    def counting(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    with mock.patch.object(hypercare_tickets.SlaSerializer, "__init__", counting):
        body = api.get(path).json()
    return len(calls), body


def test_a_list_builds_one_sla_serializer_whatever_its_length(api_as, project, pm, key_user):
    a_ticket(project, key_user)
    api = api_as(pm)
    few, _body = _built(api, f"/api/v1/tickets/?project={project.code}")
    for _n in range(4):
        a_ticket(project, key_user)

    many, body = _built(api, f"/api/v1/tickets/?project={project.code}")

    assert few == many == 1
    assert len(body["results"]) == 5
    for row in body["results"]:
        assert set(row["sla"]) == {"response", "resolution"}
        assert set(row["sla"]["response"]) == {
            "due_at",
            "met_at",
            "breached",
            "working_minutes_left",
        }


def test_each_row_keeps_its_own_clocks(api_as, project, pm, key_user):
    critical = a_ticket(project, key_user, severity="critical")
    low = a_ticket(project, key_user, severity="low")

    rows = {
        r["number"]: r
        for r in api_as(pm).get(f"/api/v1/tickets/?project={project.code}").json()["results"]
    }

    assert (
        rows[critical.number]["sla"]["resolution"]["due_at"]
        != rows[low.number]["sla"]["resolution"]["due_at"]
    )
