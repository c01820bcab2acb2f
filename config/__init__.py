# The Celery app is loaded with Django, so tasks queued from the web (`.delay`) use its settings.
from config.celery import app as celery_app

__all__ = ("celery_app",)
