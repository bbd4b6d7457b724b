"""E-mails about sign-offs: a signature is awaited, or the round ended (signed or rejected)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from projects.models import User
from uat.models import SignOff

SUBJECTS = {
    "requested": _("[%(project)s] Your signature is requested: %(title)s"),
    "signed": _("[%(project)s] Signed by everyone: %(title)s"),
    "rejected": _("[%(project)s] Rejected: %(title)s"),
}


def signoff_mail_send(*, signoff_pk: int, event: str, user_pks: list[int]) -> int:
    """Send the e-mail for `event` to each user with an address; returns how many were sent."""
    signoff = (
        SignOff.objects.select_related("project", "cycle", "requested_by")
        .prefetch_related("signatures")
        .get(pk=signoff_pk)
    )
    link = settings.SITE_URL + signoff.get_absolute_url()
    rejection = next((s for s in signoff.signatures.all() if s.decision == "rejected"), None)
    sent = 0
    for user in User.objects.filter(pk__in=user_pks, is_active=True).exclude(email=""):
        with translation.override(settings.LANGUAGE_CODE):
            context = {"signoff": signoff, "user": user, "link": link, "rejection": rejection}
            subject = str(SUBJECTS[event]) % {
                "project": signoff.project.code,
                "title": signoff.title,
            }
            text = render_to_string(f"uat/signoffs/email/{event}.txt", context)
            html = render_to_string(f"uat/signoffs/email/{event}.html", context)
        message = EmailMultiAlternatives(subject, text, to=[user.email])
        message.attach_alternative(html, "text/html")
        sent += message.send()
    return sent
