"""``devpack audit`` against the lab over real SSH and HTTPS."""

from __future__ import annotations

from audit_scenarios import (
    NEW_MODEL,
    PACK_BASE,
    audit_json,
    codes,
    devpack,
    healthy_config,
    seed_config,
)


def test_seed_story_audit_names_the_unrebooted_subscriber_until_devpack_run(lab_cluster, tmp_path):
    cluster = lab_cluster(seed_config())
    inv, pb = str(cluster.inventory), str(cluster.playbook)

    code, output = devpack("audit", "-i", inv, "-p", pb)
    assert code == 1, output
    assert "restart-pending cucmsub1" in output
    assert "reboot cucmsub1" in output and "publisher first" in output

    code, result = audit_json("-i", inv, "-p", pb)
    assert code == 1
    pending = [f for f in result["findings"] if f["code"] == "restart-pending"]
    assert [f["node"] for f in pending] == ["cucmsub1"]
    finding = pending[0]
    assert finding["severity"] == "error"
    evidence = finding["evidence"]
    # installed after the running CallManager started, both times shown
    assert evidence["installed_at"] > evidence["callmanager_started_at"]
    assert evidence["installed_at"] in finding["message"]
    assert evidence["callmanager_started_at"] in finding["message"]
    assert evidence["start_time_source"] == "control-center"
    assert evidence["rule"] == "reboot" and evidence["release"] == "9.1.2.10000-28"
    # the new-model phone went to the publisher, not its group's first node
    away = [f for f in result["findings"] if f["code"] == "phone-not-home"]
    assert len(away) == 1
    assert away[0]["evidence"]["registered_to"] == "cucmpub"
    assert away[0]["evidence"]["expected"] == "cucmsub1"
    assert away[0]["evidence"]["phones"][0]["model"] == NEW_MODEL
    assert "cucmpub" not in {f["node"] for f in result["findings"] if f["severity"] == "error"}

    code, output = devpack("run", "-i", inv, "-p", pb, "--state-dir", str(tmp_path / "state"))
    assert code == 0, output

    code, result = audit_json("-i", inv, "-p", pb)
    assert code == 0, result["findings"]
    assert result["findings"] == []
    phone = result["facts"]["phones"][0]
    assert (phone["status"], phone["node"]) == ("Registered", "cucmsub1")


def test_pack_missing_on_one_node(lab_cluster):
    cluster = lab_cluster(healthy_config(missing_on="cucmsub2"))
    code, result = audit_json("-i", str(cluster.inventory))  # no playbook: newest pack found
    assert code == 1
    assert result["pack"] == PACK_BASE and result["pack_source"] == "newest installed"
    missing = [f for f in result["findings"] if f["code"] == "pack-missing"]
    assert [(f["node"], f["severity"]) for f in missing] == [("cucmsub2", "error")]
    assert set(missing[0]["evidence"]["installed_on"]) == {"cucmpub", "cucmsub1"}


def test_replication_broken_on_one_node(lab_cluster):
    cluster = lab_cluster(healthy_config(replication_stuck_on="cucmsub1"))
    cluster.world.apply_standing_faults()
    code, result = audit_json("-i", str(cluster.inventory), "-p", str(cluster.playbook))
    assert code == 1
    bad = [f for f in result["findings"] if f["code"] == "replication-bad"]
    assert [(f["node"], f["evidence"]["state"]) for f in bad] == [("cucmsub1", 4)]
    assert codes(result) == {"replication-bad"}


def test_clean_cluster_has_no_findings(lab_cluster):
    cluster = lab_cluster(healthy_config())
    code, output = devpack("audit", "-i", str(cluster.inventory), "-p", str(cluster.playbook))
    assert code == 0, output
    assert "audit: clean" in output
    code, result = audit_json("-i", str(cluster.inventory), "-p", str(cluster.playbook))
    assert code == 0 and result["findings"] == []
    phones = {p["name"]: (p["status"], p["node"]) for p in result["facts"]["phones"]}
    assert phones == {
        "SEP0000000000A1": ("Registered", "cucmsub1"),
        "SEP0000000000A2": ("Registered", "cucmsub2"),
    }


def test_could_not_audit_exits_2_with_the_reason(lab_cluster, tmp_path):
    code, output = devpack("audit", "-i", str(tmp_path / "missing.yml"))
    assert code == 2 and "missing.yml" in output and "Traceback" not in output

    cluster = lab_cluster(healthy_config())
    cluster.lab.stop()  # every node gone: nothing answers on its SSH port
    code, output = devpack("audit", "-i", str(cluster.inventory), "--json")
    assert code == 2, output
    assert "could not audit: cannot read the publisher cucmpub" in output
    assert "Traceback" not in output
