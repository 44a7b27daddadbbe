"""Joining through the emulator: invite links, requests approved by the right officer, forged buttons."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bot.app import App
from models.entities import Approval, Invite, Member, Organisation
from models.timeutil import utcnow
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.emulator import SentMessage, TelegramEmulator

OFFICER = 4001  # municipal officer of город Смоленск
OTHER_OFFICER = 4002  # officer of Вяземский район
DIRECTOR = 4101
DEPUTY = 4102
STRANGER = 4103


async def seed(app: App) -> None:
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        vyazma = await add_org(session, "municipality", "Вяземский район")
        await add_org(session, "school", "МБОУ «Средняя школа № 1» г. Смоленска", town.id)
        await add_org(session, "school", "МБОУ «Средняя школа № 7» г. Смоленска", town.id)
        await add_org(session, "school", "МБОУ «Вяземская СШ № 2»", vyazma.id)
        await add_member(session, OFFICER, town, "Ирина Петрова")
        await add_member(session, OTHER_OFFICER, vyazma, "Олег Смирнов")


async def press(emulator: TelegramEmulator, user: int, message: SentMessage, text: str) -> str | None:
    answer = await emulator.wait_callback_answer(await emulator.click_button(user, message, text))
    return answer.text


async def button_appears(emulator: TelegramEmulator, message: SentMessage, text: str) -> None:
    """The bot answers a click first and edits the message after: wait for the edit."""
    await emulator.wait_until(lambda: text in message.button_texts, what=f"button {text!r}")


async def officer_invites_school_one(emulator: TelegramEmulator) -> str:
    await emulator.send_message(OFFICER, "/invite")
    (choice,) = await emulator.wait_for(OFFICER)
    assert "МБОУ «Вяземская СШ № 2»" not in choice.button_texts  # only schools of their own municipality
    await press(emulator, OFFICER, choice, "МБОУ «Средняя школа № 1» г. Смоленска")
    (invite,) = await emulator.wait_for(OFFICER)
    match = re.search(r"https://t\.me/adresat_test_bot\?start=([A-Za-z0-9_-]+)", invite.text)
    assert match, invite.text
    return match.group(1)


async def test_director_joins_by_invite_link(app: App, emulator: TelegramEmulator) -> None:
    await seed(app)
    code = await officer_invites_school_one(emulator)
    assert len(code) >= 16  # 96 random bits
    await emulator.send_message(DIRECTOR, f"/start {code}", first_name="Анна")
    (welcome,) = await emulator.wait_for(DIRECTOR)
    assert "МБОУ «Средняя школа № 1» г. Смоленска" in welcome.text
    await emulator.send_message(DIRECTOR, "/me")
    (card,) = await emulator.wait_for(DIRECTOR)
    assert "Средняя школа № 1" in card.text
    assert "Москва" in card.text

    # The same single-use code cannot be used by someone else.
    await emulator.send_message(STRANGER, f"/start {code}")
    (refused,) = await emulator.wait_for(STRANGER)
    assert "уже использовано" in refused.text


async def test_expired_and_revoked_codes_are_refused(app: App, emulator: TelegramEmulator) -> None:
    await seed(app)
    code = await officer_invites_school_one(emulator)
    async with app.session_factory() as session:
        await session.execute(update(Invite).values(expires_at=utcnow() - timedelta(days=1)))
        await session.commit()
    await emulator.send_message(DIRECTOR, f"/start {code}")
    (expired,) = await emulator.wait_for(DIRECTOR)
    assert "истёк" in expired.text

    second = await officer_invites_school_one(emulator)
    invite_message = emulator.last_message(OFFICER)
    answer = await press(emulator, OFFICER, invite_message, "Отозвать приглашение")
    assert answer == "Приглашение отозвано: ссылка больше не работает."
    await emulator.send_message(DIRECTOR, f"/start {second}")
    (revoked,) = await emulator.wait_for(DIRECTOR)
    assert "отозвано" in revoked.text


async def test_guessing_codes_is_throttled(app: App, emulator: TelegramEmulator) -> None:
    await seed(app)
    for attempt in range(5):
        await emulator.send_message(STRANGER, f"/start wrongcode{attempt:07d}x")
        (reply,) = await emulator.wait_for(STRANGER)
        assert "не найдено" in reply.text
    await emulator.send_message(STRANGER, "/start wrongcode9999999x")
    (throttled,) = await emulator.wait_for(STRANGER)
    assert "Слишком много неверных кодов" in throttled.text


async def request_school_seven(emulator: TelegramEmulator, user: int) -> None:
    await emulator.send_message(user, "/start", first_name="Пётр")
    (start,) = await emulator.wait_for(user)
    await press(emulator, user, start, "Школа (руководитель, заместитель)")
    await button_appears(emulator, start, "город Смоленск")
    await press(emulator, user, start, "город Смоленск")
    await button_appears(emulator, start, "МБОУ «Средняя школа № 1» г. Смоленска")
    # The school list can be searched by typing part of the name.
    await emulator.send_message(user, "школа 7")
    (found,) = await emulator.wait_for(user)
    assert found.button_texts == ["МБОУ «Средняя школа № 7» г. Смоленска"]
    await press(emulator, user, found, "МБОУ «Средняя школа № 7» г. Смоленска")
    await emulator.wait_until(lambda: "ФИО и должность" in found.text, what="the question of name and position")
    await emulator.send_message(user, "Петров Пётр Ильич")  # no position: asked again
    (again,) = await emulator.wait_for(user)
    assert "ФИО и должность через запятую" in again.text
    await emulator.send_message(user, "Петров Пётр Ильич, директор")
    (sent,) = await emulator.wait_for(user)
    assert "отправлена" in sent.text
    # The search ended with the choice: later text is not taken for another search.
    await emulator.send_message(user, "спасибо")
    (after,) = await emulator.wait_for(user)
    assert "не нашлось" not in after.text


async def test_request_is_approved_by_the_officer_of_that_municipality(app: App, emulator: TelegramEmulator) -> None:
    await seed(app)
    await request_school_seven(emulator, DEPUTY)
    (request,) = await emulator.wait_for(OFFICER, timeout=10)
    assert "Пётр" in request.text
    assert not [m for m in emulator.messages(OTHER_OFFICER) if "Заявка" in m.text]  # not the other municipality

    # An officer of another municipality forging the same button changes nothing.
    await emulator.send_message(OTHER_OFFICER, "/start")
    (own,) = await emulator.wait_for(OTHER_OFFICER)
    forged = await emulator.click(OTHER_OFFICER, own.message_id, request.find_button("Одобрить").callback_data)
    answer = await emulator.wait_callback_answer(forged)
    assert answer.show_alert

    await emulator.send_message(DEPUTY, "/start")
    (pending,) = await emulator.wait_for(DEPUTY)
    assert "ждёт решения" in pending.text

    approve_data = request.find_button("Одобрить").callback_data
    await press(emulator, OFFICER, request, "Одобрить")
    (approved,) = await emulator.wait_for(DEPUTY, timeout=10)
    assert "одобрена" in approved.text
    # A double (or late) click is harmless: an alert, and no second notice.
    again = await emulator.wait_callback_answer(await emulator.click(OFFICER, request.message_id, approve_data))
    assert again.show_alert
    assert "уже" in (again.text or "")
    async with app.session_factory() as session:
        member = await session.scalar(select(Member).where(Member.user_id == DEPUTY))
        assert member is not None
        assert member.approval == Approval.APPROVED


async def test_approving_a_request_the_applicant_has_since_changed_changes_nothing(
    app: App, emulator: TelegramEmulator
) -> None:
    """The officer was shown school 7; the applicant has switched the request to school 1 since."""
    await seed(app)
    await request_school_seven(emulator, DEPUTY)
    (request,) = await emulator.wait_for(OFFICER, timeout=10)
    async with app.session_factory() as session:
        school_one = await session.scalar(select(Organisation).where(Organisation.name.like("%школа № 1%")))
        assert school_one is not None
        await session.execute(update(Member).where(Member.user_id == DEPUTY).values(organisation_id=school_one.id))
        await session.commit()
    answer = await emulator.wait_callback_answer(await emulator.click_button(OFFICER, request, "Одобрить"))
    assert answer.show_alert
    async with app.session_factory() as session:
        member = await session.scalar(select(Member).where(Member.user_id == DEPUTY))
        assert member is not None
        assert member.approval == Approval.PENDING


async def test_rejected_request_tells_the_applicant(app: App, emulator: TelegramEmulator) -> None:
    await seed(app)
    await request_school_seven(emulator, DEPUTY)
    (request,) = await emulator.wait_for(OFFICER, timeout=10)
    await press(emulator, OFFICER, request, "Отклонить")
    (rejected,) = await emulator.wait_for(DEPUTY, timeout=10)
    assert "отклонена" in rejected.text
    await emulator.send_message(DEPUTY, "/tasks")
    (refused,) = await emulator.wait_for(DEPUTY)
    assert "для участников организаций" in refused.text
    assert "/start" in refused.text


async def test_directory_import_with_bad_rows_reports_line_numbers(app: App, emulator: TelegramEmulator) -> None:
    csv = (
        "code;kind;name;municipality_code\n"
        "mo-1;municipality;город Смоленск;\n"
        "sch-1;school;МБОУ СШ № 1;mo-1\n"
        "sch-2;school;МБОУ СШ № 2;mo-404\n"
        "x-1;planet;Марс;\n"
    ).encode()
    await emulator.send_document(ADMIN_ID, "orgs.csv", csv, caption="/orgs")
    (report,) = await emulator.wait_for(ADMIN_ID, timeout=10)
    assert "Добавлено: 2" in report.text
    assert "Отклонено: 2" in report.text
    assert "строка 4" in report.text.lower()
    assert "строка 5" in report.text.lower()
    # The same file again changes nothing.
    await emulator.send_document(ADMIN_ID, "orgs.csv", csv, caption="/orgs")
    (again,) = await emulator.wait_for(ADMIN_ID, timeout=10)
    assert "Добавлено: 0" in again.text
    assert "Изменено: 0" in again.text


async def test_vacation_pause_refuses_a_past_date_and_leave_can_be_cancelled(
    app: App, emulator: TelegramEmulator
) -> None:
    await seed(app)
    await emulator.send_message(OFFICER, "/me")
    (card,) = await emulator.wait_for(OFFICER)
    await press(emulator, OFFICER, card, "Пауза напоминаний (отпуск)")
    await emulator.wait_for(OFFICER)  # the question
    await emulator.send_message(OFFICER, "01.01.2020")
    (past,) = await emulator.wait_for(OFFICER)
    assert "уже прошла" in past.text
    until = (utcnow() + timedelta(days=30)).date()
    await emulator.send_message(OFFICER, until.strftime("%d.%m.%Y"))
    (paused,) = await emulator.wait_for(OFFICER)
    assert "на паузе" in paused.text
    async with app.session_factory() as session:
        officer = await session.scalar(select(Member).where(Member.user_id == OFFICER))
        assert officer is not None
        assert officer.paused_until == until

    await emulator.send_message(OFFICER, "/leave")
    (confirm,) = await emulator.wait_for(OFFICER)
    await press(emulator, OFFICER, confirm, "Нет, остаться")
    await emulator.wait_until(lambda: confirm.button_texts == [], what="the confirmation without buttons")
    assert confirm.text == "Вы остаётесь в организации."
    async with app.session_factory() as session:
        officer = await session.scalar(select(Member).where(Member.user_id == OFFICER))
        assert officer is not None
        assert officer.approval == Approval.APPROVED
