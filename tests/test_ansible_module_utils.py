"""The collection's reading of devpack's JSON documents (plain Python, no Ansible)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "ansible/plugins/module_utils/devpack_cli.py"
_spec = importlib.util.spec_from_file_location("devpack_cli", SOURCE)
assert _spec and _spec.loader
devpack_cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(devpack_cli)


def _stage(*steps: tuple[str, str]) -> dict:
    return {"steps": [{"id": step_id, "action": action} for step_id, action in steps]}


def test_a_plan_with_installs_or_restarts_left_is_a_change():
    plan = {
        "stages": [
            _stage(("prechecks/pub", "precheck")),
            _stage(("install-publisher/pub", "install")),
            _stage(("restart-wave-1/sub1", "restart_services"), ("restart-wave-1/sub2", "reboot")),
            _stage(("postchecks/pub", "postcheck")),
        ]
    }
    assert devpack_cli.plan_changes(plan) == [
        "install-publisher/pub",
        "restart-wave-1/sub1",
        "restart-wave-1/sub2",
    ]
    nothing_left = {"stages": [_stage(("prechecks/pub", "precheck"))]}
    assert devpack_cli.plan_changes(nothing_left) == []


def test_a_run_changed_only_if_it_installed_or_restarted_something():
    done = {
        "pub": [
            {"step": "prechecks/pub", "state": "done"},
            {"step": "install-publisher/pub", "state": "done"},
        ]
    }
    assert devpack_cli.run_changed({"already_complete": False, "nodes": done})
    # the job re-run of a completed run: devpack did nothing
    assert not devpack_cli.run_changed({"already_complete": True, "nodes": done})
    checks_only = {"pub": [{"step": "prechecks/pub", "state": "done"}]}
    assert not devpack_cli.run_changed({"already_complete": False, "nodes": checks_only})
    failed = {"pub": [{"step": "install-publisher/pub", "state": "failed"}]}
    assert not devpack_cli.run_changed({"already_complete": False, "nodes": failed})
