"""Property tests: whatever comes in, only ParseError goes out, and quickly."""

from __future__ import annotations

import contextlib
import io
import time
import zipfile
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.parsing import ParseError, parse_bytes, parse_text
from models.parsing.dates import analyse, first_full_date, standalone_date
from models.parsing.model import ROLE_ORDER as ROLE_ORDER_FOR_TESTS
from models.parsing.roles import roles_of
from models.parsing.structure import parse_structure

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADINGS = [
    "Департаменту Смоленской области по образованию и науке:", "ГАУ ДПО СОИРО:", "органам местного самоуправления",
    "1. Органам местного самоуправления и общеобразовательным организациям:", "1.1. Руководителям ОО:",
    "Профессиональным образовательным организациям:", "Рекомендовать ГАУ ДПО СОИРО:", "Для органов власти:",
    "Социальным партнерам образовательных организаций и бизнес-сообществу", "2) Школам",
]  # fmt: skip
ITEMS = [
    "- обеспечить участие до 1 сентября 2024 года;", "– провести мониторинг в IV квартале 2024 г.",
    "1) ежегодно проводить конкурс", "а) участие в проекте;", "б) проведение конкурса.", "Обеспечить функционирование.",
    "• с 1 сентября 2022года приступить", "- обеспечить:", "* раз в квартал отчитываться;", "- внести изменения в",
    "соответствии с законом;", "1.2.3. организовать работу с 01.09.2023 по 31.05.2024", "- до 31 февраля 2025 года",
]  # fmt: skip
JUNK = [
    "", "", "- 2 -", "Стр. 3", "12", "Председатель оргкомитета И.О. Фамилия", "Участники рекомендуют:", "РЕЗОЛЮЦИЯ",
    "«28» августа 2023 г.", "г. Смоленск", "**", "__", "«", "»", ":", "-", "1.", "а)", "Принята единогласно.",
    "с 1 по", "до", "в течение 2023/2024 учебного года", "Участники выражают уверенность, что:",
]  # fmt: skip
LINES = st.one_of(st.sampled_from(HEADINGS), st.sampled_from(ITEMS), st.sampled_from(JUNK), st.text(max_size=40))
DOCUMENTS = st.lists(LINES, max_size=40).map("\n".join)


@FAST
@given(st.text(max_size=2000))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_structure(text)


@FAST
@given(DOCUMENTS)
def test_grammar_documents_parse_or_raise_parse_error(text: str) -> None:
    try:
        parsed = parse_structure(text)
    except ParseError:
        return
    assert parsed.addressees
    for addressee in parsed.addressees:
        assert addressee.heading == addressee.heading.strip()
        assert list(addressee.roles) == [r for r in ROLE_ORDER_FOR_TESTS if r in addressee.roles]
        assert addressee.recommendations
        for rec in addressee.recommendations:
            assert rec.text
            assert rec.text == " ".join(rec.text.split())
            assert not rec.text.endswith(";")
            assert rec.recurring is (rec.period is not None)
    assert parse_text(text).to_json_dict() == parsed.to_json_dict()


@FAST
@given(
    st.binary(max_size=3000),
    st.sampled_from(["r.txt", "r.docx", "r.pdf", "r", "r.png", "r.doc", "R.TXT", "r.odt", "r.rtf"]),
)
def test_arbitrary_bytes_raise_only_parse_error(data: bytes, name: str) -> None:
    with contextlib.suppress(ParseError):
        parse_bytes(data, name)


@FAST
@given(
    st.binary(max_size=2000),
    st.sampled_from(
        [b"PK\x03\x04", b"%PDF-1.4\n", b"\xef\xbb\xbf", b"\xff\xfe", b"{\\rtf1\\ansi ", b"\xd0\xcf\x11\xe0"]
    ),
    st.sampled_from(["r", "r.odt", "r.rtf", "r.txt"]),
)
def test_magic_prefixed_junk_raises_only_parse_error(data: bytes, magic: bytes, name: str) -> None:
    with contextlib.suppress(ParseError):
        parse_bytes(magic + data, name)


@FAST
@given(st.text(max_size=1500))
def test_rtf_with_arbitrary_body_raises_only_parse_error(body: str) -> None:
    with contextlib.suppress(ParseError):
        parse_bytes(("{\\rtf1\\ansi\\ansicpg1251 " + body + "}").encode("utf-8", errors="replace"), "r.rtf")


@FAST
@given(st.text(max_size=300), st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))))
def test_date_and_role_helpers_never_raise(text: str, ref: date | None) -> None:
    timing = analyse(text, ref)
    if timing.recurring:
        assert timing.period is not None
    standalone_date(text)
    first_full_date(text)
    roles_of(text)


ADVERSARIAL = [
    "1" * 20000, "с " * 10000, "«" * 20000, "-" * 20000, "а" * 50000, "1.1." * 5000, "до 1 " * 5000,
    "Органам " * 5000 + ":", "\n" * 20000, "- \n" * 10000, "с 1 по " * 3000, "1 сентября " * 3000,
    "I " * 10000 + "квартал", "2023/" * 5000, " и" * 10000, ", органам" * 5000, "раз в " * 5000,
]  # fmt: skip


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_input_is_fast(text: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(ParseError):
        parse_structure(text)
    analyse(text[:5000])
    roles_of(text[:5000])
    assert time.perf_counter() - started < 1.0


def test_twenty_page_resolution_parses_in_milliseconds() -> None:
    block = (
        "{n}. Органам местного самоуправления муниципального района № {n}:\n"
        "{n}.1. обеспечить участие обучающихся во Всероссийских проверочных работах в срок до 25 декабря 2023 г.;\n"
        "{n}.2. ежеквартально представлять информацию о ходе реализации программ в Департамент;\n"
        "{n}.3. организовать работу по профилактике деструктивного поведения обучающихся\n"
        "до конца первого полугодия 2024 года;\n"
        "- внести необходимые изменения в локальные нормативные акты в\n\n"
        "соответствии с изменениями в законодательстве в сфере образования.\n\n- {n} -\n\n"
    )
    text = "РЕЗОЛЮЦИЯ\n\n«28» августа 2023 г.\n\nУчастники рекомендуют:\n\n" + "".join(
        block.format(n=n) for n in range(1, 121)
    )
    assert len(text) > 60_000  # about 20 pages
    started = time.perf_counter()
    parsed = parse_text(text)
    elapsed = time.perf_counter() - started
    assert len(parsed.addressees) == 120
    assert all(len(a.recommendations) == 4 for a in parsed.addressees)
    assert elapsed < 0.5, elapsed


@FAST
@given(st.text(max_size=1500), st.booleans())
def test_odt_with_arbitrary_content_raises_only_parse_error(content: str, with_mimetype: bool) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if with_mimetype:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    with contextlib.suppress(ParseError):
        parse_bytes(out.getvalue(), "r.odt")
