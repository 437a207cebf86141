"""A test-only SSH server built on asyncssh (not paramiko), offering exactly what an
OpenSSH 5.3 sshd (CUCM 10.x/11.x, reference section 9.1) offers, behind a minimal
``admin:`` CLI. devpack's driver logging in to it shows that its ssh-rsa (SHA-1) host-key
verification and sha1 key exchanges agree with an independent implementation, not only
with the lab (whose legacy support is paramiko-based too)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

FIXTURES = Path(__file__).parent / "fixtures"

OPENSSH_5_3 = {
    "kex_algs": [
        "diffie-hellman-group-exchange-sha256",
        "diffie-hellman-group-exchange-sha1",
        "diffie-hellman-group14-sha1",
        "diffie-hellman-group1-sha1",
    ],
    "encryption_algs": [
        "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "3des-cbc", "aes192-cbc",
        "aes256-cbc",
    ],
    "mac_algs": ["hmac-md5", "hmac-sha1", "hmac-sha1-96", "hmac-md5-96"],
    "compression_algs": ["none"],
}  # fmt: skip

BANNER = (
    "Command Line Interface is starting up, please wait ...\n\n"
    "   Welcome to the Platform Command Line Interface\n\n"
)


def _transcript(name: str) -> str:
    """A reference transcript's output, without its ``admin:command`` line."""
    return (FIXTURES / name).read_text().split("\n", 1)[1].rstrip("\n")


OUTPUTS = {
    "set cli pagination off": "Automatic pagination is turned off",
    "show version active": _transcript("show_version_active.txt"),
    "utils service list": _transcript("service_list.txt"),
}


@dataclass
class AsyncsshNode:
    host: str
    port: int
    host_key: asyncssh.SSHKey
    password: str
    typed: list[str] = field(default_factory=list)

    def known_hosts_line(self) -> str:
        public = self.host_key.export_public_key().decode().split()
        return f"[{self.host}]:{self.port} {public[0]} {public[1]}\n"


class _Auth(asyncssh.SSHServer):
    def __init__(self, node: AsyncsshNode) -> None:
        self._node = node

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == ("admin", self._node.password)


@contextmanager
def asyncssh_node(password: str = "pw", **algorithms: list[str]) -> Iterator[AsyncsshNode]:
    """An OpenSSH-5.3-like node on 127.0.0.1; ``algorithms`` replace parts of the set."""
    offer = {**OPENSSH_5_3, **algorithms}
    key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    node = AsyncsshNode("127.0.0.1", 0, key, password)
    # asyncssh offers an RSA key as rsa-sha2-512/256 and ssh-rsa; OpenSSH 5.3 only as ssh-rsa
    keypair = asyncssh.load_keypairs([key])[0]
    keypair.host_key_algorithms = [b"ssh-rsa"]

    async def cli(process: asyncssh.SSHServerProcess) -> None:
        # asyncssh's line editor echoes what is typed and ends lines with CRLF, as CUCM does
        process.stdout.write(BANNER + "admin:")
        while True:
            line = await process.stdin.readline()
            command = line.strip()
            if not line or command == "exit":
                break
            node.typed.append(command)
            reply = OUTPUTS.get(command, "Executed command unsuccessfully")
            process.stdout.write(reply + "\nadmin:")
        process.exit(0)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="asyncsshd", daemon=True)
    thread.start()

    async def start() -> asyncssh.SSHAcceptor:
        return await asyncssh.create_server(
            lambda: _Auth(node),
            node.host,
            0,
            server_host_keys=[keypair],
            signature_algs=["ssh-rsa"],
            process_factory=cli,
            server_version="OpenSSH_5.3",
            **offer,
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    node.port = server.sockets[0].getsockname()[1]
    try:
        yield node
    finally:

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
