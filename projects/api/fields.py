"""Serializer fields shared by every API."""

from rest_framework import serializers


class SafeDateTimeField(serializers.DateTimeField):
    """A date-time whose conversion to the time zone can't overflow into a 500."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM]")
