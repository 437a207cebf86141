"""ConfigError: every bad input names the file, the line and the field."""

from __future__ import annotations

import pytest
from config_samples import GOOD_INVENTORY, GOOD_PLAYBOOK, line_of

from orchestrator.config import ConfigError, load_inventory, load_playbook
from orchestrator.config.errors import did_you_mean


def inventory_error(files, text: str) -> ConfigError:
    path = files.write(text)
    with pytest.raises(ConfigError) as info:
        load_inventory(path)
    return info.value


def playbook_error(files, text: str) -> ConfigError:
    path = files.write(text, "playbook.yml")
    with pytest.raises(ConfigError) as info:
        load_playbook(path)
    return info.value


def test_good_files_load(files):
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    playbook = load_playbook(files.write(GOOD_PLAYBOOK, "playbook.yml"))
    assert inventory.publisher.name == "pub"
    assert playbook.cop.base_name == "cmterm-devicepack12.5.1.17123-1.cop"


def test_str_format_matches_the_documented_shape():
    error = ConfigError(
        "inventory/prod.yml",
        12,
        "nodes[2].address",
        "'10.0.0' is not an IP address",
        "use a dotted IPv4 address or a host name",
    )
    assert str(error) == (
        "inventory/prod.yml, line 12, field nodes[2].address: '10.0.0' is "
        "not an IP address — use a dotted IPv4 address or a host name"
    )


def test_bad_address_points_at_its_line(files):
    text = GOOD_INVENTORY.replace("address: sub2.example.net", "address: 10.0.0")
    error = inventory_error(files, text)
    assert error.line == 10
    assert error.field == "nodes[2].address"
    assert str(error) == (
        "inventory.yml, line 10, field nodes[2].address: '10.0.0' is not an "
        "IP address — use a dotted IPv4 address or a host name"
    )


@pytest.mark.parametrize("address", ["10.0.0.256", "bad_host!", "-lead.example", "::zz"])
def test_other_bad_addresses(files, address):
    error = inventory_error(files, GOOD_INVENTORY.replace("sub2.example.net", repr(address)))
    assert error.field == "nodes[2].address"
    assert error.line == 10


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "cucm-pub.lab.", "::1"])
def test_loopback_and_host_names_are_fine(files, address):
    inventory = load_inventory(
        files.write(GOOD_INVENTORY.replace("sub2.example.net", repr(address)))
    )
    assert inventory.nodes[2].address


def test_wrong_type(files):
    text = GOOD_INVENTORY.replace("    tftp: true", "    tftp: maybe")
    error = inventory_error(files, text)
    assert (error.line, error.field) == (line_of(text, "tftp: maybe"), "nodes[0].tftp")
    assert "'maybe' is not true or false" in str(error)


def test_port_out_of_range(files):
    text = GOOD_INVENTORY.replace(
        "    address: 10.0.0.11", "    address: 10.0.0.11\n    ssh_port: 70000"
    )
    error = inventory_error(files, text)
    assert error.field == "nodes[1].ssh_port"
    assert error.line == line_of(text, "ssh_port")
    assert "must be <= 65535" in str(error)


def test_missing_field_points_at_its_parent(files):
    text = GOOD_INVENTORY.replace("    username: axl\n", "")
    error = inventory_error(files, text)
    assert error.field == "credentials.application.username"
    assert error.line == line_of(text, "application:")
    assert "is required but missing" in str(error)


def test_missing_credentials_section(files):
    text = GOOD_INVENTORY[: GOOD_INVENTORY.index("credentials:")]
    error = inventory_error(files, text)
    assert error.field == "credentials"
    assert error.line == 1


def test_unknown_key_suggests_the_right_one(files):
    text = GOOD_INVENTORY.replace("    address: 10.0.0.11", "    adress: 10.0.0.11")
    error = inventory_error(files, text)
    problems = {p.field: p for p in error.problems}
    typo = problems["nodes[1].adress"]
    assert typo.line == line_of(text, "adress")
    assert typo.message == "unknown key 'adress'"
    assert typo.hint == "did you mean 'address'?"
    # ... and the missing address is reported in the same run.
    assert "nodes[1].address" in problems


