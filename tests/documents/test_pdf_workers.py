"""PDF worker processes: the HTML goes in, PDFs come back in order, a few at a time, and a worker
fetches nothing but what the parent handed it."""

import pytest

from assessment.documents.pdf import (
    DOCUMENT_ASSETS,
    FetchRefused,
    PdfWorkers,
    PreloadedFetcher,
    document_assets,
    render_html,
)
from tests.documents.poppler import pdf_pages, pdf_text


def page_html(label: str, pages: int = 1) -> str:
    body = f'<p style="break-after: page">第{label}份</p>' * pages
    return render_html("documents/base.pdf.html", {}).replace("<body>", f"<body>{body}")


@pytest.mark.parametrize("processes", [1, 2])
def test_pdfs_come_back_in_the_order_given(processes):
    # The first document is the longest: a worker finishing the later ones first changes nothing.
    items = [("甲", page_html("甲", pages=4)), ("乙", page_html("乙")), ("丙", page_html("丙"))]
    with PdfWorkers(processes) as workers:
        results = list(workers.render(items))

    assert [key for key, _, _ in results] == ["甲", "乙", "丙"]
    for key, pdf, seconds in results:
        assert f"第{key}份" in pdf_text(pdf)
        assert seconds > 0
    assert len(pdf_pages(results[0][1])) == 4


def test_documents_are_taken_only_a_few_ahead_of_the_pdfs_handed_on():
    taken = []

    def documents():
        for number in range(12):
            taken.append(number)
            yield number, page_html(str(number))

    with PdfWorkers(2) as workers:
        rendered = workers.render(documents())
        next(rendered)
        assert len(taken) <= workers.ahead + 1  # the batch never holds the whole campaign
        assert [key for key, _, _ in rendered] == list(range(1, 12))


def test_a_worker_serves_only_the_assets_the_parent_checked():
    assets = document_assets()
    fetcher = PreloadedFetcher(assets)

    assert set(DOCUMENT_ASSETS) <= set(assets)
    assert fetcher.fetch("static:css/documents.css").read().startswith(b"/*")
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "static:css/portal.css",
        "https://assets.invalid/static/css/documents.css",
        "static:../../config/settings.py",
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5
