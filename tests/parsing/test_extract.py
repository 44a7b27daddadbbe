"""File → text: .docx numbering and tables, .pdf, .txt decoding, and every kind of bad input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from pypdf import PdfWriter

from models.parsing import DEFAULT_MAX_BYTES, ParseError, parse_bytes, parse_file
from models.parsing.extract import decode_text, docx_text, extract_text, format_number
from tests.parsing.test_formats import add_list, set_num

GENRE = Path(__file__).parent.parent / "fixtures" / "genre"
SIMPLE = "Резолюция\n\nШколам:\n- провести совещание.\n"


def save(document: Any) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- .docx ----------------------------------------------------------------------------------------


def test_docx_numbering_formats_levels_and_counters() -> None:
    document = Document()
    add_list(document, "90", [("decimal", "%1."), ("decimal", "%1.%2."), ("russianLower", "%3)")])
    add_list(document, "91", [("upperRoman", "%1."), ("bullet", "\uf0b7")])
    add_list(document, "92", [("lowerLetter", "%1)"), ("decimal", "%2"), ("none", "")])
    for text, num, lvl in [
        ("Органам:", "90", 0), ("обеспечить:", "90", 1), ("раз", "90", 2), ("два", "90", 2), ("провести", "90", 1),
        ("Школам:", "90", 0), ("сдать", "90", 1), ("Раздел", "91", 0), ("пункт", "91", 1), ("Раздел два", "91", 0),
        ("буква", "92", 0), ("без точки", "92", 1), ("без номера", "92", 2),
    ]:  # fmt: skip
        set_num(document.add_paragraph(text), num, lvl)
    document.add_paragraph("Список по стилю", style="List Number")
    document.add_paragraph("Маркер по стилю", style="List Bullet")
    set_num(document.add_paragraph("Нумерация снята", style="List Bullet"), "0", 0)
    assert docx_text(save(document)).split("\n\n") == [
        "1. Органам:", "1.1. обеспечить:", "а) раз", "б) два", "1.2. провести", "2. Школам:", "2.1. сдать",
        "I. Раздел", "- пункт", "II. Раздел два", "a) буква", "1. без точки", "без номера",
        "1. Список по стилю", "- Маркер по стилю", "Нумерация снята",
    ]  # fmt: skip


def test_docx_list_style_links_and_style_levels() -> None:
    """A list defined through a list style (w:numStyleLink) and a List Number 2 paragraph (level via lvl/pStyle)."""
    document = Document()
    add_list(document, "96", [("decimal", "%1."), ("russianLower", "%2)")])
    numbering = document.part.numbering_part.element
    numbering.find(qn("w:num")).addprevious(
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="95"><w:numStyleLink w:val="MyList"/></w:abstractNum>'
        )
    )
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="95"><w:abstractNumId w:val="95"/></w:num>'))
    document.styles.element.append(
        parse_xml(
            f'<w:style {nsdecls("w")} w:type="numbering" w:styleId="MyList"><w:name w:val="My List"/>'
            '<w:pPr><w:numPr><w:numId w:val="96"/></w:numPr></w:pPr></w:style>'
        )
    )
    set_num(document.add_paragraph("Школам:"), "95", 0)
    set_num(document.add_paragraph("провести совещание"), "95", 1)
    document.add_paragraph("второй уровень по стилю", style="List Number 2")
    assert docx_text(save(document)).split("\n\n") == [
        "1. Школам:",
        "а) провести совещание",
        "1. второй уровень по стилю",
    ]


@pytest.mark.parametrize(
    ("n", "fmt", "text"),
    [
        (3, "decimal", "3"), (1, "lowerLetter", "a"), (27, "lowerLetter", "aa"), (2, "upperLetter", "B"),
        (1, "russianLower", "а"), (9, "russianLower", "и"), (10, "russianLower", "к"), (2, "russianUpper", "Б"),
        (4, "lowerRoman", "iv"),
        (14, "upperRoman", "XIV"), (5, "decimalZero", "05"), (2, "ordinalText", "2"),
    ],
)  # fmt: skip
def test_format_number(n: int, fmt: str, text: str) -> None:
    assert format_number(n, fmt) == text


def test_docx_tables_are_read_in_order() -> None:
    document = Document()
    document.add_paragraph("Резолюция семинара")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "1."
    table.cell(0, 1).text = "Школам:"
    table.cell(1, 0).text = "2."
    table.cell(1, 1).paragraphs[0].text = "провести совещание до 1 мая 2024 года;"
    table.cell(1, 1).add_paragraph("провести конкурс.")
    document.add_paragraph("Председатель И.И. Иванов")
    text = docx_text(save(document))
    assert text.split("\n\n") == [
        "Резолюция семинара", "1.", "Школам:", "2.", "провести совещание до 1 мая 2024 года;", "провести конкурс.",
        "Председатель И.И. Иванов",
    ]  # fmt: skip
    parsed = parse_bytes(save(document), "r.docx")
    assert [r.text for r in parsed.addressees[0].recommendations] == [
        "провести совещание до 1 мая 2024 года",
        "провести конкурс",
    ]


def test_docx_soft_breaks_tabs_and_hyperlink_free_runs() -> None:
    document = Document()
    document.add_paragraph("РЕЗОЛЮЦИЯ")
    p = document.add_paragraph("Школам")
    p.add_run(":").add_break()
    p.add_run("- провести\tсовещание.")
    assert docx_text(save(document)) == "РЕЗОЛЮЦИЯ\n\nШколам:\n- провести совещание."


def test_docx_without_text_is_empty() -> None:
    document = Document()
    document.add_paragraph("   ")
    with pytest.raises(ParseError, match="Файл пуст"):
        parse_bytes(save(document), "empty.docx")


# --- bad input ------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _zip(name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(name, "hello")
    return out.getvalue()


def _pdf(*, encrypt: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if encrypt:
        writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "r.txt", "Файл пуст"),
        (b"   \n\r\n\t  ", "r.txt", "Файл пуст"),
        ("\ufeff  \n".encode(), "r.txt", "Файл пуст"),
        (PNG, "r.png", "Неподдерживаемый формат файла: ожидается .docx, .odt, .rtf, .txt или .pdf"),
        (SIMPLE.encode(), "r.xlsx", "Неподдерживаемый формат"),
        (PNG, "r.txt", "не соответствует расширению .txt"),
        (PNG, "r.docx", "не является документом Word"),
        (PNG, "r", "не соответствует расширению"),
        (_zip("hello.txt"), "r.docx", "не является документом Word"),
        (b"PK\x03\x04" + b"\x00garbage" * 50, "r.docx", "не является документом Word"),
        (_zip("word/document.xml"), "r.docx", "не является документом Word"),
        (SIMPLE.encode(), "r.docx", "не является документом Word"),
        (_zip("hello.txt"), "r.txt", "не соответствует расширению .txt"),
        (SIMPLE.encode(), "r.pdf", "не является PDF"),
        (b"%PDF-1.4\n" + b"\x00\xff garbage " * 40, "r.pdf", "PDF"),
        (_pdf(), "r.pdf", "PDF без текстового слоя"),
        (_pdf(encrypt=True), "r.pdf", "паролем"),
        (b"{\\rtf1\\ansi hello}", "r.rtf", "не найдено ни одного адресата"),
        (SIMPLE.encode(), "r.rtf", "не является документом RTF"),
        (SIMPLE.encode(), "r.odt", "не является документом OpenDocument"),
        (_zip("content.xml"), "r.odt", "не является документом OpenDocument"),
        (bytes(range(256)) * 20, "r.txt", "двоичные данные"),
        (b"text\x00with\x00nuls and more text here", "r.txt", "двоичные данные"),
        (b"\x01\x02\x03\x04\x05\x06\x07" * 30, "r.txt", "двоичные данные"),
        ("Резолюция\n\nУчастники обсудили проблемы.".encode(), "r.txt", "не найдено ни одного адресата"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_bad_input_gives_a_clear_parse_error(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        parse_bytes(data, name)
    assert info.value.message == str(info.value)


def test_docx_that_python_docx_cannot_open_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("no main part")

    monkeypatch.setattr("docx.Document", broken)
    with pytest.raises(ParseError, match="не является документом Word"):
        extract_text(save(Document()), "r.docx")


def test_decode_text_fallbacks() -> None:
    assert decode_text("Школам".encode("cp1251")) == "Школам"
    assert decode_text(b"\xef\xbb\xbf\xd0\xa8") == "Ш"
    assert decode_text("Школам: провести".encode("utf-16-be")) == "Школам: провести"


def test_too_big_bytes() -> None:
    with pytest.raises(ParseError, match=r"Файл слишком большой: 2 КБ, предел 100 байт"):
        parse_bytes(b"x" * 2000, "r.txt", max_bytes=100)
    assert DEFAULT_MAX_BYTES == 10 * 1024 * 1024


def test_too_big_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(int(12.3 * 1024 * 1024))  # sparse: nothing is written

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(ParseError, match=r"^Файл слишком большой: 12.3 МБ, предел 10 МБ$"):
        parse_file(big)


def test_parse_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="Не удалось открыть файл"):
        parse_file(tmp_path / "missing.txt")
    with pytest.raises(ParseError, match="Не удалось открыть файл"):
        parse_file(str(tmp_path / "bad\x00name.txt"))
    with pytest.raises(ParseError, match="не файл"):
        parse_file(tmp_path)
    ok = tmp_path / "ok.txt"
    ok.write_text(SIMPLE, encoding="utf-8")
    assert parse_file(str(ok)).addressees[0].heading == "Школам"
