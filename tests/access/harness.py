"""What the matrix tests share: the identities, the URL of each entry on the matrix
records, the tables a request writes to, and one request per identity inside a savepoint that is
rolled back."""

import contextlib
import dataclasses
import re

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from projects.choices import Role

ROLES = [str(role) for role in Role]
IDENTITIES = [*ROLES, "outsider", "anonymous"]
OUR_APPS = ("projects", "implementation", "uat", "kpis")

# URL keyword -> the record it names, by the URL name's prefix (longest prefix first).
PK_OWNERS = [
    ("projects:member-", "membership"),
    ("implementation:item-", "item"),
    ("implementation:meeting-", "meeting"),
    ("implementation:action-", "action"),
    ("implementation:status-report-", "status_report"),
    ("uat:scenario-", "scenario"),
    ("uat:cycle-", "cycle"),
    ("uat:run", "cycle"),
    ("uat:attachment-download", "attachment"),
    ("kpis:report-", "report"),
    ("kpis:", "kpi"),
    ("golive:migration-object", "object"),
    ("golive:load-new", "object"),
    ("golive:load-", "load"),
    ("golive:session", "session"),
    ("golive:end-user", "end_user"),
    ("golive:communication", "activity"),
    ("hypercare:ticket-attachment", "ticket_attachment"),
]
NUMBER_OWNERS = [
    ("implementation:config-", "change"),
    ("uat:defect-", "defect"),
    ("uat:attachment-upload", "defect"),
    ("signoffs:pdf", "signed_signoff"),
    ("signoffs:", "signoff"),
    ("golive:cutover-task-", "task"),
    ("hypercare:", "ticket"),
]
# API basenames (longest first) -> the record a detail route names.
API_RECORDS = [
    ("checklist-item", "item"),
    ("configuration-change", "change"),
    ("review-meeting", "meeting"),
    ("action-item", "action"),
    ("migration-object", "object"),
    ("migration-load", "load"),
    ("cutover-task", "task"),
    ("cutover-rehearsal", "rehearsal"),
    ("communication-activity", "activity"),
    ("end-user", "end_user"),
    ("training-session", "session"),
    ("test-scenario", "scenario"),
    ("test-cycle", "cycle"),
    ("test-execution", "execution"),
    ("defect-comment", "defect"),
    ("defect", "defect"),
    ("attachment", "attachment"),
    ("sign-off-pdf", "signed_signoff"),
    ("sign-off", "signoff"),
    ("kpi-measurement", "measurement"),
    ("kpi", "kpi"),
    ("membership", "membership"),
    ("phase", "phase"),
    ("ticket", "ticket"),
]


def owner_of(name: str, table) -> str:
    return next(kind for prefix, kind in table if name.startswith(prefix))


def route_arguments(route: str) -> list[str]:
    """The keyword arguments of a full route, including those of its includes."""
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def page_kwargs(name: str, arguments: list[str], records) -> dict:
    values = {}
    for key in arguments:
        if key == "code":
            values[key] = records.project.code
        elif key == "kind":
            values[key] = records["phase"].kind
        elif key == "pk":
            values[key] = records[owner_of(name, PK_OWNERS)].pk
        elif key == "number":
            values[key] = records[owner_of(name, NUMBER_OWNERS)].number
        elif key == "entry_pk":
            values[key] = records["entry"].pk
        elif key == "measurement_pk":
            values[key] = records["measurement"].pk
        else:
            raise AssertionError(f"{name}: no record for <{key}>")
    return values


def api_kwargs(name: str, pattern, records) -> dict:
    values = {}
    for key in pattern.pattern.regex.groupindex:
        if key == "code":
            values[key] = records.project.code
        elif key == "pk":
            values[key] = records[owner_of(name.removeprefix("api:"), API_RECORDS)].pk
        else:
            raise AssertionError(f"{name}: no record for <{key}>")
    return values


# A refused request must change nothing. Rather than compare every table before and after
# (dozens of queries per identity), the request's own SQL shows whether it wrote any row.
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
OUR_TABLES = tuple(f"{app}_" for app in OUR_APPS)


@contextlib.contextmanager
def tables_written():
    """Collect the tables of our apps that the code inside the block writes to."""
    written: list[str] = []
    with CaptureQueriesContext(connection) as captured:
        yield written
    for query in captured.captured_queries:
        match = WRITE.match(query["sql"])
        if match and match.group(1).startswith(OUR_TABLES) and match.group(1) not in written:
            written.append(match.group(1))


@dataclasses.dataclass
class Mismatch:
    url: str
    method: str
    identity: str
    expected: str
    got: str

    def __str__(self) -> str:
        return (
            f"{self.method.upper()} {self.url} as {self.identity}: "
            f"expected {self.expected}, got {self.got}"
        )


def rolled_back(attempt):
    """Run attempt() in a savepoint that is rolled back: every identity starts from the
    same data."""
    with transaction.atomic():
        try:
            return attempt()
        finally:
            transaction.set_rollback(True)


def report(mismatches: list[Mismatch]) -> str:
    return "\n".join(str(m) for m in mismatches)
