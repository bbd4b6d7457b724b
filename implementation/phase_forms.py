"""Input shapes for the phase and checklist pages; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.choices import ChecklistItemKind
from implementation.models import ChecklistItem, Phase
from projects.forms import DateInput
from projects.models import User


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


def _members_of(project):
    return User.objects.filter(memberships__project=project).order_by(
        "first_name", "last_name", "username"
    )


class PhaseForm(forms.ModelForm):
    class Meta:
        model = Phase
        fields = ["planned_start", "planned_end", "actual_start", "actual_end", "owner", "notes"]
        widgets = {
            "planned_start": DateInput(),
            "planned_end": DateInput(),
            "actual_start": DateInput(),
            "actual_end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {"owner": MemberChoiceField}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members_of(project)

    def _post_clean(self):
        # The service validates the whole phase (dates in order, owner on the team).
        pass


class PhaseCompleteForm(forms.Form):
    waiver_reason = forms.CharField(
        label=_("Waiver reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only when mandatory items are still open, and only the project manager: why the "
            "phase may close anyway. The waiver stays on the phase and in every report."
        ),
    )


class PhaseReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the phase reopened?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ChecklistItemForm(forms.ModelForm):
    evidence_url = forms.URLField(
        label=_("Evidence link"), max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = ChecklistItem
        fields = [
            "title",
            "kind",
            "is_mandatory",
            "owner",
            "due_date",
            "description",
            "evidence_url",
            "evidence_file",
        ]
        widgets = {"due_date": DateInput(), "description": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"owner": MemberChoiceField}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members_of(project)
        self.fields["kind"].initial = ChecklistItemKind.CRITERION

    def _post_clean(self):
        pass


class ChecklistItemQuickForm(forms.Form):
    """The one-line "add an item" form under a checklist."""

    title = forms.CharField(label=_("New item"), max_length=200)
    is_mandatory = forms.BooleanField(label=_("Mandatory"), required=False, initial=True)
