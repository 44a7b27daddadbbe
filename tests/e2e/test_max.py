"""The same bot on MAX: the real max_app polls both emulators (Telegram's and MAX's) and members act on MAX."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from bot.app import App
from models import channels, membership, publishing
from models.config import Config
from models.entities import (
    Approval,
    Assignment,
    Delivery,
    Invite,
    ItemMessage,
    Member,
    Organisation,
    ReportFile,
    Status,
    StatusReport,
)
from models.parsing import parse_text
from models.timeutil import utcnow
from tests.e2e.harness import ADMIN_ID, SEMINAR, add_max_member, add_member, add_org, max_press
from tests.emulator import TelegramEmulator
from tests.max_emulator import BotMessage, MaxEmulator
from ui import texts
from ui.callbacks import ReportAction, ReportCb

OFFICER = 6001  # the municipal officer, on Telegram
DIRECTOR_MAX = 770_001  # a director known only on MAX
BOTH_TG, BOTH_MAX = 6010, 770_010  # a director on both messengers

RESOLUTION = SEMINAR


async def schools(max_app: App) -> tuple[Organisation, Organisation, Organisation]:
    async with max_app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
        other = await add_org(session, "school", "МБОУ «СШ № 2»", town.id)
        await add_member(session, OFFICER, town)
    return town, school, other


async def publish(max_app: App) -> None:
    async with max_app.session_factory() as session:
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())


async def deliveries(max_app: App, member_id: int, *, settled: bool = True) -> list[Delivery]:
    """The member's outbox rows, once none is pending or in flight (the worker records after sending)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        async with max_app.session_factory() as session:
            query = select(Delivery).where(Delivery.member_id == member_id).order_by(Delivery.id)
            rows = list((await session.scalars(query)).all())
        if not settled or all(r.state not in ("pending", "sending") for r in rows) or loop.time() > deadline:
            return rows
        await asyncio.sleep(0.05)


async def invite_to(app: App, school: Organisation) -> Invite:
    """A director's invite to `school`, made by the admin."""
    async with app.session_factory() as session:
        return await membership.create_invite(
            session,
            organisation_id=school.id,
            role="school",
            created_by=ADMIN_ID,
            admin_ids={ADMIN_ID},
            ttl_days=14,
            now=utcnow(),
        )


