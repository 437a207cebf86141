# -*- coding: utf-8 -*-
# Apache-2.0
"""The one contract between the collection and devpack: the ``devpack`` command line
with ``--json``, which prints one ``devpack.result/1`` document on stdout (errors too)
and exits with devpack's usual exit code. The modules never import devpack itself, so
the execution environment may carry any devpack that speaks this contract."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

SCHEMA = "devpack.result/1"
# plan actions that change the cluster: a plan with any of them left is a change
CHANGING_ACTIONS = frozenset(("install", "reboot", "restart_services"))
# journaled step ids are "<stage>/<node>"; these stages change the cluster
CHANGING_STAGES = ("install-", "restart-")

COMMON_ARGS = dict(
    inventory=dict(type="path", required=True),
    state_dir=dict(type="path"),
    journal=dict(type="str"),
    devpack=dict(type="path"),
)


def devpack_command(module, subcommand):
    """``devpack [--journal URL] SUBCOMMAND ... --json`` as an argument list."""
    executable = module.params.get("devpack") or module.get_bin_path("devpack", required=True)
    command = [executable]
    if module.params.get("journal"):
        command += ["--journal", module.params["journal"]]
    return command + list(subcommand) + ["--json"]


def state_dir_args(module):
    state_dir = module.params.get("state_dir")
    return ["--state-dir", state_dir] if state_dir else []


def run_devpack(module, args):
    """Run devpack; (exit code, its document, stderr). A missing or foreign document is
    an Ansible failure that shows what devpack printed instead."""
    rc, out, err = module.run_command(args)
    try:
        document = json.loads(out)
    except ValueError:
        module.fail_json(
            msg="devpack printed no JSON document (exit %d): %s" % (rc, _last_line(err)),
            rc=rc,
            stderr=err[-4000:],
        )
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        module.fail_json(
            msg="devpack answered with schema %r; this collection speaks %s (upgrade one of "
            "them)" % (document.get("schema") if isinstance(document, dict) else None, SCHEMA),
            rc=rc,
        )
    return rc, document, err


def fail_with(module, rc, document, err, **extra):
    """devpack's own message (and what to do) as the Ansible failure."""
    error = document.get("error") or {}
    run = document.get("run") or {}
    message = error.get("message") or run.get("message") or _last_line(err)
    module.fail_json(
        msg=message or "devpack exited %d" % rc,
        hint=error.get("hint") or run.get("hint") or "",
        rc=rc,
        result=document,
        **extra
    )


def plan_changes(plan):
    """Steps of a plan that would change the cluster (install, reboot, restart)."""
    return [
        step["id"]
        for stage in plan.get("stages", [])
        for step in stage.get("steps", [])
        if step.get("action") in CHANGING_ACTIONS
    ]


def run_changed(run):
    """Did this run (or resume) install or restart anything? A retry of a completed run
    did nothing."""
    if run.get("already_complete"):
        return False
    return any(
        step.get("state") == "done" and step.get("step", "").startswith(CHANGING_STAGES)
        for steps in (run.get("nodes") or {}).values()
        for step in steps
    )


def _last_line(text):
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