def test_unknown_top_level_key_lists_allowed_keys_when_nothing_is_close(files):
    text = GOOD_INVENTORY + "zzz: 1\n"
    error = inventory_error(files, text)
    assert error.field == "zzz"
    assert error.line == line_of(text, "zzz")
    assert "allowed here: cluster, nodes" in error.hint


def test_unknown_key_in_playbook_section(files):
    text = GOOD_PLAYBOOK + "waves:\n  max_paralel: 3\n"
    error = playbook_error(files, text)
    assert (error.field, error.line) == ("waves.max_paralel", line_of(text, "max_paralel"))
    assert "did you mean 'max_parallel'?" in str(error)


def test_plain_password_is_rejected_without_echoing_it(files):
    text = GOOD_INVENTORY.replace("env:DEVPACK_TEST_PLATFORM", "Sup3rS3cret!")
    error = inventory_error(files, text)
    assert error.field == "credentials.platform.password"
    assert error.line == line_of(text, "Sup3rS3cret")
    assert "plain password is not allowed" in str(error)
    assert "env:VAR, file:PATH, keyring:SERVICE/USER or prompt" in str(error)
    assert "Sup3rS3cret" not in str(error)
    assert "Sup3rS3cret" not in repr(error)


def test_numeric_password_is_rejected_without_echoing_it(files):
    error = inventory_error(files, GOOD_INVENTORY.replace("env:DEVPACK_TEST_PLATFORM", "987654321"))
    assert error.field == "credentials.platform.password"
    assert "987654321" not in str(error)


def test_password_with_a_colon_is_not_echoed(files):
    error = inventory_error(
        files, GOOD_INVENTORY.replace("env:DEVPACK_TEST_PLATFORM", "'hunter:two'")
    )
    assert "hunter" not in str(error)


def test_misspelled_reference_kind_gets_a_hint(files):
    error = inventory_error(files, GOOD_INVENTORY.replace("env:DEVPACK", "evn:DEVPACK"))
    assert "did you mean 'env'?" in str(error)


@pytest.mark.parametrize("md5", ["c4:13:ad", "zz" * 16, "c413ad957bc8c1011b91bbda8d8409eaff"])
def test_bad_md5(files, md5):
    text = GOOD_PLAYBOOK.replace("c4:13:ad:95:7b:c8:c1:01:1b:91:bb:da:8d:84:09:ea", md5)
    error = playbook_error(files, text)
    assert (error.field, error.line) == ("cop.md5", 3)
    assert "is not an MD5 checksum" in str(error)
    assert "32 hexadecimal digits" in str(error)


def test_md5_without_colons_and_uppercase_is_normalised(files):
    text = GOOD_PLAYBOOK.replace(
        "c4:13:ad:95:7b:c8:c1:01:1b:91:bb:da:8d:84:09:ea", "C413AD957BC8C1011B91BBDA8D8409EA"
    )
    playbook = load_playbook(files.write(text, "playbook.yml"))
    assert playbook.cop.md5 == "c413ad957bc8c1011b91bbda8d8409ea"
    assert playbook.cop.md5_colons == "c4:13:ad:95:7b:c8:c1:01:1b:91:bb:da:8d:84:09:ea"


def test_no_checksum_is_an_error(files):
    text = GOOD_PLAYBOOK.replace("  md5: c4:13:ad:95:7b:c8:c1:01:1b:91:bb:da:8d:84:09:ea\n", "")
    error = playbook_error(files, text)
    assert error.field == "cop"
    assert error.line == 1
    assert "no checksum" in str(error)


@pytest.mark.parametrize("name", ["devpack.zip", "cmterm.cop", "/cop/cmterm-x.cop.sgn"])
def test_cop_file_name(files, name):
    text = GOOD_PLAYBOOK.replace("cmterm-devicepack12.5.1.17123-1.cop.sgn", name)
    error = playbook_error(files, text)
    assert (error.field, error.line) == ("cop.file", 2)


def test_sha512_cop_is_accepted(files):
    text = GOOD_PLAYBOOK.replace("12.5.1.17123-1.cop.sgn", "15.0.1.15031-2.cop.sha512")
    assert load_playbook(files.write(text, "p.yml")).cop.file.endswith(".cop.sha512")


