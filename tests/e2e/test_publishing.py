"""An admin publishes a real resolution; each member receives exactly the items addressed to their role."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from models import publishing
from models.entities import Member
from tests.conftest import FIXTURES
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.emulator import SentMessage, TelegramEmulator

SEED = FIXTURES / "resolutions"
AUGUST_2019 = SEED / "001_551996ca91922486.txt"  # all five roles


@dataclass
class People:
    region: int = 3001
    institute: int = 3002
    officer: int = 3003
    director: int = 3004
    partner: int = 3005
    other_director: int = 3006


async def seed_directory(app: App) -> People:
    people = People()
    async with app.session_factory() as session:
        region = await add_org(session, "region", "Департамент Смоленской области по образованию и науке")
        institute = await add_org(session, "institute", "ГАУ ДПО СОИРО")
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1» г. Смоленска", town.id)
        school2 = await add_org(session, "school", "МБОУ «СШ № 2» г. Смоленска", town.id)
        partner = await add_org(session, "partner", "Смоленский региональный центр «Точка роста»")
        await add_member(session, people.region, region)
        await add_member(session, people.institute, institute)
        await add_member(session, people.officer, town)
        await add_member(session, people.director, school)
        await add_member(session, people.partner, partner)
        await add_member(session, people.other_director, school2)
    return people


async def upload(emulator: TelegramEmulator, path: Path) -> SentMessage:
    """The admin sends a file; returns the preview message that carries the Publish button."""
    await emulator.send_document(ADMIN_ID, path.name, path.read_bytes())

    def has_publish() -> bool:
        return any(
            "Опубликовать" in text or "Всё равно опубликовать" in text
            for m in emulator.messages(ADMIN_ID)
            for text in m.button_texts
        )

    await emulator.wait_until(has_publish, timeout=10, what="the preview with a Publish button")
    return next(m for m in reversed(emulator.messages(ADMIN_ID)) if m.reply_markup)


async def publish(emulator: TelegramEmulator, preview: SentMessage, button: str = "Опубликовать") -> None:
    query = await emulator.click_button(ADMIN_ID, preview, button)
    await emulator.wait_callback_answer(query)


async def wait_final_summary(emulator: TelegramEmulator) -> SentMessage:
    def finished() -> bool:
        return any("Рассылка завершена" in m.text for m in emulator.messages(ADMIN_ID))

    await emulator.wait_until(finished, timeout=20, what="the final broadcast summary")
    return next(m for m in emulator.messages(ADMIN_ID) if "Рассылка завершена" in m.text)


async def test_preview_shows_addressees_roles_items_dates_and_reach(app: App, emulator: TelegramEmulator) -> None:
    await seed_directory(app)
    preview = await upload(emulator, SEED / "002_e77e360ac022ffa0.txt")
    text = "\n".join(m.text for m in emulator.messages(ADMIN_ID))
    assert "Адресатов: 3, пунктов: 9" in text
    assert "муниципальный орган управления образованием" in text
    assert "срок 1 января 2016 г." in text
    assert "Получат сейчас: 1 организация, 1 участник" in text  # the municipality and its officer
    assert "Получат сейчас: 2 организации, 2 участника" in text  # two schools
    assert {"Опубликовать", "Отмена"} <= set(preview.button_texts)


async def test_each_member_receives_only_the_items_of_their_role(app: App, emulator: TelegramEmulator) -> None:
    people = await seed_directory(app)
    preview = await upload(emulator, AUGUST_2019)
    await publish(emulator, preview)
    summary = await wait_final_summary(emulator)
    assert "Отправлено: 6 из 6" in summary.text

    officer = emulator.messages(people.officer)
    director = emulator.messages(people.director)
    partner = emulator.messages(people.partner)
    assert len(officer) == len(director) == len(partner) == 1  # one message per resolution
    assert "проектного управления изменениями" in officer[0].text  # a municipal item
    assert "родителей (законных представителей)" not in officer[0].text  # a school item
    assert "родителей (законных представителей)" in director[0].text
    assert "проектного управления изменениями" not in director[0].text
    assert "мониторингах потребностей регионального рынка труда" in partner[0].text
    assert "Архитектура региональной системы образования" in director[0].text
    # One «Ознакомлен» button per item: the school section of this resolution has five.
    assert director[0].button_texts == [f"{n} · Ознакомлен" for n in range(1, 6)]


async def test_blocked_member_is_counted_and_marked_inactive(app: App, emulator: TelegramEmulator) -> None:
    people = await seed_directory(app)
    emulator.block(people.director)
    preview = await upload(emulator, AUGUST_2019)
    await publish(emulator, preview)
    summary = await wait_final_summary(emulator)
    assert "Заблокировали бота: 1" in summary.text
    assert "Отправлено: 5 из 6" in summary.text
    async with app.session_factory() as session:
        director = await session.scalar(select(Member).where(Member.user_id == people.director))
        assert director is not None
        assert director.active is False


async def test_429_pauses_and_retries_without_losing_or_doubling(emulator: TelegramEmulator, database_url: str) -> None:
    from tests.e2e.harness import make_settings, running_app

    settings = make_settings(emulator.base_url, database_url, delivery_rate_per_second=1000)
    async with running_app(settings) as app:
        people = await seed_directory(app)
        preview = await upload(emulator, AUGUST_2019)
        emulator.set_rate_limit(global_per_second=2)
        await publish(emulator, preview)
        await wait_final_summary(emulator)
    assert emulator.stats.rate_limited > 0
    for chat in (people.region, people.institute, people.officer, people.director, people.partner):
        assert len(emulator.messages(chat)) == 1


async def test_same_document_twice_asks_before_publishing_again(app: App, emulator: TelegramEmulator) -> None:
    await seed_directory(app)
    preview = await upload(emulator, AUGUST_2019)
    await publish(emulator, preview)
    await wait_final_summary(emulator)
    emulator.skip_pending()
    again = await upload(emulator, AUGUST_2019)
    assert "уже опубликован" in "\n".join(m.text for m in emulator.messages(ADMIN_ID)[-3:])
    assert "Всё равно опубликовать" in again.button_texts
    assert "Опубликовать" not in again.button_texts


async def withdraw_latest(emulator: TelegramEmulator) -> None:
    """The admin withdraws the newest resolution from /resolutions, confirming when asked."""
    emulator.skip_pending(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, "/resolutions")
    listing = (await emulator.wait_for(ADMIN_ID, count=2))[-1]
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, listing, "Отозвать"))
    (confirm,) = await emulator.wait_for(ADMIN_ID)
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, confirm, "Да, отозвать"))


async def test_withdrawal_tells_recipients_once_and_keeps_history(app: App, emulator: TelegramEmulator) -> None:
    people = await seed_directory(app)
    preview = await upload(emulator, SEED / "003_58c73768d9661cc6.txt")
    await publish(emulator, preview)
    await wait_final_summary(emulator)
    await withdraw_latest(emulator)

    def told() -> bool:
        return any("отозвана" in m.text for m in emulator.messages(people.director))

    await emulator.wait_until(told, timeout=10, what="the withdrawal notice")
    await asyncio.sleep(0.3)
    notices = [m for m in emulator.messages(people.director) if "отозвана" in m.text]
    assert len(notices) == 1
    # A report on the withdrawn resolution is refused with an alert.
    item = emulator.messages(people.director)[0]
    query = await emulator.click_button(people.director, item, "1 · Ознакомлен")
    answer = await emulator.wait_callback_answer(query)
    assert answer.show_alert
    assert "отозвана" in (answer.text or "")


async def test_a_director_who_moves_school_gets_its_items_and_hears_of_the_withdrawal(
    app: App, emulator: TelegramEmulator
) -> None:
    """Catch-up copies are keyed by organisation, and a withdrawal reaches them like the broadcast."""
    from models.entities import Organisation

    people = await seed_directory(app)
    await publish(emulator, await upload(emulator, SEED / "002_e77e360ac022ffa0.txt"))
    await wait_final_summary(emulator)
    await emulator.wait_until(lambda: bool(emulator.messages(people.director)), what="the first school's items")
    async with app.session_factory() as session:
        member = await session.scalar(select(Member).where(Member.user_id == people.director))
        school2 = await session.scalar(select(Organisation).where(Organisation.name == "МБОУ «СШ № 2» г. Смоленска"))
        assert member is not None
        assert school2 is not None
        member.organisation_id = school2.id  # moved to another school, approved there
        await session.commit()
        assert await publishing.catch_up_member(session, member) == 1
        await session.commit()  # the commit hook wakes the delivery worker
    await emulator.wait_until(lambda: len(emulator.messages(people.director)) == 2, what="the second school's copy")

    await withdraw_latest(emulator)
    await emulator.wait_until(
        lambda: any("отозвана" in m.text for m in emulator.messages(people.director)), what="the withdrawal notice"
    )
    await asyncio.sleep(0.3)
    assert len([m for m in emulator.messages(people.director) if "отозвана" in m.text]) == 1


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an old binary Word document


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("picture.png", b"\x89PNG\r\n\x1a\n....", ".docx, .odt, .rtf, .pdf или .txt"),
        ("resolution.doc", OLE2, "сохраните его как .docx"),
        ("renamed.docx", OLE2, "сохраните его как .docx"),  # the extension lies: not «файл повреждён»
    ],
)
async def test_wrong_file_type_gets_a_clear_answer(
    app: App, emulator: TelegramEmulator, name: str, data: bytes, expected: str
) -> None:
    await emulator.send_document(ADMIN_ID, name, data)
    (reply,) = await emulator.wait_for(ADMIN_ID)
    assert expected in reply.text


async def test_oversized_file_is_refused_before_download(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_document(ADMIN_ID, "big.pdf", b"%PDF-1.4", size=15 * 1024 * 1024)
    (reply,) = await emulator.wait_for(ADMIN_ID)
    assert "слишком большой" in reply.text
    assert "10 МБ" in reply.text


async def test_malformed_document_gets_the_parsers_reason(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_document(ADMIN_ID, "broken.docx", b"PK\x03\x04 this is not a real zip")
    (reply,) = await emulator.wait_for(ADMIN_ID)
    assert reply.text.startswith("Не удалось разобрать «broken.docx»")


@pytest.mark.parametrize(
    ("name", "items_by_role"),
    [
        ("000_c86ad68a80c6978d.txt", {"region": 3, "institute": 2, "municipality": 4}),
        ("001_551996ca91922486.txt", {"region": 11, "municipality": 8, "institute": 7, "school": 5, "partner": 5}),
        ("002_e77e360ac022ffa0.txt", {"municipality": 3, "institute": 2, "school": 4}),
        ("003_58c73768d9661cc6.txt", {"region": 4, "municipality": 4, "institute": 2, "school": 4}),
    ],
)
async def test_every_seed_resolution_reaches_exactly_its_roles(
    app: App, emulator: TelegramEmulator, name: str, items_by_role: dict[str, int]
) -> None:
    people = await seed_directory(app)
    chats = {
        "region": people.region,
        "institute": people.institute,
        "municipality": people.officer,
        "school": people.director,
        "partner": people.partner,
    }
    await publish(emulator, await upload(emulator, SEED / name))
    await wait_final_summary(emulator)
    for role, chat in chats.items():
        received = emulator.messages(chat)
        if role not in items_by_role:
            assert received == [], f"{role} is not addressed by {name}"
            continue
        buttons = [t for m in received for t in m.button_texts]
        assert len(buttons) == items_by_role[role], role  # one «Ознакомлен» per item of that role


async def test_a_heading_naming_one_municipality_targets_it_alone(app: App, emulator: TelegramEmulator) -> None:
    people = await seed_directory(app)
    async with app.session_factory() as session:
        vyazma = await add_org(
            session, "municipality", "муниципальное образование «Вяземский район» Смоленской области"
        )
        await add_member(session, 3100, vyazma)
    text = (
        "Резолюция совещания\n\nУчастники рекомендуют:\n\n"
        "Комитету по образованию Администрации муниципального образования «Вяземский район» Смоленской области:\n"
        "- провести муниципальный семинар до 1 декабря 2027 года.\n"
    )
    await emulator.send_message(ADMIN_ID, "/publish")
    await emulator.wait_for(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, text)
    preview = (await emulator.wait_for(ADMIN_ID, timeout=10))[-1]
    assert "Только организации: «муниципальное образование «Вяземский район»" in preview.text
    assert "Получат сейчас: 1 организация, 1 участник" in preview.text
    await publish(emulator, preview)
    await wait_final_summary(emulator)
    assert len(emulator.messages(3100)) == 1
    assert emulator.messages(people.officer) == []  # город Смоленск is not addressed


async def test_unknown_role_must_be_mapped_before_publishing(app: App, emulator: TelegramEmulator) -> None:
    people = await seed_directory(app)
    text = "Резолюция\n\nУчастники рекомендуют:\n\nРодителям обучающихся:\n- посетить родительские собрания.\n"
    await emulator.send_message(ADMIN_ID, "/publish")
    await emulator.wait_for(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, text)
    preview = (await emulator.wait_for(ADMIN_ID, timeout=10))[-1]
    assert "Роль: не определена" in preview.text
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, preview, "1: указать роль"))
    (choice,) = await emulator.wait_for(ADMIN_ID)
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, choice, "Школы"))
    updated = (await emulator.wait_for(ADMIN_ID, timeout=10))[-1]
    assert "Роль: образовательная организация" in updated.text
    await publish(emulator, updated)
    await wait_final_summary(emulator)
    assert len(emulator.messages(people.director)) == 1


async def test_a_member_who_joins_later_receives_open_items(app: App, emulator: TelegramEmulator) -> None:
    from models import membership
    from models.entities import Organisation
    from models.timeutil import utcnow

    await seed_directory(app)
    await publish(emulator, await upload(emulator, SEED / "002_e77e360ac022ffa0.txt"))
    await wait_final_summary(emulator)
    async with app.session_factory() as session:
        school = await session.scalar(select(Organisation).where(Organisation.name == "МБОУ «СШ № 1» г. Смоленска"))
        assert school is not None
        invite = await membership.create_invite(
            session,
            organisation_id=school.id,
            role="school",
            created_by=ADMIN_ID,
            admin_ids=app.settings.admin_ids,
            ttl_days=14,
            now=utcnow(),
        )
    newcomer = 3200
    await emulator.send_message(newcomer, f"/start {invite.code}")
    welcome, items = await emulator.wait_for(newcomer, count=2, timeout=10)
    assert "Готово" in welcome.text
    assert "Резолюция областного вебинара" in items.text
    assert len(items.button_texts) == 4  # the four school items
