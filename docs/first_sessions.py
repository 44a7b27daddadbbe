"""Writes docs/first-sessions.md: each role's first session with the bot, as the users see it.

Runs the real app against the Bot API emulator on loopback (no Telegram needed):

    .venv/bin/python docs/first_sessions.py

The transcript is the reference for how the bot talks to an admin, a municipal officer and a director;
read it as they would after any change to the texts.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import ADMIN_ID, make_settings, running_app  # noqa: E402
from tests.emulator import SentMessage, TelegramEmulator  # noqa: E402
from tests.emulator.fixtures import running_emulator  # noqa: E402

OFFICER, DIRECTOR = 2001, 3001
RESOLUTION = (ROOT / "tests" / "fixtures" / "resolutions" / "001_551996ca91922486.txt").read_bytes()


class Transcript:
    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator
        self.lines: list[str] = []

    def section(self, title: str) -> None:
        self.lines += ["", f"## {title}", ""]

    def user(self, who: str, what: str) -> None:
        self.lines.append(f"**{who}:** {what}")
        self.lines.append("")

    def bot(self, message: SentMessage) -> None:
        kind = f"[{message.kind}] " if message.kind != "text" else ""
        text = message.text.strip() or "(без текста)"
        self.lines.append("> " + (kind + text).replace("\n", "\n> "))
        if message.button_texts:
            self.lines.append(">")
            self.lines.append("> " + " · ".join(f"[{b}]" for b in message.button_texts))
        self.lines.append("")

    async def say(self, chat: int, who: str, text: str, *, count: int = 1) -> list[SentMessage]:
        self.user(who, text)
        await self.emulator.send_message(chat, text, first_name=who)
        return await self.answers(chat, count)

    async def press(
        self, chat: int, who: str, message: SentMessage, button: str, *, count: int = 1
    ) -> list[SentMessage]:
        self.user(who, f"нажимает [{button}]")
        query = await self.emulator.click_button(chat, message, button)
        answer = await self.emulator.wait_callback_answer(query, timeout=10)
        if answer.text:
            self.lines.append(f"> _{'⚠️ ' if answer.show_alert else ''}{answer.text}_")
            self.lines.append("")
        await asyncio.sleep(0.3)  # edits in place land after the answer
        if count == 0:
            return []
        return await self.answers(chat, count)

    async def answers(self, chat: int, count: int) -> list[SentMessage]:
        found = await self.emulator.wait_for(chat, count=count, timeout=15)
        for message in found:
            self.bot(message)
        return found


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with running_emulator() as emulator:
            settings = make_settings(emulator.base_url, f"sqlite+aiosqlite:///{Path(folder) / 'doc.db'}")
            async with running_app(settings) as _app:
                t = Transcript(emulator)
                t.lines = [
                    "# First sessions",
                    "",
                    "Written by `python docs/first_sessions.py` against the Bot API emulator. «Админ» is a regional",
                    "admin (ADMIN_IDS), «Специалист» a municipal officer, «Директор» a school's director.",
                ]
                t.section("Regional admin: start, the directory, a resolution")
                await t.say(ADMIN_ID, "Админ", "/start")
                t.user("Админ", "присылает examples/organisations.csv с подписью /orgs")
                table = (ROOT / "examples" / "organisations.csv").read_bytes()
                await emulator.send_document(ADMIN_ID, "organisations.csv", table, caption="/orgs")
                await t.answers(ADMIN_ID, 1)
                await t.say(ADMIN_ID, "Админ", "/start")
                t.user("Админ", "нажимает /invite → Муниципалитеты → город Смоленск")
                (choice,) = await t.say(ADMIN_ID, "Админ", "/invite")
                await t.press(ADMIN_ID, "Админ", choice, "Муниципалитеты", count=0)
                await asyncio.sleep(0.3)
                t.bot(choice)
                (invite,) = await t.press(ADMIN_ID, "Админ", choice, "город Смоленск")
                code = re.search(r"start=([A-Za-z0-9_-]+)", invite.text)
                assert code is not None

                t.section("Municipal officer: joins by the link")
                await t.say(OFFICER, "Специалист", f"/start {code.group(1)}")
                await t.say(OFFICER, "Специалист", "/help")

                t.section("School director: asks to join, the officer approves")
                (start,) = await t.say(DIRECTOR, "Директор", "/start")
                await t.press(DIRECTOR, "Директор", start, "Школа (руководитель, заместитель)", count=0)
                t.bot(start)
                await t.press(DIRECTOR, "Директор", start, "город Смоленск", count=0)
                t.bot(start)
                await t.say(DIRECTOR, "Директор", "школа 33")
                found = emulator.messages(DIRECTOR)[-1]
                await t.press(DIRECTOR, "Директор", found, found.button_texts[0], count=0)
                t.bot(found)
                await t.say(DIRECTOR, "Директор", "Иванова Мария Петровна, директор")
                (request,) = await t.answers(OFFICER, 1)
                await t.press(OFFICER, "Специалист", request, "Одобрить", count=0)
                await t.answers(DIRECTOR, 1)

                t.section("The admin publishes a resolution")
                t.user("Админ", "присылает файл резолюции 001_551996ca91922486.txt")
                await emulator.send_document(ADMIN_ID, "rezolyuciya.txt", RESOLUTION)
                await asyncio.sleep(1.5)
                previews = await t.answers(ADMIN_ID, emulator.unread(ADMIN_ID))
                preview = previews[-1]
                button = next(b for b in preview.button_texts if b.startswith("Опубликовать"))
                await t.press(ADMIN_ID, "Админ", preview, button, count=0)

                t.section("The director's first report")
                (note,) = await t.answers(DIRECTOR, 1)
                await t.press(DIRECTOR, "Директор", note, note.button_texts[0], count=0)
                t.bot(note)
                opened = note.button_texts[0]
                (card,) = await t.press(DIRECTOR, "Директор", note, opened)
                await t.press(DIRECTOR, "Директор", card, "Выполнено")
                await t.say(DIRECTOR, "Директор", "Вопрос рассмотрен на педсовете 12 сентября, протокол № 2")
                added = emulator.messages(DIRECTOR)[-1]
                await t.press(DIRECTOR, "Директор", added, "Готово", count=0)
                review = (await t.answers(OFFICER, 1))[0]
                while "Принять" not in review.button_texts:  # the officer's own copy of the resolution first
                    review = (await t.answers(OFFICER, 1))[0]
                await t.press(OFFICER, "Специалист", review, "Принять", count=0)
                await t.answers(DIRECTOR, 1)
                await t.say(DIRECTOR, "Директор", "/tasks")
                (progress,) = await t.say(OFFICER, "Специалист", "/progress")
                await t.press(OFFICER, "Специалист", progress, progress.button_texts[0], count=0)
                t.bot(progress)
                final = [m for m in emulator.messages(ADMIN_ID) if "Рассылка" in m.text]
                if final:
                    t.section("The admin's delivery summary")
                    t.bot(final[-1])
    out = ROOT / "docs" / "first-sessions.md"
    out.write_text("\n".join(t.lines).rstrip() + "\n", encoding="utf-8")
    print(f"first_sessions: {len(t.lines)} lines written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
