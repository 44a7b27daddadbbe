"""What schools report reaches the people who act on it: review requests with comment and files,
difficulties to the municipal officer and his answer, the director's messages brought up to date."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import App
from models import publishing
from models.config import Config
from models.entities import Delivery, Organisation, Resolution
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.e2e.test_reports import DEPUTY, DIRECTOR, OFFICER, OTHER, RESOLUTION, press, setup
from tests.emulator import SentMessage, TelegramEmulator
from ui.callbacks import AnswerCb, ProgressCb, ProgressLevel

STRANGER_OFFICER = 6101  # an officer of another municipality


async def open_card(emulator: TelegramEmulator, note: SentMessage) -> SentMessage:
    await press(emulator, DIRECTOR, note, "1 · Ознакомлен")
    await emulator.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the edited button")
    await press(emulator, DIRECTOR, note, "1 · ознакомлен · отчёт")
    (card,) = await emulator.wait_for(DIRECTOR)
    return card


async def quiet(emulator: TelegramEmulator, *chats: int, seconds: float = 1.5) -> None:
    """Nothing new reaches these chats for a while."""
    before = {chat: len(emulator.messages(chat)) for chat in chats}
    await asyncio.sleep(seconds)
    assert {chat: len(emulator.messages(chat)) for chat in chats} == before


async def test_a_review_request_carries_the_comment_and_files_and_waits_for_them(
    app: App, emulator: TelegramEmulator
) -> None:
    received = await setup(app, emulator)
    note = received[DIRECTOR]
    card = await open_card(emulator, note)
    await press(emulator, DIRECTOR, card, "Выполнено")
    (ask,) = await emulator.wait_for(DIRECTOR)
    assert "Готово" in ask.text
    await quiet(emulator, OFFICER)  # the question waits for the comment step

    await emulator.send_message(DIRECTOR, "Педсовет проведён 12 февраля, протокол прилагаю")
    (added,) = await emulator.wait_for(DIRECTOR)
    protocol = await emulator.send_document(DIRECTOR, "protokol.pdf", b"%PDF-1.4 protocol")
    (added,) = await emulator.wait_for(DIRECTOR)
    photo = await emulator.send_photo(DIRECTOR, b"\xff\xd8\xff photo of the meeting")
    (added,) = await emulator.wait_for(DIRECTOR)
    assert added.button_texts == ["Готово"]
    await press(emulator, DIRECTOR, added, "Готово")

    document_copy, photo_copy, request = await emulator.wait_for(OFFICER, count=3, timeout=10)
    assert {document_copy.kind, photo_copy.kind} == {"document", "photo"}
    sent_files = {m.file.file_id for m in (document_copy, photo_copy) if m.file is not None}
    assert sent_files == {f.file_id for f in (protocol.file, photo.file) if f is not None}  # resent by file_id
    assert "Педсовет проведён 12 февраля" in request.text
    assert "Файлов: 2" in request.text
    assert request.button_texts == ["Принять", "Вернуть на доработку"]
    await quiet(emulator, OTHER, ADMIN_ID, seconds=0.5)  # nobody else hears of it

    # The officer accepts: the director's resolution message and card show it, not «ждёт проверки».
    await press(emulator, OFFICER, request, "Принять")
    await emulator.wait_until(
        lambda: note.button_texts[0] == "1 · принято · отчёт", what="the resolution message refreshed"
    )
    await emulator.wait_until(lambda: "выполнено и принято" in card.text, what="the item card refreshed")
    assert note.button_texts[1] == "2 · Ознакомлен"


async def test_difficulties_reach_the_officer_at_once_and_his_answer_comes_back(
    app: App, emulator: TelegramEmulator
) -> None:
    received = await setup(app, emulator)
    async with app.session_factory() as session:
        elsewhere = await add_org(session, "municipality", "Вяземский район")
        await add_member(session, STRANGER_OFFICER, elsewhere)
    card = await open_card(emulator, received[DIRECTOR])
    await press(emulator, DIRECTOR, card, "Есть трудности")
    (ask,) = await emulator.wait_for(DIRECTOR)
    assert "трудность" in ask.text
    await emulator.send_message(DIRECTOR, "Нет педагога-психолога. Нужна помощь МОУО")
    (added,) = await emulator.wait_for(DIRECTOR)
    await press(emulator, DIRECTOR, added, "Готово")

    (difficulty,) = await emulator.wait_for(OFFICER, timeout=10)
    assert "трудности" in difficulty.text
    assert "Нет педагога-психолога. Нужна помощь МОУО" in difficulty.text
    assert difficulty.button_texts == ["Ответить"]
    await quiet(emulator, OTHER, ADMIN_ID, STRANGER_OFFICER, seconds=0.5)

    # An officer of another municipality cannot answer by forging the button.
    original = AnswerCb.unpack(difficulty.find_button("Ответить").callback_data or "")
    forged = AnswerCb(assignment_id=original.assignment_id).pack()
    await emulator.send_message(STRANGER_OFFICER, "/start")
    (anchor,) = await emulator.wait_for(STRANGER_OFFICER)
    answer = await emulator.wait_callback_answer(await emulator.click(STRANGER_OFFICER, anchor.message_id, forged))
    assert answer.show_alert

    await press(emulator, OFFICER, difficulty, "Ответить")
    (prompt,) = await emulator.wait_for(OFFICER)
    assert "ответ" in prompt.text.lower()
    await emulator.send_message(OFFICER, "Направим специалиста ЦППМСП в четверг")
    (confirmed,) = await emulator.wait_for(OFFICER)
    assert confirmed.text.startswith("Ответ отправлен")
    for chat in (DIRECTOR, DEPUTY):
        (reply,) = await emulator.wait_for(chat, timeout=10)
        assert "Направим специалиста ЦППМСП в четверг" in reply.text
    await quiet(emulator, OTHER, seconds=0.5)

    # The exchange stays in the item's history, shown on its card.
    await press(emulator, DIRECTOR, received[DIRECTOR], "1 · есть трудности · отчёт")
    (fresh,) = await emulator.wait_for(DIRECTOR)
    assert "Нет педагога-психолога" in fresh.text
    assert "ответ: Направим специалиста" in fresh.text

    # A reply to the card is a comment on the item: the officer hears it, the item still has difficulties.
    await emulator.send_message(DIRECTOR, "Спасибо, ждём", reply_to=fresh.message_id)
    (kept,) = await emulator.wait_for(DIRECTOR)
    assert "отправлен" in kept.text
    (comment,) = await emulator.wait_for(OFFICER, timeout=10)
    assert "Спасибо, ждём" in comment.text


VYAZMA_SCHOOL = "МБОУ «СШ № 1» г. Вязьмы"


async def setup_region(app: App, emulator: TelegramEmulator) -> dict[int, SentMessage]:
    """Smolensk (an officer, two schools with members) and Vyazma (an officer, a school nobody has joined
    yet) receive a published two-item resolution."""
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
        other = await add_org(session, "school", "МБОУ «СШ № 2»", town.id)
        vyazma = await add_org(session, "municipality", "Вяземский район")
        await add_org(session, "school", VYAZMA_SCHOOL, vyazma.id)
        await add_member(session, OFFICER, town)
        await add_member(session, STRANGER_OFFICER, vyazma)
        await add_member(session, DIRECTOR, school)
        await add_member(session, DEPUTY, school)
        await add_member(session, OTHER, other)
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
    received = {}
    for chat in (DIRECTOR, DEPUTY, OTHER):
        (received[chat],) = await emulator.wait_for(chat, timeout=10)
    # The admin's summary is drawn in the background: the tests start once it is there, so that it never
    # lands among the messages they wait for.
    await emulator.wait_until(
        lambda: any("Рассылка завершена" in m.text for m in emulator.messages(ADMIN_ID)),
        timeout=10,
        what="the broadcast summary",
    )
    return received


async def drill(emulator: TelegramEmulator, user: int, screen: SentMessage, button: str, expect: str) -> None:
    """Press a button of the drill-down and wait until the same message shows `expect`."""
    alert, _ = await press(emulator, user, screen, button)
    assert not alert
    await emulator.wait_until(lambda: expect in screen.text, what=f"«{expect}» after «{button}»")


async def test_the_admin_drills_down_and_reminds_the_laggards(app: App, emulator: TelegramEmulator) -> None:
    received = await setup_region(app, emulator)
    await press(emulator, DIRECTOR, received[DIRECTOR], "1 · Ознакомлен")
    emulator.skip_pending(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, "/progress")
    (screen,) = await emulator.wait_for(ADMIN_ID)
    assert "закрыто 0 из 6" in screen.text  # two items × three schools
    assert "нет ответа 3" in screen.text  # the connected schools' new items, not Vyazma's
    assert "не подключены 1 из 3" in screen.text  # coverage is a figure of its own

    await drill(emulator, ADMIN_ID, screen, "Резолюция семинара руководителей", "По области")
    assert "город Смоленск: закрыто 0 из 4" in screen.text
    assert "Вяземский район: закрыто 0 из 2" in screen.text
    assert screen.button_texts[-3:] == ["⏰ Кто отстаёт", "📊 График", "⬅️ Назад"]

    await drill(emulator, ADMIN_ID, screen, "Вяземский район", "Не подключены (1)")
    assert VYAZMA_SCHOOL in screen.text
    await drill(emulator, ADMIN_ID, screen, "⬅️ Назад", "По области")
    await drill(emulator, ADMIN_ID, screen, "город Смоленск", "• МБОУ «СШ № 1»")
    await drill(emulator, ADMIN_ID, screen, "МБОУ «СШ № 1»", "провести педагогический совет")
    assert "ознакомлен" in screen.text
    assert "новое" in screen.text
    await drill(emulator, ADMIN_ID, screen, "⬅️ Назад", "• МБОУ «СШ № 1»")

    await drill(emulator, ADMIN_ID, screen, "⏰ Кто отстаёт", "Кто отстаёт")
    assert "МБОУ «СШ № 1»: нет ответа 1" in screen.text
    assert "МБОУ «СШ № 2»: нет ответа 2" in screen.text
    alert, text = await press(emulator, ADMIN_ID, screen, "🔔 Напомнить им сейчас")
    assert alert
    assert text == "Поставлено в очередь напоминаний: 3 (организаций: 2)."
    async with app.session_factory() as session:
        nudged = (await session.scalars(select(Delivery.chat_id).where(Delivery.key.like("ndg:%")))).all()
    assert sorted(nudged) == sorted([DIRECTOR, DEPUTY, OTHER])  # exactly the listed schools' members
    await press(emulator, ADMIN_ID, screen, "🔔 Напомнить им сейчас")
    async with app.session_factory() as session:
        twice = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.key.like("ndg:%")))
    assert twice == 3  # a second press within the hour queues nothing new

    await drill(emulator, ADMIN_ID, screen, "⬅️ Назад", "город Смоленск:")
    await press(emulator, ADMIN_ID, screen, "📊 График")
    (picture,) = await emulator.wait_for(ADMIN_ID, timeout=20)
    assert picture.kind == "photo"
    assert picture.file is not None
    assert emulator.file(picture.file.file_id).content.startswith(b"\x89PNG")


async def test_an_officer_sees_his_municipality_and_nothing_else(app: App, emulator: TelegramEmulator) -> None:
    await setup_region(app, emulator)
    await emulator.send_message(OFFICER, "/progress")
    (screen,) = await emulator.wait_for(OFFICER)
    assert "закрыто 0 из 4" in screen.text  # his two schools only
    await drill(emulator, OFFICER, screen, "Резолюция семинара руководителей", "• МБОУ «СШ № 1»")
    assert "Вяземский" not in screen.text

    async with app.session_factory() as session:
        vyazma = await session.scalar(select(Organisation).where(Organisation.name == "Вяземский район"))
        school = await session.scalar(select(Organisation).where(Organisation.name == VYAZMA_SCHOOL))
        resolution_id = await session.scalar(select(Resolution.id))
    assert vyazma is not None
    assert school is not None
    assert resolution_id is not None
    forged = [
        ProgressCb(level=ProgressLevel.MUNICIPALITY, resolution_id=resolution_id, municipality_id=vyazma.id),
        ProgressCb(level=ProgressLevel.ORGANISATION, resolution_id=resolution_id, organisation_id=school.id),
        ProgressCb(level=ProgressLevel.LAGGARDS, resolution_id=resolution_id, municipality_id=vyazma.id),
        ProgressCb(level=ProgressLevel.NUDGE, resolution_id=resolution_id, municipality_id=vyazma.id),
    ]
    before = screen.text
    for data in forged:
        answer = await emulator.wait_callback_answer(await emulator.click(OFFICER, screen.message_id, data.pack()))
        assert answer.show_alert, data
    assert screen.text == before
    async with app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.key.like("ndg:%"))) == 0
