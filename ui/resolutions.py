"""/resolutions for both messengers: a page of the published resolutions as messages, each with its
«Отозвать», and the arrows to the older ones."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from models import publishing
from ui import texts
from ui.keyboards import resolutions_page_keyboard, withdraw_keyboard

PAGE = 5


async def resolutions_page(session: AsyncSession, page: int) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    items, total = await publishing.published(session, offset=page * PAGE, limit=PAGE)
    if not total:
        return [(texts.RESOLUTIONS_EMPTY, None)]
    first = page * PAGE + 1
    out: list[tuple[str, InlineKeyboardMarkup | None]] = [
        (texts.RESOLUTIONS_HEAD.format(shown=f"{first}–{first + len(items) - 1}", total=total), None)
    ]
    for resolution in items:
        title = f"<b>{texts.esc(resolution.title)}</b>\n{texts.fmt_date(resolution.date)}"
        out.append((title, withdraw_keyboard(resolution.id, confirm=False)))
    if total > first + len(items) - 1 or page > 0:
        out.append((texts.RESOLUTIONS_MORE, resolutions_page_keyboard(page, total, PAGE)))
    return out
