"""Members report on their items in the chat: acknowledgement, status, comment, review, extension."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from models import publishing
from models.config import Config
from models.entities import Assignment, Status, StatusReport
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.emulator import SentMessage, TelegramEmulator

OFFICER = 6001
DIRECTOR = 6002
DEPUTY = 6003  # same school as the director
OTHER = 6004  # director of another school

RESOLUTION = """Резолюция семинара руководителей

Участники семинара рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет по итогам семинара до 1 марта 2027 года;
- разместить материалы семинара на сайте школы.
"""


async def setup(app: App, emulator: TelegramEmulator) -> dict[int, SentMessage]:
    """Two schools of one municipality receive a published two-item resolution."""
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
        other = await add_org(session, "school", "МБОУ «СШ № 2»", town.id)
        await add_member(session, OFFICER, town)
        await add_member(session, DIRECTOR, school)
        await add_member(session, DEPUTY, school)
        await add_member(session, OTHER, other)
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
    app.delivery.wake()
    received = {}
    for chat in (DIRECTOR, DEPUTY, OTHER):
        (received[chat],) = await emulator.wait_for(chat, timeout=10)
    return received


async def press(emulator: TelegramEmulator, user: int, message: SentMessage, text: str) -> tuple[bool, str]:
    answer = await emulator.wait_callback_answer(await emulator.click_button(user, message, text))
    return answer.show_alert, answer.text or ""


async def assignment_of(app: App, org_member_chat: int, position: int = 0) -> Assignment:
    from models.entities import Member, Recommendation

    async with app.session_factory() as session:
        member = await session.scalar(select(Member).where(Member.user_id == org_member_chat))
        assert member is not None
        row = await session.scalar(
            select(Assignment)
            .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
            .where(Assignment.organisation_id == member.organisation_id, Recommendation.position == position)
        )
        assert row is not None
        return row


async def test_acknowledge_then_report_with_comment(app: App, emulator: TelegramEmulator) -> None:
    received = await setup(app, emulator)
    note = received[DIRECTOR]
    assert note.button_texts == ["1 · Ознакомлен", "2 · Ознакомлен"]

    alert, text = await press(emulator, DIRECTOR, note, "1 · Ознакомлен")
    assert not alert
    assert text == "Отмечено: ознакомлен"
    await emulator.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the edited button")
    assert note.button_texts[1] == "2 · Ознакомлен"  # only that item changed

    await press(emulator, DIRECTOR, note, "1 · ознакомлен · отчёт")
    (card,) = await emulator.wait_for(DIRECTOR)
    assert "провести педагогический совет" in card.text
    assert card.button_texts[:4] == ["Не начато", "В работе", "Выполнено", "Есть трудности"]

    assert "Перенести срок" in card.button_texts  # the item has a due date
    _, text = await press(emulator, DIRECTOR, card, "В работе")
    assert text == "Статус: в работе"
    (ask,) = await emulator.wait_for(DIRECTOR)
    # The card is edited in place: its text shows the status, its four status buttons stay as they were.
    await emulator.wait_until(lambda: "в работе" in card.text, what="the edited card")
    assert card.button_texts[:4] == ["Не начато", "В работе", "Выполнено", "Есть трудности"]
    assert "комментарий" in ask.text
    await emulator.send_message(DIRECTOR, "Совет назначен на <15 февраля> & готовим доклад")
    (saved,) = await emulator.wait_for(DIRECTOR)
    assert saved.text == "Комментарий сохранён."

    # A double click on the same status changes nothing and asks nothing more.
    _, again = await press(emulator, DIRECTOR, card, "В работе")
    assert again == "Статус уже такой"
    async with app.session_factory() as session:
        reports = (await session.scalars(select(StatusReport).order_by(StatusReport.id))).all()
    assert [r.status for r in reports] == [Status.ACKNOWLEDGED, Status.IN_PROGRESS]
    assert reports[-1].comment == "Совет назначен на <15 февраля> & готовим доклад"

    # The deputy of the same school sees the director's report in the item card.
    await emulator.send_message(DEPUTY, "/tasks")
    (tasks,) = await emulator.wait_for(DEPUTY)
    assert "в работе" in tasks.text
    await press(emulator, DEPUTY, tasks, "1 · отчёт")
    (deputy_card,) = await emulator.wait_for(DEPUTY)
    assert "Совет назначен на &lt;15 февраля&gt;" in deputy_card.html  # user text is escaped

    # The second item has no due date: nothing to postpone, so no such button.
    await press(emulator, DEPUTY, tasks, "2 · отчёт")
    (undated_card,) = await emulator.wait_for(DEPUTY)
    assert "разместить материалы" in undated_card.text
    assert "Перенести срок" not in undated_card.button_texts


async def test_reporting_for_another_school_is_refused(app: App, emulator: TelegramEmulator) -> None:
    received = await setup(app, emulator)
    foreign = await assignment_of(app, DIRECTOR)
    # The other school's director forges a button with the first school's assignment id.
    data = f"rep1:{foreign.id}:dn"
    answer = await emulator.wait_callback_answer(await emulator.click(OTHER, received[OTHER].message_id, data))
    assert answer.show_alert
    assert "другой организации" in (answer.text or "")
    assert (await assignment_of(app, DIRECTOR)).status == Status.NEW


async def test_done_is_reviewed_by_the_municipal_officer(app: App, emulator: TelegramEmulator) -> None:
    received = await setup(app, emulator)
    note = received[DIRECTOR]
    await press(emulator, DIRECTOR, note, "2 · Ознакомлен")
    await emulator.wait_until(lambda: note.button_texts[1].endswith("отчёт"), what="the edited button")
    await press(emulator, DIRECTOR, note, "2 · ознакомлен · отчёт")
    (card,) = await emulator.wait_for(DIRECTOR)
    await press(emulator, DIRECTOR, card, "Выполнено")
    (ask,) = await emulator.wait_for(DIRECTOR)
    assert "файлы или фото" in ask.text
    await emulator.send_photo(DIRECTOR, b"\xff\xd8\xff fake jpeg")
    (saved,) = await emulator.wait_for(DIRECTOR)
    assert saved.text.startswith("Добавлено")
    await press(emulator, DIRECTOR, saved, "Готово")

    photo, review = await emulator.wait_for(OFFICER, count=2, timeout=10)
    assert photo.kind == "photo"  # the evidence, then the question
    assert "МБОУ «СШ № 1»" in review.text
    # Returned for rework with a comment: the school is told, status back to «в работе».
    await press(emulator, OFFICER, review, "Вернуть на доработку")
    await emulator.wait_for(OFFICER)  # «what needs rework?»
    await emulator.send_message(OFFICER, "Нет ссылки на страницу")
    (returned,) = await emulator.wait_for(OFFICER)
    assert "возвращён" in returned.text
    notices = await emulator.wait_for(DIRECTOR, timeout=10)
    assert "Нет ссылки на страницу" in notices[0].text
    assert (await assignment_of(app, DIRECTOR, 1)).status == Status.IN_PROGRESS

    # Reported done again and accepted this time: the item is closed.
    await press(emulator, DIRECTOR, card, "Выполнено")
    (ask,) = await emulator.wait_for(DIRECTOR)  # the comment question
    await press(emulator, DIRECTOR, ask, "Пропустить")
    review2 = (await emulator.wait_for(OFFICER, timeout=10))[-1]
    accept_data = review2.find_button("Принять").callback_data
    alert, text = await press(emulator, OFFICER, review2, "Принять")
    assert (alert, text) == (False, "Принято. Пункт закрыт.")
    assert (await assignment_of(app, DIRECTOR, 1)).status == Status.ACCEPTED
    # A late click on the old review button changes nothing.
    late = await emulator.click(OFFICER, review.message_id, accept_data)
    answer = await emulator.wait_callback_answer(late)
    assert answer.show_alert


async def test_extension_request_moves_the_due_date_once_approved(app: App, emulator: TelegramEmulator) -> None:
    received = await setup(app, emulator)
    note = received[DIRECTOR]
    await press(emulator, DIRECTOR, note, "1 · Ознакомлен")
    await emulator.wait_until(lambda: note.button_texts[0].endswith("отчёт"), what="the edited button")
    await press(emulator, DIRECTOR, note, "1 · ознакомлен · отчёт")
    (card,) = await emulator.wait_for(DIRECTOR)
    await press(emulator, DIRECTOR, card, "Перенести срок")
    await emulator.wait_for(DIRECTOR)
    await emulator.send_message(DIRECTOR, "1 апреля")
    (bad,) = await emulator.wait_for(DIRECTOR)
    assert "15.03.2027" in bad.text
    # A date before the current due date is refused at once, and the bot still waits for a date.
    await emulator.send_message(DIRECTOR, "01.02.2027")
    (earlier,) = await emulator.wait_for(DIRECTOR)
    assert "позже" in earlier.text
    await emulator.send_message(DIRECTOR, "01.04.2027")
    await emulator.wait_for(DIRECTOR)
    await emulator.send_message(DIRECTOR, "Совет перенесён из-за карантина")
    (sent,) = await emulator.wait_for(DIRECTOR)
    assert "отправлен" in sent.text

    (request,) = await emulator.wait_for(OFFICER, timeout=10)
    assert "1 марта 2027 г." in request.text
    assert "1 апреля 2027 г." in request.text
    # The other school's director cannot decide it by forging the button.
    forged = await emulator.click(OTHER, received[OTHER].message_id, request.find_button("Одобрить").callback_data)
    assert (await emulator.wait_callback_answer(forged)).show_alert

    await press(emulator, OFFICER, request, "Одобрить")
    (approved,) = await emulator.wait_for(DIRECTOR, timeout=10)
    assert "новый срок — 1 апреля 2027 г." in approved.text
    assert str((await assignment_of(app, DIRECTOR)).due) == "2027-04-01"


async def test_reminder_arrives_as_one_message_and_snooze_is_per_member(app: App, emulator: TelegramEmulator) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from models import reminders as planner
    from models.entities import Delivery, Snooze

    await setup(app, emulator)
    # 14 days before the 1 March 2027 due date, 10:00 in Moscow: the first reminder.
    result = await planner.tick(app.session_factory, app.config, datetime(2027, 2, 15, 7, 5, tzinfo=UTC))
    assert result.queued == 3  # one message per member of the school (2) and of the other school (1)
    async with app.session_factory() as session:
        # The worker runs on the real clock; the tick planned these for February 2027.
        await session.execute(update(Delivery).where(Delivery.key.like("rem:%")).values(not_before=None))
        await session.commit()
    app.delivery.wake()
    (reminder,) = await emulator.wait_for(DIRECTOR, timeout=10)
    assert "Напоминание" in reminder.text
    assert "провести педагогический совет" in reminder.text
    snooze_button = next(t for t in reminder.button_texts if "напомнить через 3 дня" in t)
    alert, text = await press(emulator, DIRECTOR, reminder, snooze_button)
    assert not alert
    assert text.startswith("Хорошо, напомню через 3")
    async with app.session_factory() as session:
        snoozes = (await session.scalars(select(Snooze))).all()
    assert len(snoozes) == 1  # the director's only; the deputy still gets reminders


async def test_progress_and_vacations_are_visible_above(app: App, emulator: TelegramEmulator) -> None:
    received = await setup(app, emulator)
    await press(emulator, DIRECTOR, received[DIRECTOR], "1 · Ознакомлен")
    # The deputy goes on vacation: reminders pause, colleagues and the officer can see it.
    await emulator.send_message(DEPUTY, "/me")
    (card,) = await emulator.wait_for(DEPUTY)
    await press(emulator, DEPUTY, card, "Пауза напоминаний (отпуск)")
    await emulator.wait_for(DEPUTY)
    await emulator.send_message(DEPUTY, "01.09.2099")
    (paused,) = await emulator.wait_for(DEPUTY)
    assert "возобновятся 1 сентября 2099 г." in paused.text

    await emulator.send_message(DIRECTOR, "/tasks")
    (tasks,) = await emulator.wait_for(DIRECTOR)
    assert "В отпуске" in tasks.text
    assert "по 31 августа 2099 г." in tasks.text

    await emulator.send_message(OFFICER, "/progress")
    (progress,) = await emulator.wait_for(OFFICER)
    assert "Резолюция семинара руководителей" in progress.text
    assert "закрыто 0 из 4" in progress.text  # two items × two schools
    assert "нет ответа 3" in progress.text  # one acknowledged
    assert "МБОУ «СШ № 1»" in progress.text  # the vacation, with the school's name

    # A director sees only their own school's items.
    await emulator.send_message(OTHER, "/progress")
    (own,) = await emulator.wait_for(OTHER)
    await press(emulator, OTHER, own, "Резолюция семинара руководителей")
    await emulator.wait_until(lambda: "МБОУ «СШ № 2»" in own.text, what="the school's own items")
    assert "новое" in own.text
    assert "ознакомлен" not in own.text


async def test_an_unacknowledged_item_is_chased_three_days_after_publication(
    app: App, emulator: TelegramEmulator
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from models import reminders as planner
    from models.entities import Delivery
    from models.timeutil import utcnow

    received = await setup(app, emulator)
    # The director acknowledges item 1 only; the deputy of the same school sees the same items.
    await press(emulator, DIRECTOR, received[DIRECTOR], "1 · Ознакомлен")
    # Six days later: three working days have passed, and no due-date reminder is due yet.
    await planner.tick(app.session_factory, app.config, utcnow() + timedelta(days=6))
    async with app.session_factory() as session:
        await session.execute(update(Delivery).where(Delivery.key.like("rem:%")).values(not_before=None))
        await session.commit()
    app.delivery.wake()
    (reminder,) = await emulator.wait_for(DIRECTOR, timeout=10)
    assert "ещё не отмечен «Ознакомлен»" in reminder.text
    assert "разместить материалы семинара" in reminder.text  # item 2, never acknowledged
    assert "провести педагогический совет" not in reminder.text  # item 1 was acknowledged


async def test_a_colleagues_stale_acknowledge_button_shows_the_report_instead_of_undoing_it(
    app: App, emulator: TelegramEmulator
) -> None:
    received = await setup(app, emulator)
    note = received[DIRECTOR]
    deputy_copy = received[DEPUTY]
    # The button as it was delivered: the copy may be redrawn before the deputy's press arrives.
    stale = deputy_copy.find_button("1 · Ознакомлен").callback_data
    await press(emulator, DIRECTOR, note, "1 · Ознакомлен")
    await emulator.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the edited button")
    await press(emulator, DIRECTOR, note, "1 · ознакомлен · отчёт")
    (card,) = await emulator.wait_for(DIRECTOR)
    await press(emulator, DIRECTOR, card, "В работе")

    answer = await emulator.wait_callback_answer(await emulator.click(DEPUTY, deputy_copy.message_id, stale))
    assert not answer.show_alert
    assert answer.text == "Статус не изменился: пункт уже «в работе»"
    await emulator.wait_until(
        lambda: deputy_copy.button_texts[0] == "1 · в работе · отчёт", what="the deputy's refreshed button"
    )
    assert (await assignment_of(app, DIRECTOR)).status == Status.IN_PROGRESS
