from implementation.models.configuration import ConfigurationChange
from implementation.models.phases import ChecklistItem, Phase, PhaseTransition
from implementation.models.reviews import ActionItem, ReviewMeeting

__all__ = [
    "ActionItem",
    "ChecklistItem",
    "ConfigurationChange",
    "Phase",
    "PhaseTransition",
    "ReviewMeeting",
]
