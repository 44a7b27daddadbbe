"""Every text a user reads, in one place. User-supplied strings are escaped with `esc` before use."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from ui.messages import shorten

if TYPE_CHECKING:
    from models.calendar import WorkCalendar
    from models.directory import Entry, ImportReport
    from models.execution import Figures, ItemRow, Laggard
    from models.oversight import RegionState
    from models.publishing import Preview

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
START_ADMIN_HEAD = "Здравствуйте! Вы — администратор <b>Адресата</b>. Состояние региона:"
CHECK_DONE = "✅"
CHECK_TODO = "⬜"


def admin_checklist(state: RegionState) -> str:
    """The admin's /start: what is ready and what to do next, in the order it has to be done."""
    lines = [START_ADMIN_HEAD, ""]
    if not state.organisations:
        lines.append(
            f"{CHECK_TODO} <b>Справочник организаций не загружен.</b> Начните с него: пришлите файл .csv или .xlsx "
            "с подписью /orgs (столбцы: код; тип; название; код муниципалитета). Без справочника резолюции "
            "некому адресовать."
        )
        return "\n".join(lines)
    lines.append(
        f"{CHECK_DONE} Справочник: {count(state.organisations, 'организация', 'организации', 'организаций')}, "
        f"из них муниципалитетов {state.municipalities}, школ {state.schools}."
    )
    if state.municipalities_without_officer:
        names = ", ".join(esc(n) for n in state.municipalities_without_officer[:8])
        more = len(state.municipalities_without_officer) - 8
        tail = f" и ещё {more}" if more > 0 else ""
        lines.append(
            f"{CHECK_TODO} Без муниципального специалиста: {len(state.municipalities_without_officer)} — "
            f"{names}{tail}. Пригласите их: заявки и отчёты школ этих муниципалитетов пока идут вам."
        )
    else:
        lines.append(f"{CHECK_DONE} В каждом муниципалитете есть специалист.")
    if state.resolutions_published:
        lines.append(
            f"{CHECK_DONE if state.schools_connected == state.schools_addressed else CHECK_TODO} "
            f"Подключено школ: {state.schools_connected} из {state.schools_addressed}, которым адресованы резолюции."
        )
        lines.append(
            f"{CHECK_DONE} Опубликовано резолюций: {state.resolutions_published}; открытых пунктов: {state.open_items}."
        )
    else:
        lines.append(
            f"{CHECK_TODO} Резолюций пока нет: пришлите файл (.docx, .odt, .rtf, .pdf, .txt) или /publish и текст."
        )
    lines += ["", "Справка — /help."]
    return "\n".join(lines)


START_MEMBER = "Здравствуйте, {name}! Вы состоите в организации «{org}» ({role}).\n\nСправка — /help."

HELP_GUEST = (
    "<b>Адресат</b> доводит рекомендации резолюций образовательных форумов Смоленской области до школ и "
    "органов управления образованием и собирает отчёты об исполнении.\n\n"
    "Чтобы получать рекомендации своей организации, вступите в неё:\n"
    "• откройте ссылку-приглашение от муниципального специалиста или администратора, или\n"
    "• нажмите /start и подайте заявку: выберите организацию, напишите ФИО и должность — "
    "заявку рассмотрит муниципальный специалист.\n\n"
    "/start — вступить или узнать состояние заявки\n/help — эта справка"
)
HELP_MEMBER = (
    "<b>Что делать с резолюцией</b>\n"
    "1. Под каждым пунктом нажмите «Ознакомлен».\n"
    "2. По ходу работы отмечайте статус кнопкой «отчёт»: Не начато, В работе, Выполнено или Есть трудности; "
    "к отчёту можно приложить комментарий, файлы и фото. «Выполнено» уходит на проверку муниципальному "
    "специалисту, «Есть трудности» — ему же, сразу, и он может ответить.\n"
    "3. Ответьте на карточку пункта текстом — это комментарий к пункту.\n\n"
    "/tasks — мои открытые пункты, просроченные первыми\n"
    "/progress — ход исполнения по вашей организации\n"
    "/me — часовой пояс, тихие часы, пауза напоминаний на время отпуска\n"
    "/leave — выйти из организации\n"
    "/cancel — прервать ввод\n/help — эта справка"
)
HELP_OFFICER = (
    "<b>Для муниципального специалиста</b>\n"
    "Отчёты «Выполнено» и «Есть трудности» школ вашего муниципалитета приходят вам: принимайте, возвращайте "
    "на доработку, отвечайте. Заявки руководителей школ — тоже вам.\n\n"
    "/progress — ход исполнения по школам, кто отстаёт, напоминание им одной кнопкой, график\n"
    "/export — отчёт об исполнении в Excel по вашему муниципалитету\n"
    "/invite — пригласить руководителя школы\n"
    "/members — участники школ муниципалитета\n"
    "/tasks, /me, /leave — как у всех участников\n/cancel — прервать ввод\n/help — эта справка"
)
HELP_ADMIN = (
    "<b>Для администратора</b>\n"
    "Пришлите файл резолюции (.docx, .odt, .rtf, .pdf или .txt, до {limit} МБ) или /publish и текст — я покажу, "
    "как понял документ, и опубликую его после подтверждения.\n\n"
    "/start — состояние региона и следующий шаг\n"
    "/resolutions — опубликованные резолюции, отзыв\n"
    "/progress — ход исполнения, кто отстаёт, график\n"
    "/export — отчёт об исполнении в Excel\n"
    "/orgs — загрузить справочник организаций (.csv, .xlsx)\n"
    "/invite, /members — приглашения и участники\n"
    "/audit — журнал действий\n"
    "/cancel — прервать ввод\n/help — эта справка"
)


def help_for(audience: str, upload_mb: float) -> str:
    """/help for the role of whoever asks (a `models.policy.Audience` value), on either messenger."""
    return {
        "guest": HELP_GUEST,
        "member": HELP_MEMBER,
        "officer": HELP_OFFICER,
        "admin": HELP_ADMIN.format(limit=f"{upload_mb:g}"),
    }[audience]

