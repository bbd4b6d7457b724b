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
