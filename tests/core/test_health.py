"""/health/ tells a load balancer whether this server can reach its database, broker and storage."""

import json

import pytest

# The machine's Redis; the probe only connects and writes nothing. A closed port stands for a broker
# that is down.
REDIS_UP = "redis://127.0.0.1:6379/14"
REDIS_DOWN = "redis://127.0.0.1:1/0"

pytestmark = pytest.mark.django_db


def probe(client, **headers):
    response = client.get("/health/", **headers)
    return response, json.loads(response.content)


def test_all_checks_pass_answers_200_without_login(client, settings):
    settings.CELERY_BROKER_URL = REDIS_UP
    response, body = probe(client)
    assert response.status_code == 200
    assert body == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "storage": "ok"}}
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def test_without_a_broker_the_broker_is_not_configured_and_that_is_healthy(client, settings):
    settings.CELERY_BROKER_URL = ""
    response, body = probe(client)
    assert response.status_code == 200
    assert body["checks"]["broker"] == "not configured"


def test_a_broker_that_is_down_answers_503(client, settings):
    settings.CELERY_BROKER_URL = REDIS_DOWN
    response, body = probe(client)
    assert response.status_code == 503
    assert body == {"status": "error", "checks": {"database": "ok", "broker": "error", "storage": "ok"}}
    # Nothing about the broker's address or the error reaches the answer.
    assert "127.0.0.1" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_storage_that_cannot_be_written_answers_503_and_keeps_the_path_to_itself(client, settings, caplog):
    # Not even root can create a folder under /proc.
    settings.MEDIA_ROOT = "/proc/station-assessment-health"
    response, body = probe(client)
    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["checks"]["storage"] == "error"
    assert body["checks"]["database"] == "ok"
    assert "/proc" not in response.content.decode()
    # Whoever runs the server learns what failed from the log.
    assert any("storage" in r.getMessage() and "/proc" in r.getMessage() for r in caplog.records)


def test_the_probe_leaves_no_file_behind(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert probe(client)[0].status_code == 200
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_answers_over_plain_http_with_the_https_redirect_on(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    # Every other page is redirected to HTTPS ...
    login = client.get("/accounts/login/")
    assert login.status_code == 301
    assert login["Location"].startswith("https://")
    # ... the balancer's plain-HTTP probe gets its answer.
    assert probe(client)[0].status_code == 200


def test_answers_a_probe_by_address_that_allowed_hosts_does_not_list(client, settings):
    settings.ALLOWED_HOSTS = ["assessment.example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True
    response, body = probe(client, HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert body["status"] == "ok"
    # Host validation still guards every other page.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_only_reads_are_answered(client):
    assert client.post("/health/").status_code == 405
    assert client.head("/health/").status_code == 200