UNKNOWN_COMMAND = "Такой команды нет. Список команд — /help."
FREE_TEXT = "Я не веду переписку в свободной форме. Что я умею — /help."
MEMBER_FREE_TEXT = (
    "Это сообщение никуда не ушло. Чтобы отчитаться по пункту, откройте /tasks и нажмите «отчёт» под ним; "
    "чтобы прокомментировать пункт, ответьте на его карточку (или на сообщение с ним). Справка — /help."
)
STALE_BUTTON = "Эта кнопка устарела. Откройте нужный раздел заново."
ERROR_GENERIC = "Что-то пошло не так, и ничего не изменено. Попробуйте ещё раз чуть позже."

UPLOAD_NOT_ALLOWED = "Файлы резолюций принимают только администраторы. Справка — /help."
UPLOAD_TOO_BIG = (
    "Файл слишком большой: {size} МБ, предел — {limit} МБ. Сохраните документ без изображений "
    "или пришлите его текст командой /publish."
)
UPLOAD_WRONG_TYPE = "Не могу прочитать «{name}»: пришлите резолюцию в формате .docx, .odt, .rtf, .pdf или .txt."
UPLOAD_FAILED = "Не удалось разобрать «{name}»: {reason}"


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def preview_blocks(preview: Preview) -> list[str]:
    """The admin's view of a parsed resolution before publishing: addressees, roles, items, dates, reach."""
    resolution = preview.resolution
    total = sum(r.items for r in preview.reach)
    head = (
        f"<b>{esc(resolution.title)}</b>\n"
        f"Дата: {fmt_date(resolution.date)}\n"
        f"Адресатов: {len(preview.reach)}, пунктов: {total}"
    )
    if preview.duplicate_of is not None:
        published = preview.duplicate_of.published_at
        when = fmt_date(published.date()) if published else "ранее"
        head += f"\n\n⚠️ Такой документ уже опубликован ({when}). Опубликовать его ещё раз?"
    if preview.parts > 1:
        head += f"\nТекст собран из {preview.parts} сообщений."
    if not preview.directory_loaded:
        head += "\n\n⚠️ Справочник организаций не загружен — рассылать некому. Сначала загрузите его: /orgs."
    elif preview.reaches_nobody:
        head += (
            "\n\n⚠️ Сейчас эту резолюцию не получит никто: в адресованных организациях ещё нет участников. "
            "Опубликовать можно — пункты придут участникам, когда они вступят."
        )
    blocks = [head]
    addressees = {a.id: a for a in resolution.addressees}
    for number, reach in enumerate(preview.reach, 1):
        if reach.skipped:
            role_line = "пропущен — не получит рассылку"
        elif not reach.roles:
            role_line = "не определена — укажите её кнопкой ниже"
        else:
            role_line = ", ".join(ROLE_NAMES.get(r, r) for r in reach.roles)
        lines = [
            f"<b>{number}. {esc(shorten(reach.heading, 300))}</b>",
            f"Роль: {role_line}",
            f"Пунктов: {reach.items}",
        ]
        if reach.target is not None:
            lines.append(f"Только организации: «{esc(reach.target)}»")
        if not reach.skipped and reach.roles:
            lines.append(
                f"Получат сейчас: {count(reach.organisations, 'организация', 'организации', 'организаций')}, "
                f"{count(reach.members, 'участник', 'участника', 'участников')}"
            )
            if preview.directory_loaded and not reach.organisations:
                lines.append("⚠️ В справочнике нет организаций этой роли: измените роль или загрузите их (/orgs).")
            elif reach.organisations and not reach.members:
                lines.append("⚠️ Ни одна из этих организаций ещё не подключена: получат, когда вступят.")
        for index, rec in enumerate(addressees[reach.addressee_id].recommendations, 1):
            marks = []
            if rec.due:
                marks.append(f"срок {fmt_date(rec.due)}")
            if rec.starts:
                marks.append(f"с {fmt_date(rec.starts)}")
            if rec.recurring:
                marks.append("регулярно")
            if marks:
                lines.append(f"  {index}) {'; '.join(marks)}")
        blocks.append("\n".join(lines))
    return blocks


def addressee_text_blocks(heading: str, items: list[tuple[str, date | None, date | None, bool]]) -> list[str]:
    """One addressee's items as parsed (text, due, start, recurring), numbered and dated as members will see
    them, for the admin to check before publishing."""
    return [f"<b>{esc(heading)}</b>"] + [
        item_block(i, text, due=fmt_date(due) if due else None, starts=starts, recurring=recurring)
        for i, (text, due, starts, recurring) in enumerate(items, 1)
    ]


def progress_text(title: str, counts: dict[str, int], *, final: bool, by_channel: dict[str, int] | None = None) -> str:
    """The admin's live broadcast progress (and its final summary); with members on MAX too, how many
    were reached through each messenger."""
    total = sum(counts.values())
    sent = counts.get("sent", 0)
    pending = counts.get("pending", 0) + counts.get("sending", 0)
    head = "Рассылка завершена" if final else "Идёт рассылка"
    lines = [
        f"<b>{head}</b>: {esc(shorten(title, 120))}",
        f"Отправлено: {sent} из {total}",
    ]
    if by_channel and set(by_channel) - {"telegram"}:
        lines.append(
            "По мессенджерам: " + ", ".join(f"{CHANNEL_NAMES.get(c, c)} — {n}" for c, n in sorted(by_channel.items()))
        )
    if not final:
        lines.append(f"В очереди: {pending}")
    if counts.get("blocked"):
        lines.append(f"Заблокировали бота: {counts['blocked']}")
    if counts.get("failed"):
        lines.append(f"Не доставлено (ошибка): {counts['failed']}")
    if counts.get("unconfirmed"):
        lines.append(f"Не подтверждено (бот перезапускался во время отправки): {counts['unconfirmed']}")
    if counts.get("cancelled"):
        lines.append(f"Отменено: {counts['cancelled']}")
    return "\n".join(lines)


ITEM_TEXT_LIMIT = 3000  # a resolution item is a paragraph; anything longer is cut in the message


def item_block(number: int, text: str, *, due: str | None, starts: date | None, recurring: bool) -> str:
    """One item of a notification: number, text, and its dates (`due` already described, with a day off)."""
    lines = [f"<b>{number}.</b> {esc(shorten(text, ITEM_TEXT_LIMIT))}"]
    if due:
        lines.append(f"⏰ срок: {due}")
    if starts:
        lines.append(f"▶️ с {fmt_date(starts)}")
    if recurring:
        lines.append("🔁 регулярно")
    return "\n".join(lines)


