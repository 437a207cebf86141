"""report.pdf when Chromium misbehaves: a hung or crashing browser (a stand-in script as
DEVPACK_CHROMIUM) gives PdfUnavailable with a clear reason, leaves no process behind and
no temporary profile."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from orchestrator.report.pdf import CHROMIUM_ENV, PdfUnavailable, render_pdf


def _browser(tmp_path: Path, body: str) -> Path:
    """A stand-in Chromium: records its arguments and its helper's pid, then ``body``."""
    script = tmp_path / "fake-chromium"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {tmp_path}/args\n'
        "sleep 60 &\n"  # a helper process, as Chromium's renderers are
        f"echo $! > {tmp_path}/helper.pid\n"
        f"{body}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _report(tmp_path: Path) -> Path:
    html = tmp_path / "report" / "report.html"
    html.parent.mkdir()
    html.write_text("<html><body><details><summary>x</summary>y</details></body></html>")
    return html


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (killed, not yet reaped by init) is gone for our purpose
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def _profile(tmp_path: Path) -> Path:
    args = (tmp_path / "args").read_text().splitlines()
    [profile] = [a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir=")]
    return Path(profile)


def _helper_gone(tmp_path: Path) -> bool:
    pid = int((tmp_path / "helper.pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def test_a_hung_chromium_is_stopped_with_its_helpers(tmp_path, monkeypatch):
    monkeypatch.setenv(CHROMIUM_ENV, str(_browser(tmp_path, "sleep 60")))
    html = _report(tmp_path)
    started = time.monotonic()
    with pytest.raises(PdfUnavailable, match="did not finish the PDF in 1 s"):
        render_pdf(html, timeout=1.0)
    assert time.monotonic() - started < 10
    assert _helper_gone(tmp_path), "Chromium's helper process outlived the timeout"
    assert not _profile(tmp_path).parent.exists(), "the temporary profile was left behind"
    assert not (html.parent / "report.pdf").exists()


def test_a_crashing_chromium_says_so_and_cleans_up(tmp_path, monkeypatch):
    body = 'echo "Received signal 11 SEGV_MAPERR" >&2\nkill -SEGV $$'
    monkeypatch.setenv(CHROMIUM_ENV, str(_browser(tmp_path, body)))
    html = _report(tmp_path)
    with pytest.raises(PdfUnavailable) as caught:
        render_pdf(html, timeout=10.0)
    message = str(caught.value)
    assert "without a PDF" in message and "SEGV" in message, message
    assert _helper_gone(tmp_path)
    assert not _profile(tmp_path).parent.exists()
    assert not (html.parent / "report.pdf").exists()


def test_a_pdf_that_cannot_be_put_in_place_says_where(tmp_path, monkeypatch):
    """Chromium printed, but the PDF's folder cannot take it: a reason, no traceback."""
    body = 'for a in "$@"; do case "$a" in --print-to-pdf=*) echo %PDF-1.4 > "${a#*=}";; esac; done'
    monkeypatch.setenv(CHROMIUM_ENV, str(_browser(tmp_path, body)))
    html = _report(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "report.pdf"
    with pytest.raises(PdfUnavailable, match=r"cannot write .*a-file/report.pdf"):
        render_pdf(html, target, timeout=10.0)
    assert render_pdf(html, timeout=10.0).read_bytes().startswith(b"%PDF-")
