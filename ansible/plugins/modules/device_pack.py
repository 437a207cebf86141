#!/usr/bin/python
# -*- coding: utf-8 -*-
# Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: device_pack
short_description: Plan, run or resume a CUCM device pack rollout on one cluster
description:
  - Runs devpack for the cluster an Ansible host stands for (use C(connection: local)).
  - In check mode, discovers the cluster read-only and returns the plan; C(changed) when
    install or restart steps remain.
  - Otherwise runs the rollout as C(run_id), or resumes it if a run of that id exists
    (a killed job re-run continues where it stopped; a completed run is not touched).
    Given C(reviewed_plan) or C(plan_file), runs exactly that plan or refuses it if the
    cluster changed since.
  - Calls the devpack command line with C(--json) (schema devpack.result/1).
options:
  inventory:
    description: devpack inventory YAML of the cluster.
    type: path
    required: true
  playbook:
    description: devpack playbook YAML (COP file, models, restart strategy).
    type: path
    required: true
  run_id:
    description:
      - The run's id; the same id continues the same run. Take it from the change or
        the AWX workflow job, plus the host, e.g. C(chg0042-{{ inventory_hostname }}).
    type: str
    required: true
  reviewed_plan:
    description: The plan a check-mode run returned (its C(plan)), reviewed and approved.
    type: dict
  plan_file:
    description: A plan file (C(devpack plan -o)) to run exactly.
    type: path
  plan_output:
    description: In check mode, also write the plan to this file.
    type: path
  window:
    description: Maintenance window START/END (ISO 8601 with time zones).
    type: str
  state_dir:
    description: devpack's state dir (run folders; the journal too unless C(journal)).
    type: path
  journal:
    description:
      - A shared journal, C(postgresql://USER@HOST:PORT/DB?sslmode=verify-full); the
        password only by reference (C(password=env:VAR)) or a PGPASSFILE. Default
        C(DEVPACK_JOURNAL) in the environment, else SQLite in the state dir.
    type: str
  devpack:
    description: The devpack executable (default C(devpack) on the PATH).
    type: path
author:
  - devpack maintainers
"""

EXAMPLES = r"""
- name: Plan (check mode) or run this cluster's rollout
  devpack.cucm.device_pack:
    inventory: "{{ devpack_inventory }}"
    playbook: "{{ devpack_playbook }}"
    run_id: "{{ devpack_change_id }}-{{ inventory_hostname }}"
  register: rollout
"""

RETURN = r"""
plan:
  description: The plan (check mode).
  returned: check mode
  type: dict
remaining:
  description: Ids of the plan's install and restart steps (check mode).
  returned: check mode
  type: list
run:
  description: The run's result (devpack.result/1 C(run) section).
  returned: run mode
  type: dict
result:
  description: devpack's whole JSON document.
  returned: always
  type: dict
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.devpack.cucm.plugins.module_utils.devpack_cli import (
    COMMON_ARGS,
    devpack_command,
    fail_with,
    plan_changes,
    run_changed,
    run_devpack,
    state_dir_args,
)


def plan(module):
    args = ["plan", "-i", module.params["inventory"], "-p", module.params["playbook"]]
    if module.params["plan_output"]:
        args += ["-o", module.params["plan_output"]]
    rc, document, err = run_devpack(module, devpack_command(module, args))
    if rc != 0:
        fail_with(module, rc, document, err)
    the_plan = document.get("plan") or {}
    remaining = plan_changes(the_plan)
    module.exit_json(
        changed=bool(remaining),
        plan=the_plan,
        remaining=remaining,
        estimated_seconds=the_plan.get("estimated_seconds"),
        result=document,
    )


def run(module):
    params = module.params
    args = ["run", "-i", params["inventory"], "-p", params["playbook"]]
    args += ["--run-id", params["run_id"]] + state_dir_args(module)
    if params["window"]:
        args += ["--window", params["window"]]
    written = None
    try:
        if params["reviewed_plan"]:
            handle, written = tempfile.mkstemp(prefix="devpack-plan-", suffix=".json")
            with os.fdopen(handle, "w") as out:
                json.dump(params["reviewed_plan"], out)
            args += ["--plan", written]
        elif params["plan_file"]:
            args += ["--plan", params["plan_file"]]
        rc, document, err = run_devpack(module, devpack_command(module, args))
    finally:
        if written:
            os.unlink(written)
    the_run = document.get("run") or {}
    if rc != 0:
        fail_with(module, rc, document, err, run=the_run)
    module.exit_json(changed=run_changed(the_run), run=the_run, result=document)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            COMMON_ARGS,
            playbook=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            reviewed_plan=dict(type="dict"),
            plan_file=dict(type="path"),
            plan_output=dict(type="path"),
            window=dict(type="str"),
        ),
        mutually_exclusive=[("reviewed_plan", "plan_file")],
        supports_check_mode=True,
    )
    if module.check_mode:
        plan(module)
    else:
        run(module)


if __name__ == "__main__":
    main()