PUBLICATION_INTRO = (
    "Региональный орган управления образованием направил вашей организации рекомендации этой резолюции. "
    "Нажмите «Ознакомлен» под каждым пунктом, затем сообщайте о ходе исполнения кнопкой «отчёт» "
    "(«Выполнено» уйдёт на проверку муниципальному специалисту, а где его нет — в региональный орган)."
)
NEAREST_DUE = "\nБлижайший срок: <b>{due}</b>"
WITHDRAWN_NOTICE = (
    "Резолюция «{title}» отозвана администратором. Отчитываться по ней больше не нужно, напоминаний не будет."
)


PUBLISH_PASTE = "Вставьте текст резолюции одним сообщением (или пришлите файл). Отмена — /cancel."
PASTE_MORE = "Получено частей: {n}. Пришлите продолжение — или нажмите «Готово», если текст закончился."
PASTE_OFFER = "Похоже на текст резолюции. Прочитать его и показать, как я понял адресатов и пункты?"
PUBLISH_CANCELLED = "Публикация отменена, черновик удалён."
CANCELLED = "Ввод отменён."
CANCELLED_REPORT = "Ввод отменён. Отчёт «{status}» сохранён как есть{sent}."
CANCELLED_REPORT_SENT = " и отправлен проверяющему"
PUBLISH_NOTHING = "Нечего отменять."
PUBLISH_DONE = "Резолюция опубликована. Рассылка поставлена в очередь."
PUBLISH_ROLE_ASK = "Кто адресат раздела «{heading}»? Выберите роль — её организации получат пункты раздела."
PUBLISH_STALE = "Этот черновик уже обработан."
PUBLISH_NOBODY = "Сейчас эту резолюцию никто не получит. Откройте предпросмотр заново и подтвердите публикацию."
WITHDRAW_ASK = "Отозвать резолюцию «{title}»? Участники получат одно уведомление, напоминания прекратятся."
WITHDRAW_DONE = "Резолюция отозвана. Уведомлений поставлено в очередь: {n}."
RESOLUTIONS_EMPTY = "Опубликованных резолюций пока нет."
RESOLUTIONS_HEAD = "<b>Опубликованные резолюции</b> — {shown} из {total}, новые сверху"
RESOLUTIONS_MORE = "Другие опубликованные резолюции:"

STATUS_NAMES = {
    "new": "новое",
    "acknowledged": "ознакомлен",
    "not_started": "не начато",
    "in_progress": "в работе",
    "done": "выполнено, ждёт проверки",
    "blocked": "есть трудности",
    "accepted": "выполнено и принято",
}
REPORT_ACK = "Отмечено: ознакомлен"
REPORT_SAVED = "Статус: {status}"
REPORT_SAME = "Статус уже такой"
REPORT_STALE = "Статус не изменился: пункт уже «{status}»"
REPORT_ASK_COMMENT = "Добавьте комментарий одним сообщением или нажмите «Пропустить»."
REPORT_ASK_DETAILS = (
    "Напишите комментарий и, если нужно, пришлите файлы или фото — проверяющий получит их вместе с отчётом. "
    "Затем нажмите «Готово». Без комментария — «Пропустить»."
)
REPORT_ASK_DIFFICULTY = (
    "Опишите, в чём трудность и какая помощь нужна; можно приложить файлы или фото. Проверяющий получит это "
    "сразу после «Готово». Без комментария — «Пропустить»."
)
REPORT_DETAIL_SAVED = "Добавлено. Ещё комментарий или файл — или «Готово»."
REPORT_SENT_TO_REVIEW = "Готово: отчёт отправлен на проверку."
REPORT_SENT_TO_OFFICER = "Готово: проверяющий получил ваше сообщение о трудностях."
REPORT_DETAILS_DONE = "Готово."
ITEM_COMMENT_ASK = "Напишите комментарий к пункту одним сообщением. Отмена — /cancel."
ITEM_COMMENT_SAVED = "Комментарий сохранён в истории пункта."
ITEM_COMMENT_SENT = "Комментарий сохранён и отправлен проверяющему."
ANSWER_ASK = "Напишите ответ одним сообщением — он придёт участникам организации по этому пункту. Отмена — /cancel."
ANSWER_SENT = "Ответ отправлен и сохранён в истории пункта."
DIFFICULTY_NOTICE = "⚠️ <b>{org}</b>: трудности с пунктом\n{item}\n\n<i>{title}</i>"
REVIEW_COMMENT = "\n\n<b>Комментарий:</b> {comment}"
REPORT_FILES = "\n📎 Файлов: {n} (выше)"
FILES_NOT_FORWARDED = (
    "\n⚠️ Не удалось переслать сюда файлов: {n} (из MAX). Попросите прислать их ещё раз или посмотрите отчёт в MAX."
)
ITEM_COMMENT_NOTICE = "💬 <b>{org}</b> добавляет к пункту:\n{item}\n\n{comment}"
ITEM_ANSWER_NOTICE = "💬 <b>Ответ по пункту</b> {item}\n\n{text}\n\n— {who}"
REPORT_ASK_EVIDENCE = (
    "Добавьте комментарий одним сообщением, либо пришлите файл или фото как подтверждение, или нажмите «Пропустить»."
)
REPORT_COMMENT_SAVED = "Комментарий сохранён."
REPORT_FILE_SAVED = "Файл сохранён как подтверждение."
REPORT_NO_COMMENT = "Без комментария."


HISTORY_KINDS = {"answer": "ответ", "comment": "комментарий"}


def item_card(
    resolution_title: str,
    number: int,
    text: str,
    due: str | None,
    status: str,
    history: list[tuple[str, str, str, str | None, int]],
) -> str:
    """One item: its resolution, number and text, due date, status, and the latest of its history
    (when, who, what — a status or «ответ»/«комментарий» —, the words, how many files)."""
    lines = [f"<i>{esc(shorten(resolution_title, 200))}</i>", "", f"<b>{number}.</b> {esc(shorten(text, 2500))}"]
    if due:
        lines.append(f"⏰ срок: {due}")
    lines.append(f"<b>Статус:</b> {STATUS_NAMES.get(status, status)}")
    if history:
        lines += ["", "<b>История:</b>"]
        for when, who, kind, words, files in history:
            what = HISTORY_KINDS.get(kind) or STATUS_NAMES.get(kind, kind)
            line = f"{when} · {esc(shorten(who, 60)) or '—'} · {what}"
            if words:
                line += f": {esc(shorten(words, 300))}"
            if files:
                line += f" 📎 {files}"
            lines.append(line)
    return "\n".join(lines)


