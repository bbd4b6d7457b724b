"""The sign-off PDF: the signed record as a document, rendered only from what was frozen.

Everything shown comes from the sign-off's snapshot JSON (the exact text its hash covers), its
own fields and its signatories' signatures; nothing is read from the project's live data, so
the document says what was signed even if the project changed afterwards.

WeasyPrint fetches stylesheets, fonts and images through `StaticOnlyFetcher`: files inside the
project's static/ directory and data: URLs, nothing else. Its default fetcher would read any
local file or URL a document names (a `<link rel="attachment" href="file:///etc/passwd">`
ends up embedded in the PDF), and sign-off content is typed by users.
"""

import datetime
import json
import logging
import mimetypes
import urllib.parse
import urllib.request
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from implementation.choices import Environment, PhaseKind
from uat.choices import (
    Decision,
    DefectStatus,
    ExecutionResult,
    Severity,
    SignoffKind,
    SignoffStatus,
)
from uat.snapshots import criterion_label

TEMPLATE = "uat/signoffs/pdf.html"

# At INFO, WeasyPrint logs every layout step and fontTools every glyph list it subsets: dozens
# of lines a document that flood the worker's log and, formatted, cost time on long documents.
for _noisy in ("weasyprint.progress", "fontTools"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


# --- Fetching: our static files and data: URLs, nothing else ----------------------------------


class ResourceRefused(ValueError):
    """A document asked for a resource outside static/ or by a scheme we do not serve."""


def static_root() -> Path:
    return Path(settings.BASE_DIR, "static").resolve()


class StaticOnlyFetcher(URLFetcher):
    """Serve files that resolve inside `root` (symlinks followed first) and data: URLs.

    Everything else (http, https, ftp, file:// outside root, `..` escapes, other hosts) is
    refused by raising; WeasyPrint then skips the resource. No network, no redirects.
    """

    def __init__(self, root: Path | None = None):
        super().__init__(
            timeout=1,
            allowed_protocols=frozenset({"file", "data"}),
            allow_redirects=False,
            fail_on_errors=False,
        )
        self.root = Path(root).resolve() if root is not None else static_root()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._file(url)
        raise ResourceRefused(f"Refused {url[:80]!r}: only static files and data: URLs.")

    def _data(self, url: str) -> URLFetcherResponse:
        # urllib's DataHandler decodes data: URLs in memory; it never opens a connection, and
        # only data: URLs reach it.
        request = urllib.request.Request(url)  # noqa: S310
        response = urllib.request.DataHandler().data_open(request)
        return URLFetcherResponse(
            url, body=response.read(), headers={"Content-Type": response.headers["Content-Type"]}
        )

    def _file(self, url: str) -> URLFetcherResponse:
        parts = urllib.parse.urlsplit(url)
        if parts.netloc not in {"", "localhost"}:
            raise ResourceRefused(f"Refused {url[:80]!r}: a file on another host.")
        try:
            path = Path(urllib.request.url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError) as error:
            raise ResourceRefused(f"Refused {url[:80]!r}: no such file.") from error
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ResourceRefused(f"Refused {url[:80]!r}: outside the static files.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


# --- The document's context, from the frozen snapshot -----------------------------------------


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _moment(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _number(value, unit: str = "") -> str:
    """'95.00' -> '95', '87.5' -> '87.5', None -> '–'; then the unit, if there is a number."""
    if value is None:
        return "–"
    text = str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + unit


@dataclass
class SignatureRow:
    """One signatory in the signature block, with their signature (None while unsigned)."""

    position: int
    name: str
    role_title: str
    meaning: str
    decision: str
    decision_label: str
    signed_at: datetime.datetime | None
    comment: str
    signature_hash: str


# A PDF prints at most this many rows of a list that grows with the data: past a few hundred
# rows the layout alone outlasts the builds' time targets, and nobody reads page 30 of a
# go/no-go. The snapshot (and its hash) still holds every row.
PDF_LIST_LIMIT = 100


def more_in_snapshot(more: int) -> str:
    """The line under a cut list of a sign-off PDF."""
    return ngettext(
        "and %(count)s more (listed in the sign-off's snapshot)",
        "and %(count)s more (listed in the sign-off's snapshot)",
        more,
    ) % {"count": more}


@dataclass
class Capped:
    """The first rows of a list, how many were left out and the line that says so."""

    rows: list
    more: int = 0
    note: str = ""

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def total(self) -> int:
        return len(self.rows) + self.more


def capped(rows, message: Callable[[int], str] = more_in_snapshot, limit: int = PDF_LIST_LIMIT):
    """`rows` cut to `limit`, with `message(left out)` as the note when some were."""
    rows = list(rows)
    more = max(len(rows) - limit, 0)
    return Capped(rows[:limit], more, message(more) if more else "")


# Criteria whose numbers are percentages.
PERCENT_CRITERIA = frozenset({"pass_rate", "training_coverage"})


def _criteria(rows: list[dict], reasons: dict[str, list[str]] | None = None) -> list[dict]:
    reasons = reasons or {}
    return [
        {
            "key": row["key"],
            "label": criterion_label(row["key"]),
            "threshold": _number(row["threshold"], "%" if row["key"] in PERCENT_CRITERIA else ""),
            "actual": _number(row["actual"], "%" if row["key"] in PERCENT_CRITERIA else ""),
            "met": row["met"],
            "reasons": [] if row["met"] else reasons.get(row["key"], []),
        }
        for row in rows
    ]


# --- The go/no-go decision's sections, in words -----------------------------------------------


def _criterion_reasons(project, content: dict) -> dict[str, list[str]]:
    """Why each frozen criterion was red, from the numbers the snapshot froze."""
    from implementation.readiness import facts_from_snapshot, reasons

    if "readiness" not in content:
        # Go-live snapshots frozen before the readiness panel hold no numbers to explain.
        return {}
    facts = facts_from_snapshot(project, content)
    return {
        row["key"]: reasons(row["key"], facts)
        for row in content.get("exit_criteria", [])
        if not row["met"]
    }


def go_live_sections(project, content: dict) -> dict:
    """The go-live readiness snapshot in the shape the sign-off page and its PDF show:
    labels and reasons in the active language, from the frozen content only."""
    from implementation.choices import LoadKind, Reconciliation
    from projects.choices import Department, Role

    numbers = content.get("readiness", {})
    threshold = numbers.get("training_threshold")
    tasks = content.get("cutover_tasks", [])
    incomplete = [
        row | {"planned_start": _moment(row.get("planned_start"))}
        for row in tasks
        if row.get("owner") is None
        or row.get("planned_start") is None
        or row.get("duration_minutes") is None
    ]
    return {
        "has_readiness": "readiness" in content,
        "criteria": _criteria(
            content.get("exit_criteria", []), _criterion_reasons(project, content)
        ),
        "blocking_defects": [
            row
            | {
                "severity_label": _label(Severity, row["severity"]),
                "status_label": _label(DefectStatus, row["status"]),
            }
            for row in content.get("blocking_defects", [])
        ],
        "migration": [
            row
            | {
                "kind_label": _label(LoadKind, row["kind"]) if row.get("kind") else "",
                "reconciliation_label": _label(Reconciliation, row["reconciliation"])
                if row.get("reconciliation")
                else "",
                "is_failed": row.get("reconciliation") == Reconciliation.FAILED,
            }
            for row in content.get("migration", [])
        ],
        "cutover": {
            "tasks": numbers.get("tasks", len(tasks)),
            "complete": numbers.get("tasks", 0) - numbers.get("tasks_incomplete", 0),
            "freeze_set": numbers.get("freeze_set", False),
            "rollback_set": numbers.get("rollback_set", False),
            "rehearsals": numbers.get("rehearsals", 0),
            "successful_rehearsals": numbers.get("successful_rehearsals", 0),
            "incomplete": incomplete,
        },
        "training_threshold": _number(threshold, "%") if threshold is not None else "",
        "training": [
            {
                "department": _label(Department, row["department"]),
                "planned": row["planned"],
                "trained": row["trained"],
                "percent": _number(row["percent"], "%"),
                "met": row["met"],
            }
            for row in content.get("training", [])
        ],
        "hypercare_team": [
            row
            | {
                "role_label": _label(Role, row.get("role")),
                "department_label": _label(Department, row.get("department")),
            }
            for row in content.get("hypercare_team", [])
        ],
        "support_plan": numbers.get("support_plan", False),
        "kpis_without_baseline": [row["name"] for row in content.get("kpis_without_baseline", [])],
    }


# --- The hypercare exit's sections, in words ---------------------------------------------------


def hypercare_exit_sections(project, content: dict) -> dict:
    """The hypercare exit snapshot in the shape the sign-off page and its PDF show: the exit
    criteria with their figures and reasons in the active language, the weeks behind them
    and the open tickets by severity; from the frozen content only."""
    from implementation.hypercare import facts_from_snapshot
    from implementation.selectors.hypercare import exit_rows, severity_counts, week_rows

    facts = facts_from_snapshot(project, content)
    numbers = content.get("hypercare", {})
    open_tickets = content.get("open_tickets", {})
    threshold = numbers.get("threshold")
    return {
        "criteria": exit_rows(content.get("exit_criteria", []), facts),
        "weeks": week_rows(
            [row | {"week": _date(row.get("week"))} for row in content.get("weeks", [])]
        ),
        "open_tickets": severity_counts(open_tickets),
        "open_total": sum(open_tickets.values()),
        "tickets_total": content.get("tickets_total", 0),
        "planned_end": _date(numbers.get("planned_end")),
        "sla_weeks": numbers.get("sla_weeks"),
        "inflow_weeks": numbers.get("inflow_weeks"),
        "threshold": str(threshold) if threshold is not None else "–",
        "inflow_before": numbers.get("inflow_before", 0),
    }


def _severity_counts(counts: dict, *, only_counted: bool = False) -> list[dict]:
    # The go/no-go decision counts only the blocking severities.
    return [
        {"value": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in Severity.choices
        if value in counts or not only_counted
    ]


def _deferred(rows: list[dict]) -> list[dict]:
    return [
        row
        | {
            "severity_label": _label(Severity, row["severity"]),
            "target_date": _date(row.get("target_date")),
        }
        for row in rows
    ]


def _subject(snapshot: dict) -> dict:
    subject = snapshot["subject"]
    if "cycle" in subject:
        return {
            "name": subject["name"],
            "starts_on": _date(subject.get("starts_on")),
            "ends_on": _date(subject.get("ends_on")),
            "environment": _label(Environment, subject.get("environment")),
        }
    return {
        "name": _label(PhaseKind, subject.get("phase")),
        "planned_end": _date(subject.get("planned_end")),
    }


def _verdict(signoff) -> tuple[str, str]:
    """(css class, words) for the sign-off's outcome."""
    if signoff.status == SignoffStatus.SIGNED:
        if signoff.override_criteria:
            return "override", _("Accepted with an override of failing exit criteria")
        return "accepted", _("Accepted")
    if signoff.status == SignoffStatus.REJECTED:
        return "rejected", _("Rejected")
    return "pending", _label(SignoffStatus, signoff.status)


def _signatures(signoff) -> list[SignatureRow]:
    signed = {s.signatory_id: s for s in signoff.signatures.all()}
    rows = []
    for signatory in signoff.signatories.select_related("user").order_by("position"):
        signature = signed.get(signatory.pk)
        rows.append(
            SignatureRow(
                position=signatory.position,
                name=signature.printed_name if signature else signatory.user.display_name,
                role_title=signature.role_title if signature else signatory.role_title,
                meaning=signature.meaning if signature else signatory.meaning,
                decision=signature.decision if signature else "",
                decision_label=_label(Decision, signature.decision)
                if signature
                else _("Not signed"),
                signed_at=signature.signed_at if signature else None,
                comment=signature.comment if signature else "",
                signature_hash=signature.signature_hash if signature else "",
            )
        )
    return rows


def _cut_go_live(sections: dict) -> dict:
    """The go-live sections with every list that grows with the project cut for print (the
    sign-off page shows them whole)."""
    cutover = sections["cutover"] | {"incomplete": capped(sections["cutover"]["incomplete"])}
    lists = ("blocking_defects", "migration", "hypercare_team", "kpis_without_baseline")
    return sections | {key: capped(sections[key]) for key in lists} | {"cutover": cutover}


def _css_string(text: str) -> str:
    # Goes into a <style> element: no quote, backslash or "<" (a "</style>") may pass as is.
    escaped = text.replace("\\", "\\5c ").replace('"', "\\22 ").replace("<", "\\3c ")
    return '"' + escaped.replace("\n", " ") + '"'


def page_counter() -> str:
    """'Page X of Y' in the active language, as a CSS `content` value for a margin box."""
    marker = "\x00"
    words = _("Page %(page)s of %(pages)s") % {"page": marker + "page", "pages": marker + "pages"}
    parts = []
    for piece in words.split(marker):
        for counter in ("pages", "page"):
            if piece.startswith(counter):
                parts.append(f"counter({counter})")
                piece = piece[len(counter) :]
                break
        if piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


def signoff_pdf_context(signoff) -> dict:
    """Everything the template shows, from the snapshot, the sign-off and its signatures."""
    snapshot = json.loads(signoff.snapshot_json)
    content = snapshot["content"]
    verdict_class, verdict = _verdict(signoff)
    counts = content.get("counts")
    defects = [
        row
        | {
            "severity_label": _label(Severity, row["severity"]),
            "status_label": _label(DefectStatus, row["status"]),
        }
        for row in content.get("defects", [])
    ]
    scope = [
        row | {"result_label": _label(ExecutionResult, row["result"]) if row["result"] else ""}
        for row in content.get("scope", [])
    ]
    changes = [
        row
        | {
            "applied_at": _moment(row.get("applied_at")),
            "environment_label": _label(Environment, row.get("environment")),
        }
        for row in content.get("configuration_changes", [])
    ]
    checklist = content.get("checklist", [])
    is_go_live = signoff.kind == SignoffKind.GO_LIVE
    is_hypercare = signoff.kind == SignoffKind.HYPERCARE_EXIT
    go_live = _cut_go_live(go_live_sections(signoff.project, content)) if is_go_live else {}
    hypercare = hypercare_exit_sections(signoff.project, content) if is_hypercare else {}
    explained = go_live or hypercare
    reasons = {row["key"]: row["reasons"] for row in explained.get("criteria", [])}
    uat_signoffs = [
        row | {"status_label": _label(SignoffStatus, row["status"])}
        for row in content.get("uat_signoffs", [])
    ]
    return {
        "signoff": signoff,
        "is_uat": signoff.kind == SignoffKind.UAT,
        "kind_label": _label(SignoffKind, signoff.kind),
        "project": snapshot["project"],
        "subject": _subject(snapshot),
        "taken_at": _moment(snapshot.get("taken_at")),
        "time_zone": signoff.project.time_zone,
        "requested_by": signoff.requested_by.display_name if signoff.requested_by else "",
        "verdict": verdict,
        "verdict_class": verdict_class,
        "overridden": [criterion_label(key) for key in signoff.override_criteria],
        "overridden_rows": [
            {"label": criterion_label(key), "reasons": reasons.get(key, [])}
            for key in signoff.override_criteria
        ],
        "counts": counts,
        "pass_rate": _number(counts["pass_rate"], "%") if counts else "",
        "open_defects": _severity_counts(content.get("open_defects", {}), only_counted=is_go_live),
        "open_total": sum(content.get("open_defects", {}).values()),
        "criteria": explained["criteria"]
        if explained
        else _criteria(content.get("exit_criteria", [])),
        "go_live": go_live,
        "hypercare": hypercare,
        "is_go_live": is_go_live,
        "is_hypercare": is_hypercare,
        "deferred": capped(_deferred(content.get("deferred_defects", []))),
        "changes": capped(changes),
        "defects": defects,
        "scope": scope,
        "checklist": capped(checklist),
        "mandatory_total": sum(1 for item in checklist if item["mandatory"]),
        "uat_signoffs": capped(uat_signoffs),
        "signatures": _signatures(signoff),
        "page_counter": page_counter(),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }


def render_signoff_html(signoff) -> str:
    """The document's HTML under the active language, times in the project's time zone."""
    with timezone.override(zoneinfo.ZoneInfo(signoff.project.time_zone)):
        return render_to_string(TEMPLATE, signoff_pdf_context(signoff))


def render_signoff_pdf(signoff) -> bytes:
    """The PDF of a sign-off, as bytes. Fetches nothing but static files and data: URLs."""
    root = static_root()
    html = HTML(
        string=render_signoff_html(signoff),
        base_url=root.as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(root),
    )
    return html.write_pdf()
