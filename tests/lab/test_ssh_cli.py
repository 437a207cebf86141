"""The node SSH server and admin CLI over real sockets."""

from __future__ import annotations

from orchestrator.cucm import texts

from .conftest import LabHandle


def test_login_banner_pagination_and_version(lab: LabHandle) -> None:
    cli = lab.cli("cucmpub")
    banner = cli.prompt()
    assert texts.BANNER in banner
    assert banner.endswith("admin:")
    assert cli.run("set cli pagination off").strip() == texts.PAGINATION_OFF
    out = cli.run("show version active")
    assert "Active Master Version: 11.5.1.10000-6" in out
    assert "No Installed Software Options Found." in out
