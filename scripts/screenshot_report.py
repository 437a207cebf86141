#!/usr/bin/env python3
"""Render a devpack report.html in headless Chromium and save a PNG screenshot.

    scripts/screenshot_report.py RUN_FOLDER/report/report.html docs/demo-report.png

Checks the report as a person would see it (fonts, layout, the SVG timeline), with no
network: the report is one self-contained file. Needs Debian's ``chromium`` package
(``apt-get install -y chromium``) or ``DEVPACK_CHROMIUM``; exits 3 when none is found.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

# the repository's package, when the script runs from a checkout without an install
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from orchestrator.report.pdf import HEADLESS_FLAGS, find_chromium

EXIT_NO_BROWSER = 3


def screenshot(
    html: Path, png: Path, *, width: int = 1400, height: int = 2000, timeout: float = 60.0
) -> Path:
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium found (apt-get install -y chromium)")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="devpack-chromium-") as profile:
        command = [
            browser,
            *HEADLESS_FLAGS,
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png.resolve()}",
            f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium exited {result.returncode}: {result.stderr.strip()[-800:]}")
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the report.html to render")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    if not args.html.is_file():
        print(f"error: {args.html} does not exist", file=sys.stderr)
        return 2
    try:
        screenshot(args.html, args.png, width=args.width, height=args.height)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NO_BROWSER
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
