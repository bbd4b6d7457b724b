"""KPI and measurement API: read shapes with the computed figures, the same definition,
baseline and recording rules as the services, all-or-nothing bulk entry and imports with
problems by row, bad input 400 and nothing saved, the policy for every role, and query
counts."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kpis import metrics, services
from kpis.choices import Direction, KpiCategory
from kpis.models import BaselineChange, Kpi, Measurement
from projects.choices import Role
from tests.factories import MembershipFactory, PhaseFactory, ProjectFactory

KPIS = "/api/v1/kpis/"
MEASUREMENTS = "/api/v1/kpi-measurements/"
BULK = f"{MEASUREMENTS}bulk/"
IMPORT = f"{MEASUREMENTS}import/"
MANAGERS = {Role.PROJECT_MANAGER, Role.CONSULTANT}
RECORDERS = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER}
D = datetime.date


def future_go_live(project) -> None:
    project.target_go_live = project.local_today() + datetime.timedelta(days=60)
    project.save()


def make_kpi(project, actor, *, locked=True, **overrides) -> Kpi:
    """A KPI with its baseline recorded before go-live; `locked`: go-live has passed since."""
    go_live = project.target_go_live
    future_go_live(project)
    fields = {
        "name": "Data-entry errors",
        "category": KpiCategory.QUALITY,
        "unit": "errors per 1,000 documents",
        "direction": Direction.LOWER,
        "baseline_value": Decimal("120"),
        "baseline_date": D(2026, 9, 1),
        "target_value": Decimal("84"),
        "target_date": D(2027, 1, 1),
        "owner": actor,
    } | overrides
    kpi = services.kpi_create(actor=actor, project=project, **fields)
    if locked:
        project.target_go_live = go_live
        project.save()
    return kpi


def measure(kpi, actor, day, value) -> Measurement:
    return services.measurement_record(actor=actor, kpi=kpi, measured_on=day, value=Decimal(value))


def kpi_body(project, user, **overrides) -> dict:
    return {
        "project": project.code,
        "name": "Order-processing productivity",
        "category": "process_efficiency",
        "unit": "orders per hour",
        "direction": "higher",
        "baseline_value": "10",
        "baseline_date": "2026-09-01",
        "baseline_method": "Counted in August",
        "target_value": "12",
        "target_date": "2027-06-30",
        "owner": user.username,
        "cadence": "weekly",
        "module": "Sales",
    } | overrides


def url(obj, action: str = "") -> str:
    base = KPIS if isinstance(obj, Kpi) else MEASUREMENTS
    return f"{base}{obj.pk}/" + (f"{action}/" if action else "")


def row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def csv_file(text: str, name: str = "values.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# --- Read ---------------------------------------------------------------------------------


def test_list_shows_kpis_with_computed_figures(api_as, project, pm, executive):
    kpi = make_kpi(project, pm)
    measure(kpi, pm, D(2026, 10, 1), "102")

    response = api_as(executive).get(KPIS, {"project": project.code})

    assert response.status_code == 200
    assert response.json()["count"] == 1
    item = response.json()["results"][0]
    today = project.local_today()
    trajectory = metrics.trajectory_value(
        baseline=Decimal(120),
        target=Decimal(84),
        baseline_date=D(2026, 9, 1),
        target_date=D(2027, 1, 1),
        on=today,
    )
    assert item == {
        "pk": kpi.pk,
        "project": project.code,
        "name": "Data-entry errors",
        "description": "",
        "category": "quality",
        "unit": "errors per 1,000 documents",
        "direction": "lower",
        "baseline_value": "120.0000",
        "baseline_date": "2026-09-01",
        "baseline_method": "",
        "baseline_locked": True,
        "target_value": "84.0000",
        "target_date": "2027-01-01",
        "owner": pm.username,
        "cadence": "monthly",
        "module": "",
        "phase": None,
        "template_key": "",
        "latest_value": "102.0000",
        "latest_on": "2026-10-01",
        "progress": "0.5000",
        "expected": "0.2459",  # 30 of the 122 days from baseline to target date
        "status": "on_track",
        "next_due": "2026-11-05",  # a month after go-live, later than the measurement
        "overdue_periods": metrics.overdue_periods(
            cadence="monthly", next_due=D(2026, 11, 5), today=today
        ),
        "explanation": {
            "formula": "(latest - baseline) / (target - baseline)",
            "direction": "lower",
            "baseline": "120.0000",
            "baseline_date": "2026-09-01",
            "target": "84.0000",
            "target_date": "2027-01-01",
            "latest": "102.0000",
            "latest_on": "2026-10-01",
            "covered": "-18.0000",
            "way": "-36.0000",
            "trajectory_today": str(trajectory),
        },
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


def test_a_kpi_without_baseline_or_values_has_empty_figures(api_as, project, pm):
    future_go_live(project)
    kpi = make_kpi(project, pm, locked=False, baseline_value=None, baseline_date=None)

    item = api_as(pm).get(url(kpi)).json()

    assert (item["status"], item["progress"], item["expected"], item["latest_value"]) == (
        "no_baseline",
        None,
        None,
        None,
    )
    assert item["explanation"]["covered"] is None
    assert item["explanation"]["way"] is None
    assert item["baseline_locked"] is False


def test_list_filters_by_project_category_and_status(api_as, project, pm, outsider):
    achieved = make_kpi(project, pm, name="Errors")
    make_kpi(project, pm, name="Close days", category=KpiCategory.FINANCE)
    measure(achieved, pm, D(2026, 10, 10), "80")
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    make_kpi(other, pm, name="Elsewhere")
    client = api_as(pm)

    def names(**query):
        return [item["name"] for item in client.get(KPIS, query).json()["results"]]

    assert names() == ["Close days", "Errors", "Elsewhere"]
    assert names(project=project.code) == ["Close days", "Errors"]
    assert names(category="finance") == ["Close days"]
    assert names(status="achieved") == ["Errors"]
    assert names(status="no_data", project=project.code) == ["Close days"]
    assert names(status="at_risk") == []
    assert client.get(KPIS, {"status": "bogus"}).status_code == 400
    assert client.get(KPIS, {"category": "bogus"}).status_code == 400
    assert api_as(outsider).get(KPIS, {"project": project.code}).json()["count"] == 0


def test_history_lists_every_baseline_change(api_as, project, pm, consultant):
    kpi = make_kpi(project, pm)

    response = api_as(pm).post(
        url(kpi, "baseline"),
        {"value": "118", "date": "2026-09-15", "reason": "Recounted September"},
        format="json",
    )
    assert response.status_code == 200

    history = api_as(consultant).get(url(kpi, "history")).json()
    assert [
        (h["old_value"], h["new_value"], h["new_date"], h["reason"], h["after_go_live"])
        for h in history
    ] == [
        (None, "120.0000", "2026-09-01", "", False),
        ("120.0000", "118.0000", "2026-09-15", "Recounted September", True),
    ]
    assert history[1]["changed_by"] == pm.username


def test_templates_list_the_catalogue(api_as, viewer):
    response = api_as(viewer).get(f"{KPIS}templates/")

    assert response.status_code == 200
    first = response.json()[0]
    assert first == {
        "key": "data_entry_errors",
        "name": "Data-entry errors",
        "description": "Reduce data-entry errors by 30% within 3 months of go-live.",
        "category": "quality",
        "unit": "errors per 1,000 documents",
        "direction": "lower",
        "cadence": "monthly",
        "module": "",
        "example_baseline": "12.0000",
        "example_target": "8.4000",
        "months": 3,
    }


def test_non_numeric_pk_is_404(api_as, pm):
    assert api_as(pm).get(f"{KPIS}abc/").status_code == 404
    assert api_as(pm).get(f"{MEASUREMENTS}abc/").status_code == 404


# --- Defining KPIs ------------------------------------------------------------------------


def test_create_a_kpi_with_a_baseline_before_go_live(api_as, project, pm, key_user):
    future_go_live(project)
    phase = PhaseFactory(project=project, kind="testing")

    response = api_as(pm).post(KPIS, kpi_body(project, key_user, phase="testing"), format="json")

    assert response.status_code == 201
    body = response.json()
    kpi = Kpi.objects.get()
    assert (body["pk"], body["owner"], body["phase"], body["status"]) == (
        kpi.pk,
        key_user.username,
        "testing",
        "no_data",
    )
    assert (kpi.baseline_value, kpi.baseline_method, kpi.phase, kpi.created_by) == (
        Decimal("10"),
        "Counted in August",
        phase,
        pm,
    )
    assert BaselineChange.objects.filter(kpi=kpi).count() == 1


def test_create_without_a_baseline_after_go_live(api_as, project, consultant):
    body = kpi_body(project, consultant, baseline_value=None, baseline_date=None)

    response = api_as(consultant).post(KPIS, body, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "no_baseline"


def test_a_baseline_for_a_new_kpi_is_refused_from_go_live_on(api_as, project, pm):
    response = api_as(pm).post(KPIS, kpi_body(project, pm), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"baseline_value"}
    assert not Kpi.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_create_by_role(api_as, project, members, role):
    future_go_live(project)

    response = api_as(members[role]).post(KPIS, kpi_body(project, members[role]), format="json")

    assert response.status_code == (201 if role in MANAGERS else 403)
    assert Kpi.objects.count() == (1 if role in MANAGERS else 0)


def test_wrong_role_is_403_before_the_input_is_read(api_as, project, pilot_user):
    response = api_as(pilot_user).post(
        KPIS, {"project": project.code, "direction": "sideways"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"target_date": "2026-08-01"}, {"non_field_errors"}),  # before the baseline date
        ({"target_value": "9"}, {"target_value"}),  # higher is better: below the baseline
        ({"direction": "lower"}, {"target_value"}),  # lower is better: above the baseline
        ({"owner": "nobody"}, {"owner"}),
        ({"baseline_value": "abc"}, {"baseline_value"}),
        ({"target_value": "1e400"}, {"target_value"}),
        ({"target_value": 10**20}, {"target_value"}),
        ({"target_value": "NaN"}, {"target_value"}),
        ({"baseline_date": None}, {"baseline_date", "non_field_errors"}),
        ({"baseline_date": "2999-01-01"}, {"baseline_date"}),
        ({"target_date": "2301-01-01"}, {"target_date"}),
        ({"category": "bogus", "cadence": "daily"}, {"category", "cadence"}),
        ({"phase": "design"}, {"phase"}),  # the project has no such phase
        ({"name": ""}, {"name"}),
    ],
)
def test_create_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    future_go_live(project)

    response = api_as(pm).post(KPIS, kpi_body(project, pm, **changes), format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Kpi.objects.exists()
    assert not BaselineChange.objects.exists()


def test_owner_from_another_team_is_400(api_as, project, pm, outsider):
    future_go_live(project)

    response = api_as(pm).post(KPIS, kpi_body(project, outsider), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"owner"}


def test_a_json_number_too_large_is_400(api_as, project, pm):
    future_go_live(project)
    client = api_as(pm)
    body = kpi_body(project, pm, baseline_value=None, baseline_date=None, target_value="N")
    raw = json.dumps(body).replace('"N"', "1e400")  # a number no float can hold

    response = client.post(KPIS, raw, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"target_value"}


def test_the_same_name_twice_is_400(api_as, project, pm):
    make_kpi(project, pm, name="Order-processing productivity")

    response = api_as(pm).post(
        KPIS, kpi_body(project, pm, baseline_value=None, baseline_date=None), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"name"}


@pytest.mark.parametrize("body", [[], "text", {"project": 5}, {"project": "NO-SUCH"}])
def test_odd_bodies_never_500(api_as, pm, body):
    assert api_as(pm).post(KPIS, body, format="json").status_code == 400


def test_create_in_a_hidden_project_is_400(api_as, project, pm, outsider):
    response = api_as(outsider).post(KPIS, kpi_body(project, pm), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"project"}


def test_patch_changes_what_the_kpi_aims_at(api_as, project, pm, consultant, key_user):
    kpi = make_kpi(project, pm)

    response = api_as(consultant).patch(
        url(kpi),
        {"target_value": "90", "owner": key_user.username, "name": "Typos"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["target_value"], response.json()["owner"]) == (
        "90.0000",
        key_user.username,
    )
    kpi.refresh_from_db()
    assert (kpi.target_value, kpi.owner, kpi.name, kpi.baseline_value) == (
        Decimal("90"),
        key_user,
        "Typos",
        Decimal("120"),
    )


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"target_value": "130"}, {"target_value"}),
        ({"target_date": "2026-08-31"}, {"non_field_errors"}),
        ({"owner": "nobody"}, {"owner"}),
        ({"target_value": "abc"}, {"target_value"}),
        ({"phase": "design"}, {"phase"}),
    ],
)
def test_patch_bad_input_is_400_and_changes_nothing(api_as, project, pm, changes, fields):
    kpi = make_kpi(project, pm)
    before = row(kpi)

    response = api_as(pm).patch(url(kpi), changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(kpi) == before


@pytest.mark.parametrize("role", list(Role))
def test_patch_by_role(api_as, project, members, role):
    kpi = make_kpi(project, members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).patch(url(kpi), {"unit": "errors"}, format="json")

    assert response.status_code == (200 if role in MANAGERS else 403)


def test_no_put_and_no_delete(api_as, project, pm):
    kpi = make_kpi(project, pm)
    measurement = measure(kpi, pm, D(2026, 10, 1), "100")
    client = api_as(pm)

    assert client.put(url(kpi), kpi_body(project, pm), format="json").status_code == 405
    assert client.delete(url(kpi)).status_code == 405
    assert client.put(url(measurement), {"value": "1"}, format="json").status_code == 405
    assert client.patch(url(measurement), {"value": "1"}, format="json").status_code == 405
    assert client.delete(url(measurement)).status_code == 405
    assert Kpi.objects.count() == Measurement.objects.count() == 1


# --- The baseline -------------------------------------------------------------------------


def test_a_consultant_sets_the_baseline_before_go_live(api_as, project, pm, consultant):
    kpi = make_kpi(project, pm, locked=False)

    response = api_as(consultant).post(
        url(kpi, "baseline"),
        {"value": "110", "date": "2026-10-01", "method": "Invoices of September"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["baseline_value"], response.json()["baseline_method"]) == (
        "110.0000",
        "Invoices of September",
    )
    assert kpi.baseline_changes.last().after_go_live is False


@pytest.mark.parametrize("role", list(Role))
def test_changing_a_locked_baseline_by_role(api_as, project, members, role):
    kpi = make_kpi(project, members[Role.PROJECT_MANAGER])
    before = row(kpi)
    body = {"value": "118", "date": "2026-09-15", "reason": "Recounted"}

    response = api_as(members[role]).post(url(kpi, "baseline"), body, format="json")

    allowed = role == Role.PROJECT_MANAGER
    assert response.status_code == (200 if allowed else 403)
    kpi.refresh_from_db()
    assert kpi.baseline_value == (Decimal("118") if allowed else Decimal("120"))
    if not allowed:
        assert row(kpi) == before
        assert kpi.baseline_changes.count() == 1


def test_a_consultant_is_403_on_a_locked_baseline_before_the_input_is_read(
    api_as, project, pm, consultant
):
    kpi = make_kpi(project, pm)

    response = api_as(consultant).post(url(kpi, "baseline"), {"value": "abc"}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"value": "118", "date": "2026-09-15"}, {"reason"}),  # locked: say why
        ({"value": "118", "date": "2026-10-20", "reason": "x"}, {"date"}),  # after go-live
        ({"value": "118", "date": "2099-01-01", "reason": "x"}, {"date"}),  # in the future
        ({"value": "abc", "date": "2026-09-15", "reason": "x"}, {"value"}),
        ({"value": "1e400", "date": "2026-09-15", "reason": "x"}, {"value"}),
        ({"value": "70", "date": "2026-09-15", "reason": "x"}, {"value"}),  # beyond the target
        ({"value": "118", "date": "2027-02-01", "reason": "x"}, {"date"}),  # after the target
        ({"date": "2026-09-15", "reason": "x"}, {"value"}),
    ],
)
def test_baseline_bad_input_is_400_and_changes_nothing(api_as, project, pm, body, fields):
    kpi = make_kpi(project, pm)
    before = row(kpi)

    response = api_as(pm).post(url(kpi, "baseline"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(kpi) == before
    assert kpi.baseline_changes.count() == 1


def test_a_target_date_before_the_baseline_date_is_400(api_as, project, pm):
    kpi = make_kpi(project, pm, locked=False, target_date=D(2026, 9, 10))

    response = api_as(pm).post(
        url(kpi, "baseline"), {"value": "118", "date": "2026-09-20"}, format="json"
    )

    assert response.status_code == 400
    assert kpi.baseline_changes.count() == 1


# --- Templates ----------------------------------------------------------------------------


def test_add_from_templates(api_as, project, consultant):
    client = api_as(consultant)
    body = {"project": project.code, "keys": ["data_entry_errors", "order_productivity"]}

    response = client.post(f"{KPIS}add-from-templates/", body, format="json")

    assert response.status_code == 201
    assert sorted(item["template_key"] for item in response.json()) == [
        "data_entry_errors",
        "order_productivity",
    ]
    assert {item["owner"] for item in response.json()} == {consultant.username}
    again = client.post(f"{KPIS}add-from-templates/", body, format="json")
    assert (again.status_code, again.json()) == (201, [])
    assert Kpi.objects.count() == 2


@pytest.mark.parametrize(
    "keys", [["no_such_template"], [], "data_entry_errors", [["data_entry_errors"]]]
)
def test_add_from_templates_bad_keys_is_400(api_as, project, pm, keys):
    response = api_as(pm).post(
        f"{KPIS}add-from-templates/", {"project": project.code, "keys": keys}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"keys"}
    assert not Kpi.objects.exists()


def test_add_from_templates_by_a_pilot_user_is_403(api_as, project, pilot_user):
    response = api_as(pilot_user).post(
        f"{KPIS}add-from-templates/", {"project": project.code, "keys": "bogus"}, format="json"
    )
    assert response.status_code == 403
    assert not Kpi.objects.exists()


# --- Measurements -------------------------------------------------------------------------


def measurement_body(of, **overrides) -> dict:
    body = {"kpi": of.pk, "measured_on": "2026-11-01", "value": "101.5", "note": "From BI"}
    return body | overrides


def test_record_a_measurement(api_as, project, pm, key_user):
    kpi = make_kpi(project, pm)

    response = api_as(key_user).post(MEASUREMENTS, measurement_body(kpi), format="json")

    assert response.status_code == 201
    measurement = Measurement.objects.get()
    assert response.json() == {
        "pk": measurement.pk,
        "project": project.code,
        "kpi": kpi.pk,
        "kpi_name": kpi.name,
        "measured_on": "2026-11-01",
        "value": "101.5000",
        "note": "From BI",
        "source": "manual",
        "recorded_by": key_user.username,
        "recorded_at": response.json()["recorded_at"],
        "corrections": [],
    }
    shown = api_as(pm).get(url(kpi)).json()
    assert (shown["latest_value"], shown["latest_on"]) == ("101.5000", "2026-11-01")


def test_another_system_posting_with_a_token_is_recorded_as_api(project, pm, key_user):
    kpi = make_kpi(project, pm)

    response = token_client(key_user).post(MEASUREMENTS, measurement_body(kpi), format="json")

    assert response.status_code == 201
    assert response.json()["source"] == "api"
    assert Measurement.objects.get().source == "api"


def test_a_day_already_measured_is_400(api_as, project, pm):
    kpi = make_kpi(project, pm)
    measure(kpi, pm, D(2026, 11, 1), "100")

    response = api_as(pm).post(MEASUREMENTS, measurement_body(kpi), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"measured_on"}
    assert Measurement.objects.get().value == Decimal("100")


def test_correct_keeps_the_earlier_value(api_as, project, pm, key_user):
    kpi = make_kpi(project, pm)
    measurement = measure(kpi, pm, D(2026, 11, 1), "100")

    response = api_as(key_user).post(
        url(measurement, "correct"), {"value": "98", "note": "Typo in BI export"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["value"], body["note"], body["recorded_by"]) == (
        "98.0000",
        "Typo in BI export",
        key_user.username,
    )
    assert [(c["value"], c["note"], c["by"]) for c in body["corrections"]] == [
        ("100.0000", "", pm.username)
    ]
    measurement.refresh_from_db()
    assert measurement.value == Decimal("98")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"value": "98", "note": ""}, {"note"}),
        ({"value": "abc", "note": "x"}, {"value"}),
        ({"value": "1e400", "note": "x"}, {"value"}),
        ({"note": "x"}, {"value"}),
    ],
)
def test_correct_bad_input_is_400_and_changes_nothing(api_as, project, pm, body, fields):
    kpi = make_kpi(project, pm)
    measurement = measure(kpi, pm, D(2026, 11, 1), "100")
    before = row(measurement)

    response = api_as(pm).post(url(measurement, "correct"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(measurement) == before


@pytest.mark.parametrize("role", list(Role))
def test_record_by_role(api_as, project, members, role):
    kpi = make_kpi(project, members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).post(MEASUREMENTS, measurement_body(kpi), format="json")

    assert response.status_code == (201 if role in RECORDERS else 403)
    assert Measurement.objects.count() == (1 if role in RECORDERS else 0)


@pytest.mark.parametrize("role", list(Role))
def test_correct_by_role(api_as, project, members, role):
    kpi = make_kpi(project, members[Role.PROJECT_MANAGER])
    measurement = measure(kpi, members[Role.PROJECT_MANAGER], D(2026, 11, 1), "100")

    response = api_as(members[role]).post(
        url(measurement, "correct"), {"value": "98", "note": "Typo"}, format="json"
    )

    assert response.status_code == (200 if role in RECORDERS else 403)


def test_an_owner_records_their_own_kpi_only(api_as, project, pm, pilot_user):
    own = make_kpi(project, pm, name="Adoption", owner=pilot_user)
    other = make_kpi(project, pm, name="Errors")
    client = api_as(pilot_user)

    assert client.post(MEASUREMENTS, measurement_body(own), format="json").status_code == 201
    assert client.post(MEASUREMENTS, measurement_body(other), format="json").status_code == 403
    assert list(Measurement.objects.values_list("kpi", flat=True)) == [own.pk]


def test_a_viewer_is_403_before_the_input_is_read(api_as, project, pm, viewer):
    kpi = make_kpi(project, pm)

    response = api_as(viewer).post(MEASUREMENTS, {"kpi": kpi.pk, "value": "abc"}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"measured_on": "2099-01-01"}, {"measured_on"}),  # in the future
        ({"measured_on": "1999-12-31"}, {"measured_on"}),
        ({"measured_on": "2026-13-01"}, {"measured_on"}),
        ({"value": "abc"}, {"value"}),
        ({"value": "1e400"}, {"value"}),
        ({"value": "-Infinity"}, {"value"}),
        ({"value": 10**13}, {"value"}),
        ({"value": "0.00001"}, {"value"}),
        ({"value": None}, {"value"}),
        ({"value": "100000000000"}, {"value"}),  # would not read back on SQLite
        ({"kpi": "abc"}, {"kpi"}),
        ({"kpi": True}, {"kpi"}),
        ({"kpi": 1.5}, {"kpi"}),
        ({"kpi": 10**30}, {"kpi"}),
        ({"kpi": None}, {"kpi"}),
    ],
)
def test_record_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    kpi = make_kpi(project, pm)

    response = api_as(pm).post(MEASUREMENTS, measurement_body(kpi, **changes), format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Measurement.objects.exists()


def test_a_json_value_too_large_is_400(api_as, project, pm):
    kpi = make_kpi(project, pm)
    client = api_as(pm)

    for number in ("1e400", "1" + "0" * 40):
        raw = json.dumps(measurement_body(kpi, value="N")).replace('"N"', number)
        response = client.post(MEASUREMENTS, raw, content_type="application/json")
        assert response.status_code == 400
        assert set(response.json()) == {"value"}
    assert not Measurement.objects.exists()


def test_a_kpi_of_another_project_is_400(api_as, project, pm):
    other = ProjectFactory()
    hidden = make_kpi(other, MembershipFactory(project=other, role=Role.PROJECT_MANAGER).user)

    response = api_as(pm).post(MEASUREMENTS, measurement_body(hidden), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"kpi"}
    assert not Measurement.objects.exists()


def test_list_measurements_filters_by_project_kpi_and_dates(api_as, project, pm, outsider):
    errors = make_kpi(project, pm, name="Errors")
    close = make_kpi(project, pm, name="Close days", category=KpiCategory.FINANCE)
    for day, value in ((D(2026, 10, 1), "110"), (D(2026, 11, 1), "100")):
        measure(errors, pm, day, value)
    measure(close, pm, D(2026, 10, 15), "90")
    client = api_as(pm)

    def values(**query):
        return [item["value"] for item in client.get(MEASUREMENTS, query).json()["results"]]

    assert values(project=project.code) == ["90.0000", "100.0000", "110.0000"]
    assert values(kpi=errors.pk) == ["100.0000", "110.0000"]
    assert values(**{"from": "2026-10-10", "to": "2026-10-31"}) == ["90.0000"]
    assert values(project="NO-SUCH") == []
    assert client.get(MEASUREMENTS, {"from": "yesterday"}).status_code == 400
    assert client.get(MEASUREMENTS, {"kpi": "abc"}).status_code == 400
    assert client.get(MEASUREMENTS, {"kpi": "1e30"}).status_code == 400
    assert client.get(MEASUREMENTS, {"kpi": "9" * 30}).status_code == 400
    assert client.get(url(Measurement.objects.first())).status_code == 200
    assert api_as(outsider).get(MEASUREMENTS).json()["count"] == 0


# --- Bulk entry and imports ---------------------------------------------------------------


def test_bulk_records_every_row(api_as, project, pm):
    errors = make_kpi(project, pm, name="Errors")
    close = make_kpi(project, pm, name="Close days", category=KpiCategory.FINANCE)
    rows = [
        {"kpi": errors.pk, "measured_on": "2026-11-01", "value": "100"},
        {"kpi": close.pk, "measured_on": "2026-11-01", "value": "95", "note": "Nov"},
    ]

    response = api_as(pm).post(BULK, {"project": project.code, "rows": rows}, format="json")

    assert (response.status_code, response.json()) == (201, {"count": 2})
    assert sorted(Measurement.objects.values_list("kpi__name", "value", "source")) == [
        ("Close days", Decimal("95"), "manual"),
        ("Errors", Decimal("100"), "manual"),
    ]


def test_bulk_with_a_token_is_recorded_as_api(project, pm):
    kpi = make_kpi(project, pm)
    rows = [{"kpi": kpi.pk, "measured_on": "2026-11-01", "value": "100"}]

    response = token_client(pm).post(BULK, {"project": project.code, "rows": rows}, format="json")

    assert response.status_code == 201
    assert Measurement.objects.get().source == "api"


def test_bulk_is_all_or_nothing_with_problems_by_row(api_as, project, pm):
    kpi = make_kpi(project, pm)
    measure(kpi, pm, D(2026, 10, 1), "110")
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    elsewhere = make_kpi(other, pm, name="Elsewhere")
    rows = [
        {"kpi": kpi.pk, "measured_on": "2026-11-01", "value": "100"},  # fine
        {"kpi": kpi.pk, "measured_on": "2099-01-01", "value": "abc"},
        {"kpi": elsewhere.pk, "measured_on": "2026-11-01", "value": "1"},
        {"kpi": kpi.pk, "measured_on": "2026-11-02", "value": "1e400"},
        "not a row",
        {"kpi": kpi.pk, "measured_on": "2026-11-03", "value": "1", "note": {"x": 1}},
    ]

    response = api_as(pm).post(BULK, {"project": project.code, "rows": rows}, format="json")

    assert response.status_code == 400
    problems = [(p["row"], p["column"]) for p in response.json()["rows"]]
    assert problems == [
        (2, "measured_on"),
        (2, "value"),
        (3, "kpi"),
        (4, "value"),
        (5, ""),
        (6, "note"),
    ]
    messages = {(p["row"], p["column"]): p["message"] for p in response.json()["rows"]}
    assert messages[(2, "measured_on")] == "A measurement cannot be in the future."
    assert messages[(2, "value")] == "A valid number is required."
    assert messages[(3, "kpi")] == "Choose a KPI of this project."
    assert Measurement.objects.count() == 1


def test_bulk_refuses_a_day_already_measured(api_as, project, pm):
    kpi = make_kpi(project, pm)
    measure(kpi, pm, D(2026, 11, 1), "110")
    rows = [
        {"kpi": kpi.pk, "measured_on": "2026-11-02", "value": "100"},
        {"kpi": kpi.pk, "measured_on": "2026-11-01", "value": "100"},
    ]

    response = api_as(pm).post(BULK, {"project": project.code, "rows": rows}, format="json")

    assert response.status_code == 400
    assert [(p["row"], p["column"]) for p in response.json()["rows"]] == [(2, "measured_on")]
    assert Measurement.objects.count() == 1


def test_bulk_with_only_a_bad_note_saves_nothing(api_as, project, pm):
    kpi = make_kpi(project, pm)
    rows = [
        {"kpi": kpi.pk, "measured_on": "2026-11-01", "value": "100"},
        {"kpi": kpi.pk, "measured_on": "2026-11-02", "value": "100", "note": ["x"]},
    ]

    response = api_as(pm).post(BULK, {"project": project.code, "rows": rows}, format="json")

    assert response.status_code == 400
    assert [(p["row"], p["column"]) for p in response.json()["rows"]] == [(2, "note")]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("rows", [[], "text", None, {"kpi": 1}])
def test_bulk_without_a_list_of_rows_is_400(api_as, project, pm, rows):
    response = api_as(pm).post(BULK, {"project": project.code, "rows": rows}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"rows"}


def test_bulk_by_a_viewer_is_403_before_the_input_is_read(api_as, project, pm, viewer):
    make_kpi(project, pm)

    response = api_as(viewer).post(BULK, {"project": project.code, "rows": "x"}, format="json")

    assert response.status_code == 403


def test_bulk_by_an_owner_records_their_own_kpis(api_as, project, pm, pilot_user):
    own = make_kpi(project, pm, name="Adoption", owner=pilot_user)
    other = make_kpi(project, pm, name="Errors")
    rows = [
        {"kpi": own.pk, "measured_on": "2026-11-01", "value": "10"},
        {"kpi": other.pk, "measured_on": "2026-11-01", "value": "100"},
    ]
    client = api_as(pilot_user)

    refused = client.post(BULK, {"project": project.code, "rows": rows}, format="json")
    accepted = client.post(BULK, {"project": project.code, "rows": rows[:1]}, format="json")

    assert refused.status_code == 400
    assert [(p["row"], p["column"]) for p in refused.json()["rows"]] == [(2, "kpi")]
    assert accepted.status_code == 201
    assert Measurement.objects.count() == 1


def test_import_records_every_row(api_as, project, pm):
    make_kpi(project, pm, name="Errors")
    text = "kpi,date,value,note\nerrors,2026-10-01,110,\nErrors,2026-11-01,100.5,Nov\n"

    response = api_as(pm).post(
        IMPORT, {"project": project.code, "file": csv_file(text)}, format="multipart"
    )

    assert (response.status_code, response.json()) == (201, {"count": 2})
    assert sorted(Measurement.objects.values_list("value", "source", "note")) == [
        (Decimal("100.5"), "import", "Nov"),
        (Decimal("110"), "import", ""),
    ]


def test_import_is_all_or_nothing_with_problems_by_line(api_as, project, pm):
    make_kpi(project, pm, name="Errors")
    text = (
        "kpi,date,value\n"
        "Errors,2026-10-01,110\n"
        "Nothing,2026-10-02,1\n"
        "Errors,01/10/2026,abc\n"
        "Errors,2099-01-01,1\n"
    )

    response = api_as(pm).post(
        IMPORT, {"project": project.code, "file": csv_file(text)}, format="multipart"
    )

    assert response.status_code == 400
    assert [(p["row"], p["column"]) for p in response.json()["rows"]] == [
        (3, "kpi"),
        (4, "date"),
        (4, "value"),
        (5, "measured_on"),
    ]
    assert not Measurement.objects.exists()

    text = "kpi,date,value\nErrors,2026-10-01,110\nErrors,2099-01-01,1\n"
    response = api_as(pm).post(
        IMPORT, {"project": project.code, "file": csv_file(text)}, format="multipart"
    )
    assert response.json() == {
        "rows": [
            {"row": 3, "column": "measured_on", "message": "A measurement cannot be in the future."}
        ]
    }
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00bad", b"kpi,value\nErrors,1\n", b"kpi,date,value\n", b""],
)
def test_import_of_an_unusable_file_is_400(api_as, project, pm, content):
    make_kpi(project, pm)
    upload = SimpleUploadedFile("values.csv", content, content_type="text/csv")

    response = api_as(pm).post(
        IMPORT, {"project": project.code, "file": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"file"}
    assert not Measurement.objects.exists()


def test_import_without_a_file_is_400(api_as, project, pm):
    response = api_as(pm).post(IMPORT, {"project": project.code}, format="multipart")

    assert response.status_code == 400
    assert set(response.json()) == {"file"}


@pytest.mark.parametrize("role", list(Role))
def test_import_by_role(api_as, project, members, role):
    make_kpi(project, members[Role.PROJECT_MANAGER], name="Errors")
    upload = csv_file("kpi,date,value\nErrors,2026-10-01,110\n")

    response = api_as(members[role]).post(
        IMPORT, {"project": project.code, "file": upload}, format="multipart"
    )

    assert response.status_code == (201 if role in RECORDERS else 403)
    assert Measurement.objects.count() == (1 if role in RECORDERS else 0)


# --- Strangers ----------------------------------------------------------------------------


@pytest.fixture
def stranger_manager(db):
    """A project manager of another project."""
    return MembershipFactory(role=Role.PROJECT_MANAGER).user


@pytest.mark.parametrize("who", ["outsider", "stranger_manager"])
def test_strangers_get_404_for_everything_of_the_project(request, api_as, project, pm, who):
    kpi = make_kpi(project, pm)
    measurement = measure(kpi, pm, D(2026, 11, 1), "100")
    client = api_as(request.getfixturevalue(who))
    before = (row(kpi), row(measurement))

    assert client.get(KPIS, {"project": project.code}).json()["results"] == []
    assert client.get(MEASUREMENTS, {"project": project.code}).json()["results"] == []
    assert client.get(url(kpi)).status_code == 404
    assert client.get(url(kpi, "history")).status_code == 404
    assert client.patch(url(kpi), {"unit": "x"}, format="json").status_code == 404
    body = {"value": "1", "date": "2026-09-01", "reason": "x"}
    assert client.post(url(kpi, "baseline"), body, format="json").status_code == 404
    assert client.get(url(measurement)).status_code == 404
    body = {"value": "1", "note": "x"}
    assert client.post(url(measurement, "correct"), body, format="json").status_code == 404
    # Naming the project or its KPI in a body is a 400, like the other APIs.
    assert client.post(MEASUREMENTS, measurement_body(kpi), format="json").status_code == 400
    rows = {"project": project.code, "rows": [measurement_body(kpi)]}
    assert client.post(BULK, rows, format="json").status_code == 400
    assert (row(kpi), row(measurement)) == before
    assert Measurement.objects.count() == 1


def test_anonymous_clients_get_401(api_client, project, pm):
    kpi = make_kpi(project, pm)
    measurement = measure(kpi, pm, D(2026, 11, 1), "100")

    assert api_client.get(KPIS).status_code == 401
    assert api_client.get(url(kpi)).status_code == 401
    assert api_client.get(f"{KPIS}templates/").status_code == 401
    assert api_client.post(KPIS, kpi_body(project, pm), format="json").status_code == 401
    assert api_client.post(url(kpi, "baseline"), {}, format="json").status_code == 401
    assert api_client.get(MEASUREMENTS).status_code == 401
    assert api_client.post(MEASUREMENTS, measurement_body(kpi), format="json").status_code == 401
    assert api_client.post(url(measurement, "correct"), {}, format="json").status_code == 401
    assert api_client.post(BULK, {}, format="json").status_code == 401
    assert api_client.post(IMPORT, {}).status_code == 401
    assert Measurement.objects.count() == 1


# --- Query counts -------------------------------------------------------------------------


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", "&status=no_data"])
def test_kpi_list_query_count_does_not_grow(api_as, pm, query):
    counts = []
    for size in (2, 20):
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        kpis = [make_kpi(other, pm, name=f"KPI {n}") for n in range(size)]
        for kpi in kpis[::2]:
            measure(kpi, pm, D(2026, 11, 1), "100")
        counts.append(_count(api_as(pm), f"{KPIS}?project={other.code}{query}"))

    assert counts[0] == counts[1]


def test_measurement_list_query_count_does_not_grow(api_as, pm):
    counts = []
    for size in (2, 200):
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        first, second = make_kpi(other, pm, name="A"), make_kpi(other, pm, name="B")
        Measurement.objects.bulk_create(
            Measurement(
                kpi=(first, second)[n % 2],
                measured_on=D(2026, 10, 1) + datetime.timedelta(days=n // 2),
                value=Decimal(n),
                recorded_by=pm,
            )
            for n in range(size)
        )
        counts.append(_count(api_as(pm), f"{MEASUREMENTS}?project={other.code}"))

    assert counts[0] == counts[1]


def test_query_counts_are_pinned(api_as, project, pm, django_assert_num_queries):
    kpi = make_kpi(project, pm)
    measure(kpi, pm, D(2026, 11, 1), "100")
    client = api_as(pm)

    # session-less auth: count, page; measurements: count, page
    with django_assert_num_queries(2):
        client.get(KPIS, {"project": project.code})
    with django_assert_num_queries(2):
        client.get(MEASUREMENTS, {"project": project.code})
