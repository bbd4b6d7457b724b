from implementation.models.configuration import ConfigurationChange
from implementation.models.phases import (
    ChecklistItem,
    ChecklistItemEvent,
    Phase,
    PhaseTransition,
)
from implementation.models.reviews import ActionItem, ReviewMeeting

__all__ = [
    "ActionItem",
    "ChecklistItem",
    "ChecklistItemEvent",
    "ConfigurationChange",
    "Phase",
    "PhaseTransition",
    "ReviewMeeting",
]
