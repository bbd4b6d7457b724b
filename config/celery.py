"""The Celery app. Tasks live in each app's tasks.py; the beat schedule lives here, in code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("rollout")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One place for periodic work; later features add their entries here.
app.conf.beat_schedule = {
    # PDFs left waiting while Redis was down, or whose worker died mid-build.
    "signoff-pdf-sweep": {"task": "uat.signoff_pdf_sweep_task", "schedule": 300.0},
    "benefits-report-sweep": {"task": "kpis.benefits_report_sweep_task", "schedule": 300.0},
    # Weekly review reminders: a row per member and week (two beats create it once), and
    # the rows left pending while Redis was down.
    "review-reminders-dispatch": {
        "task": "implementation.review_reminders_dispatch_task",
        "schedule": 900.0,
    },
    "review-reminders-sweep": {
        "task": "implementation.review_reminders_sweep_task",
        "schedule": 300.0,
    },
    # The weekly status report PDF of every active project (Monday morning, once a week: a
    # second beat finds the week's report there), and the reports left waiting.
    "status-reports-weekly": {
        "task": "implementation.status_reports_weekly_task",
        "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
    },
    "status-report-sweep": {
        "task": "implementation.status_report_sweep_task",
        "schedule": 300.0,
    },
}
