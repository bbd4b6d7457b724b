"""Input shape of the scenario pages; the rules live in uat.services.scenarios."""

from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.models import ConfigurationChange
from uat.models import TestScenario

EXTRA_STEPS = 3
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class ConfigurationChangeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_number} · {obj.area}: {obj.setting}"


class ScenarioForm(forms.ModelForm):
    """A scenario's own fields; its steps come from StepFormSet."""

    class Meta:
        model = TestScenario
        fields = [
            "code",
            "title",
            "module",
            "department",
            "priority",
            "preconditions",
            "requirement_reference",
            "configuration_change",
        ]
        widgets = {"preconditions": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"configuration_change": ConfigurationChangeChoiceField}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        change = self.fields["configuration_change"]
        change.queryset = ConfigurationChange.objects.filter(project=project).order_by("-number")
        change.error_messages["invalid_choice"] = _(
            "Choose a configuration change of this project."
        )
        change.help_text = _("The change this scenario tests, if any.")

    def validate_unique(self):
        """The service checks the code per project; the model form has no project to check."""


class StepForm(forms.Form):
    """One step; a row left empty is dropped, so extra rows cost nothing."""

    action = forms.CharField(
        label=_("Action"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    expected_result = forms.CharField(
        label=_("Expected result"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action", "").strip()
        expected = cleaned.get("expected_result", "").strip()
        if action and not expected:
            self.add_error("expected_result", _("Say what should happen."))
        if expected and not action:
            self.add_error("action", _("Say what to do."))
        return cleaned


StepFormSet = forms.formset_factory(StepForm, extra=EXTRA_STEPS, max_num=200, absolute_max=200)


def steps_of(formset) -> list[tuple[str, str]]:
    """The filled-in rows of a valid step formset, in order."""
    steps = []
    for form in formset.forms:
        action = form.cleaned_data.get("action", "").strip()
        expected = form.cleaned_data.get("expected_result", "").strip()
        if action or expected:
            steps.append((action, expected))
    return steps


def with_more_rows(data, prefix: str = "steps"):
    """The posted data with EXTRA_STEPS more empty step rows (the no-JavaScript "add")."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, 0))
    except ValueError:
        total = 0
    data[key] = str(min(total + EXTRA_STEPS, 200))
    return data


class ScenarioImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .csv (UTF-8) or .xlsx file, one row per step."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload
