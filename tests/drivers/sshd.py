"""A minimal paramiko SSH server on loopback for transport tests: auth methods, host
keys and a toy CLI (banner, prompt, echo). The full simulated cluster is the lab."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import paramiko

from orchestrator.cucm import texts as T


@dataclass
class ServerConfig:
    username: str = "admin"
    password: str = "pw"
    auths: str = "password,keyboard-interactive"
    # keyboard-interactive prompts, as CUCM 15 might send them
    prompts: tuple[tuple[str, bool], ...] = (("Password: ", False),)
    typed: list[str] = field(default_factory=list)


class _Server(paramiko.ServerInterface):
    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    def get_allowed_auths(self, username: str) -> str:
        return self.config.auths

    def check_auth_password(self, username: str, password: str) -> int:
        if "password" in self.config.auths.split(",") and (username, password) == (
            self.config.username,
            self.config.password,
        ):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username: str, submethods: str) -> object:
        if "keyboard-interactive" not in self.config.auths.split(","):
            return paramiko.AUTH_FAILED
        query = paramiko.InteractiveQuery("CUCM", "")
        for text, echo in self.config.prompts:
            query.add_prompt(text, echo)
        return query

    def check_auth_interactive_response(self, responses: list[str]) -> int:
        expected = [
            self.config.password if "password" in p.lower() else "" for p, _ in self.config.prompts
        ]
        return paramiko.AUTH_SUCCESSFUL if list(responses) == expected else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return (
            paramiko.OPEN_SUCCEEDED
            if kind == "session"
            else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        threading.Thread(target=self._cli, args=(channel,), daemon=True).start()
        return True

    def _cli(self, chan: paramiko.Channel) -> None:
        prompt = T.CRLF + "\x1b[K" + T.PROMPT + " "
        chan.sendall((T.BANNER + T.PROMPT + " ").encode())
        line = ""
        while True:
            data = chan.recv(1024)
            if not data:
                return
            for ch in data.decode():
                if ch not in "\r\n":
                    line += ch
                    continue
                self.config.typed.append(line)
                chan.sendall((line + T.CRLF).encode())
                if line == "set cli pagination off":
                    chan.sendall((T.PAGINATION_OFF + prompt).encode())
                elif line == "show myself":
                    chan.sendall(("Machine Name    : cucmpub" + prompt).encode())
                elif line == "exit":
                    chan.close()
                    return
                else:
                    chan.sendall((T.UNKNOWN_COMMAND + prompt).encode())
                line = ""


@dataclass
class RunningServer:
    host: str
    port: int
    key: paramiko.PKey
    config: ServerConfig


@contextmanager
def ssh_server(config: ServerConfig | None = None) -> Iterator[RunningServer]:
    config = config or ServerConfig()
    key = paramiko.ECDSAKey.generate()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    transports: list[paramiko.Transport] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = paramiko.Transport(conn)
            t.add_server_key(key)
            transports.append(t)
            try:
                t.start_server(server=_Server(config))
            except (paramiko.SSHException, EOFError, OSError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield RunningServer("127.0.0.1", listener.getsockname()[1], key, config)
    finally:
        stop.set()
        listener.close()
        for t in transports:
            t.close()
        thread.join(timeout=2)
