import io

from rich.console import Console

from orchestrator.console import LiveProgress, PlainProgress


def test_live_view_shows_step_state_and_time_in_step():
    buffer = io.StringIO()
    progress = LiveProgress(["pub", "sub1"], Console(file=buffer, width=120))
    progress.stage("install-publisher", "the publisher alone")
    progress.node("pub", "installing")
    table = progress._table()
    text = io.StringIO()
    Console(file=text, width=120).print(table)
    rendered = text.getvalue()
    assert "install-publisher" in rendered and "installing" in rendered
    assert "waiting" in rendered  # sub1 has not started


def test_plain_lines_carry_time_node_and_state():
    stream = io.StringIO()
    progress = PlainProgress(stream)
    progress.stage("restart-wave-1", "wave 1 of 2")
    progress.node("sub1", "waiting for services")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("== restart-wave-1: wave 1 of 2")
    assert "sub1" in lines[1] and lines[1].endswith("waiting for services")
