"""Input shape of the configuration log page; the rules live in the service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.models import ConfigurationChange, Phase
from projects.models import User
from uat.models import Defect

AREA_SUGGESTIONS_ID = "configuration-areas"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class PhaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_kind_display()


class ConfigurationChangeForm(forms.ModelForm):
    """A new entry of the log; with `supersedes`, the correction of an earlier one."""

    class Meta:
        model = ConfigurationChange
        fields = [
            "area",
            "setting",
            "old_value",
            "new_value",
            "reason",
            "reference",
            "requested_by",
            "approved_by",
            "environment",
            "applied_at",
            "phase",
            "defect",
            "supersedes",
        ]
        widgets = {
            "area": forms.TextInput(attrs={"list": AREA_SUGGESTIONS_ID, "autocomplete": "off"}),
            "old_value": forms.Textarea(attrs={"rows": 3}),
            "new_value": forms.Textarea(attrs={"rows": 3}),
            "reason": forms.Textarea(attrs={"rows": 3}),
            "applied_at": DateTimeInput(),
            "supersedes": forms.HiddenInput(),
        }
        field_classes = {
            "requested_by": MemberChoiceField,
            "approved_by": MemberChoiceField,
            "phase": PhaseChoiceField,
        }
        help_texts = {
            "old_value": _("What the setting was before; leave empty for something new."),
            "approved_by": _("Leave empty when no approval was needed."),
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        members = User.objects.filter(memberships__project=project).order_by(
            "first_name", "last_name", "username"
        )
        not_a_member = _("Choose a member of the project team.")
        for name in ("requested_by", "approved_by"):
            self.fields[name].queryset = members
            self.fields[name].error_messages["invalid_choice"] = not_a_member
        self.fields["applied_at"].help_text = _("Time in %(zone)s, the project's time zone.") % {
            "zone": project.time_zone.replace("_", " ")
        }
        self.fields["phase"].queryset = Phase.objects.filter(project=project).order_by("position")
        self.fields["phase"].error_messages["invalid_choice"] = _("Choose a phase of this project.")
        defect = self.fields["defect"]
        defect.queryset = Defect.objects.filter(project=project).order_by("-number")
        defect.label_from_instance = str
        defect.to_field_name = "number"
        defect.error_messages["invalid_choice"] = _("Choose a defect of this project.")
        supersedes = self.fields["supersedes"]
        supersedes.queryset = ConfigurationChange.objects.filter(project=project)
        supersedes.to_field_name = "number"
        supersedes.error_messages["invalid_choice"] = _(
            "Only an entry of this project's log can be corrected here."
        )

    def _post_clean(self):
        # The service validates the whole entry (team members, phase, corrections).
        pass
