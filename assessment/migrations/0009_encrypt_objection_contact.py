"""An objector's contact (a citizen's phone or email) encrypted at rest (core/crypto.py).

The column becomes text (a ciphertext is longer than the contact), then every existing value is
encrypted in place, 2,000 rows at a time. Reversible: going back decrypts them with the same keys.
"""

from django.db import migrations

import core.fields
from core.crypto import encrypt_columns


def encrypt(apps, schema_editor):
    encrypt_columns(schema_editor, table="assessment_objection", columns=["contact"])


def decrypt(apps, schema_editor):
    encrypt_columns(schema_editor, table="assessment_objection", columns=["contact"], reverse=True)


class Migration(migrations.Migration):
    dependencies = [("assessment", "0008_packed_inputs_as_compact_text")]

    operations = [
        migrations.AlterField(
            model_name="objection",
            name="contact",
            field=core.fields.EncryptedCharField(max_length=64, verbose_name="联系方式"),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
