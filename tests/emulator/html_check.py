"""Telegram's HTML parse mode, re-implemented after tdlib's ``parse_html`` so errors match the real API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
# tdlib treats these bytes as whitespace inside tags
_TAG_SPACE = frozenset(" \t\n\r\f\v")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``detail`` follows "can't parse entities: "."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class ParsedText:
    """Visible text and its entities (offsets in UTF-16 code units, as the Bot API reports them)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_start: int
    expandable: bool = False


def utf16_len(text: str) -> int:
    """Length as Telegram counts entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, pos: int) -> int:
    return len(src[:pos].encode("utf-8"))


def _decode_entity(src: str, pos: int, *, strict: bool) -> tuple[str | None, int]:
    """Decode ``&...`` at ``pos`` like tdlib: returns (character, next position) or (None, pos) for a literal '&'."""
    n = len(src)
    end = pos + 1
    value = 0
    if end < n and src[end] == "#":
        end += 1
        hexadecimal = end < n and src[end] == "x"
        if hexadecimal:
            end += 1
        digits_start = end
        allowed = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < n and src[end] in allowed:
            end += 1
        digits = src[digits_start:end]
        value = int(digits, 16 if hexadecimal else 10) if digits else 0
        if value == 0 or value >= 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            if strict and end < n and src[end] == ";":
                raise HtmlParseError(f'Invalid numeric character reference "{src[pos : end + 1]}"')
            return None, pos
        char = chr(value)
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        name = src[pos + 1 : end]
        decoded = _NAMED_ENTITIES.get(name)
        if decoded is None:
            # Real Telegram shows unknown named entities literally; strict mode flags them because they
            # almost always mean the bot forgot to escape user text or used &nbsp; and friends.
            if strict and name and end < n and src[end] == ";":
                raise HtmlParseError(f'Unsupported HTML entity "&{name};" at byte offset {_byte_offset(src, pos)}')
            return None, pos
        char = decoded
    if end < n and src[end] == ";":
        end += 1
    return char, end


def parse_html(src: str, *, strict_entities: bool = True) -> ParsedText:
    """Parse Telegram HTML into visible text and entities; raise HtmlParseError like the Bot API does."""
    out: list[str] = []
    utf16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    n = len(src)
    pos = 0
    while True:
        match = _SPECIAL.search(src, pos)
        stop = match.start() if match else n
        if stop > pos:
            chunk = src[pos:stop]
            out.append(chunk)
            utf16 += utf16_len(chunk)
        if match is None:
            break
        pos = stop
        if src[pos] == "&":
            char, nxt = _decode_entity(src, pos, strict=strict_entities)
            if char is None:
                out.append("&")
                utf16 += 1
                pos += 1
            else:
                out.append(char)
                utf16 += utf16_len(char)
                pos = nxt
            continue

        begin = pos
        pos += 1
        if pos < n and src[pos] == "/":
            pos = _close_tag(src, begin, stack, entities, utf16)
        else:
            pos = _open_tag(src, begin, stack, utf16, strict_entities=strict_entities)

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            # the language class only means something on a <code> directly inside <pre>
            entity.pop("language", None)
    return _strip(ParsedText("".join(out), entities))


def _open_tag(src: str, begin: int, stack: list[_Open], utf16: int, *, strict_entities: bool) -> int:
    n = len(src)
    i = begin + 1
    while i < n and src[i] not in _TAG_SPACE and src[i] != ">":
        i += 1
    if i >= n:
        raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
    tag = src[begin + 1 : i].lower()
    if tag not in ALLOWED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}')

    argument = ""
    expandable = False
    while i < n and src[i] != ">":
        while i < n and src[i] in _TAG_SPACE:
            i += 1
        if i < n and src[i] == ">":
            break
        attr_start = i
        while i < n and src[i] not in _TAG_SPACE and src[i] not in "=>":
            i += 1
        attr_name = src[attr_start:i]
        if not attr_name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(src, begin)}')
        while i < n and src[i] in _TAG_SPACE:
            i += 1
        if i >= n or src[i] != "=":
            if tag == "blockquote" and attr_name == "expandable":
                expandable = True
                continue
            raise HtmlParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {_byte_offset(src, begin)}'
            )
        i += 1
        while i < n and src[i] in _TAG_SPACE:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
        value_chars: list[str] = []
        if src[i] not in "'\"":
            token_start = i
            while i < n and (src[i].isascii() and (src[i].isalnum() or src[i] in ".-")):
                i += 1
            value_chars.append(src[token_start:i].lower())
            if i < n and src[i] not in _TAG_SPACE and src[i] != ">":
                raise HtmlParseError(f"Unexpected end of name token at byte offset {_byte_offset(src, token_start)}")
        else:
            quote = src[i]
            i += 1
            while i < n and src[i] != quote:
                if src[i] == "&":
                    char, nxt = _decode_entity(src, i, strict=strict_entities)
                    if char is not None:
                        value_chars.append(char)
                        i = nxt
                        continue
                value_chars.append(src[i])
                i += 1
            if i < n:
                i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        value = "".join(value_chars)
        if (tag == "a" and attr_name == "href") or (tag == "tg-emoji" and attr_name == "emoji-id"):
            argument = value
        elif tag == "code" and attr_name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "blockquote" and attr_name == "expandable":
            expandable = True

    if i >= n:
        raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
    if tag == "span" and argument != "spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}')
    stack.append(_Open(tag, argument, utf16, expandable))
    return i + 1


def _close_tag(src: str, begin: int, stack: list[_Open], entities: list[dict[str, Any]], utf16: int) -> int:
    n = len(src)
    if not stack:
        raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
    i = begin + 2
    while i < n and src[i] not in _TAG_SPACE and src[i] != ">":
        i += 1
    end_name = src[begin + 2 : i].lower()
    while i < n and src[i] in _TAG_SPACE:
        i += 1
    if i >= n or src[i] != ">":
        raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
    opened = stack.pop()
    if end_name and end_name != opened.tag:
        raise HtmlParseError(
            f'Unmatched end tag at byte offset {_byte_offset(src, begin)}, expected "</{opened.tag}>", '
            f'found "</{end_name}>"'
        )
    length = utf16 - opened.utf16_start
    if length > 0:
        entities.append(_make_entity(opened, length, entities))
    return i + 1


def _make_entity(opened: _Open, length: int, entities: list[dict[str, Any]]) -> dict[str, Any]:
    offset = opened.utf16_start
    entity: dict[str, Any] = {"offset": offset, "length": length}
    tag = opened.tag
    if tag == "a":
        entity["type"] = "text_link"
        entity["url"] = opened.argument
    elif tag == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = opened.argument
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if opened.expandable else "blockquote"
    else:
        entity["type"] = _ENTITY_TYPES[tag]
    if tag == "code" and opened.argument:
        entity["language"] = opened.argument
    if tag == "pre" and entities:
        # <pre><code class="language-x">…</code></pre> is one pre entity with a language, as in Telegram
        inner = entities[-1]
        if inner["type"] == "code" and inner["offset"] == offset and inner["length"] == length:
            entities.pop()
            if "language" in inner:
                entity["language"] = inner["language"]
    return entity


def _strip(parsed: ParsedText) -> ParsedText:
    """Telegram trims leading and trailing whitespace and shrinks entities accordingly."""
    text = parsed.text
    stripped = text.strip()
    if stripped == text:
        parsed.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return parsed
    head = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(text.rstrip())
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"], head)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            entities.append({**entity, "offset": start - head, "length": stop - start})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(stripped, entities)


def plain_text(src: str, entities: list[dict[str, Any]] | None = None) -> ParsedText:
    """Text without parse mode: only trimmed, explicit entities kept as given."""
    stripped = src.strip()
    if stripped == src or not entities:
        return ParsedText(stripped, list(entities or []))
    return _strip(ParsedText(src, list(entities)))
