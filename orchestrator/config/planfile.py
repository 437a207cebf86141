"""Reading a plan file given with ``--plan``: bounded, validated, and every value it
carries into a node's CLI or a path checked by the same rules as the inventory's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from orchestrator.config.errors import ConfigError, Invalid
from orchestrator.config.fields import MAX_NODE_NAME, check_printable, check_safe_name
from orchestrator.config.userfile import MAX_PLAN_BYTES, read_user_file
from orchestrator.errors import UserError
from orchestrator.planning.plan import Plan

FRESH_PLAN_HINT = "write one with devpack plan --output FILE"


def read_plan_file(plan_file: Path) -> Plan:
    """The plan in ``plan_file``, or a one-line error (exit 2) saying what is wrong."""
    text = read_user_file(plan_file, MAX_PLAN_BYTES, missing_hint=FRESH_PLAN_HINT)
    try:
        plan = Plan.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise UserError(
            f"{plan_file}: not a devpack plan: {detail}{more}".replace("\n", " "), FRESH_PLAN_HINT
        ) from None
    check_plan_values(plan_file, plan)
    return plan


def check_plan_values(plan_file: Path, plan: Plan) -> None:
    """What a plan carries into a node's CLI or a path passes the inventory's own checks."""
    checks: list[tuple[str, str, Callable[[str], str]]] = [
        ("cluster", plan.cluster, check_safe_name),
        ("cop_file", plan.cop_file, check_printable),
    ]
    checks += [(f"cop_files[{k}]", v, check_printable) for k, v in enumerate(plan.cop_files)]
    for i, stage in enumerate(plan.stages):
        checks.append((f"stages[{i}].name", stage.name, check_printable))
        for j, step in enumerate(stage.steps):
            at = f"stages[{i}].steps[{j}]"
            checks.append((f"{at}.id", step.id, check_printable))
            checks += [(f"{at}.nodes[{k}]", v, _node_name) for k, v in enumerate(step.nodes)]
            checks += [
                (f"{at}.services[{k}]", v, check_printable) for k, v in enumerate(step.services)
            ]
            checks += [(f"{at}.models[{k}]", v, check_printable) for k, v in enumerate(step.models)]
        checks += [
            (f"stages[{i}].skipped[{k}].node", skip.node, _node_name)
            for k, skip in enumerate(stage.skipped)
        ]
    for field, value, check in checks:
        try:
            check(value)
        except Invalid as exc:
            raise ConfigError(
                str(plan_file),
                None,
                field,
                exc.message,
                "write a fresh plan with devpack plan --output FILE",
            ) from None


def _node_name(value: str) -> str:
    return check_safe_name(value, MAX_NODE_NAME)
