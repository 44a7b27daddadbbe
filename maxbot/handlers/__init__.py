"""The MAX router: commands, free text routed to the step the dialog waits in, and every button press.

Button payloads are Telegram's packed callback data (`ui.callbacks`), parsed by the same typed classes; every
press is authorised again by the services, and every press is answered (MAX shows the notification).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from maxapi import Router
from maxapi.filters.command import Command
from maxapi.types import MessageCallback, MessageCreated

from maxbot.handlers import administration, exports, joining, profile, progress, publish, reports, start, tasks
from maxbot.handlers.base import Act, DepsMiddleware, MaxDeps, Press, PressHandler, TextStep
from models import channels
from ui import texts

__all__ = ["DepsMiddleware", "MaxDeps", "create_router", "parse_payload"]

# Each feature module names the buttons it answers and the steps its dialogs wait in.
FEATURES = (start, joining, profile, tasks, progress, reports, administration, publish, exports)
# A message outside any step, in this order: a member's reply to an item card (a comment), an admin's table
# (the directory), an admin's resolution.
UNPROMPTED = (reports.unprompted, administration.unprompted, publish.unprompted)
PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = tuple(p for f in FEATURES for p in f.PRESSES)
STEPS: dict[str, TextStep] = {state: step for f in FEATURES for state, step in f.STEPS.items()}


async def on_text(event: MessageCreated, act: Act) -> None:
    """A message that is no command: the answer to the question the dialog waits on, or a link code."""
    text = ((event.message.body.text if event.message.body else "") or "").strip()
    state = await act.context.get_state()
    step = STEPS.get(str(state)) if state is not None else None
    if step is None:
        for hook in UNPROMPTED:
            if await hook(act, event, text):
                return
        if len(channels.normalise_code(text)) == channels.LINK_CODE_LENGTH and " " not in text:
            await start.link(act, text)  # a link code sent on its own
            return
        await act.say(texts.UNKNOWN_COMMAND if text.startswith("/") else texts.FREE_TEXT)
        return
    await step(act, event, text, await act.context.get_data())


def parse_payload(payload: str) -> tuple[CallbackData, PressHandler] | None:
    """The typed callback data of a button, or None for anything this bot did not make (forged, or stale)."""
    for cls, handler in PRESSES:
        # A class without fields packs to its bare prefix.
        if payload == cls.__prefix__ or payload.startswith(f"{cls.__prefix__}{cls.__separator__}"):
            try:
                return cls.unpack(payload), handler
            except (ValueError, TypeError):
                return None
    return None


async def on_callback(event: MessageCallback, act: Act) -> None:
    mid = event.message.body.mid if event.message is not None and event.message.body is not None else None
    press = Press(act, event.callback.callback_id, mid)
    parsed = parse_payload(event.callback.payload or "")
    try:
        if parsed is None:
            await press.answer(texts.STALE_BUTTON)
            return
        data, handler = parsed
        await handler(press, data)
    finally:
        if not press.answered:  # a spinner must never keep turning, whatever failed above
            await press.answer(texts.STALE_BUTTON)


def create_router() -> Router:
    router = Router(router_id="adresat")
    start.register(router)
    profile.register(router)
    publish.register(router)
    administration.register(router)
    exports.register(router)
    router.message_created.register(tasks.on_tasks, Command("tasks"))
    router.message_created.register(progress.on_progress, Command("progress"))
    router.message_created.register(on_text)  # last: commands above take their messages first
    router.message_callback.register(on_callback)
    return router
