"""Read YAML while remembering where every key and value came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)

from orchestrator.config.errors import ConfigError
from orchestrator.config.userfile import MAX_YAML_BYTES, read_user_file

# Devpack's files are a few levels deep; this leaves room and stays far from Python's
# recursion limit in the YAML composer and in _plain.
MAX_DEPTH = 32
# Values aliases may add to a document; an inventory has hundreds of values at most.
MAX_ALIAS_EXPANSION = 10_000
# Values in a document, aliases expanded. ruamel parses some 10,000 values a second, so
# this also bounds the time a huge file can take before it is refused.
MAX_VALUES = 20_000

Loc = Sequence[str | int]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: plain data for validation, the ruamel tree for line numbers."""

    path: Path
    display: str
    data: Any
    tree: Any

    @property
    def base_dir(self) -> Path:
        return self.path.resolve().parent

    def line_of(self, loc: Loc) -> int | None:
        """1-based line of the deepest node of ``loc`` that exists in the file.

        A missing field points at the mapping that should hold it; an unknown key
        points at the key itself; anything else at its value.
        """
        node = self.tree
        line = _start_line(node)
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                child = node[part]
                # A nested block starts on the line after its key; the key's line is
                # what the user looks for.
                try:
                    row = node.lc.value(part)[0] if _is_scalar(child) else node.lc.key(part)[0]
                except (KeyError, TypeError):  # merged in by `<<: *alias`: no line of its own
                    break
                line, node = row + 1, child
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, node = node.lc.item(part)[0] + 1, node[part]
            else:
                break
        return line

    def key_line(self, loc: Loc) -> int | None:
        """1-based line of the last key of ``loc`` (for unknown keys)."""
        *parents, last = loc
        node = self.tree
        for part in parents:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return self.line_of(parents)
        if isinstance(node, CommentedMap) and last in node:
            try:
                return node.lc.key(last)[0] + 1
            except (KeyError, TypeError):  # merged in by `<<: *alias`
                pass
        return self.line_of(parents)


def _is_scalar(node: Any) -> bool:
    return not isinstance(node, CommentedMap | CommentedSeq)


def _start_line(node: Any) -> int | None:
    if isinstance(node, CommentedMap | CommentedSeq):
        return node.lc.line + 1
    return None


def _plain(node: Any) -> Any:
    """ruamel's round-trip types -> plain Python, so pydantic sees ordinary values."""
    if isinstance(node, CommentedMap):
        return {_plain(key): _plain(value) for key, value in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(item) for item in node]
    if isinstance(node, bool):
        return node
    if isinstance(node, datetime):
        return datetime.fromisoformat(node.isoformat())
    if isinstance(node, date):
        return date.fromisoformat(node.isoformat())
    # ScalarBoolean subclasses int, so ask ruamel's type name before int().
    if type(node).__name__ == "ScalarBoolean":
        return bool(node)
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def display_name(path: Path) -> str:
    """The path as the user would recognise it: relative to the cwd when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a symlink loop
        return str(path)


def load_yaml(path: str | Path) -> YamlDocument:
    """Parse ``path``; every failure is a ConfigError with the file and line."""
    path = Path(path)
    shown = display_name(path)
    text = read_user_file(
        path, MAX_YAML_BYTES, shown, "check the path (it is relative to the current directory)"
    )
    yaml = YAML(typ="rt")
    try:
        _check_shape(yaml, text, shown)
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ConfigError(
            shown,
            line,
            None,
            f"YAML syntax error: {problem or 'cannot parse'}",
            "check indentation, colons and quotes on this line or the one above",
        ) from None
    except YAMLError as exc:
        raise ConfigError(shown, None, None, f"YAML syntax error: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # ruamel's own constructors (timestamps, !!binary, ...) on values it tokenized
        raise ConfigError(
            shown,
            None,
            None,
            f"YAML value cannot be read: {exc}",
            "quote the value to make it text",
        ) from None

    if tree is None:
        raise ConfigError(shown, None, None, "file is empty", "see the example files")
    if not isinstance(tree, CommentedMap):
        raise ConfigError(
            shown,
            _start_line(tree) or 1,
            None,
            f"expected a mapping of keys to values at the top level, got {_kind(tree)}",
        )
    return YamlDocument(path=path, display=shown, data=_plain(tree), tree=tree)


def _check_shape(yaml: YAML, text: str, shown: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and aliases that expand to more than
    MAX_ALIAS_EXPANSION values ("billion laughs"), from the event stream alone: the
    parser is not recursive and nothing is built yet."""
    _check_flow_depth(text, shown)
    depth = 0
    sizes: dict[str, int] = {}  # anchor -> values it stands for, once complete
    open_collections: list[tuple[str | None, int]] = []  # anchor, total when it opened
    total = expanded = 0

    def refuse(event: Any, message: str, hint: str) -> ConfigError:
        mark = getattr(event, "start_mark", None)
        return ConfigError(shown, mark.line + 1 if mark is not None else None, None, message, hint)

    for event in yaml.parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise refuse(
                    event,
                    f"nested more than {MAX_DEPTH} levels deep",
                    "devpack files are a few levels deep; check the indentation",
                )
            total += 1
            open_collections.append((event.anchor, total))
            if total > MAX_VALUES:
                raise refuse(
                    event,
                    f"has more than {MAX_VALUES} values",
                    "devpack files are much smaller; check that this is the right file",
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
            anchor, opened_at = open_collections.pop()
            if anchor is not None:
                sizes[anchor] = total - opened_at + 1
        elif isinstance(event, ScalarEvent):
            total += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
            if total > MAX_VALUES:
                raise refuse(
                    event,
                    f"has more than {MAX_VALUES} values",
                    "devpack files are much smaller; check that this is the right file",
                )
        elif isinstance(event, AliasEvent):
            if event.anchor not in sizes:
                if any(anchor == event.anchor for anchor, _ in open_collections):
                    raise refuse(
                        event,
                        f"alias *{event.anchor} refers to a value that contains it",
                        "write the value out instead",
                    )
                continue  # an undefined alias: the composer reports it with its line
            total += sizes[event.anchor]
            expanded += sizes[event.anchor]
            if expanded > MAX_ALIAS_EXPANSION or total > MAX_VALUES:
                raise refuse(
                    event,
                    f"aliases expand to more than {MAX_ALIAS_EXPANSION} values",
                    "write the values out, or use fewer aliases",
                )


def _check_flow_depth(text: str, shown: str) -> None:
    """ruamel's scanner slows down quadratically on deeply nested [ and {, so count them
    before it sees them (brackets inside quoted text count too: no real value has more
    than MAX_DEPTH of them open)."""
    depth = 0
    for line_number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            if char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(
                        shown,
                        line_number,
                        None,
                        f"nested more than {MAX_DEPTH} levels deep",
                        "devpack files are a few levels deep; check the brackets",
                    )
            elif char in "]}":
                depth = max(0, depth - 1)


def _kind(node: Any) -> str:
    if isinstance(node, list):
        return "a list"
    return f"a {type(node).__name__}"
