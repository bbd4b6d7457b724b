"""Serializer fields shared by every API."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from projects.models import User


class SafeDateTimeField(serializers.DateTimeField):
    """A date-time whose conversion to the time zone can't overflow into a 500."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM]")


class ProjectMemberField(serializers.SlugRelatedField):
    """A member of the project in the serializer's context, by username.

    Anyone else, unknown or on another team, is simply not found: usernames can't be probed.
    """

    default_error_messages = {
        "does_not_exist": gettext_lazy("No member of this project has the username {value}."),
        "invalid": gettext_lazy("Give a username."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=User.objects.none(), **kwargs)

    def get_queryset(self):
        project = self.context.get("project")
        return User.objects.filter(memberships__project=project) if project else User.objects.none()