REVIEW_REQUEST = (
    "✅ <b>{org}</b> сообщает о выполнении пункта:\n{item}\n\n<i>{title}</i>\n\nПримите пункт или верните на доработку."
)
REVIEW_ACCEPTED_NOTICE = "Пункт принят как выполненный:\n{item}"
REVIEW_RETURNED_NOTICE = "Пункт возвращён на доработку:\n{item}\n\nКомментарий проверяющего: {comment}"
REVIEW_ACCEPTED = "Принято. Пункт закрыт."
REVIEW_ASK_RETURN_COMMENT = "Напишите, что нужно доработать (одним сообщением)."
REVIEW_RETURNED = "Пункт возвращён на доработку, организация получит ваш комментарий."
TASKS_EMPTY = "Открытых пунктов нет. 🎉"
TASKS_HEAD = "<b>Ваши открытые пункты</b> ({shown} из {total})"


def task_line(number: int, title: str, text: str, due: date | None, status: str, overdue: bool) -> str:
    mark = "🔴 просрочено, " if overdue else ""
    due_text = f"срок {fmt_date(due)}" if due else "без срока"
    return (
        f"<b>{number}.</b> {esc(shorten(text, 200))}\n<i>{esc(shorten(title, 80))}</i>\n"
        f"{mark}{due_text}; статус: {STATUS_NAMES.get(status, status)}"
    )


EXTENSION_ASK_DATE = "Введите новый срок в формате ДД.ММ.ГГГГ (например, 15.03.2027). Отмена — /cancel."
EXTENSION_BAD_DATE = "Не понял дату. Введите её так: 15.03.2027."
EXTENSION_ASK_REASON = "Коротко опишите причину переноса."
EXTENSION_SENT = "Запрос на перенос срока отправлен проверяющему."
EXTENSION_REQUEST = (
    "⏳ <b>{org}</b> просит перенести срок пункта:\n{item}\n\nБыло: {old}\nПросят: {new}\nПричина: {reason}"
)
EXTENSION_APPROVED = "Перенос срока одобрен, новый срок — {new}\n{item}"
EXTENSION_DECLINED = "В переносе срока отказано. Срок прежний.\n{item}"
EXTENSION_DONE_APPROVED = "Одобрено."
EXTENSION_DONE_DECLINED = "Отклонено."

JOIN_THROTTLED = "Слишком много неверных кодов подряд. Попробуйте через 10 минут или попросите новую ссылку."
JOIN_PENDING = "Ваша заявка на вступление в «{org}» ждёт решения. Я сообщу, когда её рассмотрят."
JOIN_ALREADY = "Вы уже состоите в организации. Сменить её можно через /leave и новую заявку."
JOIN_CHOOSE_MUNICIPALITY = "Выберите муниципальное образование:"
JOIN_CHOOSE_SCHOOL = "Выберите школу ({municipality}) или напишите часть её названия:"
JOIN_CHOOSE_ORG = "Выберите организацию:"
JOIN_NOTHING = "Список пуст: справочник организаций ещё не загружен. Обратитесь к администратору."
JOIN_EMPTY_LIST = (
    "Здесь пока нет ни одной организации. Выберите другой раздел (/start) или обратитесь к администратору."
)
JOIN_SEARCH_NOTHING = "По запросу «{query}» школ не нашлось. Попробуйте другую часть названия."
JOIN_SEARCH_FOUND = "Найдено школ: {n}. Выберите свою:"
JOIN_SENT = "Заявка на вступление в «{org}» отправлена. Я сообщу о решении."
JOIN_ASK_NAME = (
    "Организация: «{org}».\n\nНапишите одним сообщением ФИО и должность через запятую, например: "
    "<i>Иванова Мария Петровна, директор</i>. Их увидит тот, кто рассматривает заявку. Отмена — /cancel."
)
JOIN_WITHDRAWN = "Заявка на вступление в «{org}» отозвана. Подать новую — /start."
JOIN_NAME_AGAIN = "Нужны ФИО и должность через запятую, например: Иванова Мария Петровна, директор."
JOIN_REQUEST = "🙋 Заявка на вступление: {who}\nОрганизация: «{org}» ({role})"
JOIN_APPROVED = "Ваша заявка одобрена: вы состоите в организации «{org}». Справка — /help."
JOIN_REJECTED = "Ваша заявка на вступление в «{org}» отклонена. Если это ошибка, подайте её снова через /start."
DECISION_APPROVED = "Одобрено"
DECISION_REJECTED = "Отклонено"

TIMEZONES: dict[str, str] = {
    "Europe/Kaliningrad": "Калининград (МСК−1)",
    "Europe/Moscow": "Москва (МСК)",
    "Europe/Samara": "Самара (МСК+1)",
    "Asia/Yekaterinburg": "Екатеринбург (МСК+2)",
    "Asia/Omsk": "Омск (МСК+3)",
    "Asia/Krasnoyarsk": "Красноярск (МСК+4)",
    "Asia/Irkutsk": "Иркутск (МСК+5)",
    "Asia/Yakutsk": "Якутск (МСК+6)",
    "Asia/Vladivostok": "Владивосток (МСК+7)",
    "Asia/Magadan": "Магадан (МСК+8)",
    "Asia/Kamchatka": "Камчатка (МСК+9)",
}
QUIET_PRESETS: dict[str, str] = {
    "21-09": "21:00–09:00",
    "22-08": "22:00–08:00",
    "20-07": "20:00–07:00",
    "off": "без тихих часов",
}
ME_CARD = (
    "<b>{name}</b>\nОрганизация: «{org}»\nРоль: {role}\nЧасовой пояс: {tz}\nТихие часы: {quiet}\nНапоминания: {pause}"
)
ME_PAUSED = "на паузе, возобновятся {date}"
ME_ACTIVE = "включены"
ME_CHOOSE_TZ = "Выберите часовой пояс:"
ME_CHOOSE_QUIET = "В тихие часы я ничего не присылаю — сообщения ждут их окончания. Выберите:"
ME_SAVED = "Сохранено"
ME_PAUSE_ASK = "С какой даты снова присылать напоминания? Введите дату ДД.ММ.ГГГГ (0 — снять паузу сейчас)."
ME_PAUSE_SET = "Напоминания на паузе, возобновятся {date} Коллеги и проверяющие видят, что вы в отпуске."
ME_PAUSE_OFF = "Пауза снята, напоминания снова включены."
LEAVE_ASK = "Выйти из организации «{org}»? Рекомендации и напоминания перестанут приходить."
LEAVE_DONE = "Вы вышли из организации. Вступить снова можно через /start."
NOT_MEMBER = "Эта команда — для участников организаций, а вы пока ни в одной не состоите. Вступить — /start."
ADMIN_NOT_MEMBER = (
    "Это команда участников организаций, а вы — администратор. Ход исполнения — /progress, резолюции — /resolutions."
)

