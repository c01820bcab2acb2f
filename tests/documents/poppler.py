"""Reading PDFs back the way an auditor's tools do: poppler's pdftotext and pdffonts.

Poppler (poppler-utils) is already on every machine that renders PDFs here; calling its tools
keeps the test dependencies to what the product needs, instead of adding a PDF library.
"""

import shutil
import subprocess
from dataclasses import dataclass

import pytest


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (poppler-utils) is needed to read PDFs back: apt-get install poppler-utils")
    return path


def pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The PDF's text, page after page (pages separated by form feeds)."""
    args = [_tool("pdftotext"), *(["-layout"] if layout else []), "-enc", "UTF-8", "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")  # noqa: S603


def pdf_pages(pdf: bytes) -> list[str]:
    pages = pdf_text(pdf).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@dataclass(frozen=True)
class PdfFont:
    name: str
    type: str
    embedded: bool


def pdf_fonts(pdf: bytes) -> list[PdfFont]:
    """pdffonts' table: name, type and whether each font is embedded."""
    output = subprocess.run(  # noqa: S603
        [_tool("pdffonts"), "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    lines = output.splitlines()
    # Columns are fixed-width; the dashes under the header give each column's span.
    spans, start = [], 0
    for dashes in lines[1].split(" "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 1
    fonts = []
    for line in lines[2:]:
        cells = [line[a:b].strip() for a, b in spans]
        fonts.append(PdfFont(name=cells[0], type=cells[1], embedded=cells[3] == "yes"))
    return fonts
