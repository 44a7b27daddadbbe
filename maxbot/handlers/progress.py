"""/progress on MAX."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from maxapi.types import MessageCreated

from maxbot.handlers.base import Act, Press, PressHandler, TextStep
from models import execution, oversight, policy
from ui import texts
from ui.callbacks import (
    ProgressCb,
)

PROGRESS_ROWS = 10


async def on_progress(event: MessageCreated, act: Act) -> None:
    """The resolutions with their figures, as the first level of Telegram's /progress."""
    scope = policy.oversight_scope(policy.Actor(act.principal, act.member), act.deps.config.admin_ids)
    if scope is None:
        await act.say(texts.NOT_MEMBER)
        return
    if scope.organisation_id is not None:
        found, total = await oversight.resolutions_of(act.session, scope.organisation_id, offset=0, limit=PROGRESS_ROWS)
        if not total:
            await act.say(texts.TASKS_EMPTY)
            return
        blocks = [texts.PROGRESS_LIST_HEAD.format(shown=f"1–{len(found)}", total=total)]
        blocks += [f"<b>{texts.esc(title)}</b>" for _rid, title in found]
        await act.say("\n\n".join([*blocks, "/tasks"]))
        return
    listed = await execution.resolutions(
        act.session, act.today(), municipality_id=scope.municipality_id, offset=0, limit=PROGRESS_ROWS
    )
    if not listed.total:
        await act.say(texts.TASKS_EMPTY)
        return
    blocks = [texts.PROGRESS_LIST_HEAD.format(shown=f"1–{len(listed.items)}", total=listed.total)]
    blocks += [f"<b>{texts.esc(r.title)}</b>\n{texts.figures_line(r.figures)}" for r in listed.items]
    await act.say("\n\n".join([*blocks, texts.MAX_PROGRESS_MORE]))


async def on_progress_press(press: Press, data: ProgressCb) -> None:
    await press.answer(texts.MAX_PROGRESS_MORE)


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = ((ProgressCb, on_progress_press),)
STEPS: dict[str, TextStep] = {}
