"""Files sent on MAX, fetched for a reviewer on Telegram (`ui.sender.TelegramSender` uploads them there once).

A MAX attachment carries a `url` beside its `token` (the schema's FileAttachmentPayload / PhotoAttachmentPayload);
the URL is kept with the report file when the member sends it, and is a plain download without the bot's
token. Telegram takes at most 50 MB from a bot: a larger file stays on MAX, and the text counts it.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import reports
from ui.sender import FileFetch

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024
_TIMEOUT = aiohttp.ClientTimeout(total=120)


class FileUnavailableError(Exception):
    """The file cannot be brought to Telegram: not kept, gone, or too large."""


def file_fetcher(session_factory: async_sessionmaker[AsyncSession]) -> FileFetch:
    """(MAX token) → (file name, bytes), for `TelegramSender`."""

    async def fetch(token: str) -> tuple[str, bytes]:
        async with session_factory() as session:
            source = await reports.max_file_source(session, token)
        if source is None:
            raise FileUnavailableError("no URL was kept for this MAX file")
        name, url = source
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as http, http.get(url) as response:
            if response.status != 200:
                raise FileUnavailableError(f"MAX answered {response.status} for the file")
            if (response.content_length or 0) > TELEGRAM_UPLOAD_LIMIT:
                raise FileUnavailableError("larger than Telegram takes from a bot")
            content = await response.content.read(TELEGRAM_UPLOAD_LIMIT + 1)
            if len(content) > TELEGRAM_UPLOAD_LIMIT:
                raise FileUnavailableError("larger than Telegram takes from a bot")
            disposition = response.content_disposition
            served = disposition.filename if disposition is not None else None
        return name or served or _name_in(url), content

    return fetch


def _name_in(url: str) -> str:
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return last if "." in last else "file"
