"""Celery doors onto the sign-off services: ids in, one service call, nothing else."""

from celery import shared_task

from uat import notifications
from uat.services import signoffs


@shared_task(name="uat.signoff_pdf_build_task", acks_late=True)
def signoff_pdf_build_task(pdf_pk: int) -> str:
    """Build a signed sign-off's PDF (a no-op when it is already built or building)."""
    pdf = signoffs.signoff_pdf_build(pdf_pk=pdf_pk)
    return pdf.status if pdf else "missing"


@shared_task(name="uat.signoff_pdf_sweep_task")
def signoff_pdf_sweep_task() -> int:
    """Queue again the PDFs left waiting while the broker was down or a worker died."""
    return signoffs.signoff_pdf_sweep()


@shared_task(
    name="uat.signoff_mail_task",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def signoff_mail_task(signoff_pk: int, event: str, user_pks: list[int]) -> int:
    """Tell signatories their signature is awaited, or the requester how it ended."""
    return notifications.signoff_mail_send(signoff_pk=signoff_pk, event=event, user_pks=user_pks)
