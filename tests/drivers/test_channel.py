from __future__ import annotations

import re

import pytest

from orchestrator.drivers.ssh.channel import Channel, normalize, unsafe_characters
from orchestrator.drivers.ssh.errors import CommandTimeout, SessionClosed, UnsafeText
from orchestrator.drivers.ssh.patterns import PROMPT

from .fakes import Close, FakeRaw, In, Key, Out


def test_normalize_crlf_ansi_and_erase_line() -> None:
    assert normalize("a\r\n\x1b[Kadmin: ") == "a\nadmin: "
    assert normalize("done\x1b[Kadmin:") == "done\nadmin:"
    assert normalize("\x1b[1mbold\x1b[0m\x07\r\n") == "bold\n"
    assert normalize("\x1b[Kadmin:", at_line_start=True) == "admin:"
    assert normalize("\x1b[Kadmin:") == "\nadmin:"  # may continue a line of the last chunk
    # the lab/CUCM pager wipe: CR + erase-line at a line start leaves nothing behind
    assert normalize("one\r\n\r\x1b[Ktwo\r\n") == "one\ntwo\n"


@pytest.mark.parametrize("chunk", [None, 1, 3])
def test_read_until_survives_any_chunking(chunk: int | None) -> None:
    raw = FakeRaw([Out("héllo\r\n\x1b[1mworld\x1b[0m\r\n\x1b[Kadmin: ")], chunk=chunk)
    channel = Channel(raw)
    hit = channel.read_until(PROMPT, timeout=2)
    # With tiny chunks the prompt may match before its trailing space arrives.
    assert hit.text.rstrip() == "héllo\nworld\nadmin:"
    assert channel.drain().strip() == ""


def test_earliest_match_wins_and_rest_stays_buffered() -> None:
    channel = Channel(FakeRaw([Out("one\ntwo\nthree\n")]))
    hit = channel.read_until([re.compile(r"three\n"), re.compile(r"one\n")], timeout=1)
    assert hit.index == 1 and hit.text == "one\n"
    assert channel.read_until(re.compile(r"three\n"), timeout=1).text == "two\nthree\n"


def test_more_pager_is_answered_with_space_and_removed() -> None:
    pager = "\x1b[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\x1b[0m"
    raw = FakeRaw([Out("line1\r\n" + pager), Key(" "), Out("\r\nline2\r\nadmin: ")])
    channel = Channel(raw)
    hit = channel.read_until(PROMPT, timeout=2)
    assert "Press <enter>" not in hit.text
    assert "line1" in hit.text and "line2" in hit.text
    assert raw.typed == [" "] and not raw.errors
    assert channel.pages_answered == 1


@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_more_pager_followed_by_erase_line_is_answered(chunk: int | None) -> None:
    # Cisco's framework's mock data: the pager prompt, then ESC[K (reference 9.5); the
    # ESC[K used to become a line break, the pager was never answered and the read hung.
    pager = "\x1b[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\x1b[0m\x1b[K"
    raw = FakeRaw(
        [Out("line1\r\n" + pager), Key(" "), Out("\r\x1b[Kline2\r\nadmin: ")], chunk=chunk
    )
    channel = Channel(raw)
    hit = channel.read_until(PROMPT, timeout=2)
    assert raw.typed == [" "] and not raw.errors
    assert hit.text.rstrip() == "line1\nline2\nadmin:"


def test_file_view_pages_come_back_as_the_file_lines_exactly() -> None:
    opts = "options: q=quit, n=next, p=prev, b=begin, e=end (lines {} - {} of 3) :"
    raw = FakeRaw(
        [
            Out("a\r\nb\r\n" + opts.format(1, 2)),
            Key("n"),
            Out("\r\nc\r\n" + opts.format(3, 3)),
            Key("q"),
            Out("\r\nadmin: "),
        ]
    )
    hit = Channel(raw).read_until(PROMPT, timeout=2)
    assert hit.text[: hit.match.start()] == "a\nb\nc"  # the prompt match takes the last break


