"""What a sign-off signs: a snapshot of its subject, as canonical JSON with its SHA-256.

A snapshot is {"format", "kind", "project", "subject", "taken_at", "content"}. `content` is
built from the project's data only (no clock, no language), so building it again later
and comparing tells exactly what changed in scope: that is how a pending request goes
stale and how a signed one lists "changed since sign-off". Labels are not stored; pages and
the PDF translate the keys.

Each kind has one content builder (see `builder`); go-live readiness registers its own.
"""

import datetime
import hashlib
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from uat.choices import DefectStatus, SignoffKind

FORMAT = 1

CRITERION_LABELS = {
    "all_executed": _("Every scenario in scope executed"),
    "pass_rate": _("Pass rate at or above the minimum (%)"),
    "open_critical": _("Open critical defects at most"),
    "open_high": _("Open high defects at most"),
    "mandatory_items_done": _("Mandatory go-live checklist items done"),
    "no_open_critical_high": _("No open critical or high defects in the project"),
    "uat_signed": _("A UAT sign-off is signed"),
    "migration_reconciled": _("Every data object reconciled and signed off on its last load"),
    "cutover_ready": _("Cutover plan complete and rehearsed"),
    "training_coverage": _("Training coverage in every department at or above the threshold (%)"),
    "hypercare_ready": _("Hypercare team and support plan named"),
    "kpi_baselines": _("Every KPI has its baseline"),
    "no_open_critical_tickets": _("No open critical support tickets"),
    "sla_met": _("SLA met in each of the last weeks"),
    "inflow_falling": _("Ticket inflow falling week after week"),
    "satisfaction": _("User satisfaction at or above the threshold (1-5)"),
}


def criterion_label(key: str) -> str:
    return str(CRITERION_LABELS.get(key, key))


# --- Canonical JSON ------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"Cannot put {type(value).__name__} in a snapshot")


def canonical_json(data) -> str:
    """Sorted keys, no spaces, UTF-8 text: the same data always gives the same bytes."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Builders per kind ---------------------------------------------------------------------

_BUILDERS: dict[str, Callable] = {}


def builder(kind: str) -> Callable:
    """Register the content builder of a sign-off kind: f(signoff) -> dict."""

    def register(function: Callable) -> Callable:
        _BUILDERS[kind] = function
        return function

    return register


def module_family(name: str) -> str:
    """ "Finance - General Ledger" -> "finance": how modules and configuration areas meet."""
    return name.split(" - ", 1)[0].strip().casefold()


def _criteria(criteria) -> list[dict]:
    return [
        {"key": c.key, "threshold": c.threshold, "actual": c.actual, "met": c.met} for c in criteria
    ]


@builder(SignoffKind.UAT)
def uat_content(signoff) -> dict:
    """The cycle's scope and latest runs, counts, defects, exit criteria and the
    configuration changes made since the cycle started on a module in scope (or for one of
    its defects)."""
    from implementation.models import ConfigurationChange
    from uat.models import CycleScenario, Defect
    from uat.selectors.cycles import _latest_result, _latest_run, cycle_status

    cycle = signoff.cycle
    status = cycle_status(cycle)
    scope = list(
        CycleScenario.objects.filter(cycle=cycle)
        .annotate(latest=_latest_result(), run=_latest_run())
        .order_by("scenario__code")
        .values_list("scenario__code", "scenario__title", "scenario__module", "latest", "run")
    )
    defects = list(
        Defect.objects.filter(cycle=cycle)
        .order_by("number")
        .values(
            "number",
            "title",
            "severity",
            "status",
            "module",
            "deferral_reason",
            "workaround",
            "target_date",
        )
    )
    families = {module_family(module) for _code, _title, module, _r, _run in scope}
    zone = zoneinfo.ZoneInfo(signoff.project.time_zone)
    since = datetime.datetime.combine(cycle.starts_on, datetime.time.min, tzinfo=zone)
    changes = [
        change
        for change in ConfigurationChange.objects.filter(project=signoff.project_id)
        .filter(Q(applied_at__gte=since) | Q(defect__cycle=cycle))
        .order_by("number")
        .values(
            "number",
            "area",
            "setting",
            "old_value",
            "new_value",
            "environment",
            "applied_at",
            "defect__number",
            "defect__cycle",
        )
        if module_family(change["area"]) in families or change["defect__cycle"] == cycle.pk
    ]
    return {
        "scope": [
            {"code": code, "title": title, "module": module, "result": result, "run": run}
            for code, title, module, result, run in scope
        ],
        "counts": {
            "planned": status.planned,
            "executed": status.executed,
            "passed": status.passed,
            "failed": status.failed,
            "blocked": status.blocked,
            "not_executed": status.not_executed,
            "pass_rate": status.pass_rate,
        },
        "open_defects": status.open_defects,
        "defects": [
            {
                "number": d["number"],
                "title": d["title"],
                "severity": d["severity"],
                "status": d["status"],
                "module": d["module"],
            }
            for d in defects
        ],
        "deferred_defects": [
            {
                "number": d["number"],
                "title": d["title"],
                "severity": d["severity"],
                "reason": d["deferral_reason"],
                "workaround": d["workaround"],
                "target_date": d["target_date"],
            }
            for d in defects
            if d["status"] == DefectStatus.DEFERRED
        ],
        "exit_criteria": _criteria(status.exit_criteria),
        "configuration_changes": [
            {
                "number": c["number"],
                "area": c["area"],
                "setting": c["setting"],
                "old_value": c["old_value"],
                "new_value": c["new_value"],
                "environment": c["environment"],
                "applied_at": c["applied_at"],
                "defect": c["defect__number"],
            }
            for c in changes
        ],
    }


@builder(SignoffKind.GO_LIVE)
def go_live_content(signoff) -> dict:
    """The go/no-go decision signs the readiness panel (implementation.readiness) and the
    go-live phase's checklist."""
    from implementation.readiness import snapshot_content

    return snapshot_content(signoff.project, signoff.phase)


