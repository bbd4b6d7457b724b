"""Writes for KPIs: defining them, their baseline, and recording measurements.

A KPI is defined (MANAGE_KPIS: project manager, consultant) with a target and, before
go-live, a baseline measured the old way. Baseline discipline: a baseline is recorded only
before the project's go-live date and dated no later than go-live; from go-live on it is
locked and only the project manager (UNLOCK_BASELINE) changes it, with a reason. Every
recording or change of a baseline is a BaselineChange row.

Measurements are recorded by measurement recorders (project manager, consultant, key user)
or by the KPI's owner: one value per KPI and day, never in the future. A second value for
the same day is a correction, which keeps the earlier value with who and when. Bulk entry
and CSV imports are all-or-nothing, with errors by row.
"""

import csv
import datetime
import io
import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis import catalogue
from kpis.choices import Cadence, Direction, MeasurementSource
from kpis.models import LARGEST_VALUE, BaselineChange, Kpi, Measurement
from projects import policy
from projects.models import Membership, Project
from projects.policy import Capability

KPI_FIELDS = (
    "name",
    "description",
    "category",
    "unit",
    "direction",
    "target_value",
    "target_date",
    "owner",
    "cadence",
    "module",
    "phase",
)
MAX_IMPORT_ROWS = 5000


# --- Rules shared by the services --------------------------------------------------------


def baseline_is_locked(project: Project, today: datetime.date | None = None) -> bool:
    """From the go-live date on, baselines are history."""
    return (today or project.local_today()) >= project.target_go_live


def _target_errors(*, direction, baseline, target) -> dict[str, str]:
    # A target on the wrong side of the baseline would make "progress" meaningless.
    if baseline is None or target is None or direction not in Direction.values:
        return {}
    if direction == Direction.HIGHER and target < baseline:
        return {"target_value": _("Higher is better: the target cannot be below the baseline.")}
    if direction == Direction.LOWER and target > baseline:
        return {"target_value": _("Lower is better: the target cannot be above the baseline.")}
    return {}


def _baseline_date_errors(project: Project, day: datetime.date | None) -> dict[str, str]:
    if day is None:
        return {}
    if day > project.local_today():
        return {"baseline_date": _("The baseline cannot be dated in the future.")}
    if day > project.target_go_live:
        return {
            "baseline_date": _("The baseline is measured before go-live (%(date)s).")
            % {"date": project.target_go_live.isoformat()}
        }
    return {}


def _owner_errors(project: Project, owner) -> dict[str, str]:
    if owner is None or not Membership.objects.filter(project=project, user=owner).exists():
        return {"owner": _("Choose a member of this project's team.")}
    return {}


def _clean(kpi: Kpi) -> None:
    errors = _target_errors(
        direction=kpi.direction, baseline=kpi.baseline_value, target=kpi.target_value
    )
    try:
        kpi.full_clean(exclude=["project", "created_by"])
    except ValidationError as error:
        errors = {**error.message_dict, **{k: [v] for k, v in errors.items()}}
    if errors:
        raise ValidationError(errors)


# --- Defining KPIs -----------------------------------------------------------------------


