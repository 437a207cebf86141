"""Notifications through apprise (email, Webex, Teams, Slack, a JSON webhook...): the
run's start, pauses, failure, interruption and completion, to the playbook's ``notify``
URLs. Every text goes through the log redactor, the URLs themselves are registered with
it (they may hold tokens), and a notifier that fails is logged, never fatal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import structlog

from orchestrator import logs
from orchestrator.config.playbook import Playbook
from orchestrator.config.secrets import Secret, SecretRef

log = structlog.get_logger(__name__)


class Event(StrEnum):
    START = "start"
    PAUSE = "pause"
    FAILURE = "failure"
    INTERRUPTION = "interruption"
    COMPLETION = "completion"


# apprise's notify types, by event: how chat tools colour the message
_TYPES = {
    Event.START: "info",
    Event.PAUSE: "warning",
    Event.FAILURE: "failure",
    Event.INTERRUPTION: "warning",
    Event.COMPLETION: "success",
}


@dataclass(frozen=True)
class Notice:
    event: Event
    cluster: str
    run_id: str
    where: str  # where the run stands, in a sentence
    resume_command: str | None = None
    report: str | None = None

    @property
    def title(self) -> str:
        return f"devpack {self.cluster}: run {self.run_id} {self.event}"

    @property
    def body(self) -> str:
        lines = [
            f"cluster: {self.cluster}",
            f"run: {self.run_id}",
            f"event: {self.event}",
            f"where it stands: {self.where}",
        ]
        if self.resume_command:
            lines.append(f"continue with: {self.resume_command}")
        if self.report:
            lines.append(f"report: {self.report}")
        return "\n".join(lines)


class Notifier:
    """Sends each notice to every URL; ``sent`` counts deliveries apprise confirmed."""

    def __init__(self, urls: Sequence[Secret] = ()) -> None:
        self._urls = list(urls)
        self.sent = 0

    @classmethod
    def from_playbook(cls, playbook: Playbook) -> Notifier:
        """Resolve the URLs given by reference (a missing one fails the load: exit 2)."""
        urls = []
        for target in playbook.notify:
            secret = target.resolve() if isinstance(target, SecretRef) else Secret(target)
            if isinstance(target, SecretRef):
                logs.REDACTOR.add(secret.reveal())
            urls.append(secret)
        return cls(urls)

    def __bool__(self) -> bool:
        return bool(self._urls)

    def send(self, notice: Notice) -> None:
        if not self._urls:
            return
        title, body = logs.REDACTOR.scrub(notice.title), logs.REDACTOR.scrub(notice.body)
        for index, url in enumerate(self._urls):
            try:
                delivered = _deliver(url.reveal(), title, body, _TYPES[notice.event])
            except Exception as exc:  # a notifier must never fail the run
                delivered = False
                log.warning(
                    "notify.error",
                    target=index,
                    kind=str(notice.event),
                    error=logs.REDACTOR.scrub(f"{type(exc).__name__}: {exc}"),
                )
            if delivered:
                self.sent += 1
                log.info("notify.sent", target=index, kind=str(notice.event))
            else:
                log.warning("notify.failed", target=index, kind=str(notice.event))


def _deliver(url: str, title: str, body: str, notify_type: str) -> bool:
    import apprise  # imported on first use: it loads every plugin it has

    sender = apprise.Apprise()
    if not sender.add(url):
        return False
    return bool(sender.notify(title=title, body=body, notify_type=notify_type))
