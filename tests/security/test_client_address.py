"""The visitor's address comes from a configured number of trusted proxies, never from a header the
visitor chooses: the objection limit cannot be dodged by forging X-Forwarded-For, and visitors
behind nginx are counted one by one, not as one address."""

import pytest
from django.urls import reverse

from assessment.models import Objection
from assessment.services.objections import OBJECTIONS_PER_ADDRESS_PER_HOUR
from core.client_address import client_address
from tests.assessment.conftest import addresses, campaign, open_campaign, yunmeng  # noqa: F401
from tests.assessment.steps import lock_sheets, start_notice

NGINX = "127.0.0.1"  # nginx on the same machine connects to gunicorn from here


@pytest.fixture
def noticed(world, open_campaign):  # noqa: F811
    lock_sheets(open_campaign, totals={"AAA-01": 92}, assessor=world.assessor_a, bureau=world.bureau_a)
    return start_notice(open_campaign, bureau=world.bureau_a)


def address_of(rf, *, remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(rf.get("/", **extra))


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # nginx appends the address it saw ($proxy_add_x_forwarded_for) and connects from 127.0.0.1.
        (1, NGINX, "203.0.113.7", "203.0.113.7"),
        # Whatever the visitor wrote stands to the left of what nginx appended, and is not read.
        (1, NGINX, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        (1, NGINX, " 10.0.0.1 ,1.2.3.4,  203.0.113.7 ", "203.0.113.7"),
        # A load balancer in front of nginx: two hops of our own.
        (2, NGINX, "1.2.3.4, 203.0.113.7, 192.0.2.10", "203.0.113.7"),
        # No proxy configured: the header is ignored, whatever it says.
        (0, "203.0.113.7", "1.2.3.4", "203.0.113.7"),
        (0, "203.0.113.7", None, "203.0.113.7"),
        # A proxy that did not add its hop: the oldest hop there is, still not the visitor's choice.
        (1, NGINX, None, NGINX),
        (2, NGINX, "203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_address_is_the_rightmost_hop_our_proxies_did_not_add(
    rf, settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert address_of(rf, remote=remote, forwarded=forwarded) == expected


def objection(world) -> dict[str, str]:
    return {"station": world.station_a.code, "name": "李四", "contact": "13912345678", "reason": "分数有误。"}


def post_through_nginx(client, notice_campaign, data, *, visitor: str, forged: str | None = None):
    """An objection as nginx forwards it: the visitor's own header, then the address nginx saw."""
    forwarded = f"{forged}, {visitor}" if forged else visitor
    return client.post(
        reverse("notice:objection", args=[notice_campaign.code]),
        data,
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_a_forged_header_does_not_get_past_the_objection_limit(client, settings, world, noticed):
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(OBJECTIONS_PER_ADDRESS_PER_HOUR + 3):
        response = post_through_nginx(
            client, noticed, objection(world), visitor="203.0.113.7", forged=f"10.9.8.{attempt}"
        )

    assert "提交过于频繁，请一小时后再试。" in response.content.decode()
    assert Objection.objects.count() == OBJECTIONS_PER_ADDRESS_PER_HOUR


def test_visitors_behind_nginx_each_have_their_own_limit(client, settings, world, noticed):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(OBJECTIONS_PER_ADDRESS_PER_HOUR):
        post_through_nginx(client, noticed, objection(world), visitor="203.0.113.7")
    assert Objection.objects.count() == OBJECTIONS_PER_ADDRESS_PER_HOUR

    neighbour = post_through_nginx(client, noticed, objection(world), visitor="198.51.100.9")

    assert "assessment/objection_thanks.html" in [t.name for t in neighbour.templates]
    assert Objection.objects.count() == OBJECTIONS_PER_ADDRESS_PER_HOUR + 1


def test_without_a_trusted_proxy_the_header_is_ignored(client, settings, world, noticed):
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(OBJECTIONS_PER_ADDRESS_PER_HOUR + 2):
        response = client.post(
            reverse("notice:objection", args=[noticed.code]),
            objection(world),
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.9.8.{attempt}",
        )

    assert "提交过于频繁，请一小时后再试。" in response.content.decode()
    assert Objection.objects.count() == OBJECTIONS_PER_ADDRESS_PER_HOUR