INVITE_CHOOSE_KIND = "Для какой организации создать приглашение?"
INVITE_CHOOSE_ORG = "Выберите организацию:"
INVITE_CREATED = "Приглашение в «{org}» ({role}), действует до {until}, {uses}.\n\nПерешлите ссылку сотруднику:\n{link}"
INVITE_REVOKED = "Приглашение отозвано: ссылка больше не работает."
INVITE_FORBIDDEN = "Создавать приглашения в эту организацию вы не можете."
MEMBERS_CHOOSE_ORG = "Участников какой организации показать?"
MEMBERS_NONE = "В «{org}» пока нет участников."
MEMBERS_HEAD = "<b>Участники «{org}»</b>"
MEMBER_LINE = "{name}{username} — {state}"
MEMBER_REMOVED = "Участник исключён."
REMOVE_ASK = "Исключить {name} из «{org}»? Резолюции, напоминания и отчёты этого участника прекратятся."
REMOVE_KEPT = "Участник остаётся в организации."
ORGS_ASK = (
    "Пришлите справочник организаций файлом .csv или .xlsx. Колонки: код; тип; название; код муниципалитета "
    "(в заголовке — code; kind; name; municipality_code). "
    "Повторная загрузка того же файла ничего не меняет. Отмена — /cancel."
)
ORGS_FAILED = "Справочник не загружен: {reason}"
DIRECTORY_OFFER = (
    "«{name}» — таблица, а не резолюция. Если это справочник организаций, загрузите его кнопкой ниже "
    "(повторная загрузка ничего не ломает: организации обновляются по коду, ничего не удаляется)."
)
ADMIN_PHOTO = (
    "Это фото — текст с картинки я не читаю. Пришлите резолюцию файлом .docx, .odt, .rtf или .pdf, "
    "или /publish и текст."
)
KIND_LABELS = {
    "region": "Департамент",
    "institute": "СОИРО",
    "municipality": "Муниципалитеты",
    "school": "Школы",
    "partner": "Партнёры",
}
APPROVAL_NAMES = {"pending": "ждёт одобрения", "approved": "участник", "rejected": "отклонён", "removed": "исключён"}


# Reminders (scheduler/planner.py): one message per member per run, the weekly digest, escalations.

DAY_OFF_NAMES: dict[str, str] = {
    "weekend": "выходной день",
    "holiday": "праздничный день",
    "transfer": "нерабочий день",
}
PERIOD_NAMES: dict[str, str] = {
    "week": "неделя",
    "month": "месяц",
    "quarter": "квартал",
    "half_year": "полугодие",
    "year": "год",
}
REMINDER_HEAD = "🔔 <b>Напоминание</b> о пунктах резолюций:"
REMINDER_FOOT = "Отметьте, что сделано, кнопкой «отчёт» под сообщением."
REMINDER_MORE = "…и ещё {n}. Все открытые пункты — /tasks"
DIGEST_HEAD = "🗓 <b>Еженедельная сводка</b>: открытые пункты без срока."
ESCALATION_HEAD = "⚠️ <b>Просрочено на {days} и более</b>: отчёта о выполнении нет, напоминания не помогли."


def reminder_due_note(due_text: str, days_left: int) -> str:
    """The due line of a reminded item; `due_text` is already formatted (and says if it is a day off)."""
    if days_left > 0:
        return f"⏰ срок через {count(days_left, 'день', 'дня', 'дней')}: {due_text}"
    if days_left == 0:
        return f"⏰ срок сегодня: {due_text}"
    return f"🔴 просрочено на {count(-days_left, 'день', 'дня', 'дней')} (срок: {due_text})"


def reminder_start_note(start_text: str, days_left: int) -> str:
    if days_left > 0:
        return f"▶️ начало через {count(days_left, 'день', 'дня', 'дней')}: {start_text}"
    if days_left == 0:
        return f"▶️ начало сегодня: {start_text}"
    return f"▶️ начато: {start_text}"


def reminder_period_note(period: str, start_text: str) -> str:
    return f"🔁 новый период ({PERIOD_NAMES.get(period, period)}) — с {start_text}"


def reminder_item(number: int, title: str, text: str, note: str | None) -> str:
    """One item of a reminder, digest or escalation: number, text, the resolution, the date line."""
    lines = [f"<b>{number}.</b> {esc(shorten(text, 300))}", f"<i>{esc(shorten(title, 100))}</i>"]
    if note:
        lines.append(note)
    return "\n".join(lines)


def escalation_org(name: str) -> str:
    return f"🏫 <b>{esc(shorten(name, 200))}</b>"


def snooze_button(number: int, days: int) -> str:
    return f"{number} · напомнить через {count(days, 'день', 'дня', 'дней')}"


def report_button(number: int) -> str:
    return f"{number} · отчёт"


SNOOZED = "Хорошо, напомню через {days} {word}."
SNOOZE_CLOSED = "Этот пункт уже закрыт — напоминать не о чем."


def paused_block(rows: list[tuple[str, str, date]], *, with_org: bool) -> str:
    """Who is on a reminder pause: colleagues see it in /tasks, reviewers in /progress."""
    lines = ["🏖 <b>В отпуске (напоминания на паузе)</b>"]
    for name, org, until in rows:
        where = f", {esc(shorten(org, 60))}" if with_org else ""
        lines.append(f"{esc(name)}{where} — по {fmt_date(until - timedelta(days=1))}")
    return "\n".join(lines)


