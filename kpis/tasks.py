"""Celery doors onto the benefits report services: ids in, one service call, nothing else."""

from celery import shared_task

from kpis import reports


@shared_task(name="kpis.benefits_report_build_task", acks_late=True)
def benefits_report_build_task(report_pk: int) -> str:
    """Build a requested benefits report (a no-op when it is already built or building)."""
    report = reports.report_build(report_pk=report_pk)
    return report.status if report else "missing"


@shared_task(name="kpis.benefits_report_sweep_task")
def benefits_report_sweep_task() -> int:
    """Queue again the reports left waiting while the broker was down or a worker died."""
    return reports.report_sweep()