@builder(SignoffKind.HYPERCARE_EXIT)
def hypercare_exit_content(signoff) -> dict:
    """The hypercare exit signs the exit criteria (implementation.hypercare) and the weeks
    behind them: the hand-over to normal support."""
    from implementation.hypercare import snapshot_content

    return snapshot_content(signoff.project, signoff.phase)


def build_content(signoff) -> dict:
    """The content of the signoff's subject as it is now, as plain JSON values."""
    return json.loads(canonical_json(_BUILDERS[signoff.kind](signoff)))


def build_snapshot(signoff, *, content: dict | None = None) -> tuple[str, str]:
    """A full snapshot for the signoff's subject now: (canonical JSON, SHA-256)."""
    project = signoff.project
    subject = (
        {"cycle": signoff.cycle.pk, "name": signoff.cycle.name}
        | {
            "starts_on": signoff.cycle.starts_on,
            "ends_on": signoff.cycle.ends_on,
            "environment": signoff.cycle.environment,
        }
        if signoff.cycle_id
        else {"phase": signoff.phase.kind, "planned_end": signoff.phase.planned_end}
    )
    data = {
        "format": FORMAT,
        "kind": signoff.kind,
        "project": {"code": project.code, "name": project.name},
        "subject": subject,
        "taken_at": timezone.now(),
        "content": content if content is not None else build_content(signoff),
    }
    text = canonical_json(data)
    return text, sha256_text(text)


def failing_criteria(content: dict) -> list[str]:
    return [c["key"] for c in content.get("exit_criteria", []) if not c["met"]]