REMINDER_UNACKNOWLEDGED = "👀 новый пункт, ещё не отмечен «Ознакомлен»"
ME_PAUSE_PAST = "Эта дата уже прошла. Введите дату в будущем (ДД.ММ.ГГГГ) или 0, чтобы снять паузу."
WITHDRAW_STALE = "Эта резолюция уже отозвана."
WITHDRAW_KEPT = "Резолюция остаётся опубликованной."
LEAVE_KEPT = "Вы остаётесь в организации."
MEMBER_FILE_HINT = (
    "Чтобы приложить файл к отчёту: /tasks → пункт → «Выполнено» или «Есть трудности», затем пришлите файл."
)
INVITE_USES_ONE = "одноразовая ссылка"


def describe_due(day: date, calendar: WorkCalendar) -> str:
    """«15 мая 2026 г.», or «9 мая 2026 г. (праздничный день)» when the date is not a working day."""
    reason = calendar.day_off(day)
    if reason is None:
        return fmt_date(day)
    return f"{fmt_date(day)} ({DAY_OFF_NAMES[reason]})"


# --- how the domain's refusals and outcomes read ---------------------------------------------------

REPORT_REFUSALS: dict[str, str] = {
    "not_found": "Пункт не найден.",
    "foreign": "Этот пункт адресован другой организации.",
    "withdrawn": "Резолюция отозвана: действия по ней больше не нужны.",
    "not_member": "Вы не состоите в организации: отчёты недоступны.",
    "closed": "Пункт уже закрыт: его приняли как выполненный.",
    "not_reviewer": "Проверять этот пункт может только муниципальный специалист или администратор.",
    "not_done": "Пункт уже проверен или его статус изменился.",
    "decided": "По этому запросу уже принято решение.",
    "bad_date": "Новый срок должен быть позже сегодняшнего дня и текущего срока. Введите другую дату.",
    "no_due": "У этого пункта нет срока: переносить нечего.",
}

PUBLISH_PROBLEMS: dict[str, str] = {
    "draft_not_found": "Черновик не найден: пришлите файл ещё раз.",
    "already_published": "Резолюция уже опубликована: менять её нельзя.",
    "unmapped": "Укажите роль для каждого адресата без роли или пропустите его.",
    "addressee_not_found": "Адресат не найден.",
    "not_published": "Резолюция не опубликована или уже отозвана.",
}

MEMBERSHIP_REFUSALS: dict[str, str] = {
    "organisation_not_found": "Организация не найдена: возможно, её удалили из справочника.",
    "invite_not_found": "Приглашение не найдено.",
    "not_allowed": "Недостаточно прав: муниципальный специалист управляет только школами своего муниципалитета.",
    "bad_role": "Неизвестная роль.",
    "bad_limits": "Число использований — от 1 до 1000, срок действия — от 1 до 365 дней.",
    "already_member": (
        "Вы уже участник организации. Участник состоит только в одной организации: "
        "чтобы перейти в другую, сначала выйдите из текущей."
    ),
}

JOIN_OUTCOMES: dict[str, str] = {
    "joined": "Готово: вы участник организации «{org}». Сюда будут приходить резолюции и напоминания о сроках.",
    "already_joined": "Вы уже участник организации «{org}».",
    "unknown": "Приглашение не найдено. Проверьте ссылку или попросите новое приглашение.",
    "expired": "Срок действия приглашения истёк. Попросите новое у того, кто его выдал.",
    "revoked": "Это приглашение отозвано. Попросите новое у того, кто его выдал.",
    "used_up": "Это приглашение уже использовано. Попросите новое у того, кто его выдал.",
    "member_elsewhere": (
        "Вы уже участник организации «{org}», а участник состоит только в одной организации. "
        "Чтобы перейти в другую, сначала выйдите из текущей."
    ),
}

DECISION_OUTCOMES: dict[str, str] = {
    "approved": "Заявка одобрена: {name} — участник организации «{org}».",
    "rejected": "Заявка отклонена: {name}, «{org}».",
    "already_decided": "Эта заявка уже {state}.",
    "not_allowed": "Рассмотреть эту заявку может администратор или муниципальный специалист её муниципалитета.",
    "not_found": "Заявка не найдена.",
}
DECISION_STATES = {
    "approved": "одобрена",
    "rejected": "отклонена",
    "removed": "отозвана",
    "pending": "изменена заявителем",
}

REMOVAL_OUTCOMES: dict[str, str] = {
    "removed": "{name} больше не участник организации «{org}».",
    "not_member": "{name} уже не участник организации.",
    "not_allowed": "Исключать участников может администратор или муниципальный специалист для школ своего "
    "муниципалитета.",
    "not_found": "Участник не найден.",
}
REMOVED_NOTICE = "Вы больше не участник организации «{org}»: вас исключил администратор или муниципальный специалист."


def join_message(outcome: str, organisation: str | None) -> str:
    return JOIN_OUTCOMES[outcome].format(org=esc(organisation or ""))


def decision_message(outcome: str, name: str | None, organisation: str | None, state: str | None) -> str:
    if outcome == "already_decided" and state not in DECISION_STATES:
        return "Эта заявка уже рассмотрена."
    return DECISION_OUTCOMES[outcome].format(
        name=esc(name or "без имени"), org=esc(organisation or ""), state=DECISION_STATES.get(state or "", "")
    )


def removal_message(outcome: str, name: str | None, organisation: str | None) -> str:
    return REMOVAL_OUTCOMES[outcome].format(name=esc(name or "без имени"), org=esc(organisation or ""))


def refusal(code: str | None) -> str:
    """How a refused action on an item reads (the domain's `reports.Refusal`)."""
    return REPORT_REFUSALS[code or "not_found"]


