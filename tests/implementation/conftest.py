"""Fixtures for the implementation tests: someone who may create projects, and for the
configuration log a factory for raw rows and a recorder that goes through the service."""

import datetime
import zoneinfo

import factory
import pytest
from django.db.models import Max

from implementation.choices import Environment
from implementation.models import ConfigurationChange
from implementation.services.configuration import configuration_change_record
from tests.factories import ProjectFactory, UserFactory

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
APPLIED_AT = datetime.datetime(2026, 3, 2, 14, 30, tzinfo=HANOI)


def _next_number(change) -> int:
    last = ConfigurationChange.objects.filter(project=change.project).aggregate(n=Max("number"))
    return (last["n"] or 0) + 1


class ConfigurationChangeFactory(factory.django.DjangoModelFactory):
    """A raw log row, bypassing the service's rules: for model and admin tests."""

    class Meta:
        model = ConfigurationChange

    project = factory.SubFactory(ProjectFactory)
    number = factory.LazyAttribute(_next_number)
    area = "Finance - Tax"
    setting = factory.Sequence(lambda n: f"Setting {n}")
    old_value = "Round per line"
    new_value = "Round globally"
    reason = "Match the e-invoice totals."
    reference = "REQ-7"
    recorded_by = factory.SubFactory(UserFactory)
    requested_by = factory.SelfAttribute("recorded_by")
    environment = Environment.TEST
    applied_at = APPLIED_AT


@pytest.fixture
def change_factory(db):
    return ConfigurationChangeFactory


@pytest.fixture
def record_change(project):
    """record_change(actor, **overrides) -> an entry recorded through the service on `project`."""

    def record(actor, **overrides) -> ConfigurationChange:
        values = {
            "project": project,
            "area": "Finance - Tax",
            "setting": "Tax calculation rounding method",
            "old_value": "Round per line",
            "new_value": "Round globally",
            "reason": "VNPT computes VAT on the invoice total.",
            "reference": "TCK-112",
            "requested_by": actor,
            "environment": Environment.TEST,
            "applied_at": APPLIED_AT,
        }
        values.update(overrides)
        return configuration_change_record(actor=actor, **values)

    return record


@pytest.fixture
def creator(db):
    """Someone allowed to create projects (tests build real projects from templates)."""
    return UserFactory(can_create_projects=True)
