"""CSV and Excel exports of the configuration log: content, filters, file names, formula
neutralisation, access and query counts."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from implementation.choices import Environment, PhaseKind
from implementation.exports import neutralise
from tests.factories import PhaseFactory
from tests.implementation.conftest import HANOI

HEADER = [
    "Number",
    "Applied at",
    "Module or area",
    "Setting or object changed",
    "Old value",
    "New value",
    "Reason",
    "Reference",
    "Requested by",
    "Approved by",
    "Environment",
    "Phase",
    "Corrects",
    "Corrected by",
    "Recorded by",
    "Recorded at",
]
TODAY = datetime.date(2026, 11, 23)


def url(name, project) -> str:
    return reverse(f"implementation:{name}", args=[project.code])


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("projects.models.Project.local_today", lambda project: TODAY, raising=True)


@pytest.fixture
def log(project, pm, key_user, consultant, record_change):
    """CFG-1 (wrong, corrected by CFG-2), CFG-2, and CFG-3 in production."""
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    wrong = record_change(
        consultant,
        area="Purchasing",
        setting="Purchase order approval",
        old_value="Off",
        new_value="From 200,000,000 ₫",
        reason="Approval matrix",
        reference="REQ-40",
        requested_by=key_user,
        approved_by=pm,
        environment=Environment.TEST,
        phase=design,
        applied_at=datetime.datetime(2026, 3, 2, 14, 30, tzinfo=HANOI),
    )
    record_change(
        pm,
        area="Purchasing",
        setting="Purchase order approval",
        old_value="From 200,000,000 ₫",
        new_value="From 20,000,000 ₫",
        reason="CFG-1 had an extra zero.",
        reference="REQ-40",
        requested_by=pm,
        environment=Environment.TEST,
        applied_at=datetime.datetime(2026, 3, 9, 9, 5, tzinfo=HANOI),
        supersedes=wrong,
    )
    record_change(
        pm,
        area="Point of Sale",
        setting="Payment methods",
        old_value="Cash",
        new_value="Cash, VNPAY-QR",
        reason="Most payments are QR.",
        reference="",
        environment=Environment.PRODUCTION,
        applied_at=datetime.datetime(2026, 4, 1, 8, 0, tzinfo=HANOI),
    )


def local(moment) -> str:
    return timezone.localtime(moment, HANOI).strftime("%Y-%m-%d %H:%M")


# --- CSV ----------------------------------------------------------------------------------


def test_csv_has_every_column_in_the_project_time_zone(
    client, project, pm, key_user, consultant, log, frozen_today
):
    client.force_login(pm)

    response = client.get(url("config-export-csv", project))

    rows = csv_rows(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="HNR-ERP-configuration-log-2026-11-23.csv"'
    )
    assert rows[0] == HEADER
    first = project.configuration_changes.get(number=1)
    assert rows[1:] == [
        [
            "3",
            "2026-04-01 08:00",
            "Point of Sale",
            "Payment methods",
            "Cash",
            "Cash, VNPAY-QR",
            "Most payments are QR.",
            "",
            pm.display_name,
            "",
            "Production",
            "",
            "",
            "",
            pm.display_name,
            local(project.configuration_changes.get(number=3).recorded_at),
        ],
        [
            "2",
            "2026-03-09 09:05",
            "Purchasing",
            "Purchase order approval",
            "From 200,000,000 ₫",
            "From 20,000,000 ₫",
            "CFG-1 had an extra zero.",
            "REQ-40",
            pm.display_name,
            "",
            "Test",
            "",
            "CFG-1",
            "",
            pm.display_name,
            local(project.configuration_changes.get(number=2).recorded_at),
        ],
        [
            "1",
            "2026-03-02 14:30",
            "Purchasing",
            "Purchase order approval",
            "Off",
            "From 200,000,000 ₫",
            "Approval matrix",
            "REQ-40",
            key_user.display_name,
            pm.display_name,
            "Test",
            "Design",
            "",
            "CFG-2",
            consultant.display_name,
            local(first.recorded_at),
        ],
    ]


def test_csv_has_the_filtered_rows_only(client, project, pm, log):
    client.force_login(pm)

    rows = csv_rows(client.get(url("config-export-csv", project), {"area": "purchas"}))

    assert [row[0] for row in rows[1:]] == ["2", "1"]


def test_csv_has_every_row_not_one_page(client, project, pm, record_change):
    for _ in range(30):
        record_change(pm)
    client.force_login(pm)

    rows = csv_rows(client.get(url("config-export-csv", project), {"page": 2}))

    assert [row[0] for row in rows[1:]] == [str(n) for n in range(30, 0, -1)]


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","Click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\tcontrol",
        "\rcarriage",
    ],
)
def test_csv_neutralises_every_text_cell_that_could_run_as_a_formula(
    client, project, pm, record_change, value
):
    record_change(
        pm,
        area="@Area",
        setting="-Setting",
        old_value=value,
        new_value=value,
        reason=value,
        reference="=1+1",
    )
    client.force_login(pm)

    row = csv_rows(client.get(url("config-export-csv", project)))[1]

    assert row[2:8] == ["'@Area", "'-Setting", f"'{value}", f"'{value}", f"'{value}", "'=1+1"]


def test_formula_in_a_persons_name_is_neutralised_too(client, project, pm, record_change):
    pm.first_name, pm.last_name = "=cmd", "Evil"
    pm.save()
    record_change(pm)
    client.force_login(pm)

    row = csv_rows(client.get(url("config-export-csv", project)))[1]

    assert row[8] == "'=cmd Evil"
    assert row[14] == "'=cmd Evil"


def test_csv_export_queries_do_not_grow_with_rows(client, project, pm, key_user, record_change):
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    client.force_login(pm)

    def queries_for_the_export() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("config-export-csv", project))
            b"".join(response.streaming_content)
        return len(queries)

    first = record_change(pm, requested_by=key_user, approved_by=pm, phase=design)
    record_change(pm, supersedes=first)
    few = queries_for_the_export()
    for _ in range(18):
        record_change(pm, requested_by=key_user, approved_by=pm, phase=design)
    many = queries_for_the_export()

    assert few == many


# --- Excel --------------------------------------------------------------------------------


def test_xlsx_has_every_column_with_real_numbers_and_times(
    client, project, pm, key_user, consultant, log, frozen_today
):
    client.force_login(pm)

    response = client.get(url("config-export-xlsx", project))

    rows = xlsx_rows(response)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="HNR-ERP-configuration-log-2026-11-23.xlsx"'
    )
    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == [3, 2, 1]
    first = rows[3]
    recorded_at = timezone.localtime(
        project.configuration_changes.get(number=1).recorded_at, HANOI
    ).replace(tzinfo=None, second=0, microsecond=0)
    assert first == [
        1,
        datetime.datetime(2026, 3, 2, 14, 30),  # noqa: DTZ001 - spreadsheets have no zones
        "Purchasing",
        "Purchase order approval",
        "Off",
        "From 200,000,000 ₫",
        "Approval matrix",
        "REQ-40",
        key_user.display_name,
        pm.display_name,
        "Test",
        "Design",
        None,
        "CFG-2",
        consultant.display_name,
        recorded_at,
    ]
    assert rows[2][12] == "CFG-1"


def test_xlsx_has_the_filtered_rows_only(client, project, pm, log):
    client.force_login(pm)

    rows = xlsx_rows(
        client.get(url("config-export-xlsx", project), {"environment": Environment.PRODUCTION})
    )

    assert [row[0] for row in rows[1:]] == [3]


def test_xlsx_neutralises_formulas_so_they_stay_text(client, project, pm, record_change):
    record_change(pm, setting='=HYPERLINK("http://evil.example","Click")', new_value="+SUM(A1)")
    client.force_login(pm)

    response = client.get(url("config-export-xlsx", project))

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet["D2"].value == '\'=HYPERLINK("http://evil.example","Click")'
    assert sheet["D2"].data_type == "s"
    assert sheet["F2"].value == "'+SUM(A1)"
    assert sheet["F2"].data_type == "s"


def test_xlsx_drops_control_characters_the_format_forbids(client, project, pm, record_change):
    record_change(pm, setting="\x01=cmd", new_value="Line one\nline two")
    client.force_login(pm)

    rows = xlsx_rows(client.get(url("config-export-xlsx", project)))

    assert rows[1][3] == "'=cmd"
    assert rows[1][5] == "Line one\nline two"


# --- Access -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["config-export-csv", "config-export-xlsx"])
def test_outsider_gets_404_from_the_exports(client, project, pm, outsider, log, name):
    client.force_login(outsider)

    assert client.get(url(name, project)).status_code == 404


@pytest.mark.parametrize("name", ["config-export-csv", "config-export-xlsx"])
def test_viewer_downloads_the_exports(client, project, viewer, log, name):
    client.force_login(viewer)

    assert client.get(url(name, project)).status_code == 200


# --- The neutraliser itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("VAT 10%", "VAT 10%"),
        ("a=b", "a=b"),
        ("", ""),
        ("'already quoted", "'already quoted"),
    ],
)
def test_neutralise_quotes_only_values_that_start_like_a_formula(value, expected):
    assert neutralise(value) == expected
