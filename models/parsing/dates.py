"""Dates in Russian resolution prose: deadlines, start dates and recurrence of one item.

Pure functions of the text (and of `ref`, the resolution's date, which supplies the year of
"до 1 сентября"). Every regex is linear: bounded repeats, no nested quantifiers.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from models.parsing.model import Period

MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
    "июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}  # fmt: skip
_MONTH = "|".join(MONTHS)
# A month as a period: "в марте", "до конца марта", "срок: март 2025 г." (the stems of all its cases).
_MONTH_STEMS = ("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
                "декабр")  # fmt: skip
_MONTH_FORM = r"(?:январ|феврал|апрел|июн|июл|сентябр|октябр|ноябр|декабр)(?:ь|я|е)|(?:март|август)(?:а|е)?|ма(?:й|я|е)"
_YEAR_WORD = r"(?:\s*(?:года|году|годом|г\.?)(?!\w))?"

_TEXT_DATE_RE = re.compile(
    rf"(?<![\w.])[«\"“]?(?P<d>\d{{1,2}})[»\"”]?\s*(?P<m>{_MONTH})(?![^\W\d_])(?:\s*(?P<y>\d{{4}})(?!\d){_YEAR_WORD})?",
    re.IGNORECASE,
)
_NUM_DATE_RE = re.compile(
    rf"(?<![\w.])(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}}|\d{{2}})(?![\w]|\.\d){_YEAR_WORD}"
    rf"|(?<![\w.])(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})(?![\w-])"
)
_QUARTER_RE = re.compile(
    r"(?<!\w)(?:(?P<r>IV|I{1,3})|(?P<n>[1-4])(?:\s*-?\s*(?:го|м|ом|й))?|(?P<w>перв|втор|трет|четв[её]рт)\w{0,4})"
    r"\s+квартал\w{0,3}\s+(?P<y>\d{4})(?!\d)",
    re.IGNORECASE,
)
_HALF_RE = re.compile(
    r"(?<!\w)(?:(?P<r>II|I)|(?P<n>[12])(?:\s*-?\s*(?:го|м|ом|е))?|(?P<w>перв|втор)\w{0,4})"
    r"\s+полугоди\w{0,3}\s+(?P<y>\d{4})(?!\d)",
    re.IGNORECASE,
)
_SCHOOL_YEAR_RE = re.compile(
    r"(?<!\d)(?P<y1>\d{4})\s*[/–—-]\s*(?P<y2>\d{4}|\d{2})(?!\d)\s*(?:учебн\w{0,4}\s+год\w{0,3}|уч\.\s*г(?:ода|\.)?)",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"(?<!\w)(?P<y>\d{4})\s*(?:года|году|г\.?)(?!\w)", re.IGNORECASE)
_YEARS_RE = re.compile(r"(?<!\w)в\s+(?P<y1>\d{4})\s*[-–—]\s*(?P<y2>\d{4})\s*(?:годах|гг\.?)", re.IGNORECASE)
_MONTH_PERIOD_RE = re.compile(
    rf"(?<![\w.])(?P<m1>{_MONTH_FORM})(?:\s*(?:[-–—]|(?P<to>по|до))\s*(?P<m2>{_MONTH_FORM}))?(?![^\W\d_])"
    rf"(?:\s*(?P<y>\d{{4}})(?!\d){_YEAR_WORD})?",
    re.IGNORECASE,
)
_DUE_MONTH_PREFIX = re.compile(
    r"(?<!\w)(?:в\s+течение|в|во|до\s+конца|до\s+окончания|на\s+протяжении|в\s+ходе|не\s+позднее|в\s+период)\s*$"
    r"|(?:^|[:(–—-]|срок\w*)\s*$",  # "срок исполнения: март 2025 г.", "(март 2025 г.)"
    re.IGNORECASE,
)
_END_OF_THIS_YEAR_RE = re.compile(r"(?<!\w)до\s+конца\s+(?:текущего\s+|этого\s+)?года(?!\w)", re.IGNORECASE)

# What stands right before a date decides its meaning.
_START_PREFIX = re.compile(r"(?<!\w)(?:начиная\s+)?со?\s*$", re.IGNORECASE)
_REF_PREFIX = re.compile(r"(?<!\w)от\s*$", re.IGNORECASE)
_DAY_RANGE_PREFIX = re.compile(
    r"(?:(?<!\w)со?\s+(?P<d>\d{1,2})\s*(?:по|до|[-–—])|(?<![\w.])(?P<d2>\d{1,2})\s*[-–—])\s*$", re.IGNORECASE
)
_RANGE_GAP = re.compile(r"\s*(?:по|до|[-–—])\s*", re.IGNORECASE)
_DUE_YEAR_PREFIX = re.compile(
    r"(?<!\w)(?:в\s+течение|в|во|до\s+конца|до\s+окончания|на\s+протяжении|в\s+ходе)\s*$", re.IGNORECASE
)
_START_OF_PREFIX = re.compile(r"(?<!\w)(?:к|до)\s+началу?\s*$", re.IGNORECASE)

_PERIOD_WORDS = {
    "ежедневно": Period.DAY, "еженедельно": Period.WEEK, "ежемесячно": Period.MONTH,
    "ежеквартально": Period.QUARTER, "ежеполугодно": Period.HALFYEAR, "ежегодно": Period.YEAR,
}  # fmt: skip
_PERIOD_UNITS = (
    ("дн", Period.DAY), ("сут", Period.DAY), ("недел", Period.WEEK), ("месяц", Period.MONTH),
    ("квартал", Period.QUARTER), ("полугод", Period.HALFYEAR), ("полгода", Period.HALFYEAR), ("год", Period.YEAR),
)  # fmt: skip
_ADJ_UNITS = (
    ("дневн", Period.DAY), ("недельн", Period.WEEK), ("месячн", Period.MONTH),
    ("квартальн", Period.QUARTER), ("полугодн", Period.HALFYEAR), ("годн", Period.YEAR),
)  # fmt: skip
_PERIOD_RE = re.compile(
    r"(?<!\w)(?:(?P<adv>ежедневно|еженедельно|ежемесячно|ежеквартально|ежеполугодно|ежегодно)(?!\w)"
    r"|раза?\s+в\s+(?P<unit>день|сутки|неделю|месяц|квартал|полугодие|полгода|год)(?!\w)"
    r"|кажд(?:ый|ую|ое)\s+(?P<each>день|неделю|месяц|квартал|полугодие|год)(?!\w)"
    r"|на\s+еже(?P<adj>дневн|недельн|месячн|квартальн|полугодн|годн)ой\s+основе)",
    re.IGNORECASE,
)

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
_ORDINAL = {"перв": 1, "втор": 2, "трет": 3, "четв": 4}


@dataclass(frozen=True, slots=True)
class Timing:
    due: date | None
    starts: date | None
    period: Period | None

    @property
    def recurring(self) -> bool:
        return self.period is not None


@dataclass(slots=True)
class _Mention:
    """One day-and-month date in the text; `year` may be filled in from a range partner."""

    start: int
    end: int
    day: int
    month: int
    year: int | None
    explicit: bool  # the year is written in the text (own or range partner's)
    kind: str = "due"  # due / start / ref


def make_date(year: int, month: int, day: int) -> date | None:
    """A valid date in a sane range, else None (31 февраля is ignored, never raised)."""
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date | None:
    return make_date(year, month, calendar.monthrange(year, month)[1]) if 1990 <= year <= 2100 else None


def _year4(text: str) -> int:
    value = int(text)
    return value + 2000 if len(text) == 2 else value


def _mentions(text: str) -> list[_Mention]:
    found: list[_Mention] = []
    for m in _TEXT_DATE_RE.finditer(text):
        year = int(m["y"]) if m["y"] else None
        found.append(_Mention(m.start(), m.end(), int(m["d"]), MONTHS[m["m"].lower()], year, year is not None))
    for m in _NUM_DATE_RE.finditer(text):
        if m["iy"]:
            found.append(_Mention(m.start(), m.end(), int(m["id"]), int(m["im"]), int(m["iy"]), True))
        else:
            found.append(_Mention(m.start(), m.end(), int(m["d"]), int(m["m"]), _year4(m["y"]), True))
    found.sort(key=lambda x: x.start)
    for mention in found:
        prefix = text[max(0, mention.start - 40) : mention.start]
        if _REF_PREFIX.search(prefix) or text[mention.end : mention.end + 3].lstrip().startswith("№"):
            mention.kind = "ref"  # "приказ от 15.08.2023 № 12" names a document, not a deadline
        elif _START_PREFIX.search(prefix):
            mention.kind = "start"
    # "с 1 сентября по 31 декабря 2023 года": the missing year comes from the other end of the range.
    for left, right in itertools.pairwise(found):
        if left.kind != "start" or not _RANGE_GAP.fullmatch(text[left.end : right.start]):
            continue
        if left.year is None and right.year is not None:
            left.year = right.year - ((left.month, left.day) > (right.month, right.day))
            left.explicit = right.explicit
        elif right.year is None and left.year is not None:
            right.year = left.year + ((right.month, right.day) < (left.month, left.day))
            right.explicit = left.explicit
    return found


def _with_ref_year(month: int, day: int, ref: date | None) -> date | None:
    """A date without a year: the resolution's year, or the next one if it would fall before it."""
    if ref is None:
        return None
    value = make_date(ref.year, month, day)
    if value is None or value < ref:
        value = make_date(ref.year + 1, month, day)
    return value