def test_yaml_syntax_error_has_a_line(files):
    text = GOOD_INVENTORY.replace("  - name: sub1", "  - name: [sub1")
    error = inventory_error(files, text)
    assert error.line is not None
    assert error.line >= line_of(text, "[sub1")
    assert "YAML syntax error" in str(error)
    assert str(error).startswith("inventory.yml, line ")


def test_duplicate_yaml_key_is_a_syntax_error(files):
    text = GOOD_INVENTORY.replace("cluster: lab\n", "cluster: lab\ncluster: lab2\n")
    error = inventory_error(files, text)
    assert error.line == 2
    assert "YAML syntax error" in error.message


def test_duplicate_node_name(files):
    text = GOOD_INVENTORY.replace("  - name: sub2", "  - name: sub1")
    error = inventory_error(files, text)
    assert error.field == "nodes[2].name"
    assert error.line == line_of(text, "address: sub2.example.net") - 1
    assert "duplicate node name 'sub1'" in str(error)


def test_duplicate_node_address(files):
    text = GOOD_INVENTORY.replace("sub2.example.net", "10.0.0.11")
    error = inventory_error(files, text)
    assert (error.field, error.line) == ("nodes[2].address", 10)
    assert "also used by nodes[1]" in str(error)


def test_group_member_unknown(files):
    text = GOOD_INVENTORY.replace("G1: [sub1, sub2]", "G1: [sub1, sbu2]")
    error = inventory_error(files, text)
    assert error.field == "callmanager_groups.G1[1]"
    assert error.line == line_of(text, "G1:")
    assert "'sbu2' is not a node of this inventory" in str(error)
    assert "did you mean 'sub2'?" in str(error)


def test_two_publishers(files):
    text = GOOD_INVENTORY.replace(
        "    address: 10.0.0.11", "    address: 10.0.0.11\n    role: publisher"
    )
    error = inventory_error(files, text)
    assert (error.field, error.line) == ("nodes", 2)
    assert "exactly one publisher, found 2: pub, sub1" in str(error)


def test_no_publisher(files):
    error = inventory_error(files, GOOD_INVENTORY.replace("    role: publisher\n", ""))
    assert "no node has role: publisher" in str(error)


def test_bad_role_suggests(files):
    error = inventory_error(files, GOOD_INVENTORY.replace("role: publisher", "role: publsher"))
    assert error.field == "nodes[0].role"
    assert "did you mean 'publisher'?" in str(error)


def test_bad_release(files):
    text = GOOD_INVENTORY.replace("    role: publisher", "    role: publisher\n    release: twelve")
    error = inventory_error(files, text)
    assert (error.field, error.line) == ("nodes[0].release", line_of(text, "twelve"))
    assert "not a CUCM release" in str(error)


def test_missing_file(files):
    with pytest.raises(ConfigError) as info:
        load_inventory(files.root / "nope.yml")
    assert str(info.value).startswith("nope.yml: file not found")


def test_empty_file(files):
    with pytest.raises(ConfigError, match="file is empty"):
        load_inventory(files.write(""))


def test_top_level_list(files):
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_inventory(files.write("- a\n- b\n"))


def test_several_problems_are_reported_together_in_line_order(files):
    text = GOOD_INVENTORY.replace("tftp: true", "tftp: perhaps").replace(
        "sub2.example.net", "10.0.0"
    )
    error = inventory_error(files, text)
    assert [p.field for p in error.problems] == ["nodes[0].tftp", "nodes[2].address"]
    assert len(str(error).splitlines()) == 2


def test_minimal_inventory_is_enough(files):
    inventory = load_inventory(
        files.write("""\
        cluster: lab
        nodes:
          - address: 10.0.0.10
            role: publisher
        credentials:
          platform: {username: admin, password: prompt}
          application: {username: axl, password: keyring:devpack/axl}
        """)
    )
    assert inventory.publisher.name is None
    assert inventory.publisher.ssh_port == 22
    assert inventory.publisher.https_port == 8443
    assert inventory.callmanager_groups == {}


