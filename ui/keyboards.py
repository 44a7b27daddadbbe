"""Keyboards as pure functions returning InlineKeyboardMarkup."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from ui.callbacks import (
    AdminAction,
    AdminCb,
    AnswerCb,
    AuditCb,
    ChannelCb,
    CommentCb,
    DecisionCb,
    DirectoryCb,
    ExportCb,
    ExportFormat,
    ExtAction,
    ExtCb,
    JoinCb,
    JoinStep,
    PasteAction,
    PasteCb,
    ProfileAction,
    ProfileCb,
    ProgressCb,
    ProgressLevel,
    PubAction,
    PubCb,
    ReportAction,
    ReportCb,
    ResolutionsCb,
    ReviewAction,
    ReviewCb,
    RoleChoice,
    SnoozeCb,
    TasksCb,
)
from ui.messages import shorten
from ui.texts import KIND_LABELS, QUIET_PRESETS, TIMEZONES, report_button, snooze_button

if TYPE_CHECKING:
    from models.publishing import Preview

STATUS_LABELS: dict[str, str] = {
    "new": "новое",
    "acknowledged": "ознакомлен",
    "not_started": "не начато",
    "in_progress": "в работе",
    "done": "выполнено",
    "blocked": "есть трудности",
    "accepted": "принято",
}

REPORT_LABELS: dict[ReportAction, str] = {
    ReportAction.ACK: "Ознакомлен",
    ReportAction.NOT_STARTED: "Не начато",
    ReportAction.IN_PROGRESS: "В работе",
    ReportAction.DONE: "Выполнено",
    ReportAction.BLOCKED: "Есть трудности",
}
STATUS_ACTIONS = (ReportAction.NOT_STARTED, ReportAction.IN_PROGRESS, ReportAction.DONE, ReportAction.BLOCKED)


def resolution_keyboard(items: Iterable[tuple[int, int, str]]) -> InlineKeyboardMarkup:
    """One row per item of a resolution message: (number, assignment id, status).

    A new item offers «Ознакомлен»; an acknowledged one opens its card with the status buttons,
    so any report is two taps away.
    """
    rows: list[list[InlineKeyboardButton]] = []  # built directly: a broadcast renders thousands of these
    for number, assignment_id, status in items:
        if status == "new":
            text, action = f"{number} · {REPORT_LABELS[ReportAction.ACK]}", ReportAction.ACK
        else:
            text, action = f"{number} · {STATUS_LABELS.get(status, status)} · отчёт", ReportAction.OPEN
        data = ReportCb(assignment_id=assignment_id, action=action).pack()
        rows.append([InlineKeyboardButton(text=text, callback_data=data)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def item_card_keyboard(assignment_id: int, *, has_due: bool) -> InlineKeyboardMarkup:
    """The four statuses for one item, a comment, and (for an item with a due date) a request to move it."""
    builder = InlineKeyboardBuilder()
    for action in STATUS_ACTIONS:
        builder.button(text=REPORT_LABELS[action], callback_data=ReportCb(assignment_id=assignment_id, action=action))
    comment = ReportCb(assignment_id=assignment_id, action=ReportAction.COMMENT)
    builder.button(text="💬 Комментарий", callback_data=comment)
    if has_due:
        builder.button(text="Перенести срок", callback_data=ExtCb(action=ExtAction.ASK, assignment_id=assignment_id))
    builder.adjust(2, 2, 2 if has_due else 1)
    return builder.as_markup()


def answer_keyboard(assignment_id: int) -> InlineKeyboardMarkup:
    """Under a difficulty or a comment: the officer answers on the item."""
    builder = InlineKeyboardBuilder()
    builder.button(text="Ответить", callback_data=AnswerCb(assignment_id=assignment_id))
    return builder.as_markup()


def preview_keyboard(preview: Preview) -> InlineKeyboardMarkup:
    """Under the parsed-resolution preview: fix roles, view texts, publish or cancel."""
    rid = preview.resolution.id
    builder = InlineKeyboardBuilder()
    for number, reach in enumerate(preview.reach, 1):
        builder.button(
            text=f"{number}: указать роль" if not reach.roles and not reach.skipped else f"{number}: изменить роль",
            callback_data=PubCb(action=PubAction.ASK_ROLE, resolution_id=rid, addressee_id=reach.addressee_id),
        )
        if reach.target is not None:
            builder.button(
                text=f"{number}: всем, а не одной организации",
                callback_data=PubCb(action=PubAction.ALL_OF_ROLE, resolution_id=rid, addressee_id=reach.addressee_id),
            )
        builder.button(
            text=f"{number}: пункты",
            callback_data=PubCb(action=PubAction.SHOW, resolution_id=rid, addressee_id=reach.addressee_id),
        )
    publish_action = PubAction.CONFIRM_DUPLICATE if preview.duplicate_of else PubAction.PUBLISH
    publish_text = "Всё равно опубликовать" if preview.duplicate_of else "Опубликовать"
    if preview.reaches_nobody:  # publishing to nobody is never silent: the button says it
        publish_action, publish_text = PubAction.CONFIRM_EMPTY, "Опубликовать, хотя сейчас никто не получит"
    builder.button(text=publish_text, callback_data=PubCb(action=publish_action, resolution_id=rid))
    builder.button(text="Отмена", callback_data=PubCb(action=PubAction.CANCEL, resolution_id=rid))
    builder.adjust(1)
    return builder.as_markup()


ROLE_BUTTONS: dict[RoleChoice, str] = {
    RoleChoice.REGION: "Департамент",
    RoleChoice.INSTITUTE: "СОИРО",
    RoleChoice.MUNICIPALITY: "Муниципалитеты",
    RoleChoice.SCHOOL: "Школы",
    RoleChoice.PARTNER: "Партнёры",
    RoleChoice.SKIP: "Пропустить адресата",
}


def role_choice_keyboard(resolution_id: int, addressee_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for role, label in ROLE_BUTTONS.items():
        builder.button(
            text=label,
            callback_data=PubCb(
                action=PubAction.SET_ROLE, resolution_id=resolution_id, addressee_id=addressee_id, role=role
            ),
        )
    builder.adjust(2)
    return builder.as_markup()


def withdraw_keyboard(resolution_id: int, *, confirm: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    action = PubAction.WITHDRAW_CONFIRM if confirm else PubAction.WITHDRAW
    builder.button(
        text="Да, отозвать" if confirm else "Отозвать", callback_data=PubCb(action=action, resolution_id=resolution_id)
    )
    if confirm:
        builder.button(text="Нет", callback_data=PubCb(action=PubAction.WITHDRAW_CANCEL, resolution_id=resolution_id))
    return builder.as_markup()


def with_item_status(
    markup: InlineKeyboardMarkup | None, assignment_id: int, status: str
) -> InlineKeyboardMarkup | None:
    """The resolution message's keyboard with one item's button showing its new status.

    None when the keyboard has no button for that item (nothing to edit).
    """
    if markup is None:
        return None
    rows = [list(row) for row in markup.inline_keyboard]
    for row in rows:
        for index, button in enumerate(row):
            data = button.callback_data or ""
            if not data.startswith(f"{ReportCb.__prefix__}:"):
                continue
            cb = ReportCb.unpack(data)
            # Only the per-item buttons of a resolution message; the card's status buttons stay as they are.
            if cb.assignment_id != assignment_id or cb.action not in {ReportAction.ACK, ReportAction.OPEN}:
                continue
            number = button.text.split(" · ", 1)[0]
            fresh = resolution_keyboard([(int(number) if number.isdigit() else 0, assignment_id, status)])
            row[index] = fresh.inline_keyboard[0][0]
            return InlineKeyboardMarkup(inline_keyboard=rows)
    return None


def details_keyboard(report_id: int, *, added: bool) -> InlineKeyboardMarkup:
    """The comment step after a report: «Готово» once something was added, «Пропустить» before."""
    builder = InlineKeyboardBuilder()
    builder.button(text="Готово" if added else "Пропустить", callback_data=CommentCb(report_id=report_id))
    return builder.as_markup()


def review_keyboard(assignment_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Принять", callback_data=ReviewCb(assignment_id=assignment_id, action=ReviewAction.ACCEPT))
    builder.button(
        text="Вернуть на доработку", callback_data=ReviewCb(assignment_id=assignment_id, action=ReviewAction.RETURN)
    )
    builder.adjust(2)
    return builder.as_markup()


def tasks_keyboard(lines: list[tuple[int, int, str]], page: int, pages: int) -> InlineKeyboardMarkup:
    """Each listed item opens its card; arrows page through the list."""
    builder = InlineKeyboardBuilder()
    for number, assignment_id, _status in lines:
        builder.button(
            text=f"{number} · отчёт", callback_data=ReportCb(assignment_id=assignment_id, action=ReportAction.OPEN)
        )
    nav = []
    if page > 0:
        nav.append(("◀️ Назад", page - 1))
    if page + 1 < pages:
        nav.append(("Вперёд ▶️", page + 1))
    for text, target in nav:
        builder.button(text=text, callback_data=TasksCb(page=target))
    builder.adjust(*([1] * len(lines)), max(1, len(nav)))
    return builder.as_markup()


def extension_keyboard(request_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Одобрить", callback_data=ExtCb(action=ExtAction.APPROVE, request_id=request_id))
    builder.button(text="Отклонить", callback_data=ExtCb(action=ExtAction.DECLINE, request_id=request_id))
    builder.adjust(2)
    return builder.as_markup()


def page_arrows(page: int, total: int, per_page: int) -> list[tuple[str, int]]:
    """(label, target page) for the ◀️ / ▶️ buttons of a paged list."""
    arrows = []
    if page > 0:
        arrows.append(("◀️", page - 1))
    if (page + 1) * per_page < total:
        arrows.append(("▶️", page + 1))
    return arrows


def join_kind_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Школа (руководитель, заместитель)", callback_data=JoinCb(step=JoinStep.KIND, kind="school"))
    builder.button(
        text="Муниципальный орган управления образованием",
        callback_data=JoinCb(step=JoinStep.KIND, kind="municipality"),
    )
    builder.button(text="Департамент, СОИРО или партнёр", callback_data=JoinCb(step=JoinStep.KIND, kind="other"))
    builder.adjust(1)
    return builder.as_markup()


def org_page_keyboard(
    items: list[tuple[int, str]],
    *,
    next_step: JoinStep,
    kind: str,
    parent: int,
    page: int,
    total: int,
    per_page: int,
    page_step: JoinStep = JoinStep.PAGE,
) -> InlineKeyboardMarkup:
    """A page of organisations to pick from, with arrows when there are more."""
    builder = InlineKeyboardBuilder()
    for org_id, name in items:
        chosen = (
            JoinCb(step=next_step, kind=kind, municipality_id=org_id)
            if next_step == JoinStep.MUNICIPALITY
            else JoinCb(step=next_step, kind=kind, municipality_id=parent, organisation_id=org_id)
        )
        builder.button(text=shorten(name, 60), callback_data=chosen)
    nav = page_arrows(page, total, per_page)
    for text, target in nav:
        builder.button(text=text, callback_data=JoinCb(step=page_step, kind=kind, municipality_id=parent, page=target))
    builder.adjust(*([1] * len(items)), max(1, len(nav)))
    return builder.as_markup()


def decision_keyboard(member_id: int, organisation_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, approve in (("Одобрить", True), ("Отклонить", False)):
        data = DecisionCb(member_id=member_id, organisation_id=organisation_id, approve=approve)
        builder.button(text=text, callback_data=data)
    builder.adjust(2)
    return builder.as_markup()


def profile_keyboard(*, max_enabled: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Часовой пояс", callback_data=ProfileCb(action=ProfileAction.TIMEZONE))
    builder.button(text="Тихие часы", callback_data=ProfileCb(action=ProfileAction.QUIET))
    builder.button(text="Пауза напоминаний (отпуск)", callback_data=ProfileCb(action=ProfileAction.PAUSE))
    if max_enabled:  # MAX (maxbot/): a one-time code to link it, or notices there once linked
        builder.button(text="Подключить MAX", callback_data=ChannelCb(channel="max"))
    builder.adjust(2, 1, 1)
    return builder.as_markup()


def timezone_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for zone, label in TIMEZONES.items():
        builder.button(text=label, callback_data=ProfileCb(action=ProfileAction.SET_TIMEZONE, value=zone))
    builder.adjust(2)
    return builder.as_markup()


def quiet_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key, label in QUIET_PRESETS.items():
        builder.button(text=label, callback_data=ProfileCb(action=ProfileAction.SET_QUIET, value=key))
    builder.adjust(2)
    return builder.as_markup()


def leave_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Да, выйти", callback_data=ProfileCb(action=ProfileAction.LEAVE_CONFIRM))
    builder.button(text="Нет, остаться", callback_data=ProfileCb(action=ProfileAction.LEAVE_CANCEL))
    return builder.as_markup()


def admin_kind_keyboard(action: AdminAction, kinds: tuple[str, ...] | None = None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind, label in KIND_LABELS.items():
        if kinds is None or kind in kinds:
            builder.button(text=label, callback_data=AdminCb(action=action, kind=kind))
    builder.adjust(2)
    return builder.as_markup()


def admin_org_keyboard(
    items: list[tuple[int, str]], action: AdminAction, *, kind: str, page: int, total: int, per_page: int
) -> InlineKeyboardMarkup:
    """A page of organisations for an admin action; arrows keep the list's own action."""
    page_action = AdminAction.INVITE_PAGE if action == AdminAction.INVITE_ORG else AdminAction.MEMBERS_PAGE
    builder = InlineKeyboardBuilder()
    for org_id, name in items:
        builder.button(text=shorten(name, 60), callback_data=AdminCb(action=action, kind=kind, organisation_id=org_id))
    nav = page_arrows(page, total, per_page)
    for text, target in nav:
        builder.button(text=text, callback_data=AdminCb(action=page_action, kind=kind, page=target))
    builder.adjust(*([1] * len(items)), max(1, len(nav)))
    return builder.as_markup()


