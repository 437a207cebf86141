"""Scripts of the ``utils system upgrade initiate`` wizard, built from the shared texts
(what the real system and the lab print)."""

from __future__ import annotations

from orchestrator.cucm import texts as T
from orchestrator.drivers.ssh.upgrade import CopInstallRequest

from .fakes import In, Out, Step

FILE = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
MD5 = "c4:13:ad:95:7b:c8:c1:01:1b:91:bb:da:8d:84:09:ea"
SERVER, DIRECTORY, USER, PASSWORD = "10.1.1.50", "/cop", "copuser", "s3cr3t-Pa55"
NL = T.CRLF
PROMPT = NL + "\x1b[K" + T.PROMPT + " "


def ask(text: str) -> Out:
    return Out(text + " ")


def source_menu(modern: bool) -> list[Step]:
    menu = T.SOURCE_MENU_LEGACY
    if modern:
        menu = menu.replace("q) quit", T.SOURCE_MENU_MODERN_LOCAL + NL + "q) quit")
    return [
        Out("Source:" + NL + NL + menu.split(NL + NL, 1)[1]),
        ask(T.SELECT_OPTION.format(last=4 if modern else 3)),
    ]


def credentials(directory_prompt: str = T.DIRECTORY, server_prompt: str = T.SERVER) -> list[Step]:
    return [
        ask(directory_prompt),
        In(DIRECTORY),
        ask(server_prompt),
        In(SERVER),
        ask(T.USER_NAME),
        In(USER),
        ask(T.PASSWORD),
        In(PASSWORD, echo="********"),
        ask(T.SMTP),
        In(""),
    ]


def file_list(files: list[str]) -> list[Step]:
    lines = "".join(f"{i}) {f}{NL}" for i, f in enumerate(files, 1))
    return [
        Out(
            T.CHECKING + NL + NL + T.AVAILABLE.format(server=SERVER, directory=DIRECTORY) + NL + NL
        ),
        Out(lines + "q) quit" + NL + NL),
        ask(T.SELECT_OPTION.format(last=len(files))),
    ]


def download(checksum: str = MD5) -> list[Step]:
    return [
        Out(T.ACCESSING + NL + T.VALIDATING + NL + T.DOWNLOADED_MB.format(mb=52) + NL),
        Out(T.CHECKSUMMING + NL + T.DOWNLOADED_FILE.format(file=FILE) + NL),
        Out(T.FILE_VERSION.format(version="12.5.1.17123-1") + NL),
        Out(T.FILE_CHECKSUM.format(checksum=checksum) + NL),
        ask(T.START_INSTALLATION),
    ]


def install(success: bool = True) -> list[Step]:
    end = T.INSTALL_SUCCESS if success else T.INSTALL_FAILED
    return [
        In("yes"),
        Out(T.UPGRADE_LOG.format(log="install_log_2026-11-28.01.10.45.log") + NL),
        Out(T.UPGRADING + NL),
        Out(end.format(file=FILE) + NL + PROMPT.lstrip(NL)),
    ]


def start(modern: bool = False, subscriber: bool = False) -> list[Step]:
    # the first warning's wording per release (reference 9.5)
    warning = T.UPGRADE_WARNING_CANCELLING if modern else T.UPGRADE_WARNING_EXITING
    steps: list[Step] = [In("utils system upgrade initiate"), Out(NL + warning + NL + NL)]
    if modern:
        steps.append(Out(T.UPGRADE_READINESS_WARNING + NL + NL))
    if subscriber:
        steps += [ask(T.USE_PUBLISHER_CREDENTIALS), In("no")]
    return steps


def legacy_happy() -> list[Step]:
    return [
        *start(),
        *source_menu(modern=False),
        In("1"),
        *credentials(),
        *file_list([FILE]),
        In("1"),
        *download(),
        *install(),
    ]


def modern_subscriber_happy() -> list[Step]:
    return [
        *start(modern=True, subscriber=True),
        *source_menu(modern=True),
        In("1"),
        *credentials(),
        ask(T.CONTINUE_AFTER_DOWNLOAD),
        In("no"),
        ask(T.SWITCH_VERSION),
        In("no"),
        *file_list(["ciscocm.other-1.cop.sgn", FILE]),
        In("2"),
        *download(),
        *install(),
    ]


class Secret:
    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"


def request(**overrides) -> CopInstallRequest:
    values = dict(
        file_name=FILE,
        expected_md5="C413AD957BC8C1011B91BBDA8D8409EA",  # no colons, upper case: still equal
        server=SERVER,
        directory=DIRECTORY,
        user=USER,
        password=Secret(PASSWORD),
        prompt_timeout=1.0,
        download_timeout=1.0,
        install_timeout=1.0,
    )
    values.update(overrides)
    return CopInstallRequest(**values)
