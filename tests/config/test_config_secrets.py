"""Secrets are references; resolved values never leak into text, dumps or logs."""

from __future__ import annotations

import logging
import pickle

import pytest
from config_samples import GOOD_INVENTORY, GOOD_PLAYBOOK, line_of

from orchestrator.config import (
    Secret,
    SecretError,
    SecretKind,
    SecretRef,
    load_inventory,
    load_playbook,
)

PASSWORD = "Pl4tform-S3cret"


@pytest.fixture
def inventory(files, monkeypatch):
    monkeypatch.setenv("DEVPACK_TEST_PLATFORM", PASSWORD)
    files.write("axl-pass\n", "secrets/axl.txt")
    return load_inventory(files.write(GOOD_INVENTORY))


def test_env_and_file_references_resolve(inventory):
    assert inventory.credentials.platform.password.resolve().reveal() == PASSWORD
    # The editor's final newline is not part of the password.
    assert inventory.credentials.application.password.resolve().reveal() == "axl-pass"


def test_secret_never_shows(inventory, caplog):
    secret = inventory.credentials.platform.password.resolve()
    assert str(secret) == "********"
    assert repr(secret) == "Secret('********')"
    assert f"{secret}" == "********"
    assert f"{secret:>20}" == "********"
    caplog.set_level(logging.DEBUG)
    logging.getLogger("devpack.test").info("login with %s / %r", secret, secret)
    assert PASSWORD not in caplog.text
    assert "********" in caplog.text


def test_models_never_contain_the_secret(inventory):
    inventory.credentials.platform.password.resolve()
    assert PASSWORD not in repr(inventory)
    assert PASSWORD not in str(inventory.model_dump())
    assert PASSWORD not in inventory.model_dump_json()
    assert inventory.model_dump()["credentials"]["platform"]["password"] == (
        "env:DEVPACK_TEST_PLATFORM"
    )


def test_secret_cannot_be_pickled(inventory):
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(inventory.credentials.platform.password.resolve())


def test_secret_equality_and_unhashable():
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    with pytest.raises(TypeError):
        hash(Secret("a"))


def test_unset_env_names_the_reference_and_the_line(files, monkeypatch):
    monkeypatch.delenv("DEVPACK_TEST_PLATFORM", raising=False)
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    with pytest.raises(SecretError) as info:
        inventory.credentials.platform.password.resolve()
    error = info.value
    assert error.line == line_of(GOOD_INVENTORY, "env:DEVPACK_TEST_PLATFORM")
    assert error.field == "credentials.platform.password"
    assert "env:DEVPACK_TEST_PLATFORM: environment variable is not set" in str(error)
    assert "export DEVPACK_TEST_PLATFORM" in str(error)


def test_missing_secret_file(files):
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    with pytest.raises(SecretError, match="file not found") as info:
        inventory.credentials.application.password.resolve()
    assert "axl.txt" in str(info.value)
    # what to do: create it with only the password, readable by the owner alone
    target = inventory.credentials.application.password.target
    assert info.value.hint is not None
    assert f"create {target} holding only the password" in info.value.hint
    assert f"chmod 600 {target}" in info.value.hint
    assert info.value.hint in str(info.value)


def test_empty_secret_file(files):
    files.write("\n", "secrets/axl.txt")
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    with pytest.raises(SecretError, match="file is empty"):
        inventory.credentials.application.password.resolve()


def test_unreadable_secret_file_does_not_leak_content(files):
    files.write("\xff-not-utf8", "secrets/axl.txt")
    (files.root / "secrets/axl.txt").write_bytes(b"\xffsecret\xfe")
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    with pytest.raises(SecretError, match="cannot be read") as info:
        inventory.credentials.application.password.resolve()
    assert "secret\\xfe" not in str(info.value)


def test_keyring_reference(monkeypatch):
    import keyring

    store = {("devpack", "axl"): "from-keyring"}
    monkeypatch.setattr(keyring, "get_password", lambda s, u: store.get((s, u)))
    ref = SecretRef.model_validate("keyring:devpack/axl")
    assert (ref.kind, ref.target) == (SecretKind.KEYRING, "devpack/axl")
    assert ref.resolve().reveal() == "from-keyring"
    missing = SecretRef.model_validate("keyring:devpack/nobody")
    with pytest.raises(SecretError, match="keyring set devpack nobody"):
        missing.resolve()


def test_prompt_reference_uses_the_prompter_once():
    ref = SecretRef.model_validate("prompt")
    asked: list[str] = []

    def prompter(label: str) -> str:
        asked.append(label)
        return "typed"

    assert ref.resolve(prompt=prompter).reveal() == "typed"
    assert ref.resolve(prompt=prompter).reveal() == "typed"
    assert len(asked) == 1


def test_prompt_without_terminal_is_a_clear_error(monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(SecretError, match="needs an interactive terminal"):
        SecretRef.model_validate("prompt").resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("env:", "needs an environment variable name"),
        ("env:1BAD", "needs an environment variable name"),
        ("file:", "needs a path"),
        ("keyring:nouser", "needs SERVICE/USER"),
        ("keyring:/user", "needs SERVICE/USER"),
    ],
)
def test_malformed_references(files, text, message):
    from orchestrator.config import ConfigError

    path = files.write(GOOD_PLAYBOOK.replace("env:DEVPACK_TEST_SFTP", repr(text)), "p.yml")
    with pytest.raises(ConfigError, match=message) as info:
        load_playbook(path)
    assert info.value.field == "sftp.password"


def test_reference_round_trips_through_json(files):
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    again = type(inventory).model_validate_json(inventory.model_dump_json())
    assert again.credentials.application.password.target == (
        inventory.credentials.application.password.target
    )
    assert again == inventory


def test_python_construction():
    ref = SecretRef(kind=SecretKind.ENV, target="X")
    assert str(ref) == "env:X"
