"""Genre fixtures: the same document as .txt, as .docx with real Word numbering, and as .pdf."""

from __future__ import annotations

import codecs
import importlib.util
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from models.parsing import ParseError, parse_bytes, parse_file
from models.parsing.extract import OLD_WORD, docx_text, odt_text, rtf_text

GENRE = Path(__file__).parent.parent / "fixtures" / "genre"
TEXTS = sorted(GENRE.glob("*.txt"))
REAL = sorted((GENRE.parent / "resolutions").glob("*.txt"))

_MARKER = re.compile(
    r"(?P<bullet>[-–—•·*])\s+|(?P<dotted>\d{1,2}(?:\.\d{1,2})*\.)\s+|(?P<paren>\d{1,2}\))\s+|(?P<letter>[а-яa-z])\)\s+"
)
_PAGE = re.compile(r"(?:[-–—]\s*)?\d{1,3}(?:\s*[-–—])?|Стр\.\s*\d+|Страница \d+ из \d+")
# numIds of the lists the builder adds next to the template's own (List Bullet = 1, List Number = 5).
DECIMAL, CYRILLIC, LATIN = "90", "91", "92"


def expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GENRE / f"{name}.expected.json").read_text(encoding="utf-8"))
    return data


def test_there_are_enough_genre_documents() -> None:
    assert len(TEXTS) >= 6
    assert all(p.with_suffix(".expected.json").exists() for p in TEXTS)


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_txt_parses_to_expected_json(path: Path) -> None:
    assert parse_file(path).to_json_dict() == expected(path.stem)


# --- .docx built from the .txt with automatic numbering ------------------------------------------


def _lvl(ilvl: int, fmt: str, text: str) -> Any:
    lvl = OxmlElement("w:lvl")
    lvl.set(qn("w:ilvl"), str(ilvl))
    for tag, value in (("w:start", "1"), ("w:numFmt", fmt), ("w:lvlText", text)):
        child = OxmlElement(tag)
        child.set(qn("w:val"), value)
        lvl.append(child)
    return lvl


def add_list(document: Any, num_id: str, levels: list[tuple[str, str]]) -> None:
    """A w:abstractNum with these (numFmt, lvlText) levels and a w:num pointing to it."""
    numbering = document.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), num_id)
    for ilvl, (fmt, text) in enumerate(levels):
        abstract.append(_lvl(ilvl, fmt, text))
    numbering.find(qn("w:num")).addprevious(abstract)  # schema order: abstractNums before nums
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), num_id)
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), num_id)
    num.append(ref)
    numbering.append(num)


