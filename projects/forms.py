"""Input shapes for the pages; rules live in the services."""

import zoneinfo

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from implementation.blueprints import default_go_live
from projects.choices import Department, Role, SystemKind
from projects.models import Project, User
from projects.services import PROJECT_EDITABLE_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


_WIDGETS = {
    "start_date": DateInput(),
    "target_go_live": DateInput(),
    "review_time": TimeInput(),
    "business_problem": forms.Textarea(attrs={"rows": 4}),
}


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneFieldMixin:
    """Offer the time zone as a list rather than free text, so it can't be mistyped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        self.fields["time_zone"] = forms.ChoiceField(
            label=field.label, choices=time_zone_choices(), initial=field.initial
        )


class ProjectCreateForm(TimeZoneFieldMixin, forms.ModelForm):
    actor_department = forms.ChoiceField(
        label=_("Your department"),
        choices=Department.choices,
        initial=Department.OTHER,
        help_text=_("You join the team as its project manager."),
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "code",
            "client_organisation",
            "system_kind",
            *(name for name in PROJECT_EDITABLE_FIELDS if name != "status"),
        ]
        widgets = _WIDGETS
        labels = {"system_kind": _("Template")}
        help_texts = {
            "system_kind": _(
                "Creates the six phases with typical dates and default checklist items."
            ),
            "target_go_live": _("Leave empty to use the template's typical duration."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_go_live"].required = False
        self.fields["system_kind"].choices = SystemKind.choices
        self.fields["system_kind"].initial = SystemKind.ERP

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        kind, start = cleaned.get("system_kind"), cleaned.get("start_date")
        if not cleaned.get("target_go_live") and kind and start:
            cleaned["target_go_live"] = default_go_live(kind, start)
        return cleaned


class ProjectEditForm(TimeZoneFieldMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = list(PROJECT_EDITABLE_FIELDS)
        widgets = _WIDGETS


class MembershipAddForm(forms.Form):
    person = forms.CharField(
        label=_("Person"),
        max_length=254,
        help_text=_("Their username or e-mail address."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.PILOT_USER)
    department = forms.ChoiceField(label=_("Department"), choices=Department.choices)

    def clean_person(self) -> User:
        value = self.cleaned_data["person"].strip()
        matches = list(
            User.objects.filter(Q(username__iexact=value) | Q(email__iexact=value), is_active=True)[
                :2
            ]
        )
        if len(matches) != 1:
            raise forms.ValidationError(
                _("No single active user has this username or e-mail address.")
            )
        return matches[0]


class MembershipChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    department = forms.ChoiceField(label=_("Department"), choices=Department.choices)


class MembershipGoLiveRolesForm(forms.Form):
    """A member's go-live roles; an unticked box takes the role off."""

    # Sent by this form only: tells the member-change page which of its two forms was sent.
    MARKER = "go_live_roles"

    is_champion = forms.BooleanField(label=_("Digital champion"), required=False)
    on_hypercare_team = forms.BooleanField(label=_("Hypercare team"), required=False)