def kpi_create(
    *,
    actor,
    project: Project,
    name: str,
    category: str,
    unit: str,
    direction: str,
    target_value: Decimal,
    target_date: datetime.date,
    owner,
    cadence: str = Cadence.MONTHLY,
    baseline_value: Decimal | None = None,
    baseline_date: datetime.date | None = None,
    baseline_method: str = "",
    description: str = "",
    module: str = "",
    phase=None,
    template_key: str = "",
) -> Kpi:
    """Define a KPI; a baseline given now must be recorded before go-live."""
    policy.ensure(actor, project, Capability.MANAGE_KPIS)
    errors = _owner_errors(project, owner)
    if (baseline_value is None) != (baseline_date is None):
        errors["baseline_date" if baseline_date is None else "baseline_value"] = _(
            "A baseline needs both a value and a date."
        )
    if baseline_value is not None:
        errors |= _baseline_date_errors(project, baseline_date)
        if baseline_is_locked(project):
            errors["baseline_value"] = _(
                "From go-live on, a new KPI's baseline can only be recorded by the project "
                "manager, with a reason, on the KPI's page."
            )
    if phase is not None and phase.project_id != project.pk:
        errors["phase"] = _("Choose a phase of this project.")
    kpi = Kpi(
        project=project,
        name=name.strip(),
        description=description.strip(),
        category=category,
        unit=unit.strip(),
        direction=direction,
        target_value=target_value,
        target_date=target_date,
        owner=owner,
        cadence=cadence,
        module=module.strip(),
        phase=phase,
        template_key=template_key,
        baseline_value=baseline_value,
        baseline_date=baseline_date,
        baseline_method=baseline_method.strip(),
        created_by=actor,
    )
    try:
        _clean(kpi)
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if not errors and Kpi.objects.filter(project=project, name__iexact=kpi.name).exists():
        errors["name"] = _("This project already has a KPI of that name.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        kpi.save()
        if kpi.has_baseline:
            _record_baseline_change(kpi, actor, None, reason="", after_go_live=False)
    return kpi


def kpi_update(*, actor, kpi: Kpi, **changes) -> Kpi:
    """Change what a KPI is and aims at; the baseline has its own service."""
    unknown = set(changes) - set(KPI_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected KPI fields: {sorted(unknown)}")
    project = kpi.project
    policy.ensure(actor, project, Capability.MANAGE_KPIS)
    errors = {}
    if "owner" in changes:
        errors |= _owner_errors(project, changes["owner"])
    phase = changes.get("phase")
    if phase is not None and phase.project_id != project.pk:
        errors["phase"] = _("Choose a phase of this project.")
    with transaction.atomic():
        locked = Kpi.objects.select_for_update().get(pk=kpi.pk)
        locked.project = project
        for field, value in changes.items():
            setattr(locked, field, value.strip() if isinstance(value, str) else value)
        try:
            _clean(locked)
        except ValidationError as error:
            errors = {**error.message_dict, **errors}
        name_taken = (
            Kpi.objects.filter(project=project, name__iexact=locked.name)
            .exclude(pk=locked.pk)
            .exists()
        )
        if "name" in changes and name_taken:
            errors["name"] = _("This project already has a KPI of that name.")
        if errors:
            raise ValidationError(errors)
        locked.save()
    return locked


def kpis_add_from_templates(*, actor, project: Project, keys: list[str]) -> list[Kpi]:
    """Add KPIs from the catalogue in one go, owned by the actor, without a baseline yet.

    The targets are the catalogue's examples; the team adjusts them when it records the
    baseline. Templates whose KPI already exists are skipped.
    """
    policy.ensure(actor, project, Capability.MANAGE_KPIS)
    unknown = [key for key in keys if key not in catalogue.TEMPLATES_BY_KEY]
    if unknown or not keys:
        raise ValidationError({"templates": _("Choose one or more KPI templates.")})
    existing = {
        name.casefold()
        for name in Kpi.objects.filter(project=project).values_list("name", flat=True)
    }
    created = []
    with transaction.atomic():
        for key in dict.fromkeys(keys):
            template = catalogue.TEMPLATES_BY_KEY[key]
            if str(template.name).casefold() in existing:
                continue
            created.append(
                kpi_create(
                    actor=actor,
                    project=project,
                    name=str(template.name),
                    description=str(template.description),
                    category=template.category,
                    unit=str(template.unit),
                    direction=template.direction,
                    target_value=template.example_target,
                    target_date=_months_after(project.target_go_live, template.months),
                    owner=actor,
                    cadence=template.cadence,
                    module=str(template.module),
                    template_key=key,
                )
            )
    return created


def _months_after(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- The baseline ------------------------------------------------------------------------


def _record_baseline_change(kpi: Kpi, actor, old: tuple | None, *, reason, after_go_live):
    old_value, old_date, old_method = old or (None, None, "")
    return BaselineChange.objects.create(
        kpi=kpi,
        old_value=old_value,
        old_date=old_date,
        old_method=old_method,
        new_value=kpi.baseline_value,
        new_date=kpi.baseline_date,
        new_method=kpi.baseline_method,
        reason=reason,
        after_go_live=after_go_live,
        changed_by=actor,
    )


def may_set_baseline(actor, kpi: Kpi) -> bool:
    """The rule of the service, for pages deciding which baseline form to offer."""
    project = kpi.project
    if baseline_is_locked(project):
        return policy.can(actor, project, Capability.UNLOCK_BASELINE)
    return policy.can(actor, project, Capability.MANAGE_KPIS)


def kpi_set_baseline(
    *, actor, kpi: Kpi, value: Decimal, day: datetime.date, method: str = "", reason: str = ""
) -> Kpi:
    """Record or change the baseline: freely before go-live, from go-live on only by the
    project manager with a reason. The change is kept in the KPI's history."""
    project = kpi.project
    locked_period = baseline_is_locked(project)
    if locked_period:
        if not policy.can(actor, project, Capability.UNLOCK_BASELINE):
            policy.ensure(actor, project, Capability.MANAGE_KPIS)  # 403 for non-managers
            raise PermissionDenied(
                _("From go-live on the baseline is locked; only the project manager changes it.")
            )
    else:
        policy.ensure(actor, project, Capability.MANAGE_KPIS)
    reason = reason.strip()
    errors = {}
    if value is None:
        errors["value"] = _("Give the baseline value.")
    if day is None:
        errors["day"] = _("Give the date the baseline was measured.")
    else:
        date_error = _baseline_date_errors(project, day).get("baseline_date")
        if date_error:
            errors["day"] = date_error
    if locked_period and not reason:
        errors["reason"] = _("Say why a baseline changes after go-live.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Kpi.objects.select_for_update().get(pk=kpi.pk)
        locked.project = project
        old = (locked.baseline_value, locked.baseline_date, locked.baseline_method)
        locked.baseline_value, locked.baseline_date = value, day
        locked.baseline_method = method.strip() or locked.baseline_method
        try:
            _clean(locked)
        except ValidationError as error:
            remap = {"baseline_value": "value", "baseline_date": "day", "target_value": "value"}
            raise ValidationError(
                {remap.get(k, k): v for k, v in error.message_dict.items()}
            ) from None
        locked.save(update_fields=["baseline_value", "baseline_date", "baseline_method"])
        _record_baseline_change(
            locked,
            actor,
            old if old[0] is not None else None,
            reason=reason,
            after_go_live=locked_period,
        )
    return locked


# --- Measurements ------------------------------------------------------------------------


def _ensure_may_record(actor, kpi: Kpi) -> None:
    if not policy.can_record_measurement(actor, kpi):
        policy.ensure(actor, kpi.project, Capability.RECORD_MEASUREMENTS)


def _stored(value: Decimal) -> Decimal:
    """The value as the database keeps it: four decimal places."""
    return value.quantize(Decimal("0.0001"))


def _measurement_errors(kpi: Kpi, measured_on, value) -> dict[str, str]:
    errors = {}
    if measured_on is None:
        errors["measured_on"] = _("Give the date of the measurement.")
    elif not isinstance(measured_on, datetime.date) or isinstance(measured_on, datetime.datetime):
        # A string or a moment would fail the comparisons below with a TypeError.
        errors["measured_on"] = _("Enter a valid date.")
    elif measured_on > kpi.project.local_today():
        errors["measured_on"] = _("A measurement cannot be in the future.")
    elif measured_on < datetime.date(2000, 1, 1):
        errors["measured_on"] = _("Enter a date between 2000 and 2100.")
    if value is None:
        errors["value"] = _("Give the measured value.")
    elif not isinstance(value, Decimal) or not value.is_finite():
        errors["value"] = _("Enter a number.")
    elif abs(value) > LARGEST_VALUE or abs(_stored(value)) > LARGEST_VALUE:
        # Checked after rounding too: a value just above the limit may round onto it.
        errors["value"] = _("Enter a number below one hundred billion.")
    return errors


def measurement_record(
    *,
    actor,
    kpi: Kpi,
    measured_on: datetime.date,
    value: Decimal,
    note: str = "",
    source: str = MeasurementSource.MANUAL,
) -> Measurement:
    """Record the KPI's value on a day; a day already measured is refused (correct it)."""
    _ensure_may_record(actor, kpi)
    errors = _measurement_errors(kpi, measured_on, value)
    if not errors and Measurement.objects.filter(kpi=kpi, measured_on=measured_on).exists():
        errors["measured_on"] = _(
            "%(date)s already has a value; correct that measurement instead."
        ) % {"date": measured_on.isoformat()}
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Measurement.objects.create(
                kpi=kpi,
                measured_on=measured_on,
                value=_stored(value),
                note=note.strip(),
                source=source,
                recorded_by=actor,
            )
    except IntegrityError:
        # Someone recorded the same day between the check and the insert.
        raise ValidationError(
            {
                "measured_on": _("%(date)s already has a value; correct that measurement instead.")
                % {"date": measured_on.isoformat()}
            }
        ) from None


def measurement_correct(
    *, actor, measurement: Measurement, value: Decimal, note: str
) -> Measurement:
    """Replace a day's value; the earlier value stays in the measurement's corrections."""
    kpi = measurement.kpi
    _ensure_may_record(actor, kpi)
    note = note.strip()
    errors = _measurement_errors(kpi, measurement.measured_on, value)
    if not note:
        errors["note"] = _("Say why the value is corrected.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Measurement.objects.select_for_update().get(pk=measurement.pk)
        locked.corrections = [
            *locked.corrections,
            {
                "value": str(locked.value),
                "note": locked.note,
                "by": locked.recorded_by.get_username(),
                "at": locked.recorded_at.isoformat(),
            },
        ]
        locked.value, locked.note = _stored(value), note
        locked.recorded_by, locked.recorded_at = actor, timezone.now()
        locked.save(update_fields=["corrections", "value", "note", "recorded_by", "recorded_at"])
    return locked


class Problem(NamedTuple):
    """One refused cell of a bulk entry or an import: its row, its column and why."""

    row: int
    column: str
    message: str


class RowProblems(Exception):
    """Bulk entry or import refused; `problems` lists every (row, column, message) found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _ensure_may_record_in(actor, project: Project) -> None:
    """Bulk entry and imports are for measurement recorders, and for KPI owners (their own
    KPIs only: other rows are refused row by row). Anyone else gets PermissionDenied."""
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    if policy.can(actor, project, Capability.RECORD_MEASUREMENTS):
        return
    if not Kpi.objects.filter(project=project, owner=actor).exists():
        policy.ensure(actor, project, Capability.RECORD_MEASUREMENTS)


def _bulk_problems(*, actor, project: Project, rows: list[dict]) -> list[Problem]:
    """Every problem of the rows, checked against each other and against saved values."""
    problems: list[Problem] = []
    seen: set[tuple[int, datetime.date]] = set()
    valid: list[tuple[int, dict]] = []
    for index, row in enumerate(rows, start=1):
        number = row.get("row", index)
        kpi = row.get("kpi")
        if kpi is None or kpi.project_id != project.pk:
            problems.append(Problem(number, "kpi", _("Choose a KPI of this project.")))
            continue
        kpi.project = project
        if not policy.can_record_measurement(actor, kpi):
            problems.append(Problem(number, "kpi", _("You may not record values of this KPI.")))
            continue
        errors = _measurement_errors(kpi, row.get("measured_on"), row.get("value"))
        key = (kpi.pk, row.get("measured_on"))
        if not errors and key in seen:
            errors["measured_on"] = _("This KPI and date appear twice.")
        seen.add(key)
        problems += [Problem(number, column, message) for column, message in errors.items()]
        if not errors:
            valid.append((number, row))
    if valid:
        # One query for all rows: the pairs already measured among these KPIs and dates.
        taken = set(
            Measurement.objects.filter(
                kpi__in={row["kpi"].pk for _number, row in valid},
                measured_on__in={row["measured_on"] for _number, row in valid},
            ).values_list("kpi_id", "measured_on")
        )
        for number, row in valid:
            if (row["kpi"].pk, row["measured_on"]) in taken:
                message = _("%(date)s already has a value; correct it on the KPI's page.") % {
                    "date": row["measured_on"].isoformat()
                }
                problems.append(Problem(number, "measured_on", message))
    return problems


def _save_rows(*, actor, rows: list[dict]) -> list[Measurement]:
    with transaction.atomic():
        return Measurement.objects.bulk_create(
            Measurement(
                kpi=row["kpi"],
                measured_on=row["measured_on"],
                value=_stored(row["value"]),
                note=(row.get("note") or "").strip(),
                source=row.get("source", MeasurementSource.MANUAL),
                recorded_by=actor,
            )
            for row in rows
        )


def measurements_record_bulk(*, actor, project: Project, rows: list[dict]) -> list[Measurement]:
    """Record several measurements at once (one screen, or an import): all or nothing.

    `rows` are {"kpi", "measured_on", "value", "note", and optionally "row" (the number to
    report problems against, by default the position from 1)}.
    """
    _ensure_may_record_in(actor, project)
    if not rows:
        raise ValidationError({"rows": _("Enter at least one value.")})
    problems = _bulk_problems(actor=actor, project=project, rows=rows)
    if problems:
        raise RowProblems(sorted(problems, key=lambda problem: problem.row))
    return _save_rows(actor=actor, rows=rows)


IMPORT_COLUMNS = ("kpi", "date", "value")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _read_csv(*, project: Project, data: bytes) -> tuple[list[dict], list[Problem]]:
    """The file's rows and the problems of single cells; raises for a file-wide problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("Save the file as UTF-8 CSV.")}) from None
    if not text.strip():
        raise ValidationError({"file": _("The file is empty.")})
    try:
        # newline="": the csv module handles line ends itself, also inside quoted notes.
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = {(name or "").strip().lower() for name in reader.fieldnames or []}
    except csv.Error:
        raise ValidationError({"file": _("This is not a CSV file.")}) from None
    missing = set(IMPORT_COLUMNS) - columns
    if missing:
        raise ValidationError(
            {"file": _("Missing columns: %(columns)s.") % {"columns": ", ".join(sorted(missing))}}
        )
    kpis = {kpi.name.casefold(): kpi for kpi in Kpi.objects.filter(project=project)}
    rows: list[dict] = []
    problems: list[Problem] = []
    try:
        for raw in reader:
            # The reader skips blank lines, so counting rows would drift from the file:
            # line_num is the line the row ends on (the header is line 1).
            line = reader.line_num
            cells = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            if not any(cells.values()):
                continue
            if len(rows) == MAX_IMPORT_ROWS:
                raise ValidationError(
                    {"file": _("Import at most %(n)s rows at a time.") % {"n": MAX_IMPORT_ROWS}}
                )
            kpi = kpis.get(cells.get("kpi", "").casefold())
            if kpi is None:
                problems.append(
                    Problem(
                        line,
                        "kpi",
                        _("No KPI of this project is called “%(name)s”.")
                        % {"name": cells.get("kpi", "")},
                    )
                )
            day = _parse_day(cells.get("date", ""))
            if day is None:
                problems.append(Problem(line, "date", _("Write the date as YYYY-MM-DD.")))
            value = _parse_value(cells.get("value", ""))
            if value is None:
                problems.append(
                    Problem(line, "value", _("Enter a number, with a dot for decimals."))
                )
            rows.append(
                {
                    "row": line,
                    "kpi": kpi,
                    "measured_on": day,
                    "value": value,
                    "note": cells.get("note", ""),
                    "source": MeasurementSource.IMPORT,
                }
            )
    except csv.Error:
        raise ValidationError({"file": _("This is not a CSV file.")}) from None
    if not rows:
        raise ValidationError({"file": _("The file has no rows.")})
    return rows, problems


def _parse_day(text: str) -> datetime.date | None:
    # fromisoformat alone also takes 20260105 and 2026-W02-1; the file promises YYYY-MM-DD.
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _parse_value(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(" ", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_measurements_csv(*, project: Project, data: bytes) -> list[dict]:
    """Read a CSV with the columns kpi, date, value and note (optional), checking every row.

    KPIs are matched by name, ignoring case; dates are YYYY-MM-DD; values use a dot for
    decimals. Row numbers are the file's line numbers (the header is line 1).
    """
    rows, problems = _read_csv(project=project, data=data)
    if problems:
        raise RowProblems(problems)
    return rows


def measurements_import(*, actor, project: Project, data: bytes) -> list[Measurement]:
    """Import measurements from CSV bytes: every row checked first, nothing saved on error.

    All problems are reported at once: unreadable cells, and for the readable rows the
    rules of bulk entry (future dates, duplicates, days already measured, whose KPI).
    """
    _ensure_may_record_in(actor, project)
    rows, problems = _read_csv(project=project, data=data)
    broken = {problem.row for problem in problems}
    readable = [row for row in rows if row["row"] not in broken]
    problems += _bulk_problems(actor=actor, project=project, rows=readable)
    if problems:
        raise RowProblems(sorted(problems, key=lambda problem: problem.row))
    return _save_rows(actor=actor, rows=rows)
