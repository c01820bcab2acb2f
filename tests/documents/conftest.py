"""A county-A campaign walked through the real services: two stations, a self-evaluation with a
photo as evidence, on-site scores, locked sheets and computed results.

AAA-01 (gig station) self-evaluates at 94 and is scored 92 on site (优秀, 60,000); AAA-02 (a
doorstep station whose name looks like a spreadsheet formula) is scored 85 (良好, 15,000).
"""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessment.models import Campaign, ScoreSheet
from assessment.services.campaigns import campaign_open, campaign_results_compute
from assessment.services.sheets import evidence_add
from stations.models import Region, User
from tests.assessment.conftest import addresses, campaign, heshan_world, open_campaign, yunmeng  # noqa: F401
from tests.assessment.steps import lock_sheets, points_inputs, self_evaluate
from tests.factories import make_region, make_station, make_user


def png_upload(name: str) -> SimpleUploadedFile:
    """A real 1×1 PNG, so the evidence check accepts it by its content."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return SimpleUploadedFile(name, raw, content_type="image/png")


FORMULA_NAME = '=HYPERLINK("http://x.invalid","点我")家门口站'


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def evidence_campaign(world, campaign, media) -> Campaign:  # noqa: F811
    """The campaign, open, with AAA-01 self-evaluated (with a photo) and AAA-02 not yet."""
    make_station(region=world.town_a, code="AAA-02", kind="doorstep_station", name=FORMULA_NAME)
    campaign_open(campaign=campaign, actor=world.bureau_a)
    sheet = ScoreSheet.objects.select_related("campaign__policy", "station").get(
        campaign=campaign, station=world.station_a
    )
    evidence_add(
        sheet=sheet, actor=world.operator_a, uploaded=png_upload("2024年服务台账.png"), kind="ledger"
    )
    self_evaluate(sheet, operator=world.operator_a, raw=points_inputs(campaign, kind="gig_station", total=94))
    return campaign


@pytest.fixture
def scored_campaign(world, evidence_campaign) -> Campaign:
    """Both sheets scored on site and locked, results computed (status "results")."""
    lock_sheets(
        evidence_campaign,
        totals={"AAA-01": 92, "AAA-02": 85},
        assessor=world.assessor_a,
        bureau=world.bureau_a,
    )
    campaign_results_compute(campaign=evidence_campaign, actor=world.bureau_a)
    evidence_campaign.refresh_from_db()
    return evidence_campaign


@pytest.fixture
def auditor_b(world) -> User:
    """An auditor of county B: county A's campaign is out of reach."""
    return make_user("auditor_b", role=User.Role.AUDITOR, region=world.county_b)


@pytest.fixture
def city_auditor(world) -> User:
    """An auditor of the city above both counties."""
    city = make_region("420900", "孝感市", Region.Level.CITY, world.province)
    return make_user("auditor_city", role=User.Role.AUDITOR, region=city)
