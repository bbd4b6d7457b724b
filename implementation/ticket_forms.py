"""Input shape of the support ticket pages, and the list's filters; the rules live in
implementation.services.hypercare."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from implementation import hypercare
from implementation.choices import OPEN_TICKET_STATUSES, TicketStatus
from implementation.models import Ticket
from uat.attachments import ACCEPT
from uat.choices import Severity

MODULE_SUGGESTIONS_ID = "ticket-modules"
OPEN = "open"

# Shown next to each severity on the form, so a user on the shop floor can choose well.
SEVERITY_DEFINITIONS = {
    Severity.CRITICAL: _("The business stops, no workaround."),
    Severity.HIGH: _("A key process is badly hurt, a workaround is painful."),
    Severity.MEDIUM: _("Some users are hindered, a workaround exists."),
    Severity.LOW: _("A cosmetic issue or a question."),
}


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class SeverityChoices:
    """Lets a template show each severity's radio button with its one-line definition."""

    def severity_options(self) -> list[tuple]:
        return [
            (radio, SEVERITY_DEFINITIONS.get(radio.data["value"], "")) for radio in self["severity"]
        ]


def _module_field() -> forms.CharField:
    return forms.CharField(
        label=_("Module"),
        max_length=120,
        help_text=_("Where in the system: pick a suggestion or type your own."),
        widget=forms.TextInput(attrs={"list": MODULE_SUGGESTIONS_ID, "autocomplete": "off"}),
    )


class TicketRaiseForm(SeverityChoices, forms.Form):
    """A ticket raised from a phone: what, where, how bad, and what it costs."""

    title = forms.CharField(
        label=_("What is wrong, in a few words"),
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    module = _module_field()
    severity = forms.ChoiceField(
        label=_("How bad is it?"), choices=Severity.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you did, what you saw, and what you expected."),
    )
    business_impact = forms.CharField(
        label=_("Business impact"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=Ticket._meta.get_field("business_impact").help_text,
    )
    file = forms.FileField(
        label=_("Screenshot or document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("PNG, JPEG, PDF, Excel or text, up to 10 MB."),
    )


class TicketEditForm(SeverityChoices, forms.ModelForm):
    """The support team's edit: every field a ticket has, and a note for the history."""

    comment = forms.CharField(
        label=_("Note for the history"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Ticket
        fields = ["title", "module", "severity", "description", "business_impact", "assignee"]
        widgets = {
            "severity": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 4}),
            "business_impact": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"assignee": MemberChoiceField}

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].widget.attrs.update(
            {"list": MODULE_SUGGESTIONS_ID, "autocomplete": "off"}
        )
        self.fields["assignee"].queryset = team
        self.fields["assignee"].empty_label = _("Nobody yet")
        self.fields["severity"].choices = Severity.choices


class AssignForm(forms.Form):
    """Give the ticket to someone of the support team (or to nobody)."""

    FORM = "assign"

    assignee = MemberChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody yet")
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = team


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=TicketStatus.choices, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


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


class LinkChangeForm(forms.Form):
    """A configuration change of the project's log, as CFG-12 or 12."""

    change = forms.CharField(
        label=_("Configuration change"),
        max_length=20,
        help_text=_("Its number in the configuration log, e.g. CFG-12."),
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off"}),
    )

    def clean_change(self) -> int:
        text = self.cleaned_data["change"].strip().upper().removeprefix("CFG-").strip()
        if not text.isdigit() or int(text) < 1:
            raise forms.ValidationError(_("Give the change's number, e.g. CFG-12."))
        return int(text)


class TicketFilter(django_filters.FilterSet):
    """The ticket list's filters. Breaches are counted now: a due time passed without the
    response or the fix, or met late (implementation.hypercare.breached)."""

    ME = "me"
    YES, NO = "yes", "no"

    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[(OPEN, _("Open (new, acknowledged, in progress)")), *TicketStatus.choices],
        label=_("Status"),
        empty_label=_("All statuses"),
    )
    severity = django_filters.ChoiceFilter(
        choices=Severity.choices, label=_("Severity"), empty_label=_("All severities")
    )
    module = django_filters.CharFilter(
        lookup_expr="icontains",
        label=_("Module"),
        widget=forms.TextInput(attrs={"list": MODULE_SUGGESTIONS_ID, "autocomplete": "off"}),
    )
    assignee = django_filters.ChoiceFilter(
        method="filter_assignee",
        choices=[(ME, _("Assigned to me"))],
        label=_("Assignee"),
        empty_label=_("Anyone"),
    )
    breached = django_filters.ChoiceFilter(
        method="filter_breached",
        choices=[(YES, _("Breached")), (NO, _("Within SLA"))],
        label=_("SLA"),
        empty_label=_("Any"),
    )

    class Meta:
        model = Ticket
        fields = ["status", "severity", "module", "assignee", "breached"]

    def __init__(self, data=None, queryset=None, *, user=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.user = user

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_TICKET_STATUSES)
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        return queryset.filter(assignee_id=getattr(self.user, "pk", None))

    def filter_breached(self, queryset, name, value):
        condition = hypercare.breached(timezone.now())
        if value == self.YES:
            return queryset.filter(condition)
        return queryset.exclude(condition)
