"""UAT vocabularies and the defect workflow.

A defect moves new -> triaged -> in progress -> fixed (ready for re-test) -> closed. A failed
re-test reopens it from fixed or closed; a reopened defect goes back to work. Triage may
instead reject it, mark it a duplicate of another defect, or defer it (with a reason, a
workaround and a target date); a deferred defect can be picked up again. Nothing else.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class ExecutionResult(models.TextChoices):
    PASSED = "passed", _("Pass")
    FAILED = "failed", _("Fail")
    BLOCKED = "blocked", _("Blocked")
    NOT_RUN = "not_run", _("Not run")


class DefectStatus(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    FIXED = "fixed", _("Fixed (ready for re-test)")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    DEFERRED = "deferred", _("Deferred")


S = DefectStatus
_SET_ASIDE = {S.REJECTED, S.DUPLICATE, S.DEFERRED}

DEFECT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.TRIAGED, *_SET_ASIDE}),
    S.TRIAGED: frozenset({S.IN_PROGRESS, *_SET_ASIDE}),
    S.IN_PROGRESS: frozenset({S.FIXED, S.DEFERRED}),
    S.FIXED: frozenset({S.CLOSED, S.REOPENED}),  # the re-test passes or fails
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.DEFERRED}),
    S.DEFERRED: frozenset({S.TRIAGED}),
    S.REJECTED: frozenset(),
    S.DUPLICATE: frozenset(),
}

# Moves that are a re-test: done by a pilot or key user, never by whoever fixed the defect.
RETEST_TARGETS = frozenset({S.CLOSED, S.REOPENED})
OPEN_STATUSES = frozenset({S.NEW, S.TRIAGED, S.IN_PROGRESS, S.FIXED, S.REOPENED})


# --- Sign-offs ----------------------------------------------------------------------------
# A sign-off moves draft -> requested -> signed, or rejected; it is cancelled from draft or
# requested. Signed, rejected and cancelled are final: a new round starts a new sign-off.


class SignoffKind(models.TextChoices):
    UAT = "uat", _("UAT sign-off")
    GO_LIVE = "go_live", _("Go-live readiness")
    HYPERCARE_EXIT = "hypercare_exit", _("Hypercare exit")


class SignoffStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Requested")
    SIGNED = "signed", _("Signed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


SIGNOFF_TRANSITIONS: dict[str, frozenset[str]] = {
    SignoffStatus.DRAFT: frozenset({SignoffStatus.REQUESTED, SignoffStatus.CANCELLED}),
    SignoffStatus.REQUESTED: frozenset(
        {SignoffStatus.SIGNED, SignoffStatus.REJECTED, SignoffStatus.CANCELLED}
    ),
    SignoffStatus.SIGNED: frozenset(),
    SignoffStatus.REJECTED: frozenset(),
    SignoffStatus.CANCELLED: frozenset(),
}
FINAL_SIGNOFF_STATUSES = frozenset(
    {SignoffStatus.SIGNED, SignoffStatus.REJECTED, SignoffStatus.CANCELLED}
)


class SigningOrder(models.TextChoices):
    PARALLEL = "parallel", _("In parallel (any order)")
    SEQUENTIAL = "sequential", _("In order (one after another)")


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
