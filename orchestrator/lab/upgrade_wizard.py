"""`utils system upgrade initiate | status | cancel` on a simulated node.

The dialog follows the reference's 10.x/11.x and 12.5+ transcripts. The node really
fetches the COP: it connects to the lab SFTP server with paramiko (host key checked
against the key the runner published), lists the directory, downloads the chosen file
and prints its real MD5.
"""

from __future__ import annotations

import hashlib
import math
import re
import socket
import stat
import time
from dataclasses import asdict, dataclass
from typing import NoReturn

import paramiko

from orchestrator.cucm import texts
from orchestrator.cucm.release import cop_base_name, supports_sha512_files
from orchestrator.lab.config import FaultKind
from orchestrator.lab.nodes import Node
from orchestrator.lab.shell import SessionClosed, Shell
from orchestrator.lab.world import World

_VERSION = re.compile(r"(\d+\.\d+\.\d+\.\d+-\d+)")
_SIGNING_KEY_COP = "enable-sha512sum"
_SUFFIXES = (".cop.sgn", ".cop.sha512")


class _FirstUse(paramiko.MissingHostKeyPolicy):
    """A node meeting an SFTP server for the first time takes its key (recorded in the
    lab's ground truth; the node side of the field, not something devpack does)."""

    def __init__(self, world: World, node: str) -> None:
        self.world, self.node = world, node

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        self.world.events.emit(
            self.node, "sftp_host_key_first_seen", server=hostname, fingerprint=key.fingerprint
        )
        client.get_host_keys().add(hostname, key.get_name(), key)


class WizardExit(Exception):
    """The wizard ends and the CLI prompt comes back (its reason already printed)."""


@dataclass
class Source:
    server: str
    directory: str
    user: str
    password: str


def is_modern(node: Node) -> bool:
    """12.5 and later have the readiness warning, publisher credentials, local image."""
    return (node.release.major, node.release.minor) >= (12, 5)


def upgrade_warning(world: World, node: Node) -> str:
    """The wizard's first warning, in the wording of the node's release (or the rule's)."""
    wording = world.config.rules.upgrade_warning
    if wording == "auto":
        wording = "cancelling" if is_modern(node) else "exiting"
    return texts.UPGRADE_WARNINGS[wording]


# ----- status and cancel -----------------------------------------------------------------


def status(shell: Shell) -> None:
    with shell.world.lock:
        upgrade = shell.node.upgrade
        lines = [texts.UPGRADE_STATUS.format(status=upgrade.status)]
        if upgrade.status != "Idle":
            lines.append(texts.UPGRADE_STATUS_FILE.format(file=upgrade.file or ""))
            lines.append(texts.UPGRADE_STATUS_LOG.format(log=upgrade.log or ""))
    shell.out(lines)


def cancel(shell: Shell) -> None:
    world = shell.world
    with world.lock:
        upgrade = shell.node.upgrade
        if upgrade.status == "Running" or upgrade.stuck:  # stuck: until reboot (inferred)
            message = texts.COP_CANNOT_CANCEL
        else:
            upgrade.owner = None  # clears a stale wizard, or one another session holds
            world.changed.notify_all()
            message = texts.UPGRADE_CANCELED
    shell.term.line(message)


# ----- initiate --------------------------------------------------------------------------


def initiate(shell: Shell) -> None:
    if shell.node.upgrade.status == "Running" or shell.node.upgrade.stuck:
        shell.term.line(texts.ALREADY_IN_PROGRESS)
        return
    if not _take_wizard(shell):
        return
    try:
        _Wizard(shell).run()
    except WizardExit:
        pass
    finally:
        with shell.world.lock:
            if shell.node.upgrade.owner is shell:
                shell.node.upgrade.owner = None
                shell.world.changed.notify_all()


def _take_wizard(shell: Shell) -> bool:
    world, node = shell.world, shell.node
    with world.lock:
        owner = node.upgrade.owner
        if owner is None or owner is shell or (isinstance(owner, Shell) and not owner.alive):
            node.upgrade.owner = shell
            return True
    shell.term.line(texts.ANOTHER_SESSION)
    if not shell.ask_yes_no(texts.ASSUME_CONTROL):
        return False
    with world.lock:
        node.upgrade.owner = shell
        world.changed.notify_all()
    world.events.emit(node.name, "upgrade_wizard_taken_over")
    return True


