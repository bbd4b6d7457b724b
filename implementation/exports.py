"""Spreadsheet exports of the configuration log: CSV streamed row by row, and Excel.

Every text cell is neutralised against formula injection: a value a spreadsheet would read as
a formula (it begins with = + - @, a tab or a carriage return) gets a leading single quote,
so "=HYPERLINK(...)" arrives as the text "'=HYPERLINK(...)".
"""

import csv
import datetime
import io
import zoneinfo
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from implementation.models import ConfigurationChange
from projects.models import Project

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

COLUMNS = [
    _("Number"),
    _("Applied at"),
    _("Module or area"),
    _("Setting or object changed"),
    _("Old value"),
    _("New value"),
    _("Reason"),
    _("Reference"),
    _("Requested by"),
    _("Approved by"),
    _("Environment"),
    _("Phase"),
    _("Corrects"),
    _("Corrected by"),
    _("Recorded by"),
    _("Recorded at"),
]


def neutralise(value: str) -> str:
    """Text a spreadsheet must show as text, never run as a formula.

    Control characters that the xlsx format forbids are dropped first, so none can hide a
    leading "=" from the check.
    """
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def file_name(project: Project, extension: str) -> str:
    return f"{project.code}-configuration-log-{project.local_today().isoformat()}.{extension}"


def _person(user) -> str:
    return user.display_name if user is not None else ""


def _row(change: ConfigurationChange, zone: datetime.tzinfo) -> list:
    """One entry as cells: the number as a number, times as local naive datetimes, else text."""
    texts = [
        change.area,
        change.setting,
        change.old_value,
        change.new_value,
        change.reason,
        change.reference,
        _person(change.requested_by),
        _person(change.approved_by),
        str(change.get_environment_display()),
        str(change.phase.get_kind_display()) if change.phase is not None else "",
        change.supersedes.display_number if change.supersedes is not None else "",
        _correction_of(change),
        _person(change.recorded_by),
    ]
    texts = [neutralise(text) for text in texts]
    return [
        change.number,
        _local(change.applied_at, zone),
        *texts,
        _local(change.recorded_at, zone),
    ]


def _correction_of(change: ConfigurationChange) -> str:
    try:
        return change.superseded_by.display_number
    except ConfigurationChange.superseded_by.RelatedObjectDoesNotExist:
        return ""


def _local(moment: datetime.datetime, zone: datetime.tzinfo) -> datetime.datetime:
    # Spreadsheets have no time zones: write the project's wall-clock time, to the minute.
    return timezone.localtime(moment, zone).replace(tzinfo=None, second=0, microsecond=0)


def _rows(changes: QuerySet[ConfigurationChange], project: Project) -> Iterator[list]:
    zone = zoneinfo.ZoneInfo(project.time_zone)
    for change in changes.iterator(chunk_size=CHUNK_SIZE):
        yield _row(change, zone)


class _Echo:
    """A file-like object that hands back what is written, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(changes: QuerySet[ConfigurationChange], project: Project) -> Iterable[str]:
    """The log as CSV lines, header first; a byte-order mark so Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(str(title)) for title in COLUMNS])
    for row in _rows(changes, project):
        yield writer.writerow(
            [
                value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime.datetime) else value
                for value in row
            ]
        )


def xlsx_bytes(changes: QuerySet[ConfigurationChange], project: Project) -> bytes:
    """The log as an Excel workbook, one sheet, written without keeping cells in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Configuration log")))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in COLUMNS:
        cell = WriteOnlyCell(sheet, value=neutralise(str(title)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in _rows(changes, project):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime.datetime):
                cell.number_format = DATETIME_FORMAT
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
