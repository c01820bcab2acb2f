"""The one way to make a PDF: a Django template rendered by WeasyPrint with a locked-down fetcher.

A printed score sheet is built from data that operators typed (station names, findings, file
names). Django's templates escape that text, and the fetcher is the second wall: WeasyPrint asks
it for every stylesheet, image, font and attachment a document names, and it serves nothing but
the product's own static files. file://, http(s)://, data: and every other scheme are refused, so
a document can never read a server file into the PDF or make the server call another host.

Many PDFs at once: `PdfWorkers` turns HTML into PDF in worker processes started with "spawn" (a
fresh interpreter, never a fork of a process holding database connections). The parent renders
the templates; a worker receives the HTML as a string and the static files it may use, already
read and checked by the parent (`document_assets`), and imports neither the settings nor the
database: it runs WeasyPrint with a fetcher that serves those bytes and refuses everything else.

Fonts: the stylesheet names Noto Serif CJK SC (Song style, as official forms are set) and Pango
finds its regular and bold faces through fontconfig; WeasyPrint embeds the subset of every font
it draws with, so the PDF prints the same on a machine without the font. The Debian package
fonts-noto-cjk (`make system-packages`) provides it. If fontconfig cannot find it, rendering
stops with a message instead of printing empty boxes.
"""

import logging
import mimetypes
import multiprocessing
import os
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from assessment.documents import pdf_fonts

logger = logging.getLogger(__name__)

# Relative URLs in a document resolve against this origin. ".invalid" can never be a real host
# (RFC 2606), and the fetcher maps it to the static files without any network access.
BASE_URL = "https://assets.invalid/"
ASSET_HOST = "assets.invalid"
STATIC_SCHEME = "static"  # "static:css/pdf.css": a static file by its finder path, unhashed

# What a document may pull from the static files; anything larger is a mistake, not a stylesheet.
STATIC_TYPES = {
    "text/css",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/svg+xml",
    "font/otf",
    "font/ttf",
    "font/woff",
    "font/woff2",
}
MAX_STATIC_BYTES = 5 * 1024 * 1024

# The family the print stylesheet (static/css/documents.css) sets; checked before the first render.
REQUIRED_FONT_FAMILIES = ("Noto Serif CJK SC",)


class FetchRefused(ValueError):
    """A document referred to something that is not one of the product's static files."""


class PdfFontMissing(ImproperlyConfigured):
    """The Chinese font is not installed, so the PDF would print empty boxes."""


def _static_roots() -> list[Path]:
    roots = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location).resolve())
    return roots


def static_file_for(url: str) -> Path:
    """The file under the static directories that `url` names, or FetchRefused.

    Accepted: "static:<path>" and "<BASE_URL><STATIC_URL><path>" (what "/static/<path>" becomes
    against the document's base URL). The path is looked up with the staticfiles finders, so
    "../" cannot climb out, and the file found must really lie under a static directory (a
    symlink pointing elsewhere is refused).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FetchRefused(f"malformed URL: {url[:200]}") from None
    scheme = parts.scheme.lower()
    static_prefix = urlsplit(settings.STATIC_URL).path or "/static/"
    if scheme == STATIC_SCHEME and not parts.netloc:
        relative = parts.path
    elif (
        scheme == "https"
        and parts.hostname == ASSET_HOST
        and parts.port is None
        and not parts.username
        and parts.path.startswith(static_prefix)
    ):
        relative = parts.path[len(static_prefix) :]
    else:
        raise FetchRefused(f"only the product's static files may be fetched, not {url[:200]}")
    relative = unquote(relative).lstrip("/")
    if not relative or "\\" in relative or "\x00" in relative:
        raise FetchRefused(f"not a static file: {url[:200]}")
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        raise FetchRefused(f"outside the static files: {url[:200]}") from None
    if not found:
        raise FetchRefused(f"no such static file: {relative[:200]}")
    path = Path(found).resolve()
    if not path.is_file() or not any(path.is_relative_to(root) for root in _static_roots()):
        raise FetchRefused(f"outside the static files: {relative[:200]}")
    return path


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, reduced to serving the product's static files; everything else raises.

    WeasyPrint catches the exception, logs it and leaves the resource out; nothing is opened,
    read or connected to. `served` and `refused` list the URLs asked for, for tests and logs.
    """

    def __init__(self) -> None:
        # No protocol is allowed to the inherited urllib machinery; `fetch` below never uses it.
        super().__init__(allowed_protocols=(), allow_redirects=False, timeout=1)
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        fonts = pdf_fonts.font_files() if url.startswith(f"{pdf_fonts.URL_SCHEME}:") else {}
        if url in fonts:  # the working copy of the Chinese font, from memory (see pdf_fonts)
            self.served.append(url)
            return URLFetcherResponse(url, body=fonts[url], headers={"Content-Type": "font/otf"})
        try:
            path = static_file_for(url)
            content_type = mimetypes.guess_type(path.name)[0] or ""
            if content_type not in STATIC_TYPES:
                raise FetchRefused(f"not a stylesheet, image or font: {path.name}")
            if path.stat().st_size > MAX_STATIC_BYTES:
                raise FetchRefused(f"static file too large for a document: {path.name}")
        except FetchRefused as exc:
            self.refused.append(url)
            logger.warning("PDF fetch refused: %s", exc)
            raise
        self.served.append(url)
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    def open(self, url, data=None, timeout=None):  # never the urllib opener
        return self.fetch(url if isinstance(url, str) else url.full_url)

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)


