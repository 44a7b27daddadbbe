"""An admin who works in MAX publishes there: a file or a pasted text → the preview → «Опубликовать»; members
on either messenger get it, the progress message and the summary come back to MAX, and what the schools
report reaches him there. The real app polls both emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import App
from models import channels, publishing
from models.entities import Member, Resolution, ResolutionState
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, SEMINAR, add_member, add_org, make_settings, max_press, running_app
from tests.emulator import TelegramEmulator
from tests.max_emulator import TOKEN as MAX_TOKEN
from tests.max_emulator import BotMessage, MaxEmulator
from ui import texts
from ui.callbacks import PubAction, PubCb

ADMIN_MAX = 880_001  # the regional admin, in MAX only
DIRECTOR_MAX = 770_001  # a director of school 1, on MAX
DIRECTOR_TG = 6002  # a director of school 2, on Telegram

RESOLUTION = SEMINAR


@pytest.fixture
async def app(emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str) -> AsyncIterator[App]:
    settings = make_settings(
        emulator.base_url,
        database_url,
        max_bot_token=MAX_TOKEN,
        max_api_base=max_emu.base_url,
        max_admin_ids=frozenset({ADMIN_MAX}),
        max_upload_mb=1,
    )
    async with running_app(settings) as running:
        yield running


async def region(app: App, emu: MaxEmulator) -> None:
    """Two schools without a municipal officer: their reports go to the admins. Both MAX users have opened
    the dialog with the bot (MAX, like Telegram, lets a bot write only to those who did)."""
    emu.user(DIRECTOR_MAX).started = True
    emu.user(ADMIN_MAX).started = True
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        first = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
        second = await add_org(session, "school", "МБОУ «СШ № 2»", town.id)
        director = await add_member(session, channels.principal_for_max(DIRECTOR_MAX), first)
        director.max_user_id, director.preferred_channel = DIRECTOR_MAX, "max"
        await add_member(session, DIRECTOR_TG, second)
        await session.commit()


async def preview_of(emu: MaxEmulator) -> BotMessage:
    """The preview's last message: the one with «Опубликовать»."""
    await emu.wait_until(
        lambda: any("Опубликовать" in m.button_texts for m in emu.messages_to(ADMIN_MAX)), what="the preview"
    )
    return next(m for m in reversed(emu.messages_to(ADMIN_MAX)) if "Опубликовать" in m.button_texts)


