"""Data migration services: the inventory of data objects, loads with their numbers and
reconciliation, and the data owner's sign-off."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from implementation.choices import LoadKind, Reconciliation
from implementation.models import MigrationLoad, MigrationObject
from implementation.services import migration
from tests.factories import UserFactory
from tests.golive.factories import a_load, an_object

pytestmark = pytest.mark.django_db
D = Decimal


def loads():
    return list(MigrationLoad.objects.order_by("pk").values())


def objects():
    return list(MigrationObject.objects.order_by("pk").values())


# --- Data objects ---------------------------------------------------------------------------


def test_create_an_object_with_its_owner_and_tolerance(project, it_member, key_user):
    obj = an_object(
        project,
        key_user,
        it_member,
        name="  Opening balances ",
        control_total_label="Sum of balances",
        tolerance_percent=D("0.5"),
    )

    obj.refresh_from_db()
    assert (obj.name, obj.owner, obj.created_by) == ("Opening balances", key_user, it_member)
    assert (obj.control_total_label, obj.tolerance_percent) == ("Sum of balances", D("0.5"))


def test_a_duplicate_name_is_refused_whatever_its_case(project, it_member, key_user):
    an_object(project, key_user, it_member, name="Customers")
    before = objects()

    with pytest.raises(ValidationError) as error:
        an_object(project, key_user, it_member, name=" CUSTOMERS ")

    assert error.value.message_dict == {
        "name": ["This project already has a data object of that name."]
    }
    assert objects() == before


def test_renaming_onto_another_object_is_refused(project, it_member, key_user):
    an_object(project, key_user, it_member, name="Customers")
    vendors = an_object(project, key_user, it_member, name="Vendors")

    with pytest.raises(ValidationError) as error:
        migration.migration_object_update(actor=it_member, obj=vendors, name="customers")

    assert "name" in error.value.message_dict
    vendors.refresh_from_db()
    assert vendors.name == "Vendors"


def test_the_same_name_in_another_project_is_fine(project, it_member, key_user, outsider):
    an_object(project, key_user, it_member, name="Customers")
    other = outsider.memberships.get().project

    obj = an_object(other, outsider, outsider, name="Customers")

    assert obj.pk


def test_an_owner_outside_the_team_is_refused(project, it_member):
    stranger = UserFactory()

    with pytest.raises(ValidationError) as error:
        an_object(project, stranger, it_member)

    assert error.value.message_dict == {"owner": ["Choose a member of this project's team."]}
    assert objects() == []


def test_a_tolerance_above_a_hundred_per_cent_is_a_field_error(project, it_member, key_user):
    with pytest.raises(ValidationError) as error:
        an_object(project, key_user, it_member, tolerance_percent=D("100.01"))
    assert "tolerance_percent" in error.value.message_dict
    assert objects() == []


# --- Loads ----------------------------------------------------------------------------------


def test_loads_are_numbered_mock_1_mock_2_then_final(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)

    first = a_load(obj, it_member)
    second = a_load(obj, it_member)
    final = a_load(obj, it_member, kind=LoadKind.FINAL)

    assert [first.sequence, second.sequence, final.sequence] == [1, 2, 3]
    assert [first.label, second.label, final.label] == ["Mock 1", "Mock 2", "Final load (load 3)"]
    assert final.recorded_by == it_member
    assert final.reconciliation == Reconciliation.RECONCILED


def test_each_object_numbers_its_own_loads(project, it_member, key_user):
    customers = an_object(project, key_user, it_member, name="Customers")
    vendors = an_object(project, key_user, it_member, name="Vendors")
    a_load(customers, it_member)
    a_load(customers, it_member)

    assert a_load(vendors, it_member).sequence == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"source_count": -1}, {"source_count"}),
        ({"loaded_count": -5}, {"loaded_count"}),
        ({"rejected_count": -1}, {"rejected_count"}),
        ({"loaded_count": 95, "rejected_count": 6}, {"loaded_count"}),
        ({"source_total": D("10")}, {"target_total"}),
        ({"target_total": D("10")}, {"source_total"}),
    ],
)
def test_numbers_that_cannot_be_true_are_field_errors_and_nothing_is_saved(
    project, it_member, key_user, fields, expected
):
    obj = an_object(project, key_user, it_member)

    with pytest.raises(ValidationError) as error:
        a_load(obj, it_member, **fields)

    assert set(error.value.message_dict) == expected
    assert loads() == []


def test_too_many_records_say_why(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)

    with pytest.raises(ValidationError) as error:
        a_load(obj, it_member, loaded_count=95, rejected_count=6)

    assert error.value.message_dict["loaded_count"] == [
        "Loaded and rejected records together cannot exceed the records in source."
    ]


def test_an_object_with_a_control_total_label_needs_both_totals(project, it_member, key_user):
    obj = an_object(project, key_user, it_member, control_total_label="Sum of open balances")

    with pytest.raises(ValidationError) as error:
        a_load(obj, it_member)

    assert error.value.message_dict == {
        "source_total": [
            "This object is checked by its control total (Sum of open balances): give both."
        ]
    }
    assert loads() == []
    load = a_load(obj, it_member, source_total=D("1000"), target_total=D("1000"))
    assert load.reconciliation == Reconciliation.RECONCILED


def test_a_load_in_the_future_is_refused(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)

    with pytest.raises(ValidationError) as error:
        a_load(obj, it_member, loaded_at=timezone.now() + datetime.timedelta(minutes=5))

    assert error.value.message_dict == {
        "loaded_at": ["A load is recorded once it has run: not in the future."]
    }
    assert loads() == []


def test_the_status_follows_the_numbers_and_the_tolerance(project, it_member, key_user):
    obj = an_object(project, key_user, it_member, tolerance_percent=D("1"))

    assert a_load(obj, it_member).reconciliation == Reconciliation.RECONCILED
    within = a_load(obj, it_member, loaded_count=99, rejected_count=1)
    assert within.reconciliation == Reconciliation.WITHIN_TOLERANCE
    assert within.tolerance_percent == D("1")
    failed = a_load(obj, it_member, loaded_count=98, rejected_count=2)
    assert failed.reconciliation == Reconciliation.FAILED


def test_a_load_keeps_the_tolerance_it_was_checked_with(project, it_member, key_user):
    obj = an_object(project, key_user, it_member, tolerance_percent=D("1"))
    old = a_load(obj, it_member, loaded_count=99, rejected_count=1)

    migration.migration_object_update(actor=it_member, obj=obj, tolerance_percent=D("0"))

    old.refresh_from_db()
    assert (old.tolerance_percent, old.reconciliation) == (D("1"), Reconciliation.WITHIN_TOLERANCE)
    new = a_load(obj, it_member, loaded_count=99, rejected_count=1)
    assert (new.tolerance_percent, new.reconciliation) == (D("0"), Reconciliation.FAILED)


def test_correcting_a_load_uses_the_tolerance_it_was_recorded_with(project, it_member, key_user):
    obj = an_object(project, key_user, it_member, tolerance_percent=D("1"))
    load = a_load(obj, it_member, loaded_count=99, rejected_count=1)
    migration.migration_object_update(actor=it_member, obj=obj, tolerance_percent=D("0"))

    load = migration.load_update(actor=it_member, load=load, notes="Checked the rejects.")

    load.refresh_from_db()
    assert (load.tolerance_percent, load.reconciliation) == (
        D("1"),
        Reconciliation.WITHIN_TOLERANCE,
    )


def test_correcting_a_load_before_sign_off_works_the_status_out_again(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member, loaded_count=90, rejected_count=10)
    assert load.reconciliation == Reconciliation.FAILED

    load = migration.load_update(
        actor=it_member, load=load, loaded_count=100, rejected_count=0, notes="Recounted."
    )

    load.refresh_from_db()
    assert (load.loaded_count, load.reconciliation, load.notes) == (
        100,
        Reconciliation.RECONCILED,
        "Recounted.",
    )


def test_a_bad_correction_changes_nothing(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member)
    before = loads()

    with pytest.raises(ValidationError) as error:
        migration.load_update(actor=it_member, load=load, loaded_count=101)

    assert set(error.value.message_dict) == {"loaded_count"}
    assert loads() == before


def test_unknown_fields_are_a_programming_error(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    with pytest.raises(TypeError):
        a_load(obj, it_member, sequence=7)


# --- Sign-off -------------------------------------------------------------------------------


def test_the_data_owner_signs_a_load_off(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member)

    signed = migration.load_sign_off(actor=key_user, load=load, comment="  Matches the ledger. ")

    signed.refresh_from_db()
    assert signed.signed_off_by == key_user
    assert signed.signed_off_at is not None
    assert signed.sign_off_comment == "Matches the ledger."
    assert signed.is_signed_off


def test_a_load_within_tolerance_can_be_signed_off(project, it_member, key_user):
    obj = an_object(project, key_user, it_member, tolerance_percent=D("1"))
    load = a_load(obj, it_member, loaded_count=99, rejected_count=1)

    assert migration.load_sign_off(actor=key_user, load=load).is_signed_off


@pytest.mark.parametrize("who", ["pm", "it_member", "consultant", "executive"])
def test_nobody_but_the_data_owner_signs_off(request, project, it_member, key_user, who):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member)
    before = loads()

    with pytest.raises(PermissionDenied, match="Only the data owner of Customers"):
        migration.load_sign_off(actor=request.getfixturevalue(who), load=load)

    assert loads() == before


def test_a_data_owner_who_left_the_team_no_longer_signs_off(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member)
    key_user.memberships.filter(project=project).delete()

    with pytest.raises(PermissionDenied):
        migration.load_sign_off(actor=key_user, load=load)


def test_a_failed_load_is_never_signed_off(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member, loaded_count=90)
    before = loads()

    with pytest.raises(ValidationError, match="A failed load cannot be signed off"):
        migration.load_sign_off(actor=key_user, load=load)

    assert loads() == before


def test_a_load_is_signed_off_once(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member)
    migration.load_sign_off(actor=key_user, load=load)
    before = loads()

    with pytest.raises(ValidationError, match="already signed off"):
        migration.load_sign_off(actor=key_user, load=load)

    assert loads() == before


def test_a_signed_off_load_is_frozen(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)
    load = a_load(obj, it_member)
    migration.load_sign_off(actor=key_user, load=load)
    before = loads()

    with pytest.raises(ValidationError, match="can no longer change"):
        migration.load_update(actor=it_member, load=load, loaded_count=90)

    assert loads() == before


def test_a_count_beyond_what_every_database_keeps_is_a_field_error(project, it_member, key_user):
    obj = an_object(project, key_user, it_member)

    with pytest.raises(ValidationError) as error:
        a_load(obj, it_member, source_count=10**12, loaded_count=1)

    assert list(error.value.message_dict) == ["source_count"]
    assert not MigrationLoad.objects.exists()