# --- What changed --------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between a frozen snapshot and the subject now, in words."""

    section: str
    item: str
    before: object
    after: object
    kind: str = "changed"  # or "added", "removed"

    @property
    def text(self) -> str:
        label = str(SECTION_LABELS.get(self.section, self.section))
        if self.kind == "added":
            return _("%(section)s: %(item)s added") % {"section": label, "item": self.item}
        if self.kind == "removed":
            return _("%(section)s: %(item)s removed") % {"section": label, "item": self.item}
        before, after = _short(self.before), _short(self.after)
        if before == after:
            # What differs is not shown in words (such as a scenario's latest run: run again
            # with the same result); say that it changed rather than "from x to x".
            if self.section == "scope":
                return _("%(section)s: %(item)s run again (%(result)s)") % {
                    "section": label,
                    "item": self.item,
                    "result": after,
                }
            return _("%(section)s: %(item)s changed") % {"section": label, "item": self.item}
        return _("%(section)s: %(item)s changed from %(before)s to %(after)s") % {
            "section": label,
            "item": self.item,
            "before": before,
            "after": after,
        }


SECTION_LABELS = {
    "scope": _("Scenario"),
    "counts": _("Execution count"),
    "open_defects": _("Open defects"),
    "defects": _("Defect"),
    "deferred_defects": _("Deferred defect"),
    "exit_criteria": _("Exit criterion"),
    "configuration_changes": _("Configuration change"),
    "checklist": _("Checklist item"),
    "uat_signoffs": _("UAT sign-off"),
    "readiness": _("Readiness figure"),
    "blocking_defects": _("Open critical or high defect"),
    "migration": _("Data object"),
    "cutover_tasks": _("Cutover task"),
    "training": _("Training coverage"),
    "hypercare_team": _("Hypercare team"),
    "kpis_without_baseline": _("KPI without baseline"),
    "hypercare": _("Hypercare figure"),
    "weeks": _("Week"),
    "open_tickets": _("Open tickets"),
    "tickets_total": _("Tickets"),
}

# How the rows of each list section are told apart, and how a row is named.
_KEYS = {
    "scope": ("code", "{}"),
    "defects": ("number", "DEF-{}"),
    "deferred_defects": ("number", "DEF-{}"),
    "exit_criteria": ("key", "{}"),
    "configuration_changes": ("number", "CFG-{}"),
    "checklist": ("pk", "#{}"),
    "uat_signoffs": ("number", "SO-{}"),
    "blocking_defects": ("number", "DEF-{}"),
    "migration": ("name", "{}"),
    "cutover_tasks": ("number", "T-{}"),
    "training": ("department", "{}"),
    "hypercare_team": ("name", "{}"),
    "kpis_without_baseline": ("name", "{}"),
    "weeks": ("week", "{}"),
}


def _short(value) -> str:
    if isinstance(value, dict):
        shown = {k: v for k, v in value.items() if k in {"result", "status", "actual", "met"}}
        value = shown or value
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


def _row_name(section: str, key, row: dict) -> str:
    if section == "exit_criteria":
        return criterion_label(key)
    name = _KEYS[section][1].format(key)
    if section == "configuration_changes":
        return f"{name} {row['area']}: {row['setting']}"
    title = row.get("title")
    return f"{name} {title}" if title else name


def diff(before: dict, after: dict) -> list[Change]:
    """Every difference between two snapshot contents, section by section."""
    changes: list[Change] = []
    for section in sorted(set(before) | set(after)):
        old, new = before.get(section), after.get(section)
        if old == new:
            continue
        if section in _KEYS and isinstance(old or new, list):
            key = _KEYS[section][0]
            old_rows = {row[key]: row for row in old or []}
            new_rows = {row[key]: row for row in new or []}
            for item in list(old_rows) + [k for k in new_rows if k not in old_rows]:
                a, b = old_rows.get(item), new_rows.get(item)
                if a != b:
                    name = _row_name(section, item, b or a)
                    kind = "added" if a is None else "removed" if b is None else "changed"
                    changes.append(Change(section, name, a, b, kind))
        elif isinstance(old, dict) and isinstance(new, dict):
            for item in sorted(set(old) | set(new)):
                if old.get(item) != new.get(item):
                    changes.append(Change(section, item, old.get(item), new.get(item)))
        else:
            changes.append(Change(section, section, old, new))
    return changes
