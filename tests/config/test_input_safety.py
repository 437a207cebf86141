"""Issue 8: nothing a user writes reaches a node (or a path, or a printed command) unchecked.

Every case here was accepted, or crashed with a traceback, before the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from config_samples import GOOD_INVENTORY, GOOD_PLAYBOOK, line_of
from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.config import ConfigError, SecretError, load_inventory, load_playbook
from orchestrator.config.trustfiles import ca_bundle_file, known_hosts_file
from orchestrator.config.yamlfile import MAX_ALIAS_EXPANSION, MAX_DEPTH

# A control character ends the install wizard's prompt; the rest ran at `admin:`.
INJECTION = r"\x03utils service restart Cisco CallManager"


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _one_error(path: Path, load) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(path)
    return info.value


# --- item 1: values typed into a CLI session ---------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "code"),
    [
        ("directory: /cop", f'directory: "/cop{INJECTION}"', "sftp.directory", "U+0003"),
        (
            "username: copuser",
            'username: "copuser\\nutils system restart"',
            "sftp.username",
            "U+000A",
        ),
        ("host: 10.0.0.50", 'host: "sftp.example.net\\x1b"', "sftp.host", "U+001B"),
        ("host: 10.0.0.50", 'host: "fe80::1%\\x03x"', "sftp.host", "U+0003"),
        (
            "file: cmterm-devicepack12.5.1.17123-1.cop.sgn",
            'file: "cmterm-devicepack12.5.1.17123-1.cop.sgn\\x7f"',
            "cop.file",
            "U+007F",
        ),
        ("  - Cisco 7841", '  - "Cisco 7841\\x03"', "models[0]", "U+0003"),
        ("  - Cisco 7841", '  - "Cisco\\N7841"', "models[0]", "U+0085"),  # C1 NEL
        ("  - Cisco 7841", '  - "Cisco\\u200b7841"', "models[0]", "U+200B"),
    ],
)
def test_control_characters_in_playbook_values_are_refused(files, old, new, field, code):
    text = _replace(GOOD_PLAYBOOK, old, new)
    error = _one_error(files.write(text, "playbook.yml"), load_playbook)
    assert error.file == "playbook.yml"
    assert error.field == field
    assert error.line == line_of(text, new.strip()[:12])
    assert code in error.message
    assert error.hint


def test_sftp_directory_must_be_an_absolute_path(files):
    text = _replace(GOOD_PLAYBOOK, "directory: /cop", "directory: cop")
    error = _one_error(files.write(text, "playbook.yml"), load_playbook)
    assert error.field == "sftp.directory"
    assert "not an absolute path" in error.message


def test_overlong_values_are_refused(files):
    text = _replace(GOOD_PLAYBOOK, "directory: /cop", "directory: /" + "c" * 300)
    error = _one_error(files.write(text, "playbook.yml"), load_playbook)
    assert error.field == "sftp.directory"
    assert "301 characters" in error.message


def test_sftp_password_with_control_character_is_refused_without_echo(files):
    files.write("s3cret\x03utils system restart\n", "secrets/sftp.txt")
    text = _replace(
        GOOD_PLAYBOOK, "password: env:DEVPACK_TEST_SFTP", "password: file:secrets/sftp.txt"
    )
    playbook = load_playbook(files.write(text, "playbook.yml"))
    with pytest.raises(SecretError) as info:
        playbook.sftp.password.resolve()
    message = str(info.value)
    assert "control character U+0003" in message
    assert "playbook.yml" in message and "sftp.password" in message
    assert "s3cret" not in message and "utils" not in message


# --- items 6 and 11: names used in paths and printed commands; newlines ----------------------


@pytest.mark.parametrize("name", ["../../x", "x$(id)", "-rf", ".hidden", "a b", "x/y", "x;id"])
def test_unsafe_cluster_names_are_refused(files, name):
    text = _replace(GOOD_INVENTORY, "cluster: lab", f"cluster: '{name}'")
    error = _one_error(files.write(text), load_inventory)
    assert (error.file, error.line, error.field) == ("inventory.yml", 1, "cluster")
    assert "cannot be used as a name" in error.message
    assert "letters, digits" in error.hint


def test_cluster_and_node_names_keep_the_usual_shapes(files):
    text = _replace(GOOD_INVENTORY, "cluster: lab", "cluster: CUCM_prod-1.eu")
    text = _replace(text, "name: pub", "name: cucm-pub.example.net")
    text = _replace(text, "[sub1, sub2]", "[sub1, sub2, cucm-pub.example.net]")
    inventory = load_inventory(files.write(text))
    assert inventory.cluster == "CUCM_prod-1.eu"
    assert inventory.nodes[0].name == "cucm-pub.example.net"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("name: sub1", 'name: "sub1\\nutils system restart"', "nodes[1].name"),
        ("username: admin", 'username: "admin\\nx"', "credentials.platform.username"),
        ("username: axl", 'username: "axl user"', "credentials.application.username"),
    ],
)
def test_newlines_in_node_names_and_usernames_are_refused(files, old, new, field):
    text = _replace(GOOD_INVENTORY, old, new)
    error = _one_error(files.write(text), load_inventory)
    assert error.field == field
    assert error.line == line_of(text, new.strip())


# --- item 4: numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "field", "message"),
    [
        ("polling:\n  first: .inf\n", "polling.first", "not a finite number"),
        ("polling:\n  max: .nan\n", "polling.max", "not a finite number"),
        ("polling:\n  first: -1\n", "polling.first", "out of range"),
        ("polling:\n  first: 30\n  max: 0.1\n", "polling.first", "longer than max"),
        ("waves:\n  max_parallel: true\n", "waves.max_parallel", "not a whole number"),
        ("waves:\n  install_parallel: 0\n", "waves.install_parallel", "out of range"),
        ("timeouts:\n  install: 1e12\n", "timeouts.install", "not a whole number"),
        ("timeouts:\n  reboot: 99999999999\n", "timeouts.reboot", "out of range"),
        ("gates:\n  settle_seconds: -5\n", "gates.settle_seconds", "out of range"),
        ("gates:\n  replication: 1\n", "gates.replication", "not true or false"),
        ("estimates:\n  reboot: true\n", "estimates.reboot", "not a whole number"),
        ("estimates:\n  verify: .inf\n", "estimates.verify", "not a whole number"),
    ],
)
def test_numbers_are_finite_in_range_and_not_booleans(files, section, field, message):
    text = GOOD_PLAYBOOK + section
    error = _one_error(files.write(text, "playbook.yml"), load_playbook)
    assert error.field == field
    assert message in error.message
    assert error.line is not None


def test_sftp_port_true_is_not_port_1(files):
    text = _replace(GOOD_PLAYBOOK, "directory: /cop", "port: true\n  directory: /cop")
    error = _one_error(files.write(text, "playbook.yml"), load_playbook)
    assert error.field == "sftp.port"
    assert "True is not a whole number" in error.message


@pytest.mark.parametrize("value", ["true", "0", "65536", "-22", "22.5", "'22'"])
def test_ssh_port_must_be_a_port_number(files, value):
    text = _replace(
        GOOD_INVENTORY, "    role: publisher", f"    role: publisher\n    ssh_port: {value}"
    )
    error = _one_error(files.write(text), load_inventory)
    assert error.field == "nodes[0].ssh_port"


def test_tftp_flag_is_not_a_number(files):
    text = _replace(GOOD_INVENTORY, "tftp: true", "tftp: 1")
    assert _one_error(files.write(text), load_inventory).field == "nodes[0].tftp"


# --- item 5: models ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("  - Cisco 7841\n  - cisco 7841\n", "listed twice"),
        ("  - ''\n", "must not be empty"),
        ("  - '   '\n", "must not be empty"),
        (f"  - {'x' * 101}\n", "101 characters"),
        ("  - [Cisco 7841]\n", "expected text"),
    ],
)
def test_models_are_validated_at_load(files, models, message):
    text = _replace(GOOD_PLAYBOOK, "  - Cisco 7841\n", models)
    error = _one_error(files.write(text, "playbook.yml"), load_playbook)
    assert error.field.startswith("models")
    assert message in error.message


# --- item 9: bounded reads of user files ----------------------------------------------------


def test_fifo_is_refused_without_reading(files):
    os.mkfifo(files.root / "inventory.yml")
    error = _one_error(files.root / "inventory.yml", load_inventory)
    assert error.file == "inventory.yml"
    assert "not a regular file" in error.message


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null"])
def test_devices_are_refused(special):
    error = _one_error(Path(special), load_inventory)
    assert error.file == special and "not a regular file" in error.message


def test_symlink_loop_and_directory_are_refused(files):
    (files.root / "a.yml").symlink_to(files.root / "b.yml")
    (files.root / "b.yml").symlink_to(files.root / "a.yml")
    error = _one_error(files.root / "a.yml", load_inventory)
    assert error.file.endswith("a.yml") and "loop of symbolic links" in error.message
    (files.root / "folder").mkdir()
    error = _one_error(files.root / "folder", load_inventory)
    assert "is a directory" in error.message


def test_huge_file_is_refused(files):
    path = files.write(GOOD_INVENTORY + "#" + "x" * (2 << 20) + "\n")
    error = _one_error(path, load_inventory)
    assert error.file == "inventory.yml" and "too large" in error.message


def test_binary_file_is_refused(files):
    path = files.root / "inventory.yml"
    path.write_bytes(bytes(range(256)) * 4)
    error = _one_error(path, load_inventory)
    assert "not UTF-8 text" in error.message


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_refused_not_a_recursion_error(files, style):
    depth = 5000 if style == "flow" else 300
    if style == "flow":
        text = "cluster: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    error = _one_error(files.write(text), load_inventory)
    assert error.file == "inventory.yml"
    assert f"nested more than {MAX_DEPTH} levels" in error.message
    assert error.line is not None


def test_billion_laughs_is_refused(files):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "\n".join(lines) + "\n"
    assert len(text) < 1000
    error = _one_error(files.write(text), load_inventory)
    assert f"expand to more than {MAX_ALIAS_EXPANSION}" in error.message
    assert error.line is not None


def test_self_referencing_alias_is_refused(files):
    error = _one_error(files.write("cluster: &c [x, *c]\n"), load_inventory)
    assert "refers to a value that contains it" in error.message


def test_modest_aliases_still_work(files):
    text = GOOD_PLAYBOOK + "timeouts: &t {install: 600, reboot: 600}\n"
    text += "estimates: {precheck: 5, <<: *t}\n"
    error = _one_error(files.write(text, "playbook.yml"), load_playbook)
    assert error.field == "estimates.install"  # the alias was expanded, then validated
    text = _replace(GOOD_PLAYBOOK, "  - Cisco 7841", "  - &m Cisco 7841\n  - Cisco 8851")
    playbook = load_playbook(files.write(text + "waves: {max_parallel: 1}\n", "playbook.yml"))
    assert playbook.models == ["Cisco 7841", "Cisco 8851"]


# --- items 9 and 10: known_hosts and ca_bundle -----------------------------------------------


def _inventory_with(files, extra: str) -> tuple[str, Path]:
    text = GOOD_INVENTORY + extra
    return text, files.write(text)


def test_missing_known_hosts_names_inventory_line_and_field(files):
    text, path = _inventory_with(files, "known_hosts: keys/missing\n")
    with pytest.raises(ConfigError) as info:
        known_hosts_file(load_inventory(path))
    error = info.value
    assert (error.file, error.field) == ("inventory.yml", "known_hosts")
    assert error.line == line_of(text, "known_hosts:")
    assert "keys/missing" in error.message and "file not found" in error.message
    assert "ssh-keyscan" in error.hint and "devpack trust" in error.hint


def test_missing_ca_bundle_names_inventory_line_and_field(files):
    files.write("", "known_hosts")
    text, path = _inventory_with(files, "known_hosts: known_hosts\nca_bundle: nope.pem\n")
    inventory = load_inventory(path)
    assert known_hosts_file(inventory) == files.root / "known_hosts"
    with pytest.raises(ConfigError) as info:
        ca_bundle_file(inventory)
    assert (info.value.file, info.value.field) == ("inventory.yml", "ca_bundle")
    assert info.value.line == line_of(text, "ca_bundle:")


def test_known_hosts_that_is_a_fifo_is_refused(files):
    os.mkfifo(files.root / "kh")
    _, path = _inventory_with(files, "known_hosts: kh\n")
    with pytest.raises(ConfigError, match="not a regular file"):
        known_hosts_file(load_inventory(path))


@pytest.mark.parametrize("value", ["5", "[a, b]", "{a: 1}", "true"])
def test_known_hosts_of_the_wrong_type_gives_a_plain_message(files, value):
    text, path = _inventory_with(files, f"known_hosts: {value}\n")
    error = _one_error(path, load_inventory)
    assert error.field == "known_hosts"
    assert error.line == line_of(text, "known_hosts:")
    assert "expected a file path" in error.message
    assert "pydantic" not in str(error) and "Input " not in str(error)


def test_known_hosts_garbage_lines_give_file_and_line(files):
    files.write(
        "# comment\n"
        "[127.0.0.1]:2222 ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
        "garbage ssh-rsa !!!not-base64!!!\n"
        "@cert-authority *.example.net ssh-rsa AAAAB3NzaC1yc2E=\n",
        "known_hosts",
    )
    _, path = _inventory_with(files, "known_hosts: known_hosts\n")
    with pytest.raises(ConfigError) as info:
        known_hosts_file(load_inventory(path))
    first, second = info.value.problems
    assert (first.line, second.line) == (3, 4)
    assert first.file.endswith("known_hosts") and "not a valid known_hosts line" in first.message
    assert "markers" in second.message


# --- item 11: secret references --------------------------------------------------------------


@pytest.mark.parametrize("target", ["BAD NAME", "X\\nY", "1X", ""])
def test_mapping_form_env_reference_gets_the_env_name_check(files, target):
    text = _replace(
        GOOD_INVENTORY,
        "password: env:DEVPACK_TEST_PLATFORM",
        f'password: {{kind: env, target: "{target}"}}',
    )
    error = _one_error(files.write(text), load_inventory)
    assert error.field == "credentials.platform.password"
    assert "environment variable name" in error.message


@pytest.mark.parametrize("form", ["text", "mapping"])
def test_relative_file_reference_resolves_against_the_inventory_folder(
    files, form, tmp_path, monkeypatch
):
    ref = "file:secrets/pw.txt" if form == "text" else "{kind: file, target: secrets/pw.txt}"
    text = _replace(GOOD_INVENTORY, "password: env:DEVPACK_TEST_PLATFORM", f"password: {ref}")
    path = files.write(text, "site/inventory.yml")
    files.write("right\n", "site/secrets/pw.txt")
    files.write("wrong\n", "secrets/pw.txt")  # the same relative path from the cwd
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    secret = load_inventory(path).credentials.platform.password.resolve()
    assert secret.reveal() == "right"


def test_secret_file_that_is_a_fifo_is_refused(files):
    os.mkfifo(files.root / "pw")
    text = _replace(GOOD_PLAYBOOK, "password: env:DEVPACK_TEST_SFTP", "password: file:pw")
    playbook = load_playbook(files.write(text, "playbook.yml"))
    with pytest.raises(SecretError, match="not a regular file"):
        playbook.sftp.password.resolve()


# --- the shipped examples still load --------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "inventory").glob("*.yml")))
def test_shipped_inventories_load(name):
    assert load_inventory(ROOT / "inventory" / name).nodes


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "playbooks").glob("*.yml")))
def test_shipped_playbooks_load(name):
    assert load_playbook(ROOT / "playbooks" / name).models


# --- where the inputs are read: fleet, lab config, --plan ------------------------------------


def test_fleet_file_that_is_binary_exits_2(files):
    path = files.root / "fleet.yml"
    path.write_bytes(b"\x00\xff\xfe binary")
    result = CliRunner().invoke(
        cli, ["fleet", "run", "--fleet", str(path), "--state-dir", str(files.root / "state")]
    )
    assert result.exit_code == 2, result.output
    assert "fleet.yml" in result.output and "not UTF-8" in result.output


def test_fleet_entry_paths_must_be_text(files):
    path = files.write("clusters:\n  - {inventory: 5, playbook: [x]}\n", "fleet.yml")
    result = CliRunner().invoke(
        cli, ["fleet", "run", "--fleet", str(path), "--state-dir", str(files.root / "state")]
    )
    assert result.exit_code == 2, result.output
    assert "clusters[0]" in result.output


def test_lab_up_with_a_yaml_syntax_error_exits_2(files):
    path = files.write("cluster: demo\nnodes: [\n", "lab.yml")
    result = CliRunner().invoke(
        cli, ["lab", "up", "--config", str(path), "--inventory-out", str(files.root / "inv.yml")]
    )
    assert result.exit_code == 2, result.output
    assert "lab.yml" in result.output and "YAML syntax error" in result.output


def _runnable_inputs(files, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.setenv("DEVPACK_TEST_PLATFORM", "pw")
    monkeypatch.setenv("DEVPACK_TEST_SFTP", "pw")
    files.write("pw\n", "secrets/axl.txt")
    files.write("", "known_hosts")
    inventory = files.write(
        _replace(GOOD_INVENTORY, "10.0.0.10", "127.0.0.1") + "known_hosts: known_hosts\n"
    )
    return inventory, files.write(GOOD_PLAYBOOK, "playbook.yml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not a regular file"),  # a FIFO: must not hang
        ('{"cluster": "x$(id)"', "not a devpack plan"),
    ],
)
def test_bad_plan_file_exits_2_before_any_login(files, monkeypatch, content, message):
    inventory, playbook = _runnable_inputs(files, monkeypatch)
    plan = files.root / "plan.json"
    if content is None:
        os.mkfifo(plan)
    else:
        plan.write_text(content)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "-i",
            str(inventory),
            "-p",
            str(playbook),
            "--plan",
            str(plan),
            "--state-dir",
            str(files.root / "s"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "plan.json" in result.output and message in " ".join(result.output.split())


def _plan_json(node: str = "pub", service: str = "Cisco Tftp", cluster: str = "lab") -> str:
    from orchestrator.planning.estimates import Estimates
    from orchestrator.planning.plan import Action, Plan, Stage, StageKind, Step

    step = Step(
        id=f"restart/{node}",
        stage="restart_publisher",
        action=Action.RESTART_SERVICES,
        nodes=[node],
        services=[service],
        estimated_seconds=10,
        reason="r",
    )
    stage = Stage(
        name="restart publisher", kind=StageKind.RESTART_PUBLISHER, steps=[step], reason="r"
    )
    return Plan(
        cluster=cluster,
        cop_file="cmterm-devicepack12.5.1.17123-1.cop.sgn",
        restart_scope=None,
        restart_reason="r",
        stages=[stage],
        estimates=Estimates(),
        fingerprint="sha256:0",
    ).model_dump_json()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"node": "../../x"}, "stages[0].steps[0].nodes[0]", "cannot be used as a name"),
        ({"node": "pub\nutils system restart"}, "stages[0].steps[0].id", "U+000A"),
        (
            {"service": "Cisco Tftp\x03utils system restart"},
            "stages[0].steps[0].services[0]",
            "control character U+0003",
        ),
        ({"cluster": "x$(id)"}, "cluster", "cannot be used as a name"),
    ],
)
def test_plan_values_typed_or_used_in_paths_are_checked(files, kwargs, field, message):
    from orchestrator.config.planfile import read_plan_file as _read_plan

    path = files.root / "plan.json"
    path.write_text(_plan_json(**kwargs))
    with pytest.raises(ConfigError) as info:
        _read_plan(path)
    assert (info.value.file, info.value.field) == (str(path), field)
    assert message in info.value.message


def test_a_written_plan_reads_back(files):
    from orchestrator.config.planfile import read_plan_file as _read_plan

    path = files.root / "plan.json"
    path.write_text(_plan_json(node="cucm-pub.example.net"))
    assert _read_plan(path).steps[0].nodes == ["cucm-pub.example.net"]


@pytest.mark.parametrize("shape", ["flow", "block", "brackets"])
def test_huge_documents_are_refused(files, shape):
    """Refused by the event-count and bracket limits before ruamel builds the document
    (ruamel alone takes a minute or more on these; the suite's timeout guards a hang,
    and bench-style timing is not judged here)."""
    if shape == "flow":
        text = "models: [" + ", ".join(["x"] * 100_000) + "]\n"
    elif shape == "block":
        text = "models:\n" + "  - x\n" * 100_000
    else:
        text = "cluster: '" + "[" * 500_000 + "'\n"
    path = files.write(text)
    error = _one_error(path, load_inventory)
    assert "values" in error.message or "nested" in error.message
