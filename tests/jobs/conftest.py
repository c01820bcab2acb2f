"""A real Celery worker for the tests of this package, on the machine's Redis and the test database.

`real_worker` starts `celery -A config worker` as a province runs it (prefork, two children), in
a process group of its own, against the pytest test database on PostgreSQL and Redis DB 3 as the
broker, with the test process's MEDIA_ROOT, so a file the worker stores is the one the download
view serves. The test process queues to the same broker (`celery_broker`): the Celery app read
its settings at import (no broker: tasks run in-process at once), so its configuration is
changed here and restored afterwards. A failed test shows the tail of the worker's log.

Each task runs in a fresh child (`--max-tasks-per-child=1`): every test of this package commits
its rows and pytest empties the database after it, which re-creates the content types and the
seed policies under new ids; a child kept from one test to the next would remember the old ids.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings

from config.celery import app as celery_app
from core.models import Job

BROKER_URL = "redis://127.0.0.1:6379/3"
NODE = f"jobs-test@{socket.gethostname()}"
READY_SECONDS = 60
LOG_TAIL_LINES = 80


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    """True when a Redis server answers PING on host:port (within a second)."""
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (django-environ's form) for the database of `settings_dict`."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def living_members(group: int) -> list[int]:
    """The processes of process group `group` that are still alive (zombies waiting to be reaped are not)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _drop_broker_connections() -> None:
    """Forget the app's pooled connections (as Celery does after a fork), so the next use reads broker_url."""
    pool = celery_app._pool
    if pool is not None:
        pool.force_close_all()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


class CeleryWorker:
    """One `celery -A config worker` process group; start, wait until it answers, kill, stop."""

    def __init__(self, *, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.seconds_to_ready: list[float] = []

    @property
    def logfile(self) -> Path:
        return self.log_dir / f"worker-{self.starts}.log"

    @property
    def console(self) -> Path:
        return self.log_dir / f"worker-{self.starts}.console"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "the worker is already running"
        self.starts += 1
        celery = Path(django_settings.BASE_DIR) / ".venv" / "bin" / "celery"
        command = [
            str(celery) if celery.exists() else "celery",
            "-A",
            "config",
            "worker",
            "-n",
            "jobs-test@%h",
            "--pool=prefork",
            "-c",
            "2",
            "--max-tasks-per-child=1",
            "-l",
            "INFO",
            f"--logfile={self.logfile}",
        ]
        with open(self.console, "wb") as console:
            self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
                command,
                cwd=django_settings.BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: its children die with it
            )
        started = time.monotonic()
        self.wait_ready()
        self.seconds_to_ready.append(time.monotonic() - started)

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Until the worker answers a control ping by its node name (or fail with its log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the Celery worker exited with {self.process.returncode}\n{self.tail()}"
                )
            if celery_app.control.ping(destination=[NODE], timeout=0.5):
                return
        raise AssertionError(f"the Celery worker did not answer within {timeout} s\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker, its children and their PDF processes."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while living_members(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM: finish the task at hand), then SIGKILL whatever is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=30)

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for path in (self.logfile, self.console):
            text = path.read_text(errors="replace") if path.exists() else "(none)"
            parts.append(f"--- {path.name} (last {lines} lines)\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def celery_broker():
    """The test process queues to the worker's broker (Redis DB 3, emptied before and after); restored after."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url = BROKER_URL
    conf.task_always_eager = False
    _drop_broker_connections()
    # Empty, including the messages a killed worker had reserved ("unacked": Redis would hand them
    # out again an hour later, naming rows of an emptied database).
    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()
    yield BROKER_URL
    conf.broker_url, conf.task_always_eager = saved
    _drop_broker_connections()
    broker.flushdb()
    broker.close()


@pytest.fixture(scope="module")
def worker_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("worker-media")


@pytest.fixture(scope="module")
def real_worker(celery_broker, django_db_setup, worker_media, tmp_path_factory):
    """A Celery worker on the test database (set up by now), the broker and the shared MEDIA_ROOT."""
    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": BROKER_URL,
        "MEDIA_ROOT": str(worker_media),
        "DJANGO_DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
        # A job killed mid-way leaves its half-written temporary file behind: keep them in here.
        "TMPDIR": str(tmp_path_factory.mktemp("worker-tmp")),
    }
    worker = CeleryWorker(env=env, log_dir=tmp_path_factory.mktemp("celery-worker"))
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def media(settings, worker_media) -> Path:
    """Files go where the worker stores them (the documents' fixtures ask for `media` by name)."""
    settings.MEDIA_ROOT = worker_media
    return worker_media


@pytest.fixture(autouse=True)
def _worker_shares_media(settings, worker_media, real_worker):
    settings.MEDIA_ROOT = worker_media


@pytest.fixture(autouse=True)
def _no_job_left_running(db, real_worker):
    """After each test no job is running: pytest empties the tables next, which a running job holds."""
    yield
    deadline = time.monotonic() + 120
    while (
        real_worker.process.poll() is None
        and Job.objects.filter(status=Job.Status.RUNNING).exists()
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    worker = getattr(item, "funcargs", {}).get("real_worker")
    if report.failed and isinstance(worker, CeleryWorker):
        report.sections.append(("celery worker log", worker.tail()))
    return report