def _quarter_no(m: re.Match[str]) -> int:
    if m["r"]:
        return _ROMAN[m["r"].upper()]
    if m["n"]:
        return int(m["n"])
    return _ORDINAL[m["w"].lower().replace("ё", "е")[:4]]


def _candidates(text: str, ref: date | None) -> Iterator[tuple[str, date, bool]]:
    """(kind, date, explicit) for every deadline or start found; explicit = a full date with its year."""
    for mention in _mentions(text):
        if mention.kind == "ref":
            continue
        if mention.year is None:
            value = _with_ref_year(mention.month, mention.day, ref)
        else:
            value = make_date(mention.year, mention.month, mention.day)
        if value is None:
            continue
        yield mention.kind, value, mention.explicit
        day_range = _DAY_RANGE_PREFIX.search(text[max(0, mention.start - 20) : mention.start])
        if day_range and mention.kind == "due":  # "с 1 по 15 сентября 2023 года"
            first = make_date(value.year, value.month, int(day_range["d"] or day_range["d2"]))
            if first is not None:
                yield "start", first, mention.explicit
    for kind, value in _period_phrases(text, ref):
        yield kind, value, False


def _prefix(text: str, pos: int) -> str:
    return text[max(0, pos - 30) : pos]


def _period_phrases(text: str, ref: date | None) -> Iterator[tuple[str, date]]:
    for m in _QUARTER_RE.finditer(text):
        quarter, year = _quarter_no(m), int(m["y"])
        if _START_PREFIX.search(_prefix(text, m.start())):
            start = make_date(year, 3 * quarter - 2, 1)
            if start:
                yield "start", start
            continue
        end = _month_end(year, 3 * quarter)
        if end:
            yield "due", end
    for m in _HALF_RE.finditer(text):
        half, year = _quarter_no(m), int(m["y"])
        if _START_PREFIX.search(_prefix(text, m.start())):
            start = make_date(year, 1 if half == 1 else 7, 1)
            if start:
                yield "start", start
            continue
        end = make_date(year, 6, 30) if half == 1 else make_date(year, 12, 31)
        if end:
            yield "due", end
    for m in _SCHOOL_YEAR_RE.finditer(text):
        first, second = int(m["y1"]), m["y2"]
        last = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
        if last != first + 1:
            continue
        prefix = _prefix(text, m.start())
        if _START_PREFIX.search(prefix):
            value, kind = make_date(first, 9, 1), "start"
        elif _START_OF_PREFIX.search(prefix):
            value, kind = make_date(first, 9, 1), "due"
        elif _DUE_YEAR_PREFIX.search(prefix):
            value, kind = make_date(last, 8, 31), "due"
        else:
            continue
        if value:
            yield kind, value
    for m in _YEAR_RE.finditer(text):
        prefix = _prefix(text, m.start())
        year = int(m["y"])
        if _START_PREFIX.search(prefix):
            value, kind = make_date(year, 1, 1), "start"
        elif _DUE_YEAR_PREFIX.search(prefix):
            value, kind = make_date(year, 12, 31), "due"
        else:
            continue
        if value:
            yield kind, value
    yield from _months(text, ref)
    for m in _YEARS_RE.finditer(text):
        value = make_date(int(m["y2"]), 12, 31)
        if value and int(m["y1"]) <= int(m["y2"]):
            yield "due", value
    if ref is not None and _END_OF_THIS_YEAR_RE.search(text):
        yield "due", date(ref.year, 12, 31)


