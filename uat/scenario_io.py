"""Scenarios as spreadsheets: read an uploaded CSV or Excel file, write CSV and Excel back.

One row per step, with exactly the columns in COLUMNS. The rows of one scenario repeat its
code, title, module, department, priority, preconditions and requirement reference; `step`
is the step's number. Department and priority are given as their value (accounting_finance)
or their English label (Accounting / finance), in any case.

Reading never touches the database: it returns the scenarios found and every problem, as
(row, column, message), with rows numbered as a spreadsheet shows them (the header is row 1).
Exports neutralise formulas (a leading quote before = + - @, tab or CR); reading removes that
quote again, so an export imports back unchanged.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from implementation.exports import FORMULA_TRIGGERS, neutralise
from projects.choices import Department
from projects.models import Project
from uat.choices import Priority
from uat.models import TestScenario

COLUMNS = (
    "code",
    "title",
    "module",
    "department",
    "priority",
    "preconditions",
    "requirement_reference",
    "step",
    "action",
    "expected_result",
)
SCENARIO_COLUMNS = COLUMNS[:7]
REQUIRED = ("code", "title", "module", "step", "action", "expected_result")
MAX_LENGTHS = {"code": 30, "title": 200, "module": 120, "requirement_reference": 120}
MAX_STEP = 32767
CHUNK_SIZE = 500


class Problem(NamedTuple):
    row: int
    column: str
    message: str


@dataclass
class ParsedScenario:
    code: str
    title: str
    module: str
    department: str
    priority: str
    preconditions: str
    requirement_reference: str
    first_row: int
    numbered_steps: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def steps(self) -> list[tuple[str, str]]:
        """The steps in the order of their numbers (stored as 1..n)."""
        return [self.numbered_steps[number] for number in sorted(self.numbered_steps)]


@dataclass
class Parsed:
    scenarios: list[ParsedScenario]
    problems: list[Problem]


def _choice_lookup(choices) -> dict[str, str]:
    with translation.override("en"):
        lookup = {str(label).lower(): value for value, label in choices}
    lookup.update({value.lower(): value for value, _label in choices})
    return lookup


DEPARTMENTS = _choice_lookup(Department.choices)
PRIORITIES = _choice_lookup(Priority.choices)


# --- Reading ------------------------------------------------------------------------------


def _text(value) -> str:
    """A cell as text: numbers without a spurious .0, a neutralised formula restored."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value)
    if len(text) > 1 and text[0] == "'" and text[1] in "".join(FORMULA_TRIGGERS):
        text = text[1:]
    return text.strip()


def _csv_rows(data: bytes) -> Iterator[list]:
    text = data.decode("utf-8-sig")  # with or without a byte-order mark
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(workbook) -> Iterator[list]:
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _rows(upload, file_name: str) -> tuple[Iterator[list] | None, Problem | None]:
    name = (file_name or "").lower()
    data = upload.read() if hasattr(upload, "read") else bytes(upload)
    if not data.strip():
        return None, Problem(1, "", _("The file is empty."))
    if name.endswith(".csv"):
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, Problem(
                1, "", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
            )
        return _csv_rows(data), None
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            return None, Problem(1, "", _("The file is not an Excel workbook (.xlsx)."))
        return _xlsx_rows(workbook), None
    return None, Problem(1, "", _("Upload a .csv or .xlsx file."))