def test_file_view_pager_next_then_quit_at_end() -> None:
    opts = "options: q=quit, n=next, p=prev, b=begin, e=end (lines {} - {} of 40) :"
    raw = FakeRaw(
        [
            Out("a\r\n" + opts.format(1, 20)),
            Key("n"),
            Out("\r\nb\r\n" + opts.format(21, 40)),
            Key("q"),
            Out("\r\nadmin: "),
        ]
    )
    hit = Channel(raw).read_until(PROMPT, timeout=2)
    assert raw.typed == ["n", "q"] and not raw.errors
    assert "options:" not in hit.text and "a\n" in hit.text and "b\n" in hit.text


def test_timeout_carries_partial_output() -> None:
    channel = Channel(FakeRaw([Out("partial output"), In("never")]))
    with pytest.raises(CommandTimeout) as info:
        channel.read_until(PROMPT, timeout=0.05)
    assert info.value.output == "partial output"
    assert info.value.retryable


def test_peer_close_raises_session_closed_with_output() -> None:
    channel = Channel(FakeRaw([Out("bye\r\n"), Close()]))
    with pytest.raises(SessionClosed) as info:
        channel.read_until(PROMPT, timeout=1)
    assert info.value.output == "bye\n"
    with pytest.raises(SessionClosed):
        channel.send_line("x")


def test_recording_masks_secrets_even_split_across_chunks() -> None:
    raw = FakeRaw([In("pw"), Out("echo hunter2 done\r\nadmin: ")], chunk=4)
    channel = Channel(raw)
    with channel.recording(["hunter2"]) as rec:
        channel.send_line("hunter2", secret=True)
        channel.read_until(PROMPT, timeout=1)
    assert "hunter2" not in rec.text()
    assert "********" in rec.text()
    assert rec.sent == ["********"]


class _Recording:
    """A raw channel that keeps every byte sent (nothing is read)."""

    closed = False

    def __init__(self) -> None:
        self.sent = b""

    def settimeout(self, timeout: float | None) -> None:
        pass

    def recv(self, nbytes: int) -> bytes:
        raise TimeoutError

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    "value",
    [
        "/cop\x03utils service restart Cisco CallManager",  # Ctrl-C ends the wizard
        "copuser\rutils system restart",  # a CR submits the line early
        "secret\x1a",  # Ctrl-Z
        "a\nb",
        "tab\there",
        "esc\x1b[A",
        "del\x7f",
        "c1\x85",  # NEL, a C1 line break
        "bidi\u202e",  # a format character
        "line\u2028sep",
    ],
)
def test_send_refuses_control_characters_before_sending_anything(value: str) -> None:
    raw = _Recording()
    channel = Channel(raw, host="cucmpub")
    with pytest.raises(UnsafeText) as caught:
        channel.send_line(value, secret=True)
    assert raw.sent == b""  # not a byte typed
    assert value not in str(caught.value)  # a refused secret is not echoed in the message
    assert "nothing was sent" in str(caught.value) and caught.value.host == "cucmpub"
    with pytest.raises(UnsafeText):
        channel.send(value)
    assert raw.sent == b""


def test_send_types_a_passing_value_exactly_and_only_declared_controls() -> None:
    raw = _Recording()
    channel = Channel(raw, newline="\n")
    channel.send_line("/cop dir with spaces/é")
    channel.send(" ")  # pager answers are printable keys
    channel.send("q")
    assert raw.sent == "/cop dir with spaces/é\n q".encode()
    channel.send("\r", controls="\r")  # a dialog may declare the control key it needs
    assert raw.sent.endswith(b"\r")
    with pytest.raises(UnsafeText):
        channel.send("\r\x03", controls="\r")  # but only that one
    assert unsafe_characters("a\x03b\x03\rc", allowed="\r") == ["\x03"]
