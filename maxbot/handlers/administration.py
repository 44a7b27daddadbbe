"""Membership administration on MAX, as on Telegram (`handlers/admin.py`): /invite (admins any
organisation, municipal officers their schools; the link in both messengers' forms), /members with
«Исключить», and the directory import for admins (/orgs, or a .csv/.xlsx sent with the offer to load it).
The screens are `ui.administration`'s; the services decide again on every action."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from aiogram.filters.callback_data import CallbackData
from maxapi import Router
from maxapi.filters.command import Command
from maxapi.types import MessageCreated

from maxbot.client import TooLargeError
from maxbot.handlers.base import Act, Press, PressHandler, State, TextStep, document_of, plain
from models import membership, policy
from models.entities import Member, Organisation
from models.timeutil import utcnow
from ui import administration, texts
from ui.callbacks import AdminAction, AdminCb, DirectoryCb
from ui.keyboards import directory_offer_keyboard, invite_keyboard, remove_confirm_keyboard


def _actor(act: Act) -> policy.Actor:
    return policy.Actor(act.principal, act.member)


async def on_invite_command(event: MessageCreated, act: Act) -> None:
    screen = await administration.invite_start(act.session, _actor(act), act.deps.config.admin_ids)
    if screen is None:
        await act.say(texts.UNKNOWN_COMMAND)  # the command does not exist for this user
        return
    await act.say(*screen)


async def on_members_command(event: MessageCreated, act: Act) -> None:
    screen = administration.members_start(_actor(act), act.deps.config.admin_ids)
    if screen is None:
        await act.say(texts.UNKNOWN_COMMAND)
        return
    await act.say(*screen)


async def on_admin(press: Press, data: AdminCb) -> None:
    handler = ADMIN_ACTIONS.get(data.action)
    if handler is None:
        await press.answer(texts.STALE_BUTTON)
        return
    await handler(press, data)


async def _list(press: Press, data: AdminCb) -> None:
    act = press.act
    screen = await administration.organisation_page(act.session, data, _actor(act), act.deps.config.admin_ids)
    if screen is None:
        await press.answer(texts.STALE_BUTTON)
        return
    await press.answer(texts.INVITE_CHOOSE_ORG)
    await act.edit(press.mid, *screen)


async def _invite(press: Press, data: AdminCb) -> None:
    act = press.act
    config = act.deps.config
    org = await act.session.get(Organisation, data.organisation_id)
    if org is None or not policy.can_invite(_actor(act), org, config.admin_ids, org.kind):
        await press.answer(texts.INVITE_FORBIDDEN)
        return
    invite = await membership.create_invite(
        act.session,
        organisation_id=org.id,
        role=org.kind,
        created_by=act.principal,
        admin_ids=config.admin_ids,
        ttl_days=config.invite_ttl_days,
        now=utcnow(),
    )
    await press.answer(texts.MAX_INVITE_READY)
    links = [("MAX", texts.max_invite_link(await act.deps.client.username(), invite.code))]
    if act.deps.telegram_username is not None:  # Telegram runs too: the same code opens the bot there
        links.append(("Telegram", membership.invite_link(await act.deps.telegram_username(), invite.code)))
    await act.say(administration.invite_text(org, invite, links), invite_keyboard(invite.id))


async def _revoke(press: Press, data: AdminCb) -> None:
    act = press.act
    try:
        await membership.revoke_invite(
            act.session,
            invite_id=data.invite_id,
            actor_user_id=act.principal,
            admin_ids=act.deps.config.admin_ids,
            now=utcnow(),
        )
    except membership.MembershipError as exc:
        await press.answer(texts.MEMBERSHIP_REFUSALS[exc.refusal])
        return
    await press.settle(texts.INVITE_REVOKED)


async def _members(press: Press, data: AdminCb) -> None:
    act = press.act
    org = await act.session.get(Organisation, data.organisation_id)
    if org is None or not policy.may_view(_actor(act), org, act.deps.config.admin_ids):
        await press.answer(texts.STALE_BUTTON)
        return
    await press.answer(texts.MAX_OPENED_LIST)
    await act.say(*await administration.members_screen(act.session, org))


async def _remove_ask(press: Press, data: AdminCb) -> None:
    """«Исключить» asks first: removing stops everything the member receives."""
    act = press.act
    target = await act.session.get(Member, data.member_id)
    org = await act.session.get(Organisation, target.organisation_id) if target and target.organisation_id else None
    if target is None or org is None or not policy.manages(_actor(act), org, act.deps.config.admin_ids):
        await press.answer(texts.STALE_BUTTON)
        return
    await press.answer(texts.MAX_ASKED_CONFIRM)
    text = texts.REMOVE_ASK.format(name=texts.esc(target.full_name or "без имени"), org=texts.esc(org.name))
    await act.say(text, remove_confirm_keyboard(target.id))


async def _remove_keep(press: Press, data: AdminCb) -> None:
    await press.settle(texts.REMOVE_KEPT)


async def _remove(press: Press, data: AdminCb) -> None:
    act = press.act
    result = await membership.remove_member(
        act.session, member_id=data.member_id, actor_user_id=act.principal, admin_ids=act.deps.config.admin_ids
    )
    if result.outcome != membership.RemovalOutcome.REMOVED or result.member is None:
        name = result.member.full_name if result.member is not None else None
        org_name = result.organisation.name if result.organisation is not None else None
        await press.answer(plain(texts.removal_message(result.outcome, name, org_name)))
        return
    await press.settle(texts.MEMBER_REMOVED)


ADMIN_ACTIONS: dict[AdminAction, PressHandler] = {
    **dict.fromkeys(administration.LIST_ACTIONS, _list),
    AdminAction.INVITE_ORG: _invite,
    AdminAction.REVOKE: _revoke,
    AdminAction.MEMBERS_ORG: _members,
    AdminAction.REMOVE_ASK: _remove_ask,
    AdminAction.REMOVE_KEEP: _remove_keep,
    AdminAction.REMOVE: _remove,
}


# -- the directory -----------------------------------------------------------------------------------------


async def _import(act: Act, name: str, url: str, size: int | None) -> None:
    limit = act.deps.max_upload_bytes
    problem = administration.directory_problem(name, size, limit)
    if problem is not None:
        await act.say(problem)
        return
    try:
        content = await act.deps.client.download(url, limit)
    except TooLargeError as exc:
        await act.say(administration.directory_problem(name, exc.size, limit) or texts.STALE_BUTTON)
        return
    for part in await administration.import_directory(act.session, name, content, act.principal, limit=limit):
        await act.say(part)


async def on_orgs_command(event: MessageCreated, act: Act) -> None:
    """/orgs: the directory file right in this message (sent with the caption /orgs), or next."""
    if not act.is_admin:
        await act.say(texts.UNKNOWN_COMMAND)
        return
    await act.context.clear()
    document = document_of(event)
    if document is not None:
        await _import(act, *document)
        return
    await act.context.set_state(State.DIRECTORY_FILE)
    await act.say(texts.ORGS_ASK)


async def _step_directory(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    document = document_of(event)
    if document is None:
        await act.say(texts.ORGS_ASK)
        return
    await act.context.clear()
    await _import(act, *document)


async def unprompted(act: Act, event: MessageCreated, text: str) -> bool:
    """A table an admin sends outside any step is more likely the directory than a resolution: offered."""
    document = document_of(event)
    if not act.is_admin or document is None or PurePath(document[0]).suffix.lower() not in {".csv", ".xlsx", ".xls"}:
        return False
    name, url, size = document
    await act.context.update_data(directory_name=name, directory_url=url, directory_size=size)
    await act.say(texts.DIRECTORY_OFFER.format(name=texts.esc(name)), directory_offer_keyboard())
    return True


async def on_directory_offer(press: Press, data: DirectoryCb) -> None:
    act = press.act
    stored = await act.context.get_data()
    if not act.is_admin or "directory_url" not in stored:
        await press.answer(texts.STALE_BUTTON)
        return
    await act.context.clear()
    await press.settle(texts.MAX_READING)
    size = stored.get("directory_size")
    await _import(act, str(stored["directory_name"]), str(stored["directory_url"]), int(size) if size else None)


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = (
    (AdminCb, on_admin),
    (DirectoryCb, on_directory_offer),
)
STEPS: dict[str, TextStep] = {State.DIRECTORY_FILE: _step_directory}


def register(router: Router) -> None:
    router.message_created.register(on_invite_command, Command("invite"))
    router.message_created.register(on_members_command, Command("members"))
    router.message_created.register(on_orgs_command, Command("orgs"))
