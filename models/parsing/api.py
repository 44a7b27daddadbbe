"""Entry points: bytes or a file path → ParsedResolution, with size and emptiness checks."""

from __future__ import annotations

import math
import stat
from pathlib import Path

from models.parsing.extract import extract_text
from models.parsing.model import ParsedResolution, ParseError
from models.parsing.structure import parse_text

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# What a resolution may come as: .doc is taken too, so that the parser can say how to convert it.
ACCEPTED_SUFFIXES = frozenset({".docx", ".odt", ".rtf", ".txt", ".pdf", ".doc"})
_MB = 1024 * 1024


def _size(n: int, *, round_up: bool = False) -> str:
    """Human size in Russian units: "12.3 МБ", "10 МБ", "512 КБ", "100 байт"."""
    if n >= _MB:
        value = math.ceil(n * 10 / _MB) / 10 if round_up else n / _MB
        return f"{value:.1f}".removesuffix(".0") + " МБ"
    if n >= 1024:
        return f"{math.ceil(n / 1024) if round_up else n // 1024} КБ"
    return f"{n} байт"


def too_big(size: int, max_bytes: int) -> ParseError:
    return ParseError(f"Файл слишком большой: {_size(size, round_up=True)}, предел {_size(max_bytes)}")


def parse_bytes(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedResolution:
    """Parse an uploaded file; its type comes from the content checked against the extension."""
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes)
    if not data.strip():
        raise ParseError("Файл пуст")
    text = extract_text(data, filename)
    if not text.strip():
        raise ParseError("Файл пуст: в документе нет текста")
    return parse_text(text)


def parse_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedResolution:
    """Parse a file on disk; the size is checked (stat) before anything is read."""
    p = Path(path)
    try:
        info = p.stat()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ParseError(f"Не удалось открыть файл {p.name}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ParseError(f"{p.name} — не файл")
    if info.st_size > max_bytes:
        raise too_big(info.st_size, max_bytes)
    try:
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise ParseError(f"Не удалось прочитать файл {p.name}") from exc
    return parse_bytes(data, p.name, max_bytes=max_bytes)