def directory_report(report: ImportReport, *, html: bool, limit: int = 15) -> str:
    """The report as text: counts, then up to `limit` entries per section.

    `html=True` escapes names for Telegram's HTML mode and bolds the title; with the default limit the
    text stays under Telegram's 4096 characters.
    """

    def esc_(text: str) -> str:
        return escape(text, quote=False) if html else text

    def short(text: str, size: int = 90) -> str:
        return text if len(text) <= size else text[: size - 1] + "…"

    title = "Проверка справочника (ничего не сохранено)" if report.dry_run else "Справочник организаций загружен"
    lines = [f"<b>{title}</b>" if html else title, f"Строк с данными: {report.rows}"]
    lines.append(f"Добавлено: {len(report.added)}")
    lines.append(f"Изменено: {len(report.changed)}")
    lines.append(f"Без изменений: {report.unchanged}")
    lines.append(f"Отклонено: {len(report.rejected)}")
    if report.deleted or report.kept:
        lines.append(f"Удалено: {len(report.deleted)}; оставлено (используются): {len(report.kept)}")
    if report.missing:
        lines.append(f"Есть в справочнике, но нет в файле: {report.missing} (не удалены)")

    def section(header: str, entries: list[Entry], render: Any) -> None:
        if not entries:
            return
        lines.append("")
        lines.append(header)
        lines.extend(f"• {esc_(short(render(e), 200))}" for e in entries[:limit])
        if len(entries) > limit:
            lines.append(f"…и ещё {len(entries) - limit}")

    section("Отклонены:", report.rejected, lambda e: f"строка {e.line}: {e.detail}")
    section("Изменены:", report.changed, lambda e: f"строка {e.line}, код {e.code}: {e.detail}")
    section("Добавлены:", report.added, lambda e: f"{e.code} — {short(e.name)} ({e.detail})")
    section("Удалены:", report.deleted, lambda e: f"{e.code} — {short(e.name)}")
    section("Не удалены:", report.kept, lambda e: f"{e.code} — {short(e.name)}: {e.detail}")
    return "\n".join(lines)


# --- /progress: execution control ------------------------------------------------------------------

PROGRESS_LIST_HEAD = "<b>Ход исполнения</b> — резолюции {shown} из {total}. Выберите резолюцию:"
PROGRESS_NONE = "Опубликованных резолюций, адресованных вашим организациям, пока нет."
PROGRESS_REGION = "<b>{title}</b>\n<b>По области:</b> {figures}"
PROGRESS_MUNICIPALITY = "<b>{title}</b>\n<b>{name}:</b> {figures}"
PROGRESS_ORGANISATION = "<b>{title}</b>\n<b>{name}</b>"
PROGRESS_NOT_CONNECTED = "<b>Не подключены ({n})</b> — никто из организации ещё не вступил в бот: {names}"
PROGRESS_LAGGARDS = "<b>Кто отстаёт</b> — {title}"
PROGRESS_NO_LAGGARDS = "Отстающих нет: просроченных и неотмеченных пунктов нет."
PROGRESS_NUDGED = "Поставлено в очередь напоминаний: {messages} (организаций: {orgs})."
PROGRESS_NUDGED_NONE = "Напоминать некому: у отстающих организаций нет подключённых участников."
PROGRESS_FORBIDDEN = "Этот раздел вам недоступен."
PROGRESS_CHART_CAPTION = "{title}: статусы пунктов {scope}"
PROGRESS_CHART_BY_ORGANISATIONS = "по организациям: {name}"
PROGRESS_CHART_BY_MUNICIPALITIES = "по муниципалитетам"
REGIONAL_LEVEL = "Региональный уровень"


def reached_line(by_channel: dict[str, int]) -> str:
    """Under a resolution's figures, once MAX is in use: how many members it reached through each messenger
    (a messenger that reached nobody, MAX alone say, is not named)."""
    parts = ", ".join(f"{CHANNEL_NAMES.get(c, c)} — {n}" for c, n in by_channel.items() if n)
    return f"Доставлено участникам: {parts}"


def figures_line(f: Figures, *, short: bool = False) -> str:
    """The figures of execution control in one line: closed, in work, difficulties, overdue, no answer, Ко,
    and coverage (organisations with nobody connected are counted apart, never as «новое»)."""
    parts = [f"закрыто {f.closed} из {f.items}"]
    if not short and f.in_progress + f.done:
        parts.append(f"в работе {f.in_progress + f.done}")
    if f.blocked:
        parts.append(f"трудности {f.blocked}")
    if f.overdue:
        average = f" (в ср. {f.avg_days_overdue:.0f} дн.)" if f.avg_days_overdue is not None and not short else ""
        parts.append(f"просрочено {f.overdue}{average}")
    if f.no_answer:
        parts.append(f"нет ответа {f.no_answer}")
    parts.append("Ко —" if f.ko is None else f"Ко {f.ko:.0f} %")
    if f.not_connected:
        parts.append(f"не подключены {f.not_connected} из {f.organisations}")
    return " · ".join(parts)


def progress_row(name: str, f: Figures) -> str:
    return f"• {esc(shorten(name, 80))}: {figures_line(f, short=True)}"


def progress_item(row: ItemRow) -> str:
    line = f"<b>{esc(row.number)}.</b> {esc(shorten(row.text, 160))} — {STATUS_NAMES.get(row.status, row.status)}"
    if row.days_overdue:
        line += f", просрочено на {count(row.days_overdue, 'день', 'дня', 'дней')}"
    if row.last_report_at is not None:
        line += f"\n   отчёт {row.last_report_at:%d.%m}"
        if row.reported_by:
            line += f" — {esc(shorten(row.reported_by, 60))}"
        if row.comment:
            line += f": {esc(shorten(row.comment, 120))}"
    return line


def laggard_line(lag: Laggard) -> str:
    parts = []
    if lag.overdue:
        parts.append(f"просрочено {lag.overdue} (до {count(lag.max_days_overdue, 'дня', 'дней', 'дней')})")
    if lag.no_answer:
        parts.append(f"нет ответа {lag.no_answer}")
    if not lag.connected:
        parts.append("не подключена")
    return f"• {esc(shorten(lag.name, 80))}: {', '.join(parts)}"


# --- /export and /audit ---------------------------------------------------------------------------

EXPORT_CHOOSE = (
    "Что выгрузить? Отчёт об исполнении придёт файлом Excel (.xlsx): сводка по муниципалитетам "
    "и лист на каждую резолюцию."
)
EXPORT_NONE = "Выгружать пока нечего: опубликованных резолюций нет."
EXPORT_FORBIDDEN = "Выгрузка доступна администраторам и муниципальным специалистам."
EXPORT_PREPARING = "Готовлю файл…"
EXPORT_PART = "{title} — на {date}"
EXPORT_SPLIT = "Отчёт больше 50 МБ — Telegram не передаст такой файл. Разделил его по муниципалитетам: файлов {n}."
EXPORT_OVERSIZED = "Файл «{title}» больше 50 МБ даже после разделения: выгрузите резолюции по одной."
EXPORT_CSV_OFFER = "Нужна таблица CSV (для своей обработки)? Кнопка ниже."
AUDIT_HEAD = "<b>Журнал действий</b> — записи {shown} из {total}, новые сверху"
AUDIT_EMPTY = "Журнал пуст: действий, меняющих рассылку, ещё не было."
AUDIT_ACTIONS = {
    "publish": "опубликовал резолюцию",
    "withdraw": "отозвал резолюцию",
    "invite": "создал приглашение",
    "revoke_invite": "отозвал приглашение",
    "approve": "одобрил заявку",
    "reject": "отклонил заявку",
    "remove_member": "исключил участника",
    "import_directory": "загрузил справочник",
    "extension_approved": "одобрил перенос срока",
    "extension_declined": "отклонил перенос срока",
    "accept": "принял пункт",
    "return": "вернул пункт на доработку",
}
AUDIT_CSV_HEADER = ("Дата и время (UTC)", "Кто (id)", "Действие", "Объект", "Номер объекта", "Подробности")


