from implementation.models.configuration import ConfigurationChange
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

__all__ = [
    "ActionItem",
    "ChecklistItem",
    "ChecklistItemEvent",
    "ConfigurationChange",
    "Phase",
    "PhaseTransition",
    "ReminderAddressFailure",
    "ReminderStatus",
    "ReviewMeeting",
    "ReviewReminder",
    "WeeklyStatusReport",
]
