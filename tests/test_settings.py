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
