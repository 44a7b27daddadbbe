"""Who an addressee reaches: by role, or one particular organisation its heading names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_QUOTED = re.compile(r"[«\"“]([^»\"”]{2,120})[»\"”]")
_WORD = re.compile(r"[А-ЯЁA-Z][а-яёa-z-]{3,}")
# Capitalised words that name a kind of body, not a particular one.
_GENERIC = {
    "администрации", "администрация", "комитету", "комитет", "отделу", "отдел", "управлению", "управление",
    "департаменту", "департамент", "министерству", "смоленской", "смоленская", "области", "российской",
    "федерации", "муниципального", "муниципальное", "образования", "образование", "органам", "органы",
    "городского", "округа", "района", "школа", "школе", "средняя", "средней", "основная", "основной",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrgRef:
    id: int
    kind: str
    name: str


def _stem(word: str) -> str:
    # Russian case endings change the last letters only; six letters identify a place name well enough.
    return word.casefold()[:6]


def _proper_stems(text: str) -> set[str]:
    # The first word is the addressee's kind in the dative ("Администрациям", "Комитету"), never a name.
    words = _WORD.findall(text.split(maxsplit=1)[1] if " " in text.strip() else "")
    return {_stem(w) for w in words if w.casefold() not in _GENERIC}


def match_organisation(heading: str, roles: Sequence[str], candidates: Iterable[OrgRef]) -> OrgRef | None:
    """The single organisation of a matching kind that the heading names, or None.

    A quoted name («Вяземский район») must appear in the organisation's name; otherwise every proper
    name of the heading (Вяземского → вяземс) must appear among the organisation's words. Only a
    unique match counts: an ambiguous heading addresses the whole role.
    """
    kinds = set(roles)
    pool = [c for c in candidates if c.kind in kinds]
    quoted = [q.casefold().strip() for q in _QUOTED.findall(heading)]
    if quoted:
        found = [c for c in pool if all(q in c.name.casefold() for q in quoted)]
        return found[0] if len(found) == 1 else None
    stems = _proper_stems(heading)
    if not stems:
        return None
    found = [c for c in pool if stems <= {_stem(w) for w in re.findall(r"[А-ЯЁA-Zа-яёa-z-]{4,}", c.name)}]
    return found[0] if len(found) == 1 else None
