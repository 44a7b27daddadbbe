"""Plain text of a resolution → ParsedResolution.

The text is cut into *units* (paragraphs; a list marker or a line ending a sentence also starts
one), then read top to bottom:

* the title is the first unit ("РЕЗОЛЮЦИЯ" alone takes the next one along);
* the recommendations start after the «рекомендуют:» line, or at the first heading without one;
* a heading is a dative phrase ("Департаменту …", "органам …", "ГАУ ДПО СОИРО") ending with ":"
  or, without final punctuation, followed by items; "Органам … обеспечить …" is a heading plus
  an item in one paragraph;
* items are marked (bullets, "1.", "1.1.", "а)") or plain paragraphs opening with an infinitive;
  a lower-case paragraph after an unfinished item continues it (a page break or a stray blank line);
* an item ending with ":" is a lead-in: each sub-item under it becomes its own recommendation
  "<lead-in> <sub-item>" (so every sub-item keeps its own deadline and report); a lead-in with no
  sub-items is kept as an item itself;
* a paragraph that is neither closes the current addressee (later items are ignored until the
  next heading); a signature ("Председатель …", "Принята …") ends the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from models.parsing.dates import MONTHS, analyse, any_full_date, first_full_date, standalone_date
from models.parsing.lexicon import (
    WORD_RE,
    is_abbreviation,
    is_dative_like,
    is_infinitive,
    is_participle,
    starts_with_infinitive,
)
from models.parsing.model import Addressee, ParsedResolution, ParseError, Recommendation
from models.parsing.roles import roles_of

_MARKER_RE = re.compile(
    r"(?P<bullet>[-–—•·*●▪►✓\uf0b7\uf0a7])(?:\s+|$|(?=[^\W\d_]|«))"
    r"|(?P<number>\d{1,3}(?:\.\d{1,2}){0,3}[.)]|\d{1,3}(?:\.\d{1,2}){1,3})(?:\s+|$)"
    r"|(?P<letter>[а-яёa-z]\))(?:\s+|$)"
    r"|(?P<roman>(?:IV|IX|VI{0,3}|I{1,3}|X)[.)])(?:\s+|$)",
    re.IGNORECASE,
)
_PAGE_RE = re.compile(
    r"(?:[-–—]\s*)?\d{1,3}(?:\s*[-–—])?|(?:стр\.?|страница)\s*\d{1,3}(?:\s*(?:из|/)\s*\d{1,3})?|\d{1,3}\s*(?:из|/)\s*\d{1,3}",
    re.IGNORECASE,
)
_PLACE_RE = re.compile(r"(?:г\.|город)\s*[А-ЯЁ][а-яё-]+[.,]?")
_MARKER_WORD_RE = re.compile(
    r"(?<!\w)(?:рекомендуют|рекомендует|рекомендовать|рекомендовано|рекомендации|предлагают|предлагает"
    r"|решили|решил|решает|постановили|постановил|постановляет|считают\s+необходимым|считает\s+необходимым)(?!\w)",
    re.IGNORECASE,
)
_SIGNATURE_RE = re.compile(
    r"(?:председатель|секретарь|заместитель\s+председателя|принят[аоы]?|одобрен[аоы]?|утвержден[аоы]?|подписи?"
    r"|резолюция\s+(?:принята|одобрена|утверждена))(?!\w)|_{3}|м\.\s?п\.",
    re.IGNORECASE,
)
_INITIALS_RE = re.compile(r"(?:[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?[А-ЯЁ][а-яё]+|[А-ЯЁ][а-яё]+\s[А-ЯЁ]\.\s?[А-ЯЁ]\.)\s*$")
_HEADING_VERB = frozenset(("рекомендовать", "предложить"))
_MODAL_END = re.compile(
    r"\s+(?:рекомендуется|рекомендовано|предлагается|необходимо|следует|надлежит|рекомендовать|предложить)[\s:–—-]*$",
    re.IGNORECASE,
)
_ABBREVIATION_END = re.compile(r"(?<![^\W\d_])(?:г|гг|т\.\s?д|т\.\s?п|т\.\s?ч|др|пр)$", re.IGNORECASE)
_STAMP_RE = re.compile(r"проект|project|draft", re.IGNORECASE)  # a "ПРОЕКТ" stamp above the title
_APPROVAL_RE = re.compile(
    r"(?:утвержд[её]н[аоы]?|утверждаю|согласован[аоы]?|одобрен[аоы]?|приложение(?:\s*№\s*\d+)?)(?![^\W\d_])",
    re.IGNORECASE,
)
# Lines of a stamp block: who signs, the order it belongs to, the signature and its date.
_STAMP_LINE_RE = re.compile(
    r"(?:начальник|директор|министр|председатель|руководитель|заместитель|ректор|глава|и\.\s?о\.|м\.\s?п\."
    r"|приказ|решени|протокол|от\s|№|«_|к\s)",
    re.IGNORECASE,
)
_MONTH_NAMES = "|".join(MONTHS)
_TERMINAL = (".", ";", "!", "?", ":")
_TITLE_LINE_RE = re.compile(r"(?:ПРОЕКТ\s+|Проект\s+)?(?:РЕЗОЛЮЦИЯ|Резолюция)(?![^\W\d_])")
# Where a title run into its preamble (a PDF without paragraph gaps) is cut: a date opens the sentence
# ("24 августа 2018 года состоялся …"), or a capital follows the closing quote or the capitals of the title.
_SENTENCE_AFTER_TITLE = re.compile(rf"\d{{1,2}}\s*(?:{_MONTH_NAMES})|\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}", re.IGNORECASE)
_MD_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)


@dataclass(slots=True)
class Unit:
    """A paragraph (or list entry) of the source with its list marker taken off."""

    kind: str | None  # bullet / number / letter / roman, None for a plain paragraph
    text: str
    gap: bool = False  # a blank line stood before it
    standalone: bool = False  # a date line or a place line of the header
    marker: str = ""  # the list marker as written: "1.", "1.1.", "а)", "-"
    breaks: list[int] = field(default_factory=list)  # where in `text` a wrapped line was joined


@dataclass(slots=True)
class _Item:
    text: str
    marked: bool


@dataclass(slots=True)
class _Draft:
    heading: str
    marker: str = ""  # the heading's own number, to tell its numbered siblings from its items
    items: list[_Item] = field(default_factory=list)
    closed: bool = False


@dataclass(slots=True)
class _Heading:
    text: str
    item: str | None = None  # the rest of a "heading + item" paragraph


def normalise(text: str) -> str:
    """Unify line ends and spaces; drop Markdown emphasis (`**`, `__`) and heading hashes."""
    text = re.sub(r"\r\n?|[\f\v\x85\u2028\u2029]", "\n", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"[\u00ad\u200b-\u200d\u2060\ufeff]", "", text)
    text = re.sub(r"[\x00-\x08\x0e-\x1f\x7f\t\u00a0\u2007\u202f]", " ", text)
    return _MD_HEADING.sub("", text)


def _ends_sentence(text: str) -> bool:
    return text.rstrip('»")” ').endswith((".", "!", "?"))


def _is_header_line(line: str) -> bool:
    return standalone_date(line) is not None or bool(_PLACE_RE.fullmatch(line))


def _open_quote(text: str) -> bool:
    """A quotation is still open at the end of `text` («Архитектура …: | проектируем будущее»)."""
    return text.count("«") > text.count("»") or text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _open_paren(text: str) -> bool:
    return text.count("(") > text.count(")")


def _continues_phrase(line: str) -> bool:
    """A line that can only go on a phrase: lower case, a digit, a quote or a bracket first."""
    return line[0].islower() or line[0] in '«"“(0123456789'


def _heading_start(lines: list[str], i: int) -> bool:
    """Line i opens an addressee heading ("Департаменту …", "ГАУ ДПО СОИРО …") that ends with ":" within
    three lines: it is not the tail of the title or of a preamble sentence that lacks a full stop."""
    words = _words(lines[i])
    if not words or not lines[i][0].isupper() or is_participle(words[0]):
        return False
    if not (is_dative_like(words[0]) or is_abbreviation(words[0])):
        return False
    text = ""
    for line in lines[i : i + 3]:
        if not line or (text and _MARKER_RE.match(line)):
            return False
        text = f"{text} {line}"
        if line.endswith(":"):
            return not _open_quote(text)  # «Архитектура …: проектируем будущее» is a title's name
        if line.endswith(_TERMINAL):
            return False
    return False


def _opens_like_heading(text: str) -> bool:
    words = _words(text)
    return bool(words) and (is_dative_like(words[0]) or is_abbreviation(words[0]))


def _looks_like_list(lines: list[str], i: int) -> bool:
    """Line i and the next one are unmarked entries of a list under a lead-in ("участие …;" / "участие …;")."""
    if not lines[i].endswith(";") or i + 1 >= len(lines) or not lines[i + 1]:
        return False
    return _MARKER_RE.match(lines[i + 1]) is None and not _heading_start(lines, i + 1)


def _list_marker(line: str, prev: Unit | None) -> re.Match[str] | None:
    """The list marker opening `line`, unless it only looks like one on a wrapped line (`prev` is the
    unit the line would go on, None after a blank line)."""
    marker = _MARKER_RE.match(line)
    if marker is None or prev is None:
        return marker
    if marker.lastgroup in ("number", "letter") and marker.group().rstrip().endswith(")") and _open_paren(prev.text):
        return None  # "(см. п.\n2) …": the bracket of the item
    dash_in_heading = (
        marker.lastgroup == "bullet" and line.endswith(":") and prev.kind is None
        and not prev.text.endswith((*_TERMINAL, ",")) and _opens_like_heading(prev.text)
    )  # fmt: skip
    return None if dash_in_heading else marker  # "… и другим школам\n— участникам проекта:"


def split_units(text: str) -> list[Unit]:
    """Lines → units. Blank lines, list markers, date/place lines and ";" / ":" line ends cut units;
    "." cuts only before a capital, so a wrapped sentence stays whole. Page numbers are dropped.

    An item's line ending with ":" mid-sentence ("… по следующим темам:") is continued by an unmarked
    line that does not start a list; a ":" inside an open quotation (a wrapped title) cuts nothing."""
    lines = [" ".join(raw.split()) for raw in normalise(text).split("\n")]
    lines = [line for line in lines if not _PAGE_RE.fullmatch(line)]  # page numbers: not even a blank line
    units: list[Unit] = []
    gap = True
    for i, line in enumerate(lines):
        if not line:
            gap = True
            continue
        prev = units[-1] if units else None
        marker = _list_marker(line, None if gap else prev)
        header = _is_header_line(line) or line in ("ПРОЕКТ", "Проект")
        if prev is not None and not prev.text and not gap and marker is None:
            prev.text = line  # "1." alone on a line, its text on the next one
            continue
        item_colon = (
            prev is not None and not gap and marker is None and prev.text.endswith(":") and _is_item_like(prev)
            and not header and not _heading_start(lines, i) and not _looks_like_list(lines, i)
            and not starts_with_infinitive(_words(line)[:2])
        )  # fmt: skip
        starts_new = (
            prev is None or gap or marker is not None or header or prev.standalone
            or (prev.text.endswith((":", ";")) and not _open_quote(prev.text) and not item_colon)
            or (_ends_sentence(prev.text) and (line[0].isupper() or line[0] in "«\"“(0123456789")
                and not _open_paren(prev.text))  # "(см. п.\n2) …"
            or (line[0].isupper() and starts_with_infinitive(_words(line)[:2]))  # "Обеспечить …" never wraps
            or bool(_TITLE_LINE_RE.match(line))
            or (_heading_start(lines, i) and not _is_item_like(prev) and not _opens_like_heading(prev.text)
                and not prev.text.endswith(","))  # the title does not take the first heading
        )  # fmt: skip
        if starts_new:
            kind = marker.lastgroup if marker else None
            body = line[marker.end() :].strip() if marker else line
            units.append(Unit(kind, body, gap, header, marker.group().strip() if marker else ""))
        elif prev is not None:
            prev.breaks.append(len(prev.text) + 1)
            prev.text = f"{prev.text} {line}"
        gap = False
    return _split_inline_lists([u for u in units if u.text])


# "а) …; б) …" written in one paragraph: a letter (or "1)") after the start, ":" or ";" opens an entry.
_INLINE_MARKER_RE = re.compile(r"(?:^|(?<=[:;]))\s*(?P<m>[а-яё]|[a-z]|\d{1,2})\)\s+", re.IGNORECASE)
_SEQUENCES = ("абвгдежзиклмнопрстуфхцчшщэюя", "abcdefghijklmnopqrstuvwxyz")


def _next_marker(current: str) -> str:
    if current.isdigit():
        return str(int(current) + 1)
    for alphabet in _SEQUENCES:
        pos = alphabet.find(current.lower())
        if 0 <= pos < len(alphabet) - 1:
            return alphabet[pos + 1]
    return ""


def _split_inline_lists(units: list[Unit]) -> list[Unit]:
    """Cut "обеспечить: а) …; б) …; в) …" into a lead-in and lettered units. Only a run in sequence
    (а, б, в … or 1, 2, 3 …) counts, so "(см. п. 2)" or "(в том числе …)" stay text."""
    result: list[Unit] = []
    for unit in units:
        found = [m for m in _INLINE_MARKER_RE.finditer(unit.text) if m.start() > 0]
        if not found:
            result.append(unit)
            continue
        own = unit.marker[:-1] if unit.kind in ("letter", "number") and unit.marker.endswith(")") else ""
        expected = _next_marker(own) if own else ""
        run: list[re.Match[str]] = []
        for m in found:
            letter = m["m"].lower()
            if (not run and not own and letter in ("а", "a", "1")) or letter == expected:
                run.append(m)
                expected = _next_marker(letter)
            elif not run:
                continue
            else:
                break
        if len(run) + bool(own) < 2:
            result.append(unit)
            continue
        head = unit.text[: run[0].start()].strip()
        if head:
            result.append(Unit(unit.kind, head, unit.gap, unit.standalone, unit.marker))
        for m, after in zip(run, [*run[1:], None], strict=True):
            body = unit.text[m.end() : after.start() if after else len(unit.text)].strip()
            kind = "number" if m["m"].isdigit() else "letter"
            result.append(Unit(kind, body, False, False, m["m"] + ")"))
    return result


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def _is_item_like(unit: Unit | None) -> bool:
    return unit is not None and (unit.kind is not None or starts_with_infinitive(_words(unit.text)))


def _unquoted_words(text: str) -> list[re.Match[str]]:
    """Word matches outside «…» (a project name may hold a verb: «Учить учиться»)."""
    result = []
    depth = 0
    pos = 0
    for m in WORD_RE.finditer(text):
        between = text[pos : m.start()]
        depth = max(0, depth + between.count("«") - between.count("»"))
        pos = m.end()
        if depth == 0:
            result.append(m)
    return result


def heading_of(unit: Unit, following: Unit | None) -> _Heading | None:
    """The addressee heading this unit is, or None. `following` decides colon-less headings."""
    if unit.kind == "letter" or not unit.text:
        return None
    text = unit.text
    words = _unquoted_words(text)
    if len(words) > 1 and words[0][0].lower() in _HEADING_VERB and is_dative_like(words[1][0]):
        words = words[1:]  # "Рекомендовать органам …" → "органам …"
    if not words or not (text[0].isalpha() or text[0] == "«"):
        return None  # opens with a digit or a sign, not with a word
    begin = words[0].start()
    if starts_with_infinitive([w[0] for w in words[:2]]) or not _addresses_someone(text, [w[0] for w in words]):
        return None
    verb = next((w for w in words[1:] if w[0].islower() and is_infinitive(w[0])), None)
    if verb is not None:
        if unit.kind == "bullet" and not re.search(r"\s[–—-]\s*$|:\s*$", text[: verb.start()]):
            return None  # "- центрам обеспечить …" is an item; "• Департаменту … — рассмотреть …" is not
        rest: str | None = text[verb.start() :]
        if verb[0].lower() in _HEADING_VERB:
            # "Органам … рекомендовать обеспечить …"; "Школам рекомендовать:" is a heading alone
            after = text[verb.end() :].strip(" :")
            rest = after or None
        heading = _MODAL_END.sub("", text[begin : verb.start()])  # "Педагогам рекомендуется использовать …"
        return _Heading(_clean_heading(heading), rest)
    if text.endswith(":"):
        return _Heading(_clean_heading(_MODAL_END.sub("", text[begin:])))  # "Школам рекомендуется:"
    unfinished = not text.endswith((*_TERMINAL, ",")) and unit.kind != "bullet" and len(words) <= 40
    if unfinished and _is_item_like(following):
        return _Heading(_clean_heading(_MODAL_END.sub("", text[begin:])))
    return None


def _addresses_someone(text: str, words: list[str]) -> bool:
    """Opens with a dative ("Департаменту", "органам"), an abbreviation ("ГАУ ДПО СОИРО") or a role."""
    first = words[0]
    if is_dative_like(first):
        return True
    # An all-caps title line ("ФОРУМА РУКОВОДИТЕЛЕЙ …") is not a run of abbreviations.
    if is_abbreviation(first) and not any(w.isupper() and len(w) > 6 for w in words):
        return True
    return bool(roles_of(text))


def _clean_heading(text: str) -> str:
    return " ".join(text.split()).rstrip(" :,–—-")


def _clean_item(text: str) -> str:
    """Whitespace normalised, final ";" / "." dropped (kept after an abbreviation: "2023 г.")."""
    text = " ".join(text.split())
    stripped = text.rstrip(" ;.")
    if "." in text[len(stripped) :] and _ABBREVIATION_END.search(stripped):
        return stripped + "."
    return stripped


def _is_signature(unit: Unit) -> bool:
    if unit.kind is not None or not unit.text[:1].isupper():
        return False  # "утверждены приказом …" continuing an item is not a signature
    if _SIGNATURE_RE.match(unit.text):
        return True
    short = len(unit.text.split()) <= 10
    return short and bool(_INITIALS_RE.search(unit.text)) and not starts_with_infinitive(_words(unit.text))


def _marker_line(unit: Unit) -> str | None:
    """For the «рекомендуют:» line, what follows the marker word ("" if nothing); else None."""
    m = _MARKER_WORD_RE.search(unit.text)
    if m is None or len(unit.text.split()) > 40:
        return None
    tail = unit.text[m.end() :].strip(" :–—-")
    if tail and not unit.text.endswith(":"):
        return None
    return tail


@dataclass(slots=True)
class _Reader:
    """Collects addressees and items from the units after the start of the recommendations."""

    drafts: list[_Draft] = field(default_factory=list)
    lead: _Item | None = None  # a pending lead-in ("обеспечить:")
    lead_kind: str | None = None
    lead_used: bool = False
    subs: list[tuple[int, str, bool]] = field(default_factory=list)  # (index in items, text, marked) under it

    @property
    def current(self) -> _Draft | None:
        return self.drafts[-1] if self.drafts else None

    def open(self, heading: str, marker: str = "") -> None:
        self.flush_lead()
        self.drafts.append(_Draft(heading, marker))

    def flush_lead(self) -> None:
        draft = self.current
        if self.lead is not None and draft is not None:
            if not self.lead_used:
                draft.items.append(self.lead)
            elif len(self.subs) == 1 and not self.subs[0][2]:
                # one unmarked paragraph after "… по следующим темам:" goes on the sentence, it is no list
                index, text, _ = self.subs[0]
                draft.items[index].text = f"{self.lead.text}: {text}"
        self.lead = None
        self.subs = []

    def is_sub_item(self, text: str, kind: str | None) -> bool:
        if self.lead is None:
            return False
        if kind == "letter" or kind != self.lead_kind:
            return True
        return text[:1].islower() and not starts_with_infinitive(_words(text))

    def add(self, text: str, kind: str | None) -> None:
        draft = self.current
        if draft is None:
            return
        if self.lead is not None and self.is_sub_item(text, kind):
            self.subs.append((len(draft.items), text, kind is not None))
            draft.items.append(_Item(f"{self.lead.text} {text}", marked=kind is not None))
            self.lead_used = True
            return
        self.flush_lead()
        if text.endswith(":"):
            self.lead = _Item(text.rstrip(" :"), marked=kind is not None)
            self.lead_kind = kind
            self.lead_used = False
            return
        draft.items.append(_Item(text, marked=kind is not None))

    def continues(self, unit: Unit) -> bool:
        """A lower-case paragraph after an unfinished item is the rest of that item."""
        draft = self.current
        if draft is None or draft.closed or not draft.items or self.lead is not None or unit.kind is not None:
            return False
        last = draft.items[-1]
        first = unit.text[0]
        if last.text.endswith(_TERMINAL) or not (first.islower() or first in '«"“(0123456789'):
            return False
        return last.marked or not starts_with_infinitive(_words(unit.text))

    def is_item(self, unit: Unit) -> bool:
        draft = self.current
        if draft is None:
            return False
        if _is_sibling(unit, draft.marker):
            return False
        if _is_item_like(unit):
            return True
        if self.lead is not None and _continues_phrase(unit.text):
            return True  # a plain sub-item under "обеспечить:", or the rest of "… по следующим темам:"
        return not draft.items and self.lead is None  # the first paragraph after a heading


def _is_sibling(unit: Unit, heading_marker: str) -> bool:
    """A numbered paragraph at the heading's own level or above: after "2. Школам:", "3. Контроль …
    возложить …" is a sibling, not an item (an infinitive "2. провести …" under "1. Школам:" stays an
    item: Word lists often restart their numbering); after "2.3. Школам:", "3. …" is above it."""
    if unit.kind != "number" or not heading_marker:
        return False
    shape, heading_shape = re.sub(r"\d+", "9", unit.marker), re.sub(r"\d+", "9", heading_marker)
    if shape.endswith(".") and heading_shape.endswith(".") and shape.count(".") < heading_shape.count("."):
        return True
    if shape != heading_shape or starts_with_infinitive(_words(unit.text)[:2]):
        return False
    return _first_number(unit.marker) > _first_number(heading_marker)


def _first_number(marker: str) -> int:
    m = re.match(r"\d+", marker)
    return int(m.group()) if m else 0


def _stamp_end(units: list[Unit]) -> int:
    """Index of the first unit after an approval stamp above the title ("УТВЕРЖДЕНА приказом … от … №",
    "УТВЕРЖДАЮ Начальник … И.О. Фамилия", "ПРИЛОЖЕНИЕ к приказу …"), 0 if there is none."""
    first = next((i for i, u in enumerate(units) if not u.standalone and not _STAMP_RE.fullmatch(u.text)), None)
    if first is None or units[first].kind is not None or not _APPROVAL_RE.match(units[first].text):
        return 0
    end = first + 1
    while end < len(units):
        unit = units[end]
        text = unit.text
        if unit.kind is not None or re.search("резолюци", text, re.IGNORECASE):
            break
        short = len(text.split()) <= 12
        if not (unit.standalone or _continues_phrase(text) or text[0] == "_" or _STAMP_RE.fullmatch(text)
                or (short and (_STAMP_LINE_RE.match(text) or _INITIALS_RE.search(text)))):  # fmt: skip
            break
        end += 1
    return end


def _title(units: list[Unit], first: int = 0) -> tuple[str, int]:
    """Title and the index of the first unit after it; the search starts at `first`."""
    idx = next(
        (i for i in range(first, len(units)) if not units[i].standalone and not _STAMP_RE.fullmatch(units[i].text)),
        None,
    )
    if idx is None:
        return "", first
    # A letterhead ("Министерство образования и науки Смоленской области") above «РЕЗОЛЮЦИЯ» is not the title.
    named = next((i for i in range(idx, min(idx + 4, len(units))) if _TITLE_LINE_RE.match(units[i].text)), idx)
    if all(units[i].kind is None and _marker_line(units[i]) is None for i in range(idx, named)):
        idx = named
    _cut_preamble(units, idx)
    unit = units[idx]
    following = units[idx + 1] if idx + 1 < len(units) else None
    if heading_of(unit, following) is not None or _marker_line(unit) is not None:
        return "", idx  # a pasted fragment that starts with the recommendations
    title = unit.text
    end = idx + 1
    if len(title.split()) <= 3 and re.search("резолюци", title, re.IGNORECASE) and following is not None:
        after = units[end + 1] if end + 1 < len(units) else None
        joinable = not (
            following.standalone or following.kind is not None or _ends_sentence(following.text)
            or following.text[0].isdigit() or heading_of(following, after) is not None
            or _marker_line(following) is not None
        )  # fmt: skip
        if joinable:
            title = f"{title} {following.text}"
            end += 1
    return " ".join(title.split()), end


def _cut_preamble(units: list[Unit], idx: int) -> None:
    """A title unit that ends like a sentence has run into the preamble: split it where that starts."""
    unit = units[idx]
    if unit.kind is not None or not unit.text.endswith((".", ":")):
        return
    for pos in unit.breaks:
        before, after = unit.text[:pos].rstrip(), unit.text[pos:]
        last_line = before[before.rfind(" ", 0, max(0, len(before) - 1)) + 1 :]
        closes = before.rstrip("*").endswith(("»", '"', "”")) or (last_line.isupper() and not after[:2].isupper())
        if _SENTENCE_AFTER_TITLE.match(after) or (after[:1].isupper() and closes):
            units[idx : idx + 1] = [Unit(None, before, unit.gap), Unit(None, after)]
            return


def _start(units: list[Unit], first: int) -> tuple[int, str | None]:
    """Index where recommendations begin and a heading carried by the marker line itself."""
    for i in range(first, len(units)):
        unit = units[i]
        tail = _marker_line(unit)
        if tail is None:
            continue
        following = units[i + 1] if i + 1 < len(units) else None
        if heading_of(unit, following) is not None:
            # "Рекомендовать органам …:", "Школам рекомендовать:" are headings, maybe not the first one
            return first, None
        heading = heading_of(Unit(None, tail + ":"), following) if tail else None
        return i + 1, heading.text if heading else None
    return first, None


def _first_heading(units: list[Unit], start: int) -> int:
    for i in range(start, len(units)):
        if heading_of(units[i], units[i + 1] if i + 1 < len(units) else None):
            return i
    return len(units)


def _resolution_date(header: list[Unit]) -> date | None:
    """A standalone date line of the header, else the first plain full date of the preamble."""
    for unit in header:
        if unit.standalone:
            value = standalone_date(unit.text)
            if value is not None:
                return value
    for unit in header:
        value = first_full_date(unit.text)
        if value is not None:
            return value
    return None


def _read(units: list[Unit], start: int, carried: str | None) -> list[_Draft]:
    reader = _Reader()
    if carried:
        reader.open(carried)
    for i in range(start, len(units)):
        unit = units[i]
        following = units[i + 1] if i + 1 < len(units) else None
        if _is_signature(unit):
            break
        heading = heading_of(unit, following)
        if reader.continues(unit) and not (heading and unit.text.endswith(":")):
            reader.drafts[-1].items[-1].text += " " + unit.text
            continue
        if heading is not None:
            reader.open(heading.text, unit.marker)
            if heading.item:
                reader.add(heading.item, unit.kind)
            continue
        draft = reader.current
        if draft is None or draft.closed:
            continue
        if reader.is_item(unit):
            reader.add(unit.text, unit.kind)
        else:
            reader.flush_lead()
            draft.closed = True
    reader.flush_lead()
    return reader.drafts


def parse_structure(text: str) -> ParsedResolution:
    """Parse plain text; raises ParseError only (empty text, no addressees)."""
    units = split_units(text)
    if not units:
        raise ParseError("Текст пуст")
    stamp_end = _stamp_end(units)
    title, after_title = _title(units, stamp_end)
    start, carried = _start(units, after_title)
    header_end = start if start > after_title else _first_heading(units, after_title)
    # The stamp's date is the order's: the resolution's own date comes first.
    res_date = _resolution_date(units[stamp_end:header_end]) or next(
        (d for u in units[:stamp_end] if (d := any_full_date(u.text)) is not None), None
    )
    addressees = []
    for draft in _read(units, start, carried):
        recs = []
        for item in draft.items:
            text_ = _clean_item(item.text)
            if not text_:
                continue
            timing = analyse(text_, res_date)
            recs.append(Recommendation(text_, timing.due, timing.starts, timing.recurring, timing.period))
        if recs and draft.heading:
            addressees.append(Addressee(draft.heading, roles_of(draft.heading), tuple(recs)))
    if not addressees:
        raise ParseError("В документе не найдено ни одного адресата рекомендаций")
    return ParsedResolution(title, res_date, tuple(addressees))


def parse_text(text: str) -> ParsedResolution:
    """Parse pasted text. Only ParseError escapes: an internal failure is reported, not raised raw."""
    try:
        return parse_structure(text)
    except ParseError:
        raise
    except Exception as exc:  # a bug must not crash the bot's handler
        raise ParseError("Не удалось разобрать текст резолюции: внутренняя ошибка разбора") from exc
