"""report.pdf: the HTML report printed by headless Chromium, where one is installed.

The PDF is what a change manager files: the print stylesheet applies (monochrome-safe
markers, sensible page breaks) and every collapsed section is printed open (the copy
Chromium prints has every ``<details>`` opened, so no script has to run). Chromium is
optional: without it the HTML is still written and the caller says why there is no PDF.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_ENV = "DEVPACK_CHROMIUM"
CANDIDATES = (
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
# A headless browser that talks to nobody: no updates, sync, or background requests.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PDF_FILE = "report.pdf"
NO_CHROMIUM = (
    "no Chromium found: install it (Debian: apt-get install -y chromium) or set "
    f"{CHROMIUM_ENV} to its path; the HTML report is written either way"
)


class PdfUnavailable(Exception):
    """No PDF was made (no Chromium, or Chromium failed); the message says why."""


def find_chromium() -> str | None:
    """``$DEVPACK_CHROMIUM`` when set (and executable), else the first Chromium found."""
    chosen = os.environ.get(CHROMIUM_ENV)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) and Path(chosen).is_file() else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_copy(html: str) -> str:
    """The report with every collapsed section open, as it should be printed."""
    return re.sub(r"<details(?![^>]*\bopen\b)", "<details open", html)


def _run_browser(command: list[str], errors: Path, timeout: float) -> tuple[int, str]:
    """Run Chromium in a process group of its own and end the whole group afterwards: its
    helpers (zygote, renderers) outlive a hung or crashed browser otherwise, keep the
    temporary profile busy, and would hold a stderr pipe open until they die. Returns the
    exit code and the last lines Chromium wrote to stderr."""
    try:
        with errors.open("wb") as sink:
            browser = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=sink,
                start_new_session=True,
            )
    except OSError as exc:
        raise PdfUnavailable(f"cannot start {command[0]}: {exc.strerror}") from None
    try:
        returncode = browser.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PdfUnavailable(f"Chromium did not finish the PDF in {timeout:.0f} s") from None
    finally:
        _end_group(browser)
    lines = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return returncode, " | ".join(lines[-3:])


def _end_group(browser: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(browser.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # the group is gone already
        pass
    browser.wait()


def render_pdf(html_file: Path, pdf_file: Path | None = None, timeout: float = 120.0) -> Path:
    """Print ``html_file`` to ``pdf_file`` (default: report.pdf beside it); raises
    ``PdfUnavailable`` saying why not."""
    browser = find_chromium()
    if browser is None:
        if os.environ.get(CHROMIUM_ENV):
            raise PdfUnavailable(
                f"{CHROMIUM_ENV}={os.environ[CHROMIUM_ENV]} is not an executable file; "
                "the HTML report is written either way"
            )
        raise PdfUnavailable(NO_CHROMIUM)
    target = pdf_file or html_file.with_name(PDF_FILE)
    with tempfile.TemporaryDirectory(prefix="devpack-pdf-") as work:
        copy = Path(work) / html_file.name  # beside nothing: the report is self-contained
        copy.write_text(print_copy(html_file.read_text(encoding="utf-8")), encoding="utf-8")
        partial = Path(work) / PDF_FILE
        command = [
            browser,
            *HEADLESS_FLAGS,
            f"--user-data-dir={Path(work) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={partial}",
            copy.as_uri(),
        ]
        returncode, tail = _run_browser(command, Path(work) / "stderr.txt", timeout)
        if returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            how = (
                f"was killed by {signal.Signals(-returncode).name}"
                if returncode < 0 and -returncode in signal.valid_signals()
                else f"exited {returncode}"
            )
            raise PdfUnavailable(f"{browser} {how} without a PDF: {tail or 'no message'}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(partial), target)  # whole or not at all: made aside, then moved
        except OSError as exc:
            raise PdfUnavailable(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
