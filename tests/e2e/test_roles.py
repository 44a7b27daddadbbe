"""Every role finds its way: the command menu follows the role (per chat), and every command in a role's
menu answers that role usefully."""

from __future__ import annotations

import json

from bot.app import MENU_VERSION, App
from models import membership
from models.policy import Audience
from tests.e2e.harness import ADMIN_ID
from tests.e2e.test_membership import DIRECTOR, OFFICER, STRANGER, officer_invites_school_one, press, seed
from tests.emulator import TelegramEmulator
from ui.menus import MENUS

USELESS = ("Такой команды нет", "Эта команда — для участников", "недоступ")


def menu_of(emulator: TelegramEmulator, chat_id: int) -> list[str] | None:
    """The commands the emulator holds for this chat's own scope (None: the default menu applies)."""
    for (scope, _lang), commands in emulator.commands.items():
        data = json.loads(scope)
        if data.get("type") == "chat" and data.get("chat_id") == chat_id:
            return [c["command"] for c in commands]
    return None


def expected(audience: Audience) -> list[str]:
    return [c.command for c in MENUS[audience]]


async def every_command_answers(emulator: TelegramEmulator, user: int, audience: Audience) -> None:
    for command in expected(audience):
        emulator.skip_pending(user)
        await emulator.send_message(user, f"/{command}")
        (reply,) = await emulator.wait_for(user, timeout=10)
        assert reply.text, command
        assert not any(useless in reply.text for useless in USELESS), (command, reply.text)
        if command in {"publish", "leave"}:
            await emulator.send_message(user, "/cancel")  # leave the step it started
            await emulator.wait_for(user)


async def test_the_menu_follows_the_role_and_every_command_in_it_answers(app: App, emulator: TelegramEmulator) -> None:
    await seed(app)
    assert menu_of(emulator, ADMIN_ID) == expected(Audience.ADMIN)
    await every_command_answers(emulator, ADMIN_ID, Audience.ADMIN)
    await every_command_answers(emulator, STRANGER, Audience.GUEST)  # the default menu is a guest's

    # The officer was written into the database directly: the start-up sync (here, a newer menu version)
    # gives members who never went through a role change their menu.
    async with app.session_factory() as session:
        assert await membership.sync_menus(session, MENU_VERSION + 1) == 2
    await emulator.wait_until(lambda: menu_of(emulator, OFFICER) == expected(Audience.OFFICER), what="officer menu")
    await every_command_answers(emulator, OFFICER, Audience.OFFICER)

    code = await officer_invites_school_one(emulator)
    await emulator.send_message(DIRECTOR, f"/start {code}", first_name="Анна")
    await emulator.wait_for(DIRECTOR)
    await emulator.wait_until(lambda: menu_of(emulator, DIRECTOR) == expected(Audience.MEMBER), what="member menu")
    await every_command_answers(emulator, DIRECTOR, Audience.MEMBER)

    # Leaving takes the member's menu back to a guest's.
    emulator.skip_pending(DIRECTOR)
    await emulator.send_message(DIRECTOR, "/leave")
    (ask,) = await emulator.wait_for(DIRECTOR)
    await press(emulator, DIRECTOR, ask, "Да, выйти")
    await emulator.wait_until(lambda: menu_of(emulator, DIRECTOR) == expected(Audience.GUEST), what="guest menu")
