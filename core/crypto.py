"""Personal data encrypted at rest: the one module that chooses the cipher and holds the keys.

**Cipher: SM4-CTR with HMAC-SM3, encrypt-then-MAC.** SM4 (GB/T 32907) and SM3 (GB/T 32905) are the
national algorithms a commercial-cryptography review (密评, GB/T 39786) asks for; "SM4 for
confidentiality, HMAC-SM3 for integrity" is the combination it knows best. The MAC makes it
authenticated encryption: a ciphertext changed in the database, or read with the wrong key, is
refused with an error, never turned into garbage. SM4-GCM would do the same in one primitive, and
the bundled OpenSSL has it, but `cryptography` offers SM4-GCM only through its generic Cipher API,
which sets up a fresh OpenSSL context per value: measured 14-16 µs a value against 5-7 µs here (a
CTR context re-used with `reset_nonce`, and an HMAC whose keyed state is copied). A 50,000-row
roster carries 100,000 values, so GCM would add about another second to its import. Each value gets a fresh random
16-byte counter block (the nonce); the 32-byte HMAC-SM3 tag is cut to 16 bytes, as long as GCM's
(NIST SP 800-107 allows truncated HMAC tags).

**Stored text**: `<key id>:<base64 of nonce | ciphertext | tag>`, e.g. `v1:3q2+7w…`, about 70
characters for an ID number. The key id says which key decrypts it, so keys rotate: the MAC covers
the key id too, so a value cannot be passed off as another key's. The empty string is stored as
it is (nothing to hide), so a blank phone stays blank.

**Keys** (settings, from the environment):
- `FIELD_ENCRYPTION_KEYS`: comma-separated `id:base64` master keys of 32 random bytes, e.g.
  `v2:…,v1:…`. The first encrypts; every one listed decrypts. From each master HKDF-SM3 derives
  the SM4 key and the HMAC key, so neither is ever used for both.
- `FIELD_HASH_KEY`: base64 of 32 random bytes for the lookup hashes (`lookup_hash`): an HMAC-SM3 of
  a value, so equal values are found (duplicate placements) without decrypting anything. It is not
  rotated with the encryption keys, since a changed hash key changes every hash at once
  (`rotate_field_key --rehash` recomputes them all).
With DEBUG or TESTING on and a variable unset, a fixed development key (id `dev`) is used; otherwise
a missing key stops encryption and decryption (ImproperlyConfigured), config/wsgi.py refuses to
serve and `check --deploy` reports core.E010. **Losing the keys loses the data**: nothing decrypts
without them. A key, generated:
    python3 -c "import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())"
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

NONCE_BYTES = 16  # one SM4 block: the initial counter
TAG_BYTES = 16
MASTER_KEY_BYTES = 32
KEY_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")
# Something this module wrote: a key id, a colon, base64. A resident ID number, a phone or a bank
# account never contains a colon, so plain text left from before encryption is never mistaken for it.
CIPHERTEXT = re.compile(r"^([A-Za-z0-9]{1,16}):([A-Za-z0-9+/]+={0,2})$")

DEVELOPMENT_KEY_ID = "dev"
# Published on purpose: for DEBUG and tests only, never accepted when DEBUG and TESTING are off.
DEVELOPMENT_MASTER_KEY = hashlib.sha256(b"station-assessment development field key").digest()
DEVELOPMENT_HASH_KEY = hashlib.sha256(b"station-assessment development lookup-hash key").digest()


class FieldDecryptionError(Exception):
    """A stored value that cannot be decrypted: changed in the database, or not this installation's key.

    The message names the field and the key id, never the value.
    """


def _derive(master: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(
        algorithm=hashes.SM3(), length=length, salt=None, info=b"station-assessment " + purpose
    ).derive(master)


@dataclass
class FieldKey:
    """One version of the encryption key: its SM4 and HMAC-SM3 keys, derived from the master."""

    key_id: str
    cipher_key: bytes
    mac_key: bytes
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __post_init__(self) -> None:
        self._prefix = self.key_id.encode() + b":"

    @classmethod
    def from_master(cls, key_id: str, master: bytes) -> FieldKey:
        return cls(
            key_id=key_id,
            cipher_key=_derive(master, b"field encryption SM4-CTR", 16),
            mac_key=_derive(master, b"field encryption HMAC-SM3", 32),
        )

    def _contexts(self):
        # A CTR context and a keyed HMAC state per thread (gunicorn's threads share this object):
        # both are mutable, and setting them up again per value is what makes GCM slow here.
        local = self._local
        if not hasattr(local, "ctr"):
            local.ctr = Cipher(algorithms.SM4(self.cipher_key), modes.CTR(bytes(NONCE_BYTES))).encryptor()
            local.mac = HMAC(self.mac_key, hashes.SM3())
        return local.ctr, local.mac

    def _tag(self, mac, body: bytes) -> bytes:
        h = mac.copy()
        h.update(self._prefix + body)
        return h.finalize()[:TAG_BYTES]

    def encrypt(self, plaintext: str) -> str:
        ctr, mac = self._contexts()
        nonce = os.urandom(NONCE_BYTES)
        ctr.reset_nonce(nonce)
        body = nonce + ctr.update(plaintext.encode())
        return (self._prefix + binascii.b2a_base64(body + self._tag(mac, body), newline=False)).decode()

    def decrypt(self, raw: bytes, *, where: str) -> str:
        ctr, mac = self._contexts()
        body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
        if len(body) < NONCE_BYTES or not hmac.compare_digest(self._tag(mac, body), tag):
            raise FieldDecryptionError(
                f"{where}：密文校验失败，拒绝解密（数据库中的值被改动过，或密钥 {self.key_id} 不是加密时用的那一把）。"
            )
        ctr.reset_nonce(body[:NONCE_BYTES])
        return ctr.update(body[NONCE_BYTES:]).decode()


@dataclass
class Keyring:
    keys: dict[str, FieldKey]  # by key id, the encrypting one first
    hash_key: bytes
    development: bool
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def current(self) -> FieldKey:
        return next(iter(self.keys.values()))

    def hasher(self):
        local = self._local
        if not hasattr(local, "mac"):
            local.mac = HMAC(self.hash_key, hashes.SM3())
        return local.mac


def _parse_master(text: str, variable: str) -> bytes:
    try:
        master = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{variable}: a key is not valid base64.") from None
    if len(master) != MASTER_KEY_BYTES:
        raise ImproperlyConfigured(
            f"{variable}: a key must be {MASTER_KEY_BYTES} random bytes in base64, not {len(master)}."
        )
    return master


def configured_keyring() -> Keyring | None:
    """The keys the settings name, or None when a variable is unset. Raises ImproperlyConfigured when malformed."""
    entries = [e.strip() for e in (settings.FIELD_ENCRYPTION_KEYS or []) if e.strip()]
    if not entries or not settings.FIELD_HASH_KEY:
        return None
    keys: dict[str, FieldKey] = {}
    for entry in entries:
        key_id, colon, text = entry.partition(":")
        if not colon or not KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS: each key is ID:BASE64 with an ID of 1 to 16 letters or digits, e.g. v1:…"
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: key id {key_id} is listed twice.")
        keys[key_id] = FieldKey.from_master(key_id, _parse_master(text, "FIELD_ENCRYPTION_KEYS"))
    hash_key = _derive(_parse_master(settings.FIELD_HASH_KEY, "FIELD_HASH_KEY"), b"lookup hash HMAC-SM3", 32)
    return Keyring(keys=keys, hash_key=hash_key, development=False)


@cache
def keyring() -> Keyring:
    """The keys in use; the development keys only with DEBUG or TESTING on."""
    configured = configured_keyring()
    if configured is not None:
        return configured
    if settings.DEBUG or settings.TESTING:
        return development_keyring()
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set when DJANGO_DEBUG is off: "
        "ID numbers, phones and bank accounts are encrypted with them (see .env.example)."
    )


def development_keyring() -> Keyring:
    return Keyring(
        keys={DEVELOPMENT_KEY_ID: FieldKey.from_master(DEVELOPMENT_KEY_ID, DEVELOPMENT_MASTER_KEY)},
        hash_key=_derive(DEVELOPMENT_HASH_KEY, b"lookup hash HMAC-SM3", 32),
        development=True,
    )


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs) -> None:
    # Tests switch keys with override_settings; the next value is read with the new ones.
    if setting in {"FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY", "DEBUG", "TESTING"}:
        keyring.cache_clear()


def encrypt(plaintext: str) -> str:
    """`plaintext` encrypted with the current (first) key; the empty string stays empty."""
    if plaintext == "":
        return ""
    return keyring().current.encrypt(plaintext)


def key_id_of(stored: str) -> str | None:
    """The key id a stored value was encrypted with; None for the empty string or plain text."""
    match = CIPHERTEXT.match(stored)
    return match.group(1) if match else None


def decrypt(stored: str, *, where: str = "加密字段") -> str:
    """The plain text of a stored value. Raises FieldDecryptionError (naming `where`, never the value)."""
    if stored == "":
        return ""
    key_id, colon, text = stored.partition(":")
    key = keyring().keys.get(key_id) if colon else None
    if key is None:
        if colon and KEY_ID.match(key_id):
            raise FieldDecryptionError(
                f"{where}：该值用密钥 {key_id} 加密，但 FIELD_ENCRYPTION_KEYS 中没有这把密钥，无法解密。"
            )
        raise FieldDecryptionError(
            f"{where}：数据库中的值不是本系统加密后的格式，拒绝读取（可能被改动或未经迁移）。"
        )
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise FieldDecryptionError(f"{where}：密文已损坏，拒绝解密。") from None
    try:
        return key.decrypt(raw, where=where)
    except UnicodeDecodeError:
        raise FieldDecryptionError(f"{where}：解密结果不是文本，拒绝读取。") from None


def lookup_hash(plaintext: str) -> str:
    """A keyed hash (HMAC-SM3, 128 bits as 32 hex digits) to find equal values; "" for "".

    Without FIELD_HASH_KEY nobody can compute it, so the column does not reveal which ID numbers
    are present (an unkeyed hash of an 18-digit ID number is brute-forced in minutes).
    """
    if plaintext == "":
        return ""
    h = keyring().hasher().copy()
    h.update(plaintext.encode())
    return h.finalize()[:16].hex()


@checks.register(checks.Tags.security, deploy=True)
def field_keys_are_set(app_configs, **kwargs):
    """`check --deploy` fails when the field keys are unset or malformed, as for SECRET_KEY (config.E001)."""
    try:
        configured = configured_keyring()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), hint="See .env.example.", id="core.E011")]
    if configured is None:
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEYS or FIELD_HASH_KEY is not set.",
                hint="Set both (see .env.example); ID numbers, phones and bank accounts are encrypted with them.",
                id="core.E010",
            )
        ]
    return []


# ---- Migrations: the raw columns of existing rows, encrypted (or decrypted back) in place ----------


def encrypt_columns(
    schema_editor,
    *,
    table: str,
    columns: list[str],
    hashes: dict[str, str] | None = None,
    reverse: bool = False,
    chunk: int = 2000,
) -> int:
    """Encrypt `columns` of every row of `table` in place, `chunk` rows at a time by primary key `id`.

    For data migrations, which must not read through the model field (it would try to decrypt the
    plain text). `hashes` maps a hash column to the column whose plain value it hashes. Values
    already encrypted are left as they are, so running it twice changes nothing. `reverse`
    decrypts instead (and leaves hashes, whose column the reverse migration drops). Returns the rows
    written.
    """
    hashes = hashes or {}
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    wanted = ", ".join(qn(c) for c in ["id", *columns])
    written_columns = [*columns, *([] if reverse else hashes)]
    assignments = ", ".join(f"{qn(c)} = %s" for c in written_columns)
    # Only quoted names of the migration's own table and columns are formatted in; values are parameters.
    select = f"SELECT {wanted} FROM {qn(table)} WHERE {qn('id')} > %s ORDER BY {qn('id')} LIMIT %s"  # noqa: S608
    update = f"UPDATE {qn(table)} SET {assignments} WHERE {qn('id')} = %s"  # noqa: S608
    written, last = 0, 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last, chunk])
            rows = cursor.fetchall()
            if not rows:
                return written
            last = rows[-1][0]
            changes = []
            for pk, *values in rows:
                plain = dict(zip(columns, values, strict=True))
                if reverse:
                    new = [_decrypt_if_encrypted(plain[c], f"{table}.{c}") for c in columns]
                else:
                    new = [v if v is None or key_id_of(v) else encrypt(v) for v in values]
                    new += [
                        lookup_hash(_decrypt_if_encrypted(plain[source], f"{table}.{source}") or "")
                        for source in hashes.values()
                    ]
                changes.append([*new, pk])
            cursor.executemany(update, changes)
            written += len(changes)


def _decrypt_if_encrypted(value: str | None, where: str) -> str | None:
    return value if value is None or key_id_of(value) is None else decrypt(value, where=where)
