"""The configuration log's one FilterSet, shared by the list page, its exports and the API."""

import datetime
import zoneinfo

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from implementation.choices import Environment, PhaseKind
from implementation.configuration_forms import AREA_SUGGESTIONS_ID
from implementation.models import ConfigurationChange
from projects.filters import ProjectCodeFilter
from projects.forms import DateInput
from projects.models import EARLIEST_DATE, LATEST_DATE, Project


class ConfigurationChangeFilter(django_filters.FilterSet):
    """Filters of the log. Dates are days where the project happens, not where the server is.

    Pages pass `project=`: the log is already that project's, so the project filter goes.
    """

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    project = ProjectCodeFilter(label=_("Project code"))
    area = django_filters.CharFilter(
        lookup_expr="icontains",
        label=_("Module or area"),
        widget=forms.TextInput(attrs={"list": AREA_SUGGESTIONS_ID, "autocomplete": "off"}),
    )
    environment = django_filters.ChoiceFilter(
        choices=Environment.choices, label=_("Environment"), empty_label=_("All environments")
    )
    phase = django_filters.ChoiceFilter(
        field_name="phase__kind",
        choices=PhaseKind.choices,
        label=_("Phase"),
        empty_label=_("All phases"),
    )
    applied_from = django_filters.DateFilter(
        method="filter_applied_from", label=_("Applied from"), widget=DateInput()
    )
    applied_to = django_filters.DateFilter(
        method="filter_applied_to", label=_("Applied to"), widget=DateInput()
    )

    class Meta:
        model = ConfigurationChange
        fields = ["q", "project", "area", "environment", "phase", "applied_from", "applied_to"]

    def __init__(self, data=None, queryset=None, *, project: Project | None = None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.for_project = project
        if project is not None:
            self.filters.pop("project")

    def _zone(self) -> datetime.tzinfo:
        """The project's time zone: given, or named in the filter; else the current one."""
        if self.for_project is not None:
            return zoneinfo.ZoneInfo(self.for_project.time_zone)
        code = self.form.cleaned_data.get("project")
        if code:
            name = (
                Project.objects.filter(code__iexact=code)
                .values_list("time_zone", flat=True)
                .first()
            )
            if name:
                return zoneinfo.ZoneInfo(name)
        return timezone.get_current_timezone()

    def _start_of(self, day: datetime.date) -> datetime.datetime:
        # Outside the dates the log accepts, the filter is just "from the start / to the end".
        day = min(max(day, EARLIEST_DATE), LATEST_DATE)
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self._zone())

    def filter_applied_from(self, queryset, name, value):
        return queryset.filter(applied_at__gte=self._start_of(value))

    def filter_applied_to(self, queryset, name, value):
        if value >= LATEST_DATE:
            return queryset
        return queryset.filter(applied_at__lt=self._start_of(value + datetime.timedelta(days=1)))

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(setting__icontains=value)
            | Q(old_value__icontains=value)
            | Q(new_value__icontains=value)
            | Q(reason__icontains=value)
            | Q(reference__icontains=value)
            | Q(area__icontains=value)
        )
