"""report.pdf as headless Chromium prints it: a real PDF whose text carries the change
id and the sections the screen shows collapsed."""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from test_change_report import paused_report

from orchestrator.report.pdf import find_chromium, render_pdf
from orchestrator.report.service import write

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="no Chromium to print the report (apt-get install -y chromium)",
)


def test_report_pdf_has_the_ticket_and_the_collapsed_sections(tmp_path):
    folder = write(paused_report(tmp_path), tmp_path / "report")
    html = (folder / "report.html").read_text()
    # on screen these are collapsed: the step table and the input fingerprints
    assert '<details class="steps">' in html and '<details class="inputs">' in html
    pdf = render_pdf(folder / "report.html")
    assert pdf == folder / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    flat = " ".join(text.split())
    assert "CHG0042" in flat
    assert "sha256:" + "f" * 16 in flat.replace(" ", "")  # input fingerprints (collapsed)
    # every step with its times (collapsed; its headers print in capitals)
    assert "install-subscribers install 08:01:30Z 08:01:30Z" in flat
    assert "step action started (utc)" in flat.lower()
