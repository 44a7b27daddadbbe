"""Result types of resolution parsing and the one error it raises."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    """Kinds of addressees the bot can deliver to, in canonical order."""

    REGION = "region"
    INSTITUTE = "institute"
    MUNICIPALITY = "municipality"
    SCHOOL = "school"
    PARTNER = "partner"


ROLE_ORDER: tuple[Role, ...] = tuple(Role)


class Period(StrEnum):
    """How often a recurring recommendation repeats (internal, not in JSON)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALFYEAR = "halfyear"
    YEAR = "year"


class ParseError(Exception):
    """Bad input; `message` is Russian and can be shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Recommendation:
    text: str
    due: date | None = None
    starts: date | None = None
    recurring: bool = False
    period: Period | None = None


@dataclass(frozen=True, slots=True)
class Addressee:
    heading: str
    roles: tuple[Role, ...]
    recommendations: tuple[Recommendation, ...]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class ParsedResolution:
    title: str
    date: date | None
    addressees: tuple[Addressee, ...]

    def to_json_dict(self) -> dict[str, object]:
        """The documented JSON shape; key order is part of the contract."""
        return {
            "title": self.title,
            "date": _iso(self.date),
            "addressees": [
                {
                    "heading": a.heading,
                    "roles": [str(r) for r in a.roles],
                    "recommendations": [
                        {"text": r.text, "due": _iso(r.due), "starts": _iso(r.starts), "recurring": r.recurring}
                        for r in a.recommendations
                    ],
                }
                for a in self.addressees
            ],
        }


def content_fingerprint(parsed: ParsedResolution) -> str:
    """sha256 hex of the canonical JSON: equal for documents that parse to the same content."""
    canonical = json.dumps(parsed.to_json_dict(), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
