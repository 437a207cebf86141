"""Playbook: several COPs with kinds, local sources (devpack computes the checksums),
and sftp.serve; every mistake names the file, line and field."""

from __future__ import annotations

import hashlib

import pytest
from config_samples import GOOD_PLAYBOOK, line_of

from orchestrator.config import ConfigError, load_playbook
from orchestrator.config.playbook import CopKind
from orchestrator.fingerprint import run_fingerprint

PACK = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
LOCALE = "cm-locale-de_DE-12.5.1.1000-1.cop.sgn"
KEY = "ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop.sgn"
PACK_BYTES = b"pack-bytes" * 100
LOCALE_BYTES = b"locale-bytes" * 100

SERVED = f"""\
cops:
  - kind: devicepack
    source: files/{PACK}
  - kind: locale
    source: files/{LOCALE}
sftp:
  serve:
    address: 127.0.0.1
models:
  - Cisco 7841
"""


@pytest.fixture
def served(files):
    (files.root / "files").mkdir()
    (files.root / "files" / PACK).write_bytes(PACK_BYTES)
    (files.root / "files" / LOCALE).write_bytes(LOCALE_BYTES)
    return files


def error_of(files, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_playbook(files.write(text, "playbook.yml"))
    return info.value


def test_single_cop_form_still_loads_as_one_device_pack(files):
    playbook = load_playbook(files.write(GOOD_PLAYBOOK, "playbook.yml"))
    assert [c.file for c in playbook.all_cops] == [PACK]
    assert playbook.main_cop.kind is CopKind.DEVICEPACK
    assert not playbook.sftp.served


def test_served_cops_get_their_checksums_and_size_from_the_files(served):
    playbook = load_playbook(served.write(SERVED, "playbook.yml"))
    pack, locale = playbook.all_cops
    assert (pack.file, locale.file) == (PACK, LOCALE)
    assert pack.md5 == hashlib.md5(PACK_BYTES).hexdigest()
    assert locale.sha512 == hashlib.sha512(LOCALE_BYTES).hexdigest()
    assert pack.size_mb == 1 and pack.source == served.root / "files" / PACK
    assert playbook.main_cop is pack and playbook.sftp.serve.port == 22


def test_a_given_checksum_must_match_the_file(served):
    text = SERVED.replace(
        f"    source: files/{LOCALE}\n", f"    source: files/{LOCALE}\n    md5: {'ab' * 16}\n"
    )
    error = error_of(served, text)
    assert error.field == "cops[1].md5"
    assert error.line == line_of(text, "md5:")
    assert hashlib.md5(LOCALE_BYTES).hexdigest() in error.message
    assert "download it again" in (error.hint or "")


def test_a_missing_source_file_is_named(served):
    error = error_of(served, SERVED.replace(f"files/{LOCALE}", "files/nope.cop.sgn"))
    assert error.field == "cops[1].source" and "does not exist" in error.message


def test_file_must_be_the_source_name(served):
    text = SERVED.replace("  - kind: locale\n", f"  - kind: locale\n    file: {PACK}\n")
    error = error_of(served, text)
    assert error.field == "cops[1].file" and "is not the name of source" in error.message


def test_models_are_required_only_with_a_device_pack(served):
    text = SERVED.replace("kind: devicepack", "kind: other")
    error = error_of(served, text)
    assert error.field == "models" and "only for a device pack" in error.message
    without = text.replace("models:\n  - Cisco 7841\n", "")
    assert load_playbook(served.write(without, "playbook.yml")).models == []
    error = error_of(served, SERVED.replace("models:\n  - Cisco 7841\n", ""))
    assert error.field == "models" and "device pack" in error.message


def test_the_signing_key_is_installed_first(served):
    (served.root / "files" / KEY).write_bytes(b"key")
    text = SERVED.replace("sftp:", f"  - kind: signing-key\n    source: files/{KEY}\nsftp:")
    playbook = load_playbook(served.write(text, "playbook.yml"))
    assert [c.file for c in playbook.all_cops] == [KEY, PACK, LOCALE]
    assert playbook.main_cop.file == PACK


def test_serve_and_own_server_do_not_mix(served):
    error = error_of(served, SERVED.replace("  serve:\n", "  host: 10.0.0.5\n  serve:\n"))
    assert error.field == "sftp.host" and "one-time account" in (error.hint or "")
    own = GOOD_PLAYBOOK.replace("  md5: c4:13:ad:95:7b:c8:c1:01:1b:91:bb:da:8d:84:09:ea\n", "")
    error = error_of(served, own.replace("  file:", f"  source: files/{PACK}\n  file:"))
    assert error.field == "cop.source" and "sftp.serve is not" in error.message


def test_own_server_needs_its_fields(files):
    error = error_of(files, GOOD_PLAYBOOK.replace("  directory: /cop\n", ""))
    assert error.field == "sftp.directory" and "sftp.serve" in (error.hint or "")


def test_fingerprint_covers_every_cop_but_not_the_one_time_account(served, files):
    from config_samples import GOOD_INVENTORY

    from orchestrator.config import load_inventory

    inventory = load_inventory(files.write(GOOD_INVENTORY))
    playbook = load_playbook(served.write(SERVED, "playbook.yml"))
    fields = run_fingerprint(inventory, playbook)
    assert fields["playbook.cops[1].file"] == LOCALE
    assert fields["playbook.cops[1].kind"] == "locale"
    assert fields["playbook.cops[0].md5"] == hashlib.md5(PACK_BYTES).hexdigest()
    assert fields["playbook.sftp.serve.address"] == "127.0.0.1"
    assert not [k for k in fields if "username" in k or "password" in k]
    single = run_fingerprint(inventory, load_playbook(files.write(GOOD_PLAYBOOK, "pb.yml")))
    assert single["playbook.cop.file"] == PACK  # runs journaled before keep their keys
