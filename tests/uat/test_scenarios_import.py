import csv
import io
import time

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from tests.uat.test_scenarios_helpers import make_scenario, snapshot, steps_of
from uat import models, scenario_io
from uat.scenario_io import COLUMNS, Problem
from uat.services import scenarios as services

HEADER = list(COLUMNS)


def row(code="UAT-FIN-01", step="1", **overrides):
    values = {
        "code": code,
        "title": "Close the month",
        "module": "Finance - Month-end close",
        "department": "accounting_finance",
        "priority": "high",
        "preconditions": "Period open",
        "requirement_reference": "REQ-7",
        "step": step,
        "action": f"Action {step}",
        "expected_result": f"Result {step}",
    } | overrides
    return [values[column] for column in HEADER]


def csv_bytes(rows, header=HEADER, bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(project, actor, data, name="scenarios.csv"):
    return services.scenario_import(
        actor=actor, project=project, upload=io.BytesIO(data), file_name=name
    )


def problems_of(project, actor, data, name="scenarios.csv"):
    before = snapshot()
    with pytest.raises(services.ScenarioImportError) as caught:
        run_import(project, actor, data, name)
    assert snapshot() == before
    return caught.value.problems


@pytest.mark.parametrize("bom", [False, True])
def test_csv_import_creates_scenarios_with_steps_in_number_order(project, key_user, bom):
    data = csv_bytes([row(step="2"), row(step="1"), row(code="UAT-FIN-02", step="1")], bom=bom)

    result = run_import(project, key_user, data)

    assert result == services.ImportResult(created=2, updated=0, steps=3)
    scenario = models.TestScenario.objects.get(project=project, code="UAT-FIN-01")
    assert scenario.title == "Close the month"
    assert scenario.department == "accounting_finance"
    assert scenario.priority == "high"
    assert steps_of(scenario) == [(1, "Action 1", "Result 1"), (2, "Action 2", "Result 2")]


def test_xlsx_import_reads_numbers_as_step_numbers(project, pm):
    data = xlsx_bytes([row(step=1), row(step=2.0)])

    result = run_import(project, pm, data, name="scenarios.xlsx")

    assert result == services.ImportResult(created=1, updated=0, steps=2)


def test_import_replaces_the_steps_of_an_existing_code(project, pm):
    scenario = make_scenario(project, code="UAT-FIN-01", steps=5)

    result = run_import(project, pm, csv_bytes([row(step="1", action="New action")]))

    assert result == services.ImportResult(created=0, updated=1, steps=1)
    scenario.refresh_from_db()
    assert scenario.title == "Close the month"
    assert steps_of(scenario) == [(1, "New action", "Result 1")]


def test_department_and_priority_accept_the_english_label_in_any_case(project, pm):
    run_import(project, pm, csv_bytes([row(department="ACCOUNTING / finance", priority="Low")]))

    scenario = models.TestScenario.objects.get()
    assert (scenario.department, scenario.priority) == ("accounting_finance", "low")


def test_blank_department_and_priority_take_the_defaults(project, pm):
    run_import(project, pm, csv_bytes([row(department="", priority="")]))

    scenario = models.TestScenario.objects.get()
    assert (scenario.department, scenario.priority) == ("other", "medium")


def test_empty_file_is_refused(project, pm):
    assert problems_of(project, pm, b"") == [Problem(1, "", "The file is empty.")]


def test_header_without_rows_is_refused(project, pm):
    assert problems_of(project, pm, csv_bytes([])) == [
        Problem(2, "", "The file has a header but no scenario rows.")
    ]


def test_missing_and_unknown_columns_are_named_in_one_error(project, pm):
    header = [column for column in HEADER if column != "priority"] + ["owner"]

    problems = problems_of(project, pm, csv_bytes([], header=header))

    assert problems == [
        Problem(
            1,
            "",
            "Missing columns: priority. Unknown columns: owner. The columns must be exactly: "
            + ", ".join(HEADER)
            + ".",
        )
    ]


def test_a_file_that_is_not_utf8_is_refused(project, pm):
    data = csv_bytes([row(title="Café")]).decode().encode("cp1258")

    assert problems_of(project, pm, data) == [
        Problem(1, "", "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
    ]


def test_a_broken_workbook_is_refused(project, pm):
    assert problems_of(project, pm, b"not a zip", name="scenarios.xlsx") == [
        Problem(1, "", "The file is not an Excel workbook (.xlsx).")
    ]


def test_other_file_types_are_refused(project, pm):
    assert problems_of(project, pm, b"code", name="scenarios.txt") == [
        Problem(1, "", "Upload a .csv or .xlsx file.")
    ]


def test_conflicting_titles_for_one_code_are_refused(project, pm):
    data = csv_bytes([row(step="1"), row(step="2", title="Another title")])

    assert problems_of(project, pm, data) == [
        Problem(3, "title", "Scenario UAT-FIN-01 has a different title on row 2.")
    ]


def test_bad_and_duplicate_step_numbers_are_refused(project, pm):
    data = csv_bytes([row(step="1"), row(step="one"), row(step="1"), row(step="0")])

    assert problems_of(project, pm, data) == [
        Problem(3, "step", "The step number must be a whole number from 1 to 32767."),
        Problem(4, "step", "Scenario UAT-FIN-01 already has a step 1."),
        Problem(5, "step", "The step number must be a whole number from 1 to 32767."),
    ]


def test_unknown_department_and_priority_are_refused(project, pm):
    data = csv_bytes([row(department="Marketing", priority="urgent")])

    assert problems_of(project, pm, data) == [
        Problem(
            2,
            "department",
            "Unknown department “Marketing”. Use one of: sales, accounting_finance, warehouse, "
            "purchasing, production, hr, it, management, other.",
        ),
        Problem(2, "priority", "Unknown priority “urgent”. Use one of: high, medium, low."),
    ]


def test_every_row_is_checked_and_one_bad_row_imports_nothing(project, pm):
    make_scenario(project, code="UAT-FIN-01", steps=2)
    data = csv_bytes(
        [row(step="1"), row(code="UAT-FIN-02", action=""), row(code="", step="1"), row(step="2")]
    )

    assert problems_of(project, pm, data) == [
        Problem(3, "action", "This column is required."),
        Problem(4, "code", "This column is required."),
    ]


def test_too_long_values_are_refused(project, pm):
    assert problems_of(project, pm, csv_bytes([row(code="C" * 31)])) == [
        Problem(2, "code", "At most 30 characters (it has 31).")
    ]


@pytest.mark.parametrize("role", ["it_member", "pilot_user", "executive", "viewer"])
def test_members_without_manage_tests_cannot_import(request, project, role):
    actor = request.getfixturevalue(role)
    before = snapshot()

    with pytest.raises(PermissionDenied):
        run_import(project, actor, csv_bytes([row()]))

    assert snapshot() == before


def test_ten_thousand_rows_import_quickly_in_few_queries(
    project, pm, django_assert_max_num_queries
):
    rows = [row(code=f"UAT-{n // 10:04d}", step=str(n % 10 + 1)) for n in range(10_000)]
    data = csv_bytes(rows)
    started = time.monotonic()

    with django_assert_max_num_queries(100):  # batches, never per row
        result = run_import(project, pm, data)

    assert time.monotonic() - started < 10
    assert result == services.ImportResult(created=1000, updated=0, steps=10_000)
    assert models.ScenarioStep.objects.filter(scenario__project=project).count() == 10_000


def _scenario_state(project):
    return [
        (
            s.code,
            s.title,
            s.module,
            s.department,
            s.priority,
            s.preconditions,
            s.requirement_reference,
            steps_of(s),
        )
        for s in models.TestScenario.objects.filter(project=project).order_by("code")
    ]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_an_export_imports_back_to_the_same_scenarios(project, pm, extension):
    make_scenario(project, code="UAT-FIN-01", steps=3, preconditions="=SUM(A1)\nsecond line")
    make_scenario(project, code="UAT-SAL-02", steps=1, title="-minus", department="sales")
    scenarios = models.TestScenario.objects.filter(project=project).order_by("code")
    if extension == "csv":
        data = "".join(scenario_io.csv_lines(scenarios)).encode("utf-8")
    else:
        data = scenario_io.xlsx_bytes(scenarios)
    before = _scenario_state(project)
    models.ScenarioStep.objects.filter(scenario__project=project).delete()
    models.TestScenario.objects.filter(code="UAT-SAL-02").delete()

    result = run_import(project, pm, data, name=f"export.{extension}")

    assert result == services.ImportResult(created=1, updated=1, steps=4)
    assert _scenario_state(project) == before


def test_exports_neutralise_formulas(project):
    scenario = make_scenario(project, code="=CODE", steps=0, title="+title", module="@module")
    models.ScenarioStep.objects.create(
        scenario=scenario, position=1, action="\tcmd", expected_result="-1"
    )
    scenarios = models.TestScenario.objects.filter(project=project)

    lines = list(
        csv.reader(io.StringIO("".join(scenario_io.csv_lines(scenarios)).lstrip("\ufeff")))
    )
    sheet = load_workbook(io.BytesIO(scenario_io.xlsx_bytes(scenarios))).active
    cells = [list(values) for values in sheet.iter_rows(values_only=True)]

    expected = [
        "'=CODE",
        "'+title",
        "'@module",
        "accounting_finance",
        "high",
        "",
        "",
        "1",
        "'\tcmd",
        "'-1",
    ]
    assert lines == [HEADER, expected]
    assert cells[0] == HEADER
    assert cells[1] == [*expected[:5], None, None, 1, *expected[8:]]


def test_an_empty_workbook_is_refused(project, pm):
    buffer = io.BytesIO()
    Workbook().save(buffer)

    assert problems_of(project, pm, buffer.getvalue(), name="scenarios.xlsx") == [
        Problem(1, "", "The file is empty.")
    ]


def test_repeated_columns_are_refused(project, pm):
    problems = problems_of(project, pm, csv_bytes([], header=[*HEADER, "code"]))

    assert problems == [
        Problem(
            1,
            "",
            "Repeated columns: code. The columns must be exactly: " + ", ".join(HEADER) + ".",
        )
    ]
