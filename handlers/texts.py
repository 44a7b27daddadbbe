"""Every text a user reads, in one place. User-supplied strings are escaped with `esc` before use."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.parsing import ParsedResolution

ROLE_NAMES: dict[str, str] = {
    "region": "региональный орган управления образованием",
    "institute": "институт развития образования (СОИРО)",
    "municipality": "муниципальный орган управления образованием",
    "school": "образовательная организация",
    "partner": "социальный партнёр",
}

ROLE_SHORT: dict[str, str] = {
    "region": "Департамент",
    "institute": "СОИРО",
    "municipality": "муниципалитет",
    "school": "школа",
    "partner": "партнёр",
}

MONTHS_GEN = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def esc(value: object) -> str:
    """Escape text for Telegram HTML (names, comments, document text)."""
    return escape(str(value), quote=False)


def fmt_date(value: date | None) -> str:
    if value is None:
        return "—"
    return f"{value.day} {MONTHS_GEN[value.month - 1]} {value.year} г."


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for n: 1 пункт, 2 пункта, 5 пунктов."""
    n_abs = abs(n) % 100
    if 11 <= n_abs <= 14:
        return many
    last = n_abs % 10
    if last == 1:
        return one
    if 2 <= last <= 4:
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {plural(n, one, few, many)}"


START_GUEST = (
    "Здравствуйте! Я <b>Адресат</b> — бот, который доводит рекомендации резолюций образовательных "
    "форумов Смоленской области до тех, кому они адресованы, и собирает отчёты об исполнении.\n\n"
    "Чтобы получать рекомендации, нужно вступить в свою организацию: откройте ссылку-приглашение, "
    "которую прислал администратор или муниципальный специалист, или подайте заявку."
)
START_ADMIN = (
    "Здравствуйте! Вы — администратор <b>Адресата</b>.\n\n"
    "Пришлите резолюцию файлом (.docx, .txt или .pdf) — я покажу, как я её понял: адресатов, "
    "их роли, пункты и сроки. Справка — /help."
)
START_MEMBER = "Здравствуйте, {name}! Вы состоите в организации «{org}» ({role}).\n\nСправка — /help."

HELP_COMMON = (
    "<b>Адресат</b> — рекомендации резолюций и отчёты об их исполнении.\n\n"
    "/start — начало работы и состояние заявки\n"
    "/help — эта справка"
)
HELP_ADMIN = (
    "\n\n<b>Для администраторов</b>\n"
    "Пришлите файл резолюции (.docx, .txt, .pdf, до {limit} МБ) — я разберу его и покажу результат."
)

UNKNOWN_COMMAND = "Такой команды нет. Список команд — /help."
FREE_TEXT = "Я не веду переписку в свободной форме. Что я умею — /help."
STALE_BUTTON = "Эта кнопка устарела. Откройте нужный раздел заново."
ERROR_GENERIC = "Что-то пошло не так, и ничего не изменено. Попробуйте ещё раз чуть позже."

UPLOAD_NOT_ALLOWED = "Файлы резолюций принимают только администраторы. Справка — /help."
UPLOAD_TOO_BIG = "Файл слишком большой: {size} МБ, предел — {limit} МБ. Сожмите документ или разделите его."
UPLOAD_WRONG_TYPE = "Не могу прочитать «{name}»: пришлите резолюцию в формате .docx, .txt или .pdf."
UPLOAD_FAILED = "Не удалось разобрать «{name}»: {reason}"
UPLOAD_READING = "Читаю «{name}»…"


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def parsed_summary_blocks(parsed: ParsedResolution) -> list[str]:
    """The admin's view of a parsed resolution: title, date, addressees, roles, items, dates."""
    total = sum(len(a.recommendations) for a in parsed.addressees)
    head = (
        f"<b>{esc(parsed.title)}</b>\n"
        f"Дата: {fmt_date(parsed.date)}\n"
        f"Адресатов: {len(parsed.addressees)}, пунктов: {total}"
    )
    blocks = [head]
    for number, addressee in enumerate(parsed.addressees, 1):
        roles = ", ".join(ROLE_NAMES[r] for r in addressee.roles) or "роль не определена — укажите её"
        lines = [
            f"<b>{number}. {esc(addressee.heading)}</b>",
            f"Роль: {roles}; {count(len(addressee.recommendations), 'пункт', 'пункта', 'пунктов')}",
        ]
        for item in addressee.recommendations:
            marks = []
            if item.due:
                marks.append(f"срок — {fmt_date(item.due)}")
            if item.starts:
                marks.append(f"начало — {fmt_date(item.starts)}")
            if item.recurring:
                marks.append("регулярно")
            if marks:
                lines.append(f"• {esc(_short(item.text))} <i>({'; '.join(marks)})</i>")
        blocks.append("\n".join(lines))
    return blocks


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
