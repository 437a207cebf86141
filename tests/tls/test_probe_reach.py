"""tls/probe.py opens devpack's one unverified TLS connection (CERT_NONE), to show
`devpack trust` an untrusted node's certificate. Only the trust display reaches it: no
module of the run path (plan, run, resume, fleet, audit, the drivers) imports it, and
no other module turns TLS verification off."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import orchestrator

PACKAGE = Path(orchestrator.__file__).parent
PROBE = "orchestrator.tls.probe"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@functools.cache
def _trees() -> dict[str, ast.AST]:
    return {_module(p): ast.parse(p.read_text(), str(p)) for p in PACKAGE.rglob("*.py")}


def test_only_the_trust_command_imports_the_probe() -> None:
    trees = _trees()
    importers = {name for name, tree in trees.items() if PROBE in _imports(tree)}
    assert importers == {"orchestrator.tls.trust"}
    trust = {n for n, tree in trees.items() if "orchestrator.tls.trust" in _imports(tree)}
    assert trust == {"orchestrator.cli_trust"}


def test_no_other_module_turns_tls_verification_off() -> None:
    unverified: set[str] = set()
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "CERT_NONE":
                unverified.add(name)
            if (
                isinstance(node, ast.keyword)
                and node.arg == "verify"
                and isinstance(node.value, ast.Constant)
                and node.value.value is False
            ):
                unverified.add(name)
    assert unverified == {PROBE}


def test_the_run_path_does_not_load_the_probe() -> None:
    run_path = [
        "orchestrator.roll_out",
        "orchestrator.fleet",
        "orchestrator.app",
        "orchestrator.audit.gather",
        "orchestrator.tls.preflight",
        "orchestrator.engine.cluster",
        "orchestrator.cluster.pool",
        "orchestrator.report.service",
    ]
    code = (
        f"import sys\nfor name in {run_path!r}:\n    __import__(name)\n"
        f"print({PROBE!r} in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PACKAGE.parent,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
