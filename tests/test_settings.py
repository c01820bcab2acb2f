"""A server never runs without its own SECRET_KEY, while one-off commands still work without it."""

import os
import subprocess
import sys

from django.conf import settings


def run(code_or_args, **env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL"}
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
    started = run("import config.wsgi", SECRET_KEY="a-real-key-for-this-test-" + "x" * 40)
    assert started.returncode == 0, started.stderr


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


def test_turning_the_https_redirect_off_is_a_choice_the_deploy_check_reports(tmp_path):
    checked = production_check(tmp_path, SECURE_SSL_REDIRECT="false")
    assert checked.returncode != 0
    assert "security.W008" in checked.stderr  # SECURE_SSL_REDIRECT is not True
    hsts_off = production_check(tmp_path, SECURE_HSTS_SECONDS="0")
    assert hsts_off.returncode != 0
    assert "security.W004" in hsts_off.stderr  # no HSTS
