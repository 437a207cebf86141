"""Look at report.html as a person would: headless Chromium renders it to a PNG."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from report_journal import RUN, failed_then_resumed_journal, plan

from orchestrator.report.build import build_run_report
from orchestrator.report.service import write

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshot_report.py"
sys.path.insert(0, str(SCRIPT.parent))
from screenshot_report import find_chromium  # noqa: E402

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="no Chromium to render the report (apt-get install -y chromium)",
)


def png_facts(path: Path) -> tuple[int, int, int]:
    """Width, height and how many distinct byte values the image data holds."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    pixels = zlib.decompress(b"".join(chunks))
    return width, height, len(set(pixels))


def test_report_renders_in_headless_chromium(tmp_path):
    journal = failed_then_resumed_journal(tmp_path / "journal.sqlite")
    report = build_run_report(
        journal.run(RUN),
        journal.entries(RUN),
        journal.steps(RUN),
        plan(),
        None,
        None,
        "not audited in this test",
    )
    journal.close()
    folder = write(report, tmp_path / "report")
    png = tmp_path / "report.png"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder / "report.html"), str(png)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    width, height, variety = png_facts(png)
    assert (width, height) == (1400, 2000)
    assert png.stat().st_size > 30_000  # text, tables and bars; a blank page is ~10 KB
    assert variety > 100
