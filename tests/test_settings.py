"""A server never runs without its own SECRET_KEY, while one-off commands still work without it."""

import base64
import os
import subprocess
import sys

from django.conf import settings

# The field encryption keys (core/crypto.py) a server needs beside SECRET_KEY: 32 bytes each, in base64.
FIELD_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "v1:" + base64.b64encode(b"k" * 32).decode(),
    "FIELD_HASH_KEY": base64.b64encode(b"h" * 32).decode(),
}


def run(code_or_args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", *FIELD_KEYS}
    }
    environment.update(env)
    args = (
        [sys.executable, *code_or_args]
        if isinstance(code_or_args, list)
        else [sys.executable, "-c", code_or_args]
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        args, cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=False
    )


def test_the_wsgi_application_refuses_to_start_without_a_secret_key():
    refused = run("import config.wsgi")
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    started = run("import config.wsgi", SECRET_KEY="a-real-key-for-this-test-" + "x" * 40, **FIELD_KEYS)
    assert started.returncode == 0, started.stderr


def test_the_wsgi_application_refuses_to_start_without_its_field_encryption_keys():
    secret = {"SECRET_KEY": "a-real-key-for-this-test-" + "x" * 40}
    refused = run("import config.wsgi", **secret, FIELD_HASH_KEY=FIELD_KEYS["FIELD_HASH_KEY"])
    assert refused.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set" in refused.stderr
    malformed = run("import config.wsgi", **secret, **FIELD_KEYS | {"FIELD_ENCRYPTION_KEYS": "v1:c2hvcnQ="})
    assert malformed.returncode != 0
    assert "must be 32 random bytes" in malformed.stderr


def test_deploy_check_reports_a_missing_secret_key_and_plain_commands_still_run():
    deploy = run(["manage.py", "check", "--deploy"], ALLOWED_HOSTS="x.gov.cn")
    assert deploy.returncode != 0
    assert "config.E001" in deploy.stderr
    assert run(["manage.py", "makemigrations", "--check", "--dry-run"]).returncode == 0


def production_check(tmp_path, **extra):
    """`check --deploy --fail-level WARNING` with only what a bureau must set, and DJANGO_DEBUG off."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SECRET_KEY": "a-real-key-for-this-test-" + "x" * 40,
        "ALLOWED_HOSTS": "assessment.example.gov.cn",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_DEBUG": "false",
        **FIELD_KEYS,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_deploy_check_passes_with_only_the_variables_a_bureau_must_set(tmp_path):
    checked = production_check(tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout


def test_the_deploy_check_reports_missing_or_malformed_field_encryption_keys(tmp_path):
    missing = production_check(tmp_path, FIELD_ENCRYPTION_KEYS="")
    assert missing.returncode != 0
    assert "core.E010" in missing.stderr
    malformed = production_check(tmp_path, FIELD_HASH_KEY="not base64!")
    assert malformed.returncode != 0
    assert "core.E011" in malformed.stderr


def test_turning_the_https_redirect_off_is_a_choice_the_deploy_check_reports(tmp_path):
    checked = production_check(tmp_path, SECURE_SSL_REDIRECT="false")
    assert checked.returncode != 0
    assert "security.W008" in checked.stderr  # SECURE_SSL_REDIRECT is not True
    hsts_off = production_check(tmp_path, SECURE_HSTS_SECONDS="0")
    assert hsts_off.returncode != 0
    assert "security.W004" in hsts_off.stderr  # no HSTS
