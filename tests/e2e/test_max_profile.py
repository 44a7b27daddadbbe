"""/me and /leave on MAX: a director sets his time zone, quiet hours and a vacation pause, and leaves; a
pending request is withdrawn; a forged settings value changes nothing. The real max_app polls both emulators."""

from __future__ import annotations

from datetime import date, time, timedelta

from bot.app import App
from models import channels
from models.entities import Approval, Member
from tests.e2e.harness import add_member, add_org
from tests.max_emulator import BotMessage, MaxEmulator
from ui import texts
from ui.callbacks import ProfileAction, ProfileCb

DIRECTOR = 770_201


async def director(max_app: App, approval: str = Approval.APPROVED) -> int:
    async with max_app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
        member = await add_member(session, channels.principal_for_max(DIRECTOR), school, name="Ирина Петрова")
        member.max_user_id, member.preferred_channel, member.approval = DIRECTOR, "max", approval
        await session.commit()
        return member.id


async def member_row(max_app: App, member_id: int) -> Member:
    async with max_app.session_factory() as session:
        found = await session.get(Member, member_id)
        assert found is not None
        return found


async def press(emu: MaxEmulator, message: BotMessage, text: str) -> str:
    return (await emu.wait_answer(emu.click_button(DIRECTOR, message, text))).notification or ""


async def test_a_director_on_max_sets_his_profile(max_app: App, max_emu: MaxEmulator) -> None:
    member_id = await director(max_app)
    max_emu.send_text(DIRECTOR, "/me")
    (card,) = await max_emu.wait_for(DIRECTOR)
    assert "Ирина Петрова" in card.text
    assert "Москва (МСК)" in card.text  # the bot's zone until he sets one
    assert "/link " in card.text  # a code to link Telegram
    assert "Присылать уведомления в Telegram" in card.button_texts

    await press(max_emu, card, "Часовой пояс")
    await max_emu.wait_until(lambda: "Самара (МСК+1)" in card.button_texts, what="the zones")
    assert await press(max_emu, card, "Самара (МСК+1)") == texts.ME_SAVED
    await max_emu.wait_until(lambda: "Самара (МСК+1)" in card.text, what="the card redrawn")
    await press(max_emu, card, "Тихие часы")
    await max_emu.wait_until(lambda: "без тихих часов" in card.button_texts, what="the presets")
    await press(max_emu, card, "22:00–08:00")
    await max_emu.wait_until(lambda: "22:00–08:00" in card.text, what="the quiet hours shown")
    saved = await member_row(max_app, member_id)
    assert saved.timezone == "Europe/Samara"
    assert (saved.quiet_start, saved.quiet_end) == (time(22), time(8))

    # A forged value: the zone stays.
    forged = ProfileCb(action=ProfileAction.SET_TIMEZONE, value="Mars/Olympus").pack()
    assert (await max_emu.wait_answer(max_emu.click(DIRECTOR, card, forged))).notification == texts.STALE_BUTTON
    assert (await member_row(max_app, member_id)).timezone == "Europe/Samara"

    await press(max_emu, card, "Пауза напоминаний (отпуск)")
    (ask,) = await max_emu.wait_for(DIRECTOR)
    assert ask.text == texts.ME_PAUSE_ASK
    max_emu.send_text(DIRECTOR, "01.01.2000")
    (past,) = await max_emu.wait_for(DIRECTOR)
    assert past.text == texts.ME_PAUSE_PAST
    until = date.today() + timedelta(days=20)
    max_emu.send_text(DIRECTOR, f"{until:%d.%m.%Y}")
    (paused,) = await max_emu.wait_for(DIRECTOR)
    assert paused.text == texts.ME_PAUSE_SET.format(date=texts.fmt_date(until))
    assert (await member_row(max_app, member_id)).paused_until == until


async def test_a_director_on_max_leaves_after_confirming(max_app: App, max_emu: MaxEmulator) -> None:
    member_id = await director(max_app)
    max_emu.send_text(DIRECTOR, "/leave")
    (ask,) = await max_emu.wait_for(DIRECTOR)
    assert ask.text == texts.LEAVE_ASK.format(org="МБОУ «СШ № 1»")
    assert await press(max_emu, ask, "Нет, остаться") == texts.LEAVE_KEPT
    assert (await member_row(max_app, member_id)).approval == Approval.APPROVED
    max_emu.send_text(DIRECTOR, "/leave")
    (again,) = await max_emu.wait_for(DIRECTOR)
    assert await press(max_emu, again, "Да, выйти") == texts.LEAVE_DONE
    left = await member_row(max_app, member_id)
    assert left.approval != Approval.APPROVED or not left.active
    max_emu.send_text(DIRECTOR, "/tasks")
    (refused,) = await max_emu.wait_for(DIRECTOR)
    assert refused.text == texts.NOT_MEMBER


async def test_leave_withdraws_a_pending_request_on_max(max_app: App, max_emu: MaxEmulator) -> None:
    await director(max_app, approval=Approval.PENDING)
    max_emu.send_text(DIRECTOR, "/leave")
    (done,) = await max_emu.wait_for(DIRECTOR)
    assert done.text == texts.JOIN_WITHDRAWN.format(org="МБОУ «СШ № 1»")
