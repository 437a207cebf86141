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
