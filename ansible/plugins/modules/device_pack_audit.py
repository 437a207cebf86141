#!/usr/bin/python
# -*- coding: utf-8 -*-
# Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: device_pack_audit
short_description: Audit a CUCM cluster's device pack state (read-only)
description:
  - Runs C(devpack audit --json) for the cluster an Ansible host stands for; changes
    nothing, in check mode or not.
  - Findings are returned; the task fails only if the audit could not run, or, with
    C(fail_on_errors), if it found errors.
options:
  inventory:
    description: devpack inventory YAML of the cluster.
    type: path
    required: true
  playbook:
    description: devpack playbook YAML (what the cluster should have).
    type: path
  report:
    description: Write the audit report (HTML, JSON) into this folder.
    type: path
  fail_on_errors:
    description: Fail the task when the audit finds errors.
    type: bool
    default: false
  state_dir:
    description: Not used by the audit; accepted so one set of module defaults fits both modules.
    type: path
  journal:
    description: Not used by the audit; accepted so one set of module defaults fits both modules.
    type: str
  devpack:
    description: The devpack executable (default C(devpack) on the PATH).
    type: path
author:
  - devpack maintainers
"""

EXAMPLES = r"""
- name: Audit the cluster and keep the report
  devpack.cucm.device_pack_audit:
    inventory: "{{ devpack_inventory }}"
    playbook: "{{ devpack_playbook }}"
    report: "{{ devpack_report_dir }}/{{ inventory_hostname }}"
"""

RETURN = r"""
audit:
  description: The audit (findings with severities, per-node facts).
  returned: success
  type: dict
audit_errors:
  description: Number of findings of severity error.
  returned: success
  type: int
audit_warnings:
  description: Number of findings of severity warning.
  returned: success
  type: int
report:
  description: The HTML report's path, when C(report) was given.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.devpack.cucm.plugins.module_utils.devpack_cli import (
    COMMON_ARGS,
    devpack_command,
    fail_with,
    run_devpack,
)

# devpack audit: 0 clean, 1 findings, anything else: could not audit
AUDITED = (0, 1)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            COMMON_ARGS,
            playbook=dict(type="path"),
            report=dict(type="path"),
            fail_on_errors=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    args = ["audit", "-i", params["inventory"]]
    if params["playbook"]:
        args += ["-p", params["playbook"]]
    if params["report"]:
        args += ["--report", params["report"]]
    rc, document, err = run_devpack(module, devpack_command(module, args))
    if rc not in AUDITED:
        fail_with(module, rc, document, err)
    audit = document.get("audit") or {}
    severities = [finding.get("severity") for finding in audit.get("findings") or []]
    # not "warnings": Ansible's own result key
    counts = dict(
        audit_errors=severities.count("error"), audit_warnings=severities.count("warning")
    )
    if params["fail_on_errors"] and counts["audit_errors"]:
        module.fail_json(
            msg="the audit found %d error(s)" % counts["audit_errors"],
            audit=audit,
            report=document.get("report"),
            **counts
        )
    module.exit_json(changed=False, audit=audit, report=document.get("report"), **counts)


if __name__ == "__main__":
    main()