async def test_an_admin_on_max_publishes_a_file_and_follows_it_there(
    app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await region(app, max_emu)
    max_emu.send_file(ADMIN_MAX, "резолюция.txt", RESOLUTION.encode())
    preview = await preview_of(max_emu)
    everything = "\n".join(m.text for m in max_emu.messages_to(ADMIN_MAX))
    assert "Общеобразовательным организациям" in everything
    assert "срок 1 марта 2027 г." in everything  # the due date, as parsed

    assert await max_press(max_emu, ADMIN_MAX, preview, "Опубликовать") == texts.PUBLISH_DONE
    # Both directors get it, each in their own messenger.
    (note,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
    assert note.button_texts == ["1 · Ознакомлен", "2 · Ознакомлен"]
    await emulator.wait_until(lambda: bool(emulator.messages(DIRECTOR_TG)), what="the Telegram director's copy")

    # The progress message and its summary are the admin's, in MAX; nothing goes to any Telegram chat of his.
    def summary() -> str:
        return next((m.text for m in max_emu.messages_to(ADMIN_MAX) if "По мессенджерам" in m.text), "")

    await max_emu.wait_until(
        lambda: "MAX — 1" in summary() and "Telegram — 1" in summary(), timeout=10, what="the summary on MAX"
    )
    assert len([m for m in max_emu.messages_to(ADMIN_MAX) if "По мессенджерам" in m.text]) == 1  # one, edited
    assert not emulator.messages(ADMIN_ID)

    # The director on MAX reports «Выполнено»; the school has no officer, so the admin reviews, on MAX.
    assert await max_press(max_emu, DIRECTOR_MAX, note, "1 · Ознакомлен") == texts.REPORT_ACK
    await max_emu.wait_until(lambda: note.button_texts[0].endswith("отчёт"), what="the redrawn button")
    await max_press(max_emu, DIRECTOR_MAX, note, note.button_texts[0])
    (card,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=5)
    await max_press(max_emu, DIRECTOR_MAX, card, "Выполнено")
    (ask,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=5)
    await max_press(max_emu, DIRECTOR_MAX, ask, ask.button_texts[0])  # «Готово»: nothing to add
    await max_emu.wait_until(
        lambda: any("Принять" in m.button_texts for m in max_emu.messages_to(ADMIN_MAX)),
        timeout=10,
        what="the review request on the admin's MAX",
    )
    review = next(m for m in max_emu.messages_to(ADMIN_MAX) if "Принять" in m.button_texts)
    assert "МБОУ «СШ № 1»" in review.text
    assert await max_press(max_emu, ADMIN_MAX, review, "Принять") == texts.REVIEW_ACCEPTED


async def test_a_pasted_resolution_in_parts_and_a_withdrawal(app: App, max_emu: MaxEmulator) -> None:
    await region(app, max_emu)
    max_emu.send_text(ADMIN_MAX, "/publish")
    (ask,) = await max_emu.wait_for(ADMIN_MAX)
    assert ask.text == texts.PUBLISH_PASTE
    head, tail = RESOLUTION.split("Общеобразовательным")
    max_emu.send_text(ADMIN_MAX, head + "\n" + "Участники отмечают: " + "важность работы. " * 220)  # a long part
    (more,) = await max_emu.wait_for(ADMIN_MAX)
    assert more.text == texts.PASTE_MORE.format(n=1)
    max_emu.send_text(ADMIN_MAX, "Общеобразовательным" + tail)  # shorter: the last part
    preview = await preview_of(max_emu)
    assert await max_press(max_emu, ADMIN_MAX, preview, "Опубликовать") == texts.PUBLISH_DONE

    max_emu.send_text(ADMIN_MAX, "/resolutions")
    await max_emu.wait_until(
        lambda: any("Отозвать" in m.button_texts for m in max_emu.messages_to(ADMIN_MAX)), what="/resolutions"
    )
    listed = next(m for m in max_emu.messages_to(ADMIN_MAX) if "Отозвать" in m.button_texts)
    await max_press(max_emu, ADMIN_MAX, listed, "Отозвать")
    await max_emu.wait_until(
        lambda: any(texts.WITHDRAW_ASK.split("{")[0] in m.text for m in max_emu.messages_to(ADMIN_MAX)),
        what="the withdrawal question",
    )
    confirm = next(m for m in reversed(max_emu.messages_to(ADMIN_MAX)) if m.buttons)
    done = await max_press(max_emu, ADMIN_MAX, confirm, confirm.button_texts[0])
    assert done.startswith(texts.WITHDRAW_DONE.split("{")[0])
    async with app.session_factory() as session:
        (state,) = (await session.scalars(select(Resolution.state))).all()
    assert state == ResolutionState.WITHDRAWN


async def test_bad_files_get_a_clear_answer_and_no_draft(app: App, max_emu: MaxEmulator) -> None:
    await region(app, max_emu)
    max_emu.send_file(ADMIN_MAX, "фото.jpg", b"\xff\xd8\xff\xe0 not a resolution")
    (wrong,) = await max_emu.wait_for(ADMIN_MAX)
    assert wrong.text == texts.UPLOAD_WRONG_TYPE.format(name="фото.jpg")
    max_emu.send_file(ADMIN_MAX, "большая.txt", b"x" * (1024 * 1024 + 1))  # MAX_UPLOAD_MB=1
    (big,) = await max_emu.wait_for(ADMIN_MAX)
    assert big.text.startswith(texts.UPLOAD_TOO_BIG.split("{")[0])
    max_emu.send_file(ADMIN_MAX, "пустая.docx", b"PK\x03\x04 broken")
    (broken,) = await max_emu.wait_for(ADMIN_MAX)
    assert broken.text.startswith("Не удалось разобрать «пустая.docx»")
    async with app.session_factory() as session:
        assert (await session.scalars(select(Resolution))).all() == []


async def test_members_cannot_publish_on_max(app: App, max_emu: MaxEmulator) -> None:
    """A director who sends a file is not an admin: no draft; a forged «Опубликовать» is a stale button."""
    await region(app, max_emu)
    async with app.session_factory() as session:
        draft = await publishing.save_draft(
            session, parse_text(RESOLUTION), created_by=channels.principal_for_max(ADMIN_MAX), source_name=None
        )
        draft_id = draft.id
    max_emu.send_file(DIRECTOR_MAX, "резолюция.txt", RESOLUTION.encode())
    (answer,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert answer.text == texts.FREE_TEXT
    max_emu.send_text(DIRECTOR_MAX, "/publish")
    (refused,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert refused.text == texts.UNKNOWN_COMMAND
    forged = PubCb(action=PubAction.PUBLISH, resolution_id=draft_id).pack()
    record = await max_emu.wait_answer(max_emu.click(DIRECTOR_MAX, answer, forged))
    assert record.notification == texts.STALE_BUTTON
    async with app.session_factory() as session:
        resolution = await session.get(Resolution, draft_id)
        assert resolution is not None
        assert resolution.state == ResolutionState.DRAFT
        assert (await session.scalars(select(Member).where(Member.user_id == -ADMIN_MAX))).all() == []


async def test_the_admin_start_and_help_on_max(app: App, max_emu: MaxEmulator) -> None:
    await region(app, max_emu)
    max_emu.press_start(ADMIN_MAX)
    (start,) = await max_emu.wait_for(ADMIN_MAX)
    assert start.text != texts.MAX_START_GUEST
    assert "Справочник" in start.text or "справочник" in start.text  # the region's checklist
    max_emu.send_text(ADMIN_MAX, "/help")
    (shown,) = await max_emu.wait_for(ADMIN_MAX)
    assert "/publish" in shown.text
    assert str(ADMIN_MAX) in shown.text
