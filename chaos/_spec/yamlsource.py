"""YAML documents with their node trees, so every value can be traced back to file:line:col.

Only safe YAML: the safe loader's tags, no object construction. Syntax errors, duplicate keys
(which YAML would silently resolve to the last one), and alias bombs become diagnostics, never
tracebacks.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from chaos._errors import Diagnostic
from chaos._spec.base import key_path

MAX_FILE_BYTES = 1_000_000
"""Experiments and system definitions are hand-written: a bigger file is a mistake."""

MAX_VALUES = 100_000
"""Values a file may expand to through aliases (a 'billion laughs' file expands to 10^9)."""

_WHOLE_FILE = 0
"""Line of a diagnostic about the whole file."""


@dataclass(frozen=True)
class Document:
    """One parsed YAML document: its data, the node tree it came from, and its lint problems."""

    path: str
    data: Any
    node: yaml.Node
    problems: tuple[Diagnostic, ...] = ()

    def node_at(self, loc: Sequence[str | int]) -> tuple[yaml.Node, list[str | int]]:
        """The deepest node along `loc` and the parts of `loc` that led to it.

        Items of `loc` that the YAML does not have (a union's tag, a default) are skipped, so
        the node is the nearest thing the user wrote.
        """
        node = self.node
        matched: list[str | int] = []
        for part in loc:
            child = _child(node, part)
            if child is not None:
                node = child
                matched.append(part)
        return node, matched

    def locate(self, loc: Sequence[str | int]) -> tuple[int, int, list[str | int]]:
        """Line, column (1-based) and the matched path of the deepest node along `loc`."""
        node, matched = self.node_at(loc)
        return node.start_mark.line + 1, node.start_mark.column + 1, matched

    def key_position(self, loc: Sequence[str | int], key: str | int) -> tuple[int, int] | None:
        """Where the key `key` of the mapping at `loc` is written, if it is."""
        node, matched = self.node_at(loc)
        if len(matched) != len(loc) or not isinstance(node, yaml.MappingNode):
            return None
        for key_node, _ in node.value:
            if _is_key(key_node, key):
                return key_node.start_mark.line + 1, key_node.start_mark.column + 1
        return None

    def key_text(self, loc: Sequence[str | int], key: str | int) -> str | None:
        """The key `key` of the mapping at `loc` as written (`on` for a key YAML read as true)."""
        node, matched = self.node_at(loc)
        if len(matched) == len(loc) and isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if _is_key(key_node, key):
                    return str(key_node.value)
        return None

    def written(self, loc: Sequence[str | int]) -> str | None:
        """The scalar at `loc` exactly as written (quotes kept), or None if it is not one."""
        node, matched = self.node_at(loc)
        if len(matched) != len(loc) or not isinstance(node, yaml.ScalarNode):
            return None
        quote = {"'": "'", '"': '"'}.get(node.style or "", "")
        return f"{quote}{node.value}{quote}"


def _is_key(key_node: yaml.Node, part: str | int) -> bool:
    if not isinstance(key_node, yaml.ScalarNode):
        return False
    if key_node.value == str(part) and not isinstance(part, bool):
        return True
    # A key YAML resolved to a bool or a number (`on:`, `1:`) is matched by its value.
    if isinstance(part, bool | int | float) and not key_node.tag.endswith(":str"):
        try:
            return bool(
                SafeConstructor().construct_object(key_node) == part
                and type(SafeConstructor().construct_object(key_node)) is type(part)
            )
        except yaml.YAMLError:
            return False
    return False


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if _is_key(key_node, part):
                return value_node  # type: ignore[no-any-return]
    elif (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def python_document(path: str, data: Any, line: int = 1) -> Document:
    """Data given from Python as a document, so it meets the same diagnostics as a file's:
    every problem is placed at `path:line` (the call that gave it) with its key path."""
    mark = yaml.Mark(path, 0, line - 1, -1, None, 0)
    return Document(path, data, _node(data, mark))


_TAG = "tag:yaml.org,2002:"


def _node(value: Any, mark: yaml.Mark) -> yaml.Node:
    if isinstance(value, dict):
        pairs = [(_node(k, mark), _node(v, mark)) for k, v in value.items()]
        return yaml.MappingNode(f"{_TAG}map", pairs, mark, mark)
    if isinstance(value, list | tuple):
        return yaml.SequenceNode(f"{_TAG}seq", [_node(v, mark) for v in value], mark, mark)
    if isinstance(value, bool):
        return yaml.ScalarNode(f"{_TAG}bool", str(value).lower(), mark, mark)
    if isinstance(value, int):
        return yaml.ScalarNode(f"{_TAG}int", str(value), mark, mark)
    if isinstance(value, float):
        return yaml.ScalarNode(f"{_TAG}float", repr(value), mark, mark)
    if value is None:
        return yaml.ScalarNode(f"{_TAG}null", "null", mark, mark)
    return yaml.ScalarNode(f"{_TAG}str", str(value), mark, mark)


class YamlProblem(Exception):
    """The file cannot be read as YAML at all; carries the one diagnostic that says why."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def read_text(path: Path) -> str:
    """The file's text; a YamlProblem saying why if it cannot be: missing, a dangling link or
    a link loop, not a regular file (a directory, a FIFO, a device), unreadable, too big,
    binary or not UTF-8. A FIFO or device is never opened (reading one would block or never
    end)."""
    shown = str(path)
    reason = not_a_regular_file(path)
    if reason is not None:
        hint = (
            "rename it: only files are experiments (the files in it are searched as usual)"
            if reason.startswith("it is a directory")
            else None
        )
        raise YamlProblem(
            Diagnostic(shown, _WHOLE_FILE, 0, f"cannot read the file: {reason}", hint=hint)
        )
    try:
        # O_NONBLOCK: if the file became a FIFO since it was looked at, opening it does not
        # wait for a writer; fstat below then refuses it.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags)
    except OSError as error:
        raise YamlProblem(_open_problem(path, error)) from None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            reason = f"it is {_kind(status.st_mode)}, not a regular file"
            raise YamlProblem(Diagnostic(shown, _WHOLE_FILE, 0, f"cannot read the file: {reason}"))
        if status.st_size > MAX_FILE_BYTES:
            raise YamlProblem(_too_big(shown))
        try:
            raw = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise YamlProblem(
                Diagnostic(shown, _WHOLE_FILE, 0, f"cannot read the file: {error.strerror}")
            ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise YamlProblem(_too_big(shown))
    return decode(shown, raw)


def not_a_regular_file(path: Path) -> str | None:
    """Why `path` cannot be read as an experiment file, in words, or None when it is a regular
    file (or a link to one). Looks without opening, so a FIFO or a device is never read."""
    try:
        status = os.stat(path)
    except OSError as error:
        return _missing(path, error)
    if stat.S_ISREG(status.st_mode):
        return None
    kind = _kind(status.st_mode)
    if os.path.islink(path):
        return f"it is a symbolic link to {_link_target(path)}, which is {kind}, not a regular file"
    return f"it is {kind}, not a regular file"


def _missing(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return (
            f"it is a symbolic link to {_link_target(path)}, and following the links leads "
            "back to it (a symlink loop)"
        )
    if error.errno == errno.ENOENT and os.path.islink(path):
        return f"it is a symbolic link to {_link_target(path)}, which does not exist"
    if error.errno == errno.ENOENT:
        return "no such file"
    if error.errno == errno.ENOTDIR:
        return "no such file (a part of its path is a file, not a directory)"
    if error.errno == errno.EACCES:
        return "permission denied on a directory above it"
    return str(error.strerror or error).lower()


def _open_problem(path: Path, error: OSError) -> Diagnostic:
    shown = str(path)
    if error.errno in (errno.EACCES, errno.EPERM):
        try:
            mode = stat.filemode(os.stat(path).st_mode)
        except OSError:
            mode = "unknown"
        return Diagnostic(
            shown,
            _WHOLE_FILE,
            0,
            f"cannot read the file: permission denied (its mode is {mode})",
            hint=f"make it readable: chmod u+r {shown}",
        )
    reason = _missing(path, error)
    return Diagnostic(shown, _WHOLE_FILE, 0, f"cannot read the file: {reason}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "something"


def _too_big(shown: str) -> Diagnostic:
    return Diagnostic(
        shown,
        _WHOLE_FILE,
        0,
        f"the file is larger than {MAX_FILE_BYTES:,} bytes; an experiment or system "
        "definition is a small hand-written file",
    )


_BOMS = (
    # Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode(path: str, raw: bytes) -> str:
    """UTF-8 text of a file's bytes (a UTF-8 byte-order mark is dropped). Text in another
    encoding is named as such (UTF-16 is not "binary"); an invalid byte is located."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    encoding = _other_unicode(raw)
    if encoding is not None:
        raise YamlProblem(
            Diagnostic(
                path,
                _WHOLE_FILE,
                0,
                f"the file is encoded as {encoding}; chaos-arena reads UTF-8 only",
                hint="save it as UTF-8 (your editor's 'save with encoding', or "
                f"iconv -f {encoding.split()[0]} -t UTF-8 {path} > converted.yaml)",
            )
        )
    if b"\x00" in raw:
        raise YamlProblem(
            Diagnostic(path, _WHOLE_FILE, 0, "this is a binary file, not a YAML experiment")
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlProblem(_not_utf8(path, raw, error)) from None


def _other_unicode(raw: bytes) -> str | None:
    """'UTF-16' (or UTF-32) when the bytes are text in that encoding: a byte-order mark, or
    (without one) the zero bytes every other byte that ASCII text in UTF-16 has."""
    for mark, encoding in _BOMS:
        if raw.startswith(mark):
            return encoding
    sample = raw[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    for order, high, low in (("LE", odd, even), ("BE", even, odd)):
        if high.count(0) >= 0.9 * len(high) and 0 not in low:
            return f"UTF-16 ({order}, without a byte-order mark)"
    return None


def _not_utf8(path: str, raw: bytes, error: UnicodeDecodeError) -> Diagnostic:
    """Where the first byte that is not UTF-8 is, and what the encoding probably is."""
    before = raw[: error.start]
    line_start = before.rfind(b"\n") + 1
    line = before.count(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    byte = raw[error.start]
    return Diagnostic(
        path,
        line,
        column,
        f"the file is not UTF-8 text: byte 0x{byte:02x} cannot start or continue a UTF-8 "
        "character (the file is probably in a legacy encoding such as Latin-1 or "
        "Windows-1252)",
        hint="save it as UTF-8",
    )


def parse_documents(path: str, text: str) -> list[Document]:
    """Every non-empty document in the text, safely constructed; fatal problems raise YamlProblem.

    Duplicate keys are not fatal: they are returned in each document's `problems`.
    """
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        raise YamlProblem(_syntax_error(path, error)) from None
    except yaml.reader.ReaderError as error:
        line, column = _position(text, error.position)
        raise YamlProblem(
            Diagnostic(
                path,
                line,
                column,
                f"the file contains a character YAML does not allow ({error.character!r})",
            )
        ) from None
    except yaml.YAMLError as error:
        raise YamlProblem(Diagnostic(path, _WHOLE_FILE, 0, f"YAML error: {error}")) from None
    except RecursionError:
        raise YamlProblem(
            Diagnostic(path, _WHOLE_FILE, 0, "the file nests values too deeply")
        ) from None
    return [_document(path, node) for node in nodes if node is not None]


def _document(path: str, node: yaml.Node) -> Document:
    _check_size(path, node)
    # Before construction: the constructor flattens merge keys (`<<:`) into the node tree.
    problems = tuple(_duplicate_keys(path, node))
    try:
        data = SafeConstructor().construct_document(node)
    except yaml.MarkedYAMLError as error:
        raise YamlProblem(_constructor_error(path, error)) from None
    except RecursionError:
        raise YamlProblem(
            Diagnostic(path, _WHOLE_FILE, 0, "the file nests values too deeply")
        ) from None
    return Document(path, data, node, problems)


def _syntax_error(
    path: str, error: yaml.MarkedYAMLError, prefix: str = "YAML syntax error"
) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else _WHOLE_FILE
    column = mark.column + 1 if mark else 0
    problem = error.problem or "invalid YAML"
    context = ""
    if error.context:
        start = error.context_mark
        # The cause is often where the construct began (an unclosed `{`), not where it broke.
        where = f" started on line {start.line + 1}" if start and start.line + 1 != line else ""
        context = f" ({error.context}{where})"
    return Diagnostic(path, line, column, f"{prefix}: {problem}{context}")


def _constructor_error(path: str, error: yaml.MarkedYAMLError) -> Diagnostic:
    tag = re.search(r"tag '([^']+)'", error.problem or "")
    if tag is None:
        return _syntax_error(path, error, prefix="unsupported YAML")
    shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
    located = _syntax_error(path, error)
    return Diagnostic(
        path,
        located.line,
        located.column,
        f"the YAML tag {shown} is not allowed: experiment files hold plain values "
        "(safe YAML), never objects",
        hint="remove the tag",
    )


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _check_size(path: str, root: yaml.Node) -> None:
    """Refuse recursive aliases and files that expand to more than MAX_VALUES values."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            visiting.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[id(node)] > MAX_VALUES:
                raise YamlProblem(
                    Diagnostic(
                        path,
                        root.start_mark.line + 1,
                        1,
                        f"the document expands to more than {MAX_VALUES:,} values through YAML "
                        "aliases",
                    )
                )
            continue
        if id(node) in sizes:
            continue
        if id(node) in visiting:
            raise YamlProblem(
                Diagnostic(
                    path,
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    "a YAML alias refers to a value that contains it (a recursive structure)",
                )
            )
        visiting.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _duplicate_keys(path: str, root: yaml.Node) -> Iterator[Diagnostic]:
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, list[str | int]]] = [(root, [])]
    while stack:
        node, where = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, [*where, index]) for index, item in enumerate(node.value))
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            stack.append((value_node, [*where, key_node.value]))
            if key_node.tag.endswith(":merge"):
                continue
            marker = (key_node.tag, key_node.value)
            line = key_node.start_mark.line + 1
            if marker in first:
                yield Diagnostic(
                    path,
                    line,
                    key_node.start_mark.column + 1,
                    f"duplicate key {key_node.value!r}",
                    key_path([*where, key_node.value]),
                    hint=f"first written on line {first[marker]}; YAML would keep "
                    "only the last one",
                )
            else:
                first[marker] = line
