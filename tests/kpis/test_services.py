"""KPI services: defining KPIs, the baseline lock, templates, measurements, bulk entry, and
who may call each service.

The factory project goes live on 2026-10-05, before today: its baselines are locked. The
`before_go_live` fixture moves go-live 60 days ahead to test the time before it.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpis import catalogue, selectors, services
from kpis.choices import Cadence, Direction, KpiCategory, MeasurementSource
from kpis.models import BaselineChange, Kpi, Measurement
from kpis.services import Problem, RowProblems
from projects.choices import Role
from projects.models import Project
from tests.factories import MembershipFactory, ProjectFactory

D = Decimal


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def today(project):
    return project.local_today()


@pytest.fixture
def before_go_live(project, today):
    project.target_go_live = today + days(60)
    project.save(update_fields=["target_go_live"])
    return project


def make_kpi(project, actor, owner=None, **fields):
    """A lower-is-better KPI (month-end close from 10 days to 5), through the service."""
    values = {
        "name": "Month-end close",
        "category": KpiCategory.FINANCE,
        "unit": "days",
        "direction": Direction.LOWER,
        "target_value": D("5"),
        "target_date": project.target_go_live + days(180),
        "cadence": Cadence.MONTHLY,
        "owner": owner or actor,
    }
    values.update(fields)
    return services.kpi_create(actor=actor, project=project, **values)


def kpi_rows():
    return list(Kpi.objects.values())


def history():
    return list(BaselineChange.objects.values())


def measurements():
    return list(Measurement.objects.order_by("pk").values())


# --- Defining KPIs ------------------------------------------------------------------------


def test_create_with_a_baseline_before_go_live_records_the_first_history_row(
    before_go_live, pm, today
):
    kpi = make_kpi(
        before_go_live,
        pm,
        baseline_value=D("10"),
        baseline_date=today - days(20),
        baseline_method="  Average of the last three closes.  ",
    )

    assert (kpi.baseline_value, kpi.baseline_date) == (D("10"), today - days(20))
    assert kpi.baseline_method == "Average of the last three closes."
    assert kpi.created_by == pm
    change = kpi.baseline_changes.get()
    assert (change.old_value, change.old_date, change.new_value, change.new_date) == (
        None,
        None,
        D("10"),
        today - days(20),
    )
    assert (change.changed_by, change.reason, change.after_go_live) == (pm, "", False)
    row = selectors.kpi_rows(
        selectors.kpi_list(user=pm, project=before_go_live), project=kpi.project
    )
    assert row[0].figures.status == "no_data"  # baseline, nothing measured yet


def test_create_without_a_baseline_writes_no_history(before_go_live, pm):
    kpi = make_kpi(before_go_live, pm)
    assert not kpi.has_baseline
    assert history() == []


def test_create_refuses_an_owner_from_outside_the_team(before_go_live, pm, outsider):
    with pytest.raises(ValidationError) as error:
        make_kpi(before_go_live, pm, owner=outsider)
    assert error.value.message_dict == {"owner": ["Choose a member of this project's team."]}
    assert kpi_rows() == []


@pytest.mark.parametrize(
    ("direction", "target", "message"),
    [
        (Direction.LOWER, "12", "Lower is better: the target cannot be above the baseline."),
        (Direction.HIGHER, "8", "Higher is better: the target cannot be below the baseline."),
    ],
)
def test_create_refuses_a_target_on_the_wrong_side_of_the_baseline(
    before_go_live, pm, today, direction, target, message
):
    with pytest.raises(ValidationError) as error:
        make_kpi(
            before_go_live,
            pm,
            direction=direction,
            target_value=D(target),
            baseline_value=D("10"),
            baseline_date=today - days(5),
        )
    assert error.value.message_dict == {"target_value": [message]}
    assert kpi_rows() == []


def test_create_refuses_a_target_date_before_the_baseline_date(before_go_live, pm, today):
    with pytest.raises(ValidationError) as error:
        make_kpi(
            before_go_live,
            pm,
            baseline_value=D("10"),
            baseline_date=today - days(5),
            target_date=today - days(6),
        )
    assert "The target date must be after the baseline date." in str(error.value)
    assert kpi_rows() == []


def test_create_refuses_a_baseline_value_without_its_date(before_go_live, pm):
    with pytest.raises(ValidationError) as error:
        make_kpi(before_go_live, pm, baseline_value=D("10"))
    assert error.value.message_dict["baseline_date"] == [
        "A baseline needs both a value and a date."
    ]
    assert kpi_rows() == []


def test_create_refuses_a_baseline_date_without_its_value(before_go_live, pm, today):
    with pytest.raises(ValidationError) as error:
        make_kpi(before_go_live, pm, baseline_date=today - days(3))
    assert error.value.message_dict["baseline_value"] == [
        "A baseline needs both a value and a date."
    ]


def test_create_refuses_a_duplicate_name_ignoring_case(before_go_live, pm):
    make_kpi(before_go_live, pm)
    with pytest.raises(ValidationError) as error:
        make_kpi(before_go_live, pm, name="  MONTH-END close ")
    assert error.value.message_dict == {"name": ["This project already has a KPI of that name."]}
    assert Kpi.objects.count() == 1


def test_the_same_name_is_fine_in_another_project(before_go_live, pm):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    make_kpi(before_go_live, pm)
    make_kpi(other, pm)
    assert Kpi.objects.count() == 2


def test_create_with_a_baseline_from_go_live_on_is_refused(project, pm, today):
    with pytest.raises(ValidationError) as error:
        make_kpi(project, pm, baseline_value=D("10"), baseline_date=datetime.date(2026, 9, 1))
    assert "baseline_value" in error.value.message_dict
    assert kpi_rows() == []


def test_update_changes_fields_and_checks_the_target_against_the_baseline(
    before_go_live, pm, consultant, today
):
    kpi = make_kpi(before_go_live, pm, baseline_value=D("10"), baseline_date=today - days(1))

    updated = services.kpi_update(actor=consultant, kpi=kpi, target_value=D("6"), owner=consultant)
    assert (updated.target_value, updated.owner) == (D("6"), consultant)

    with pytest.raises(ValidationError) as error:
        services.kpi_update(actor=pm, kpi=kpi, target_value=D("12"))
    assert list(error.value.message_dict) == ["target_value"]
    kpi.refresh_from_db()
    assert kpi.target_value == D("6")


def test_update_refuses_unknown_fields_and_the_baseline(before_go_live, pm):
    kpi = make_kpi(before_go_live, pm)
    with pytest.raises(TypeError):
        services.kpi_update(actor=pm, kpi=kpi, baseline_value=D("1"))


def test_update_refuses_a_name_taken_by_another_kpi(before_go_live, pm):
    make_kpi(before_go_live, pm)
    other = make_kpi(before_go_live, pm, name="Invoices per day", direction=Direction.HIGHER)
    with pytest.raises(ValidationError) as error:
        services.kpi_update(actor=pm, kpi=other, name="month-end CLOSE")
    assert error.value.message_dict == {"name": ["This project already has a KPI of that name."]}


# --- The baseline lock --------------------------------------------------------------------


def test_before_go_live_a_kpi_manager_records_and_changes_the_baseline(
    before_go_live, pm, consultant, today
):
    kpi = make_kpi(before_go_live, pm)

    services.kpi_set_baseline(
        actor=consultant, kpi=kpi, value=D("10"), day=today - days(30), method="Three closes."
    )
    kpi = services.kpi_set_baseline(actor=pm, kpi=kpi, value=D("11"), day=today - days(10))

    assert (kpi.baseline_value, kpi.baseline_date, kpi.baseline_method) == (
        D("11"),
        today - days(10),
        "Three closes.",
    )
    rows = list(kpi.baseline_changes.order_by("pk"))
    assert [(r.old_value, r.new_value, r.changed_by, r.after_go_live) for r in rows] == [
        (None, D("10"), consultant, False),
        (D("10"), D("11"), pm, False),
    ]
    assert rows[1].old_date == today - days(30)
    assert rows[1].old_method == rows[1].new_method == "Three closes."


def _locked_kpi(project, pm):
    """A KPI with a baseline recorded before go-live, on a project now past go-live."""
    today = project.local_today()
    project.target_go_live = today + days(30)
    project.save(update_fields=["target_go_live"])
    kpi = make_kpi(project, pm, baseline_value=D("10"), baseline_date=today - days(40))
    project.target_go_live = today
    project.save(update_fields=["target_go_live"])
    return Kpi.objects.select_related("project").get(pk=kpi.pk)


def test_from_go_live_on_a_consultant_may_not_change_the_baseline(project, pm, consultant):
    kpi = _locked_kpi(project, pm)
    before = history()

    with pytest.raises(PermissionDenied):
        services.kpi_set_baseline(
            actor=consultant, kpi=kpi, value=D("9"), day=kpi.baseline_date, reason="Recounted."
        )

    kpi.refresh_from_db()
    assert kpi.baseline_value == D("10")
    assert history() == before


def test_from_go_live_on_the_project_manager_must_give_a_reason(project, pm):
    kpi = _locked_kpi(project, pm)
    before = history()

    with pytest.raises(ValidationError) as error:
        services.kpi_set_baseline(
            actor=pm, kpi=kpi, value=D("9"), day=kpi.baseline_date, reason="   "
        )

    assert error.value.message_dict == {"reason": ["Say why a baseline changes after go-live."]}
    kpi.refresh_from_db()
    assert kpi.baseline_value == D("10")
    assert history() == before


def test_from_go_live_on_the_project_manager_changes_it_with_a_reason_kept_in_history(
    project, pm, today
):
    kpi = _locked_kpi(project, pm)
    old_date = kpi.baseline_date

    kpi = services.kpi_set_baseline(
        actor=pm,
        kpi=kpi,
        value=D("12"),
        day=old_date - days(5),
        method="Closes of March to May.",
        reason="  The June close was distorted by the audit.  ",
    )

    assert (kpi.baseline_value, kpi.baseline_date) == (D("12"), old_date - days(5))
    change = kpi.baseline_changes.order_by("pk").last()
    assert (change.old_value, change.old_date, change.new_value, change.new_date) == (
        D("10"),
        old_date,
        D("12"),
        old_date - days(5),
    )
    assert change.new_method == "Closes of March to May."
    assert change.reason == "The June close was distorted by the audit."
    assert change.after_go_live is True
    assert change.changed_by == pm


def test_the_lock_starts_on_the_go_live_day_itself(project, today):
    project.target_go_live = today + days(1)
    assert not services.baseline_is_locked(project)
    project.target_go_live = today
    assert services.baseline_is_locked(project)


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (1, "The baseline cannot be dated in the future."),
        (61, "The baseline cannot be dated in the future."),
    ],
)
def test_a_baseline_dated_in_the_future_is_refused(before_go_live, pm, today, offset, message):
    kpi = make_kpi(before_go_live, pm)
    with pytest.raises(ValidationError) as error:
        services.kpi_set_baseline(actor=pm, kpi=kpi, value=D("10"), day=today + days(offset))
    assert error.value.message_dict == {"day": [message]}
    assert history() == []


def test_a_baseline_dated_after_go_live_is_refused(project, pm, today):
    kpi = _locked_kpi(project, pm)
    project.target_go_live = today - days(3)
    project.save(update_fields=["target_go_live"])
    kpi = Kpi.objects.select_related("project").get(pk=kpi.pk)
    with pytest.raises(ValidationError) as error:
        services.kpi_set_baseline(
            actor=pm, kpi=kpi, value=D("10"), day=today - days(1), reason="Recounted."
        )
    assert error.value.message_dict == {
        "day": [f"The baseline is measured before go-live ({(today - days(3)).isoformat()})."]
    }


def test_a_baseline_that_puts_the_target_on_the_wrong_side_is_refused(before_go_live, pm, today):
    kpi = make_kpi(before_go_live, pm)  # lower is better, target 5
    with pytest.raises(ValidationError) as error:
        services.kpi_set_baseline(actor=pm, kpi=kpi, value=D("4"), day=today)
    assert error.value.message_dict == {
        "value": ["Lower is better: the target cannot be above the baseline."]
    }
    assert history() == []


def test_may_set_baseline_follows_the_service(project, pm, consultant, key_user):
    kpi = _locked_kpi(project, pm)
    assert [services.may_set_baseline(u, kpi) for u in (pm, consultant, key_user)] == [
        True,
        False,
        False,
    ]


# --- Templates ----------------------------------------------------------------------------


def test_templates_add_kpis_in_one_go_with_target_dates_after_go_live(before_go_live, pm):
    go_live = before_go_live.target_go_live

    created = services.kpis_add_from_templates(
        actor=pm, project=before_go_live, keys=["data_entry_errors", "month_end_close"]
    )

    assert [(k.template_key, k.name, k.owner, k.has_baseline) for k in created] == [
        ("data_entry_errors", "Data-entry errors", pm, False),
        ("month_end_close", "Month-end close", pm, False),
    ]
    assert created[0].target_date == services._months_after(go_live, 3)
    assert created[1].target_date == services._months_after(go_live, 6)
    assert created[0].target_value == catalogue.TEMPLATES_BY_KEY["data_entry_errors"].example_target


def test_templates_skip_kpis_that_exist_and_repeated_keys(before_go_live, pm):
    make_kpi(before_go_live, pm)  # "Month-end close"

    created = services.kpis_add_from_templates(
        actor=pm,
        project=before_go_live,
        keys=["month_end_close", "weekly_active_users", "weekly_active_users"],
    )

    assert [k.template_key for k in created] == ["weekly_active_users"]
    assert Kpi.objects.count() == 2


@pytest.mark.parametrize("keys", [[], ["no_such_template"]])
def test_templates_refuse_an_empty_or_unknown_choice(before_go_live, pm, keys):
    with pytest.raises(ValidationError):
        services.kpis_add_from_templates(actor=pm, project=before_go_live, keys=keys)
    assert kpi_rows() == []


def test_months_after_keeps_the_day_or_takes_the_month_end():
    assert services._months_after(datetime.date(2026, 10, 5), 3) == datetime.date(2027, 1, 5)
    assert services._months_after(datetime.date(2026, 8, 31), 6) == datetime.date(2027, 2, 28)
    assert services._months_after(datetime.date(2027, 8, 31), 6) == datetime.date(2028, 2, 29)


# --- Measurements -------------------------------------------------------------------------


@pytest.fixture
def kpi(project, pm):
    return make_kpi(project, pm)


def test_record_keeps_date_value_note_and_who(kpi, key_user, today):
    measurement = services.measurement_record(
        actor=key_user, kpi=kpi, measured_on=today, value=D("8.123456"), note=" Oct close "
    )

    measurement.refresh_from_db()
    assert (measurement.measured_on, measurement.value, measurement.note) == (
        today,
        D("8.1235"),
        "Oct close",
    )
    assert (measurement.recorded_by, measurement.source) == (key_user, MeasurementSource.MANUAL)


def test_a_measurement_in_the_future_is_refused(kpi, pm, today):
    with pytest.raises(ValidationError) as error:
        services.measurement_record(actor=pm, kpi=kpi, measured_on=today + days(1), value=D("8"))
    assert error.value.message_dict == {"measured_on": ["A measurement cannot be in the future."]}
    assert measurements() == []


def test_a_second_value_for_the_same_day_is_refused(kpi, pm, today):
    services.measurement_record(actor=pm, kpi=kpi, measured_on=today, value=D("8"))
    with pytest.raises(ValidationError) as error:
        services.measurement_record(actor=pm, kpi=kpi, measured_on=today, value=D("7"))
    assert error.value.message_dict == {
        "measured_on": [
            f"{today.isoformat()} already has a value; correct that measurement instead."
        ]
    }
    assert [m["value"] for m in measurements()] == [D("8")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (8, "Enter a number."),
        (8.5, "Enter a number."),
        ("8", "Enter a number."),
        (D("NaN"), "Enter a number."),
        (D("Infinity"), "Enter a number."),
        (D("1e11"), "Enter a number below one hundred billion."),
        (D("-1e11"), "Enter a number below one hundred billion."),
        (D("99999999999.99995"), "Enter a number below one hundred billion."),
        (None, "Give the measured value."),
    ],
)
def test_a_value_that_is_not_a_finite_decimal_below_a_trillion_is_refused(
    kpi, pm, today, value, message
):
    with pytest.raises(ValidationError) as error:
        services.measurement_record(actor=pm, kpi=kpi, measured_on=today, value=value)
    assert error.value.message_dict == {"value": [message]}
    assert measurements() == []


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (None, "Give the date of the measurement."),
        ("2026-11-01", "Enter a valid date."),
        (datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.UTC), "Enter a valid date."),
        (datetime.date(1999, 12, 31), "Enter a date between 2000 and 2100."),
    ],
)
def test_a_date_that_is_not_a_plausible_day_is_refused(kpi, pm, day, message):
    with pytest.raises(ValidationError) as error:
        services.measurement_record(actor=pm, kpi=kpi, measured_on=day, value=D("8"))
    assert error.value.message_dict == {"measured_on": [message]}


def test_a_large_value_below_the_limit_is_recorded(kpi, pm, today):
    # The largest value allowed still reads back exactly on SQLite, which keeps floats.
    measurement = services.measurement_record(
        actor=pm, kpi=kpi, measured_on=today, value=D("99999999999.9999")
    )
    measurement.refresh_from_db()
    assert measurement.value == D("99999999999.9999")


def test_an_owner_pilot_user_records_their_own_kpi_but_not_others(project, pm, pilot_user, today):
    own = make_kpi(project, pm, owner=pilot_user, name="Orders per hour", direction="higher")
    other = make_kpi(project, pm)

    services.measurement_record(actor=pilot_user, kpi=own, measured_on=today, value=D("9"))
    with pytest.raises(PermissionDenied):
        services.measurement_record(actor=pilot_user, kpi=other, measured_on=today, value=D("9"))

    assert [(m["kpi_id"], m["recorded_by_id"]) for m in measurements()] == [(own.pk, pilot_user.pk)]


def test_a_viewer_may_not_record(kpi, viewer, today):
    with pytest.raises(PermissionDenied):
        services.measurement_record(actor=viewer, kpi=kpi, measured_on=today, value=D("9"))
    assert measurements() == []


def test_a_correction_keeps_the_earlier_value_and_who_recorded_it(kpi, pm, key_user, today):
    first = services.measurement_record(
        actor=pm, kpi=kpi, measured_on=today, value=D("8"), note="First count"
    )

    corrected = services.measurement_correct(
        actor=key_user, measurement=first, value=D("7.5"), note=" Two invoices were counted twice. "
    )

    corrected.refresh_from_db()
    assert (corrected.value, corrected.note, corrected.recorded_by) == (
        D("7.5000"),
        "Two invoices were counted twice.",
        key_user,
    )
    assert len(corrected.corrections) == 1
    earlier = corrected.corrections[0]
    assert (earlier["value"], earlier["note"], earlier["by"]) == (
        "8.0000",
        "First count",
        pm.username,
    )
    assert earlier["at"] == first.recorded_at.isoformat()
    assert Measurement.objects.count() == 1


def test_a_correction_needs_a_note(kpi, pm, today):
    first = services.measurement_record(actor=pm, kpi=kpi, measured_on=today, value=D("8"))
    before = measurements()
    with pytest.raises(ValidationError) as error:
        services.measurement_correct(actor=pm, measurement=first, value=D("7"), note="  ")
    assert error.value.message_dict == {"note": ["Say why the value is corrected."]}
    assert measurements() == before


# --- Bulk entry ---------------------------------------------------------------------------


@pytest.fixture
def two_kpis(project, pm):
    return make_kpi(project, pm), make_kpi(
        project, pm, name="Orders per hour", direction=Direction.HIGHER, target_value=D("12")
    )


def test_bulk_records_every_row(project, pm, two_kpis, today):
    close, orders = two_kpis
    created = services.measurements_record_bulk(
        actor=pm,
        project=project,
        rows=[
            {"kpi": close, "measured_on": today, "value": D("8"), "note": " ok "},
            {"kpi": orders, "measured_on": today, "value": D("10.5")},
            {"kpi": close, "measured_on": today - days(30), "value": D("9")},
        ],
    )
    assert len(created) == 3
    assert sorted((m["kpi_id"], m["value"], m["note"]) for m in measurements()) == sorted(
        [(close.pk, D("8"), "ok"), (orders.pk, D("10.5"), ""), (close.pk, D("9"), "")]
    )


def test_bulk_is_all_or_nothing_with_every_problem_by_row_and_column(project, pm, two_kpis, today):
    close, orders = two_kpis
    services.measurement_record(actor=pm, kpi=orders, measured_on=today - days(7), value=D("9"))
    other_project_kpi = make_kpi(_other_project(pm), pm)
    before = measurements()

    with pytest.raises(RowProblems) as error:
        services.measurements_record_bulk(
            actor=pm,
            project=project,
            rows=[
                {"kpi": close, "measured_on": today, "value": D("8")},  # fine
                {"kpi": close, "measured_on": today + days(1), "value": D("NaN")},
                {"kpi": orders, "measured_on": today - days(7), "value": D("9")},  # measured
                {"kpi": close, "measured_on": today, "value": D("7")},  # twice in the batch
                {"kpi": other_project_kpi, "measured_on": today, "value": D("7")},
                {"kpi": None, "measured_on": today, "value": D("7")},
            ],
        )

    assert error.value.problems == [
        Problem(2, "measured_on", "A measurement cannot be in the future."),
        Problem(2, "value", "Enter a number."),
        Problem(
            3,
            "measured_on",
            f"{(today - days(7)).isoformat()} already has a value; correct it on the KPI's page.",
        ),
        Problem(4, "measured_on", "This KPI and date appear twice."),
        Problem(5, "kpi", "Choose a KPI of this project."),
        Problem(6, "kpi", "Choose a KPI of this project."),
    ]
    assert measurements() == before


def test_bulk_reports_against_the_given_row_numbers(project, pm, two_kpis, today):
    close, _orders = two_kpis
    with pytest.raises(RowProblems) as error:
        services.measurements_record_bulk(
            actor=pm,
            project=project,
            rows=[{"row": 7, "kpi": close, "measured_on": today, "value": None}],
        )
    assert error.value.problems == [Problem(7, "value", "Give the measured value.")]


def test_bulk_refuses_an_empty_batch(project, pm):
    with pytest.raises(ValidationError):
        services.measurements_record_bulk(actor=pm, project=project, rows=[])


def test_bulk_by_an_owner_refuses_the_rows_of_other_kpis(project, pm, pilot_user, today):
    own = make_kpi(project, pm, owner=pilot_user, name="Orders per hour", direction="higher")
    other = make_kpi(project, pm)

    with pytest.raises(RowProblems) as error:
        services.measurements_record_bulk(
            actor=pilot_user,
            project=project,
            rows=[
                {"kpi": own, "measured_on": today, "value": D("9")},
                {"kpi": other, "measured_on": today, "value": D("9")},
            ],
        )

    assert error.value.problems == [Problem(2, "kpi", "You may not record values of this KPI.")]
    assert measurements() == []


def _other_project(pm):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    return other


# --- Who may call each service ------------------------------------------------------------

ALLOWED = True
DENIED = PermissionDenied

# role -> service -> expected; every role of a member, and an outsider.
POLICY = {
    # create, update, templates, baseline, baseline locked, record, correct, bulk, import
    Role.PROJECT_MANAGER: (
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    Role.CONSULTANT: (
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        DENIED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    Role.IT: (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    Role.KEY_USER: (DENIED, DENIED, DENIED, DENIED, DENIED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    Role.PILOT_USER: (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    Role.EXECUTIVE: (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    Role.VIEWER: (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    "outsider": (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
}
SERVICES = (
    "create",
    "update",
    "templates",
    "baseline",
    "baseline_locked",
    "record",
    "correct",
    "bulk",
    "import",
)


def _call(service, actor, project, manager):
    """Call one service as `actor` on KPIs owned by the project manager."""
    today = project.local_today()
    if service == "baseline_locked":
        kpi = _locked_kpi(project, manager)
        return services.kpi_set_baseline(
            actor=actor, kpi=kpi, value=D("11"), day=kpi.baseline_date, reason="Recounted."
        )
    project.target_go_live = today + days(60)
    project.save(update_fields=["target_go_live"])
    kpi = make_kpi(project, manager, name="Existing")
    if service == "create":
        return make_kpi(project, actor, owner=manager)
    if service == "update":
        return services.kpi_update(actor=actor, kpi=kpi, description="Changed")
    if service == "templates":
        return services.kpis_add_from_templates(
            actor=actor, project=project, keys=["month_end_close"]
        )
    if service == "baseline":
        return services.kpi_set_baseline(actor=actor, kpi=kpi, value=D("10"), day=today)
    if service == "record":
        return services.measurement_record(actor=actor, kpi=kpi, measured_on=today, value=D("7"))
    if service == "correct":
        measurement = services.measurement_record(
            actor=manager, kpi=kpi, measured_on=today, value=D("7")
        )
        return services.measurement_correct(
            actor=actor, measurement=measurement, value=D("6"), note="Recounted."
        )
    if service == "bulk":
        return services.measurements_record_bulk(
            actor=actor,
            project=project,
            rows=[{"kpi": kpi, "measured_on": today, "value": D("7")}],
        )
    assert service == "import"
    data = f"kpi,date,value\nExisting,{today.isoformat()},7\n".encode()
    return services.measurements_import(actor=actor, project=project, data=data)


@pytest.mark.parametrize("role", list(POLICY))
@pytest.mark.parametrize("service", SERVICES)
def test_policy_of_every_role_on_every_service(role, service, project, members, outsider):
    manager = members[Role.PROJECT_MANAGER]
    actor = outsider if role == "outsider" else members[role]
    expected = POLICY[role][SERVICES.index(service)]

    if expected is ALLOWED:
        assert _call(service, actor, project, manager) is not None
    else:
        with pytest.raises(PermissionDenied):
            _call(service, actor, project, manager)


def test_the_policy_table_covers_every_role_and_service():
    """The table above is written by hand; this guards it against a role being forgotten."""
    assert set(POLICY) == {*Role, "outsider"}
    assert all(len(row) == len(SERVICES) for row in POLICY.values())


def test_a_superuser_who_is_not_on_the_team_may_manage_and_record(project, pm, superuser):
    project.target_go_live = project.local_today() + days(60)
    project.save(update_fields=["target_go_live"])
    kpi = make_kpi(project, superuser, owner=pm)
    services.measurement_record(
        actor=superuser, kpi=kpi, measured_on=project.local_today(), value=D("7")
    )
    assert Measurement.objects.get().recorded_by == superuser


# --- Reads -------------------------------------------------------------------------------


def test_kpi_list_costs_the_same_queries_for_2_and_20_measurements(
    project, pm, django_assert_num_queries
):
    first, second = make_kpi(project, pm), make_kpi(project, pm, name="Other")
    today = project.local_today()

    def read():
        fresh = Project.objects.get(pk=project.pk)
        with django_assert_num_queries(2):  # the reader's role, then the KPIs
            rows = selectors.kpi_rows(selectors.kpi_list(user=pm, project=fresh), project=fresh)
            [row.kpi.owner.display_name for row in rows]
        return rows

    for n in range(1, 2):
        for kpi in (first, second):
            services.measurement_record(actor=pm, kpi=kpi, measured_on=today - days(n), value=D(n))
    read()
    for n in range(2, 11):
        for kpi in (first, second):
            services.measurement_record(actor=pm, kpi=kpi, measured_on=today - days(n), value=D(n))
    rows = read()
    assert [row.figures.latest_value for row in rows] == [D("1"), D("1")]
    assert Measurement.objects.count() == 20


def test_an_outsider_sees_no_kpi(project, pm, outsider):
    from django.http import Http404

    make_kpi(project, pm)
    with pytest.raises(Http404):
        selectors.kpi_list(user=outsider, project=project)
