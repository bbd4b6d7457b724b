from implementation.models.configuration import ConfigurationChange
from implementation.models.cutover import CutoverRehearsal, CutoverTask
from implementation.models.golive import GoLivePlan
from implementation.models.hypercare import (
    FeedbackResponse,
    HypercarePlan,
    ModuleReview,
    SlaTarget,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketEvent,
)
from implementation.models.migration import MigrationLoad, MigrationObject
from implementation.models.phases import (
    ChecklistItem,
    ChecklistItemEvent,
    Phase,
    PhaseTransition,
)
from implementation.models.reminders import (
    ReminderAddressFailure,
    ReminderStatus,
    ReviewReminder,
)
from implementation.models.reviews import ActionItem, ReviewMeeting
from implementation.models.status_reports import WeeklyStatusReport
from implementation.models.training import (
    Attendance,
    CommunicationActivity,
    EndUser,
    TrainingSession,
)

__all__ = [
    "ActionItem",
    "Attendance",
    "ChecklistItem",
    "ChecklistItemEvent",
    "CommunicationActivity",
    "ConfigurationChange",
    "CutoverRehearsal",
    "CutoverTask",
    "EndUser",
    "FeedbackResponse",
    "GoLivePlan",
    "HypercarePlan",
    "MigrationLoad",
    "MigrationObject",
    "ModuleReview",
    "Phase",
    "PhaseTransition",
    "ReminderAddressFailure",
    "ReminderStatus",
    "ReviewMeeting",
    "ReviewReminder",
    "SlaTarget",
    "Ticket",
    "TicketAttachment",
    "TicketComment",
    "TicketEvent",
    "TrainingSession",
    "WeeklyStatusReport",
]
