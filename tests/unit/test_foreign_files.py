"""Files sent on MAX, shown on Telegram (`ui.sender.TelegramSender`): fetched and uploaded once, even for
reviewers sent to at the same moment; a file that cannot be fetched is left out and the text still goes."""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace
from typing import Any, cast

from aiogram import Bot
from aiogram.types import BufferedInputFile

from ui import texts
from ui.render import OutMessage
from ui.sender import TelegramSender


class FakeBot:
    """Records what would go to Telegram; an uploaded document comes back with a new file id."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, object]] = []
        self._ids = itertools.count(1)

    async def send_document(self, chat_id: int, document: object, **_: Any) -> SimpleNamespace:
        self.calls.append(("document", chat_id, document))
        await asyncio.sleep(0)  # another reviewer's send may run meanwhile
        file_id = f"tg-{next(self._ids)}" if isinstance(document, BufferedInputFile) else document
        return SimpleNamespace(message_id=next(self._ids), document=SimpleNamespace(file_id=file_id), photo=None)

    async def send_message(self, chat_id: int, text: str, **_: Any) -> SimpleNamespace:
        self.calls.append(("text", chat_id, text))
        return SimpleNamespace(message_id=next(self._ids))


async def test_a_max_file_is_fetched_once_for_reviewers_sent_to_together() -> None:
    fetched: list[str] = []

    async def fetch(token: str) -> tuple[str, bytes]:
        fetched.append(token)
        await asyncio.sleep(0.01)
        return "protocol.pdf", b"%PDF"

    bot = FakeBot()
    sender = TelegramSender(cast(Bot, bot), fetch)
    message = OutMessage("На проверку", files=(("max_file", "tok1"),))
    await asyncio.gather(sender.send(1, message), sender.send(2, message), sender.send(3, message))
    assert fetched == ["tok1"]
    documents = [document for kind, _chat, document in bot.calls if kind == "document"]
    assert isinstance(documents[0], BufferedInputFile)
    assert documents[1:] == ["tg-1", "tg-1"]  # the others by Telegram's file id


async def test_a_file_that_cannot_be_fetched_leaves_the_text() -> None:
    async def fetch(token: str) -> tuple[str, bytes]:
        raise LookupError(token)

    bot = FakeBot()
    sender = TelegramSender(cast(Bot, bot), fetch)
    await sender.send(1, OutMessage("На проверку\n📎 Файлов: 1", files=(("max_file", "gone"),)))
    assert [(kind, chat) for kind, chat, _ in bot.calls] == [("text", 1)]


async def test_without_a_fetcher_max_files_are_only_counted() -> None:
    bot = FakeBot()
    await TelegramSender(cast(Bot, bot)).send(1, OutMessage("x", files=(("max_image", "tok"), ("document", "tg-9"))))
    assert [(kind, document) for kind, _chat, document in bot.calls] == [
        ("document", "tg-9"),
        ("text", "x" + texts.FILES_NOT_FORWARDED.format(n=1)),  # the one from MAX is said to be missing
    ]
