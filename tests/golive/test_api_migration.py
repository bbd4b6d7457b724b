"""Data migration API: data objects with their loads summary, loads with the gaps behind
their reconciliation, the data owner's sign-off, bad input 400 and nothing saved, the policy
for every role, outsiders 404, anonymous 401, and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.models import MigrationLoad, MigrationObject
from implementation.services import migration
from projects.choices import Role
from tests.factories import MembershipFactory, ProjectFactory
from tests.golive.factories import a_load, an_object

OBJECTS = "/api/v1/migration-objects/"
LOADS = "/api/v1/migration-loads/"
MIGRATORS = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT}


def url(obj, action: str = "") -> str:
    base = OBJECTS if isinstance(obj, MigrationObject) else LOADS
    return f"{base}{obj.pk}/" + (f"{action}/" if action else "")


def row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def an_hour_ago() -> str:
    return (timezone.now() - datetime.timedelta(hours=1)).isoformat()


def object_body(project, owner_user, **overrides) -> dict:
    return {
        "project": project.code,
        "name": "Open balances",
        "source_system": "Legacy ERP",
        "owner": owner_user.username,
        "control_total_label": "Sum of open balances",
        "tolerance_percent": "1.5",
    } | overrides


def load_body(obj, **overrides) -> dict:
    return {
        "object": obj.pk,
        "kind": "mock",
        "loaded_at": an_hour_ago(),
        "source_count": 200,
        "loaded_count": 196,
        "rejected_count": 3,
    } | overrides


# --- Data objects -----------------------------------------------------------------------------


def test_an_object_carries_its_loads_summary(api_as, project, pm, key_user, executive):
    obj = an_object(project, key_user, pm)
    a_load(obj, pm)
    last = a_load(obj, pm, kind="final", loaded_count=99, rejected_count=1)

    response = api_as(executive).get(url(obj))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "pk": obj.pk,
        "project": project.code,
        "name": "Customers",
        "source_system": "Legacy ERP",
        "owner": key_user.username,
        "mapping_notes": "",
        "cleansing_status": "not_started",
        "control_total_label": "",
        "tolerance_percent": "0.00",
        "loads": 2,
        "last_load": {
            "pk": last.pk,
            "sequence": 2,
            "label": "Final load (load 2)",
            "kind": "final",
            "loaded_at": body["last_load"]["loaded_at"],
            "reconciliation": "failed",
            "signed_off": False,
        },
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_an_object_without_loads_has_no_last_load(api_as, project, pm):
    obj = an_object(project, pm, pm)

    body = api_as(pm).get(url(obj)).json()

    assert (body["loads"], body["last_load"]) == (0, None)


def test_the_summary_shows_the_sign_off_of_the_last_load(api_as, project, pm, key_user):
    obj = an_object(project, key_user, pm)
    migration.load_sign_off(actor=key_user, load=a_load(obj, pm))

    last = api_as(pm).get(url(obj)).json()["last_load"]

    assert (last["label"], last["reconciliation"], last["signed_off"]) == (
        "Mock 1",
        "reconciled",
        True,
    )


def test_list_filters_by_project_and_hides_other_projects(api_as, project, pm, outsider):
    an_object(project, pm, pm, name="Customers")
    an_object(project, pm, pm, name="Items", cleansing_status="done")
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    an_object(other, pm, pm, name="Elsewhere")
    client = api_as(pm)

    def names(**query):
        return [item["name"] for item in client.get(OBJECTS, query).json()["results"]]

    assert sorted(names()) == ["Customers", "Elsewhere", "Items"]
    assert names(project=project.code.lower()) == ["Customers", "Items"]
    assert names(cleansing_status="done") == ["Items"]
    assert client.get(OBJECTS, {"cleansing_status": "bogus"}).status_code == 400
    assert api_as(outsider).get(OBJECTS, {"project": project.code}).json()["results"] == []


def test_create_an_object(api_as, project, pm, key_user):
    response = api_as(pm).post(OBJECTS, object_body(project, key_user), format="json")

    assert response.status_code == 201
    obj = MigrationObject.objects.get()
    assert response.json()["pk"] == obj.pk
    assert (obj.name, obj.owner, obj.tolerance_percent, obj.created_by) == (
        "Open balances",
        key_user,
        Decimal("1.5"),
        pm,
    )
    assert (response.json()["loads"], response.json()["last_load"]) == (0, None)


@pytest.mark.parametrize("role", list(Role))
def test_create_an_object_by_role(api_as, project, members, role):
    user = members[role]

    response = api_as(user).post(OBJECTS, object_body(project, user), format="json")

    assert response.status_code == (201 if role in MIGRATORS else 403)
    assert MigrationObject.objects.count() == (1 if role in MIGRATORS else 0)


def test_wrong_role_is_403_before_the_input_is_read(api_as, project, key_user):
    response = api_as(key_user).post(
        OBJECTS, {"project": project.code, "tolerance_percent": "-5"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"owner": "nobody"}, {"owner"}),
        ({"tolerance_percent": "-1"}, {"tolerance_percent"}),
        ({"tolerance_percent": "101"}, {"tolerance_percent"}),
        ({"name": ""}, {"name"}),
        ({"cleansing_status": "bogus", "source_system": ""}, {"cleansing_status", "source_system"}),
        ({"project": "NO-SUCH"}, {"project"}),
        ({"project": None}, {"project"}),
    ],
)
def test_create_an_object_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    body = object_body(project, pm) | changes

    response = api_as(pm).post(OBJECTS, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not MigrationObject.objects.exists()


def test_an_owner_from_another_team_is_400(api_as, project, pm, outsider):
    response = api_as(pm).post(OBJECTS, object_body(project, outsider), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"owner"}
    assert not MigrationObject.objects.exists()


def test_the_same_name_twice_is_400(api_as, project, pm):
    an_object(project, pm, pm, name="Open balances")

    response = api_as(pm).post(OBJECTS, object_body(project, pm), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"name"}
    assert MigrationObject.objects.count() == 1


@pytest.mark.parametrize("body", [[], "text", [{"project": "HNR-ERP"}], {"project": 5}])
def test_odd_bodies_are_400(api_as, project, pm, body):
    assert api_as(pm).post(OBJECTS, body, format="json").status_code == 400
    assert api_as(pm).post(LOADS, body, format="json").status_code == 400
    assert not MigrationObject.objects.exists()


def test_creating_in_a_hidden_project_is_400(api_as, project, pm, outsider):
    response = api_as(outsider).post(OBJECTS, object_body(project, pm), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"project"}


def test_patch_an_object(api_as, project, pm, consultant, key_user):
    obj = an_object(project, pm, pm)

    response = api_as(consultant).patch(
        url(obj),
        {"owner": key_user.username, "cleansing_status": "in_progress", "mapping_notes": "1:1"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["owner"], response.json()["cleansing_status"]) == (
        key_user.username,
        "in_progress",
    )
    obj.refresh_from_db()
    assert (obj.owner, obj.cleansing_status, obj.mapping_notes, obj.name) == (
        key_user,
        "in_progress",
        "1:1",
        "Customers",
    )


@pytest.mark.parametrize("role", list(Role))
def test_patch_an_object_by_role(api_as, project, members, role):
    obj = an_object(project, members[Role.PROJECT_MANAGER], members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).patch(url(obj), {"name": "Vendors"}, format="json")

    assert response.status_code == (200 if role in MIGRATORS else 403)
    obj.refresh_from_db()
    assert obj.name == ("Vendors" if role in MIGRATORS else "Customers")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"owner": "nobody"}, {"owner"}),
        ({"tolerance_percent": "abc"}, {"tolerance_percent"}),
        ({"name": " "}, {"name"}),
    ],
)
def test_patch_an_object_bad_input_changes_nothing(api_as, project, pm, changes, fields):
    obj = an_object(project, pm, pm)
    before = row(obj)

    response = api_as(pm).patch(url(obj), changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(obj) == before


def test_put_and_delete_are_not_allowed(api_as, project, pm):
    obj = an_object(project, pm, pm)
    load = a_load(obj, pm)
    client = api_as(pm)

    assert client.put(url(obj), object_body(project, pm), format="json").status_code == 405
    assert client.delete(url(obj)).status_code == 405
    assert client.put(url(load), load_body(obj), format="json").status_code == 405
    assert client.delete(url(load)).status_code == 405
    assert MigrationLoad.objects.count() == 1


def test_non_numeric_pk_is_404(api_as, pm):
    assert api_as(pm).get(f"{OBJECTS}abc/").status_code == 404
    assert api_as(pm).get(f"{LOADS}abc/").status_code == 404


# --- Loads ------------------------------------------------------------------------------------


def test_a_load_carries_its_gaps(api_as, project, pm, viewer):
    obj = an_object(project, pm, pm, control_total_label="Balances", tolerance_percent=Decimal(3))
    load = a_load(
        obj,
        pm,
        source_count=200,
        loaded_count=196,
        rejected_count=3,
        source_total=Decimal("1000"),
        target_total=Decimal("990"),
    )

    response = api_as(viewer).get(url(load))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "pk": load.pk,
        "project": project.code,
        "object": obj.pk,
        "object_name": "Customers",
        "sequence": 1,
        "label": "Mock 1",
        "kind": "mock",
        "loaded_at": body["loaded_at"],
        "source_count": 200,
        "loaded_count": 196,
        "rejected_count": 3,
        "source_total": "1000.0000",
        "target_total": "990.0000",
        "tolerance_percent": "3.00",
        "reconciliation": "within_tolerance",
        "check": {
            "missing": 4,
            "unaccounted": 1,
            "missing_percent": "2.00",
            "total_difference": "-10.0000",
            "total_difference_percent": "1.00",
            "rejected_percent": "1.50",
        },
        "notes": "",
        "recorded_by": pm.username,
        "recorded_at": body["recorded_at"],
        "signed_off": False,
        "signed_off_by": None,
        "signed_off_at": None,
        "sign_off_comment": "",
    }


def test_a_total_difference_on_a_zero_source_total_is_infinite(api_as, project, pm):
    obj = an_object(project, pm, pm)
    load = a_load(obj, pm, source_total=Decimal(0), target_total=Decimal(5))

    check = api_as(pm).get(url(load)).json()["check"]

    assert (check["total_difference"], check["total_difference_percent"]) == (
        "5.0000",
        "Infinity",
    )


def test_a_load_without_control_totals_has_no_total_difference(api_as, project, pm):
    load = a_load(an_object(project, pm, pm), pm)

    check = api_as(pm).get(url(load)).json()["check"]

    assert (check["total_difference"], check["total_difference_percent"]) == (None, None)
    assert api_as(pm).get(url(load)).json()["reconciliation"] == "reconciled"


def test_list_loads_filters_by_project_and_object(api_as, project, pm, outsider):
    customers = an_object(project, pm, pm, name="Customers")
    items = an_object(project, pm, pm, name="Items")
    first = a_load(customers, pm)
    second = a_load(customers, pm, loaded_count=50)
    third = a_load(items, pm)
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    elsewhere = a_load(an_object(other, pm, pm), pm)
    client = api_as(pm)

    def pks(**query):
        return [item["pk"] for item in client.get(LOADS, query).json()["results"]]

    assert set(pks()) == {first.pk, second.pk, third.pk, elsewhere.pk}
    assert pks(project=project.code) == [first.pk, second.pk, third.pk]
    assert pks(object=customers.pk) == [first.pk, second.pk]
    assert pks(reconciliation="failed") == [second.pk]
    assert client.get(LOADS, {"object": "abc"}).status_code == 400
    assert client.get(LOADS, {"object": "1e30"}).status_code == 400
    assert api_as(outsider).get(LOADS, {"object": customers.pk}).json()["results"] == []


def test_record_a_load(api_as, project, pm, it_member):
    obj = an_object(project, pm, pm)

    response = api_as(it_member).post(LOADS, load_body(obj), format="json")

    assert response.status_code == 201
    load = MigrationLoad.objects.get()
    assert (load.sequence, load.recorded_by, load.reconciliation) == (1, it_member, "failed")
    assert response.json()["check"]["missing"] == 4
    second = api_as(pm).post(LOADS, load_body(obj, loaded_count=197), format="json")
    assert second.json()["sequence"] == 2


@pytest.mark.parametrize("role", list(Role))
def test_record_a_load_by_role(api_as, project, members, role):
    obj = an_object(project, members[Role.PROJECT_MANAGER], members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).post(LOADS, load_body(obj), format="json")

    assert response.status_code == (201 if role in MIGRATORS else 403)
    assert MigrationLoad.objects.count() == (1 if role in MIGRATORS else 0)


def test_recording_a_load_with_a_wrong_role_is_403_before_the_input_is_read(
    api_as, project, pm, pilot_user
):
    obj = an_object(project, pm, pm)

    response = api_as(pilot_user).post(LOADS, {"object": obj.pk, "source_count": -1}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"source_count": -1}, {"source_count"}),
        ({"loaded_count": -5, "rejected_count": -1}, {"loaded_count", "rejected_count"}),
        ({"loaded_count": 150, "rejected_count": 60}, {"loaded_count"}),
        ({"source_total": "100"}, {"target_total"}),
        ({"target_total": "100"}, {"source_total"}),
        ({"source_total": "abc", "target_total": "1"}, {"source_total"}),
        ({"loaded_at": "yesterday"}, {"loaded_at"}),
        ({"loaded_at": "2026-13-45T25:00:00Z"}, {"loaded_at"}),
        ({"loaded_at": "9999-12-31T23:59:59-14:00"}, {"loaded_at"}),
        ({"loaded_at": (timezone.now() + datetime.timedelta(days=1)).isoformat()}, {"loaded_at"}),
        ({"kind": "dress"}, {"kind"}),
        ({"source_count": 2**40}, {"source_count"}),
        ({"object": "abc"}, {"object"}),
        ({"object": 10**30}, {"object"}),
        ({"object": None}, {"object"}),
        ({"object": 999999}, {"object"}),
    ],
)
def test_record_a_load_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    obj = an_object(project, pm, pm)

    response = api_as(pm).post(LOADS, load_body(obj, **changes), format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not MigrationLoad.objects.exists()


def test_an_object_checked_by_control_total_needs_both_totals(api_as, project, pm):
    obj = an_object(project, pm, pm, control_total_label="Sum of balances")

    response = api_as(pm).post(LOADS, load_body(obj), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"source_total"}
    assert not MigrationLoad.objects.exists()


def test_a_load_of_a_hidden_object_is_400(api_as, project, pm, outsider):
    obj = an_object(project, pm, pm)

    response = api_as(outsider).post(LOADS, load_body(obj), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"object"}
    assert not MigrationLoad.objects.exists()


def test_correct_a_load_works_the_status_out_again(api_as, project, pm):
    load = a_load(an_object(project, pm, pm), pm, loaded_count=90, rejected_count=10)
    assert load.reconciliation == "failed"

    response = api_as(pm).patch(
        url(load), {"loaded_count": 100, "rejected_count": 0, "notes": "Recounted"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["reconciliation"], response.json()["check"]["missing"]) == (
        "reconciled",
        0,
    )
    load.refresh_from_db()
    assert (load.loaded_count, load.reconciliation, load.notes) == (100, "reconciled", "Recounted")


@pytest.mark.parametrize("role", list(Role))
def test_correct_a_load_by_role(api_as, project, members, role):
    pm = members[Role.PROJECT_MANAGER]
    load = a_load(an_object(project, pm, pm), pm)

    response = api_as(members[role]).patch(url(load), {"notes": "Checked"}, format="json")

    assert response.status_code == (200 if role in MIGRATORS else 403)
    load.refresh_from_db()
    assert load.notes == ("Checked" if role in MIGRATORS else "")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"loaded_count": -1}, {"loaded_count"}),
        ({"loaded_count": 101}, {"loaded_count"}),
        ({"source_total": "10"}, {"target_total"}),
        ({"loaded_at": "not a time"}, {"loaded_at"}),
    ],
)
def test_correct_a_load_bad_input_changes_nothing(api_as, project, pm, changes, fields):
    load = a_load(an_object(project, pm, pm), pm)
    before = row(load)

    response = api_as(pm).patch(url(load), changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(load) == before


def test_a_signed_off_load_is_not_corrected(api_as, project, pm, key_user):
    load = a_load(an_object(project, key_user, pm), pm)
    migration.load_sign_off(actor=key_user, load=load)
    before = row(load)

    response = api_as(pm).patch(url(load), {"loaded_count": 90}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
    assert row(load) == before


# --- Sign-off ---------------------------------------------------------------------------------


def test_the_data_owner_signs_a_load_off(api_as, project, pm, key_user):
    load = a_load(an_object(project, key_user, pm), pm)

    response = api_as(key_user).post(
        url(load, "sign-off"), {"comment": " Counts match the ledger. "}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["signed_off"], body["signed_off_by"], body["sign_off_comment"]) == (
        True,
        key_user.username,
        "Counts match the ledger.",
    )
    load.refresh_from_db()
    assert (load.signed_off_by, load.is_signed_off) == (key_user, True)


@pytest.mark.parametrize("role", list(Role))
def test_only_the_data_owner_signs_off(api_as, project, members, role):
    owner = members[Role.KEY_USER]
    load = a_load(an_object(project, owner, members[Role.PROJECT_MANAGER]), members[Role.IT])

    response = api_as(members[role]).post(url(load, "sign-off"), {}, format="json")

    assert response.status_code == (200 if role == Role.KEY_USER else 403)
    load.refresh_from_db()
    assert load.is_signed_off is (role == Role.KEY_USER)


def test_a_non_owner_gets_403_before_the_input_is_read(api_as, project, pm, key_user):
    load = a_load(an_object(project, key_user, pm), pm)

    response = api_as(pm).post(url(load, "sign-off"), ["not", "an", "object"], format="json")

    assert response.status_code == 403


def test_a_failed_load_is_not_signed_off(api_as, project, pm, key_user):
    load = a_load(an_object(project, key_user, pm), pm, loaded_count=50)

    response = api_as(key_user).post(url(load, "sign-off"), {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
    load.refresh_from_db()
    assert not load.is_signed_off


def test_a_load_is_signed_off_once(api_as, project, pm, key_user):
    load = a_load(an_object(project, key_user, pm), pm)
    client = api_as(key_user)
    assert (
        client.post(url(load, "sign-off"), {"comment": "First"}, format="json").status_code == 200
    )

    response = client.post(url(load, "sign-off"), {"comment": "Again"}, format="json")

    assert response.status_code == 400
    load.refresh_from_db()
    assert load.sign_off_comment == "First"


@pytest.mark.parametrize("body", [[], "text", {"comment": ["a"]}])
def test_sign_off_bad_body_is_400(api_as, project, pm, key_user, body):
    load = a_load(an_object(project, key_user, pm), pm)

    response = api_as(key_user).post(url(load, "sign-off"), body, format="json")

    assert response.status_code == 400
    load.refresh_from_db()
    assert not load.is_signed_off


# --- Outsiders and anonymous ------------------------------------------------------------------


def test_outsiders_get_404_for_everything_of_the_project(api_as, project, pm, outsider):
    obj = an_object(project, pm, pm)
    load = a_load(obj, pm)
    client = api_as(outsider)
    before = (row(obj), row(load))

    assert client.get(OBJECTS, {"project": project.code}).json()["results"] == []
    assert client.get(LOADS, {"project": project.code}).json()["results"] == []
    assert client.get(url(obj)).status_code == 404
    assert client.patch(url(obj), {"name": "Mine"}, format="json").status_code == 404
    assert client.get(url(load)).status_code == 404
    assert client.patch(url(load), {"notes": "x"}, format="json").status_code == 404
    assert client.post(url(load, "sign-off"), {}, format="json").status_code == 404
    assert (row(obj), row(load)) == before


def test_anonymous_clients_get_401(api_client, project, pm):
    obj = an_object(project, pm, pm)
    load = a_load(obj, pm)

    assert api_client.get(OBJECTS).status_code == 401
    assert api_client.get(url(obj)).status_code == 401
    assert api_client.post(OBJECTS, object_body(project, pm), format="json").status_code == 401
    assert api_client.patch(url(obj), {"name": "x"}, format="json").status_code == 401
    assert api_client.get(LOADS).status_code == 401
    assert api_client.get(url(load)).status_code == 401
    assert api_client.post(LOADS, load_body(obj), format="json").status_code == 401
    assert api_client.patch(url(load), {"notes": "x"}, format="json").status_code == 401
    assert api_client.post(url(load, "sign-off"), {}, format="json").status_code == 401
    assert MigrationLoad.objects.count() == 1


# --- Query counts -----------------------------------------------------------------------------


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("endpoint", [OBJECTS, LOADS])
def test_list_query_count_does_not_grow(api_as, pm, endpoint):
    counts = []
    for size in (2, 20):
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        for number in range(size):
            obj = an_object(other, pm, pm, name=f"Object {number}")
            a_load(obj, pm)
            if number % 2:
                migration.load_sign_off(actor=pm, load=a_load(obj, pm))
        counts.append(_count(api_as(pm), f"{endpoint}?project={other.code}"))

    assert counts[0] == counts[1]
