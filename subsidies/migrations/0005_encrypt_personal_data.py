"""ID numbers, phones and bank accounts encrypted at rest (core/crypto.py); duplicates found by hash.

The columns become text (a ciphertext is longer than the value), every existing value is
encrypted in place, 2,000 rows at a time, and `Placement.id_number_hash` is filled from the plain
ID number, so the (year, ID number) index that finds the same person on two stations' rosters
moves to (year, hash). Reversible: going back decrypts (with the same keys) before the columns
narrow again and the old index returns.
"""

from django.db import migrations, models

import core.fields
from core.crypto import encrypt_columns

PLACEMENT = {"columns": ["id_number", "phone"], "hashes": {"id_number_hash": "id_number"}}
TABLES = {
    "subsidies_placement": PLACEMENT,
    "subsidies_subsidyclaim": {"columns": ["payee_account"]},
    "subsidies_payout": {"columns": ["account"]},
}


def encrypt(apps, schema_editor):
    for table, spec in TABLES.items():
        encrypt_columns(schema_editor, table=table, **spec)


def decrypt(apps, schema_editor):
    for table, spec in TABLES.items():
        encrypt_columns(schema_editor, table=table, columns=spec["columns"], reverse=True)


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0006_encrypt_phones"),
        ("subsidies", "0004_claim_entitlement_required"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="placement", name="placement_year_person_idx"),
        migrations.AlterField(
            model_name="placement",
            name="id_number",
            field=core.fields.EncryptedCharField(max_length=18, verbose_name="身份证号码"),
        ),
        migrations.AlterField(
            model_name="placement",
            name="phone",
            field=core.fields.EncryptedCharField(max_length=11, verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="subsidyclaim",
            name="payee_account",
            field=core.fields.EncryptedCharField(blank=True, max_length=40, verbose_name="银行账号"),
        ),
        migrations.AlterField(
            model_name="payout",
            name="account",
            field=core.fields.EncryptedCharField(max_length=40, verbose_name="收款账号"),
        ),
        migrations.AddField(
            model_name="placement",
            name="id_number_hash",
            field=core.fields.LookupHashField(default="", of="id_number", verbose_name="身份证号码查找哈希"),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
        migrations.AddIndex(
            model_name="placement",
            index=models.Index(fields=["year", "id_number_hash"], name="placement_year_person_idx"),
        ),
    ]
