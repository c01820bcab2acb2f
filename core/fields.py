"""Model fields of our own."""

import json
from functools import cached_property

from django.core.exceptions import FieldError
from django.db import models

from core import crypto


class CompactJSONField(models.TextField):
    """JSON kept as compact text (no spaces), for small values stored once per row by the hundred thousand.

    PostgreSQL's jsonb keeps every number as a `numeric` with its own header and alignment, which
    doubles the size of a sheet's packed inputs (about 560 bytes against 150 as text). The column
    is never searched inside, so text is all it needs to be. Values must be JSON-native
    (str, int, float, bool, None, list, dict), as for a JSONField without an encoder.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if value is None or not isinstance(value, str):
            return value
        return json.loads(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class EncryptedCharField(models.CharField):
    """Text stored encrypted (core/crypto.py), plain text in Python: `placement.id_number` reads as typed.

    Encrypts in get_db_prep_value, so save(), bulk_create, QuerySet.update and core.workflow's
    update_rows all write ciphertext; decrypts in from_db_value, so rows, values() and
    values_list() read plain text and masked displays and exports need no change. A raw COPY must
    encrypt itself (subsidies/services/rosters.py). `max_length` limits the plain text, as forms
    check it; the column is text, which holds the longer ciphertext.

    The database cannot compare what it cannot read: any lookup except isnull raises FieldError.
    Find equal values through a LookupHashField beside it. A value that fails to decrypt (changed
    in the database, or another key) raises core.crypto.FieldDecryptionError rather than showing
    something wrong.
    """

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value, expression, connection):
        return None if value is None else crypto.decrypt(value, where=self._where)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return None if value is None else crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self._where} is encrypted: the database cannot compare it ({lookup_name}). "
            "Filter on its lookup hash (core.crypto.lookup_hash) instead."
        )

    @cached_property
    def _where(self) -> str:
        # Named in errors (never the value), e.g. "subsidies.Placement.id_number"; once per field.
        return f"{self.model._meta.label}.{self.name}" if hasattr(self, "model") else self.name


class LookupHashField(models.CharField):
    """The keyed hash (core.crypto.lookup_hash) of the EncryptedCharField named `of`, filled on save.

    Equal values have equal hashes, so rows are found and grouped by value (the same person on
    two stations' rosters) with an index, and nothing is decrypted. Set on every save() and
    bulk_create from the row's plain value, as auto_now sets a date; writers that bypass the model
    (COPY, update()) set it themselves.
    """

    def __init__(self, *args, of: str, **kwargs):
        self.of = of
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        if kwargs.get("max_length") == 32:
            del kwargs["max_length"]
        if self.editable:
            kwargs["editable"] = True
        else:
            kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        plain = getattr(model_instance, self.of)
        value = "" if plain is None else crypto.lookup_hash(plain)
        setattr(model_instance, self.attname, value)
        return value
