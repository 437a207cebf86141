"""SOAP artefacts shared by the lab's HTTPS servers and the zeep clients.

The WSDLs under ``wsdl/`` are written by this project (not Cisco's): they describe only
the few operations devpack uses, with the same element names, namespaces and
SOAPActions as the real services, so the request bytes match what a real node expects.
"""

from __future__ import annotations

from pathlib import Path

WSDL_DIR = Path(__file__).with_name("wsdl")
AXL_WSDL = WSDL_DIR / "axl.wsdl"
CONTROL_CENTER_WSDL = WSDL_DIR / "controlcenter.wsdl"
RISPORT_WSDL = WSDL_DIR / "risport70.wsdl"

AXL_VERSION = "12.5"
AXL_NS_PREFIX = "http://www.cisco.com/AXL/API/"
AXL_NS = AXL_NS_PREFIX + AXL_VERSION
AXL_SERVICE_NS = "http://www.cisco.com/AXLAPIService/"
AXL_BINDING = f"{{{AXL_SERVICE_NS}}}AXLAPIBinding"
AST_NS = "http://schemas.cisco.com/ast/soap"
CONTROL_CENTER_BINDING = f"{{{AST_NS}}}ControlCenterServicesBinding"
RISPORT_BINDING = f"{{{AST_NS}}}RisBinding"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
