"""Load YAML documents safely, remembering the line and column of every value.

The locations let later stages (schema, semantic checks) report `file:line:col` for any JSON path.
YAML 1.2 booleans only (`on:`/`yes:` stay strings), mapping keys are strings, timestamps stay
text (parsed where their meaning is known), duplicate keys are an error rather than a silent
overwrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, JsonPath


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (PyYAML's 1.1 resolver turns `on:` into True)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_STRING_TAGS = {"tag:yaml.org,2002:timestamp"}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_KINDS = {"list": "a list", "str": "text", "int": "a number", "float": "a number", "bool": "true/false"}


@dataclass
class Document:
    """A loaded YAML document: its data and where each JSON path sits in the file."""

    file: str
    data: Any
    positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: JsonPath, key: bool = False) -> tuple[int | None, int | None]:
        """Line/col of `path` (its key when `key`), else of its nearest located ancestor."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (None, None)
            path = path[:-1]

    def diag(self, code: str, message: str, path: JsonPath = (), key: bool = False) -> Diagnostic:
        """A diagnostic located at `path` in this document."""
        line, col = self.locate(path, key=key)
        return Diagnostic(code, message, self.file, line, col, tuple(path))


class _Builder:
    def __init__(self, doc: Document, loader: _Loader):
        self.doc = doc
        self.loader = loader
        self.problems: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        self.doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.CollectionNode) and node.tag not in _COLLECTION_TAGS:
            # scalars with a foreign tag fail in construct_object; collections must not pass silently
            raise yaml.constructor.ConstructorError(
                None, None, f"tag '{node.tag}' is not allowed: contracts are plain YAML", node.start_mark)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag in _STRING_TAGS:  # `2026-01-01T10:00:00Z:` keeps its text, not str(datetime)
                    key = key_node.value
                else:
                    key = _key_text(self.loader.construct_object(key_node, deep=True))
                child = (*path, key)
                if key in out:
                    self.problems.append(
                        Diagnostic(
                            "duplicate-key",
                            f"key '{key}' appears twice in this mapping; the second would silently win",
                            self.doc.file,
                            key_node.start_mark.line + 1,
                            key_node.start_mark.column + 1,
                            child,
                        )
                    )
                self.doc.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag in _STRING_TAGS:
            return node.value
        return self.loader.construct_object(node, deep=True)


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def load_text(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML document from `text`; never raises for a user's mistake."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Diagnostic("empty-file", "the file is empty; expected a YAML mapping", file, 1, 1)]
        doc = Document(file, None)
        builder = _Builder(doc, loader)
        doc.data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        context = exc.context
        if context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            # the parser notices an unclosed `[` or `{` only on a later line: say where it was opened
            context += f" (opened at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
        problem = ", ".join(p for p in (context, exc.problem) if p)
        return None, [Diagnostic("yaml-syntax", f"YAML syntax error: {problem}", file, line, col)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic("yaml-syntax", f"YAML error: {exc}", file, 1, 1)]
    finally:
        loader.dispose()
    if doc.data is None:  # `---` or `--- null`
        return None, [Diagnostic("empty-file", "the file is empty; expected a YAML mapping", file, 1, 1)]
    if not isinstance(doc.data, dict):
        kind = _KINDS.get(type(doc.data).__name__, type(doc.data).__name__)
        return None, [*builder.problems, doc.diag("not-a-mapping", f"expected a YAML mapping at the top, got {kind}")]
    return doc, builder.problems


def load_file(path: str | Path) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse a YAML file; a missing or unreadable file is a diagnostic, not a traceback."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Diagnostic("file-not-found", "no such file", name)]
    except IsADirectoryError:
        return None, [Diagnostic("file-not-found", "is a directory, expected a YAML file", name)]
    except UnicodeDecodeError as exc:
        return None, [Diagnostic("encoding", f"not UTF-8 text ({exc.reason} at byte {exc.start})", name)]
    except OSError as exc:
        return None, [Diagnostic("file-unreadable", exc.strerror or str(exc), name)]
    return load_text(text, name)