@lru_cache(maxsize=1)
def _font_check() -> None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise PdfFontMissing(
            "找不到 fontconfig（fc-match），无法确认中文字体。请运行 make system-packages "
            "或 apt-get install fontconfig fonts-noto-cjk。"
        )
    for family in REQUIRED_FONT_FAMILIES:
        found = subprocess.run(  # noqa: S603 (fixed argument list, no shell)
            [fc_match, "-f", "%{family}", family], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        if family not in found.split(","):
            raise PdfFontMissing(
                f"系统中没有中文字体“{family}”（fontconfig 找到的是“{found or '无'}”），"
                "打印出的中文会是空白方框。请运行 make system-packages 或 apt-get install fonts-noto-cjk。"
            )


_thread = threading.local()


def font_configuration() -> FontConfiguration:
    """This thread's FontConfiguration, kept from document to document.

    It holds the fonts a document's @font-face rules loaded (the font's working copy, see
    pdf_fonts), so each process and thread loads them once instead of once a document. Documents
    fetch only the product's static files, so nothing a document loads can change another's fonts.
    """
    config = getattr(_thread, "font_config", None)
    if config is None:
        config = _thread.font_config = FontConfiguration()
    return config


def html_to_pdf(html: str, url_fetcher: URLFetcher) -> bytes:
    """WeasyPrint on a document's HTML: relative URLs against BASE_URL, everything through `url_fetcher`."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher, media_type="print")
    return document.write_pdf(font_config=font_configuration())


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes with WeasyPrint.

    Relative URLs in the document resolve against BASE_URL; only the product's static files are
    fetched (see StaticOnlyFetcher), so user text in the context cannot make the renderer read
    a file or reach a host. Raises PdfFontMissing when the Noto CJK fonts are not installed.
    """
    _font_check()
    return html_to_pdf(render_html(template_name, context), StaticOnlyFetcher())


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """A document's HTML, with `pdf_font_css` (the font's working copy, see pdf_fonts) for base.pdf.html."""
    font_css = pdf_fonts.font_css(pdf_fonts.font_files())
    return render_to_string(template_name, {**context, "pdf_font_css": mark_safe(font_css)})  # noqa: S308 (our CSS)


# ---------------------------------------------------------------------------------------------
# Many documents: worker processes that only turn HTML into PDF.

START_METHOD = (
    "spawn"  # a fresh interpreter: no inherited database connection, works where fork is not allowed
)
# The static files a document may use, read and checked in the parent and handed to each worker
# with the font's working copy.
DOCUMENT_ASSETS = ("static:css/documents.css",)


def document_assets(urls: Iterable[str] = DOCUMENT_ASSETS) -> dict[str, tuple[bytes, str]]:
    """{url: (content, content type)} of these static files, through StaticOnlyFetcher's checks."""
    fetcher = StaticOnlyFetcher()
    assets = {url: (content, "font/otf") for url, content in pdf_fonts.font_files().items()}
    for url in urls:
        response = fetcher.fetch(url)
        assets[url] = (response.read(), response.headers.get_content_type())
    return assets


class PreloadedFetcher(URLFetcher):
    """A worker's fetcher: serves the assets the parent read and checked, refuses everything else."""

    def __init__(self, assets: dict[str, tuple[bytes, str]]) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, timeout=1)
        self.assets = assets
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url not in self.assets:
            self.refused.append(url)
            logger.warning("PDF fetch refused in a worker: %s", url[:200])
            raise FetchRefused(f"only the product's static files may be fetched, not {url[:200]}")
        body, content_type = self.assets[url]
        self.served.append(url)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    def open(self, url, data=None, timeout=None):  # never the urllib opener
        return self.fetch(url if isinstance(url, str) else url.full_url)

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)


_worker_assets: dict[str, tuple[bytes, str]] = {}


def _worker_start(assets: dict[str, tuple[bytes, str]]) -> None:
    global _worker_assets
    _worker_assets = assets
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _worker_render(html: str) -> tuple[bytes, float]:
    """In a worker: (PDF bytes, seconds it took)."""
    started = time.perf_counter()
    pdf = html_to_pdf(html, PreloadedFetcher(_worker_assets))
    return pdf, time.perf_counter() - started


class PdfWorkers:
    """HTML to PDF in `processes` worker processes, results in the order given, memory bounded.

    `render(items)` takes (key, html) pairs lazily and yields (key, pdf, seconds) in the same
    order; at most `ahead` documents (twice the processes) are in flight, so a batch of any size
    holds a handful of documents at a time. With one process nothing is started: the documents
    are rendered here, one after the other. Use as a context manager; leaving it stops the
    workers (and drops what they had not started, e.g. when a download is cancelled).

    Workers are started with "spawn", which imports the main module again in each worker: a
    script that starts them must keep its work under `if __name__ == "__main__":`, as manage.py,
    gunicorn and pytest do. A daemonic process may not start any (a Celery prefork worker's child,
    where a job makes the ZIP): there the documents are rendered in-process, and the worker's
    concurrency runs jobs side by side instead.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.processes = max(1, processes if processes is not None else (os.cpu_count() or 1))
        if multiprocessing.current_process().daemon:
            self.processes = 1
        self.ahead = 2 * self.processes
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "PdfWorkers":
        _font_check()
        if self.processes > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context(START_METHOD),
                initializer=_worker_start,
                initargs=(document_assets(),),
            )
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def render(self, items: Iterable[tuple[Any, str]]) -> Iterator[tuple[Any, bytes, float]]:
        if self._pool is None:
            for key, html in items:
                started = time.perf_counter()
                pdf = html_to_pdf(html, StaticOnlyFetcher())
                yield key, pdf, time.perf_counter() - started
            return
        pending: deque[tuple[Any, Future]] = deque()
        for key, html in items:
            pending.append((key, self._pool.submit(_worker_render, html)))
            if len(pending) >= self.ahead:
                done_key, future = pending.popleft()
                yield (done_key, *future.result())
        while pending:
            done_key, future = pending.popleft()
            yield (done_key, *future.result())
