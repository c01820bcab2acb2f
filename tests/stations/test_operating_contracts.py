"""Operating contracts under purchase of services (issue 15, item 4; seed 003).

A county tenders a station's running to an operator under a contract with targets; the contract
is the station's one source of its contract dates and operator; the work log is measured against
the targets by elapsed time, and the campaign page lists the stations behind.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign, Policy
from assessment.services.campaigns import campaign_open
from core.models import AuditEntry
from core.permissions import Forbidden
from stations.contracts import contract_progress, contract_save, contract_targets_for, purchase_span
from stations.models import WORK_LOG_FIELDS, OperatingContract, Region, Station, User, WorkLogDay
from tests.factories import make_region, make_station, make_user, valid_credit_code

START = datetime.date(2024, 10, 3)
END = datetime.date(2025, 9, 27)  # 360 days with both ends
DAY_90 = datetime.date(2024, 12, 31)  # the 90th day


def new_contract(station, supervisor, **fields) -> OperatingContract:
    values = {
        "number": "HT-2024-01",
        "operator_organisation": "云梦县仁和人力资源服务有限公司",
        "operator_credit_code": valid_credit_code(7),
        "start": START,
        "end": END,
        "amount": Decimal("360000.00"),
        "supervisor": supervisor,
        "target_placements": 120,
        **fields,
    }
    return OperatingContract(station=station, **values)


def saved(world, **fields) -> OperatingContract:
    return contract_save(
        contract=new_contract(world.station_a, world.bureau_a, **fields),
        actor=world.bureau_a,
        reason="公开招标中标，签订运营合同",
    )


def log(station, day, **counts) -> WorkLogDay:
    # Rows written directly: the work log's own services are tested with the work log.
    return WorkLogDay.objects.create(station=station, day=day, **counts)


# --- the model and the service ------------------------------------------------------------------


def test_a_contract_has_a_target_for_every_kind_of_service_the_log_counts():
    names = {f.name for f in OperatingContract._meta.fields}
    assert {f"target_{name}" for name, _label, _unit in WORK_LOG_FIELDS} <= names


def test_saving_a_contract_records_it_and_writes_the_station_from_it(world):
    contract = saved(world, target_job_postings=600)

    station = Station.objects.get(pk=world.station_a.pk)
    assert station.operating_mode == Station.OperatingMode.PURCHASED
    assert (station.purchase_contract_start, station.purchase_contract_end) == (START, END)
    assert station.operator_organisation == "云梦县仁和人力资源服务有限公司"
    assert station.operator_credit_code == valid_credit_code(7)

    created = AuditEntry.objects.get(action="contract.create")
    assert created.actor == world.bureau_a and created.station_id == station.pk
    assert created.reason == "公开招标中标，签订运营合同"
    assert created.changes["amount"] == ["", "360,000.00"]
    assert created.changes["target_placements"] == ["", "120"]
    synced = AuditEntry.objects.get(action="station.contract_sync")
    assert synced.changes["operating_mode"] == ["人社部门自办", "政府购买服务委托第三方运营"]
    assert synced.changes["purchase_contract_end"] == ["", "2025-09-27"]

    contract.amount = Decimal("380000.00")
    contract_save(contract=contract, actor=world.bureau_a, reason="补充协议增加经费")
    change = AuditEntry.objects.get(action="contract.change")
    assert change.changes == {"amount": ["360,000.00", "380,000.00"]}
    assert change.reason == "补充协议增加经费"
    # The station's facts did not change, so no second sync row.
    assert AuditEntry.objects.filter(action="station.contract_sync").count() == 1


def test_a_contract_ending_before_it_starts_is_refused_in_words(world):
    with pytest.raises(ValidationError) as refused:
        saved(world, end=START - datetime.timedelta(days=1))
    assert refused.value.message_dict["end"] == ["合同截止日期不能早于起始日期。"]
    assert not OperatingContract.objects.exists()


def test_overlapping_contracts_of_one_station_are_refused(world):
    saved(world)
    with pytest.raises(ValidationError) as refused:
        saved(world, number="HT-2025-02", start=END, end=END + datetime.timedelta(days=365))
    assert (
        "与该站点的合同 HT-2024-01（2024-10-03 至 2025-09-27）重叠" in refused.value.message_dict["start"][0]
    )
    # Another station may have a contract over the same days.
    other = make_station(region=world.town_a, code="AAA-02")
    contract_save(contract=new_contract(other, world.bureau_a), actor=world.bureau_a, reason="中标")
    assert OperatingContract.objects.count() == 2


def test_a_supervisor_outside_the_stations_region_or_not_bureau_staff_is_refused(world):
    for supervisor in (world.bureau_b, world.operator_a, world.auditor_a):
        with pytest.raises(ValidationError) as refused:
            contract_save(
                contract=new_contract(world.station_a, supervisor), actor=world.bureau_a, reason="中标"
            )
        assert refused.value.message_dict["supervisor"] == [
            "监管人员须为城关镇或其上级人社部门的在职工作人员，请重新选择。"
        ]
    # The city's clerk is above the county: a supervisor of the station's region.
    city_clerk = make_user("bureau_city", role=User.Role.BUREAU, region=world.city)
    contract_save(contract=new_contract(world.station_a, city_clerk), actor=world.bureau_a, reason="中标")


def test_only_the_stations_bureau_saves_a_contract_and_only_with_a_reason(world):
    for actor in (world.bureau_b, world.auditor_a, world.operator_a):
        with pytest.raises(Forbidden):
            contract_save(contract=new_contract(world.station_a, world.bureau_a), actor=actor, reason="越权")
    with pytest.raises(ValidationError, match="请填写变更原因"):
        contract_save(
            contract=new_contract(world.station_a, world.bureau_a), actor=world.bureau_a, reason=" "
        )
    assert not OperatingContract.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="contract.").exists()


def test_a_renewal_extends_the_stations_purchase_period_and_a_later_contract_waits_its_turn():
    first = (datetime.date(2023, 6, 1), datetime.date(2025, 5, 31))
    renewal = (datetime.date(2025, 6, 1), datetime.date(2027, 5, 31))
    after_a_gap = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    today = datetime.date(2024, 7, 1)
    assert purchase_span([renewal, first], today=today) == (first[0], renewal[1])
    # A contract entered early, after a gap, does not make the station look out of contract now.
    assert purchase_span([first, after_a_gap], today=today) == first
    assert purchase_span([first, after_a_gap], today=datetime.date(2026, 2, 1)) == after_a_gap
    assert purchase_span([after_a_gap], today=today) == after_a_gap
    assert purchase_span([], today=today) is None


# --- progress against the targets ---------------------------------------------------------------


def test_progress_is_the_target_by_elapsed_days_against_the_log_since_the_start(world):
    contract = saved(world, target_job_postings=100, target_enterprise_visits=7)
    log(world.station_a, START - datetime.timedelta(days=1), placements=50)  # before the contract
    log(world.station_a, START, placements=10, job_postings=40)
    log(world.station_a, DAY_90, placements=8, enterprise_visits=1)
    log(world.station_a, DAY_90 + datetime.timedelta(days=1), placements=50)  # after the day measured
    log(world.station_b, DAY_90, placements=50)  # another station

    (progress,) = contract_progress(contracts=[contract], on=DAY_90)

    assert progress.elapsed_days == 90
    by_field = {t.field: t for t in progress.targets}
    assert set(by_field) == {"placements", "job_postings", "enterprise_visits"}  # only those set
    placements = by_field["placements"]
    # 120 × 90 / 360 = 30 expected; 10 + 8 logged; 12 short.
    assert (placements.target, placements.logged, placements.expected, placements.shortfall) == (
        120,
        18,
        30,
        12,
    )
    # 100 × 90 / 360 = 25 expected, 40 logged: ahead, no shortfall.
    assert (by_field["job_postings"].expected, by_field["job_postings"].shortfall) == (25, 0)
    # 7 × 90 / 360 = 1.75 → 2 (half up to a whole visit); 1 logged.
    assert (by_field["enterprise_visits"].expected, by_field["enterprise_visits"].shortfall) == (2, 1)
    assert [t.field for t in progress.behind] == ["placements", "enterprise_visits"]


def test_expected_figures_round_half_up_and_stop_at_the_contracts_ends(world):
    contract = saved(world, target_placements=2)  # 2 × 90 / 360 = 0.5 → 1
    (on_day_90,) = contract_progress(contracts=[contract], on=DAY_90)
    assert on_day_90.targets[0].expected == 1
    (before,) = contract_progress(contracts=[contract], on=START - datetime.timedelta(days=1))
    assert (before.elapsed_days, before.targets[0].expected) == (0, 0)
    log(world.station_a, END, placements=1)
    log(world.station_a, END + datetime.timedelta(days=1), placements=5)  # after the contract
    (after,) = contract_progress(contracts=[contract], on=END + datetime.timedelta(days=100))
    assert (after.elapsed_days, after.targets[0].expected, after.targets[0].logged) == (360, 2, 1)


def test_a_campaigns_year_is_measured_from_its_first_day_not_the_contracts(world):
    contract = saved(world)
    log(world.station_a, DAY_90, placements=100)  # 2024: the year before, assessed then
    log(world.station_a, datetime.date(2025, 1, 1), placements=10)
    log(world.station_a, datetime.date(2025, 3, 31), placements=8)
    (year,) = contract_progress(
        contracts=[contract], on=datetime.date(2025, 3, 31), since=datetime.date(2025, 1, 1)
    )
    # 1 January to 31 March 2025: 90 days of the 360, so 120 × 90 / 360 = 30 expected; 18 logged.
    assert year.elapsed_days == 90
    placements = year.targets[0]
    assert (placements.logged, placements.expected, placements.shortfall) == (18, 30, 12)


def test_progress_of_many_contracts_with_their_own_periods_takes_two_queries(world):
    first = saved(world)
    second = contract_save(
        contract=new_contract(
            world.station_a,
            world.bureau_a,
            number="HT-2025-02",
            start=END + datetime.timedelta(days=1),
            end=END + datetime.timedelta(days=360),
        ),
        actor=world.bureau_a,
        reason="续签",
    )
    log(world.station_a, DAY_90, placements=18)
    log(world.station_a, END + datetime.timedelta(days=2), placements=3)
    stations = [make_station(region=world.town_a, code=f"AAA-1{i}") for i in range(4)]
    for i, station in enumerate(stations):
        contract_save(
            contract=new_contract(station, world.bureau_a, start=START + datetime.timedelta(days=i)),
            actor=world.bureau_a,
            reason="中标",
        )
        log(station, DAY_90, placements=i)
    on = END + datetime.timedelta(days=90)

    with CaptureQueriesContext(connection) as queries:
        progress = contract_progress(contracts=OperatingContract.objects.order_by("pk"), on=on)
    assert len(queries.captured_queries) == 2

    logged = {p.contract.pk: p.targets[0].logged for p in progress}
    assert logged[first.pk] == 18 and logged[second.pk] == 3  # each contract its own days only
    assert [logged[c.pk] for c in OperatingContract.objects.filter(station__in=stations).order_by("pk")] == [
        0,
        1,
        2,
        3,
    ]


# --- the admin ---------------------------------------------------------------------------------


def admin_post(world, **fields) -> dict:
    data = {
        "station": world.station_a.pk,
        "number": "HT-2024-01",
        "operator_organisation": "云梦县仁和人力资源服务有限公司",
        "operator_credit_code": valid_credit_code(7),
        "start": "2024-10-03",
        "end": "2025-09-27",
        "amount": "360000",
        "supervisor": world.bureau_a.pk,
        "target_placements": "120",
        "change_reason": "公开招标中标",
    }
    data.update(fields)
    return data


def test_bureau_staff_add_a_contract_in_the_admin_and_see_refusals_beside_the_fields(client, world):
    client.force_login(world.bureau_a)
    url = reverse("admin:stations_operatingcontract_add")
    response = client.post(url, admin_post(world))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="contract.create", reason="公开招标中标").exists()

    # A clerk of a neighbouring township: bureau staff, but not of the station's region.
    town_a2 = make_region("420923101", "义堂镇", Region.Level.TOWNSHIP, world.county_a)
    neighbour = make_user("bureau_town", role=User.Role.BUREAU, region=town_a2)
    refused = client.post(url, admin_post(world, number="HT-2", supervisor=neighbour.pk))
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "重叠：同一站点同一时间只能有一份运营合同" in page
    assert "监管人员须为城关镇或其上级人社部门的在职工作人员" in page
    assert OperatingContract.objects.count() == 1

    # A change asks for its reason and records old and new values.
    contract = OperatingContract.objects.get()
    change_url = reverse("admin:stations_operatingcontract_change", args=[contract.pk])
    data = admin_post(world, amount="380000", change_reason="补充协议增加经费")
    del data["station"]  # fixed once saved
    assert client.post(change_url, data).status_code == 302
    change = AuditEntry.objects.get(action="contract.change")
    assert (change.changes, change.reason) == ({"amount": ["360,000.00", "380,000.00"]}, "补充协议增加经费")
    no_reason = client.post(change_url, {**data, "amount": "1", "change_reason": ""})
    assert no_reason.status_code == 200 and "这个字段是必填项" in no_reason.content.decode()

    # The station's contract facts are no longer typed on the station's page.
    station_page = client.get(reverse("admin:stations_station_change", args=[world.station_a.pk]))
    assert 'name="purchase_contract_start"' not in station_page.content.decode()
    assert 'name="operator_organisation"' not in station_page.content.decode()


def test_another_countys_contract_is_not_found_and_auditors_only_read(client, world):
    contract = saved(world)
    url = reverse("admin:stations_operatingcontract_change", args=[contract.pk])
    client.force_login(world.bureau_b)
    assert client.get(url).status_code == 404
    assert (
        "HT-2024-01"
        not in client.get(reverse("admin:stations_operatingcontract_changelist")).content.decode()
    )
    client.force_login(world.auditor_a)
    log(world.station_a, DAY_90, placements=18)
    page = client.get(url)
    assert page.status_code == 200
    # The contract has ended (the test runs after 2025-09-27): all 120 were due, 18 logged.
    assert "<td>推荐成功就业</td><td>120 人</td><td>18 人</td><td>120 人</td><td>差 102 人</td>" in (
        page.content.decode()
    )
    assert client.post(url, admin_post(world, amount="1")).status_code == 403
    client.force_login(world.operator_a)
    assert client.get(url).status_code == 302  # to the login: operators do not use the admin
    contract.refresh_from_db()
    assert contract.amount == Decimal("360000.00")


# --- the campaign page ------------------------------------------------------------------------


def yunmeng_campaign(world, code, stations) -> Campaign:
    campaign = Campaign.objects.create(
        code=code,
        name=f"{code}考核",
        policy=Policy.objects.get(code="yunmeng-2024", version=1),
        region=world.county_a,
        year=2024,
        self_evaluation_due=timezone.now() + datetime.timedelta(days=10),
        onsite_due=timezone.localdate() + datetime.timedelta(days=20),
        assessed_on=DAY_90,
    )
    return campaign_open(campaign=campaign, actor=world.bureau_a, stations=stations)


def campaign_page(client, campaign) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:assessment_campaign_change", args=[campaign.pk]))
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


def test_the_campaign_page_lists_the_stations_behind_their_contract_targets(client, world):
    saved(world, target_job_postings=100)
    log(world.station_a, START, placements=18, job_postings=40)
    ahead = make_station(region=world.town_a, code="AAA-09", name="甲县城关第九站")
    contract_save(contract=new_contract(ahead, world.bureau_a), actor=world.bureau_a, reason="中标")
    log(ahead, START, placements=30)
    campaign = yunmeng_campaign(world, "ym-contracts", [world.station_a, ahead])
    client.force_login(world.bureau_a)

    _, page = campaign_page(client, campaign)

    assert "合同目标完成情况" in page
    assert "2024年1月1日至2024年12月31日，参评站点的运营合同 2 份，1 个站点的 1 项目标落后于进度" in page
    row = page.split("AAA-01 甲县城关零工驿站</a></td>", 1)[1].split("</tr>", 1)[0]
    assert "推荐成功就业" in row
    assert [cell.split("</td>")[0] for cell in row.split("<td>")[2:]] == [
        "120 人",
        "18 人",
        "30 人",
        "12 人",
        "60%",
    ]
    assert "AAA-09" not in page  # on its progress: not listed
    assert reverse("admin:stations_operatingcontract_changelist") + f"?region={world.county_a.pk}" in page


def test_the_campaign_panel_takes_the_same_queries_for_one_or_many_contracts(client, world):
    one = yunmeng_campaign(world, "ym-one", [world.station_a])
    saved(world)
    many_stations = [make_station(region=world.town_a, code=f"AAA-2{i}") for i in range(8)]
    for i, station in enumerate(many_stations):
        contract_save(
            contract=new_contract(station, world.bureau_a, start=START - datetime.timedelta(days=i)),
            actor=world.bureau_a,
            reason="中标",
        )
    many = yunmeng_campaign(world, "ym-many", many_stations)
    client.force_login(world.bureau_a)
    few_queries, _ = campaign_page(client, one)
    many_queries, page = campaign_page(client, many)
    assert many_queries == few_queries
    assert "8 个站点的 8 项目标落后于进度" in page


def test_a_campaign_without_contracts_shows_no_contract_panel(client, world):
    campaign = yunmeng_campaign(world, "ym-none", [world.station_a])
    client.force_login(world.bureau_a)
    _, page = campaign_page(client, campaign)
    assert "合同目标完成情况" not in page


# --- what a rubric input could read -----------------------------------------------------------


def test_a_stations_target_for_a_period_is_its_contracts_share_of_it(world):
    # 120 placements over 360 days from 2024-10-03; the year 2024 holds its first 90 days.
    saved(world, target_enterprise_visits=7)
    renewal = new_contract(
        world.station_a,
        world.bureau_a,
        number="HT-2025-02",
        start=END + datetime.timedelta(days=1),
        end=END + datetime.timedelta(days=360),
        target_placements=360,
    )
    contract_save(contract=renewal, actor=world.bureau_a, reason="续签")
    untargeted = make_station(region=world.town_a, code="AAA-03")

    year_2024 = (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    targets = contract_targets_for(station_ids=[world.station_a.pk, untargeted.pk], period=year_2024)
    # 120 × 90 / 360 = 30; 7 × 90 / 360 = 1.75 → 2; the station without a contract is absent.
    assert targets == {world.station_a.pk: {"placements": 30, "enterprise_visits": 2}}

    # 2025: the first contract's last 270 days (90) and the renewal's first 95 days (95).
    year_2025 = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    figures = contract_targets_for(station_ids=[world.station_a.pk], period=year_2025)[world.station_a.pk]
    assert figures == {"placements": 90 + 95, "enterprise_visits": 5}  # 7 × 270 / 360 = 5.25 → 5


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_runs_huizhous_stations_under_contracts_shown_on_the_rating_campaign(client, db):
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # again: nothing new, nothing recorded twice

    contracts = OperatingContract.objects.select_related("station", "supervisor")
    assert contracts.count() == 30
    assert {c.station.code[:6] for c in contracts} == {"HZ-ES-"}
    assert AuditEntry.objects.filter(action="contract.create").count() == 30
    assert not AuditEntry.objects.filter(action="contract.change").exists()
    for contract in contracts:
        assert (contract.start, contract.end) == (datetime.date(2023, 6, 1), datetime.date(2025, 5, 31))
        assert Decimal(300_000) <= contract.amount <= Decimal(500_000)
        assert contract.supervisor.username == "hz-bureau"
        assert contract.operator_organisation == contract.station.operator_organisation
        assert set(contract.targets()) == {"job_postings", "placements", "enterprise_visits"}
        contract.full_clean()

    rating = Campaign.objects.get(code="huizhou-2024")
    client.force_login(User.objects.get(username="hz-bureau"))
    page = client.get(reverse("admin:assessment_campaign_change", args=[rating.pk])).content.decode()
    assert "合同目标完成情况" in page
    assert "参评站点的运营合同 30 份" in page


# --- review fixes: a missing supervisor, a refusal at save time, the campaign's year ----------


def test_a_contract_without_a_supervisor_is_refused_in_words_not_by_the_database(world):
    with pytest.raises(ValidationError) as refused:
        contract_save(contract=new_contract(world.station_a, None), actor=world.bureau_a, reason="中标")
    assert refused.value.message_dict["supervisor"] == [
        "请选择县级监管人员（站点所在县（区）就业部门负责该站日常监管的工作人员）。"
    ]
    assert not OperatingContract.objects.exists()


def test_a_colleagues_contract_saved_meanwhile_is_a_form_error_not_a_403(client, world, monkeypatch):
    """The form checked the overlap; a colleague saves an overlapping contract before this one is
    written: the clerk gets the form back, as typed, with the overlap beside the start date."""
    import stations.admin
    from stations.contracts import contract_save as real_save

    def colleague_first(*, contract, actor, reason):
        OperatingContract.objects.create(
            station=world.station_a,
            number="HT-同事",
            operator_organisation="同事录入的运营机构",
            operator_credit_code=valid_credit_code(8),
            start=START,
            end=END,
            amount=Decimal("1.00"),
            supervisor=world.bureau_a,
        )
        return real_save(contract=contract, actor=actor, reason=reason)

    monkeypatch.setattr(stations.admin, "contract_save", colleague_first)
    client.force_login(world.bureau_a)
    response = client.post(
        reverse("admin:stations_operatingcontract_add"), admin_post(world, number="HT-本人")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "与该站点的合同 HT-同事（2024-10-03 至 2025-09-27）重叠" in page
    assert 'value="HT-本人"' in page  # what the clerk typed is still there
    # Nothing of the attempt stays (the colleague's row here was written in the same transaction).
    assert not OperatingContract.objects.filter(number="HT-本人").exists()
    assert not AuditEntry.objects.filter(action="contract.create").exists()


def test_the_campaign_panel_measures_no_further_than_the_campaigns_31_december(world):
    """A 考核基准日 set in January of the next year: the year's panel stops at 31 December, and the
    log of the new year counts for nothing in it."""
    from assessment.campaign_progress import campaign_contract_shortfalls

    saved(world)
    log(world.station_a, datetime.date(2024, 12, 1), placements=18)
    log(world.station_a, datetime.date(2025, 1, 10), placements=50)
    campaign = yunmeng_campaign(world, "ym-january", [world.station_a])
    Campaign.objects.filter(pk=campaign.pk).update(assessed_on=datetime.date(2025, 1, 20))
    campaign.refresh_from_db()

    panel = campaign_contract_shortfalls(campaign, world.county_a)

    assert panel.on == DAY_90
    (row,) = panel.rows
    # 120 × 90 ÷ 360 = 30 expected by 31 December; 18 logged in 2024 (January's 50 left out).
    assert (row.progress.expected, row.progress.logged, row.progress.shortfall) == (30, 18, 12)


# --- browser-walk fixes: the period in words, the log's uncovered days, 完成进度 -------------------


def test_the_contract_page_states_its_period_and_the_days_the_log_does_not_cover(client, world):
    """Huizhou's case: a contract from 2023-06-01 to 2025-05-31, a log holding 2024 only."""
    contract = saved(world, start=datetime.date(2023, 6, 1), end=datetime.date(2025, 5, 31))
    log(world.station_a, datetime.date(2024, 1, 1), placements=10)
    log(world.station_a, datetime.date(2024, 12, 31), placements=8)
    client.force_login(world.bureau_a)

    page = client.get(reverse("admin:stations_operatingcontract_change", args=[contract.pk])).content.decode()

    assert "统计期间：自2023年6月1日至2025年5月31日（合同期满），合同已执行 731 天（共 731 天）" in page
    # June to December 2023: 30+31+31+30+31+30+31 = 214 days; January to May 2025: 151 days.
    assert (
        "工作日志最早记录为2024年1月1日，此前 214 天没有记录；"
        "最晚记录为2024年12月31日，此后 151 天没有记录，均按 0 计。" in page
    )
    assert "<td>推荐成功就业</td><td>120 人</td><td>18 人</td><td>120 人</td><td>差 102 人</td>" in page


