"""Every page every role reaches, walked on the demo's world, in Chinese: no code, JSON, UTC or English.

Each role logs in (the public visits without) and follows every link from its first pages, as a
clerk clicking through would: the admin's index, every changelist and its filters, add and change
pages, the object action pages their buttons lead to, job pages; the portal, sheets, claims,
rectification orders; the public notices and objection forms. Each page's visible text (with option
labels, button values, placeholders, titles) is checked by `tests/ui_language.py`; a failure lists
each fault with the pages that show it. Pages of one kind (the same path but for its numbers and the
same query keys) are visited a few times, not once per row of a province, and a filtered list's
links are not followed into combinations of filters.
"""

import io
import re
from collections import defaultdict
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessment.models import Campaign
from core.models import Job
from stations.models import User
from subsidies.models import PayeeNotice
from tests.ui_language import page_faults

ROLES = {
    "superuser": "admin",
    "bureau": "bureau",
    "auditor": "auditor",
    "assessor": "assessor1",
    "operator": "operator1",
    "public": None,
}
PUBLIC_STARTS = ["/notice/quanzhou-2023/", "/notice/heshan-2024/", "/accounts/login/"]
SIGNED_IN_STARTS = ["/", "/portal/", "/admin/", "/accounts/password/", "/accounts/two-factor/"]

# Links a walk must not follow: leaving (logout, the language switch: both POST anyway), files and
# downloads (no text of a page; the workbook and PDF checks are theirs), the admin's popups of a
# related row's "+" button (the same add page again), and 政策文件格式: the policy file's own
# documentation, which must name the file's keys (max_points, rule …) as the file spells them.
SKIP = re.compile(
    r"^/(?:static|media)/|/accounts/logout/|/i18n/|/download/?$|/export|\.(?:xlsx|pdf|zip|png|jpe?g)$"
    r"|^/admin/assessment/policy/format/$"
    r"|[?&]_(?:popup|to_field|changelist_filters)="
)
HREF = re.compile(r"""<a\b[^>]*?\bhref=["']([^"'#]+)""", re.IGNORECASE)
ACCOUNT_PAGES = ("/admin/stations/user/", "/admin/login-locks/")
PER_KIND = 2  # pages of one kind visited
LIMIT = 1500  # pages per role: a walk that grows past this is walking a list of rows, not pages


def kind_of(url: str) -> str:
    """The page's kind: its path with the numbers taken out, and its query's keys."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True) if k not in {"p", "o"}})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def normalised(base: str, href: str) -> str | None:
    url = urljoin(base, href.replace("&amp;", "&"))
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path + (f"?{query}" if query else "")


def walk(client: Client, starts: list[str], visited: list | None = None) -> tuple[dict[str, list[str]], int]:
    """{fault: [pages]} of every page reachable from `starts`, and how many pages were read
    (their addresses and statuses appended to `visited` when given)."""
    faults: dict[str, list[str]] = defaultdict(list)
    seen, per_kind = set(), defaultdict(int)
    queue = list(starts)
    read = 0
    usernames = tuple(User.objects.values_list("username", flat=True))
    while queue and read < LIMIT:
        url = queue.pop(0)
        if url in seen or SKIP.search(url) or per_kind[kind_of(url)] >= PER_KIND:
            continue
        seen.add(url)
        per_kind[kind_of(url)] += 1
        response = client.get(url)
        read += 1
        if visited is not None:
            visited.append((url, response.status_code))
        if response.status_code >= 500:
            faults[f"页面出错（{response.status_code}）"].append(url)
            continue
        if response.status_code in (301, 302):
            target = normalised(url, response["Location"])
            if target:
                queue.append(target)
            continue
        # A refusal's or a missing page's text is read too: it is a page a person meets.
        if "text/html" not in response.get("Content-Type", ""):
            # A file (evidence, an export) streams from an open file: read it to the end, which closes
            # it the way the test client does (response.close() itself would also close the database
            # connection through request_finished).
            if response.streaming:
                b"".join(response.streaming_content)
            continue
        html = response.content.decode()
        # The accounts' pages are where login names belong (the list of accounts, a password reset).
        data = usernames if url.startswith(ACCOUNT_PAGES) else ()
        for fault in dict.fromkeys(page_faults(html, data)):
            faults[fault].append(url)
        for href in HREF.findall(html):
            target = normalised(url, href)
            # A filtered or sorted list's links are the same list filtered again: one step of
            # filtering shows each filter's page, combinations of them show nothing new.
            if target and target not in seen and not ("?" in url and "?" in target):
                queue.append(target)
    return faults, read


@pytest.fixture
def demo(db, settings):
    """The demo's world, with a finished and a failed job of each person (a job's page is its
    starter's alone, and the demo runs none); returns the public pages reached by a number."""
    call_command("load_demo", stdout=io.StringIO())
    campaign = Campaign.objects.order_by("pk").first()
    for username in filter(None, ROLES.values()):
        user = User.objects.get(username=username)
        for status, outcome in [
            (Job.Status.SUCCEEDED, {"message": "考核结果表已生成。"}),
            (Job.Status.FAILED, {"error": "第 3 行：身份证号格式不正确。"}),
        ]:
            job = Job.objects.create(
                kind="assessment.table",
                title=f"考核结果表：{campaign.name}",
                key=f"walk:{username}:{status}",
                started_by=user,
                status=status,
                content_type=ContentType.objects.get_for_model(Campaign),
                object_id=str(campaign.pk),
                done=3,
                total=3,
                finished_at=timezone.now(),
                **outcome,
            )
            if status == Job.Status.SUCCEEDED:
                job.result_file.save("results.xlsx", ContentFile(b"PK"), save=True)
    return [f"/notice/payees/{n.pk}/" for n in PayeeNotice.objects.all()[:2]]


def starts_of(user) -> list[str]:
    """Where a person begins: the site's first pages, and the pages of their own jobs."""
    jobs = Job.objects.filter(started_by=user).values_list("pk", flat=True)
    return [*SIGNED_IN_STARTS, *(reverse("portal:job", args=[pk]) for pk in jobs)]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_in_chinese(client, demo, role):
    starts = [*PUBLIC_STARTS, *demo]
    if ROLES[role]:
        user = User.objects.get(username=ROLES[role])
        client.force_login(user)
        starts = [*starts_of(user), *starts]
    faults, read = walk(client, starts)
    assert read > (40 if role in {"superuser", "bureau", "auditor"} else 5), f"only {read} pages reached"
    report = "\n".join(
        f"{fault}\n    页面：{'、'.join(pages[:3])}{' 等' if len(pages) > 3 else ''}（共 {len(pages)} 页）"
        for fault, pages in sorted(faults.items(), key=lambda item: item[1][0])
    )
    assert not faults, f"{role} 读了 {read} 页，{len(faults)} 处不是中文：\n{report}"
