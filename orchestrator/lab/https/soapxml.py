"""SOAP 1.1 envelopes for the lab's endpoints: safe parsing and escaped building."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from lxml import etree

from orchestrator.soap import SOAP_ENV_NS

if TYPE_CHECKING:
    from orchestrator.lab.nodes import Node
    from orchestrator.lab.world import World

XML_TYPE = "text/xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

# Requests come from the network: no entity expansion, no network access, no huge trees.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)


class SoapParseError(ValueError):
    """The request body is not a SOAP envelope with one body element."""


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = XML_TYPE
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    """One HTTP request as the endpoint handlers see it."""

    world: World
    node: Node
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str  # peer address, the key of per-client limits


def parse_body(data: bytes) -> etree._Element:
    """The first element inside ``Envelope/Body``."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapParseError(f"request is not well-formed XML: {exc}") from exc
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise SoapParseError("request is not a SOAP 1.1 envelope")
    body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if body is None or len(body) == 0:
        raise SoapParseError("SOAP envelope has no body element")
    return body[0]


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def child(element: etree._Element | None, name: str) -> etree._Element | None:
    """First child by local name, whatever its namespace (clients differ in qualification)."""
    if element is None:
        return None
    for item in element:
        if isinstance(item.tag, str) and local(item) == name:
            return item
    return None


def children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [e for e in element if isinstance(e.tag, str) and local(e) == name]


def text(element: etree._Element | None, name: str, default: str = "") -> str:
    found = child(element, name)
    if found is None or found.text is None:
        return default
    return found.text.strip()


def envelope(payload: etree._Element) -> bytes:
    root = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soapenv": SOAP_ENV_NS})
    body = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Body")
    body.append(payload)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sub(parent: etree._Element, tag: str, value: object | None = None) -> etree._Element:
    """Append a child; lxml escapes the text, so values from the world are safe."""
    element = etree.SubElement(parent, tag)
    if value is not None:
        element.text = str(value)
    return element


def fault(
    faultstring: str,
    faultcode: str = "soapenv:Server",
    detail: etree._Element | None = None,
    status: int = 500,
) -> Reply:
    root = etree.Element(f"{{{SOAP_ENV_NS}}}Fault", nsmap={"soapenv": SOAP_ENV_NS})
    sub(root, "faultcode", faultcode)
    sub(root, "faultstring", faultstring)
    if detail is not None:
        holder = sub(root, "detail")
        holder.append(detail)
    return Reply(status, envelope(root))


def items(parent: etree._Element, tag: str, values: Iterable[object]) -> None:
    for value in values:
        sub(parent, tag, value)


def html_page(status: int, title: str, message: str) -> Reply:
    body = (
        f"<html><head><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>"
    )
    return Reply(status, body.encode(), HTML_TYPE)