def _month_no(word: str) -> int:
    w = word.lower()
    return next(i for i, stem in enumerate(_MONTH_STEMS, 1) if w.startswith(stem) and (stem != "ма" or len(w) == 3))


def _months(text: str, ref: date | None) -> Iterator[tuple[str, date]]:
    """A month is a period like a quarter: "в марте 2025 года", "до конца марта" are due on its last day,
    "с марта 2025 года" starts on its first; "в июне–августе 2025 года", "с марта по май" span months.
    A month without a year takes the resolution's (or the next) year, as "до 1 сентября" does."""
    for m in _MONTH_PERIOD_RE.finditer(text):
        prefix = _prefix(text, m.start())
        if re.search(r"\d[»\"”]?\s*$", prefix):
            continue  # "31 марта": a day, read as a date
        first, last = _month_no(m["m1"]), _month_no(m["m2"] or m["m1"])
        starting = bool(_START_PREFIX.search(prefix))
        if not starting and not _DUE_MONTH_PREFIX.search(prefix):
            continue
        if m["y"]:
            year = int(m["y"])
            first_year = year - (first > last)
        elif ref is not None and m["m1"][-1:].lower() not in "ьйт":  # "в марте", not a bare "март"
            end = _month_end(ref.year, last)
            year = ref.year + (end is not None and end < ref)
            first_year = year - (first > last)
        else:
            continue
        if starting:
            start = make_date(first_year, first, 1)
            if start:
                yield "start", start
            if not (m["to"] or m["m2"]):
                continue
        end = _month_end(year, last)
        if end:
            yield "due", end