def test_relative_paths_resolve_against_the_inventory_dir(files):
    path = files.write(
        GOOD_INVENTORY + "known_hosts: keys/known_hosts\nca_bundle: ca.pem\n", "inv/prod.yml"
    )
    inventory = load_inventory(path)
    assert inventory.known_hosts == (files.root / "inv" / "keys" / "known_hosts").resolve()
    assert inventory.ca_bundle == (files.root / "inv" / "ca.pem").resolve()
    ref = inventory.credentials.application.password
    assert ref.target == str((files.root / "inv" / "secrets" / "axl.txt").resolve())


def test_window_needs_time_zone_and_order(files):
    text = GOOD_PLAYBOOK + "window:\n  start: 2026-11-28T01:00:00\n  end: 2026-11-28T05:00:00Z\n"
    error = playbook_error(files, text)
    assert (error.field, error.line) == ("window.start", line_of(text, "start:"))
    assert "time zone" in str(error)
    text = GOOD_PLAYBOOK + "window:\n  start: 2026-11-28T05:00:00Z\n  end: '2026-11-28T01:00Z'\n"
    error = playbook_error(files, text)
    assert (error.field, error.line) == ("window.end", line_of(text, "end:"))


def test_playbook_defaults(files):
    playbook = load_playbook(files.write(GOOD_PLAYBOOK, "playbook.yml"))
    assert playbook.sftp.port == 22
    assert playbook.restart.strategy == "auto"
    assert (playbook.waves.max_parallel, playbook.waves.install_parallel) == (2, 4)
    assert playbook.gates.replication is True
    assert playbook.timeouts.reboot == 1800
    assert playbook.window is None


def test_bad_strategy_and_zero_parallel(files):
    text = GOOD_PLAYBOOK + "restart:\n  strategy: rebot\nwaves:\n  max_parallel: 0\n"
    error = playbook_error(files, text)
    fields = [p.field for p in error.problems]
    assert fields == ["restart.strategy", "waves.max_parallel"]
    assert "did you mean 'reboot'?" in str(error)


def test_empty_models_list(files):
    text = GOOD_PLAYBOOK.replace("models:\n  - Cisco 7841\n", "models: []\n")
    error = playbook_error(files, text)
    assert error.field == "models"
    assert "must not be empty" in str(error)


def test_section_of_wrong_shape(files):
    error = playbook_error(files, GOOD_PLAYBOOK + "waves: 3\n")
    assert error.field == "waves"
    assert "expected a mapping" in str(error)


def test_did_you_mean_is_quiet_when_nothing_is_close():
    assert did_you_mean("xyz", ["address", "name"]) is None
    assert did_you_mean("nmae", ["address", "name"]) == "did you mean 'name'?"


@pytest.mark.parametrize("path", ["inventory/example-production.yml"])
def test_shipped_inventory_example_loads(path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    inventory = load_inventory(root / path)
    assert inventory.publisher.name == "cucm-pub"
    assert inventory.callmanager_groups["G-East"] == ["cucm-sub1", "cucm-sub2"]


def test_shipped_playbook_example_loads():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    playbook = load_playbook(root / "playbooks/example-production.yml")
    assert playbook.models == ["Cisco 8851", "Cisco 7841"]
    assert playbook.window is not None
    assert playbook.window.start.utcoffset() is not None


def test_take_over_held_wizard_is_an_explicit_boolean(files):
    assert (
        load_playbook(files.write(GOOD_PLAYBOOK, "playbook.yml")).install.take_over_held_wizard
        is False
    )
    opted = load_playbook(
        files.write(GOOD_PLAYBOOK + "install:\n  take_over_held_wizard: true\n", "playbook.yml")
    )
    assert opted.install.take_over_held_wizard is True
    for value in ("yes", "1", '"true"'):
        text = GOOD_PLAYBOOK + f"install:\n  take_over_held_wizard: {value}\n"
        error = playbook_error(files, text)
        assert error.field == "install.take_over_held_wizard", error
        assert error.line == 12


@pytest.mark.parametrize("value", ["0", "-5", "true", "1.5", '"52"', "1000000"])
def test_cop_size_must_be_a_whole_number_of_megabytes(files, value):
    text = GOOD_PLAYBOOK.replace("  md5:", f"  size_mb: {value}\n  md5:")
    error = playbook_error(files, text)
    assert error.field == "cop.size_mb", error
    assert error.line == 3