def set_num(paragraph: Any, num_id: str, ilvl: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = int(num_id)


def word_paragraphs(text: str) -> list[str]:
    """What a Word user would have typed as paragraphs: list entries, wrapped lines joined."""
    result: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        entries: list[str] = []
        for raw in block.split("\n"):
            line = " ".join(raw.split())
            if not line or _PAGE.fullmatch(line):
                continue  # page numbers live in Word's footer, not in the body
            if entries and not _MARKER.match(line) and not re.search(r"[:;]$|\.$", entries[-1]):
                entries[-1] += " " + line
            else:
                entries.append(line)
        result.extend(entries)
    return result


def build_docx(text: str) -> bytes:
    """The text as a .docx whose list numbers and bullets are Word numbering, not typed characters."""
    document = Document()
    add_list(document, DECIMAL, [("decimal", "%1."), ("decimal", "%1.%2."), ("decimal", "%1.%2.%3.")])
    add_list(document, CYRILLIC, [("russianLower", "%1)")])
    add_list(document, LATIN, [("lowerLetter", "%1)")])
    for line in word_paragraphs(text):
        m = _MARKER.match(line)
        body = line[m.end() :] if m else line
        if m is None:
            document.add_paragraph(body)
        elif m["bullet"]:
            document.add_paragraph(body, style="List Bullet")  # numbering inherited from the style
        elif m["paren"]:
            document.add_paragraph(body, style="List Number")
        elif m["dotted"]:
            set_num(document.add_paragraph(body), DECIMAL, m["dotted"].count(".") - 1)
        else:
            letter = m["letter"]
            set_num(document.add_paragraph(body), CYRILLIC if "а" <= letter <= "я" else LATIN, 0)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_docx_with_word_numbering_parses_like_the_txt(path: Path) -> None:
    data = build_docx(path.read_text(encoding="utf-8"))
    assert parse_bytes(data, f"{path.stem}.docx").to_json_dict() == expected(path.stem)


def test_docx_builder_really_uses_numbering_not_typed_markers() -> None:
    data = build_docx((GENRE / "g01_numbered.txt").read_text(encoding="utf-8"))
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert "Департаменту Смоленской области по образованию и науке:" in texts
    assert not any(re.match(r"\d+\.|- ", t) for t in texts)
    assert "1.1. Департаменту Смоленской области по образованию и науке:" in docx_text(data)
    assert "1.1.2. провести мониторинг" in docx_text(data)


def test_docx_letters_and_bullets_are_rendered() -> None:
    text = docx_text(build_docx((GENRE / "g02_lettered.txt").read_text(encoding="utf-8")))
    assert "- обеспечить:\n\nа) участие руководителей школ" in text
    assert "б) проведение муниципального конкурса" in text
    text = docx_text(build_docx((GENRE / "g05_mixed_bullets.txt").read_text(encoding="utf-8")))
    assert "1. разработать памятку" in text
    assert "2. организовать:\n\na) вебинары" in text


# --- .odt built from the .txt with list styles, .rtf with Word's list text -------------------------


def build_odt(text: str) -> bytes:
    """The text as an .odt whose numbers and bullets come from list styles (text:list), not typed."""
    from odf.opendocument import OpenDocumentText
    from odf.text import List, ListItem, ListLevelStyleBullet, ListLevelStyleNumber, ListStyle, P

    document = OpenDocumentText()
    numbered = ListStyle(name="Numbered")
    for level in (1, 2, 3):
        numbered.addElement(ListLevelStyleNumber(level=level, numformat="1", numsuffix=".", displaylevels=level))
    styles = {"dotted": numbered}
    for name, fmt, suffix in (("paren", "1", ")"), ("cyrillic", "а", ")"), ("latin", "a", ")")):
        styles[name] = ListStyle(name=name)
        styles[name].addElement(ListLevelStyleNumber(level=1, numformat=fmt, numsuffix=suffix))
    styles["bullet"] = ListStyle(name="bullet")
    styles["bullet"].addElement(ListLevelStyleBullet(level=1, bulletchar="•"))
    for style in styles.values():
        document.automaticstyles.addElement(style)
    stack: list[list[Any]] = []  # [text:list, its last text:list-item] from the outermost list in
    active = ""
    used: set[str] = set()
    for line in word_paragraphs(text):
        m = _MARKER.match(line)
        if m is None:
            stack, active = [], ""
            document.text.addElement(P(text=line))
            continue
        kind = next(k for k, v in m.groupdict().items() if v)
        name = {"dotted": "dotted", "paren": "paren", "bullet": "bullet"}.get(kind) or (
            "cyrillic" if "а" <= m["letter"] <= "я" else "latin"
        )
        depth = m["dotted"].count(".") if kind == "dotted" else 1
        if name != active:
            options = {"continuenumbering": "true"} if name in used else {}
            top = List(stylename=styles[name], **options)
            document.text.addElement(top)
            stack, active = [[top, None]], name
            used.add(name)
        del stack[depth:]
        while len(stack) < depth:
            if stack[-1][1] is None:
                stack[-1][1] = ListItem()
                stack[-1][0].addElement(stack[-1][1])
            nested = List()
            stack[-1][1].addElement(nested)
            stack.append([nested, None])
        item = ListItem()
        item.addElement(P(text=line[m.end() :]))
        stack[-1][0].addElement(item)
        stack[-1][1] = item
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _rtf_escape(text: str, unicode: bool) -> str:
    out = []
    for ch in text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}"):
        if ord(ch) < 128:
            out.append(ch)
        elif unicode:
            out.append(f"\\u{ord(ch) if ord(ch) < 32768 else ord(ch) - 65536}?")
        else:
            out.append("".join(f"\\'{b:02x}" for b in ch.encode("cp1251", errors="replace")))
    return "".join(out)