def audit_line(
    at: datetime, actor_id: int | None, action: str, object_id: int | None, details: dict[str, object]
) -> str:
    who = "командная строка" if actor_id is None else f"id {actor_id}" if actor_id > 0 else f"MAX id {-actor_id}"
    what = AUDIT_ACTIONS.get(action, action)
    extra = ", ".join(f"{esc(k)}: {esc(shorten(str(v), 80))}" for k, v in details.items() if v not in ("", None))
    obj = f" #{object_id}" if object_id is not None else ""
    return f"{at:%d.%m.%Y %H:%M} · {who} · {what}{obj}" + (f" ({extra})" if extra else "")


# --- MAX (maxbot/): the same bot in the national messenger; appended here, nothing above changed -----------------

MAX_START_GUEST = (
    "Здравствуйте! Я — Адресат: доставляю рекомендации резолюций и собираю отчёты об исполнении.\n\n"
    "Чтобы начать, откройте ссылку-приглашение от специалиста вашего муниципалитета или подайте заявку: "
    "выберите ниже, кого вы представляете."
)
MAX_START_FROM_TELEGRAM = (
    "\n\nЕсли вы уже работаете со мной в Telegram, получите там код в /me («Подключить MAX») и пришлите его сюда."
)
MAX_JOIN_PICK = "Выберите из списка"
MAX_JOIN_SEARCH = "Выберите школу из списка или напишите часть её названия."
MAX_ME = (
    "Уведомления приходят в: {channel}\n"
    "Чтобы получать уведомления и в Telegram, пришлите боту в Telegram: <b>/link {code}</b> "
    "(действует 30 минут, один раз)."
)
ME_LINK_MAX = (
    "Код для MAX: <b>{code}</b>\nПришлите его боту в MAX (действует 30 минут, один раз) — "
    "уведомления будут приходить туда, а все ваши пункты останутся с вами. Ссылка на бота: {link}"
)
CHANNEL_NAMES = {"telegram": "Telegram", "max": "MAX"}
CHANNEL_PREFER = "Присылать уведомления в {channel}"
CHANNEL_PREFERRED = "Уведомления будут приходить в {channel}."
CHANNEL_UNREACHABLE = "В {channel} я вас пока не знаю: сначала подключите его кодом из /me."
LINK_RESULT = {
    "linked": "Готово: этот аккаунт подключён, уведомления будут приходить сюда. Ваши пункты — /tasks.",
    "already": "Этот аккаунт уже подключён.",
    "unknown": "Код не подошёл: он неверный, уже использован или истёк. Получите новый в /me.",
    "taken": "Этот аккаунт уже принадлежит другому участнику. Обратитесь к специалисту муниципалитета.",
    "not_member": "Подключить можно только аккаунт участника организации.",
}
MAX_OPENED = "Открываю пункт"
MAX_ASKED = "Жду ваш ответ сообщением"
MAX_READING = "Читаю…"
MAX_ITEMS_SHOWN = "Пункты адресата"
NEED_TEXT = "Нужен ответ текстом: напишите его сообщением — или /cancel, чтобы отменить."
REPORT_NEED_CONTENT = "Пришлите текст, файл или фото — или нажмите «Готово»."
MAX_ID_LINE = "Ваш id в MAX: {max_id}."
MAX_INVITE_READY = "Приглашение создано"
MAX_OPENED_LIST = "Список участников"
MAX_ASKED_CONFIRM = "Подтвердите ниже"
MAX_PREVIEW_UPDATED = "Изменено — обновлённый разбор ниже."
MAX_PROGRESS_OPENED = "Ход исполнения"  # the notification of a press that redraws the /progress message
MAX_CHART_COMING = "Строю график…"


def max_invite_link(bot_username: str, code: str) -> str:
    """The MAX form of an invitation: a deep link whose start payload (≤ 128 characters) is the code."""
    return f"https://max.ru/{bot_username.lstrip('@')}?start={code}"


# --- Delivery you can account for: a broadcast's unconfirmed messages (scheduler/broadcast_progress.py) ---
UNCONFIRMED_SHOWN = 20  # names listed in the summary (the rest are counted): the summary stays one message
RESEND_BUTTON = "Отправить ещё раз"
RESEND_DONE = "Поставлено в очередь повторно: {n}. Итог рассылки обновится, когда они уйдут."
RESEND_NOTHING = "Повторно отправлять нечего: неподтверждённых сообщений больше нет."
RESEND_FORBIDDEN = "Повторную отправку делают только администраторы."
AUDIT_ACTIONS["resend"] = "повторно отправил неподтверждённые сообщения"


def unconfirmed_block(people: list[tuple[str | None, str | None, int]]) -> str:
    """Below the final summary: who may not have the message (name — organisation), and what the button does."""
    lines = [
        "",
        "<b>Не подтверждено</b> — эти сообщения уходили в момент перезапуска бота, и Telegram мог их уже "
        "доставить, а мог и нет:",
    ]
    for name, organisation, chat_id in people[:UNCONFIRMED_SHOWN]:
        who = esc(shorten(name, 60)) if name else f"участник вышел (чат {chat_id})"
        lines.append(f"• {who} — {esc(shorten(organisation, 70))}" if organisation else f"• {who}")
    if len(people) > UNCONFIRMED_SHOWN:
        lines.append(f"…и ещё {len(people) - UNCONFIRMED_SHOWN}")
    lines.append(f"«{RESEND_BUTTON}» пришлёт им сообщение повторно; кто его уже получил, получит его второй раз.")
    return "\n".join(lines)
