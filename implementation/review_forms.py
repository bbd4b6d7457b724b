"""Input shapes for the review pages, and the action item filter the pages and API share.

The forms only check shape. Who may attend, who may own an item and which days are free
are the services' rules: the people fields accept any user, so that a stranger gets the
service's clear "choose a member of this project's team" error on the field.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.choices import OPEN_ACTION_STATUSES, ActionItemStatus
from implementation.models import ActionItem, ReviewMeeting
from implementation.selectors.reviews import members_of
from projects.filters import ProjectCodeFilter
from projects.forms import DateInput
from projects.models import User

UNRESOLVED = "unresolved"  # the filter value for open or in progress


def _member_choices(project) -> list[tuple[int, str]]:
    return [(user.pk, user.display_name) for user in members_of(project)]


class MeetingForm(forms.ModelForm):
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"),
        queryset=User.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ReviewMeeting
        fields = ["held_on", "attendees", "notes", "decisions"]
        widgets = {
            "held_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 6}),
            "decisions": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "notes": _("What was reported and discussed."),
            "decisions": _("What the team decided, one per line."),
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = members_of(project)
        self.fields["attendees"].choices = _member_choices(project)
        if self.instance.pk is None and not self.initial.get("held_on"):
            self.initial["held_on"] = project.local_today()

    def _post_clean(self):
        # The service checks the day (one meeting per day, not in the future) and the team.
        pass


class ActionItemForm(forms.ModelForm):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.all())
    raised_in = forms.ModelChoiceField(
        label=_("Raised in"),
        queryset=ReviewMeeting.objects.none(),
        required=False,
        empty_label=_("Outside a meeting"),
    )

    class Meta:
        model = ActionItem
        fields = ["title", "owner", "due_date", "raised_in"]
        widgets = {"due_date": DateInput()}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members_of(project)
        self.fields["owner"].choices = [("", "---------"), *_member_choices(project)]
        meetings = ReviewMeeting.objects.filter(project=project).order_by("-held_on")
        self.fields["raised_in"].queryset = meetings
        self.fields["raised_in"].label_from_instance = lambda meeting: meeting.held_on.isoformat()

    def _post_clean(self):
        pass


class ActionItemEditForm(ActionItemForm):
    class Meta(ActionItemForm.Meta):
        fields = ["title", "owner", "due_date", "status", "raised_in"]


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionItemStatus.choices)


class ActionItemFilter(django_filters.FilterSet):
    """One filter for the action list page and the API."""

    project = ProjectCodeFilter(label=_("Project code"))
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(UNRESOLVED, _("Open or in progress")), *ActionItemStatus.choices],
        empty_label=_("Any status"),
        method="filter_status",
    )
    owner = django_filters.CharFilter(field_name="owner__username", label=_("Owner (username)"))

    class Meta:
        model = ActionItem
        fields = ["project", "status", "owner"]

    def filter_status(self, queryset, name, value):
        if value == UNRESOLVED:
            return queryset.filter(status__in=OPEN_ACTION_STATUSES)
        return queryset.filter(status=value)
