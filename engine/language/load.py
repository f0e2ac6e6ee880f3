"""Load YAML documents safely, remembering the line and column of every value.

The locations let later stages (schema, semantic checks) report `file:line:col` for any JSON path.
YAML 1.2 booleans only (`on:`/`yes:` stay strings), mapping keys are strings, timestamps stay
text (parsed where their meaning is known), duplicate keys are an error rather than a silent
overwrite.

A contract may come from anyone, so loading is bounded: at most `MAX_BYTES` of file, `MAX_NODES`
values once aliases are expanded (a "billion laughs" file is a few lines), `MAX_ALIASES` alias
uses and `MAX_DEPTH` levels of nesting, all checked while the YAML is composed, before anything
walks it recursively. Each limit, a control character and a byte that is not UTF-8 are located
diagnostics like any other mistake.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without LibYAML: the pure-Python loader only
    CParser = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from yaml.events import _Mark  # the pure-Python or the C loader's mark (both have .line, .column)
from engine.model.diagnostics import Diagnostic, JsonPath

MAX_BYTES = 1024 * 1024  # the largest seed contract is 43 kB
MAX_NODES = 50_000  # values (scalars, lists, mappings) once aliases are expanded; seed files have < 3,000
MAX_ALIASES = 1_000  # uses of `*anchor`; the seed contracts use none
MAX_DEPTH = 64  # levels of nesting once aliases are expanded; seed files reach 11


class LimitError(yaml.YAMLError):
    """A document over one of the loading limits, raised while composing and turned into a diagnostic."""

    def __init__(self, code: str, message: str, mark: _Mark | None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark


class _Limits(Composer):
    """A composer that counts values, alias uses and depth as it goes, aliases expanded.

    PyYAML composes `*a` as a second reference to the anchored node, so the node graph stays small
    while the tree it stands for (what the builder and every later stage walk) can be exponential
    or, with `&a [*a]`, infinite. Each anchored node's expanded size and height are recorded when
    it is complete; an alias adds them to the running totals, and an alias to an unfinished node
    (a recursive structure) is refused.
    """

    def __init__(self, *stream: str):
        super().__init__(*stream)
        self._values = 0  # values in the expanded tree so far
        self._aliases = 0
        self._depth = 0  # depth of the node being composed
        self._reach = 0  # deepest expanded level seen in the node being composed
        self._anchored: dict[int, tuple[int, int]] = {}  # id(anchored node) -> (expanded size, height)

    if TYPE_CHECKING:
        def peek_event(self) -> Any: ...

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # raises for an undefined alias
            return None if node is None else self._alias(node, event)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise LimitError("too-deep", f"nested more than {MAX_DEPTH} levels deep; a contract needs far fewer",
                             event.start_mark)
        before, outer = self._values, self._reach
        self._count(1, "too-large", f"more than {MAX_NODES:,} values; a contract needs far fewer", event.start_mark)
        self._reach = self._depth
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self._anchored[id(node)] = (self._values - before, self._reach - self._depth + 1)
        self._reach = max(outer, self._reach)
        self._depth -= 1
        return node

    def _alias(self, node: yaml.Node, event: yaml.AliasEvent) -> yaml.Node:
        """Account for `*anchor` as the whole value it stands for."""
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise LimitError("yaml-aliases", f"more than {MAX_ALIASES:,} uses of aliases (*name); "
                             "a contract needs few or none", event.start_mark)
        known = self._anchored.get(id(node))
        if known is None:
            raise LimitError("yaml-aliases", f"alias *{event.anchor} is used inside the value it names: "
                             "a recursive structure cannot be a contract", event.start_mark)
        size, height = known
        if self._depth + height > MAX_DEPTH:
            raise LimitError("too-deep", f"alias *{event.anchor} nests the document more than {MAX_DEPTH} levels deep",
                             event.start_mark)
        self._reach = max(self._reach, self._depth + height)
        self._count(size, "yaml-aliases", f"aliases expand the document to more than {MAX_NODES:,} values "
                    f"(*{event.anchor} stands for {size:,})", event.start_mark)
        return node

    def _count(self, n: int, code: str, message: str, mark: _Mark | None) -> None:
        self._values += n
        if self._values > MAX_NODES:
            raise LimitError(code, message, mark)


class _Loader(_Limits, yaml.SafeLoader):
    """The pure-Python loader: its error messages are the ones users see (`_parse`), and the only
    reader where PyYAML was built without LibYAML.

    LibYAML is the reference reader where it is present (PyYAML's wheels include it). The two
    differ on a few malformed inputs, found by tests/language/test_load.py's property test: a tab
    inside a plain scalar (`d\toc: 1`) and `?` inside a flow collection (`{d?oc: 1}`) are text to
    LibYAML and errors to PyYAML; a lone `?` at the end, or `{a: ,{b: c}}`, read differently. A
    document LibYAML refuses is always an error here."""


_FAST: Any = None
if CParser is not None:
    class _FastLoader(_Limits, CParser, SafeConstructor, Resolver):
        """The same composer over LibYAML's scanner and parser (about 12x faster on a contract):
        the same nodes, tags and marks on every file we have. A document it refuses is an error,
        worded by `_Loader` when that can say why."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            _Limits.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _FAST = _FastLoader

# YAML 1.2 booleans (PyYAML's 1.1 resolver turns `on:` into True), for both loaders
for _cls in (_Loader, _FAST) if _FAST is not None else (_Loader,):
    _cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_implicit_resolver(
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
                    key = _key_text(self._construct(key_node))
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
        return self._construct(node)

    def _construct(self, node: yaml.Node) -> Any:
        """PyYAML's value for a node; a number Python refuses to read (over 4,300 digits) is a limit."""
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError as exc:
            if "digits" in str(exc):
                raise LimitError("too-large", f"a number with more than {sys.get_int_max_str_digits():,} digits; "
                                 "write it in quotes if it is text", node.start_mark) from None
            raise LimitError("yaml-syntax", f"YAML syntax error: cannot read this value ({exc})", node.start_mark) from None


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def load_value(text: str, name: str = "<value>") -> tuple[Any, list[Diagnostic]]:
    """One YAML value of any kind (a `--param` value), under the same limits as a file; never raises.

    `yaml.safe_load` has none of them: `&a [*a]` is a list containing itself and 600 `[` raise
    RecursionError."""
    if not text.strip():
        return None, []
    doc, problems = _parse(text, name)
    return (doc.data if doc is not None else None), problems


def load_text(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML document from `text`; never raises for a user's mistake."""
    doc, problems = _parse(text, file)
    if doc is None:
        return None, problems
    if doc.data is None:  # `---` or `--- null`
        return None, [Diagnostic("empty-file", "the file is empty; expected a YAML mapping", file, 1, 1)]
    if not isinstance(doc.data, dict):
        kind = _KINDS.get(type(doc.data).__name__, type(doc.data).__name__)
        return None, [*problems, doc.diag("not-a-mapping", f"expected a YAML mapping at the top, got {kind}")]
    return doc, problems


def _parse(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """The YAML document in `text` with its positions, whatever its top-level kind."""
    problem = _text_problem(text, file)
    if problem is not None:
        return None, [problem]
    if _FAST is None:
        return _read(_Loader, text, file)
    doc, problems = _read(_FAST, text, file)
    if not any(p.code == "yaml-syntax" for p in problems):
        return doc, problems
    # LibYAML refused it: an error whatever PyYAML's parser thinks, in PyYAML's words when it has some
    _, pure = _read(_Loader, text, file)
    return None, [p for p in pure if p.code == "yaml-syntax"] or problems


def _read(loader_class: Any, text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Diagnostic("empty-file", "the file is empty; expected a YAML mapping", file, 1, 1)]
        doc = Document(file, None)
        builder = _Builder(doc, loader)
        doc.data = builder.build(node, ())
    except LimitError as exc:
        mark = exc.mark
        return None, [Diagnostic(exc.code, exc.message, file, mark.line + 1 if mark else None,
                                 mark.column + 1 if mark else None)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        context = exc.context
        if context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            # the parser notices an unclosed `[` or `{` only on a later line: say where it was opened
            context += f" (opened at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1})"
        detail = ", ".join(p for p in (context, exc.problem) if p)
        return None, [Diagnostic("yaml-syntax", f"YAML syntax error: {detail}", file, line, col)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic("yaml-syntax", f"YAML error: {exc}", file, 1, 1)]
    finally:
        loader.dispose()
    return doc, builder.problems


_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what PyYAML counts as a line break
_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "ESC", 0x7F: "DEL"}


def position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of `text[index]`, counted as PyYAML counts them (so they agree with
    every other diagnostic): its line breaks, a byte-order mark takes no column."""
    line, start = 1, 0
    for match in _BREAK.finditer(text, 0, index):
        line, start = line + 1, match.end()
    return line, index - start - text.count("\ufeff", start, index) + 1


def _text_problem(text: str, file: str) -> Diagnostic | None:
    """Too long, or holding a character YAML forbids (PyYAML would raise before it has a line)."""
    if len(text) > MAX_BYTES or (len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES):
        return Diagnostic("too-large", f"larger than {MAX_BYTES // 1024 ** 2} MiB; a contract needs far less", file, 1, 1)
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad is None:
        return None
    code = ord(bad.group())
    name = f" ({_NAMES[code]})" if code in _NAMES else ""
    line, col = position(text, bad.start())
    escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    how = "" if 0xD800 <= code <= 0xDFFF else f", or write it as \"{escape}\" inside double quotes"
    return Diagnostic("control-character", f"character U+{code:04X}{name} is not allowed in a YAML file; delete it{how}",
                      file, line, col)


def _decode(data: bytes, file: str) -> str | Diagnostic:
    """UTF-8 text, or an `encoding` diagnostic at the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")  # the first bad byte is at exc.start: all before it is valid
        line, col = position(before, len(before))
        return Diagnostic("encoding", f"not UTF-8 text: {exc.reason} (byte 0x{data[exc.start]:02X} at offset "
                          f"{exc.start}); save the file as UTF-8", file, line, col)


def load_file(path: str | Path, name: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse a YAML file; a missing, unreadable, too large or non-UTF-8 file is a diagnostic,
    not a traceback. `name` is how diagnostics call the file (default: `path` as given)."""
    name = str(path) if name is None else name
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)  # never more: the file may be huge, or endless (/dev/zero)
    except FileNotFoundError:
        return None, [Diagnostic("file-not-found", "no such file", name)]
    except IsADirectoryError:
        return None, [Diagnostic("file-not-found", "is a directory, expected a YAML file", name)]
    except OSError as exc:
        return None, [Diagnostic("file-unreadable", exc.strerror or str(exc), name)]
    if len(data) > MAX_BYTES:
        return None, [Diagnostic("too-large", f"larger than {MAX_BYTES // 1024 ** 2} MiB; a contract needs far less",
                                 name, 1, 1)]
    text = _decode(data, name)
    if isinstance(text, Diagnostic):
        return None, [text]
    return load_text(text, name)
