"""Splitting long HTML messages at block boundaries, within Telegram's limits."""

from __future__ import annotations

import re
from html import escape, unescape

TEXT_LIMIT = 4096
# A messenger cuts a long pasted text into messages (Telegram near 4096 characters, MAX at 4000), at a line
# or word end: a part at least this long is followed by more.
SPLIT_PART = 3500
OFFER_LENGTH = 300  # shorter free text from an admin is a question, not a resolution
_TAG = re.compile(r"<[^>]+>")
SEP = "\n\n"


def visible_length(html: str) -> int:
    """Length Telegram counts for an HTML message: tags removed, entities decoded."""
    return len(unescape(_TAG.sub("", html)))


def group_blocks(blocks: list[str], *, limit: int = TEXT_LIMIT) -> list[list[int]]:
    """Indices of the blocks that go into each message, in order, each message within `limit`.

    Blocks are self-contained balanced HTML, so a message never breaks a tag. A block that is longer
    than the limit on its own gets a message of its own (callers cut such blocks first).
    """
    groups: list[list[int]] = []
    size = 0
    for index, block in enumerate(blocks):
        length = visible_length(block)
        if groups and size + len(SEP) + length <= limit:
            groups[-1].append(index)
            size += len(SEP) + length
        else:
            groups.append([index])
            size = length
    return groups


def pack_blocks(blocks: list[str], *, limit: int = TEXT_LIMIT) -> list[str]:
    """Join blocks into as few messages as fit; an over-long block is cut as plain text."""
    messages: list[str] = []
    for group in group_blocks(blocks, limit=limit):
        if len(group) == 1 and visible_length(blocks[group[0]]) > limit:
            messages.extend(cut_plain(blocks[group[0]], limit))
        else:
            messages.append(SEP.join(blocks[i] for i in group))
    return messages


def cut_plain(block: str, limit: int) -> list[str]:
    """Cut a block's visible text at line or word boundaries; tags are dropped, text re-escaped."""
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
    return [escape(p, quote=False) for p in parts]


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
