"""/tasks on MAX: the organisation's open items, a page at a time, with a button per item."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from maxapi.types import MessageCreated

from maxbot.handlers.base import Act, Press, PressHandler, TextStep
from models import oversight, policy, reports
from ui import texts
from ui.callbacks import (
    TasksCb,
)
from ui.keyboards import tasks_keyboard

TASKS_PAGE = 5


async def tasks_page(act: Act, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    member = act.member
    assert member is not None
    assert member.organisation_id is not None
    lines, total = await reports.open_tasks(
        act.session, member.organisation_id, act.today(), offset=page * TASKS_PAGE, limit=TASKS_PAGE
    )
    if total == 0:
        return texts.TASKS_EMPTY, None
    pages = (total + TASKS_PAGE - 1) // TASKS_PAGE
    first = page * TASKS_PAGE + 1
    blocks = [texts.TASKS_HEAD.format(shown=f"{first}–{first + len(lines) - 1}", total=total)]
    blocks += [
        texts.task_line(first + i, t.resolution_title, t.text, t.due, t.status, t.overdue) for i, t in enumerate(lines)
    ]
    colleagues = await oversight.paused_members(
        act.session, [member.organisation_id], act.today(), exclude_member_id=member.id
    )
    if colleagues:
        blocks.append(texts.paused_block(colleagues, with_org=False))
    markup = tasks_keyboard([(first + i, t.assignment_id, t.status) for i, t in enumerate(lines)], page, pages)
    return "\n\n".join(blocks), markup


async def on_tasks(event: MessageCreated, act: Act) -> None:
    if not policy.is_approved(act.member):
        await act.say(texts.NOT_MEMBER)
        return
    await act.say(*await tasks_page(act, 0))


async def on_tasks_page(press: Press, data: TasksCb) -> None:
    act = press.act
    if not policy.is_approved(act.member) or data.page < 0:
        await press.answer(texts.STALE_BUTTON)
        return
    text, markup = await tasks_page(act, data.page)
    await press.answer(f"Страница {data.page + 1}")
    await act.edit(press.mid, text, markup)


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = ((TasksCb, on_tasks_page),)
STEPS: dict[str, TextStep] = {}
