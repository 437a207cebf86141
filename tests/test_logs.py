import json

import structlog

from orchestrator.logs import REDACTED, REDACTOR, configure


def test_secrets_never_reach_the_log_file(tmp_path):
    log_file = tmp_path / "run.jsonl"
    REDACTOR.add("s3cr3t-value")
    configure(log_file)
    log = structlog.get_logger("t")
    log.info("login", password="hunter2", user="admin", note="sent s3cr3t-value to node")
    configure(None)
    text = log_file.read_text()
    assert "hunter2" not in text and "s3cr3t-value" not in text
    record = json.loads(text.splitlines()[0])
    assert record["password"] == REDACTED
    assert record["user"] == "admin"
    assert record["note"] == f"sent {REDACTED} to node"


def test_verbose_mirrors_redacted_log_events_on_stderr_and_debug_lowers_the_level(capsys):
    import structlog

    from orchestrator import logs

    logs.REDACTOR.add("pw-for-verbose-test")
    try:
        logs.set_verbosity(debug=False, verbose=True)
        logs.configure(None)
        log = structlog.get_logger("t")
        log.info("node.login", node="cucmpub", note="pw-for-verbose-test")
        log.debug("hidden.detail")
        logs.set_verbosity(debug=True, verbose=True)
        logs.configure(None)
        structlog.get_logger("t").debug("shown.detail")
        err = capsys.readouterr().err
        assert "[info] node.login" in err and "node=cucmpub" in err
        assert "pw-for-verbose-test" not in err and logs.REDACTED in err
        assert "hidden.detail" not in err and "[debug] shown.detail" in err
    finally:
        logs.set_verbosity(debug=False, verbose=False)
        logs.configure(None)
