"""Personal phones encrypted at rest (core/crypto.py): users' phones and station heads' phones.

The columns become text (a ciphertext is longer than the number), then every existing value is
encrypted in place, 2,000 rows at a time; blank ones stay blank. Reversible: going back decrypts
them (with the same keys) before the columns narrow again. The station's service phone is its
public number and stays plain.
"""

import django.core.validators
from django.db import migrations

import core.fields
from core.crypto import encrypt_columns

PHONE = django.core.validators.RegexValidator(
    "^(1[3-9]\\d{9}|0\\d{2,3}-?\\d{7,8}(-\\d{1,6})?|\\d{3,5})$",
    "请输入手机号（11 位）、带区号的固定电话（如 0712-4321234）或服务热线（如 12333）。",
)
TABLES = {"stations_user": ["phone"], "stations_station": ["station_head_phone"]}


def encrypt(apps, schema_editor):
    for table, columns in TABLES.items():
        encrypt_columns(schema_editor, table=table, columns=columns)


def decrypt(apps, schema_editor):
    for table, columns in TABLES.items():
        encrypt_columns(schema_editor, table=table, columns=columns, reverse=True)


class Migration(migrations.Migration):
    dependencies = [("stations", "0005_auditentry_moved_to_core")]

    operations = [
        migrations.AlterField(
            model_name="station",
            name="station_head_phone",
            field=core.fields.EncryptedCharField(
                blank=True, max_length=32, validators=[PHONE], verbose_name="站长电话"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=core.fields.EncryptedCharField(
                blank=True, max_length=32, validators=[PHONE], verbose_name="手机号"
            ),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