def _header_problem(header: list[str]) -> Problem | None:
    missing = [column for column in COLUMNS if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    repeated = sorted({column for column in header if header.count(column) > 1})
    if not (missing or unknown or repeated):
        return None
    parts = []
    if missing:
        parts.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        parts.append(
            _("Unknown columns: %(columns)s.")
            % {"columns": ", ".join(column or _("(empty)") for column in unknown)}
        )
    if repeated:
        parts.append(_("Repeated columns: %(columns)s.") % {"columns": ", ".join(repeated)})
    parts.append(_("The columns must be exactly: %(columns)s.") % {"columns": ", ".join(COLUMNS)})
    return Problem(1, "", " ".join(parts))


def _check_row(number: int, values: dict[str, str], problems: list[Problem]) -> dict | None:
    """The row's values, cleaned; None (with problems added) when any is wrong."""
    found = len(problems)
    for column in REQUIRED:
        if not values[column]:
            problems.append(Problem(number, column, _("This column is required.")))
    for column, limit in MAX_LENGTHS.items():
        if len(values[column]) > limit:
            problems.append(
                Problem(
                    number,
                    column,
                    _("At most %(limit)d characters (it has %(length)d).")
                    % {"limit": limit, "length": len(values[column])},
                )
            )
    cleaned = dict(values)
    department = values["department"]
    cleaned["department"] = DEPARTMENTS.get(department.lower()) if department else Department.OTHER
    if cleaned["department"] is None:
        problems.append(
            Problem(
                number,
                "department",
                _("Unknown department “%(value)s”. Use one of: %(choices)s.")
                % {"value": department, "choices": ", ".join(Department.values)},
            )
        )
    priority = values["priority"]
    cleaned["priority"] = PRIORITIES.get(priority.lower()) if priority else Priority.MEDIUM
    if cleaned["priority"] is None:
        problems.append(
            Problem(
                number,
                "priority",
                _("Unknown priority “%(value)s”. Use one of: %(choices)s.")
                % {"value": priority, "choices": ", ".join(Priority.values)},
            )
        )
    if values["step"]:
        try:
            step = int(values["step"])
        except ValueError:
            step = None
        if step is None or not 1 <= step <= MAX_STEP:
            problems.append(
                Problem(
                    number,
                    "step",
                    _("The step number must be a whole number from 1 to %(max)d.")
                    % {"max": MAX_STEP},
                )
            )
        cleaned["step"] = step
    return cleaned if len(problems) == found else None


def read_scenarios(upload, file_name: str) -> Parsed:
    """Every scenario of an uploaded file, and every problem found in it."""
    problems: list[Problem] = []
    rows, problem = _rows(upload, file_name)
    if problem is not None:
        return Parsed([], [problem])
    scenarios: dict[str, ParsedScenario] = {}
    try:
        header = None
        for number, raw in enumerate(rows, start=1):
            cells = [_text(value) for value in raw]
            if header is None:
                while cells and not cells[-1]:
                    cells.pop()
                header = [cell.lower() for cell in cells]
                problem = _header_problem(header)
                if problem is not None:
                    return Parsed([], [problem])
                continue
            if not any(cells):
                continue
            if any(cells[len(header) :]):
                problems.append(Problem(number, "", _("This row has more cells than the header.")))
                continue
            cells += [""] * (len(header) - len(cells))
            cleaned = _check_row(number, dict(zip(header, cells, strict=True)), problems)
            if cleaned is not None:
                _add(number, cleaned, scenarios, problems)
    except UnicodeDecodeError:
        return Parsed([], [Problem(1, "", _("The file is not UTF-8 text."))])
    except (csv.Error, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return Parsed([], [Problem(1, "", _("The file could not be read."))])
    if header is None:
        return Parsed([], [Problem(1, "", _("The file is empty."))])
    if not scenarios and not problems:
        problems.append(Problem(2, "", _("The file has a header but no scenario rows.")))
    return Parsed(list(scenarios.values()), problems)


def _add(
    number: int, row: dict, scenarios: dict[str, ParsedScenario], problems: list[Problem]
) -> None:
    scenario = scenarios.get(row["code"])
    if scenario is None:
        scenario = ParsedScenario(
            **{column: row[column] for column in SCENARIO_COLUMNS}, first_row=number
        )
        scenarios[row["code"]] = scenario
    else:
        for column in SCENARIO_COLUMNS[1:]:
            if getattr(scenario, column) != row[column]:
                problems.append(
                    Problem(
                        number,
                        column,
                        _("Scenario %(code)s has a different %(column)s on row %(row)d.")
                        % {"code": row["code"], "column": column, "row": scenario.first_row},
                    )
                )
    if row["step"] in scenario.numbered_steps:
        problems.append(
            Problem(
                number,
                "step",
                _("Scenario %(code)s already has a step %(step)d.")
                % {"code": row["code"], "step": row["step"]},
            )
        )
        return
    scenario.numbered_steps[row["step"]] = (row["action"], row["expected_result"])


# --- Writing ------------------------------------------------------------------------------


def file_name(project: Project, extension: str) -> str:
    return f"{project.code}-test-scenarios-{project.local_today().isoformat()}.{extension}"


def _rows_of(scenarios: QuerySet[TestScenario]) -> Iterator[list]:
    """One row per step; text neutralised, the step number a number."""
    for scenario in scenarios.prefetch_related("steps").iterator(chunk_size=CHUNK_SIZE):
        head = [neutralise(getattr(scenario, column)) for column in SCENARIO_COLUMNS]
        steps = list(scenario.steps.all())
        if not steps:
            yield [*head, None, "", ""]
        for step in steps:
            yield [
                *head,
                step.position,
                neutralise(step.action),
                neutralise(step.expected_result),
            ]


class _Echo:
    """A file-like object that hands back what is written, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(scenarios: QuerySet[TestScenario]) -> Iterable[str]:
    """The scenarios as CSV lines, header first; a byte-order mark so Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)
    for row in _rows_of(scenarios):
        yield writer.writerow(row)


def xlsx_bytes(scenarios: QuerySet[TestScenario]) -> bytes:
    """The scenarios as an Excel workbook, one sheet, in the import format."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Test scenarios"))[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in _rows_of(scenarios):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
