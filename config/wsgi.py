import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Sessions, CSRF tokens and password-reset links are signed with SECRET_KEY: a server never
# starts on the development placeholder.
if settings.SECRET_KEY_MISSING and not settings.DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off (see .env.example).")

application = get_wsgi_application()
