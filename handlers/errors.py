"""Last line of defence: log the failure, tell the user plainly, never leave a spinner turning."""

from __future__ import annotations

import logging

from aiogram.types import ErrorEvent

from ui import texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ERROR_GENERIC, show_alert=True)
        elif update.message is not None:
            await update.message.answer(texts.ERROR_GENERIC)
    except Exception:  # the callback may already be answered, or the chat gone
        log.debug("could not report the error to the user", exc_info=True)
    return True
