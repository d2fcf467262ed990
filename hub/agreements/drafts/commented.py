"""A YAML document with comments, written by hand: PyYAML keeps no comments, and a draft is
mostly comments — what to fill, and why.

A :class:`Block` is a mapping of :class:`Entry` (key, value, a note after it, lines above it)
and :class:`Comment` lines. Every scalar is written plain when PyYAML reads it back as the same
value, and JSON-quoted (valid YAML) otherwise, so the text always parses to what was meant.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import yaml

Scalar: TypeAlias = str | int | float | bool | None
Value: TypeAlias = "Scalar | list[Any] | Block"  # a list of scalars, or of blocks
INDENT = "  "


@dataclass
class Comment:
    """Lines of comment; an empty line stays a blank line."""

    lines: tuple[str, ...]


@dataclass
class Entry:
    key: str
    value: Value
    note: str = ""  # after the value (after the key, for a block written below it)
    above: tuple[str, ...] = ()  # comment lines above the entry
    flow: bool = False  # a block (or list of blocks) written on one line: {a: 1, b: 2}


@dataclass
class Block:
    items: list[Entry | Comment] = field(default_factory=list)

    def add(
        self,
        key: str,
        value: Value,
        note: str = "",
        above: Sequence[str] = (),
        flow: bool = False,
    ) -> Block:
        self.items.append(Entry(key, value, note, tuple(above), flow))
        return self

    def sub(self, key: str, note: str = "", above: Sequence[str] = ()) -> Block:
        """A new block under ``key``, returned for filling."""
        block = Block()
        self.add(key, block, note, above)
        return block

    def comment(self, *lines: str) -> Block:
        self.items.append(Comment(lines))
        return self

    def entry(self, key: str) -> Entry | None:
        return next((i for i in self.items if isinstance(i, Entry) and i.key == key), None)

    def keys(self) -> list[str]:
        return [item.key for item in self.items if isinstance(item, Entry)]


def scalar(value: Scalar, in_flow: bool = False) -> str:
    """``value`` as YAML text that reads back as exactly ``value``."""
    if not isinstance(value, str):
        return json.dumps(value)
    if value and value == value.strip() and "\n" not in value:
        try:
            back = yaml.safe_load(f"[{value}]" if in_flow else value)
        except yaml.YAMLError:
            back = None
        if back == ([value] if in_flow else value) and not value.startswith(("'", '"')):
            return value
    return json.dumps(value, ensure_ascii=False)


def key_text(key: str) -> str:
    if key and "\n" not in key:
        try:
            if yaml.safe_load(f"{key}: x") == {key: "x"}:
                return key
        except yaml.YAMLError:
            pass
    return json.dumps(key, ensure_ascii=False)


def _comment_lines(lines: Sequence[str], pad: str) -> list[str]:
    return [f"{pad}# {line}".rstrip() if line else "" for line in lines]


def _note(note: str) -> str:
    return f"  # {note}" if note else ""


def _flow(value: Value) -> str:
    if isinstance(value, Block):
        pairs = [
            f"{key_text(e.key)}: {_flow(e.value)}" for e in value.items if isinstance(e, Entry)
        ]
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value, in_flow=True)


def _entry_lines(entry: Entry, depth: int) -> list[str]:
    pad = INDENT * depth
    lines = _comment_lines(entry.above, pad)
    head = f"{pad}{key_text(entry.key)}:"
    value = entry.value
    if isinstance(value, Block) and not entry.flow:
        # A block of comments only is an empty mapping, its comments kept below it.
        head += "" if value.keys() else " {}"
        return [*lines, head + _note(entry.note), *block_lines(value, depth + 1)]
    if isinstance(value, list) and value and isinstance(value[0], Block):
        lines.append(head + _note(entry.note))
        for item in value:
            if not isinstance(item, Block):
                raise TypeError("a list of blocks holds only blocks")
            lines += _list_item(item, depth + 1, entry.flow)
        return lines
    if isinstance(value, Block | list):
        return [*lines, f"{head} {_flow(value)}{_note(entry.note)}"]
    return [*lines, f"{head} {scalar(value)}{_note(entry.note)}"]


def _list_item(block: Block, depth: int, flow: bool) -> list[str]:
    pad = INDENT * depth
    if flow:
        return [f"{pad}- {_flow(block)}"]
    lines = block_lines(block, depth + 1)
    first = next(i for i, line in enumerate(lines) if line and not line.lstrip().startswith("#"))
    lines[first] = f"{pad}- {lines[first][len(pad) + len(INDENT) :]}"
    return lines


def block_lines(block: Block, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for item in block.items:
        if isinstance(item, Comment):
            lines += _comment_lines(item.lines, INDENT * depth)
        else:
            lines += _entry_lines(item, depth)
    return lines


def dump(block: Block) -> str:
    return "\n".join(block_lines(block)) + "\n"
