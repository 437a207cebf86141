"""An install that outlasts the CLI's idle session timeout (30 minutes by default,
reference 1) must not lose its session: devpack raises the timeout for the install (in a
new session, where the new value holds), keeps the session alive and restores the value.
The lab ends idle sessions for real and, by default, an install cut off with its session
fails and leaves the framework stuck (reference 9.5)."""

from __future__ import annotations

from devpack_runs import devpack, edit_playbook, run_args

from orchestrator.lab.config import demo_config

# One CLI minute lasts 0.08 s: the default 30 minutes end an idle session after 2.4 s,
# shorter than any install here (3 s, 4.5 s on the publisher).
TIMING = {"cli_minute_seconds": 0.08, "install_seconds": 3.0}


def test_install_longer_than_the_cli_session_timeout_completes(lab_cluster, tmp_path):
    config = demo_config(release="12.5.1.14900-63", profile="fast")
    cluster = lab_cluster(config.model_copy(update={"timing": TIMING}))
    edit_playbook(cluster.playbook, timeouts={"install": 3600})  # 60 minutes > 30
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 0, output
    events = cluster.lab.events
    for node in cluster.world.nodes:
        assert len(events.select("install_finished", node)) == 1, node
        assert not events.select("upgrade_framework_stuck", node)
        # raised to the install timeout plus a margin for the install, then restored
        minutes = [e.data["minutes"] for e in events.select("cli_session_timeout_set", node)]
        assert minutes == [65, 30], (node, minutes)
        assert cluster.world.nodes[node].cli_session_timeout_minutes == 30
    # idle sessions really were ended meanwhile: the run reconnected where it needed to
    assert events.select("cli_session_timed_out")
