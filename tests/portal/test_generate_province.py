"""`manage.py generate_province`: what a bench run gets, and its bulk path against the services."""

import io
import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import models, transaction

from assessment.models import (
    Campaign,
    CampaignResult,
    CampaignStation,
    Entitlement,
    Policy,
    ScoreSheet,
)
from core.models import AuditEntry
from stations.models import Region, Station, User
from subsidies.models import (
    ClaimMaterial,
    Fund,
    PayeeNotice,
    Payout,
    Placement,
    PlacementRoster,
    SubsidyClaim,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # claim papers are real files


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_province", *args, stdout=out)
    return out.getvalue()


class _Discard(Exception):
    """Raised to roll a generated province back, so the next one starts from an empty database."""


def generated_then_discarded(*args: str) -> tuple[str, dict]:
    """Generate inside a savepoint, take the rows, and roll back."""
    taken: dict = {}
    try:
        with transaction.atomic():
            taken["output"] = generate(*args)
            taken["rows"] = snapshot()
            raise _Discard
    except _Discard:
        pass
    assert not Station.objects.exists()
    return taken["output"], taken["rows"]


# Each row by what it is, not by its id: the same province made twice has other ids.
NATURAL = {
    Region: lambda o: o.code,
    Station: lambda o: o.code,
    User: lambda o: o.username,
    Policy: lambda o: (o.code, o.version),
    Campaign: lambda o: o.code,
    CampaignStation: lambda o: (o.campaign.code, o.station.code),
    ScoreSheet: lambda o: (o.campaign.code, o.station.code, o.period),
    Entitlement: lambda o: (o.station.code, o.kind, o.year),
    CampaignResult: lambda o: (o.campaign.code, o.station.code),
    SubsidyClaim: lambda o: (o.station.code, o.kind, o.year),
    PlacementRoster: lambda o: (o.station.code, o.year),
    Fund: lambda o: o.code,
    PayeeNotice: lambda o: o.title,
    Payout: lambda o: o.voucher_number,
}
COMPARED = [
    Region,
    Station,
    User,
    Policy,
    Campaign,
    CampaignStation,
    ScoreSheet,
    AuditEntry,
    Entitlement,
    CampaignResult,
    SubsidyClaim,
    ClaimMaterial,
    PlacementRoster,
    Placement,
    Fund,
    PayeeNotice,
    Payout,
]


def _value(obj: models.Model, field: models.Field):
    if isinstance(field, models.ForeignKey):
        related = getattr(obj, field.name)
        if related is None:
            return None
        natural = NATURAL.get(type(related))
        return natural(related) if natural else str(related)
    value = getattr(obj, field.attname)
    if isinstance(field, models.DateTimeField):
        return value is not None  # when differs between two runs; whether it is set does not
    if isinstance(field, models.JSONField):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _row(obj: models.Model) -> tuple:
    values = []
    for field in obj._meta.concrete_fields:
        if (
            field.primary_key
            or field.name == "password"  # unusable, random
            or isinstance(field, models.FileField)  # stored under a random name
            or (isinstance(obj, AuditEntry) and field.name == "object_id")  # compared as "target"
        ):
            continue
        values.append((field.name, _value(obj, field)))
    if isinstance(obj, AuditEntry):  # its target, by what the target is
        target = obj.content_type.get_object_for_this_type(pk=obj.object_id)
        natural = NATURAL.get(type(target), str)
        values.append(("target", repr(natural(target))))
    return tuple(values)


def snapshot() -> dict[str, Counter]:
    return {model.__name__: Counter(_row(obj) for obj in model.objects.all()) for model in COMPARED}


def test_the_bulk_path_writes_what_the_services_write(db):
    _, one_by_one = generated_then_discarded(
        "--units", "6", "--stations", "5", "--seed", "11", "--one-by-one"
    )
    output, bulk = generated_then_discarded("--units", "6", "--stations", "5", "--seed", "11")

    sheets = sum(one_by_one["ScoreSheet"].values())
    assert sheets >= 6 * 12 + 3  # 12 months of 6 units, and the yearly stations taking part
    moves = Counter(dict(row)["action"] for row in one_by_one["AuditEntry"].elements())
    assert moves["sheet.import"] == moves["sheet.lock"] == sheets
    assert sum(one_by_one["SubsidyClaim"].values()) > 0 and sum(one_by_one["CampaignResult"].values()) > 0
    for name in one_by_one:
        missing = one_by_one[name] - bulk[name]
        extra = bulk[name] - one_by_one[name]
        assert not missing and not extra, (name, list(missing)[:2], list(extra)[:2])
    assert "campaign hunan-2024" in output


def test_a_generated_province_is_ready_to_measure(db):
    output = generate("--units", "40", "--stations", "30", "--seed", "3")

    campaign_lines = [line for line in output.splitlines() if line.startswith("campaign ")]
    assert campaign_lines == ["campaign hunan-2024", "campaign hubei-2024", "campaign fujian-2023"]
    assert "用时" in output

    units = Station.objects.filter(kind__in=["community", "village"])
    assert units.count() == 40
    assert Station.objects.exclude(kind__in=["community", "village"]).count() == 30
    levels = dict(Region.objects.values_list("level").annotate(n=models.Count("id")))
    # Hubei, Fujian and Hunan of the three campaigns, and Guangdong of the Huizhou seed policy.
    assert levels[Region.Level.PROVINCE] == 4 and levels[Region.Level.TOWNSHIP] >= 3
    for unit in units.select_related("region"):
        assert unit.region.level == Region.Level.TOWNSHIP
        unit.full_clean()  # credit codes, phones and contracts pass the model's checks
    groups = Counter(units.values_list("assessment_group", flat=True))
    assert set(groups.values()) == {4}  # Heshan's groups of four

    # The monthly campaign: every sheet locked, no results yet.
    heshan = Campaign.objects.get(code="hunan-2024")
    assert heshan.status == Campaign.Status.OPEN
    assert heshan.policy.code == "heshan-2024"
    sheets = ScoreSheet.objects.filter(campaign=heshan)
    assert sheets.count() == 40 * 12
    assert set(sheets.values_list("status", flat=True)) == {ScoreSheet.Status.LOCKED}
    assert not sheets.filter(final_total__isnull=True).exists()
    assert not CampaignResult.objects.filter(campaign=heshan).exists()
    totals = sorted(sheets.values_list("final_total", flat=True))
    assert totals[0] < 90 < 99 < totals[-1]  # some strong, some weak
    bureau = User.objects.get(username="bureau-430000")
    assert AuditEntry.objects.filter(action="sheet.lock", actor=bureau).count() == 480
    assert f"办理人 {bureau.username}" in output

    # Timed afterwards by compute_results, which eliminates the weakest (lowest 3 below 95).
    call_command(
        "compute_results", "--campaign", "hunan-2024", "--user", "bureau-430000", stdout=io.StringIO()
    )
    assert CampaignResult.objects.filter(campaign=heshan, eliminated=True).count() == 3

    # The yearly campaigns are published, with claims on them in several states and rosters.
    for code in ("hubei-2024", "fujian-2023"):
        yearly = Campaign.objects.get(code=code)
        assert yearly.status == Campaign.Status.PUBLISHED
        assert yearly.results.count() == yearly.entries.count() > 0
    left_out = Station.objects.filter(region__path__startswith="/350000/").exclude(
        campaign_entries__campaign__code="fujian-2023"
    )
    assert left_out.exists()  # recognised too late for the 2023 campaign
    states = set(SubsidyClaim.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "reviewed", "noticed", "approved", "paid"} <= states
    assert Placement.objects.count() > 0
    assert PlacementRoster.objects.filter(row_count__gt=0).count() >= 6

    # A bureau account for every county and province; an administrator can still be added.
    counties = Region.objects.filter(level=Region.Level.COUNTY).exclude(code__in=["420923", "430903"])
    assert set(
        User.objects.filter(role="bureau", region__level=Region.Level.COUNTY).values_list("region", flat=True)
    ) == set(counties.values_list("pk", flat=True))


def test_createsuperuser_works_on_a_generated_province(db, monkeypatch):
    generate("--units", "4", "--stations", "2", "--seed", "5")
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-pass-2024")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "admin@example.invalid")
    call_command("createsuperuser", interactive=False, stdout=io.StringIO())
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("a-long-admin-pass-2024")


def test_the_same_seed_makes_the_same_province_and_another_seed_another(db):
    _, first = generated_then_discarded("--units", "8", "--stations", "4", "--seed", "21")
    _, again = generated_then_discarded("--units", "8", "--stations", "4", "--seed", "21")
    _, other = generated_then_discarded("--units", "8", "--stations", "4", "--seed", "22")
    for name in ("Region", "Station", "ScoreSheet"):
        assert first[name] == again[name]
        assert first[name] != other[name]


def test_refuses_a_database_that_holds_data(db):
    town = Region.objects.get(code="430903")  # installed with the seed policies
    Station.objects.create(code="X-01", name="已有站点", kind="community", region=town)

    with pytest.raises(CommandError, match="数据库中已有数据（站点 1 条）"):
        generate("--units", "4", "--stations", "2", "--seed", "1")
    assert Station.objects.count() == 1 and not Campaign.objects.exists()


def test_refuses_sizes_that_make_nothing(db):
    with pytest.raises(CommandError, match="不能为负数"):
        generate("--units", "-1", "--stations", "2")
