"""Documents an auditor files: PDF score sheets (one per station and campaign, or a campaign's ZIP)
and Excel tables (results, the public-notice list, the December construction summary).

`pdf.render_pdf` is the one way to make a PDF: WeasyPrint with a URL fetcher that serves only the
product's own static files. `score_sheet` builds a station's sheet and its fingerprint; `tables`
yields the rows the shared writer `core.xlsx.write_xlsx` turns into workbooks.
"""

import logging

# WeasyPrint announces every layout step of every page at INFO, from the moment it is imported;
# a batch of PDFs would flood the bureau's logs. Set here, before pdf.py imports it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
