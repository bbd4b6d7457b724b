"""Input shape of the defect pages; the rules live in uat.services.defects."""

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.forms import DateInput
from uat.attachments import ACCEPT
from uat.choices import DefectStatus, Severity
from uat.models import Defect


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class DefectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class DefectQuickForm(forms.Form):
    """The pilot user's report, done in under a minute."""

    title = forms.CharField(
        label=_("What is wrong, in a few words"),
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    severity = forms.ChoiceField(
        label=_("How bad is it?"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    actual_result = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_result = forms.CharField(
        label=_("What you expected"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    screenshot = forms.FileField(
        label=_("Screenshot"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("PNG, JPEG, PDF, Excel or text, up to 10 MB."),
    )


class DefectEditForm(forms.ModelForm):
    """Every editable field; the view keeps only those the user may change."""

    class Meta:
        model = Defect
        fields = [
            "title",
            "severity",
            "priority",
            "module",
            "environment",
            "description",
            "steps_to_reproduce",
            "expected_result",
            "actual_result",
            "assignee",
            "cycle",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "steps_to_reproduce": forms.Textarea(attrs={"rows": 3}),
            "expected_result": forms.Textarea(attrs={"rows": 2}),
            "actual_result": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"assignee": MemberChoiceField}

    def __init__(self, *args, members, cycles, allowed_fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members
        self.fields["cycle"].queryset = cycles
        for name in list(self.fields):
            if name not in allowed_fields:
                del self.fields[name]


class DefectTransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=DefectStatus.choices, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    duplicate_of = DefectChoiceField(
        label=_("Duplicate of"), queryset=Defect.objects.none(), required=False
    )
    deferral_reason = forms.CharField(
        label=_("Why deferred"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    workaround = forms.CharField(
        label=_("Workaround"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DateInput())

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate_of"].queryset = candidates


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("PNG, JPEG, PDF, Excel or text, up to 10 MB."),
    )


class NumbersField(forms.TypedMultipleChoiceField):
    """Defect numbers; whether they exist in the project is the view's question."""

    def valid_value(self, value):
        return str(value).isdigit()


class BulkForm(forms.Form):
    """Several defects at once: assign them, or move them."""

    ASSIGN, TRANSITION = "assign", "transition"

    action = forms.ChoiceField(choices=[(ASSIGN, _("Assign")), (TRANSITION, _("Change status"))])
    defects = NumbersField(coerce=int, label=_("Defects"))
    assignee = MemberChoiceField(
        label=_("Assign to"), queryset=Defect.objects.none(), required=False
    )
    to_status = forms.ChoiceField(
        label=_("New status"), choices=[("", "—"), *DefectStatus.choices], required=False
    )
    comment = forms.CharField(label=_("Comment"), required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members

    def clean(self):
        data = super().clean()
        if data.get("action") == self.TRANSITION and not data.get("to_status"):
            self.add_error("to_status", _("Choose the new status."))
        return data
