"""KPI vocabularies: categories, direction, measurement cadence and the computed status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KpiCategory(models.TextChoices):
    PROCESS_EFFICIENCY = "process_efficiency", _("Process efficiency")
    QUALITY = "quality", _("Quality")
    FINANCE = "finance", _("Finance")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    ADOPTION = "adoption", _("Adoption")
    SATISFACTION = "satisfaction", _("Satisfaction")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class KpiStatus(models.TextChoices):
    """Computed, never stored: see kpis.metrics for the rules."""

    ACHIEVED = "achieved", _("Achieved")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    NO_DATA = "no_data", _("Not measured yet")
    NO_BASELINE = "no_baseline", _("No baseline")


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", _("Entered")
    IMPORT = "import", _("Imported")
    API = "api", _("Sent by another system")
