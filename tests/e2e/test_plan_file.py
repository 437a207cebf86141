"""``devpack run --plan``: a hand-edited plan is checked like a fresh one, not trusted."""

from __future__ import annotations

import json
import re

from devpack_runs import devpack, run_args

from orchestrator.lab.config import demo_config

CHANGES = ("install_started", "cop_downloaded", "reboot_started", "service_restart_requested")


def test_edited_plan_with_a_whole_group_in_one_wave_is_refused(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release="9.1.2.10000-28", profile="fast"))
    plan_file = tmp_path / "p.json"
    code, output = devpack(
        "plan", "-i", str(cluster.inventory), "-p", str(cluster.playbook), "-o", str(plan_file)
    )
    assert code == 0, output
    plan = json.loads(plan_file.read_text())
    # Hand edit: both members of G1 (cucmsub1, cucmsub2) into the first restart wave.
    waves = [s for s in plan["stages"] if s["kind"] == "restart_wave"]
    moved = [
        step
        for wave in waves
        for step in wave["steps"]
        if step["nodes"][0] in ("cucmsub1", "cucmsub2")
    ]
    for wave in waves:
        wave["steps"] = [s for s in wave["steps"] if s not in moved]
    first = waves[0]
    first["steps"] = [
        {**s, "stage": first["name"], "id": f"{first['name']}/{s['nodes'][0]}"} for s in moved
    ] + first["steps"]
    plan["stages"] = [s for s in plan["stages"] if s["steps"] or s["kind"] != "restart_wave"]
    plan_file.write_text(json.dumps(plan))

    code, output = devpack(*run_args(cluster, tmp_path / "state", "--plan", str(plan_file)))
    assert code == 3, output
    flat = " ".join(output.split())
    assert f"refusing to run {plan_file}" in flat
    assert re.search(
        r"- stage restart-wave-1 restarts cucmsub[12], cucmsub[12] of group G1", flat
    ), output
    assert "Traceback" not in output
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]


def test_unreadable_plan_is_a_one_line_input_error(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    plan_file = tmp_path / "p.json"
    for text in ('{"cluster": "demo"', '{"cluster": "demo", "stages": 3}'):
        plan_file.write_text(text)
        code, output = devpack(*run_args(cluster, tmp_path / "state", "--plan", str(plan_file)))
        assert code == 2, output
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "not a devpack plan" in errors[0], output
        assert "validation error" not in output and "For further information" not in output
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]
