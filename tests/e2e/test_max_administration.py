"""Membership administration on MAX: an admin loads the directory and invites, a municipal officer on MAX
invites and removes only in his own municipality; forged presses are refused. The real app polls both
emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import App
from models import channels
from models.entities import Invite, Member, Organisation
from tests.e2e.harness import add_member, add_org, make_settings, max_press, running_app
from tests.emulator import TelegramEmulator
from tests.max_emulator import TOKEN as MAX_TOKEN
from tests.max_emulator import MaxEmulator
from ui import texts
from ui.callbacks import AdminAction, AdminCb

ADMIN_MAX = 880_001
OFFICER_MAX = 770_100  # the officer of город Смоленск, on MAX
DIRECTOR_MAX = 770_101  # a director in Вязьма, on MAX

DIRECTORY = """code;kind;name;municipality_code
mo-smolensk;муниципалитет;город Смоленск;
mo-vyazma;муниципалитет;Вяземский район;
sm-1;школа;МБОУ «СШ № 1» г. Смоленска;mo-smolensk
vz-1;школа;МБОУ «СШ № 1» г. Вязьмы;mo-vyazma
"""


@pytest.fixture
async def app(emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str) -> AsyncIterator[App]:
    settings = make_settings(
        emulator.base_url,
        database_url,
        max_bot_token=MAX_TOKEN,
        max_api_base=max_emu.base_url,
        max_admin_ids=frozenset({ADMIN_MAX}),
    )
    async with running_app(settings) as running:
        yield running


async def on_max(app: App, user: int, org: Organisation) -> Member:
    async with app.session_factory() as session:
        member = await add_member(session, channels.principal_for_max(user), org)
        member.max_user_id, member.preferred_channel = user, "max"
        await session.commit()
        return member


async def test_the_admin_loads_the_directory_and_invites_on_max(
    app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    max_emu.send_file(ADMIN_MAX, "справочник.csv", DIRECTORY.encode(), caption="/orgs")
    (report,) = await max_emu.wait_for(ADMIN_MAX, timeout=10)
    assert "4" in report.text  # four organisations added
    async with app.session_factory() as session:
        names = set((await session.scalars(select(Organisation.name))).all())
    assert "МБОУ «СШ № 1» г. Вязьмы" in names

    max_emu.send_text(ADMIN_MAX, "/invite")
    (kinds,) = await max_emu.wait_for(ADMIN_MAX)
    assert kinds.text == texts.INVITE_CHOOSE_KIND
    await max_press(max_emu, ADMIN_MAX, kinds, next(t for t in kinds.button_texts if "униципалитет" in t))
    await max_emu.wait_until(lambda: "город Смоленск" in kinds.button_texts, what="the municipalities listed")
    assert await max_press(max_emu, ADMIN_MAX, kinds, "город Смоленск") == texts.MAX_INVITE_READY
    (created,) = await max_emu.wait_for(ADMIN_MAX)
    async with app.session_factory() as session:
        (invite,) = (await session.scalars(select(Invite))).all()
    # Both forms of the same code: MAX's deep link and Telegram's (both messengers run here).
    assert f"MAX: https://max.ru/{max_emu.bot_username}?start={invite.code}" in created.text
    assert f"Telegram: https://t.me/{emulator.bot_username}?start={invite.code}" in created.text
    assert created.button_texts == ["Отозвать приглашение"]

    # The officer opens the link in MAX and is the officer of город Смоленск.
    max_emu.press_start(OFFICER_MAX, payload=invite.code, name="Олег")
    (joined,) = await max_emu.wait_for(OFFICER_MAX)
    assert "город Смоленск" in joined.text


async def test_a_table_sent_without_orgs_is_offered_as_the_directory(app: App, max_emu: MaxEmulator) -> None:
    max_emu.send_file(ADMIN_MAX, "орг.csv", DIRECTORY.encode())
    (offer,) = await max_emu.wait_for(ADMIN_MAX)
    assert offer.text == texts.DIRECTORY_OFFER.format(name="орг.csv")
    await max_press(max_emu, ADMIN_MAX, offer, "Загрузить как справочник")
    await max_emu.wait_for(ADMIN_MAX, timeout=10)
    async with app.session_factory() as session:
        assert len((await session.scalars(select(Organisation))).all()) == 4


async def test_an_officer_on_max_invites_and_removes_only_in_his_municipality(app: App, max_emu: MaxEmulator) -> None:
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1» г. Смоленска", town.id)
        vyazma = await add_org(session, "municipality", "Вяземский район")
        far_school = await add_org(session, "school", "МБОУ «СШ № 1» г. Вязьмы", vyazma.id)
    await on_max(app, OFFICER_MAX, town)
    far_director = await on_max(app, DIRECTOR_MAX, far_school)

    max_emu.send_text(OFFICER_MAX, "/invite")
    (schools,) = await max_emu.wait_for(OFFICER_MAX)
    assert schools.button_texts[0] == "МБОУ «СШ № 1» г. Смоленска"
    assert "МБОУ «СШ № 1» г. Вязьмы" not in schools.button_texts
    await max_press(max_emu, OFFICER_MAX, schools, "МБОУ «СШ № 1» г. Смоленска")
    (created,) = await max_emu.wait_for(OFFICER_MAX)
    assert "https://max.ru/" in created.text
    assert await max_press(max_emu, OFFICER_MAX, created, "Отозвать приглашение") == texts.INVITE_REVOKED
    async with app.session_factory() as session:
        (revoked,) = (await session.scalars(select(Invite))).all()
    assert revoked.revoked_at is not None

    # Forged presses into Вязьма: an invite for its school, its member list, removing its director.
    for forged in (
        AdminCb(action=AdminAction.INVITE_ORG, organisation_id=far_school.id),
        AdminCb(action=AdminAction.MEMBERS_ORG, organisation_id=far_school.id),
        AdminCb(action=AdminAction.REMOVE, member_id=far_director.id),
        AdminCb(action=AdminAction.INVITE_PAGE, kind="municipality"),
    ):
        record = await max_emu.wait_answer(max_emu.click(OFFICER_MAX, schools, forged.pack()))
        assert record.notification != texts.MEMBER_REMOVED
    async with app.session_factory() as session:
        invites = (await session.scalars(select(Invite.organisation_id))).all()
        director = await session.get(Member, far_director.id)
    assert invites == [school.id]
    assert director is not None
    assert director.approval == "approved"
    assert max_emu.messages_to(OFFICER_MAX)[-1] is created  # nothing was shown for the forged presses

    # His own school's director is listed and removed, after a confirmation.
    own_director = await on_max(app, DIRECTOR_MAX + 1, school)
    max_emu.send_text(OFFICER_MAX, "/members")
    (ask,) = await max_emu.wait_for(OFFICER_MAX)
    await max_press(max_emu, OFFICER_MAX, ask, ask.button_texts[0])
    await max_emu.wait_until(lambda: "МБОУ «СШ № 1» г. Смоленска" in ask.button_texts, what="the school list")
    await max_press(max_emu, OFFICER_MAX, ask, "МБОУ «СШ № 1» г. Смоленска")
    (listed,) = await max_emu.wait_for(OFFICER_MAX)
    assert own_director.full_name in listed.text
    await max_press(max_emu, OFFICER_MAX, listed, listed.button_texts[0])
    (confirm,) = await max_emu.wait_for(OFFICER_MAX)
    assert await max_press(max_emu, OFFICER_MAX, confirm, "Да, исключить") == texts.MEMBER_REMOVED
    async with app.session_factory() as session:
        removed = await session.get(Member, own_director.id)
    assert removed is not None
    assert removed.approval != "approved" or not removed.active


async def test_members_have_no_admin_commands_on_max(app: App, max_emu: MaxEmulator) -> None:
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
    await on_max(app, DIRECTOR_MAX, school)
    for command in ("/invite", "/members", "/orgs"):
        max_emu.send_text(DIRECTOR_MAX, command)
        (answer,) = await max_emu.wait_for(DIRECTOR_MAX)
        assert answer.text == texts.UNKNOWN_COMMAND
    max_emu.send_file(DIRECTOR_MAX, "орг.csv", DIRECTORY.encode(), caption="/orgs")
    (answer,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert answer.text == texts.UNKNOWN_COMMAND
    async with app.session_factory() as session:
        assert len((await session.scalars(select(Organisation))).all()) == 2
