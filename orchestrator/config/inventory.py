"""The inventory: which cluster, which nodes, and where the credentials live."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from orchestrator.config.errors import Invalid, did_you_mean
from orchestrator.config.fields import (
    Address,
    ClusterName,
    Flag,
    NodeName,
    Port,
    ReleaseText,
    StrictModel,
    Text,
    Username,
)
from orchestrator.config.secrets import SecretRef


class Role(StrEnum):
    PUBLISHER = "publisher"
    SUBSCRIBER = "subscriber"


class Node(StrictModel):
    """A node as the user knows it; anything left out is discovered from the cluster."""

    name: NodeName | None = None
    address: Address
    # The name the node's Tomcat certificate carries, verified instead of ``address``
    # (certificates name FQDNs, not IPs). None: the FQDN ``show network cluster`` gives.
    tls_name: Address | None = None
    ssh_port: Port = 22
    https_port: Port = 8443
    role: Role = Role.SUBSCRIBER
    release: ReleaseText | None = None
    callmanager: Flag | None = None
    tftp: Flag | None = None

    @property
    def label(self) -> str:
        return self.name or self.address


class Login(StrictModel):
    username: Username
    password: SecretRef


class Credentials(StrictModel):
    platform: Login = Field(description="OS admin for the platform CLI over SSH")
    application: Login = Field(description="AXL / serviceability application user")


def _relative_path(value: Path, info: ValidationInfo) -> Path:
    base_dir = (info.context or {}).get("base_dir")
    value = value.expanduser()
    if not value.is_absolute() and base_dir is not None:
        value = Path(base_dir) / value
    return value


ConfigPath = Annotated[Path, AfterValidator(_relative_path)]


class Inventory(StrictModel):
    cluster: ClusterName
    nodes: list[Node] = Field(min_length=1)
    callmanager_groups: dict[Text, list[Text]] = Field(default_factory=dict)
    credentials: Credentials
    known_hosts: ConfigPath | None = None
    ca_bundle: ConfigPath | None = None
    # devpack's simulated cluster (written by `devpack lab up`): allows lab-only
    # overrides such as a playbook sftp.port other than 22, shown in the plan
    lab: bool = False

    @field_validator("nodes")
    @classmethod
    def _one_publisher_unique_nodes(cls, nodes: list[Node]) -> list[Node]:
        publishers = [node.label for node in nodes if node.role is Role.PUBLISHER]
        if not publishers:
            raise Invalid(
                "no node has role: publisher",
                "give at least the publisher's address with role: publisher; "
                "subscribers can be discovered",
            )
        if len(publishers) > 1:
            raise Invalid(
                f"a cluster has exactly one publisher, found {len(publishers)}: "
                f"{', '.join(publishers)}",
                "mark the others role: subscriber",
            )
        return nodes

    @model_validator(mode="after")
    def _names_addresses_groups(self) -> Inventory:
        _unique(self.nodes, "name", lambda n: n.name and n.name.lower())
        _unique(self.nodes, "address", lambda n: n.address.lower())
        names = {node.name for node in self.nodes if node.name}
        for group, members in self.callmanager_groups.items():
            if not members:
                raise Invalid(
                    f"CallManager group {group!r} has no members", loc=("callmanager_groups", group)
                )
            if len(set(members)) != len(members):
                raise Invalid(
                    f"CallManager group {group!r} lists a node twice",
                    loc=("callmanager_groups", group),
                )
            for index, member in enumerate(members):
                if member not in names:
                    raise Invalid(
                        f"{member!r} is not a node of this inventory",
                        did_you_mean(member, sorted(names))
                        or "list it under nodes: with its name and address",
                        loc=("callmanager_groups", group, index),
                    )
        return self

    @property
    def publisher(self) -> Node:
        return next(node for node in self.nodes if node.role is Role.PUBLISHER)

    def node(self, name: str) -> Node | None:
        return next((node for node in self.nodes if node.name == name), None)


def _unique(nodes: list[Node], what: str, key: Callable[[Node], str | None]) -> None:
    seen: dict[str, int] = {}
    for index, node in enumerate(nodes):
        value = key(node)
        if not value:
            continue
        if value in seen:
            raise Invalid(
                f"duplicate node {what} {getattr(node, what)!r}: also used by nodes[{seen[value]}]",
                f"each node needs its own {what}",
                loc=("nodes", index, what),
            )
        seen[value] = index