def test_a_contract_with_no_log_day_in_its_period_says_so_and_one_fully_logged_says_nothing(world):
    contract = saved(world)
    on = datetime.date(2024, 10, 12)
    (empty,) = contract_progress(contracts=[contract], on=on)
    assert empty.period_words() == "自2024年10月3日至2024年10月12日（统计截止日）"
    assert empty.log_gap_words() == "工作日志在此期间（10 天）没有任何记录，按 0 计"
    log(world.station_a, START, placements=1)
    log(world.station_a, on, placements=1)
    (covered,) = contract_progress(contracts=[contract], on=on)
    assert covered.log_gap_words() == ""
    (later,) = contract_progress(contracts=[contract], on=datetime.date(2024, 10, 20))
    assert later.log_gap_words() == "工作日志最晚记录为2024年10月12日，此后 8 天没有记录，按 0 计"


def test_the_campaign_panel_shows_and_sorts_by_the_share_done(client, world):
    # Each contract from 2024-10-03 over 360 days: by 31 December 90 days, a quarter of the target.
    figures = {  # code: (placements target, logged)
        "AAA-01": (120, 18),  # expected 30: 18/30 = 60 %
        "AAA-31": (120, 5),  # expected 30: 5/30 = 16.67 % → 17 %
        "AAA-32": (50, 8),  # expected 12.5 → 13: 8/13 = 61.54 % → 62 %
        "AAA-33": (32, 1),  # expected 8: 1/8 = 12.5 % → 13 % (half up)
    }
    stations = [world.station_a]
    saved(world)
    log(world.station_a, START, placements=18)
    for code, (target, logged) in figures.items():
        if code == "AAA-01":
            continue
        station = make_station(region=world.town_a, code=code, name=f"站{code}")
        contract_save(
            contract=new_contract(station, world.bureau_a, target_placements=target),
            actor=world.bureau_a,
            reason="中标",
        )
        log(station, START, placements=logged)
        stations.append(station)
    campaign = yunmeng_campaign(world, "ym-share", stations)
    client.force_login(world.bureau_a)

    _, page = campaign_page(client, campaign)

    assert "<th>差额</th><th>完成进度</th>" in page
    table = page.split("合同目标完成情况", 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [
        [re.sub(r"<[^>]+>", "", cell.split("</td>")[0]) for cell in row.split("<td>")[1:]]
        for row in table.split("</tr>")[:-1]
    ]
    assert [(row[0].split(" ")[0], row[2:]) for row in rows] == [
        ("AAA-33", ["32 人", "1 人", "8 人", "7 人", "13%"]),
        ("AAA-31", ["120 人", "5 人", "30 人", "25 人", "17%"]),
        ("AAA-01", ["120 人", "18 人", "30 人", "12 人", "60%"]),
        ("AAA-32", ["50 人", "8 人", "13 人", "5 人", "62%"]),
    ]