async def test_a_director_on_max_only_joins_receives_and_reports(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    _town, school, _other = await schools(max_app)
    invite = await invite_to(max_app, school)
    link = texts.max_invite_link(max_emu.bot_username, invite.code)
    assert link == f"https://max.ru/{max_emu.bot_username}?start={invite.code}"
    max_emu.press_start(DIRECTOR_MAX, payload=invite.code, name="Ирина")  # the link opened in MAX
    (joined,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert "МБОУ «СШ № 1»" in joined.text

    await publish(max_app)
    (note,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
    # The admin's summary says through which messenger the members were reached.
    await emulator.wait_until(
        lambda: any("По мессенджерам: MAX — 1" in m.text for m in emulator.messages(ADMIN_ID)),
        timeout=10,
        what="the broadcast summary per messenger",
    )
    assert note.format == "html"
    assert note.button_texts == ["1 · Ознакомлен", "2 · Ознакомлен"]
    assert note.buttons[0]["payload"].startswith("rep1:")  # Telegram's typed callback data, unchanged

    assert await max_press(max_emu, DIRECTOR_MAX, note, "1 · Ознакомлен") == "Отмечено: ознакомлен"
    await max_emu.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the redrawn button")
    assert note.button_texts[1] == "2 · Ознакомлен"

    await max_press(max_emu, DIRECTOR_MAX, note, "1 · ознакомлен · отчёт")
    (card,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert "Выполнено" in card.button_texts
    assert (await max_press(max_emu, DIRECTOR_MAX, card, "Выполнено")).startswith("Статус: выполнено")
    (ask,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert ask.button_texts == ["Пропустить"]
    max_emu.send_text(DIRECTOR_MAX, "Педсовет проведён 12 февраля")
    (saved,) = await max_emu.wait_for(DIRECTOR_MAX)
    max_emu.send_file(DIRECTOR_MAX, "protocol.pdf", b"%PDF-1.4 protocol")
    (saved,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert saved.button_texts == ["Готово"]
    assert await max_press(max_emu, DIRECTOR_MAX, saved, "Готово") == texts.REPORT_SENT_TO_REVIEW

    # The officer on Telegram gets the file sent on MAX, then the review request with the comment.
    document, review = await emulator.wait_for(OFFICER, count=2, timeout=10)
    assert document.kind == "document"
    assert "Педсовет проведён 12 февраля" in review.text
    async with max_app.session_factory() as session:
        report = await session.scalar(select(StatusReport).where(StatusReport.status == Status.DONE))
        assert report is not None
        files = (await session.scalars(select(ReportFile).where(ReportFile.report_id == report.id))).all()
        assert [f.kind for f in files] == ["max_file"]
        member = await session.scalar(select(Member).where(Member.max_user_id == DIRECTOR_MAX))
        assert member is not None
        assert member.user_id == channels.principal_for_max(DIRECTOR_MAX)
        assert report.author_id == member.user_id

    max_emu.send_text(DIRECTOR_MAX, "/tasks")
    (tasks,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert "Ваши открытые пункты" in tasks.text
    assert tasks.button_texts[:2] == ["1 · отчёт", "2 · отчёт"]


async def test_a_member_on_both_gets_each_notice_once_on_the_preferred_one(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    _town, school, _other = await schools(max_app)
    async with max_app.session_factory() as session:
        member = await add_member(session, BOTH_TG, school)
        member.max_user_id = BOTH_MAX
        member.preferred_channel = "max"
        await session.commit()
    max_emu.press_start(BOTH_MAX)
    await max_emu.wait_for(BOTH_MAX)  # the greeting of an approved member
    await publish(max_app)
    (note,) = await max_emu.wait_for(BOTH_MAX, timeout=10)
    assert note.button_texts == ["1 · Ознакомлен", "2 · Ознакомлен"]
    rows = await deliveries(max_app, member.id)
    assert [(r.channel, r.state) for r in rows] == [("max", "sent")]
    assert emulator.messages(BOTH_TG) == []


async def test_a_member_on_both_sees_the_new_status_in_both_messengers(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    """The resolution came on MAX (preferred); he opened the item's card on Telegram. Acknowledging on MAX
    redraws both: each messenger's copies are brought up to date, not only the preferred one's."""
    _town, school, _other = await schools(max_app)
    async with max_app.session_factory() as session:
        member = await add_member(session, BOTH_TG, school)
        member.max_user_id, member.preferred_channel = BOTH_MAX, "max"
        await session.commit()
    max_emu.press_start(BOTH_MAX)
    await max_emu.wait_for(BOTH_MAX)
    await publish(max_app)
    (note,) = await max_emu.wait_for(BOTH_MAX, timeout=10)

    await emulator.send_message(BOTH_TG, "/tasks")
    (tasks,) = await emulator.wait_for(BOTH_TG)
    await emulator.wait_callback_answer(await emulator.click_button(BOTH_TG, tasks, "1 · отчёт"))
    (card,) = await emulator.wait_for(BOTH_TG)
    assert "новое" in card.text

    assert await max_press(max_emu, BOTH_MAX, note, "1 · Ознакомлен") == "Отмечено: ознакомлен"
    await emulator.wait_until(lambda: "ознакомлен" in card.text, timeout=10, what="the Telegram card redrawn")
    await max_emu.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the MAX copy redrawn")
    assert len(emulator.messages(BOTH_TG)) == 2, "redrawn in place: no new message on Telegram"


async def test_a_telegram_403_falls_back_to_max_once(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    _town, school, _other = await schools(max_app)
    async with max_app.session_factory() as session:
        member = await add_member(session, BOTH_TG, school)
        member.max_user_id = BOTH_MAX  # prefers Telegram (the default)
        await session.commit()
    max_emu.press_start(BOTH_MAX)
    await max_emu.wait_for(BOTH_MAX)
    emulator.block(BOTH_TG)
    await publish(max_app)
    (note,) = await max_emu.wait_for(BOTH_MAX, timeout=10)
    assert note.button_texts == ["1 · Ознакомлен", "2 · Ознакомлен"]
    rows = await deliveries(max_app, member.id)
    async with max_app.session_factory() as session:
        refreshed = await session.get(Member, member.id)
    assert [(r.channel, r.state, r.fallback_of is not None) for r in rows] == [
        ("telegram", "blocked", False),
        ("max", "sent", True),
    ]
    assert refreshed is not None
    assert (refreshed.telegram_blocked, refreshed.active) == (True, True)
    assert len(max_emu.messages_to(BOTH_MAX)) == 2  # the greeting and the publication, nothing twice


async def test_forged_max_presses_are_refused_like_telegram_ones(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    _town, school, other = await schools(max_app)
    async with max_app.session_factory() as session:
        for user, org in ((DIRECTOR_MAX, school), (DIRECTOR_MAX + 1, other)):
            session.add(
                Member(
                    user_id=channels.principal_for_max(user),
                    max_user_id=user,
                    preferred_channel="max",
                    full_name="Директор",
                    organisation_id=org.id,
                    role="school",
                    approval=Approval.APPROVED,
                )
            )
        await session.commit()
    max_emu.press_start(DIRECTOR_MAX)
    max_emu.press_start(DIRECTOR_MAX + 1)
    await max_emu.wait_for(DIRECTOR_MAX)
    await max_emu.wait_for(DIRECTOR_MAX + 1)
    await publish(max_app)
    (mine,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
    await max_emu.wait_for(DIRECTOR_MAX + 1, timeout=10)
    async with max_app.session_factory() as session:
        theirs = await session.scalar(select(Assignment).where(Assignment.organisation_id == other.id))
        assert theirs is not None
    forged = ReportCb(assignment_id=theirs.id, action=ReportAction.DONE).pack()
    record = await max_emu.wait_answer(max_emu.click(DIRECTOR_MAX, mine, forged))
    assert record.notification == texts.refusal("foreign")
    garbage = await max_emu.wait_answer(max_emu.click(DIRECTOR_MAX, mine, "rep1:not-a-number:dn"))
    assert garbage.notification == texts.STALE_BUTTON
    async with max_app.session_factory() as session:
        again = await session.get(Assignment, theirs.id)
        assert again is not None
        assert again.status == Status.NEW


async def test_a_telegram_member_links_max_from_me_and_notices_follow(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    _town, school, _other = await schools(max_app)
    async with max_app.session_factory() as session:
        member = await add_member(session, BOTH_TG, school)
    await emulator.send_message(BOTH_TG, "/me")
    (card,) = await emulator.wait_for(BOTH_TG)
    answer = await emulator.wait_callback_answer(await emulator.click_button(BOTH_TG, card, "Подключить MAX"))
    assert not answer.show_alert
    (offer,) = await emulator.wait_for(BOTH_TG)
    code = re.findall(r"\b[A-Z2-9]{8}\b", offer.text)[0]

    max_emu.send_text(BOTH_MAX, code)  # typed into the dialog with the bot on MAX
    (linked,) = await max_emu.wait_for(BOTH_MAX)
    assert linked.text == texts.LINK_RESULT["linked"]
    async with max_app.session_factory() as session:
        again = await session.get(Member, member.id)
        assert again is not None
        assert (again.max_user_id, again.preferred_channel) == (BOTH_MAX, "max")

    await publish(max_app)
    (note,) = await max_emu.wait_for(BOTH_MAX, timeout=10)
    assert note.button_texts == ["1 · Ознакомлен", "2 · Ознакомлен"]
    rows = await deliveries(max_app, member.id)
    assert [r.channel for r in rows] == ["max"]


async def director_with_a_card(max_app: App, max_emu: MaxEmulator) -> tuple[Member, BotMessage, BotMessage]:
    """A director on MAX who got the publication, acknowledged item 1 and opened its card."""
    _town, school, _other = await schools(max_app)
    async with max_app.session_factory() as session:
        director = await add_max_member(session, DIRECTOR_MAX, school)
    max_emu.user(DIRECTOR_MAX).started = True
    await publish(max_app)
    (note,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
    await max_press(max_emu, DIRECTOR_MAX, note, "1 · Ознакомлен")
    await max_emu.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the redrawn button")
    await max_press(max_emu, DIRECTOR_MAX, note, "1 · ознакомлен · отчёт")
    (card,) = await max_emu.wait_for(DIRECTOR_MAX)
    return director, note, card


async def test_a_reply_to_an_item_card_on_max_is_a_comment_on_the_item(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    """As /help says: a reply to the item's card is a comment on it. A reply to the resolution message,
    which has two items, is not guessed at."""
    director, note, card = await director_with_a_card(max_app, max_emu)

    max_emu.send_text(DIRECTOR_MAX, "Педсовет назначен на 12 февраля", reply_to=card)
    (saved,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert saved.text == texts.ITEM_COMMENT_SAVED
    async with max_app.session_factory() as session:
        (comment,) = (await session.scalars(select(ItemMessage.text).where(ItemMessage.member_id == director.id))).all()
    assert comment == "Педсовет назначен на 12 февраля"

    max_emu.send_text(DIRECTOR_MAX, "Это про что?", reply_to=note)
    (unclear,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert unclear.text == texts.FREE_TEXT


async def test_cancel_in_the_comment_step_sends_the_report_as_it_is(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    """«Выполнено», then /cancel instead of a comment: the director is told the report stands and went to
    the reviewer, and the officer has it at once, not after the ten-minute hold."""
    _director, _note, card = await director_with_a_card(max_app, max_emu)
    await max_press(max_emu, DIRECTOR_MAX, card, "Выполнено")
    (ask,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert ask.text == texts.REPORT_ASK_DETAILS
    max_emu.send_text(DIRECTOR_MAX, "/cancel")
    (told,) = await max_emu.wait_for(DIRECTOR_MAX)
    status = texts.STATUS_NAMES[Status.DONE]
    assert told.text == texts.CANCELLED_REPORT.format(status=status, sent=texts.CANCELLED_REPORT_SENT)
    (review,) = await emulator.wait_for(OFFICER, timeout=10)
    assert review.find_button("Принять") is not None