def find_period(text: str) -> Period | None:
    """The recurrence of an item: ежегодно, ежеквартально, «раз в месяц», «на ежегодной основе» …"""
    m = _PERIOD_RE.search(text)
    if m is None:
        return None
    if m["adv"]:
        return _PERIOD_WORDS[m["adv"].lower()]
    if m["adj"]:
        adj = m["adj"].lower()
        return next(period for stem, period in _ADJ_UNITS if adj.startswith(stem))
    unit = (m["unit"] or m["each"]).lower()
    return next(period for stem, period in _PERIOD_UNITS if unit.startswith(stem))


def analyse(text: str, ref: date | None = None) -> Timing:
    """Due date (the latest deadline), start date (the earliest start) and recurrence of one item.

    A recurring item keeps only full explicit dates with a year: "ежегодно до 1 сентября" has no due.
    """
    period = find_period(text)
    dues: list[date] = []
    starts: list[date] = []
    for kind, value, explicit in _candidates(text, ref):
        if period is not None and not explicit:
            continue
        (starts if kind == "start" else dues).append(value)
    return Timing(max(dues, default=None), min(starts, default=None), period)


def find_due(text: str, ref: date | None = None) -> date | None:
    return analyse(text, ref).due


def find_starts(text: str, ref: date | None = None) -> date | None:
    return analyse(text, ref).starts


_STANDALONE_NOISE = re.compile(
    r"(?<!\w)(?:от|г\.\s*[А-ЯЁ][а-яё-]+|город\s+[А-ЯЁ][а-яё-]+|года|г\.?)(?!\w)|№\s*[\w/.-]*|[\s,.;:()«»\"“”-]+",
    re.IGNORECASE,
)


def standalone_date(line: str) -> date | None:
    """The date of a header line that holds nothing else: "27 августа 2019 г.", "от 15.08.2023 № 12"."""
    if len(line) > 80:
        return None
    mentions = [m for m in _mentions(line) if m.year is not None]
    if len(mentions) != 1:
        return None
    m = mentions[0]
    if _STANDALONE_NOISE.sub("", line[: m.start] + " " + line[m.end :]):
        return None
    return make_date(m.year or 0, m.month, m.day)


def first_full_date(text: str) -> date | None:
    """The first day-month-year date that is neither a start, a range end nor a document reference."""
    mentions = _mentions(text)
    for i, m in enumerate(mentions):
        if m.kind != "due" or m.year is None or not m.explicit:
            continue
        prev = mentions[i - 1] if i else None
        if prev is not None and prev.kind == "start" and _RANGE_GAP.fullmatch(text[prev.end : m.start]):
            continue
        if _DAY_RANGE_PREFIX.search(text[max(0, m.start - 20) : m.start]):
            continue
        value = make_date(m.year, m.month, m.day)
        if value is not None:
            return value
    return None


def any_full_date(text: str) -> date | None:
    """The first date with day, month and year, whatever stands before it ("приказом от 28.08.2024 № 7")."""
    for m in _mentions(text):
        if m.year is not None and m.explicit:
            value = make_date(m.year, m.month, m.day)
            if value is not None:
                return value
    return None
