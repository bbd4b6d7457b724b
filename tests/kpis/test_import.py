"""CSV import of measurements: every row checked first, problems by the file's line
numbers, nothing saved on any error."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpis import services
from kpis.choices import MeasurementSource
from kpis.models import Measurement
from kpis.services import MAX_IMPORT_ROWS, Problem, RowProblems
from tests.kpis.test_services import make_kpi

D = Decimal


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def today(project):
    return project.local_today()


@pytest.fixture
def kpis(project, pm):
    return make_kpi(project, pm), make_kpi(
        project, pm, name="Orders per hour", direction="higher", target_value=D("12")
    )


def saved():
    return list(Measurement.objects.order_by("pk").values())


def run(project, actor, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return services.measurements_import(actor=actor, project=project, data=data)


def problems_of(project, actor, text) -> list[Problem]:
    with pytest.raises(RowProblems) as error:
        run(project, actor, text)
    assert saved() == []
    return error.value.problems


def file_error(project, actor, text) -> str:
    with pytest.raises(ValidationError) as error:
        run(project, actor, text)
    assert saved() == []
    return error.value.message_dict["file"][0]


def test_a_good_file_is_imported_with_kpis_matched_by_name_ignoring_case(project, pm, kpis, today):
    close, orders = kpis
    d1, d2 = (today - days(1)).isoformat(), (today - days(31)).isoformat()
    text = (
        "KPI, Date ,Value,Note\n"
        f"month-end close,{d1},8,October close\n"
        f"ORDERS PER HOUR,{d1},10.25,\n"
        f'Month-end close,{d2}," 9 ","Two lines,\nof note"\n'
    )

    created = run(project, pm, text)

    assert len(created) == 3
    assert [(m["kpi_id"], m["measured_on"], m["value"], m["note"]) for m in saved()] == [
        (close.pk, today - days(1), D("8"), "October close"),
        (orders.pk, today - days(1), D("10.25"), ""),
        (close.pk, today - days(31), D("9"), "Two lines,\nof note"),
    ]
    assert {(m["source"], m["recorded_by_id"]) for m in saved()} == {
        (MeasurementSource.IMPORT, pm.pk)
    }


def test_a_file_with_a_byte_order_mark_and_windows_line_ends_is_read(project, pm, kpis, today):
    text = f"kpi,date,value\r\nMonth-end close,{today.isoformat()},8\r\n"
    created = run(project, pm, b"\xef\xbb\xbf" + text.encode())
    assert [m.value for m in created] == [D("8")]


def test_the_note_column_is_optional_and_blank_lines_are_skipped(project, pm, kpis, today):
    text = f"kpi,date,value\n\nMonth-end close,{today.isoformat()},8\n,,\n"
    assert len(run(project, pm, text)) == 1


def test_problems_carry_the_files_line_numbers_and_nothing_is_saved(project, pm, kpis, today):
    _close, orders = kpis
    services.measurement_record(actor=pm, kpi=orders, measured_on=today - days(3), value=D("9"))
    before = saved()
    text = (
        "kpi,date,value,note\n"  # line 1
        f"Month-end close,{today.isoformat()},8,fine\n"  # 2
        "\n"  # 3: blank, skipped
        f"Invoices per day,{today.isoformat()},8,\n"  # 4: unknown KPI
        "Month-end close,05/11/2026,8,\n"  # 5: bad date
        "Month-end close,20261105,8,\n"  # 6: not YYYY-MM-DD either
        f"Month-end close,{(today - days(2)).isoformat()},8.5.1,\n"  # 7: bad value
        f'Month-end close,{(today - days(2)).isoformat()},"1,5",\n'  # 8: comma decimal
        f"Month-end close,{today.isoformat()},7,again\n"  # 9: duplicate of line 2
        f"Orders per hour,{(today - days(3)).isoformat()},9,\n"  # 10: day already measured
        f"Orders per hour,{(today + days(1)).isoformat()},9,\n"  # 11: future
        f"Orders per hour,{(today - days(9)).isoformat()},NaN,\n"  # 12: not a number
    )

    with pytest.raises(RowProblems) as error:
        run(project, pm, text)

    day3 = (today - days(3)).isoformat()
    assert error.value.problems == [
        Problem(4, "kpi", "No KPI of this project is called “Invoices per day”."),
        Problem(5, "date", "Write the date as YYYY-MM-DD."),
        Problem(6, "date", "Write the date as YYYY-MM-DD."),
        Problem(7, "value", "Enter a number, with a dot for decimals."),
        Problem(8, "value", "Enter a number, with a dot for decimals."),
        Problem(9, "measured_on", "This KPI and date appear twice."),
        Problem(10, "measured_on", f"{day3} already has a value; correct it on the KPI's page."),
        Problem(11, "measured_on", "A measurement cannot be in the future."),
        Problem(12, "value", "Enter a number, with a dot for decimals."),
    ]
    assert saved() == before


def test_a_row_ending_after_a_multi_line_note_counts_the_files_lines(project, pm, kpis, today):
    text = (
        "kpi,date,value,note\n"
        f'Month-end close,{today.isoformat()},8,"first\nsecond"\n'
        "Month-end close,yesterday,8,\n"
    )
    assert problems_of(project, pm, text) == [Problem(4, "date", "Write the date as YYYY-MM-DD.")]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("kpi,value", "date"),
        ("name,day,amount", "date, kpi, value"),
        ("kpi;date;value", "date, kpi, value"),
    ],
)
def test_missing_columns_are_named(project, pm, kpis, header, missing):
    message = file_error(project, pm, f"{header}\nMonth-end close,2026-11-01,8\n")
    assert message == f"Missing columns: {missing}."


def test_a_file_that_is_not_utf8_is_refused(project, pm, kpis, today):
    data = f"kpi,date,value,note\nMonth-end close,{today.isoformat()},8,Café\n"
    assert file_error(project, pm, data.encode("cp1252")) == "Save the file as UTF-8 CSV."


@pytest.mark.parametrize("text", ["", "   \n\n"])
def test_an_empty_file_is_refused(project, pm, kpis, text):
    assert file_error(project, pm, text) == "The file is empty."


def test_a_file_with_only_its_header_is_refused(project, pm, kpis):
    assert file_error(project, pm, "kpi,date,value\n") == "The file has no rows."


def test_more_than_the_maximum_rows_are_refused(project, pm, kpis, today):
    rows = "".join(
        f"Month-end close,{(today - days(n)).isoformat()},8\n" for n in range(MAX_IMPORT_ROWS + 1)
    )
    message = file_error(project, pm, "kpi,date,value\n" + rows)
    assert message == f"Import at most {MAX_IMPORT_ROWS} rows at a time."


def test_exactly_the_maximum_rows_are_checked_in_a_fixed_number_of_queries(
    project, pm, kpis, today, django_assert_max_num_queries
):
    rows = "".join(
        f"Month-end close,{(today - days(n)).isoformat()},8\n" for n in range(MAX_IMPORT_ROWS)
    )
    # Inserts go in batches (SQLite takes about 140 rows per statement), never one per row.
    with django_assert_max_num_queries(60):
        created = run(project, pm, "kpi,date,value\n" + rows)
    assert len(created) == MAX_IMPORT_ROWS


def test_parse_reports_the_cells_it_cannot_read(project, kpis):
    with pytest.raises(RowProblems) as error:
        services.parse_measurements_csv(
            project=project, data=b"kpi,date,value\nMonth-end close,2026-13-01,x\n"
        )
    assert error.value.problems == [
        Problem(2, "date", "Write the date as YYYY-MM-DD."),
        Problem(2, "value", "Enter a number, with a dot for decimals."),
    ]


def test_an_owner_imports_their_own_kpi_but_not_others(project, pm, pilot_user, kpis, today):
    make_kpi(project, pm, owner=pilot_user, name="Store orders", direction="higher")
    day = today.isoformat()
    text = f"kpi,date,value\nStore orders,{day},9\nMonth-end close,{day},9\n"

    assert problems_of(project, pilot_user, text) == [
        Problem(3, "kpi", "You may not record values of this KPI.")
    ]
    created = run(project, pilot_user, f"kpi,date,value\nStore orders,{today.isoformat()},9\n")
    assert [(m.kpi.name, m.recorded_by) for m in created] == [("Store orders", pilot_user)]


@pytest.mark.parametrize("who", ["viewer", "executive", "it_member", "outsider"])
def test_members_who_record_nothing_may_not_import(request, project, kpis, today, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        run(project, actor, f"kpi,date,value\nMonth-end close,{today.isoformat()},9\n")
    assert saved() == []
