"""Fixed vocabularies of projects and teams."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemKind(models.TextChoices):
    ERP = "erp", _("ERP")
    CRM = "crm", _("CRM")
    ERP_CRM = "erp_crm", _("ERP + CRM")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    CLOSED = "closed", _("Closed")


class Role(models.TextChoices):
    PROJECT_MANAGER = "project_manager", _("Project manager")
    CONSULTANT = "consultant", _("Consultant")
    IT = "it", _("IT")
    KEY_USER = "key_user", _("Key user")
    PILOT_USER = "pilot_user", _("Pilot user")
    EXECUTIVE = "executive", _("Executive")
    VIEWER = "viewer", _("Viewer")


class Department(models.TextChoices):
    SALES = "sales", _("Sales")
    ACCOUNTING_FINANCE = "accounting_finance", _("Accounting / finance")
    WAREHOUSE = "warehouse", _("Warehouse")
    PURCHASING = "purchasing", _("Purchasing")
    PRODUCTION = "production", _("Production")
    HR = "hr", _("HR")
    IT = "it", _("IT")
    MANAGEMENT = "management", _("Management")
    OTHER = "other", _("Other")


# Departments that own business processes (finance is checked on its own).
BUSINESS_DEPARTMENTS = frozenset(
    {Department.SALES, Department.WAREHOUSE, Department.PURCHASING, Department.PRODUCTION}
)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class PdfStatus(models.TextChoices):
    """Where a PDF built by a worker stands (see projects.documents)."""

    PENDING = "pending", _("Waiting to be built")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
