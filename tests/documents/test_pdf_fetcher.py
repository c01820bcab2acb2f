"""The renderer fetches the product's static files and nothing else.

Python's audit hooks see every file opened and every socket connection in the process, so the
tests do not just trust the fetcher's own bookkeeping: while a hostile document renders, nothing
outside the static files is opened and no connection is attempted.
"""

import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from assessment.documents import pdf as pdf_module
from assessment.documents.pdf import FetchRefused, StaticOnlyFetcher, render_pdf, static_file_for
from tests.documents.poppler import pdf_text

_EVENTS: list[tuple[str, str]] | None = None


def _audit(event: str, args: tuple) -> None:
    # Installed once for the whole process (audit hooks cannot be removed); records only while a
    # test holds the list.
    if _EVENTS is None:
        return
    if event == "open" and args and isinstance(args[0], str | bytes | Path):
        _EVENTS.append((event, str(args[0])))
    elif event in {"socket.connect", "socket.getaddrinfo", "urllib.Request", "subprocess.Popen"}:
        _EVENTS.append((event, repr(args)[:200]))


sys.addaudithook(_audit)

STATIC_CSS = "static:css/documents.css"
HOSTILE = {
    "file": "file:///etc/passwd",
    "http": "http://127.0.0.1:9/x.css",
    "https_font": "https://fonts.example.com/noto.woff2",
    "https_image": "https://example.com/track.png",
    "relative": "/etc/hostname",
    "traversal": "static:../../config/settings.py",
    "data": "data:image/png;base64,iVBORw0KGgo=",
}
TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="{http}">
<link rel="stylesheet" href="{static}">
<style>
  @font-face {{ font-family: Remote; src: url({https_font}); }}
  body {{ background: url({https_image}); }}
