"""Addressee heading → roles.

A heading is split into conjuncts at "," / "и" / "а также" where the next word starts a new
dative noun phrase ("…, органам управления образованием", "… и бизнес-сообществу"); a genitive
continuation ("районов и городских округов") stays in the same conjunct. Each conjunct is
classified by its HEAD noun (the first word that is not an adjective), so "Социальным партнерам
образовательных организаций" is a partner: "организаций" is only a dependent of "партнерам".
Person heads (руководителям, директорам, педагогическим работникам) take the role of what they head.

"совместно с органами …" adds a conjunct in the instrumental. A subordinate clause ("…, учредителем
которых является Департамент", "…, подведомственным Департаменту") only describes its conjunct: the
bodies it mentions are not addressees. A heading in capitals is read in lower case (known
abbreviations kept), so "МИНИСТЕРСТВУ ОБРАЗОВАНИЯ И НАУКИ" is not a run of abbreviations.
"""

from __future__ import annotations

import re

from models.parsing.lexicon import (
    WORD_RE,
    is_abbreviation,
    is_adjective_like,
    is_dative_like,
    is_participle,
    word_set,
)
from models.parsing.model import ROLE_ORDER, Role

_SPLIT_RE = re.compile(
    r"\s*(?:[,;]\s*(?:(?<!\w)и(?!\w))?|(?<!\w)(?:и|а\s+также|(?:совместно|вместе)\s+со?)(?!\w))\s*", re.IGNORECASE
)
_JOINTLY_RE = re.compile(r"(?:совместно|вместе)\s+со?\s*$", re.IGNORECASE)
# A piece that opens a relative clause: "учредителем которых …", "на базе которых …", "в отношении которых …".
_RELATIVE_RE = re.compile(r"^(?:\S+\s+){0,4}котор", re.IGNORECASE)
# Words that only introduce the addressee: "Рекомендовать органам …", "Для органов …", "В адрес …".
_LEAD_WORDS = word_set("рекомендовать рекомендуется предложить для в адрес к всем")

_MUNICIPAL = re.compile(r"муниципальн|местного\s+самоуправлени|район|округ|город|поселени|\bмо\b")
_REGIONAL = re.compile(r"област|\bкра[йяюе]\b|республик|регион|субъект")
_INSTITUTE = re.compile(
    r"институт|соиро|\bиро\b|\bдпос?\b|повышени\w*\s+квалификац|дополнительного\s+профессионального\s+образован"
)
_NOT_SCHOOL = re.compile(r"профессиональн|высш|вуз|колледж|техникум|университет")

# Head stems, checked in this order ("организац" before "орган").
_AUTHORITY = ("департамент", "министерств", "комитет", "управлени", "отдел", "администрац", "правительств",
              "губернатор", "главам", "главе", "муниципалитет", "район", "округ")  # fmt: skip
_PERSON = ("руководител", "директор", "заместител", "заведующ", "специалист", "работник", "сотрудник",
           "представител", "член", "коллектив", "команд")  # fmt: skip
_SCHOOL_HEADS = ("школ", "гимнази", "лицея", "лицеи", "лицею", "учител", "педагог", "оо", "оу", "моу", "мбоу", "маоу",
                 "мкоу", "сош", "доу", "доо", "гбоу", "огбоу")  # fmt: skip
_PARTNER_HEADS = ("партнер", "партнёр", "бизнес", "нко", "работодател", "общественност", "предприниматель")
_INSTITUTE_HEADS = ("институт", "соиро", "иро", "гау", "огау", "дпо")
# Upper-case words kept as abbreviations when a heading in capitals is read in lower case.
_ABBREVIATIONS = frozenset(
    w.upper() for w in (*_SCHOOL_HEADS, *_INSTITUTE_HEADS, "дпос", "огбу", "гбу", "нко", "мо", "рф", "цнппм", "мку")
)


def roles_of(heading: str) -> tuple[Role, ...]:
    """Roles addressed by a heading, in canonical order; () when none is recognised."""
    if any(w.isupper() and len(w) > 6 for w in WORD_RE.findall(heading)):
        heading = WORD_RE.sub(lambda m: m.group() if m.group() in _ABBREVIATIONS else m.group().lower(), heading)
    found: set[Role] = set()
    for conjunct in _conjuncts(heading):
        found |= _conjunct_roles(conjunct)
    return tuple(role for role in ROLE_ORDER if role in found)


SUBORDINATE = "|"  # the seam before a subordinate clause inside a conjunct's word list


def _conjuncts(heading: str) -> list[list[str]]:
    """Word lists of the coordinated noun phrases; quoted names are never split. A subordinate clause
    stays in its conjunct after a SUBORDINATE seam; inside it only "," (not a bare "и") starts a new one."""
    parts: list[list[str]] = []
    depth = 0
    pos = 0
    separator = ""
    in_clause = False
    for piece_match in _SPLIT_RE.finditer(heading + ","):
        piece = heading[pos : piece_match.start()]
        pos = piece_match.end()
        words = WORD_RE.findall(piece)
        jointly = bool(_JOINTLY_RE.search(separator))
        comma = "," in separator or ";" in separator
        starts_new = not parts or (
            depth == 0 and bool(words) and not is_participle(words[0]) and not _RELATIVE_RE.match(piece.strip())
            and (jointly or ((comma or not in_clause) and (is_dative_like(words[0]) or is_abbreviation(words[0]))))
        )  # fmt: skip
        if starts_new:
            parts.append(words)
            in_clause = False
        elif words:
            opens_clause = comma and (is_participle(words[0]) or bool(_RELATIVE_RE.match(piece.strip())))
            in_clause = in_clause or opens_clause
            # keep the seam: a person head splits its dependents there
            parts[-1].extend([SUBORDINATE if opens_clause else ",", *words])
        depth += piece.count("«") - piece.count("»")
        depth = max(depth, 0)
        separator = piece_match.group()
    return [p for p in parts if p]


