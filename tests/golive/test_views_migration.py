"""Data migration pages: who reads and who writes, bad load input, the data owner's sign-off,
the trend, time zones and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import CleansingStatus, LoadKind, Reconciliation
from implementation.models import MigrationLoad, MigrationObject
from implementation.services import migration
from implementation.views import migration as views
from projects.choices import Role
from projects.policy import POLICY_ATTRIBUTE
from tests.factories import UserFactory
from tests.golive.factories import a_load, an_object

LOGIN_URL = "/accounts/login/"
MANAGERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
OTHERS = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
READ_PAGES = ["migration", "migration-object"]
WRITE_PAGES = ["migration-object-new", "migration-object-edit", "load-new", "load-edit"]
ALL_PAGES = [*READ_PAGES, *WRITE_PAGES, "load-sign-off"]


def url(name, project, *args) -> str:
    return reverse(f"golive:{name}", args=[project.code, *args])


@pytest.fixture
def obj(project, pm, key_user):
    """Customers, owned by the key user (the data owner), checked by the sum of balances."""
    return an_object(
        project,
        key_user,
        pm,
        control_total_label="Sum of open balances",
        tolerance_percent=Decimal("1"),
        mapping_notes="Merge duplicates by tax code.",
    )


@pytest.fixture
def load(obj, pm):
    return a_load(obj, pm, source_total=Decimal("5000"), target_total=Decimal("5000"))


def page_url(name, project, obj, load) -> str:
    if name in ("migration-object", "migration-object-edit", "load-new"):
        return url(name, project, obj.pk)
    if name in ("load-edit", "load-sign-off"):
        return url(name, project, load.pk)
    return url(name, project)


def snapshot(project) -> tuple:
    return (
        list(MigrationObject.objects.filter(project=project).order_by("pk").values()),
        list(MigrationLoad.objects.filter(project=project).order_by("pk").values()),
    )


def load_post(**changes) -> dict:
    values = {
        "kind": LoadKind.MOCK,
        "loaded_at": "2026-03-02T14:30",
        "source_count": "100",
        "loaded_count": "97",
        "rejected_count": "3",
        "source_total": "5000",
        "target_total": "4990",
        "notes": "",
    }
    return values | changes


def valid_post(name, members) -> dict:
    owner = members[Role.KEY_USER].pk
    return {
        "migration-object-new": {
            "name": "Vendors",
            "source_system": "Legacy ERP",
            "owner": owner,
            "cleansing_status": CleansingStatus.IN_PROGRESS,
            "tolerance_percent": "0",
        },
        "migration-object-edit": {
            "name": "Customers (all)",
            "source_system": "Legacy ERP",
            "owner": owner,
            "cleansing_status": CleansingStatus.DONE,
            "control_total_label": "Sum of open balances",
            "tolerance_percent": "1",
        },
        "load-new": load_post(),
        "load-edit": load_post(),
        "load-sign-off": {"comment": "Checked"},
    }.get(name, {})


# --- Policies -----------------------------------------------------------------------------


def test_migration_pages_declare_the_capability_they_check():
    assert {p.name: getattr(p.callback, POLICY_ATTRIBUTE) for p in views.urlpatterns} == {
        "migration": "project:view_project",
        "migration-object-new": "project:manage_migration",
        "migration-object": "project:view_project",
        "migration-object-edit": "project:manage_migration",
        "load-new": "project:manage_migration",
        "load-edit": "project:manage_migration",
        "load-sign-off": "project:view_project",
    }


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_login(client, project, obj, load, name, method):
    page = page_url(name, project, obj, load)
    before = snapshot(project)

    response = getattr(client, method)(page)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_and_nothing_changes(
    client, project, members, obj, load, outsider, name, method
):
    before = snapshot(project)
    client.force_login(outsider)

    response = getattr(client, method)(
        page_url(name, project, obj, load), valid_post(name, members)
    )

    assert response.status_code == 404
    assert snapshot(project) == before


def test_outsider_cannot_reach_objects_through_their_own_project(client, obj, load, outsider):
    own = outsider.memberships.get().project
    client.force_login(outsider)

    assert client.get(url("migration-object", own, obj.pk)).status_code == 404
    assert client.get(url("load-edit", own, load.pk)).status_code == 404
    assert client.post(url("load-sign-off", own, load.pk)).status_code == 404


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", READ_PAGES)
def test_every_member_reads_the_migration_pages(client, project, members, obj, load, role, name):
    client.force_login(members[role])

    response = client.get(page_url(name, project, obj, load))

    assert response.status_code == 200
    assert obj.name in response.content.decode()


@pytest.mark.parametrize("role", MANAGERS)
@pytest.mark.parametrize("name", WRITE_PAGES)
def test_migration_managers_open_the_forms(client, project, members, obj, load, role, name):
    client.force_login(members[role])

    response = client.get(page_url(name, project, obj, load))

    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()


@pytest.mark.parametrize("role", OTHERS)
@pytest.mark.parametrize("name", WRITE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_without_manage_migration_get_403_and_nothing_changes(
    client, project, members, obj, load, role, name, method
):
    before = snapshot(project)
    client.force_login(members[role])

    response = getattr(client, method)(
        page_url(name, project, obj, load), valid_post(name, members)
    )

    assert response.status_code == 403
    assert snapshot(project) == before


@pytest.mark.parametrize("role", OTHERS)
def test_read_only_members_see_no_write_buttons(client, project, members, obj, load, role):
    client.force_login(members[role])

    listing = client.get(url("migration", project)).content.decode()
    detail = client.get(url("migration-object", project, obj.pk)).content.decode()

    assert url("migration-object-new", project) not in listing
    assert url("load-new", project, obj.pk) not in detail
    assert url("load-edit", project, load.pk) not in detail
    assert url("migration-object-edit", project, obj.pk) not in detail


# --- Objects ------------------------------------------------------------------------------


def test_manager_adds_a_data_object_owned_by_a_team_member(client, project, it_member, key_user):
    client.force_login(it_member)

    response = client.post(
        url("migration-object-new", project),
        {
            "name": "Vendors",
            "source_system": "Legacy ERP",
            "owner": key_user.pk,
            "cleansing_status": CleansingStatus.IN_PROGRESS,
            "control_total_label": "",
            "tolerance_percent": "0.5",
            "mapping_notes": "Vendor code kept.",
        },
    )

    created = MigrationObject.objects.get(project=project)
    assert response.status_code == 302
    assert response.url == url("migration-object", project, created.pk)
    assert (created.name, created.owner, created.tolerance_percent, created.created_by) == (
        "Vendors",
        key_user,
        Decimal("0.5"),
        it_member,
    )


def test_the_owner_is_chosen_from_the_team(client, project, members, pm, outsider):
    client.force_login(pm)

    form = client.get(url("migration-object-new", project)).context["form"]
    response = client.post(
        url("migration-object-new", project),
        valid_post("migration-object-new", members) | {"owner": outsider.pk},
    )

    assert {user.pk for user in form.fields["owner"].queryset} == {
        user.pk for user in members.values()
    }
    assert response.status_code == 422
    assert response.context["form"].errors["owner"] == ["Choose a member of the project team."]
    assert not MigrationObject.objects.filter(project=project).exists()


def test_a_duplicate_name_answers_422(client, project, members, pm, obj):
    client.force_login(pm)

    response = client.post(
        url("migration-object-new", project),
        valid_post("migration-object-new", members) | {"name": "customers"},
    )

    assert response.status_code == 422
    assert response.context["form"].errors["name"] == [
        "This project already has a data object of that name."
    ]
    assert MigrationObject.objects.filter(project=project).count() == 1


def test_manager_edits_a_data_object(client, project, members, consultant, obj):
    client.force_login(consultant)

    response = client.post(
        url("migration-object-edit", project, obj.pk), valid_post("migration-object-edit", members)
    )

    obj.refresh_from_db()
    assert response.status_code == 302
    assert (obj.name, obj.cleansing_status) == ("Customers (all)", CleansingStatus.DONE)


# --- Loads --------------------------------------------------------------------------------


def test_manager_records_a_load_in_the_projects_time_zone(client, project, pm, obj):
    project.time_zone = "Asia/Ho_Chi_Minh"
    project.save(update_fields=["time_zone"])
    client.force_login(pm)

    response = client.post(url("load-new", project, obj.pk), load_post(rejected_count=""))

    created = MigrationLoad.objects.get(migration_object=obj)
    assert response.status_code == 302
    assert response.url == url("migration-object", project, obj.pk)
    assert created.loaded_at == datetime.datetime(2026, 3, 2, 7, 30, tzinfo=datetime.UTC)
    assert (created.sequence, created.loaded_count, created.rejected_count) == (1, 97, 0)
    # 3 of 100 missing (3%) is beyond the 1% tolerance.
    assert created.reconciliation == Reconciliation.FAILED


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"source_count": "-1"}, "source_count", "greater than or equal to 0"),
        ({"rejected_count": "-5"}, "rejected_count", "greater than or equal to 0"),
        (
            {"loaded_count": "98", "rejected_count": "3"},
            "loaded_count",
            "Loaded and rejected records together cannot exceed the records in source.",
        ),
        ({"target_total": ""}, "target_total", "Give the control total in both source and"),
        ({"source_count": "many"}, "source_count", "Enter a whole number."),
        (
            {"source_total": "", "target_total": ""},
            "source_total",
            "This object is checked by its control total",
        ),
    ],
    ids=["negative-source", "negative-rejected", "too-many", "half-total", "text", "no-total"],
)
def test_bad_load_input_answers_422_and_saves_nothing(
    client, project, pm, obj, load, changes, field, message
):
    before = snapshot(project)
    client.force_login(pm)

    created = client.post(url("load-new", project, obj.pk), load_post(**changes))
    edited = client.post(url("load-edit", project, load.pk), load_post(**changes))

    for response in (created, edited):
        assert response.status_code == 422
        assert list(response.context["form"].errors) == [field]
        assert message in " ".join(response.context["form"].errors[field])
        assert message.split("(")[0] in response.content.decode()
    assert snapshot(project) == before


def test_correcting_a_load_works_its_status_out_again(client, project, pm, obj):
    wrong = a_load(obj, pm, loaded_count=90, source_total=Decimal(10), target_total=Decimal(10))
    assert wrong.reconciliation == Reconciliation.FAILED
    client.force_login(pm)

    response = client.post(
        url("load-edit", project, wrong.pk),
        load_post(loaded_count="100", rejected_count="0", source_total="10", target_total="10"),
    )

    wrong.refresh_from_db()
    assert response.status_code == 302
    assert (wrong.loaded_count, wrong.reconciliation) == (100, Reconciliation.RECONCILED)


def test_a_signed_off_load_cannot_be_edited_and_says_why(client, project, pm, key_user, load):
    migration.load_sign_off(actor=key_user, load=load)
    before = snapshot(project)
    client.force_login(pm)

    shown = client.get(url("load-edit", project, load.pk))
    posted = client.post(url("load-edit", project, load.pk), load_post())

    assert shown.status_code == 200
    assert posted.status_code == 422
    for response in (shown, posted):
        content = response.content.decode()
        assert 'id="load-form"' not in content
        assert "can no longer change" in content
        assert key_user.display_name in content
    assert snapshot(project) == before


# --- Sign-off -----------------------------------------------------------------------------


def test_the_data_owner_signs_a_load_off_with_a_comment(client, project, key_user, obj, load):
    client.force_login(key_user)

    shown = client.get(url("load-sign-off", project, load.pk))
    response = client.post(url("load-sign-off", project, load.pk), {"comment": " All there. "})

    load.refresh_from_db()
    assert shown.status_code == 200
    assert 'id="sign-off-form"' in shown.content.decode()
    assert "Every source record arrived and the control totals match exactly." in (
        shown.content.decode()
    )
    assert response.status_code == 302
    assert response.url == url("migration-object", project, obj.pk)
    assert (load.signed_off_by, load.sign_off_comment) == (key_user, "All there.")
    assert load.signed_off_at is not None


@pytest.mark.parametrize("role", [r for r in Role if r != Role.KEY_USER])
@pytest.mark.parametrize("method", ["get", "post"])
def test_nobody_but_the_data_owner_signs_off(client, project, members, load, role, method):
    before = snapshot(project)
    client.force_login(members[role])

    response = getattr(client, method)(url("load-sign-off", project, load.pk), {"comment": "x"})

    assert response.status_code == 403
    assert snapshot(project) == before


def test_a_failed_load_cannot_be_signed_off(client, project, pm, key_user, obj):
    failed = a_load(obj, pm, loaded_count=80, source_total=Decimal(1), target_total=Decimal(1))
    before = snapshot(project)
    client.force_login(key_user)

    shown = client.get(url("load-sign-off", project, failed.pk))
    posted = client.post(url("load-sign-off", project, failed.pk), {"comment": "Fine"})
    detail = client.get(url("migration-object", project, obj.pk)).content.decode()

    assert shown.status_code == 200
    assert posted.status_code == 422
    for response in (shown, posted):
        content = response.content.decode()
        assert "A failed load cannot be signed off" in content
        assert 'id="sign-off-form"' not in content
    assert url("load-sign-off", project, failed.pk) not in detail
    assert snapshot(project) == before


def test_a_load_is_signed_off_only_once(client, project, key_user, load):
    migration.load_sign_off(actor=key_user, load=load, comment="First")
    client.force_login(key_user)

    response = client.post(url("load-sign-off", project, load.pk), {"comment": "Again"})

    load.refresh_from_db()
    assert response.status_code == 422
    assert "This load is already signed off." in response.content.decode()
    assert load.sign_off_comment == "First"


def test_the_sign_off_button_shows_only_to_the_data_owner(client, project, pm, key_user, load):
    client.force_login(key_user)
    owner_view = client.get(url("migration-object", project, load.migration_object_id))
    client.force_login(pm)
    manager_view = client.get(url("migration-object", project, load.migration_object_id))

    assert url("load-sign-off", project, load.pk) in owner_view.content.decode()
    assert url("load-sign-off", project, load.pk) not in manager_view.content.decode()
    assert url("load-edit", project, load.pk) in manager_view.content.decode()


# --- Inventory and detail -----------------------------------------------------------------


def test_inventory_shows_last_loads_counts_and_trend(client, project, pm, key_user, viewer):
    cleaner = an_object(project, key_user, pm, name="Customers")
    a_load(cleaner, pm, loaded_count=95, rejected_count=5)
    a_load(cleaner, pm, loaded_count=98, rejected_count=2)
    dirtier = an_object(project, key_user, pm, name="Items", tolerance_percent=Decimal(10))
    a_load(dirtier, pm, loaded_count=98, rejected_count=2)
    signed = a_load(dirtier, pm, loaded_count=96, rejected_count=4)
    migration.load_sign_off(actor=key_user, load=signed)
    same = an_object(project, key_user, pm, name="Opening balances")
    a_load(same, pm)
    a_load(same, pm)
    an_object(project, key_user, pm, name="Vendors")
    client.force_login(viewer)

    response = client.get(url("migration", project))

    content = response.content.decode()
    assert response.context["counts"] == {
        "objects": 4,
        "reconciled": 1,
        "within_tolerance": 1,
        "failed": 1,
        "not_loaded": 1,
        "awaiting_sign_off": 1,
    }
    trends = {
        row.obj.name: row.trend and row.trend.direction
        for row in response.context["inventory"].rows
    }
    assert trends == {
        "Customers": "cleaner",
        "Items": "dirtier",
        "Opening balances": "unchanged",
        "Vendors": None,
    }
    assert "Getting cleaner: 2% rejected on Mock 2, down from 5% on Mock 1." in content
    assert "Getting dirtier: 4% rejected on Mock 2, up from 2% on Mock 1." in content
    assert 'data-signed="yes"' in content
    assert url("migration-object-new", project) not in content


def test_object_page_explains_each_load_and_draws_the_trend(client, project, pm, key_user):
    obj = an_object(project, key_user, pm, tolerance_percent=Decimal(5))
    a_load(obj, pm, loaded_count=90, rejected_count=10)
    a_load(obj, pm, loaded_count=97, rejected_count=2)
    client.force_login(pm)

    response = client.get(url("migration-object", project, obj.pk))

    content = response.content.decode()
    assert "10 records did not arrive (10%): beyond the 5% tolerance." in content
    assert "3 records did not arrive (3%): within the 5% tolerance." in content
    assert "Getting cleaner: 2% rejected on Mock 2, down from 10% on Mock 1." in content
    svg = content[content.index("<svg") : content.index("</svg>")]
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4
    assert "<script" not in svg
    assert "href=" not in svg
    # 10% is the axis top (y 14); 2% rejected sits a fifth of the way up from 0% (y 140).
    assert '<polyline class="rejected" points="44.0,14.0 464.0,114.8"/>' in svg
    assert '<polyline class="missing" points="44.0,14.0 464.0,102.2"/>' in svg


def test_control_total_difference_is_explained(client, project, pm, key_user):
    obj = an_object(project, key_user, pm, tolerance_percent=Decimal("0.5"))
    a_load(obj, pm, source_total=Decimal("1000"), target_total=Decimal("1010"))
    client.force_login(pm)

    content = client.get(url("migration-object", project, obj.pk)).content.decode()

    assert "The control totals differ by 1%: beyond the 0.5% tolerance." in content
    assert "1,000 → 1,010" in content
    assert "+10 (1%)" in content


# --- Query counts -------------------------------------------------------------------------


def _queries(client, page) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page)
    assert response.status_code == 200
    return len(captured)


def test_inventory_queries_do_not_grow_with_objects_and_loads(client, project, pm, key_user):
    def add(first: int, count: int) -> None:
        for n in range(first, first + count):
            obj = an_object(project, key_user, pm, name=f"Object {n}")
            a_load(obj, pm)
            a_load(obj, pm, loaded_count=99, rejected_count=1)

    client.force_login(pm)
    add(0, 2)
    few = _queries(client, url("migration", project))
    add(2, 18)
    many = _queries(client, url("migration", project))

    assert few == many
    assert MigrationObject.objects.filter(project=project).count() == 20


def test_object_page_queries_do_not_grow_with_loads(client, project, pm, key_user, obj):
    def add(count: int) -> None:
        for _ in range(count):
            load = a_load(obj, pm, source_total=Decimal(1), target_total=Decimal(1))
            migration.load_sign_off(actor=key_user, load=load)

    client.force_login(key_user)
    add(2)
    few = _queries(client, url("migration-object", project, obj.pk))
    add(18)
    many = _queries(client, url("migration-object", project, obj.pk))

    assert few == many
    assert obj.loads.count() == 20


def test_a_stranger_in_the_owner_field_never_reaches_the_database(client, project, pm, obj):
    stranger = UserFactory()
    client.force_login(pm)

    response = client.post(
        url("migration-object-edit", project, obj.pk),
        {
            "name": obj.name,
            "source_system": "X",
            "owner": stranger.pk,
            "cleansing_status": CleansingStatus.DONE,
            "tolerance_percent": "0",
        },
    )

    obj.refresh_from_db()
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["owner"]
    assert obj.source_system == "Legacy ERP"
