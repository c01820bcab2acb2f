"""The one way to make a PDF: a Django template rendered by WeasyPrint with a locked-down fetcher.

A printed score sheet is built from data that operators typed (station names, findings, file
names). Django's templates escape that text, and the fetcher is the second wall: WeasyPrint asks
it for every stylesheet, image, font and attachment a document names, and it serves nothing but
the product's own static files. file://, http(s)://, data: and every other scheme are refused, so
a document can never read a server file into the PDF or make the server call another host.

Fonts: the stylesheet names Noto Serif CJK SC (Song style, as official forms are set) and Pango
finds its regular and bold faces through fontconfig; WeasyPrint embeds the subset of every font
it draws with, so the PDF prints the same on a machine without the font. The Debian package
fonts-noto-cjk (`make system-packages`) provides it. If fontconfig cannot find it, rendering
stops with a message instead of printing empty boxes.
"""

import logging
import mimetypes
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

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


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes with WeasyPrint.

    Relative URLs in the document resolve against BASE_URL; only the product's static files are
    fetched (see StaticOnlyFetcher), so user text in the context cannot make the renderer read
    a file or reach a host. Raises PdfFontMissing when the Noto CJK fonts are not installed.
    """
    _font_check()
    html = render_to_string(template_name, context)
    fetcher = StaticOnlyFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher, media_type="print")
    return document.write_pdf()