class _Wizard:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.term = shell.term
        self.world: World = shell.world
        self.node: Node = shell.node
        self.modern = is_modern(self.node)
        self._fetching_from: tuple[str, int] = ("", 0)

    def _check_owner(self) -> None:
        """Another session assumed control, or `cancel` ran: this dialog is over (inferred)."""
        if self.node.upgrade.owner is not self.shell:
            self.term.line(texts.UPGRADE_CANCELED)
            raise WizardExit

    def _fail(self, message: str) -> NoReturn:
        self.term.line(message)
        raise WizardExit

    def run(self) -> None:
        term = self.term
        term.line()
        term.line(upgrade_warning(self.world, self.node))
        if self.modern:
            term.line()
            term.line(texts.UPGRADE_READINESS_WARNING)
        term.line()
        self.shell.extra_prompts("wizard_start")
        source: Source | None = None
        subscriber = self.modern and not self.node.is_publisher
        if subscriber and self.shell.ask_yes_no(texts.USE_PUBLISHER_CREDENTIALS, default=True):
            with self.world.lock:
                saved = self.world.publisher.upgrade.source
            # Nothing saved on the publisher yet: ask as if "no" (inferred).
            source = Source(**saved) if saved else None
        choice = self._source_menu()
        self._check_owner()
        if source is None:
            source = self._ask_source()
        self.shell.ask(texts.SMTP)
        continue_after = False
        if self.modern:
            continue_after = self.shell.ask_yes_no(texts.CONTINUE_AFTER_DOWNLOAD)
            self.shell.ask_yes_no(texts.SWITCH_VERSION)
        self.shell.extra_prompts("before_download")
        self._check_owner()
        term.line(texts.CHECKING)
        if choice != "1":
            # The lab has no FTP server, no DVD and no local image (inferred outcomes).
            if choice == "2":
                time.sleep(self.world.timing.sftp_unreachable_seconds)
                self._fail(texts.ERR_SERVER_UNREACHABLE)
            self._fail(texts.ERR_NO_VALID_OPTIONS)
        client = self._connect(source)
        try:
            self._with_server(client, source, continue_after)
        finally:
            client.close()

    def _source_menu(self) -> str:
        menu = texts.SOURCE_MENU_LEGACY
        last = 3
        if self.modern:
            menu = menu.replace(
                texts.MENU_QUIT, texts.SOURCE_MENU_MODERN_LOCAL + texts.CRLF + texts.MENU_QUIT
            )
            last = 4
        self.term.write(menu)
        valid = {str(n) for n in range(1, last + 1)}
        while (answer := self.shell.ask(texts.SELECT_OPTION.format(last=last)).lower()) not in (
            valid | {"q"}
        ):
            pass
        if answer == "q":
            raise WizardExit
        return answer

    def _ask_with_default(self, prompt: str, default: str | None, secret: bool = False) -> str:
        shown = f"{prompt[:-1]} [{default}]:" if default else prompt
        while True:
            answer = self.shell.ask(shown, secret=secret)
            if answer:
                return answer
            if default:
                return default

    def _ask_source(self) -> Source:
        with self.world.lock:
            remembered = dict(self.node.upgrade.source or {})
        directory = self._ask_with_default(texts.DIRECTORY, remembered.get("directory"))
        server = self._ask_with_default(texts.SERVER, remembered.get("server"))
        user = self._ask_with_default(texts.USER_NAME, None)
        password = self._ask_with_default(texts.PASSWORD, None, secret=True)
        return Source(server, directory, user, password)

    # ----- the remote server -------------------------------------------------------------

    def _unreachable(self, started: float) -> NoReturn:
        remaining = started + self.world.timing.sftp_unreachable_seconds - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        self._fail(texts.ERR_SERVER_UNREACHABLE)

    def _connect(self, source: Source) -> paramiko.SSHClient:
        started = time.monotonic()
        endpoint, key = self.world.sftp_endpoint, self.world.sftp_host_key
        try:
            address = str(socket.getaddrinfo(source.server, None, socket.AF_INET)[0][4][0])
        except (socket.gaierror, UnicodeError):
            self._unreachable(started)
        client = paramiko.SSHClient()
        if endpoint is not None and address == endpoint[0]:
            # The lab's own SFTP server, which the runner placed at sftp_endpoint.
            port = endpoint[1]
            if key is not None:
                client.get_host_keys().add(f"[{address}]:{port}", key.get_name(), key)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            # Any other server: port 22 of the named host, as a real node's wizard
            # (it has no port prompt). Whether a node accepts a server it has never seen
            # is inferred: a rule, on by default.
            port = 22
            accept = self.world.config.rules.sftp_accepts_new_host_keys
            client.set_missing_host_key_policy(
                _FirstUse(self.world, self.node.name) if accept else paramiko.RejectPolicy()
            )
        self._fetching_from = (address, port)
        timeout = max(self.world.timing.sftp_unreachable_seconds, 5.0)
        try:
            # from the node's own address, as a real node's connection comes
            sock = socket.create_connection(
                (address, port), timeout, source_address=(self.node.address, 0)
            )
        except OSError:
            client.close()
            self._unreachable(started)
        try:
            client.connect(
                address,
                port,
                sock=sock,
                username=source.user,
                password=source.password,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                look_for_keys=False,
                allow_agent=False,
            )
        except paramiko.AuthenticationException:
            client.close()
            sock.close()
            self._fail(texts.ERR_BAD_CREDENTIALS)
        except (paramiko.SSHException, OSError):
            client.close()
            sock.close()
            self._unreachable(started)
        return client

    def _with_server(self, client: paramiko.SSHClient, source: Source, go: bool) -> None:
        sftp = client.open_sftp()
        directory = source.directory
        try:
            entries = sftp.listdir_attr(directory)
        except OSError:
            self._fail(texts.ERR_BAD_DIRECTORY)
        with self.world.lock:
            # remembered for next time, and on the publisher for its subscribers
            self.node.upgrade.source = asdict(source)
            installed = set(self.node.options)
        names = sorted(
            e.filename
            for e in entries
            if e.filename.endswith(_SUFFIXES)
            and stat.S_ISREG(e.st_mode or 0)
            and cop_base_name(e.filename) not in installed
        )
        if not names:
            self._fail(texts.ERR_NO_VALID_OPTIONS)
        name = self._choose(source, names)
        path = directory.rstrip("/") + "/" + name
        self.term.line(texts.ACCESSING)
        size = sftp.stat(path).st_size or 0
        # the pack's configured size: the lab's file is smaller on purpose
        pack = self.world.pack_for(name)
        megabytes = pack.size_mb if pack is not None else math.ceil(size / 2**20)
        if self.world.faults.fire(FaultKind.DISK_FULL, self.node.name) or (
            megabytes > self.node.common_free_mb
        ):
            self._fail(texts.ERR_DISK_SPACE)
        self.term.line(texts.VALIDATING)
        if name.endswith(".cop.sha512") and not self._sha512_ok():
            self._fail(texts.ERR_INVALID_FILE)
        digest = self._download(sftp, path)
        self.term.line(texts.DOWNLOADED_MB.format(mb=megabytes))
        server, port = self._fetching_from
        self.world.events.emit(
            self.node.name,
            "cop_downloaded",
            file=name,
            md5=digest,
            server=server,
            port=port,
            user=source.user,  # whose account: a shared server tells clusters apart by it
        )
        sftp.close()
        if not go:
            self.term.line(texts.CHECKSUMMING)
            self.term.line(texts.DOWNLOADED_FILE.format(file=name))
            self.term.line(texts.FILE_VERSION.format(version=self._version(name)))
            checksum = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
            self.term.line(texts.FILE_CHECKSUM.format(checksum=checksum))
            self.shell.extra_prompts("before_start_installation")
            if not self.shell.ask_yes_no(texts.START_INSTALLATION):
                raise WizardExit
        self._check_owner()
        self._install(name)

    def _choose(self, source: Source, names: list[str]) -> str:
        term = self.term
        term.line()
        term.line(texts.AVAILABLE.format(server=source.server, directory=source.directory))
        term.line()
        for number, name in enumerate(names, start=1):
            term.line(f"{number}) {name}")
        term.line(texts.MENU_QUIT)
        term.line()
        prompt = texts.SELECT_OPTION.format(last=len(names))
        while True:
            answer = self.shell.ask(prompt).lower()
            if answer == "q":
                raise WizardExit
            if answer.isdigit() and 1 <= int(answer) <= len(names):
                self._check_owner()
                return names[int(answer) - 1]

    def _sha512_ok(self) -> bool:
        if supports_sha512_files(self.node.release):
            return True
        with self.world.lock:
            return any(_SIGNING_KEY_COP in base for base in self.node.options)

    @staticmethod
    def _download(sftp: paramiko.SFTPClient, path: str) -> str:
        md5 = hashlib.md5(usedforsecurity=False)
        with sftp.open(path, "rb") as remote:
            remote.prefetch()
            while chunk := remote.read(1 << 16):
                md5.update(chunk)
        return md5.hexdigest()

    def _version(self, name: str) -> str:
        pack = self.world.pack_for(name)
        if pack is not None:
            return pack.version
        match = _VERSION.search(name)
        return match.group(1) if match else cop_base_name(name).removesuffix(".cop")

    # ----- installing --------------------------------------------------------------------

    def _install(self, name: str) -> None:
        world, node, term = self.world, self.node, self.term
        log_name = world.start_install(node.name, name)
        term.line(texts.UPGRADE_LOG.format(log=log_name))
        term.line(texts.UPGRADING)
        if world.faults.fire(FaultKind.SSH_DROP_DURING_INSTALL, node.name):
            world.events.emit(node.name, "ssh_dropped_during_install", file=name)
            self.shell.disconnect()
            self._lost_session(name)
        while not world.wait_for(lambda: node.upgrade.status != "Running", 0.2):
            if not self.shell.alive:
                self._lost_session(name)
        with world.lock:
            ok = node.upgrade.status == "Completed" and node.upgrade.file == name
        term.line((texts.INSTALL_SUCCESS if ok else texts.INSTALL_FAILED).format(file=name))

    def _lost_session(self, name: str) -> NoReturn:
        """The session went away mid-install; the install goes on only if the rule says so."""
        if not self.world.config.rules.install_survives_disconnect:
            self.world.abort_install(self.node.name, name, reason="session closed")
        raise SessionClosed
