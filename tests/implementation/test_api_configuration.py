"""REST API of the configuration log: visibility, recording, the policy for every role,
validation, the append-only guarantee, query counts and the schema."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from implementation.choices import Environment, PhaseKind
from implementation.models import ConfigurationChange
from projects.choices import Role
from tests.factories import MembershipFactory, PhaseFactory, ProjectFactory, UserFactory

URL = "/api/v1/configuration-changes/"
WRITERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
READERS_ONLY = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]


def detail_url(change) -> str:
    return f"{URL}{change.pk}/"


def log_rows() -> list[dict]:
    return list(ConfigurationChange.objects.order_by("pk").values())


def payload(requester, /, **changes) -> dict:
    data = {
        "project": "HNR-ERP",
        "area": "Finance - Tax",
        "setting": "Tax calculation rounding method",
        "old_value": "Round per line",
        "new_value": "Round globally",
        "reason": "VNPT computes VAT on the invoice total.",
        "reference": "TCK-112",
        "requested_by": requester.username,
        "environment": Environment.TEST,
        "applied_at": "2026-03-02T14:30:00+07:00",
    }
    data.update(changes)
    return data


# --- Authentication and visibility --------------------------------------------------------


def test_anonymous_gets_401(api_client, db):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401


def test_list_shows_only_entries_of_the_callers_projects(
    api_as, project, pm, record_change, outsider
):
    record_change(pm)
    own_project = outsider.memberships.get().project
    hidden = ProjectFactory(code="HID-ERP")
    MembershipFactory(project=hidden, user=UserFactory(), role=Role.PROJECT_MANAGER)

    response = api_as(pm).get(URL)

    assert response.status_code == 200
    assert [row["project"] for row in response.json()["results"]] == ["HNR-ERP"]
    assert api_as(outsider).get(URL).json()["count"] == 0
    assert own_project.code != "HNR-ERP"


def test_entry_has_the_documented_fields(api_as, project, pm, key_user, record_change):
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    first = record_change(pm)
    change = record_change(
        pm, requested_by=key_user, approved_by=pm, phase=design, supersedes=first
    )

    response = api_as(key_user).get(detail_url(change))

    assert response.status_code == 200
    assert response.json() == {
        "pk": change.pk,
        "project": "HNR-ERP",
        "number": 2,
        "display_number": "CFG-2",
        "area": "Finance - Tax",
        "setting": "Tax calculation rounding method",
        "old_value": "Round per line",
        "new_value": "Round globally",
        "reason": "VNPT computes VAT on the invoice total.",
        "reference": "TCK-112",
        "requested_by": key_user.username,
        "approved_by": pm.username,
        "environment": "test",
        "applied_at": "2026-03-02T14:30:00+07:00",
        "phase": "design",
        "defect": None,
        "supersedes": 1,
        "superseded_by": None,
        "recorded_by": pm.username,
        "recorded_at": response.json()["recorded_at"],
    }
    assert api_as(key_user).get(detail_url(first)).json()["superseded_by"] == 2


def test_outsider_gets_404_on_an_entry(api_as, pm, outsider, record_change):
    change = record_change(pm)

    assert api_as(outsider).get(detail_url(change)).status_code == 404


def test_unknown_entry_is_404(api_as, pm):
    assert api_as(pm).get(f"{URL}987654/").status_code == 404


# --- Filters ------------------------------------------------------------------------------


@pytest.fixture
def two_logs(project, pm, record_change):
    other = ProjectFactory(code="OTH-CRM")
    MembershipFactory(project=other, user=pm, role=Role.CONSULTANT)
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    record_change(
        pm, area="Inventory", setting="Warehouse WH-LB", environment=Environment.DEVELOPMENT
    )
    record_change(pm, area="Finance - Tax", phase=design, environment=Environment.PRODUCTION)
    record_change(pm, project=other, area="CRM - Leads", setting="Lead scoring")
    return other


def rows(response) -> list[tuple[str, int]]:
    assert response.status_code == 200
    return [(row["project"], row["number"]) for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [("HNR-ERP", 2), ("HNR-ERP", 1), ("OTH-CRM", 1)]),
        ({"project": "HNR-ERP"}, [("HNR-ERP", 2), ("HNR-ERP", 1)]),
        ({"project": "oth-crm"}, [("OTH-CRM", 1)]),
        ({"project": "HNR-ERP", "area": "invent"}, [("HNR-ERP", 1)]),
        ({"environment": "production"}, [("HNR-ERP", 2)]),
        ({"phase": "design"}, [("HNR-ERP", 2)]),
        ({"q": "lead scoring"}, [("OTH-CRM", 1)]),
        ({"project": "HNR-ERP", "applied_from": "2026-03-02"}, [("HNR-ERP", 2), ("HNR-ERP", 1)]),
        ({"project": "HNR-ERP", "applied_to": "2026-03-01"}, []),
        ({"project": "HNR-ERP", "ordering": "number"}, [("HNR-ERP", 1), ("HNR-ERP", 2)]),
    ],
)
def test_list_filters_match_the_page_filters(api_as, pm, two_logs, params, expected):
    assert rows(api_as(pm).get(URL, params)) == expected


def test_invalid_filter_value_is_400_with_the_field(api_as, pm, two_logs):
    response = api_as(pm).get(URL, {"environment": "moon"})

    assert response.status_code == 400
    assert list(response.json()) == ["environment"]


# --- Recording ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_writers_record_an_entry(api_as, project, members, role):
    writer = members[role]
    PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)

    response = api_as(writer).post(
        URL,
        payload(
            members[Role.KEY_USER],
            approved_by=members[Role.PROJECT_MANAGER].username,
            phase="design",
        ),
        format="json",
    )

    assert response.status_code == 201
    change = ConfigurationChange.objects.get()
    assert response.json()["pk"] == change.pk
    assert response.json()["display_number"] == "CFG-1"
    assert change.recorded_by == writer
    assert change.requested_by == members[Role.KEY_USER]
    assert change.approved_by == members[Role.PROJECT_MANAGER]
    assert change.phase.kind == PhaseKind.DESIGN


def test_project_code_is_accepted_in_any_case(api_as, pm):
    response = api_as(pm).post(URL, payload(pm, project="hnr-erp"), format="json")

    assert response.status_code == 201
    assert response.json()["project"] == "HNR-ERP"


def test_correction_is_recorded_by_the_number_of_the_entry_it_corrects(api_as, pm, record_change):
    record_change(pm)

    response = api_as(pm).post(URL, payload(pm, supersedes=1), format="json")

    assert response.status_code == 201
    assert response.json()["supersedes"] == 1
    assert ConfigurationChange.objects.get(number=1).superseded_by.number == 2


def test_second_correction_of_an_entry_is_400_naming_the_newest(api_as, pm, record_change):
    first = record_change(pm)
    record_change(pm, supersedes=first)
    before = log_rows()

    response = api_as(pm).post(URL, payload(pm, supersedes=1), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "supersedes": [
            "CFG-1 has already been corrected by CFG-2. "
            "Record a correction of the newest entry, CFG-2, instead."
        ]
    }
    assert log_rows() == before


# --- Policy -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_the_capability_get_403_and_nothing_is_saved(api_as, members, role):
    response = api_as(members[role]).post(URL, payload(members[role]), format="json")

    assert response.status_code == 403
    assert log_rows() == []


@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_the_capability_read_the_log(api_as, members, record_change, role):
    change = record_change(members[Role.PROJECT_MANAGER])

    assert rows(api_as(members[role]).get(URL)) == [("HNR-ERP", 1)]
    assert api_as(members[role]).get(detail_url(change)).status_code == 200


def test_member_without_the_capability_gets_403_even_for_bad_input(api_as, viewer):
    response = api_as(viewer).post(
        URL, {"project": "HNR-ERP", "requested_by": "nobody-at-all"}, format="json"
    )

    assert response.status_code == 403
    assert log_rows() == []


@pytest.mark.parametrize("code", ["HNR-ERP", "NO-SUCH"])
def test_recording_on_a_hidden_or_missing_project_is_the_same_400(api_as, pm, outsider, code):
    response = api_as(outsider).post(URL, payload(pm, project=code), format="json")

    assert response.status_code == 400
    assert response.json() == {"project": ["No such project."]}
    assert log_rows() == []


@pytest.mark.parametrize("value", [None, "", 12])
def test_missing_project_is_400_on_project(api_as, pm, value):
    response = api_as(pm).post(URL, payload(pm, project=value), format="json")

    assert response.status_code == 400
    assert response.json() == {"project": ["This field is required."]}
    assert log_rows() == []


# --- Bad input ----------------------------------------------------------------------------


def test_missing_values_are_400_with_field_keys(api_as, pm):
    response = api_as(pm).post(URL, {"project": "HNR-ERP"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {
        "area",
        "setting",
        "new_value",
        "reason",
        "requested_by",
        "environment",
        "applied_at",
    }
    assert log_rows() == []


@pytest.mark.parametrize("field", ["requested_by", "approved_by"])
def test_person_outside_the_team_is_400_on_the_field(api_as, pm, outsider, field):
    response = api_as(pm).post(URL, payload(pm, **{field: outsider.username}), format="json")

    assert response.status_code == 400
    assert response.json() == {
        field: [f"No member of this project has the username {outsider.username}."]
    }
    assert log_rows() == []


def test_unknown_username_gets_the_same_answer_as_a_non_member(api_as, pm):
    response = api_as(pm).post(URL, payload(pm, requested_by="nobody-at-all"), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "requested_by": ["No member of this project has the username nobody-at-all."]
    }


def test_phase_the_project_does_not_have_is_400_on_phase(api_as, project, pm):
    PhaseFactory(kind=PhaseKind.DESIGN)  # another project's design phase

    response = api_as(pm).post(URL, payload(pm, phase="design"), format="json")

    assert response.status_code == 400
    assert response.json() == {"phase": ["This project has no phase design."]}
    assert log_rows() == []


def test_unknown_entry_to_correct_is_400_on_supersedes(api_as, pm, change_factory):
    change_factory(project=ProjectFactory(), number=1)  # number 1 of another project
    before = log_rows()

    response = api_as(pm).post(URL, payload(pm, supersedes=1), format="json")

    assert response.status_code == 400
    assert response.json() == {"supersedes": ["This project's log has no entry number 1."]}
    assert log_rows() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"environment": "moon"}, "environment"),
        ({"applied_at": "yesterday"}, "applied_at"),
        ({"area": "A" * 121}, "area"),
        ({"supersedes": "abc"}, "supersedes"),
        ({"requested_by": ["pm"]}, "requested_by"),
    ],
)
def test_malformed_values_are_400_on_their_field(api_as, pm, changes, field):
    response = api_as(pm).post(URL, payload(pm, **changes), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert log_rows() == []


def test_naive_time_is_read_in_the_current_time_zone(api_as, pm):
    response = api_as(pm).post(URL, payload(pm, applied_at="2026-03-02T14:30"), format="json")

    assert response.status_code == 201
    assert response.json()["applied_at"] == "2026-03-02T14:30:00+07:00"


# --- Append-only --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("role", [Role.PROJECT_MANAGER, Role.VIEWER])
def test_entries_cannot_be_changed_or_deleted(api_as, members, record_change, method, role):
    change = record_change(members[Role.PROJECT_MANAGER])
    before = log_rows()
    client = api_as(members[role])

    response = getattr(client, method)(
        detail_url(change), payload(members[role], new_value="Rewritten"), format="json"
    )

    assert response.status_code == 405
    assert log_rows() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_list_cannot_be_replaced_or_deleted(api_as, pm, record_change, method):
    record_change(pm)
    before = log_rows()

    response = getattr(api_as(pm), method)(URL, {}, format="json")

    assert response.status_code == 405
    assert log_rows() == before


# --- Query counts and schema --------------------------------------------------------------


def test_list_queries_do_not_grow_with_rows(api_as, project, pm, key_user, record_change):
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    client = api_as(pm)

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"project": "HNR-ERP"})
        assert response.status_code == 200
        return len(queries)

    first = record_change(pm, requested_by=key_user, approved_by=pm, phase=design)
    record_change(pm, supersedes=first)
    few = queries_for_the_list()
    for _ in range(18):
        record_change(pm, requested_by=key_user, approved_by=pm, phase=design)
    many = queries_for_the_list()

    assert ConfigurationChange.objects.count() == 20
    assert few == many


def test_schema_lists_read_and_record_but_no_update_or_delete(api_client, db):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert set(paths["/api/v1/configuration-changes/"]) == {"get", "post"}
    assert set(paths["/api/v1/configuration-changes/{id}/"]) == {"get"}
