"""Factories for review meetings, action items and configuration changes (agenda tests)."""

import datetime

import factory
from django.utils import timezone

from implementation.choices import ActionItemStatus, Environment
from implementation.models import ActionItem, ConfigurationChange, ReviewMeeting
from tests.factories import ProjectFactory, UserFactory


class ReviewMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewMeeting
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    held_on = factory.Sequence(lambda n: datetime.date(2026, 1, 5) + datetime.timedelta(weeks=n))
    notes = "Progress reviewed."
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def attendees(self, create, extracted, **kwargs):
        if create and extracted:
            self.attendees.set(extracted)


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    project = factory.SubFactory(ProjectFactory)
    raised_in = None
    title = factory.Sequence(lambda n: f"Action item {n}")
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    status = ActionItemStatus.OPEN
    created_by = factory.SelfAttribute("owner")


class ConfigurationChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationChange

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    area = "Finance - Tax"
    setting = factory.Sequence(lambda n: f"Setting {n}")
    old_value = "Round per invoice"
    new_value = "Round per line"
    reason = "Finance asked for it."
    requested_by = factory.SubFactory(UserFactory)
    recorded_by = factory.SelfAttribute("requested_by")
    environment = Environment.TEST
    applied_at = factory.LazyFunction(timezone.now)