def build_rtf(text: str, *, unicode: bool = False) -> bytes:
    """The text as Word writes RTF: one \\par per paragraph, list numbers in {\\listtext …\\tab} groups,
    Cyrillic as cp1251 hex escapes (or \\uN)."""
    body = []
    for line in word_paragraphs(text):
        m = _MARKER.match(line)
        listtext = ""
        if m is not None:
            marker = "\\'b7" if m["bullet"] else _rtf_escape(m.group().strip(), unicode)
            listtext = f"{{\\listtext\\pard\\plain\\f0 {marker}\\tab}}"
        paragraph = _rtf_escape(line[m.end() :] if m else line, unicode)
        body.append(f"\\pard\\plain\\f0 {listtext}{paragraph}\\par\n")
    head = "{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset204 Arial;}}\n"
    return (head + "".join(body) + "}").encode("ascii")


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_odt_with_list_styles_parses_like_the_txt(path: Path) -> None:
    data = build_odt(path.read_text(encoding="utf-8"))
    assert parse_bytes(data, f"{path.stem}.odt").to_json_dict() == expected(path.stem)


def test_odt_builder_really_uses_list_styles() -> None:
    data = build_odt((GENRE / "g01_numbered.txt").read_text(encoding="utf-8"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        content = archive.read("content.xml").decode("utf-8")
    assert "1.1.2." not in content
    assert "<text:list " in content
    text = odt_text(data)
    assert "1.1. Департаменту Смоленской области по образованию и науке:" in text
    assert "1.1.2. провести мониторинг" in text
    assert "2.3. организовать работу" in text
    assert "а) участие руководителей школ" in odt_text(build_odt((GENRE / "g02_lettered.txt").read_text("utf-8")))


@pytest.mark.parametrize("unicode", [False, True], ids=["cp1251", "unicode"])
@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.stem)
def test_rtf_parses_like_the_txt(path: Path, unicode: bool) -> None:
    data = build_rtf(path.read_text(encoding="utf-8"), unicode=unicode)
    assert parse_bytes(data, f"{path.stem}.rtf").to_json_dict() == expected(path.stem)


def test_rtf_line_break_inside_a_paragraph_and_listtext() -> None:
    data = (
        "{\\rtf1\\ansi\\ansicpg1251 \\'d0\\'c5\\'c7\\'ce\\'cb\\'de\\'d6\\'c8\\'df\\line "
        "\\'f4\\'ee\\'f0\\'f3\\'ec\\'e0\\par \\'d8\\'ea\\'ee\\'eb\\'e0\\'ec:\\par "
        "{\\listtext 1.\\tab}\\'ef\\'f0\\'ee\\'e2\\'e5\\'f1\\'f2\\'e8 \\'f3\\'f0\\'ee\\'ea.\\par}"
    ).encode("ascii")
    assert rtf_text(data).split("\n\n") == ["РЕЗОЛЮЦИЯ\u2028форума", "Школам:", "1.\tпровести урок.", ""]
    parsed = parse_bytes(data, "r.rtf")
    assert (parsed.title, parsed.addressees[0].heading) == ("РЕЗОЛЮЦИЯ форума", "Школам")


# --- a file whose extension lies is read as what it is ------------------------------------------------


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000)