</style></head>
<body>
<img src="{file}"><img src="{relative}"><img src="{traversal}"><img src="{data}">
<p>正文：只取本系统的静态文件。</p>
</body></html>
"""


@pytest.fixture
def hostile_template(settings, tmp_path):
    (tmp_path / "hostile.html").write_text(TEMPLATE.format(static=STATIC_CSS, **HOSTILE), encoding="utf-8")
    engines = [dict(engine) for engine in settings.TEMPLATES]
    engines[0]["DIRS"] = [tmp_path, *engines[0]["DIRS"]]
    settings.TEMPLATES = engines
    return "hostile.html"


@pytest.fixture
def fetchers(monkeypatch):
    """Every fetcher render_pdf makes, kept for inspection."""
    made: list[StaticOnlyFetcher] = []

    class Recording(StaticOnlyFetcher):
        def __init__(self):
            super().__init__()
            made.append(self)

    monkeypatch.setattr(pdf_module, "StaticOnlyFetcher", Recording)
    return made


@pytest.fixture
def audit_events():
    global _EVENTS
    _EVENTS = []
    try:
        yield _EVENTS
    finally:
        _EVENTS = None


def test_a_hostile_document_fetches_nothing_but_the_static_stylesheet(
    hostile_template, fetchers, audit_events
):
    pdf = render_pdf(hostile_template, {})
    events = list(audit_events)

    [fetcher] = fetchers
    assert fetcher.served == [STATIC_CSS]
    refused = set(fetcher.refused)
    for name, url in HOSTILE.items():
        if name == "relative":
            assert "https://assets.invalid/etc/hostname" in refused
        else:
            assert url in refused, f"{name}: {url} was not refused"
    # Nothing was read or contacted on the fetcher's behalf.
    opened = [path for event, path in events if event == "open"]
    for forbidden in ("/etc/passwd", "/etc/hostname", "settings.py"):
        assert not [path for path in opened if path.endswith(forbidden)], opened
    assert not [e for e in events if e[0] in {"socket.connect", "socket.getaddrinfo", "urllib.Request"}], (
        events
    )
    # The one file read for the document is the product's stylesheet.
    static_reads = [p for p in opened if p.endswith("documents.css")]
    assert static_reads and all(
        Path(p).is_relative_to(django_settings.BASE_DIR / "static") for p in static_reads
    )
    assert "正文" in pdf_text(pdf)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.com/static/css/documents.css",  # the static path, but another host
        "https://assets.invalid:8443/static/css/documents.css",
        "https://user@assets.invalid/static/css/documents.css",
        "https://assets.invalid/media/evidence/x.png",  # uploads are not static files
        "https://assets.invalid/static/../../config/settings.py",
        "https://assets.invalid/static/%2e%2e/%2e%2e/config/settings.py",
        "static:../../etc/passwd",
        "static:/etc/passwd",
        "static://evil.example/css/documents.css",
        "static:css/missing.css",
        "static:",
        "data:text/css,body{}",
        "ftp://example.com/x.css",
    ],
)
def test_anything_but_a_static_file_is_refused(url):
    with pytest.raises(FetchRefused):
        StaticOnlyFetcher().fetch(url)


@pytest.mark.parametrize(
    "url", ["static:css/documents.css", "https://assets.invalid/static/css/documents.css"]
)
def test_static_files_are_served_by_either_spelling(url):
    response = StaticOnlyFetcher().fetch(url)
    body = response.read()
    response.close()
    assert response.content_type == "text/css"
    assert body == (django_settings.BASE_DIR / "static" / "css" / "documents.css").read_bytes()
    assert static_file_for(url).name == "documents.css"


def test_a_static_file_of_another_type_is_refused(tmp_path, settings):
    (tmp_path / "notes.py").write_text("SECRET = 1\n")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    with pytest.raises(FetchRefused, match="not a stylesheet"):
        StaticOnlyFetcher().fetch("static:notes.py")


def test_a_symlink_out_of_the_static_files_is_refused(tmp_path, settings):
    static = tmp_path / "static"
    static.mkdir()
    outside = tmp_path / "outside.css"
    outside.write_text("body {}")
    (static / "link.css").symlink_to(outside)
    settings.STATICFILES_DIRS = [static]
    with pytest.raises(FetchRefused, match="outside"):
        StaticOnlyFetcher().fetch("static:link.css")


@pytest.fixture
def fresh_font_check():
    pdf_module._font_check.cache_clear()
    yield
    pdf_module._font_check.cache_clear()


def test_rendering_stops_with_a_message_when_the_chinese_font_is_missing(fresh_font_check, monkeypatch):
    class FallbackFont:
        stdout = "DejaVu Serif"

    monkeypatch.setattr(pdf_module.subprocess, "run", lambda *args, **kwargs: FallbackFont())
    with pytest.raises(pdf_module.PdfFontMissing, match="fonts-noto-cjk"):
        render_pdf("documents/base.pdf.html", {})


def test_rendering_stops_when_fontconfig_is_missing(fresh_font_check, monkeypatch):
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    with pytest.raises(pdf_module.PdfFontMissing, match="fc-match"):
        render_pdf("documents/base.pdf.html", {})


def test_markup_typed_into_the_data_is_printed_and_never_fetched(
    world, scored_campaign, fetchers, audit_events
):
    from assessment.documents.score_sheet import score_sheet_pdf, station_document
    from stations.models import Station

    hostile = '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    Station.objects.filter(pk=world.station_a.pk).update(name=f"甲站{hostile}", operator_organisation=hostile)
    station = Station.objects.get(pk=world.station_a.pk)
    pdf = score_sheet_pdf(station_document(campaign=scored_campaign, station=station, actor=world.auditor_a))
    events = list(audit_events)

    assert 'src="file:///etc/passwd"' in pdf_text(pdf, layout=False).replace("\n", "")
    [fetcher] = fetchers
    assert not [url for url in fetcher.refused if "passwd" in url or "127.0.0.1" in url]
    assert not [path for event, path in events if event == "open" and path.endswith("/etc/passwd")]
    assert not [e for e in events if e[0] in {"socket.connect", "socket.getaddrinfo"}]
