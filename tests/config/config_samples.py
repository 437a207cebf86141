from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

GOOD_INVENTORY = """\
cluster: lab
nodes:
  - name: pub
    address: 10.0.0.10
    role: publisher
    tftp: true
  - name: sub1
    address: 10.0.0.11
  - name: sub2
    address: sub2.example.net
callmanager_groups:
  G1: [sub1, sub2]
credentials:
  platform:
    username: admin
    password: env:DEVPACK_TEST_PLATFORM
  application:
    username: axl
    password: file:secrets/axl.txt
"""

GOOD_PLAYBOOK = """\
cop:
  file: cmterm-devicepack12.5.1.17123-1.cop.sgn
  md5: c4:13:ad:95:7b:c8:c1:01:1b:91:bb:da:8d:84:09:ea
sftp:
  host: 10.0.0.50
  directory: /cop
  username: copuser
  password: env:DEVPACK_TEST_SFTP
models:
  - Cisco 7841
"""


class YamlFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, text: str, name: str = "inventory.yml") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> YamlFiles:
    # Error messages show paths relative to the cwd; make that predictable.
    monkeypatch.chdir(tmp_path)
    return YamlFiles(tmp_path)


def line_of(text: str, marker: str) -> int:
    """1-based line of the first line containing ``marker``."""
    for number, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in text")
