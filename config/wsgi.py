import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Sessions, CSRF tokens and password-reset links are signed with SECRET_KEY: a server never
# starts on the development placeholder.
if settings.SECRET_KEY_MISSING and not settings.DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off (see .env.example).")

# ID numbers, phones and bank accounts are stored encrypted (core/crypto.py): a server without its
# keys would fail on the first page that shows one, so it does not start; a malformed key stops it too.
if not settings.DEBUG:
    from core.crypto import configured_keyring

    if configured_keyring() is None:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set when DJANGO_DEBUG is off (see .env.example)."
        )

application = get_wsgi_application()
