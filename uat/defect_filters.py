"""The defects' one FilterSet, shared by the list page and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.filters import PkFilter, ProjectCodeFilter
from projects.models import Project
from uat.choices import OPEN_STATUSES, DefectStatus, Severity
from uat.models import Attachment, Defect, DefectComment

OPEN = "open"
UNASSIGNED = "none"


class DefectFilter(django_filters.FilterSet):
    """Filters of the defect list. Pages pass `project=` (the project filter then goes) and
    get the assignee and cycle as menus of that project; the API takes a username and a pk.
    """

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    project = ProjectCodeFilter(label=_("Project code"))
    severity = django_filters.ChoiceFilter(
        choices=Severity.choices, label=_("Severity"), empty_label=_("All severities")
    )
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[(OPEN, _("All open")), *DefectStatus.choices],
        label=_("Status"),
        empty_label=_("All statuses"),
    )
    module = django_filters.CharFilter(lookup_expr="icontains", label=_("Module"))
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        label=_("Assignee"),
        help_text=_("A username, or none for unassigned defects."),
    )
    cycle = PkFilter(field_name="cycle_id", label=_("Cycle"))

    class Meta:
        model = Defect
        fields = ["q", "project", "severity", "status", "module", "assignee", "cycle"]

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        project: Project | None = None,
        members=(),
        cycles=(),
        **kwargs,
    ):
        super().__init__(data, queryset, **kwargs)
        if project is not None:
            self.filters.pop("project")
            self.filters["assignee"].extra["widget"] = forms.Select(
                choices=[
                    ("", _("Anyone")),
                    (UNASSIGNED, _("Unassigned")),
                    *((user.username, user.display_name) for user in members),
                ]
            )
            self.filters["cycle"].extra["widget"] = forms.Select(
                choices=[("", _("All cycles")), *((cycle.pk, cycle.name) for cycle in cycles)]
            )

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(title__icontains=value) | Q(description__icontains=value)
        number = value.upper().removeprefix("DEF-")
        if number.isdigit():
            condition |= Q(number=int(number))
        return queryset.filter(condition)

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)


class DefectCommentFilter(django_filters.FilterSet):
    defect = PkFilter(field_name="defect_id", label=_("Defect (pk)"))

    class Meta:
        model = DefectComment
        fields = ["defect"]


class AttachmentFilter(django_filters.FilterSet):
    defect = PkFilter(field_name="defect_id", label=_("Defect (pk)"))

    class Meta:
        model = Attachment
        fields = ["defect"]
