"""/progress on MAX: Telegram's drill-down (`ui.progress`), the same screens and the same authorisation; a press
redraws the pressed message, «График» comes as an image uploaded to MAX."""

from __future__ import annotations

import asyncio

from aiogram.filters.callback_data import CallbackData
from maxapi.types import MessageCreated

from maxbot.handlers.base import Act, Press, PressHandler, TextStep
from maxbot.keyboards import body
from models import policy
from models.policy import Scope
from models.timeutil import utcnow
from ui import progress, texts
from ui.callbacks import ProgressCb


def _scope(act: Act) -> Scope | None:
    return policy.oversight_scope(policy.Actor(act.principal, act.member), act.deps.config.admin_ids)


async def on_progress(event: MessageCreated, act: Act) -> None:
    scope = _scope(act)
    if scope is None:
        await act.say(texts.NOT_MEMBER)
        return
    screen = await progress.opening_screen(act.session, scope, act.member, act.today())
    await act.say(*(screen or (texts.PROGRESS_NONE, None)))


async def on_progress_press(press: Press, data: ProgressCb) -> None:
    act = press.act
    today = act.today()
    outcome = await progress.open_screen(act.session, _scope(act), data, today)
    if isinstance(outcome, progress.Refused):
        await press.answer(outcome.alert)
    elif isinstance(outcome, progress.Nudge):
        await press.answer(await progress.nudge(act.session, outcome, today, act.deps.config, utcnow()))
    elif isinstance(outcome, progress.ChartWanted):
        await _chart(press, outcome)
    else:
        await press.answer(texts.MAX_PROGRESS_OPENED)
        await act.edit(press.mid, outcome.text, outcome.markup)


async def _chart(press: Press, wanted: progress.ChartWanted) -> None:
    from exports import chart  # matplotlib loads on the first chart, not at start

    await press.answer(texts.MAX_CHART_COMING)  # first: drawing and uploading take a moment
    act = press.act
    view, caption = await progress.chart_of(act.session, wanted, act.today())
    # Drawn in a thread: a chart takes a moment of CPU, and the MAX dispatcher serves everyone else meanwhile.
    picture = await asyncio.to_thread(chart.render, view, title=wanted.resolution.title)
    client = act.deps.client
    token = await client.upload("image", "progress.png", picture.png)
    await client.send(act.user.user_id, body(caption, None, [{"type": "image", "payload": {"token": token}}]))


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = ((ProgressCb, on_progress_press),)
STEPS: dict[str, TextStep] = {}