def invite_keyboard(invite_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Отозвать приглашение", callback_data=AdminCb(action=AdminAction.REVOKE, invite_id=invite_id))
    return builder.as_markup()


def members_keyboard(members: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for member_id, name in members:
        builder.button(
            text=f"Исключить: {shorten(name or 'без имени', 40)}",
            callback_data=AdminCb(action=AdminAction.REMOVE_ASK, member_id=member_id),
        )
    builder.adjust(1)
    return builder.as_markup()


def remove_confirm_keyboard(member_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Да, исключить", callback_data=AdminCb(action=AdminAction.REMOVE, member_id=member_id))
    builder.button(text="Нет", callback_data=AdminCb(action=AdminAction.REMOVE_KEEP, member_id=member_id))
    builder.adjust(2)
    return builder.as_markup()


def reminder_keyboard(items: Iterable[tuple[int, int]], *, snooze_days: int | None = 3) -> InlineKeyboardMarkup:
    """Under a reminder: per item (number, assignment id) its card for a report, and a snooze (None: no snooze).

    Built without InlineKeyboardBuilder: the weekly digest makes tens of thousands of these at once.
    """
    rows: list[list[InlineKeyboardButton]] = []
    for number, assignment_id in items:
        report = ReportCb(assignment_id=assignment_id, action=ReportAction.OPEN).pack()
        row = [InlineKeyboardButton(text=report_button(number), callback_data=report)]
        if snooze_days is not None:
            snooze = SnoozeCb(assignment_id=assignment_id, days=snooze_days).pack()
            row.append(InlineKeyboardButton(text=snooze_button(number, snooze_days), callback_data=snooze))
        rows.append(row)
    return InlineKeyboardMarkup(inline_keyboard=rows)


PROGRESS_PAGE = 10  # organisations or resolutions per page of the drill-down


def progress_list_keyboard(items: list[tuple[int, str]], page: int, total: int) -> InlineKeyboardMarkup:
    """The resolutions to drill into, with arrows when there are more."""
    builder = InlineKeyboardBuilder()
    for resolution_id, title in items:
        data = ProgressCb(level=ProgressLevel.RESOLUTION, resolution_id=resolution_id)
        builder.button(text=shorten(title, 60), callback_data=data)
    nav = page_arrows(page, total, PROGRESS_PAGE)
    for text, target in nav:
        builder.button(text=text, callback_data=ProgressCb(level=ProgressLevel.LIST, page=target))
    builder.adjust(*([1] * len(items)), max(1, len(nav)))
    return builder.as_markup()


def progress_view_keyboard(
    choices: list[tuple[ProgressCb, str]],
    *,
    page_of: ProgressCb | None,
    page: int,
    total: int,
    laggards: ProgressCb | None,
    chart: ProgressCb | None,
    back: ProgressCb | None,
) -> InlineKeyboardMarkup:
    """A level of the drill-down: one button per row below it (paged), then «Кто отстаёт», «График», «Назад»."""
    builder = InlineKeyboardBuilder()
    for data, text in choices:
        builder.button(text=shorten(text, 60), callback_data=data)
    nav = page_arrows(page, total, PROGRESS_PAGE) if page_of is not None else []
    for text, target in nav:
        assert page_of is not None
        builder.button(text=text, callback_data=page_of.model_copy(update={"page": target}))
    extra = [(laggards, "⏰ Кто отстаёт"), (chart, "📊 График"), (back, "⬅️ Назад")]
    present = [(data, text) for data, text in extra if data is not None]
    for data, text in present:
        builder.button(text=text, callback_data=data)
    builder.adjust(*([1] * len(choices)), *([len(nav)] if nav else []), *([len(present)] if present else []))
    return builder.as_markup()


def laggards_keyboard(nudge: ProgressCb | None, back: ProgressCb) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if nudge is not None:
        builder.button(text="🔔 Напомнить им сейчас", callback_data=nudge)
    builder.button(text="⬅️ Назад", callback_data=back)
    builder.adjust(1)
    return builder.as_markup()


def export_keyboard(resolutions: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """What to export: every published resolution at once, or one of them."""
    builder = InlineKeyboardBuilder()
    builder.button(text="Все резолюции", callback_data=ExportCb(fmt=ExportFormat.XLSX))
    for resolution_id, title in resolutions:
        data = ExportCb(fmt=ExportFormat.XLSX, resolution_id=resolution_id)
        builder.button(text=shorten(title, 60), callback_data=data)
    builder.adjust(1)
    return builder.as_markup()


def csv_keyboard(resolution_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="То же в CSV", callback_data=ExportCb(fmt=ExportFormat.CSV, resolution_id=resolution_id))
    return builder.as_markup()


def audit_keyboard(page: int, total: int, per_page: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    nav = page_arrows(page, total, per_page)
    for text, target in nav:
        builder.button(text=text, callback_data=AuditCb(page=target))
    builder.button(text="Весь журнал в CSV", callback_data=AuditCb(csv=True))
    builder.adjust(max(1, len(nav)), 1)
    return builder.as_markup()


def admin_start_keyboard(*, directory: bool, lonely: bool, published: bool) -> InlineKeyboardMarkup | None:
    """The next steps of the admin's checklist, as buttons."""
    builder = InlineKeyboardBuilder()
    if directory and lonely:
        builder.button(
            text="Пригласить специалистов", callback_data=AdminCb(action=AdminAction.INVITE_KIND, kind="municipality")
        )
    if published:
        builder.button(text="Ход исполнения", callback_data=ProgressCb(level=ProgressLevel.LIST))
    builder.adjust(1)
    markup = builder.as_markup()
    return markup if markup.inline_keyboard else None


def directory_offer_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Загрузить как справочник", callback_data=DirectoryCb())
    return builder.as_markup()


def paste_done_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Готово — прочитать", callback_data=PasteCb(action=PasteAction.DONE))
    return builder.as_markup()


def paste_offer_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Прочитать как резолюцию", callback_data=PasteCb(action=PasteAction.READ))
    return builder.as_markup()


def resolutions_page_keyboard(page: int, total: int, per_page: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, target in page_arrows(page, total, per_page):
        builder.button(text=text, callback_data=ResolutionsCb(page=target))
    return builder.as_markup()


def resend_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    from ui.callbacks import ResendCb
    from ui.texts import RESEND_BUTTON

    builder = InlineKeyboardBuilder()
    builder.button(text=RESEND_BUTTON, callback_data=ResendCb(broadcast_id=broadcast_id))
    return builder.as_markup()
