"""Word-level tests on Russian office prose: infinitives, dative-looking words, adjectives.

Suffix heuristics, not morphology: good enough for the first words of headings and items, which
is all the parser looks at. Every function takes one word and is case-insensitive.
"""

from __future__ import annotations

import re


def word_set(words: str) -> frozenset[str]:
    """A set from a space-separated word list (long Russian lists read better this way)."""
    return frozenset(words.split())


# A word: letters with inner hyphens ("бизнес-сообществу", "научно-методическое").
WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")

# Nouns that end like infinitives; "учесть", "вести", "помочь" stay verbs on purpose.
_NOT_INFINITIVE = word_set(
    "часть власть область страсть снасть сеть путь мать дочь ночь речь мелочь треть честь суть смерть "
    "нефть ртуть грусть совесть повесть месть лесть жесть шерсть память новость площадь "
    "чести совести повести мести лести шерсти пять шесть девять десять двадцать тридцать опять"
)
_INFINITIVE_ENDINGS = ("ть", "ться", "тись", "чь", "чься", "сти", "стись", "зти", "йти", "йтись")


def is_infinitive(word: str) -> bool:
    """`обеспечить`, `провести`, `привлечь`, `ознакомиться`; not `часть`, `области`, `деятельности`."""
    w = word.lower().replace("ё", "е")
    if len(w) < 4 or w in _NOT_INFINITIVE or "-" in w:
        return False
    if w.endswith(("ость", "ости", "асти")) and w not in ("расти", "вырасти", "спасти", "пасти"):
        return False  # деятельность, области, части
    return w.endswith(_INFINITIVE_ENDINGS)


_ADVERB_BEFORE_VERB = re.compile(r"(?:о|е|ее|ски|не)$")


def starts_with_infinitive(words: list[str]) -> bool:
    """The phrase opens with an infinitive, possibly after an adverb or `не` ("Ежегодно проводить")."""
    if not words:
        return False
    if is_infinitive(words[0]):
        return True
    first = words[0].lower()
    return len(words) > 1 and bool(_ADVERB_BEFORE_VERB.search(first)) and is_infinitive(words[1])


# Frequent words that end like a dative but never open an addressee heading.
_NOT_DATIVE = word_set(
    "поэтому потому почему тому кому чему всему этому сему такой какой этой той всей своей моей ней "
    "таким каким этим тем ним там сам нам вам согласно также"
)
_DATIVE_ENDINGS = ("ам", "ям", "у", "ю", "ии", "ой", "ей", "ым", "им", "ому", "ему")
_NOT_DATIVE_ENDINGS = ("ую", "юю", "аю", "яю", "ею", "шу", "жу", "чу", "щу")


def is_dative_like(word: str) -> bool:
    """Looks like a dative noun or adjective: `Департаменту`, `органам`, `Общеобразовательным`."""
    w = word.lower().replace("ё", "е")
    if len(w) < 3 or w in _NOT_DATIVE:
        return False
    return w.endswith(_DATIVE_ENDINGS) and not w.endswith(_NOT_DATIVE_ENDINGS)


def is_abbreviation(word: str) -> bool:
    """An upper-case abbreviation such as ГАУ, МБОУ, ОО, СОИРО (short, all capitals)."""
    return 2 <= len(word) <= 6 and word.isupper() and word.isalpha()


_ADJECTIVE_ENDINGS = tuple(word_set("ому ему ым им ыми ими ой ого его ых их ый ий ая яя ое ее ые ие ую юю"))
_SOFT_ADJECTIVES = word_set("средней общей высшей всем всех каждому каждой")


def is_adjective_like(word: str) -> bool:
    """Adjective or participle by its ending (`муниципальным`, `осуществляющим`, `областного`)."""
    w = word.lower().replace("ё", "е")
    return w in _SOFT_ADJECTIVES or (len(w) > 3 and w.endswith(_ADJECTIVE_ENDINGS))


# Active participles only: "-нн-" ones look like adjectives (общественным, государственным).
_PARTICIPLE_RE = re.compile(
    r"(?:ущ|ющ|ащ|ящ|вш)(?:им|ими|ему|ому|ым|ыми|ей|ой|ая|ий|ие|их|ую|ых)(?:ся)?$|^подведомственн"
)


def is_participle(word: str) -> bool:
    """`осуществляющим`, `подведомственным`: opens a dependent clause, never a new addressee."""
    return bool(_PARTICIPLE_RE.search(word.lower().replace("ё", "е")))


def words_of(text: str) -> list[str]:
    return WORD_RE.findall(text)