@pytest.mark.parametrize("name", ["r.doc", "r.DOC", "r.docx", "r.txt", "r", "r.pdf", "r.rtf", "r.odt"])
def test_old_word_file_is_told_to_be_saved_as_docx_whatever_its_name(name: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_bytes(OLE2, name)
    assert info.value.message == OLD_WORD
    assert "\n" not in OLD_WORD
    assert "сохраните его как .docx" in OLD_WORD


@pytest.mark.parametrize("name", ["resolution.txt", "resolution.docx", "resolution.doc", "resolution.odt", "r"])
def test_pdf_under_another_name_is_read_as_pdf(name: str) -> None:
    pdf = (GENRE / "g01_numbered.pdf").read_bytes()
    assert parse_bytes(pdf, name).to_json_dict() == expected("g01_numbered")


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (build_docx, "r.txt"), (build_docx, "r.doc"), (build_docx, "r.odt"), (build_odt, "r.docx"),
        (build_odt, "r.txt"), (build_odt, "r"), (build_rtf, "r.doc"), (build_rtf, "r.txt"), (build_rtf, "r.docx"),
    ],
)  # fmt: skip
def test_document_under_another_name_is_read_as_what_it_is(build: Any, name: str) -> None:
    data = build((GENRE / "g03_plain.txt").read_text(encoding="utf-8"))
    assert parse_bytes(data, name).to_json_dict() == expected("g03_plain")


# --- .pdf -----------------------------------------------------------------------------------------


def test_pdf_with_text_layer_parses_to_the_same_json() -> None:
    """g01_numbered.pdf: made once by make_pdf.py (reportlab, DejaVu); own wrapping and page footers."""
    assert parse_file(GENRE / "g01_numbered.pdf").to_json_dict() == expected("g01_numbered")


def test_pdf_without_paragraph_gaps_and_a_page_number_on_the_first_line() -> None:
    """g11_pdf_layout.pdf: no blank line anywhere in its text layer, so the title runs into the preamble
    and the first heading, headings wrap over two lines, and "1" ends the very first line."""
    assert parse_file(GENRE / "g11_pdf_layout.pdf").to_json_dict() == expected("g11_pdf_layout")


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name[:3])
def test_real_resolution_as_a4_pdf_parses_like_its_txt(path: Path) -> None:
    """real_NNN.pdf: the real resolutions rendered by make_pdf.py; one lost a whole addressee once."""
    pdf = GENRE / f"real_{path.name[:3]}.pdf"
    assert parse_file(pdf).to_json_dict() == parse_file(path).to_json_dict()


def _make_pdf() -> Any:
    """make_pdf.py as a module, or a skip where reportlab is not installed (it is no project dependency)."""
    pytest.importorskip("reportlab")
    spec = importlib.util.spec_from_file_location("make_pdf", GENRE / "make_pdf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LAYOUTS: dict[str, dict[str, Any]] = {
    "a4": {"pagesize": "A4"},
    "a5": {"pagesize": "A5"},
    "a4-no-gaps-number-first": {"pagesize": "A4", "gaps": False, "number": "first-line"},
    "a5-no-gaps": {"pagesize": "A5", "gaps": False},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("path", REAL + TEXTS, ids=lambda p: p.stem[:16])
def test_rendered_pdf_parses_like_the_txt(path: Path, layout: str) -> None:
    make_pdf = _make_pdf()
    options = dict(LAYOUTS[layout])
    options["pagesize"] = getattr(make_pdf, options["pagesize"])
    data = make_pdf.render(path.read_text(encoding="utf-8"), **options)
    assert parse_bytes(data, "resolution.pdf").to_json_dict() == parse_file(path).to_json_dict()


# --- encodings and line ends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("cp1251"),
        lambda s: s.encode("utf-16"),
        lambda s: s.encode("utf-16-le"),
        lambda s: s.replace("\n", "\r\n").encode("utf-8"),
        lambda s: s.replace("\n", "\r").encode("cp1251"),
    ],
    ids=["utf8", "utf8-bom", "cp1251", "utf16-bom", "utf16le-no-bom", "crlf", "cr-cp1251"],
)
def test_encodings_and_line_ends(encode: Any) -> None:
    text = (GENRE / "g03_plain.txt").read_text(encoding="utf-8")
    assert parse_bytes(encode(text), "resolution.txt").to_json_dict() == expected("g03_plain")


def test_file_without_extension_is_detected_by_content() -> None:
    data = build_docx((GENRE / "g03_plain.txt").read_text(encoding="utf-8"))
    assert parse_bytes(data, "resolution").to_json_dict() == expected("g03_plain")
    pdf = (GENRE / "g01_numbered.pdf").read_bytes()
    assert parse_bytes(pdf, "").to_json_dict() == expected("g01_numbered")