def _conjunct_roles(words: list[str]) -> set[Role]:
    lowered = [w.lower().replace("ё", "е") for w in words]
    while lowered and lowered[0] in _LEAD_WORDS:
        lowered, words = lowered[1:], words[1:]
    if not lowered:
        return set()
    head = _head_index(lowered, words)
    if head is None:
        return set()
    return _roles_for_head(lowered[:head], lowered[head], lowered[head + 1 :])


def _head_index(lowered: list[str], words: list[str]) -> int | None:
    for i, (w, original) in enumerate(zip(lowered, words, strict=True)):
        if _known_head(w) or is_abbreviation(original) or not is_adjective_like(w):
            return i
    return None


def _known_head(word: str) -> bool:
    return word.startswith(("организац", "орган", *_AUTHORITY, *_PERSON, *_SCHOOL_HEADS, *_PARTNER_HEADS,
                            *_INSTITUTE_HEADS))  # fmt: skip


def _roles_for_head(modifiers: list[str], head: str, rest: list[str]) -> set[Role]:
    main = rest[: rest.index(SUBORDINATE)] if SUBORDINATE in rest else rest  # the clause is not consulted
    mods = " ".join(modifiers)
    tail = " ".join("," if w == SUBORDINATE else w for w in rest)
    everything = f"{mods} {head} {' '.join(main)}"
    if head.startswith("учреждени") and _INSTITUTE.search(everything):
        return {Role.INSTITUTE}  # "Государственному автономному учреждению дополнительного профессионального …"
    if head.startswith(("организац", "учреждени")):
        return _organisation_roles(mods, head, tail)
    if head.startswith(_INSTITUTE_HEADS):
        return {Role.INSTITUTE} if _INSTITUTE.search(everything) else set()
    if head.startswith("орган") or head.startswith(_AUTHORITY):
        return _authority_roles(head, everything, tail)
    if head.startswith(_PARTNER_HEADS) or "бизнес" in head:
        return set() if "родител" in mods else {Role.PARTNER}  # parents are not a role
    if head.startswith("сообществ") or head.startswith("объединени"):
        return {Role.PARTNER} if re.search(r"бизнес|предприним|делов|общественн", mods) else set()
    if head.startswith(_SCHOOL_HEADS):
        return set() if _NOT_SCHOOL.search(everything) else {Role.SCHOOL}
    if head.startswith(_PERSON):
        return _person_roles(mods, head, main)
    return set()


def _organisation_roles(mods: str, head: str, tail: str) -> set[Role]:
    near = f"{mods} {head} {' '.join(tail.split()[:3])}"
    if re.search(r"общественн|некоммерческ|партнер", near):
        return {Role.PARTNER}
    if _NOT_SCHOOL.search(near):
        return set()
    if re.search(r"образовательн|дошкольн", mods) or re.match(r"(?:дополнительного\s+)?образовани", tail):
        return {Role.SCHOOL}
    if re.search(r"образовательн\w*\s+деятельност", tail):
        return {Role.SCHOOL}  # "организациям, осуществляющим образовательную деятельность"
    return set()


def _authority_roles(head: str, everything: str, tail: str) -> set[Role]:
    if _MUNICIPAL.search(everything):
        return {Role.MUNICIPALITY}
    if _REGIONAL.search(everything):
        return {Role.REGION}
    if head.startswith(("управлени", "отдел", "орган")) and "образован" in f"{everything} {tail}":
        return {Role.MUNICIPALITY}  # "органам управления образованием": the municipal level by default
    return set()


def _person_roles(mods: str, head: str, rest: list[str], depth: int = 0) -> set[Role]:
    """A person takes the role of what he or she heads: "руководителям ОО" → school;
    "заместителям директоров" → the directors' role; a bare director or kindergarten head → school."""
    if re.search(r"педагогическ|классн", mods):
        return {Role.SCHOOL}
    found: set[Role] = set()
    for piece in re.split(r"\s*(?:,|(?<!\w)и(?!\w))\s*", " ".join(rest)):
        words = piece.split()
        head_i = _head_index(words, words) if words else None
        if head_i is None:
            continue
        if not words[head_i].startswith(_PERSON):
            found |= _roles_for_head(words[:head_i], words[head_i], words[head_i + 1 :])
        elif depth == 0:
            found |= _person_roles(" ".join(words[:head_i]), words[head_i], words[head_i + 1 :], depth + 1)
    if not found and head.startswith(("директор", "заведующ")):
        return {Role.SCHOOL}
    return found
