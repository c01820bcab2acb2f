"""`manage.py rotate_field_key [--rehash] [--from-development-key]`: re-encrypt with the current key.

Every value of every encrypted field (ID numbers, phones, bank accounts) stored under an older key
of FIELD_ENCRYPTION_KEYS is re-encrypted with the first one, in chunks; it prints what it did per
model. Run it after putting a new key first, before removing the old one (README). `--rehash`
recomputes the lookup hashes, after FIELD_HASH_KEY changed. `--from-development-key` also reads
values written under the published development key (`make demo`'s database), so `make serve` can
take such a database over with keys of its own.
"""

from django.core.management.base import BaseCommand, CommandError

from core import crypto
from core.field_rotation import RotationCount, field_keys_rotate


class Command(BaseCommand):
    help = (
        "用当前密钥（FIELD_ENCRYPTION_KEYS 的第一把）重新加密全部加密字段（身份证号码、手机号、银行账号）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--rehash", action="store_true", help="同时按 FIELD_HASH_KEY 重算全部查找哈希")
        parser.add_argument("--chunk", type=int, default=2000, help="每批行数（默认 2000）")
        parser.add_argument(
            "--from-development-key",
            action="store_true",
            help="也读取用开发密钥（make demo）加密的值，并改用当前密钥加密",
        )

    def handle(self, *args, **options):
        if options["chunk"] < 1:
            raise CommandError("--chunk 应为正整数。")
        ring = crypto.keyring()
        if options["from_development_key"] and not ring.development:
            # For this process only: the development key decrypts, the configured first key encrypts.
            ring.keys.setdefault(crypto.DEVELOPMENT_KEY_ID, crypto.development_keyring().current)
        current = ring.current.key_id
        self.stdout.write(
            f"当前密钥：{current}；{'重算查找哈希；' if options['rehash'] else ''}每批 {options['chunk']} 行。"
        )
        try:
            counts = field_keys_rotate(rehash=options["rehash"], chunk=options["chunk"], progress=self.report)
        except crypto.FieldDecryptionError as error:
            raise CommandError(f"{error} 已完成的批次保留；补上密钥后再次运行即可继续。") from None
        rewritten = sum(c.rewritten for c in counts)
        self.stdout.write(f"完成：共重写 {rewritten} 行，其余均已使用密钥 {current}。")

    def report(self, count: RotationCount) -> None:
        old = (
            "、".join(f"密钥 {key} {n} 个值" for key, n in sorted(count.from_keys.items())) or "无旧密钥的值"
        )
        self.stdout.write(f"{count.label}：{count.rows} 行，重写 {count.rewritten} 行（{old}）。")
