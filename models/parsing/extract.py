"""File bytes → plain text for the structure parser (.docx, .odt, .rtf, .pdf, .txt).

The type comes from the content (magic bytes): a document whose extension lies (a PDF named .txt,
an .odt named .docx) is read as what it is, and an old binary Word file gets the advice to save it
as .docx whatever its name. Whatever goes wrong inside a reader becomes a ParseError with a Russian
message; nothing else escapes.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from models.parsing.model import ParseError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

NOT_WORD = "Файл повреждён или не является документом Word"
NOT_ODT = "Файл повреждён или не является документом OpenDocument (.odt)"
NOT_RTF = "Файл повреждён или не является документом RTF"
OLD_WORD = (
    "Формат Word 97–2003 (.doc) не поддерживается: откройте файл в Word и сохраните его как .docx "
    "(Файл → Сохранить как → Документ Word)"
)
NO_TEXT_LAYER = "PDF без текстового слоя: пришлите .docx или .txt"
UNSUPPORTED = "Неподдерживаемый формат файла: ожидается .docx, .odt, .rtf, .txt или .pdf"
BINARY = "Файл не похож на текст: в нём двоичные данные. Пришлите .docx, .txt или .pdf"
_ODT_MIME = b"application/vnd.oasis.opendocument.text"
_MAX_XML_BYTES = 64 * 1024 * 1024  # unpacked document.xml: a zip bomb guard
_MAX_PDF_PAGES = 300

_TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ""})
_CONTENT_NAMES = {
    "zip": "архив ZIP",
    "pdf": "PDF",
    "doc": "документ Word 97–2003 (.doc)",
    "rtf": "документ RTF",
    "binary": "двоичный файл",
    "text": "текст",
}
_BINARY_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf\x27\x1c",
    b"II*\x00", b"MM\x00*", b"\x7fELF", b"MZ", b"OggS", b"ID3", b"\x00\x00\x00",
)  # fmt: skip


def sniff(data: bytes) -> str:
    """What the bytes are: zip / pdf / doc / rtf / binary / text."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    if data.lstrip(codecs.BOM_UTF8).startswith(b"{\\rtf"):
        return "rtf"
    if data.startswith(_BINARY_MAGIC):
        return "binary"
    return "text"


def _zip_kind(data: bytes) -> str | None:
    """docx / odt by the parts of the archive, None for any other (or a broken) zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "content.xml" not in names:
                return None
            if "mimetype" not in names:
                return "odt"
            small = archive.getinfo("mimetype").file_size <= 100  # a zip bomb named "mimetype" is not read
            return "odt" if small and archive.read("mimetype").strip() == _ODT_MIME else None
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return None


def detect_kind(data: bytes, filename: str) -> str:
    """docx / odt / rtf / pdf / txt, or ParseError for an unsupported or broken file. A recognised
    document is read as what its bytes are, whatever its extension says."""
    ext = PurePath(filename or "").suffix.lower()
    content = sniff(data)
    if content == "doc":
        raise ParseError(OLD_WORD)
    if content in ("pdf", "rtf"):
        return content
    if content == "zip":
        kind = _zip_kind(data)
        if kind is not None:
            return kind
    broken = {".docx": NOT_WORD, ".odt": NOT_ODT, ".rtf": NOT_RTF, ".doc": OLD_WORD,
              ".pdf": "Файл повреждён или не является PDF-документом"}  # fmt: skip
    if ext in broken:
        raise ParseError(broken[ext])
    if ext in _TEXT_EXTENSIONS:
        if content != "text":
            name = _CONTENT_NAMES[content]
            raise ParseError(f"Содержимое файла не соответствует расширению {ext or '(нет)'}: это {name}")
        return "txt"
    raise ParseError(UNSUPPORTED)


def extract_text(data: bytes, filename: str) -> str:
    """Plain text of a document; list numbering of .docx / .odt is written out as text."""
    kind = detect_kind(data, filename)
    readers = {"docx": (docx_text, NOT_WORD), "odt": (odt_text, NOT_ODT), "rtf": (rtf_text, NOT_RTF),
               "pdf": (pdf_text, "Файл PDF повреждён или не читается"),
               "txt": (decode_text, "Не удалось прочитать текст файла")}  # fmt: skip
    reader, failure = readers[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # library warnings are not the user's problem
            return reader(data)
    except ParseError:
        raise
    except Exception as exc:  # any reader failure is a damaged file to the user
        raise ParseError(failure) from exc


# --- plain text ---------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM or obvious NUL pattern, else cp1251; binary junk refused."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        text = _utf16_without_bom(data)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1251", errors="replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v"))
    if bad > max(2, len(text) // 100):
        raise ParseError(BINARY)
    return text


def _familiar(ch: str) -> bool:
    """A character a Russian resolution is made of: ASCII, Cyrillic, whitespace, typographic marks."""
    return ch in "\t\n\r«»№" or " " <= ch <= "~" or "\u0400" <= ch <= "\u04ff" or "\u2000" <= ch < "\u2100"


def _utf16_without_bom(data: bytes) -> str:
    """NUL bytes in a text file: UTF-16 without BOM if one byte order reads as Russian/Latin text."""
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        familiar = sum(1 for ch in text if _familiar(ch))
        if text and "\x00" not in text and familiar >= 0.8 * len(text):
            return text
    raise ParseError(BINARY)


# --- RTF ----------------------------------------------------------------------------------------

_RTF_LINE = re.compile(rb"\\line(?![a-z]) ?")  # with the space that ends the control word


def rtf_text(data: bytes) -> str:
    """Each RTF paragraph (\\par) becomes a block of its own, as in .docx; Word writes list numbers
    into the text (\\listtext), so they come along. Without \\ansicpg the code page is Cyrillic."""
    from striprtf import striprtf

    rtf_to_text: Callable[..., str] = striprtf.rtf_to_text  # untyped library

    # A manual line break inside a paragraph is no paragraph end: keep it as U+2028 (a plain line end later).
    source = _RTF_LINE.sub(rb"\\u8232?", data.lstrip(codecs.BOM_UTF8)).decode("latin-1")
    text = rtf_to_text(source, encoding="cp1251", errors="replace")
    return text.replace("\n", "\n\n")


# --- ODT ----------------------------------------------------------------------------------------

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
# Parts of a paragraph that are not its text: notes, annotations, tracked changes, frames.
_ODT_SKIP = frozenset({"note", "annotation", "tracked-changes", "frame", "soft-page-break", "bookmark-ref",
                       "number", "sequence-decls", "table-of-content-source"})  # fmt: skip
_ODT_FORMATS = {"1": "decimal", "a": "lowerLetter", "A": "upperLetter", "i": "lowerRoman", "I": "upperRoman",
                "а": "russianLower", "А": "russianUpper"}  # fmt: skip


@dataclass(slots=True)
class _OdtLevel:
    bullet: bool
    fmt: str = "decimal"
    prefix: str = ""
    suffix: str = "."
    display: int = 1
    start: int = 1


def odt_text(data: bytes) -> str:
    """Paragraphs in reading order (tables included), one per block, each list entry prefixed with the
    marker its list style draws ("1. ", "1.1. ", "а) ", "- ")."""
    from odf.opendocument import load

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("content.xml")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ParseError(NOT_ODT) from exc
    if info.file_size > _MAX_XML_BYTES:
        raise ParseError("Документ слишком большой для разбора")
    document = load(io.BytesIO(data))
    reader = _OdtReader(_odt_list_styles(document))
    reader.walk(document.text)
    return "\n\n".join(reader.blocks)


def _odt_list_styles(document: Any) -> dict[str, dict[int, _OdtLevel]]:
    styles: dict[str, dict[int, _OdtLevel]] = {}
    for container in (document.styles, document.automaticstyles):
        for el in container.childNodes:
            if _odt_name(el) != "list-style":
                continue
            levels: dict[int, _OdtLevel] = {}
            for lvl in el.childNodes:
                name = _odt_name(lvl)
                level = _int(lvl.getAttrNS(_TEXT_NS, "level"), 1) if name else 1
                if name == "list-level-style-bullet":
                    levels[level] = _OdtLevel(bullet=True)
                elif name == "list-level-style-number":
                    fmt = lvl.getAttrNS(_STYLE_NS, "num-format") or ""
                    levels[level] = _OdtLevel(
                        bullet=False, fmt=_ODT_FORMATS.get(fmt, "none" if not fmt else "decimal"),
                        prefix=lvl.getAttrNS(_STYLE_NS, "num-prefix") or "",
                        suffix=lvl.getAttrNS(_STYLE_NS, "num-suffix") or "",
                        display=_int(lvl.getAttrNS(_TEXT_NS, "display-levels"), 1),
                        start=_int(lvl.getAttrNS(_TEXT_NS, "start-value"), 1),
                    )  # fmt: skip
            styles[el.getAttrNS(_STYLE_NS, "name") or ""] = levels
    return styles


def _odt_name(el: Any) -> str:
    qname = getattr(el, "qname", None)
    return str(qname[1]) if isinstance(qname, tuple) else ""


@dataclass(slots=True)
class _OdtReader:
    styles: dict[str, dict[int, _OdtLevel]]
    blocks: list[str] = field(default_factory=list)
    counters: dict[str, list[int]] = field(default_factory=dict)  # list style → running number per level

    def walk(self, container: Any, style: str = "", level: int = 0) -> None:
        for el in container.childNodes:
            name = _odt_name(el)
            if name in ("p", "h"):
                self.paragraph(el)
            elif name == "list":
                own = el.getAttrNS(_TEXT_NS, "style-name") or style
                continued = el.getAttrNS(_TEXT_NS, "continue-numbering") == "true" or el.getAttrNS(
                    _TEXT_NS, "continue-list"
                )
                if level == 0 and not continued:
                    self.counters.pop(own, None)  # a new list starts again from its first number
                self.list(el, own, level + 1)
            elif name not in _ODT_SKIP and getattr(el, "childNodes", None):
                self.walk(el, style, level)  # sections, tables and their rows and cells

    def list(self, el: Any, style: str, level: int) -> None:
        for item in el.childNodes:
            name = _odt_name(item)
            if name not in ("list-item", "list-header"):
                continue
            marker = self.marker(style, level) if name == "list-item" else ""
            for child in item.childNodes:
                child_name = _odt_name(child)
                if child_name in ("p", "h"):
                    self.paragraph(child, marker)
                    marker = ""  # only the item's first paragraph carries its number
                elif child_name == "list":
                    self.list(child, child.getAttrNS(_TEXT_NS, "style-name") or style, level + 1)

    def marker(self, style: str, level: int) -> str:
        levels = self.styles.get(style, {})
        spec = levels.get(level)
        if spec is None or spec.fmt == "none":
            return ""
        if spec.bullet:
            return "- "
        counters = self.counters.setdefault(style, [])
        while len(counters) < level:
            counters.append(0)
        del counters[level:]  # a new item restarts its sub-lists
        counters[level - 1] = max(counters[level - 1], (spec.start - 1)) + 1
        numbers = []
        for k in range(max(1, level - spec.display + 1), level + 1):
            k_spec = levels.get(k, _OdtLevel(bullet=False))
            value = counters[k - 1] or k_spec.start
            numbers.append(format_number(value, "decimal" if k_spec.bullet else k_spec.fmt))
        text = f"{spec.prefix}{'.'.join(numbers)}{spec.suffix}".strip()
        if not text.endswith((".", ")")):
            text += "."  # "1" alone would not read as a list number
        return text + " "

    def paragraph(self, el: Any, marker: str = "") -> None:
        text = _odt_inline(el).strip()
        if text:
            self.blocks.append(marker + text)


def _odt_inline(el: Any) -> str:
    parts: list[str] = []
    for child in el.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(str(child.data))
            continue
        name = _odt_name(child)
        if name == "s":
            parts.append(" " * _int(child.getAttrNS(_TEXT_NS, "c"), 1))
        elif name == "tab":
            parts.append(" ")
        elif name == "line-break":
            parts.append("\n")
        elif name not in _ODT_SKIP:
            parts.append(_odt_inline(child))
    return "".join(parts)


# --- PDF ----------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text layer; layout mode keeps paragraph gaps as blank lines, which the parser uses."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise ParseError("PDF защищён паролем: снимите защиту или пришлите .docx или .txt")
    if len(reader.pages) > _MAX_PDF_PAGES:
        raise ParseError(f"В PDF больше {_MAX_PDF_PAGES} страниц: это не похоже на резолюцию")
    pages = []
    for page in reader.pages:
        try:
            pages.append(_drop_page_number(page.extract_text(extraction_mode="layout")))
        except Exception:  # layout mode is pickier than the plain one on odd fonts
            pages.append(page.extract_text())
    text = "\n\n".join(pages)
    if not any(ch.isalpha() for ch in text):
        raise ParseError(NO_TEXT_LAYER)
    return text


# A page number set apart by a wide gap at the start or end of a line ("РЕЗОЛЮЦИЯ          1").
_PAGE_NUMBER_EDGE = re.compile(r"^\s*[-–—]?\s*\d{1,3}\s*[-–—]?\s{3,}(?=\S)|(?<=\S)\s{3,}[-–—]?\s*\d{1,3}\s*[-–—]?\s*$")


def _drop_page_number(page: str) -> str:
    """Layout mode puts a header or footer page number on the same line as the text beside it; only the
    first and last lines of a page are looked at, so a number inside the text is never touched."""
    lines = page.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for i in {*filled[:2], *filled[-2:]}:
        lines[i] = _PAGE_NUMBER_EDGE.sub("", lines[i])
    return "\n".join(lines)


# --- DOCX ---------------------------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    """Paragraphs in body order (table cells included), one per blank-line-separated block,
    each prefixed with its automatic list marker ("1. ", "1.1. ", "а) ", "- ")."""
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ParseError(NOT_WORD) from exc
    if info.file_size > _MAX_XML_BYTES:
        raise ParseError("Документ слишком большой для разбора")
    document = docx.Document(io.BytesIO(data))
    numbering = Numbering.of(document)
    blocks = []
    for p in _paragraphs(document.element.body):
        text = _paragraph_text(p).strip()
        if text:
            blocks.append(numbering.marker(p) + text)
    return "\n\n".join(blocks)


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _paragraphs(container: Any) -> Iterator[Any]:
    """w:p elements of a body or cell in reading order, descending into tables and content controls."""
    for child in container:
        name = _local(child)
        if name == "p":
            yield child
        elif name == "tbl":
            for row in child.iterchildren(f"{W}tr"):
                for cell in row.iterchildren(f"{W}tc"):
                    yield from _paragraphs(cell)
        elif name == "sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _paragraphs(content)
        elif name in ("customXml", "ins", "moveTo"):
            yield from _paragraphs(child)


# Text-less or invisible parts of a paragraph (deleted revisions, field codes, drawings, text boxes).
_SKIP = frozenset({"pPr", "rPr", "del", "moveFrom", "AlternateContent", "drawing", "pict", "object",
                   "instrText", "delText", "sdtPr", "fldChar", "footnoteReference", "endnoteReference"})  # fmt: skip


def _paragraph_text(el: Any) -> str:
    parts: list[str] = []
    for child in el:
        name = _local(child)
        if name in _SKIP:
            continue
        if name == "t":
            parts.append(child.text or "")
        elif name == "tab":
            parts.append(" ")
        elif name in ("br", "cr"):
            parts.append("\n")
        elif name == "noBreakHyphen":
            parts.append("-")
        else:
            parts.append(_paragraph_text(child))
    return "".join(parts)


_RUSSIAN_LETTERS = "абвгдежзиклмнопрстуфхцчшщэюя"  # Word's russianLower skips ё й ъ ы ь
_ROMAN_STEPS = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
                (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))  # fmt: skip


def _letters(n: int, alphabet: str) -> str:
    """Word's letter numbering: a…z, then aa…zz (repeated letter)."""
    n = max(n, 1)
    return alphabet[(n - 1) % len(alphabet)] * ((n - 1) // len(alphabet) + 1)


def _roman(n: int) -> str:
    out = []
    for value, digits in _ROMAN_STEPS:
        while n >= value:
            out.append(digits)
            n -= value
    return "".join(out)


def format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = _letters(n, "abcdefghijklmnopqrstuvwxyz")
    elif fmt in ("russianLower", "russianUpper"):
        s = _letters(n, _RUSSIAN_LETTERS)
    elif fmt in ("lowerRoman", "upperRoman"):
        s = _roman(n) if 0 < n < 4000 else str(n)
    elif fmt == "decimalZero":
        s = f"{n:02d}"
    else:
        s = str(n)  # decimal and everything exotic (ordinalText, chineseCounting, …)
    return s.upper() if fmt.startswith("upper") or fmt == "russianUpper" else s


@dataclass(slots=True)
class _Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1


_LEVEL_RE = re.compile(r"%([1-9])")


@dataclass(slots=True)
class Numbering:
    """Word list numbering: numId → levels, with running counters per numId as Word keeps them."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)  # numId → ilvl → level
    style_num: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)  # styleId → (numId, ilvl)
    style_level: dict[tuple[str, str], int] = field(default_factory=dict)  # (numId, styleId) → ilvl
    counters: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Any) -> Numbering:
        result = cls()
        result._read_styles(document)
        try:
            root = document.part.numbering_part.element
        except Exception:  # no numbering part: no automatic markers at all
            return result
        abstracts: dict[str, dict[int, _Level]] = {}
        abstract_styles: dict[str, dict[str, int]] = {}
        links: dict[str, str] = {}  # abstractNum → list style it merely points to (w:numStyleLink)
        for ab in root.iterchildren(f"{W}abstractNum"):
            abstract_id = ab.get(f"{W}abstractNumId", "")
            abstracts[abstract_id], abstract_styles[abstract_id] = _read_levels(ab)
            link = ab.find(f"{W}numStyleLink")
            if link is not None:
                links[abstract_id] = link.get(f"{W}val", "")
        nums = list(root.iterchildren(f"{W}num"))
        num_abstract = {num.get(f"{W}numId", ""): _val(num.find(f"{W}abstractNumId")) for num in nums}
        for num in nums:
            num_id = num.get(f"{W}numId", "")
            abstract_id = num_abstract[num_id]
            if not abstracts.get(abstract_id) and links.get(abstract_id) in result.style_num:
                style_num_id = result.style_num[links[abstract_id]][0] or ""
                abstract_id = num_abstract.get(style_num_id, abstract_id)
            levels = {k: _Level(v.fmt, v.text, v.start) for k, v in abstracts.get(abstract_id, {}).items()}
            for override in num.iterchildren(f"{W}lvlOverride"):
                ilvl = _int(override.get(f"{W}ilvl"), 0)
                start = override.find(f"{W}startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl].start = _int(start.get(f"{W}val"), 1)
                lvl = override.find(f"{W}lvl")
                if lvl is not None:
                    levels[ilvl] = _read_level(lvl)
            result.levels[num_id] = levels
            for style_id, ilvl in abstract_styles.get(abstract_id, {}).items():
                result.style_level[(num_id, style_id)] = ilvl
        return result

    def _read_styles(self, document: Any) -> None:
        try:
            styles = list(document.styles.element.iterchildren(f"{W}style"))
        except Exception:
            return
        raw: dict[str, tuple[str | None, int | None, str | None]] = {}
        for st in styles:
            num_pr = st.find(f"{W}pPr/{W}numPr")
            num_id = ilvl = None
            if num_pr is not None:
                num_id, ilvl = _num_pr(num_pr)
            based = st.find(f"{W}basedOn")
            raw[st.get(f"{W}styleId", "")] = (num_id, ilvl, based.get(f"{W}val") if based is not None else None)
        for style_id in raw:
            seen: set[str] = set()
            current: str | None = style_id
            while current is not None and current in raw and current not in seen:  # follow basedOn
                seen.add(current)
                num_id, ilvl, based = raw[current]
                if num_id is not None:
                    self.style_num[style_id] = (num_id, ilvl)
                    break
                current = based

    def marker(self, p: Any) -> str:
        """The list marker Word would draw before paragraph `p` ("1. ", "а) ", "- "), or ""."""
        num_id, ilvl = None, None
        num_pr = p.find(f"{W}pPr/{W}numPr")
        if num_pr is not None:
            num_id, ilvl = _num_pr(num_pr)
        style = p.find(f"{W}pPr/{W}pStyle")
        style_id = style.get(f"{W}val") if style is not None else None
        if style_id is not None and style_id in self.style_num:
            style_num_id, style_ilvl = self.style_num[style_id]
            num_id = num_id if num_id is not None else style_num_id
            if ilvl is None:
                ilvl = style_ilvl if style_ilvl is not None else self.style_level.get((num_id or "", style_id))
        if num_id is None or num_id == "0" or num_id not in self.levels:
            return ""
        return self._render(num_id, ilvl or 0)

    def _render(self, num_id: str, ilvl: int) -> str:
        levels = self.levels[num_id]
        level = levels.get(ilvl)
        if level is None or level.fmt == "none":
            return ""
        if level.fmt == "bullet":
            return "- "
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new item restarts its sub-lists

        def number(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            lvl = levels.get(k, _Level())
            return format_number(counters.get(k, lvl.start), lvl.fmt)

        text = _LEVEL_RE.sub(number, level.text).strip()
        if not text:
            return ""
        if not text.endswith((".", ")")):
            text += "."  # "1" alone would not read as a list number
        return text + " "


def _val(el: Any) -> str:
    return str(el.get(f"{W}val", "")) if el is not None else ""


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _num_pr(num_pr: Any) -> tuple[str | None, int | None]:
    num = num_pr.find(f"{W}numId")
    lvl = num_pr.find(f"{W}ilvl")
    num_id = num.get(f"{W}val") if num is not None else None
    ilvl = _int(lvl.get(f"{W}val"), 0) if lvl is not None else None
    return num_id, ilvl


def _read_level(lvl: Any) -> _Level:
    fmt = lvl.find(f"{W}numFmt")
    text = lvl.find(f"{W}lvlText")
    start = lvl.find(f"{W}start")
    return _Level(
        fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal",
        text.get(f"{W}val", "") if text is not None else "",
        _int(start.get(f"{W}val"), 1) if start is not None else 1,
    )


def _read_levels(abstract: Any) -> tuple[dict[int, _Level], dict[str, int]]:
    levels: dict[int, _Level] = {}
    styles: dict[str, int] = {}
    for lvl in abstract.iterchildren(f"{W}lvl"):
        ilvl = _int(lvl.get(f"{W}ilvl"), 0)
        levels[ilvl] = _read_level(lvl)
        p_style = lvl.find(f"{W}pStyle")
        if p_style is not None:
            styles[p_style.get(f"{W}val", "")] = ilvl
    return levels, styles
