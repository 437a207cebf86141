"""The node SSH server and admin CLI over real sockets."""

from __future__ import annotations

import hashlib

from orchestrator.cucm import texts

from .conftest import PACK, LabHandle


def test_login_banner_pagination_and_version(lab: LabHandle) -> None:
    cli = lab.cli("cucmpub")
    banner = cli.prompt()
    assert texts.BANNER in banner
    assert banner.endswith("admin:")
    assert cli.run("set cli pagination off").strip() == texts.PAGINATION_OFF
    out = cli.run("show version active")
    assert "Active Master Version: 11.5.1.10000-6" in out
    assert "No Installed Software Options Found." in out


def test_install_dialog_11x_end_to_end(lab: LabHandle) -> None:
    cli = lab.login("cucmpub")
    cli.send("utils system upgrade initiate\r")
    head = cli.answer('Please select an option (1 - 3 or "q" ):', "1")
    assert texts.UPGRADE_WARNING in head and "3) Local DVD/CD" in head
    assert "4) Local Image" not in head
    cli.answer("Directory:", "/cop")
    cli.answer("Server:", lab.world.sftp_endpoint[0])
    cli.answer("User Name:", "copuser")
    cli.answer("Password:", "lab-sftp-secret")
    cli.answer("Please enter SMTP Host Server (optional):", "")
    listing = cli.answer('Please select an option (1 - 1 or "q" ):', "1")
    assert f"1) {PACK}" in listing
    details = cli.answer("Start installation (yes/no):", "yes")
    md5 = hashlib.md5((lab.cop_dir / PACK).read_bytes()).hexdigest()
    colon = ":".join(md5[i : i + 2] for i in range(0, 32, 2))
    assert f"File checksum: {colon}" in details
    assert "File version: 12.5.1.17123-1" in details
    assert "Password: " + "*" * len("lab-sftp-secret") in cli.buffer
    done = cli.prompt(timeout=10)
    assert "Upgrading the system.  Please wait..." in done
    assert f"Successfully installed {PACK}" in done
    assert "cmterm-devicepack12.5.1.17123-1.cop" in cli.run("show version active")
    history = cli.run("file view install system-history.log")
    assert f"root: Install {PACK} Success" in history
    # a second install finds nothing new
    cli.send("utils system upgrade initiate\r")
    cli.answer('Please select an option (1 - 3 or "q" ):', "1")
    cli.answer("Directory [/cop]:", "")
    cli.answer(f"Server [{lab.world.sftp_endpoint[0]}]:", "")
    cli.answer("User Name:", "copuser")
    cli.answer("Password:", "lab-sftp-secret")
    cli.answer("Please enter SMTP Host Server (optional):", "")
    assert texts.ERR_NO_VALID_OPTIONS in cli.prompt()
