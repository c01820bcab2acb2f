"""Key rotation for the encrypted fields: every stored value re-encrypted with the current key.

`manage.py rotate_field_key` calls `field_keys_rotate`. The steps (README, "Rotating the field
encryption key"): put the new key first in FIELD_ENCRYPTION_KEYS and keep the old one after it,
restart (new values use the new key, old ones still read), run the command, then remove the old key.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from core import crypto
from core.fields import EncryptedCharField, LookupHashField
from core.workflow import update_rows

CHUNK = 2000


@dataclass
class RotationCount:
    """What the rotation did to one model's rows."""

    label: str  # e.g. "subsidies.Placement"
    rows: int = 0
    rewritten: int = 0
    # values found under each old key id, re-encrypted with the current key
    from_keys: dict[str, int] = field(default_factory=dict)


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedCharField], list[LookupHashField]]]:
    """Every model with an encrypted field, with those fields and the lookup hashes beside them."""
    found = []
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]
        if fields:
            hashes = [f for f in model._meta.concrete_fields if isinstance(f, LookupHashField)]
            found.append((model, fields, hashes))
    return found


def field_keys_rotate(
    *, rehash: bool = False, chunk: int = CHUNK, progress: Callable[[RotationCount], None] | None = None
) -> list[RotationCount]:
    """Re-encrypt with the current (first) key every value stored under another key; `rehash`
    recomputes every lookup hash too (after FIELD_HASH_KEY changed).

    Works `chunk` rows at a time, each chunk locked and written in its own transaction, so memory
    stays flat, the site keeps running and an interrupted run simply continues where it is run
    again (rows already on the current key are read, not written). Rows written get fresh lookup
    hashes. Raises FieldDecryptionError when a value cannot be decrypted with any key listed (its
    key was removed too early), having changed nothing in that chunk.
    """
    current = crypto.keyring().current.key_id
    counts = []
    for model, fields, hashes in encrypted_models():
        count = RotationCount(label=model._meta.label)
        raw = {f"_raw_{f.name}": Cast(f.name, models.TextField()) for f in fields}
        last = None
        while True:
            with transaction.atomic():
                rows = model._default_manager.select_for_update().order_by("pk")
                if last is not None:
                    rows = rows.filter(pk__gt=last)
                batch = list(rows.annotate(**raw).values_list("pk", *raw)[:chunk])
                if not batch:
                    break
                last = batch[-1][0]
                count.rows += len(batch)
                rewrite = []
                for pk, *stored in batch:
                    old = [crypto.key_id_of(value or "") for value in stored]
                    stale = [key for key in old if key is not None and key != current]
                    if not stale and not (rehash and hashes):
                        continue
                    for key in stale:
                        count.from_keys[key] = count.from_keys.get(key, 0) + 1
                    row = model(pk=pk)
                    for f, value in zip(fields, stored, strict=True):
                        where = f"{model._meta.label}.{f.name}"
                        setattr(row, f.attname, None if value is None else crypto.decrypt(value, where=where))
                    for h in hashes:
                        setattr(row, h.attname, crypto.lookup_hash(getattr(row, h.of) or ""))
                    rewrite.append(row)
                if rewrite:
                    count.rewritten += update_rows(rewrite, [f.name for f in [*fields, *hashes]])
        counts.append(count)
        if progress:
            progress(count)
    return counts
