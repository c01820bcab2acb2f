"""gunicorn's settings: `gunicorn -c deploy/gunicorn.conf.py config.wsgi` (systemd unit, `make serve`).

Every value can be changed from the environment (/etc/station-assessment.env under systemd, or the
project's .env), so a bureau never edits this file. The defaults suit nginx on the same machine.
"""

import multiprocessing
import signal
from pathlib import Path

import environ
from gunicorn.glogging import Logger

# The project's .env (if any) fills in what the environment leaves unset, as config/settings.py does.
_env_file = Path(__file__).resolve().parent.parent / ".env"
if _env_file.is_file():
    environ.Env.read_env(_env_file)
env = environ.Env()

# Only nginx on this machine talks to gunicorn; it is never exposed to the network.
bind = env.list("GUNICORN_BIND", default=["127.0.0.1:8000"])

# Processes: the usual 2 × CPU + 1, at most 8: each holds the loaded app (about 90 MB resident,
# a third of it its own, the rest shared with the master) and a database connection per busy
# thread, and the heavy work runs on Celery workers, not here.
workers = env.int("GUNICORN_WORKERS", default=min(2 * multiprocessing.cpu_count() + 1, 8))
# Threads per process (the gthread worker): a slow download or a phone's slow upload holds a thread,
# not a whole process. Requests of one process share nothing but Django's thread-safe caches.
threads = env.int("GUNICORN_THREADS", default=4)
worker_class = "gthread"

# With threads this is how long a process may stay unresponsive before it is replaced; it does not
# cut a long request short. Request limits are nginx's: 60 s for pages, longer only for downloads
# (deploy/nginx/station-assessment.conf). Long work runs as jobs (core.Job).
timeout = env.int("GUNICORN_TIMEOUT", default=60)
# On restart or reload (SIGHUP) a process finishes what it is serving for up to this long.
graceful_timeout = env.int("GUNICORN_GRACEFUL_TIMEOUT", default=60)
keepalive = 5  # seconds an idle keep-alive connection from nginx stays open

# A process is replaced after about this many requests, so memory a PDF or an export leaves behind
# is given back; the jitter keeps the processes from restarting all at once.
max_requests = env.int("GUNICORN_MAX_REQUESTS", default=1000)
max_requests_jitter = max(max_requests // 10, 0)

# Whether a request came over HTTPS: gunicorn believes X-Forwarded-Proto only from these addresses
# (nginx on this machine), so Django's HTTPS redirect sees nginx's HTTPS requests as secure and
# cannot loop, and a client talking to gunicorn directly cannot claim HTTPS.
forwarded_allow_ips = env.str("FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Logs go to the journal (stdout, stderr). Request bodies are never logged; neither are query
# strings nor referrers, which can carry a searched name or ID number: the path only.
accesslog = env.str("GUNICORN_ACCESS_LOG", default="-") or None
errorlog = "-"
loglevel = env.str("GUNICORN_LOG_LEVEL", default="info")
access_log_format = '%({x-real-ip}i)s %(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


class QuietHealthLogger(Logger):
    """The access log without /health/: a load balancer probing every few seconds would drown it."""

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") == "/health/":
            return
        super().access(resp, req, environ, request_time)


logger_class = QuietHealthLogger


def post_worker_init(worker):
    # Ctrl-C in a terminal (`make serve`) signals every process at once; the master then stops the
    # workers itself. A gthread worker that gets both signals could hang in its exit until the
    # graceful timeout (seen in about one Ctrl-C of three), so the workers leave SIGINT to the master.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


proc_name = "station-assessment"
# Newer gunicorn opens a control socket in $HOME; systemd (`systemctl reload`) does that job here,
# and two servers on one machine would fight over the one path.
control_socket_disable = True
# The app is loaded once in the master: a broken settings file stops start-up with one clear
# error instead of workers dying one after another, and the processes share the loaded code.
preload_app = True
