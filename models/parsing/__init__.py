"""Resolution documents (.docx, .pdf, .txt, pasted text) → addressees, roles and dated items."""

from models.parsing.api import DEFAULT_MAX_BYTES, parse_bytes, parse_file
from models.parsing.model import (
    Addressee,
    ParsedResolution,
    ParseError,
    Period,
    Recommendation,
    Role,
    content_fingerprint,
)
from models.parsing.structure import parse_text

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Addressee",
    "ParseError",
    "ParsedResolution",
    "Period",
    "Recommendation",
    "Role",
    "content_fingerprint",
    "parse_bytes",
    "parse_file",
    "parse_text",
]
