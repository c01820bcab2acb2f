"""The work log (工作日志台账): the operator records a day on the phone or imports a file, all or
nothing; everyone who sees the station reads its month; another station's log is not there."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.audit import action_label, changes_lines
from core.models import AuditEntry
from core.permissions import Forbidden
from core.xlsx import XlsxSheet, write_xlsx
from stations.models import WorkLogDay
from stations.worklog import IMPORT_COLUMNS, work_log_day_save, work_log_import

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2024, 6, 20)  # a Thursday
COUNTS = {
    "job_postings": 12,
    "matches": 5,
    "placements": 2,
    "training_referrals": 1,
    "policy_consultations": 9,
    "disputes_helped": 0,
    "enterprise_visits": 1,
}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2024, 6, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def day_form(day, **counts):
    return {"day": f"{day:%Y-%m-%d}", "loaded_for": f"{day:%Y-%m-%d}", "note": "", **COUNTS, **counts}


def log(station, day, **counts):
    return WorkLogDay.objects.create(station=station, day=day, **{**COUNTS, **counts})


def xlsx_upload(rows, name="日志.xlsx", header=None):
    data = write_xlsx([XlsxSheet(title="工作日志", header=header or IMPORT_COLUMNS, rows=rows)])
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def good_row(day, placements=2, note=""):
    return [day, 12, 5, placements, 1, 9, 0, 1, note]


# ---- the day form


def test_operator_records_today_from_the_phone_form_and_the_month_shows_it(client, world):
    client.force_login(world.operator_a)
    form = client.get(reverse("portal:work_log_day", args=["AAA-01"])).content.decode()
    assert 'value="2024-06-20"' in form  # the date defaults to today
    assert 'inputmode="numeric"' in form and "人次" in form and "家" in form
    response = client.post(reverse("portal:work_log_day", args=["AAA-01"]), day_form(TODAY), follow=True)
    page = response.content.decode()
    assert "已记录 2024-06-20 的工作日志" in page
    row = WorkLogDay.objects.get(station=world.station_a, day=TODAY)
    assert (row.job_postings, row.policy_consultations, row.recorded_by) == (12, 9, world.operator_a)
    assert "2024年6月" in page
    # A new day is the ledger itself, not a change: no history row.
    assert not AuditEntry.objects.filter(action="worklog.save").exists()


def test_changing_a_logged_day_keeps_old_and_new_in_the_history(client, world):
    log(world.station_a, datetime.date(2024, 6, 18), placements=2, note="")
    client.force_login(world.operator_a)
    url = reverse("portal:work_log_day", args=["AAA-01"])
    form = client.get(url, {"day": "2024-06-18"}).content.decode()
    assert "这一天已有记录" in form
    response = client.post(
        url, day_form(datetime.date(2024, 6, 18), placements=3, note="春风行动招聘会"), follow=True
    )
    assert "已修改 2024-06-18 的工作日志" in response.content.decode()
    entry = AuditEntry.objects.get(action="worklog.save")
    assert entry.actor == world.operator_a and entry.station == world.station_a
    assert entry.changes == {"placements": ["2", "3"], "note": ["", "春风行动招聘会"]}
    # PostgreSQL's JSON keeps keys in an order of its own: the lines, not their order, are the point.
    assert sorted(changes_lines(entry)) == sorted(
        ["推荐成功就业（人）：2 → 3", "备注：（空） → 春风行动招聘会"]
    )
    assert action_label("worklog.save") == "修改工作日志"


def test_moving_the_form_to_a_day_already_logged_asks_before_saving_over_it(client, world):
    log(world.station_a, datetime.date(2024, 6, 17), placements=4)
    client.force_login(world.operator_a)
    url = reverse("portal:work_log_day", args=["AAA-01"])
    data = {**day_form(datetime.date(2024, 6, 17), placements=9), "loaded_for": "2024-06-20"}
    first = client.post(url, data)
    assert first.status_code == 200
    assert "2024-06-17 已有记录" in first.content.decode() and "推荐成功就业 4 人" in first.content.decode()
    assert WorkLogDay.objects.get(day=datetime.date(2024, 6, 17)).placements == 4
    second = client.post(url, {**data, "loaded_for": "2024-06-17"})
    assert second.status_code == 302
    assert WorkLogDay.objects.get(day=datetime.date(2024, 6, 17)).placements == 9


def test_form_refuses_a_negative_count_and_a_future_day_in_chinese_and_saves_nothing(client, world):
    client.force_login(world.operator_a)
    url = reverse("portal:work_log_day", args=["AAA-01"])
    negative = client.post(url, day_form(TODAY, matches=-1)).content.decode()
    assert "不能为负数" in negative
    future = client.post(url, day_form(datetime.date(2024, 6, 21))).content.decode()
    assert "2024-06-21 还没有到，不能记录今天以后的日期" in future
    assert not WorkLogDay.objects.exists()


def test_service_refuses_what_the_form_would_not_send(world):
    def save(day=TODAY, note="", **counts):
        return work_log_day_save(
            station=world.station_a, day=day, counts={**COUNTS, **counts}, note=note, actor=world.operator_a
        )

    with pytest.raises(ValidationError) as refused:
        save(placements=-3, matches=2.5, job_postings=100_001)
    messages = refused.value.message_dict
    assert messages["placements"] == ["推荐成功就业：不能为负数"]
    assert messages["matches"] == ["供需对接：应为整数，不能有小数"]
    assert messages["job_postings"] == ["收集发布岗位信息：不能超过 100000"]
    with pytest.raises(ValidationError, match="早于本站点的认定日期 2023-01-01"):
        save(day=datetime.date(2022, 12, 31))
    world.station_a.recognized_on = datetime.date(2020, 1, 1)
    with pytest.raises(ValidationError, match="已超过 400 天"):
        save(day=TODAY - datetime.timedelta(days=401))
    with pytest.raises(ValidationError, match="不要写身份证号、手机号"):
        save(note="回访求职者 13812345678")
    assert save(day=TODAY - datetime.timedelta(days=400)).outcome == "created"
    assert WorkLogDay.objects.count() == 1


def test_only_the_stations_operators_write_and_another_stations_log_is_404(client, world):
    with pytest.raises(Forbidden):
        work_log_day_save(station=world.station_a, day=TODAY, counts=COUNTS, note="", actor=world.bureau_a)
    client.force_login(world.operator_b)
    for name in ("portal:work_log", "portal:work_log_day", "portal:work_log_import"):
        assert client.get(reverse(name, args=["AAA-01"])).status_code == 404, name
    assert client.post(reverse("portal:work_log_day", args=["AAA-01"]), day_form(TODAY)).status_code == 404
    upload = xlsx_upload([good_row(TODAY)])
    assert (
        client.post(reverse("portal:work_log_import", args=["AAA-01"]), {"file": upload}).status_code == 404
    )
    assert not WorkLogDay.objects.exists()
    # The county's bureau and auditor read the month; they do not get the form.
    for reader in (world.bureau_a, world.auditor_a):
        client.force_login(reader)
        month = client.get(reverse("portal:work_log", args=["AAA-01"]))
        assert month.status_code == 200 and "记录今天" not in month.content.decode()
        assert client.get(reverse("portal:work_log_day", args=["AAA-01"])).status_code == 404
    # Another county's clerk, and an assessor no campaign assigns the station: not there.
    for outsider in (world.bureau_b, world.assessor_a):
        client.force_login(outsider)
        assert client.get(reverse("portal:work_log", args=["AAA-01"])).status_code == 404
    client.logout()
    assert client.get(reverse("portal:work_log", args=["AAA-01"])).status_code == 302


# ---- the month page


def test_month_page_shows_each_day_and_the_months_totals(client, world):
    log(world.station_a, datetime.date(2024, 3, 4), job_postings=10, placements=1, note="企业招聘专场")
    log(world.station_a, datetime.date(2024, 3, 5), job_postings=7, placements=0)
    log(world.station_a, datetime.date(2024, 3, 29), job_postings=3, placements=4)
    log(world.station_a, datetime.date(2024, 2, 29), job_postings=500, placements=500)  # another month
    log(world.station_b, datetime.date(2024, 3, 4), job_postings=900)  # another station
    client.force_login(world.operator_a)
    page = client.get(reverse("portal:work_log", args=["AAA-01"]), {"month": "2024-03"}).content.decode()
    totals = page.split("合计", 1)[1].split("</section>", 1)[0]
    # 10 + 7 + 3 postings, 1 + 0 + 4 placements, 5 matches a day for three days.
    assert "<strong>20</strong> 条" in totals
    assert "<strong>5</strong> 人" in totals
    assert "<strong>15</strong> 次" in totals
    assert "已记录 3 天" in page
    assert "企业招聘专场" in page
    assert "未记录" in page  # the days of March without a record
    assert "?month=2024-02" in page and "?month=2024-04" in page
    foot = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert '<td class="num">20</td>' in foot and '<td class="num">15</td>' in foot
    # The month before the station's recognition (2023-01-01) is not offered.
    january = client.get(reverse("portal:work_log", args=["AAA-01"]), {"month": "2023-01"}).content.decode()
    assert "?month=2022-12" not in january
    # An empty month says where the last record is.
    empty = client.get(reverse("portal:work_log", args=["AAA-01"]), {"month": "2024-05"}).content.decode()
    assert "最近一次记录在" in empty and "2024年3月29日" in empty


def test_month_page_makes_the_same_queries_for_one_day_as_for_a_full_month(client, world):
    client.force_login(world.operator_a)
    url = reverse("portal:work_log", args=["AAA-01"])
    log(world.station_a, datetime.date(2024, 4, 1))
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, {"month": "2024-04"}).status_code == 200
    for day in range(2, 31):
        log(world.station_a, datetime.date(2024, 4, day), note=f"第{day}天")
    with CaptureQueriesContext(connection) as full:
        assert client.get(url, {"month": "2024-04"}).status_code == 200
    assert len(full) == len(one)


def test_year_page_shows_each_months_totals_linked_to_its_days_in_constant_queries(client, world):
    log(world.station_a, datetime.date(2024, 1, 2), job_postings=10, placements=1)
    log(world.station_a, datetime.date(2024, 1, 3), job_postings=5, placements=2)
    log(world.station_a, datetime.date(2024, 3, 4), job_postings=7, placements=4)
    log(world.station_a, datetime.date(2023, 12, 31), job_postings=900)  # the year before
    log(world.station_b, datetime.date(2024, 3, 4), job_postings=900)  # another station
    client.force_login(world.operator_a)
    url = reverse("portal:work_log", args=["AAA-01"])

    with CaptureQueriesContext(connection) as few:
        page = client.get(url, {"year": "2024"}).content.decode()

    assert "2024年全年" in page and "已记录 3 天" in page
    totals = page.split("2024年合计", 1)[1].split("</section>", 1)[0]
    assert "<strong>22</strong> 条" in totals and "<strong>7</strong> 人" in totals
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    january = body.split('href="?month=2024-01">1月</a>', 1)[1].split("</tr>", 1)[0]
    assert "2 天" in january and '<td class="num">15</td>' in january and '<td class="num">3</td>' in january
    assert 'href="?month=2024-03">3月</a>' in body
    # Months not begun yet (today is 20 June 2024) have no days to open.
    assert 'href="?month=2024-06"' in body and "?month=2024-07" not in body
    foot = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert '<td class="num">22</td>' in foot and '<td class="num">7</td>' in foot
    assert "?year=2023" in page and "?year=2025" not in page
    # The month page leads to its year.
    assert "?year=2024" in client.get(url, {"month": "2024-03"}).content.decode()

    for day in range(1, 29):
        log(world.station_a, datetime.date(2024, 2, day))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, {"year": "2024"}).status_code == 200
    assert len(many) == len(few)


def test_station_page_leads_to_the_work_log(client, world):
    client.force_login(world.operator_a)
    page = client.get(reverse("portal:station_detail", args=["AAA-01"])).content.decode()
    assert reverse("portal:work_log", args=["AAA-01"]) in page
    assert reverse("portal:work_log_day", args=["AAA-01"]) in page


# ---- the Excel import


def test_one_bad_row_among_good_ones_saves_nothing_and_every_problem_is_named(client, world):
    kept = log(world.station_a, datetime.date(2024, 6, 3), placements=2)
    rows = [
        good_row(datetime.date(2024, 6, 3), placements=7),
        good_row(datetime.date(2024, 6, 4)),
        [datetime.date(2024, 6, 5), 12, -1, 2, 1.5, 9, 0, 1, ""],
        good_row(datetime.date(2024, 6, 4)),
        good_row(datetime.date(2024, 6, 28)),
        ["2024-02-30", 1, 1, 1, 1, 1, 1, 1, ""],
        [datetime.date(2024, 6, 6), 1, 1, 200000, 1, 1, 1, None, ""],
    ]
    client.force_login(world.operator_a)
    response = client.post(reverse("portal:work_log_import", args=["AAA-01"]), {"file": xlsx_upload(rows)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "工作日志未导入：共 7 处问题，没有保存任何一天" in page
    for problem in (
        "第 4 行 C 列（供需对接（次））：不能为负数",
        "第 4 行 E 列（推荐参加培训（人））：应为整数，不能有小数",
        "第 5 行 A 列（日期）：与第 3 行是同一天（2024-06-04），每天只填一行",
        "第 6 行 A 列（日期）：2024-06-28 还没有到，不能记录今天以后的日期。",
        "第 7 行 A 列（日期）：“2024-02-30”不是有效日期",
        "第 8 行 D 列（推荐成功就业（人））：不能超过 100000",
        "第 8 行 H 列（走访企业（家））：必填，没有请填 0",
    ):
        assert problem in page, problem
    assert list(WorkLogDay.objects.values_list("day", flat=True)) == [datetime.date(2024, 6, 3)]
    kept.refresh_from_db()
    assert kept.placements == 2
    assert not AuditEntry.objects.filter(action__startswith="worklog.").exists()


def test_a_good_file_adds_new_days_changes_logged_ones_with_history_and_leaves_equal_ones(client, world):
    log(world.station_a, datetime.date(2024, 6, 3), placements=2)
    log(world.station_a, datetime.date(2024, 6, 4), placements=2)
    rows = [
        good_row(datetime.date(2024, 6, 3), placements=5),
        good_row(datetime.date(2024, 6, 4), placements=2),
        ["2024/6/5", "12", 5, 2, 1, 9, 0, 1, "政策宣讲"],
        good_row(datetime.date(2024, 6, 6)),
    ]
    client.force_login(world.operator_a)
    response = client.post(
        reverse("portal:work_log_import", args=["AAA-01"]), {"file": xlsx_upload(rows)}, follow=True
    )
    assert "新增 2 天，修改 1 天，未变 1 天" in response.content.decode()
    assert WorkLogDay.objects.filter(station=world.station_a).count() == 4
    assert WorkLogDay.objects.get(day=datetime.date(2024, 6, 3)).placements == 5
    assert WorkLogDay.objects.get(day=datetime.date(2024, 6, 5)).note == "政策宣讲"
    change = AuditEntry.objects.get(action="worklog.save")
    assert change.changes == {"placements": ["2", "5"]} and "2024-06-03" in change.reason
    summary = AuditEntry.objects.get(action="worklog.import")
    assert "新增 2 天，修改 1 天，未变 1 天" in summary.reason and summary.station == world.station_a


def test_a_file_that_is_not_the_template_is_refused_in_chinese(world):
    with pytest.raises(Exception) as refused:
        work_log_import(
            station=world.station_a,
            file=xlsx_upload([["张三", "11010519491231002X"]], header=["姓名", "身份证号码"]),
            actor=world.operator_a,
        )
    text = " ".join(str(p) for p in refused.value.problems)
    assert "11010519491231002X" not in text
    assert not WorkLogDay.objects.exists()


def test_template_download_has_the_columns_a_guide_and_column_formats(client, world):
    client.force_login(world.operator_a)
    import_page = client.get(reverse("portal:work_log_import", args=["AAA-01"])).content.decode()
    assert reverse("portal:work_log_template") in import_page
    response = client.get(reverse("portal:work_log_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["工作日志", "填写说明"]
    sheet = book["工作日志"]
    assert [c.value for c in sheet[1]] == [
        "日期",
        "收集发布岗位信息（条）",
        "供需对接（次）",
        "推荐成功就业（人）",
        "推荐参加培训（人）",
        "政策咨询（人次）",
        "协助维权调解（件）",
        "走访企业（家）",
        "备注",
    ]
    guide = " ".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row)
    assert "没有请填 0" in guide and "任何一行有误，整个文件都不导入" in guide
    assert sheet.column_dimensions["A"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["I"].number_format == "@"
    # The template as downloaded, filled with nothing: refused, nothing saved.
    empty = SimpleUploadedFile(
        "模板.xlsx", b"".join(client.get(reverse("portal:work_log_template")).streaming_content)
    )
    page = client.post(reverse("portal:work_log_import", args=["AAA-01"]), {"file": empty}).content.decode()
    assert "文件中没有任何一天的记录" in page


# ---- the admin list


def test_admin_list_is_read_only_and_scoped_to_the_county(client, world):
    day_a = log(world.station_a, datetime.date(2024, 3, 4))
    day_b = log(world.station_b, datetime.date(2024, 3, 4))
    client.force_login(world.bureau_a)
    listing = client.get(reverse("admin:stations_worklogday_changelist")).content.decode()
    assert "AAA-01" in listing and "BBB-01" not in listing
    assert client.get(reverse("admin:stations_worklogday_change", args=[day_a.pk])).status_code == 200
    assert client.get(reverse("admin:stations_worklogday_change", args=[day_b.pk])).status_code == 404
    assert client.get(reverse("admin:stations_worklogday_add")).status_code == 403
    found = client.get(reverse("admin:stations_worklogday_changelist"), {"q": "BBB-01"}).content.decode()
    assert "0 条结果" in found  # the search box echoes the term; no row of county B comes back
    found = client.get(reverse("admin:stations_worklogday_changelist"), {"q": "AAA-01"}).content.decode()
    assert "1 条结果" in found
    by_month = client.get(
        reverse("admin:stations_worklogday_changelist"), {"day__year": "2024", "day__month": "3"}
    ).content.decode()
    assert "AAA-01" in by_month
    client.force_login(world.auditor_a)
    assert client.get(reverse("admin:stations_worklogday_change", args=[day_a.pk])).status_code == 200
    assert client.post(reverse("admin:stations_worklogday_change", args=[day_a.pk]), {}).status_code == 403
    client.force_login(world.bureau_b)
    assert client.get(reverse("admin:stations_worklogday_change", args=[day_a.pk])).status_code == 404
