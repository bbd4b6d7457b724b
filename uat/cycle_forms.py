"""Input shapes of the test cycle pages: a cycle, its scope, and a run of a scenario."""

from django import forms
from django.utils.translation import gettext_lazy as _

from uat.choices import ExecutionResult, Severity
from uat.models import TestCycle


class CycleForm(forms.ModelForm):
    class Meta:
        model = TestCycle
        fields = [
            "name",
            "starts_on",
            "ends_on",
            "environment",
            "entry_criteria",
            "min_pass_rate",
            "max_open_critical",
            "max_open_high",
            "require_all_executed",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "entry_criteria": forms.Textarea(attrs={"rows": 3}),
        }

    def _post_clean(self):
        # The service validates the model and its rules; the form checks only the input.
        pass


class ScopeForm(forms.Form):
    """A checkbox per scenario and, for each, the testers to assign (fields built per project)."""

    def __init__(self, data=None, *, scenarios, testers, current: dict | None = None):
        super().__init__(data)
        current = current or {}
        choices = [(str(user.pk), user.display_name) for user in testers]
        self.scenarios = list(scenarios)
        self.testers = {str(user.pk): user for user in testers}
        self.rows = []
        for scenario in self.scenarios:
            include = f"scenario_{scenario.pk}"
            assign = f"assignees_{scenario.pk}"
            self.fields[include] = forms.BooleanField(
                required=False, label=f"{scenario.code} · {scenario.title}"
            )
            self.fields[assign] = forms.MultipleChoiceField(
                required=False,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                label=_("Assigned to"),
            )
            if scenario.pk in current:
                self.initial[include] = True
                self.initial[assign] = [str(pk) for pk in current[scenario.pk]]
            self.rows.append((scenario, include, assign))

    def bound_rows(self):
        return [(scenario, self[include], self[assign]) for scenario, include, assign in self.rows]

    def assignments(self) -> dict:
        """{scenario: [users]} of the ticked scenarios."""
        return {
            scenario: [self.testers[pk] for pk in self.cleaned_data[assign]]
            for scenario, include, assign in self.rows
            if self.cleaned_data[include]
        }


class RunForm(forms.Form):
    """One run: the result, what happened and, for a failure, the defect to log (optional)."""

    result = forms.ChoiceField(
        label=_("Result"), choices=ExecutionResult.choices, widget=forms.RadioSelect
    )
    actual_result = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    failed_step = forms.TypedChoiceField(
        label=_("Failed at step"), required=False, coerce=int, empty_value=None
    )
    attachment = forms.FileField(
        label=_("Screenshot or document"),
        required=False,
        help_text=_(
            "PNG, JPEG, PDF, XLSX or TXT, up to 10 MB. Goes with the defect when one is logged."
        ),
    )
    log_defect = forms.BooleanField(
        label=_("Log a defect for this failure"), required=False, initial=True
    )
    defect_title = forms.CharField(label=_("Defect title"), required=False, max_length=200)
    defect_severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    defect_description = forms.CharField(
        label=_("Defect description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, data=None, files=None, *, scenario, steps):
        self.steps = {step.pk: step for step in steps}
        first = steps[0] if steps else None
        initial = {
            "defect_title": f"{scenario.code}: {first.action}"[:200] if first else scenario.code,
            "defect_severity": Severity.MEDIUM,
            "log_defect": True,
        }
        super().__init__(data, files, initial=initial)
        self.fields["failed_step"].choices = [("", "—")] + [
            (step.pk, f"{step.position}. {step.action}"[:80]) for step in steps
        ]
        self.scenario = scenario

    def clean(self):
        data = super().clean()
        data["failed_step"] = self.steps.get(data.get("failed_step"))
        return data

    def defect_data(self) -> dict | None:
        """The defect to log with a failed run, or None (other results, or no title given)."""
        data = self.cleaned_data
        if data["result"] != ExecutionResult.FAILED or not data.get("log_defect"):
            return None
        title = data.get("defect_title") or ""
        step = data["failed_step"]
        prefilled = self.initial.get("defect_title")
        # Without JavaScript the title is prefilled from the first step: name the failed one.
        if step is not None and title in ("", prefilled):
            title = f"{self.scenario.code}: {step.action}"[:200]
        return {
            "title": title,
            "severity": data["defect_severity"],
            "description": data.get("defect_description", ""),
        }
