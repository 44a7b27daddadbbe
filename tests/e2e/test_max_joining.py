"""MAX beyond the invite link: joining by request (approved on either messenger), a file sent on MAX shown to
a reviewer on Telegram, and an item card opened on MAX kept up to date. The real max_app polls both emulators."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from models import channels, publishing
from models.config import Config
from models.entities import Approval, Member, Organisation
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, add_member, add_org, max_press
from tests.emulator import SentMessage, TelegramEmulator
from tests.max_emulator import BotMessage, MaxEmulator
from ui import texts
from ui.callbacks import JoinCb, JoinStep

OFFICER_TG = 6101  # the officer of город Смоленск, on Telegram (first test) …
OFFICER_MAX = 780_101  # … or on MAX only (second test)
GUEST = 780_201  # a director who asks to join, on MAX only
STRANGER = 780_301  # someone on MAX who is no officer

RESOLUTION = """Резолюция семинара руководителей

Участники семинара рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет по итогам семинара до 1 марта 2027 года;
"""
SCHOOL = "МБОУ «Средняя школа № 7» г. Смоленска"


async def directory(max_app: App, *, officer_on_max: bool = False) -> Organisation:
    """Two municipalities with schools, the officer of the first, and a published resolution for schools."""
    async with max_app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        vyazma = await add_org(session, "municipality", "Вяземский район")
        await add_org(session, "school", "МБОУ «Средняя школа № 1» г. Смоленска", town.id)
        await add_org(session, "school", SCHOOL, town.id)
        await add_org(session, "school", "МБОУ «Вяземская СШ № 7»", vyazma.id)
        if officer_on_max:
            officer = await add_member(session, channels.principal_for_max(OFFICER_MAX), town, "Ирина Петрова")
            officer.max_user_id = OFFICER_MAX
            officer.preferred_channel = "max"
            await session.commit()
        else:
            await add_member(session, OFFICER_TG, town, "Ирина Петрова")
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
    return town


async def ask_to_join(max_emu: MaxEmulator) -> None:
    """The guest opens the bot on MAX, picks school → municipality, finds the school by typing, and asks."""
    max_emu.press_start(GUEST, name="Анна")
    (greeting,) = await max_emu.wait_for(GUEST)
    assert greeting.text == texts.MAX_START_GUEST + texts.MAX_START_FROM_TELEGRAM
    assert greeting.button_texts[0] == "Школа (руководитель, заместитель)"

    assert await max_press(max_emu, GUEST, greeting, "Школа (руководитель, заместитель)") == texts.MAX_JOIN_PICK
    await max_emu.wait_until(lambda: greeting.text == texts.JOIN_CHOOSE_MUNICIPALITY, what="the municipalities")
    assert greeting.button_texts == ["Вяземский район", "город Смоленск"]
    assert await max_press(max_emu, GUEST, greeting, "город Смоленск") == texts.MAX_JOIN_SEARCH
    await max_emu.wait_until(lambda: "город Смоленск" in greeting.text, what="the schools of the town")
    assert "МБОУ «Вяземская СШ № 7»" not in greeting.button_texts  # only this municipality's schools

    max_emu.send_text(GUEST, "школа 7")
    (found,) = await max_emu.wait_for(GUEST)
    assert found.text == texts.JOIN_SEARCH_FOUND.format(n=1)
    assert found.button_texts == [SCHOOL]
    await max_press(max_emu, GUEST, found, SCHOOL)
    await max_emu.wait_until(lambda: "ФИО и должность" in found.text, what="the question of name and position")
    assert found.button_texts == []

    max_emu.send_text(GUEST, "Анна")  # no position
    (again,) = await max_emu.wait_for(GUEST)
    assert again.text == texts.JOIN_NAME_AGAIN
    max_emu.send_text(GUEST, "Соколова Анна Игоревна, директор")
    (sent,) = await max_emu.wait_for(GUEST)
    assert sent.text == texts.JOIN_SENT.format(org=texts.esc(SCHOOL))


async def requester(max_app: App) -> Member:
    async with max_app.session_factory() as session:
        member = await session.scalar(select(Member).where(Member.user_id == channels.principal_for_max(GUEST)))
        assert member is not None
        return member


async def approved_with_open_items(max_emu: MaxEmulator) -> None:
    """What the director sees on MAX after approval: the decision, then the open items."""
    approved, items = await max_emu.wait_for(GUEST, count=2, timeout=10)
    assert approved.text == texts.JOIN_APPROVED.format(org=texts.esc(SCHOOL))
    assert "Резолюция семинара руководителей" in items.text
    assert items.button_texts == ["1 · Ознакомлен"]


async def test_a_guest_on_max_asks_to_join_and_an_officer_on_telegram_approves(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await directory(max_app)
    await ask_to_join(max_emu)
    member = await requester(max_app)
    assert (member.approval, member.max_user_id, member.preferred_channel) == (Approval.PENDING, GUEST, "max")
    assert (member.full_name, member.position) == ("Соколова Анна Игоревна", "директор")

    max_emu.press_start(GUEST)  # while the request waits
    (pending,) = await max_emu.wait_for(GUEST)
    assert pending.text == texts.JOIN_PENDING.format(org=texts.esc(SCHOOL))

    (request,) = await emulator.wait_for(OFFICER_TG, timeout=10)
    assert "Соколова Анна Игоревна, директор" in request.text
    answer = await emulator.wait_callback_answer(await emulator.click_button(OFFICER_TG, request, "Одобрить"))
    assert answer.text == texts.DECISION_APPROVED
    await approved_with_open_items(max_emu)
    assert (await requester(max_app)).approval == Approval.APPROVED

    max_emu.send_text(GUEST, "/tasks")
    (tasks,) = await max_emu.wait_for(GUEST)
    assert tasks.button_texts == ["1 · отчёт"]


async def test_an_officer_on_max_approves_and_a_stranger_cannot(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await directory(max_app, officer_on_max=True)
    max_emu.press_start(OFFICER_MAX)
    await max_emu.wait_for(OFFICER_MAX)  # the greeting of an approved member
    max_emu.press_start(STRANGER)
    (own,) = await max_emu.wait_for(STRANGER)
    await ask_to_join(max_emu)

    (request,) = await max_emu.wait_for(OFFICER_MAX, timeout=10)
    assert "Соколова Анна Игоревна, директор" in request.text
    assert request.button_texts == ["Одобрить", "Отклонить"]

    # The same button, forged by someone who manages nothing, is refused and changes nothing.
    approve = request.payload_of("Одобрить")
    forged = await max_emu.wait_answer(max_emu.click(STRANGER, own, approve))
    assert forged.notification == texts.DECISION_OUTCOMES["not_allowed"]
    assert (await requester(max_app)).approval == Approval.PENDING

    assert await max_press(max_emu, OFFICER_MAX, request, "Одобрить") == texts.DECISION_APPROVED
    await max_emu.wait_until(lambda: request.button_texts == [], what="the decided request without buttons")
    assert "Соколова Анна Игоревна" in request.text
    assert texts.DECISION_APPROVED in request.text
    await approved_with_open_items(max_emu)

    # A late second press (the buttons came twice, say) changes nothing.
    late = await max_emu.wait_answer(max_emu.click(OFFICER_MAX, request, approve))
    assert late.notification == "Эта заявка уже одобрена."
    # The greeting, the search result, the two answers to the name, the approval and the items: nothing twice.
    assert len(max_emu.messages_to(GUEST)) == 6


async def test_a_declined_request_is_told_on_max(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await directory(max_app)
    await ask_to_join(max_emu)
    (request,) = await emulator.wait_for(OFFICER_TG, timeout=10)
    answer = await emulator.wait_callback_answer(await emulator.click_button(OFFICER_TG, request, "Отклонить"))
    assert answer.text == texts.DECISION_REJECTED
    (declined,) = await max_emu.wait_for(GUEST, timeout=10)
    assert declined.text == texts.JOIN_REJECTED.format(org=texts.esc(SCHOOL))
    assert (await requester(max_app)).approval == Approval.REJECTED
    max_emu.press_start(GUEST)  # may ask again
    (greeting,) = await max_emu.wait_for(GUEST)
    assert greeting.text == texts.MAX_START_GUEST + texts.MAX_START_FROM_TELEGRAM
    assert "Школа (руководитель, заместитель)" in greeting.button_texts


async def test_forged_join_presses_on_max_are_refused(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    town = await directory(max_app)
    max_emu.press_start(GUEST)
    (greeting,) = await max_emu.wait_for(GUEST)
    # A municipality offered as a school, an organisation that does not exist, a kind the bot never offers.
    for forged in (
        JoinCb(step=JoinStep.ORG, kind="school", municipality_id=town.id, organisation_id=town.id),
        JoinCb(step=JoinStep.ORG, kind="school", organisation_id=999_999),
        JoinCb(step=JoinStep.KIND, kind="ministry"),
    ):
        record = await max_emu.wait_answer(max_emu.click(GUEST, greeting, forged.pack()))
        assert record.notification == texts.STALE_BUTTON
    # Search results cannot be paged without a search.
    paged = JoinCb(step=JoinStep.FOUND, kind="school", municipality_id=town.id, page=1).pack()
    assert (await max_emu.wait_answer(max_emu.click(GUEST, greeting, paged))).notification == texts.STALE_BUTTON
    # Nothing is waiting for a name: free text is not taken for a request.
    max_emu.send_text(GUEST, "Соколова Анна Игоревна, директор")
    (reply,) = await max_emu.wait_for(GUEST)
    assert reply.text == texts.FREE_TEXT
    async with max_app.session_factory() as session:
        assert await session.scalar(select(Member).where(Member.user_id == channels.principal_for_max(GUEST))) is None
    assert greeting.text == texts.MAX_START_GUEST + texts.MAX_START_FROM_TELEGRAM  # never edited by a refused press
    assert not [m for m in emulator.messages(OFFICER_TG) if isinstance(m, SentMessage) and "Заявка" in m.text]


# -- a report sent on MAX, reviewed on Telegram ------------------------------------------------------------

DIRECTOR = 780_401  # an approved director on MAX only
OFFICER2_TG = 6102  # a second officer of the town, on Telegram


async def director_reports_with_a_file(max_app: App, max_emu: MaxEmulator, *, file_lost: bool = False) -> BotMessage:
    """The director opens the item's card on MAX, reports «Выполнено» with a file, and is done; the card.
    `file_lost`: MAX no longer serves the file when the review goes out (an expired link, say)."""
    await directory(max_app)
    async with max_app.session_factory() as session:
        school = await session.scalar(select(Organisation).where(Organisation.name == SCHOOL))
        assert school is not None
        town = await session.get(Organisation, school.municipality_id)
        assert town is not None
        await add_member(session, OFFICER2_TG, town, "Олег Смирнов")
        director = await add_member(session, channels.principal_for_max(DIRECTOR), school, "Мария Директорова")
        director.max_user_id = DIRECTOR
        director.preferred_channel = "max"
        await session.commit()
        await publishing.catch_up_member(session, director)
        await session.commit()
    max_emu.press_start(DIRECTOR)
    both = await max_emu.wait_for(DIRECTOR, count=2, timeout=10)  # the greeting and the item, in either order
    (note,) = [m for m in both if m.buttons]
    assert note.button_texts == ["1 · Ознакомлен"]
    await max_press(max_emu, DIRECTOR, note, "1 · Ознакомлен")
    await max_emu.wait_until(lambda: note.button_texts == ["1 · ознакомлен · отчёт"], what="the redrawn button")
    assert await max_press(max_emu, DIRECTOR, note, "1 · ознакомлен · отчёт") == texts.MAX_OPENED
    (card,) = await max_emu.wait_for(DIRECTOR)
    assert "<b>Статус:</b> ознакомлен" in card.text
    await max_press(max_emu, DIRECTOR, card, "Выполнено")
    (ask,) = await max_emu.wait_for(DIRECTOR)
    assert ask.text == texts.REPORT_ASK_DETAILS
    max_emu.send_file(DIRECTOR, "protocol.pdf", b"%PDF-1.4 protocol of the council")
    (saved,) = await max_emu.wait_for(DIRECTOR)
    if file_lost:
        max_emu.uploads.clear()
    assert await max_press(max_emu, DIRECTOR, saved, "Готово") == texts.REPORT_SENT_TO_REVIEW
    return card


async def test_a_file_sent_on_max_reaches_telegram_reviewers_as_a_document_uploaded_once(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    card = await director_reports_with_a_file(max_app, max_emu)
    shown: list[SentMessage] = []
    for officer in (OFFICER_TG, OFFICER2_TG):
        document, review = await emulator.wait_for(officer, count=2, timeout=10)
        assert document.kind == "document"
        assert document.file is not None
        assert (document.file.file_name, document.file.content) == ("protocol.pdf", b"%PDF-1.4 protocol of the council")
        assert review.reply_to_message_id == document.message_id  # the text answers its evidence
        assert texts.REPORT_FILES.format(n=1).strip() in review.text
        assert "Не удалось переслать" not in review.text
        shown.append(document)
    assert shown[0].file is not None
    assert shown[1].file is not None
    assert shown[0].file.file_id == shown[1].file.file_id  # uploaded once, then sent by Telegram's file id
    assert len(emulator.bot_files()) == 1

    # The officer accepts on Telegram: the card the director opened on MAX shows it.
    (review,) = [m for m in emulator.messages(OFFICER_TG) if m.kind == "text"]
    answer = await emulator.wait_callback_answer(await emulator.click_button(OFFICER_TG, review, "Принять"))
    assert answer.text == texts.REVIEW_ACCEPTED
    await max_emu.wait_until(
        lambda: "<b>Статус:</b> выполнено и принято" in card.text, timeout=10, what="the card redrawn on MAX"
    )


async def test_a_max_file_that_cannot_be_fetched_still_leaves_the_review_text(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await director_reports_with_a_file(max_app, max_emu, file_lost=True)
    (review,) = await emulator.wait_for(OFFICER_TG, timeout=10)
    assert review.kind == "text"
    assert texts.REPORT_FILES.format(n=1).strip() in review.text
    assert texts.FILES_NOT_FORWARDED.format(n=1).strip() in review.text  # «above» is not left unexplained
    assert review.find_button("Принять") is not None
    assert emulator.bot_files() == []
