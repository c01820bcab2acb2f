"""The Celery app, as Celery's Django guide has it: `celery -A config worker` (or `make worker`).

Settings come from Django's, those named CELERY_*; tasks are found in each app's tasks module.
With no CELERY_BROKER_URL the tasks run in-process at once (CELERY_TASK_ALWAYS_EAGER).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
