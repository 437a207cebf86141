"""Turn a YAML file into a validated model, or into ConfigErrors with line numbers."""

from __future__ import annotations

import types
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from orchestrator.config.errors import ConfigError, Invalid, did_you_mean
from orchestrator.config.fields import Origin, StrictModel
from orchestrator.config.inventory import Inventory
from orchestrator.config.playbook import Playbook
from orchestrator.config.secrets import SecretRef
from orchestrator.config.yamlfile import YamlDocument, load_yaml

M = TypeVar("M", bound=BaseModel)


def load_inventory(path: str | Path) -> Inventory:
    return load_model(path, Inventory)


def load_playbook(path: str | Path) -> Playbook:
    return load_model(path, Playbook)


def load_model(path: str | Path, model: type[M]) -> M:
    """Load ``path`` as ``model``; raise ConfigError (never anything else) on bad input."""
    doc = load_yaml(path)
    try:
        result = model.model_validate(doc.data, context={"base_dir": doc.base_dir})
    except ValidationError as exc:
        problems = [to_config_error(doc, model, error) for error in exc.errors()]
        problems.sort(key=lambda p: p.line or 0)
        first, *rest = problems
        raise ConfigError(
            first.file, first.line, first.field, first.message, first.hint, more=rest
        ) from None
    _locate_secrets(doc, result, ())
    if isinstance(result, StrictModel):
        result._source = Origin(doc)
    return result


def field_path(loc: Sequence[str | int]) -> str:
    """('nodes', 2, 'address') -> 'nodes[2].address'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def to_config_error(doc: YamlDocument, model: type[BaseModel], error: ErrorDetails) -> ConfigError:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    kind = error["type"]
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    value = error.get("input")
    if isinstance(cause, Invalid):
        loc = loc + cause.loc
        return ConfigError(
            doc.display, doc.line_of(loc), field_path(loc) or None, cause.message, cause.hint
        )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(model, loc[:-1])
        hint = did_you_mean(key, allowed) if allowed else None
        if hint is None and allowed:
            hint = f"allowed here: {', '.join(allowed)}"
        return ConfigError(
            doc.display, doc.key_line(loc), field_path(loc), f"unknown key {key!r}", hint
        )
    if kind == "missing":
        return ConfigError(
            doc.display,
            doc.line_of(loc),
            field_path(loc),
            "is required but missing",
            _describe(model, loc),
        )
    message, hint = _message(kind, value, ctx, error["msg"])
    return ConfigError(doc.display, doc.line_of(loc), field_path(loc) or None, message, hint)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (empty value)"
    return _show(value)


def _message(kind: str, value: Any, ctx: dict[str, Any], default: str) -> tuple[str, str | None]:
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"{_show(value)} is not a whole number", None
    if kind in {"float_type", "float_parsing"}:
        return f"{_show(value)} is not a number", None
    if kind == "finite_number":
        return f"{_show(value)} is not a finite number", "give a number of seconds"
    if kind in {"path_type", "path_parsing"}:
        return f"expected a file path, got {_kind(value)}", "write the path as text"
    if kind in {"string_too_long", "too_long"}:
        return "is too long", f"at most {ctx.get('max_length')} allowed"
    if kind in {"bool_type", "bool_parsing"}:
        return f"{_show(value)} is not true or false", None
    if kind == "string_type":
        return f"expected text, got {_kind(value)}", None
    if kind == "list_type":
        return f"expected a list, got {_kind(value)}", "write one item per line, each after '- '"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"expected a mapping of keys to values, got {_kind(value)}", None
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        sign = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(v for k, v in ctx.items() if k in {"ge", "gt", "le", "lt"}))
        return f"{_show(value)} is out of range", f"it must be {sign} {bound}"
    if kind in {"too_short", "string_too_short"}:
        return "must not be empty", None
    if kind == "enum":
        expected = ctx.get("expected", "")
        choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else None
        return f"{_show(value)} is not one of {expected}", hint
    if kind.startswith("datetime"):
        return f"{_show(value)} is not a date and time", "e.g. 2026-11-28T01:00:00+01:00"
    return default, None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> Any:
    """The type expected at ``loc`` inside ``model``, or None when we cannot tell."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) in (list, tuple, set, frozenset):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    return _unwrap(current)


def _allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    found = _model_at(model, loc)
    if isinstance(found, type) and issubclass(found, BaseModel):
        return list(found.model_fields)
    return []


def _describe(model: type[BaseModel], loc: Sequence[str | int]) -> str | None:
    parent = _model_at(model, loc[:-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        field = parent.model_fields.get(str(loc[-1]))
        if field is not None and field.description:
            return field.description
    return None


def _locate_secrets(doc: YamlDocument, value: Any, loc: tuple[str | int, ...]) -> None:
    """Tell each SecretRef where it was written, for resolution errors."""
    if isinstance(value, SecretRef):
        value.locate(doc.display, doc.line_of(loc), field_path(loc))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _locate_secrets(doc, getattr(value, name), (*loc, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _locate_secrets(doc, item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            _locate_secrets(doc, item, (*loc, key))
