"""Personal data typed into free text: one test (stations.validators.personal_data_found) for the
work log's note, the annual report's sections and the masking of file names and header cells, so a
mobile number written "138 1234 5678" or "138-1234-5678" is refused and masked everywhere alike."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from core.xlsx import XlsxSheet, write_xlsx
from stations.models import WorkLogDay
from stations.validators import mask_personal_data, personal_data_found
from stations.worklog import IMPORT_COLUMNS, work_log_day_save, work_log_import

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2024, 6, 20)
COUNTS = {
    "job_postings": 12,
    "matches": 5,
    "placements": 2,
    "training_referrals": 1,
    "policy_consultations": 9,
    "disputes_helped": 0,
    "enterprise_visits": 1,
}
PHONES = ["13812345678", "138 1234 5678", "138-1234-5678", "１３８１２３４５６７８"]
ID_NUMBERS = ["42092319900101123X", "420923 19900101 123X", "420923-1990-0101-123x"]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2024, 6, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.mark.parametrize("phone", PHONES)
def test_a_mobile_number_is_found_whole_spaced_or_dashed(phone):
    assert personal_data_found(f"回访求职者{phone}，已上岗") == "手机号"


@pytest.mark.parametrize("number", ID_NUMBERS)
def test_an_id_number_is_found_whole_or_in_groups(number):
    assert personal_data_found(f"身份证{number}") == "身份证号"


@pytest.mark.parametrize(
    "text",
    [
        "2024-2025 年度走访企业 36 家",
        "电话 0712-4321567",
        "合同编号 HT-2024-0001",
        "推荐就业 12 人，培训 3 人",
    ],
)
def test_years_landlines_and_counts_are_not_taken_for_personal_data(text):
    assert personal_data_found(text) is None
    assert mask_personal_data(text) == text


def test_masking_keeps_the_first_and_last_digits_and_the_rest_of_the_text():
    assert mask_personal_data("张某 138 1234 5678 来访") == "张某 138****5678 来访"
    assert mask_personal_data("表头：420923 19900101 123x") == "表头：420923********123X"


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["138 1234 5678", "138-1234-5678"])
def test_the_work_log_note_refuses_a_spaced_or_dashed_mobile_number(world, phone):
    with pytest.raises(ValidationError, match="不要写身份证号、手机号"):
        work_log_day_save(
            station=world.station_a, day=TODAY, counts=COUNTS, note=f"回访 {phone}", actor=world.operator_a
        )
    assert not WorkLogDay.objects.exists()


@pytest.mark.django_db
def test_the_imported_files_name_is_masked_in_the_history(world):
    data = write_xlsx(
        [XlsxSheet(title="工作日志", header=IMPORT_COLUMNS, rows=[[TODAY, 12, 5, 2, 1, 9, 0, 1, ""]])]
    )
    upload = SimpleUploadedFile("张三 138-1234-5678 日志.xlsx", data, content_type="application/octet-stream")

    work_log_import(station=world.station_a, file=upload, actor=world.operator_a)

    reason = AuditEntry.objects.get(action="worklog.import").reason
    assert "138-****-5678" in reason or "138****5678" in reason
    assert "1234" not in reason
