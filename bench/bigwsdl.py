"""A synthetic WSDL the size of Cisco's AXL Toolkit schema (~3.7 MB, many complex types).

We do not have Cisco's AXLAPI.wsdl/AXLSoap.xsd; this stands in for it: devpack's own
AXL WSDL (so executeSQLQuery still works against the lab) plus, per object type, a
complex type with a few dozen fields, nested types, an enumeration, and
add/get/list/update/remove operations with their request/response elements.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.drivers.soap.axl import AXL_WSDL

VERBS = ("add", "get", "list", "update", "remove")
TOOLKIT_OBJECTS = 370  # object types that make the WSDL the Toolkit schema's size


def _object(index: int, fields: int) -> tuple[str, list[str]]:
    name = f"Obj{index:04d}"
    enum = "".join(f'<xsd:enumeration value="Value {v}"/>' for v in range(12))
    members = []
    for f in range(fields):
        kind = f % 5
        if kind == 0:
            members.append(f'<xsd:element name="field{f}" type="xsd:string" minOccurs="0"/>')
        elif kind == 1:
            members.append(f'<xsd:element name="field{f}" type="axl:{name}Enum" minOccurs="0"/>')
        elif kind == 2:
            members.append(f'<xsd:element name="field{f}" type="xsd:unsignedInt" minOccurs="0"/>')
        elif kind == 3:
            other = f"Obj{max(index - 1, 0):04d}"
            members.append(
                f'<xsd:element name="field{f}" type="axl:X{other}" minOccurs="0" '
                'maxOccurs="unbounded"/>'
            )
        else:
            members.append(
                f'<xsd:element name="field{f}" minOccurs="0"><xsd:complexType><xsd:sequence>'
                '<xsd:element name="uuid" type="xsd:string"/>'
                '<xsd:element name="name" type="xsd:string"/>'
                "</xsd:sequence></xsd:complexType></xsd:element>"
            )
    types = [
        f'<xsd:simpleType name="{name}Enum"><xsd:restriction base="xsd:string">{enum}'
        "</xsd:restriction></xsd:simpleType>",
        f'<xsd:complexType name="X{name}"><xsd:sequence>{"".join(members)}</xsd:sequence>'
        '<xsd:attribute name="uuid" type="xsd:string"/></xsd:complexType>',
    ]
    for verb in VERBS:
        op = f"{verb}{name}"
        types.append(
            f'<xsd:element name="{op}"><xsd:complexType><xsd:sequence>'
            f'<xsd:element name="{name[0].lower()}{name[1:]}" type="axl:X{name}"/>'
            "</xsd:sequence></xsd:complexType></xsd:element>"
            f'<xsd:element name="{op}Response"><xsd:complexType><xsd:sequence>'
            f'<xsd:element name="return" type="axl:X{name}" minOccurs="0" '
            'maxOccurs="unbounded"/></xsd:sequence></xsd:complexType></xsd:element>'
        )
    return "\n".join(types), [f"{verb}{name}" for verb in VERBS]


def write_big_wsdl(path: Path, objects: int = TOOLKIT_OBJECTS, fields: int = 48) -> Path:
    text = AXL_WSDL.read_text()
    schema, messages, ports, bindings = [], [], [], []
    for index in range(objects):
        types, operations = _object(index, fields)
        schema.append(types)
        for op in operations:
            messages.append(
                f'<wsdl:message name="{op}In"><wsdl:part name="request" element="axl:{op}"/>'
                f'</wsdl:message><wsdl:message name="{op}Out"><wsdl:part name="response" '
                f'element="axl:{op}Response"/></wsdl:message>'
            )
            ports.append(
                f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}In"/>'
                f'<wsdl:output message="tns:{op}Out"/></wsdl:operation>'
            )
            bindings.append(
                f'<wsdl:operation name="{op}"><soap:operation soapAction="CUCM:DB ver=12.5 '
                f'{op}" style="document"/><wsdl:input><soap:body use="literal"/></wsdl:input>'
                '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
            )
    text = text.replace("    </xsd:schema>", "\n".join(schema) + "\n    </xsd:schema>", 1)
    text = re.sub(r"(\s*<wsdl:portType )", "\n" + "\n".join(messages) + r"\1", text, count=1)
    text = text.replace("  </wsdl:portType>", "\n".join(ports) + "\n  </wsdl:portType>", 1)
    text = text.replace("  </wsdl:binding>", "\n".join(bindings) + "\n  </wsdl:binding>", 1)
    path.write_text(text)
    return path
