"""Splitting long HTML messages at block boundaries, within Telegram's limits."""

from __future__ import annotations

import re
from html import unescape

TEXT_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def visible_length(html: str) -> int:
    """Length Telegram counts for an HTML message: tags removed, entities decoded."""
    return len(unescape(_TAG.sub("", html)))


def pack_blocks(blocks: list[str], *, limit: int = TEXT_LIMIT, sep: str = "\n\n") -> list[str]:
    """Join self-contained HTML blocks into as few messages as fit in `limit`.

    Each block must be balanced HTML on its own, so a message never breaks a tag. A block longer
    than the limit on its own is cut at a line or word boundary after its tags are stripped.
    """
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        length = visible_length(block)
        if length > limit:
            if current:
                messages.append(sep.join(current))
                current, size = [], 0
            messages.extend(_cut_plain(block, limit))
            continue
        extra = length + (len(sep) if current else 0)
        if current and size + extra > limit:
            messages.append(sep.join(current))
            current, size = [], 0
            extra = length
        current.append(block)
        size += extra
    if current:
        messages.append(sep.join(current))
    return messages


def _cut_plain(block: str, limit: int) -> list[str]:
    from html import escape

    text = unescape(_TAG.sub("", block))
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    # Escaping can only lengthen the raw text, never the visible length Telegram checks.
    return [escape(p, quote=False) for p in parts]
