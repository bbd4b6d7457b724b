"""Phases, their statuses and checklist item kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PhaseKind(models.TextChoices):
    """The six implementation phases, in their natural order."""

    DISCOVERY = "discovery", _("Discovery & planning")
    DESIGN = "design", _("Design")
    DEVELOPMENT = "development", _("Development")
    TESTING = "testing", _("Testing")
    GO_LIVE = "go_live", _("Go-live")
    HYPERCARE = "hypercare", _("Hypercare")


PHASE_ORDER = {kind: position for position, kind in enumerate(PhaseKind, start=1)}


class PhaseStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class ChecklistItemKind(models.TextChoices):
    CRITERION = "criterion", _("Gate criterion")
    DELIVERABLE = "deliverable", _("Deliverable")


# Phases move forward and may be reopened; each move is recorded with who, when and why.
PHASE_TRANSITIONS: dict[str, set[str]] = {
    PhaseStatus.NOT_STARTED: {PhaseStatus.IN_PROGRESS},
    PhaseStatus.IN_PROGRESS: {PhaseStatus.COMPLETED},
    PhaseStatus.COMPLETED: {PhaseStatus.IN_PROGRESS},  # reopen
}


class Environment(models.TextChoices):
    DEVELOPMENT = "development", _("Development")
    TEST = "test", _("Test")
    PRODUCTION = "production", _("Production")


# Areas offered as suggestions on the configuration log; the field accepts any text.
CONFIGURATION_AREAS = [
    _("Finance - General Ledger"),
    _("Finance - Accounts Payable"),
    _("Finance - Accounts Receivable"),
    _("Finance - Tax"),
    _("Inventory"),
    _("Purchasing"),
    _("Sales"),
    _("Point of Sale"),
    _("Manufacturing"),
    _("HR - Payroll"),
    _("CRM - Leads"),
    _("CRM - Opportunities"),
    _("CRM - Service"),
    _("Integrations"),
    _("Users and security"),
]


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ACTION_STATUSES = frozenset({ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS})


# --- Go-live readiness ----------------------------------------------------------------------


class CleansingStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class LoadKind(models.TextChoices):
    MOCK = "mock", _("Trial load (mock)")
    FINAL = "final", _("Final load")


class Reconciliation(models.TextChoices):
    """What a load's numbers say, given its tolerance (see implementation.migration)."""

    RECONCILED = "reconciled", _("Reconciled")
    WITHIN_TOLERANCE = "within_tolerance", _("Within tolerance")
    FAILED = "failed", _("Failed")


# Statuses that satisfy the readiness criterion "reconciled on the last load".
ACCEPTABLE_RECONCILIATION = frozenset({Reconciliation.RECONCILED, Reconciliation.WITHIN_TOLERANCE})


class CutoverStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("Running")
    DONE = "done", _("Done")
    BLOCKED = "blocked", _("Blocked")


# Moves on the run-sheet: done and blocked tasks can be taken up again, never skipped back to
# "not started" once they ran (their actual start is history).
CUTOVER_TRANSITIONS = {
    CutoverStatus.NOT_STARTED: {CutoverStatus.IN_PROGRESS, CutoverStatus.BLOCKED},
    CutoverStatus.IN_PROGRESS: {CutoverStatus.DONE, CutoverStatus.BLOCKED},
    CutoverStatus.BLOCKED: {CutoverStatus.IN_PROGRESS},
    CutoverStatus.DONE: {CutoverStatus.IN_PROGRESS},
}


class RehearsalOutcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    ISSUES = "issues", _("Issues found, needs another rehearsal")


class CommunicationKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    EMAIL = "email", _("E-mail")
    CHAT_GROUP = "chat_group", _("Chat group")
    POSTER = "poster", _("Poster")
    VIDEO = "video", _("Video")
    DEMO = "demo", _("Demo")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# --- Hypercare --------------------------------------------------------------------------------


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_TICKET_STATUSES = frozenset(
    {TicketStatus.NEW, TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS}
)

# Reopening (from resolved or closed) takes a ticket back to in progress with a fresh
# resolution clock; closing is the reporter's or support's confirmation that it is fixed.
TICKET_TRANSITIONS = {
    TicketStatus.NEW: {TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED},
    TicketStatus.ACKNOWLEDGED: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED},
    TicketStatus.IN_PROGRESS: {TicketStatus.RESOLVED},
    TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.IN_PROGRESS},
    TicketStatus.CLOSED: {TicketStatus.IN_PROGRESS},
}


class TicketSource(models.TextChoices):
    WEB = "web", _("Rollout")
    API = "api", _("The ERP's help button (API)")


class SlaUnit(models.TextChoices):
    HOURS = "hours", _("working hours")
    BUSINESS_DAYS = "business_days", _("business days")


class ReviewDecision(models.TextChoices):
    FINE = "fine", _("Fine")
    NEEDS_TRAINING = "needs_training", _("Needs training")
    NEEDS_CHANGE = "needs_change", _("Needs change")
