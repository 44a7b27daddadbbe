"""Membership administration: invites (admins; municipal officers for their schools), member lists,
the directory import. Who may do what is decided again by the services for every action."""

from __future__ import annotations

import html
import io

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsAdmin, IsAdminOrMember
from handlers.linking import MaxUsername
from models import membership, policy
from models.entities import Member, Organisation
from models.timeutil import utcnow
from ui import administration, texts
from ui.callbacks import AdminAction, AdminCb, DirectoryCb
from ui.keyboards import (
    invite_keyboard,
    remove_confirm_keyboard,
)


class AdminStates(StatesGroup):
    directory_file = State()


async def invite_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    screen = await administration.invite_start(session, policy.Actor(message.from_user.id, member), settings.admin_ids)
    if screen is None:
        await message.answer(texts.UNKNOWN_COMMAND)  # the command does not exist for this user
        return
    await message.answer(screen[0], reply_markup=screen[1])


async def on_list(
    callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, member: Member | None, settings: Settings
) -> None:
    actor = policy.Actor(callback.from_user.id, member)
    screen = await administration.organisation_page(session, callback_data, actor, settings.admin_ids)
    if screen is None:
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=screen[0], markup=screen[1])


async def on_invite(
    callback: CallbackQuery,
    callback_data: AdminCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    bot: Bot,
    max_username: MaxUsername | None = None,
) -> None:
    org = await session.get(Organisation, callback_data.organisation_id)
    actor = policy.Actor(callback.from_user.id, member)
    if org is None or not policy.can_invite(actor, org, settings.admin_ids, org.kind):
        await callback.answer(texts.INVITE_FORBIDDEN, show_alert=True)
        return
    await callback.answer()
    invite = await membership.create_invite(
        session,
        organisation_id=org.id,
        role=org.kind,
        created_by=actor.user_id,
        admin_ids=settings.admin_ids,
        ttl_days=settings.invite_ttl_days,
        now=utcnow(),
    )
    me = await bot.me()
    links = [("Telegram", membership.invite_link(me.username or "", invite.code))]
    on_max = max_username() if max_username is not None else None
    if on_max:  # MAX is on: the same code opens the bot there too
        links.append(("MAX", texts.max_invite_link(on_max, invite.code)))
    if isinstance(callback.message, Message):
        text = administration.invite_text(org, invite, links)
        await callback.message.answer(text, reply_markup=invite_keyboard(invite.id))


async def on_revoke(callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, settings: Settings) -> None:
    try:
        await membership.revoke_invite(
            session,
            invite_id=callback_data.invite_id,
            actor_user_id=callback.from_user.id,
            admin_ids=settings.admin_ids,
            now=utcnow(),
        )
    except membership.MembershipError as exc:
        await callback.answer(texts.MEMBERSHIP_REFUSALS[exc.refusal], show_alert=True)
        return
    await callback.answer(texts.INVITE_REVOKED)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)


async def on_members(
    callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, member: Member | None, settings: Settings
) -> None:
    org = await session.get(Organisation, callback_data.organisation_id)
    if org is None or not policy.may_view(policy.Actor(callback.from_user.id, member), org, settings.admin_ids):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    await _show_members(callback, session, org)


async def on_remove_ask(
    callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, member: Member | None, settings: Settings
) -> None:
    """«Исключить» asks first: removing stops everything the member receives."""
    target = await session.get(Member, callback_data.member_id)
    org = await session.get(Organisation, target.organisation_id) if target and target.organisation_id else None
    if (
        target is None
        or org is None
        or not policy.manages(policy.Actor(callback.from_user.id, member), org, settings.admin_ids)
    ):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        text = texts.REMOVE_ASK.format(name=texts.esc(target.full_name or "без имени"), org=texts.esc(org.name))
        await callback.message.answer(text, reply_markup=remove_confirm_keyboard(target.id))


async def on_remove_keep(callback: CallbackQuery) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=texts.REMOVE_KEPT, markup=None)


async def on_remove(callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, settings: Settings) -> None:
    result = await membership.remove_member(
        session, member_id=callback_data.member_id, actor_user_id=callback.from_user.id, admin_ids=settings.admin_ids
    )
    if result.outcome != membership.RemovalOutcome.REMOVED or result.member is None:
        name = result.member.full_name if result.member is not None else None
        org_name = result.organisation.name if result.organisation is not None else None
        message = texts.removal_message(result.outcome, name, org_name)
        await callback.answer(html.unescape(message)[:200], show_alert=True)
        return
    await callback.answer(texts.MEMBER_REMOVED)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)


async def _show_members(callback: CallbackQuery, session: AsyncSession, org: Organisation) -> None:
    text, markup = await administration.members_screen(session, org)
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=markup)


async def members_command(message: Message, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    screen = administration.members_start(policy.Actor(message.from_user.id, member), settings.admin_ids)
    if screen is None:
        await message.answer(texts.UNKNOWN_COMMAND)
        return
    await message.answer(screen[0], reply_markup=screen[1])


async def orgs_command(message: Message, state: FSMContext) -> None:
    await state.set_state(AdminStates.directory_file)
    await message.answer(texts.ORGS_ASK)


async def directory_file(
    message: Message, bot: Bot, session: AsyncSession, settings: Settings, state: FSMContext
) -> None:
    document = message.document
    assert document is not None
    assert message.from_user is not None
    await state.clear()
    await import_directory(
        message, bot, session, settings, document.file_id, document.file_name or "справочник",
        document.file_size, message.from_user.id,
    )  # fmt: skip


async def on_directory_offer(
    callback: CallbackQuery, bot: Bot, session: AsyncSession, settings: Settings, state: FSMContext
) -> None:
    """«Загрузить как справочник» under a table sent without /orgs: the file remembered for that offer."""
    data = await state.get_data()
    await state.clear()
    if "directory_file_id" not in data or not isinstance(callback.message, Message):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    await edit_if_changed(callback.message, text=None, markup=None)
    await import_directory(
        callback.message, bot, session, settings, str(data["directory_file_id"]), str(data["directory_file_name"]),
        None, callback.from_user.id,
    )  # fmt: skip


async def import_directory(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    settings: Settings,
    file_id: str,
    name: str,
    size: int | None,
    actor: int,
) -> None:
    problem = administration.directory_problem(name, size, settings.max_upload_bytes)
    if problem is not None:
        await message.answer(problem)
        return
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    limit = settings.max_upload_bytes
    for part in await administration.import_directory(session, name, buffer.getvalue(), actor, limit=limit):
        await message.answer(part)


def create_router() -> Router:
    """Invites and member lists: admins, and municipal officers for their own schools."""
    router = Router(name="membership-admin")
    router.message.filter(IsAdminOrMember())
    router.callback_query.filter(IsAdminOrMember())
    router.message.register(invite_command, Command("invite"))
    router.message.register(members_command, Command("members"))
    router.callback_query.register(on_list, AdminCb.filter(F.action.in_(administration.LIST_ACTIONS)))
    router.callback_query.register(on_invite, AdminCb.filter(F.action == AdminAction.INVITE_ORG))
    router.callback_query.register(on_revoke, AdminCb.filter(F.action == AdminAction.REVOKE))
    router.callback_query.register(on_members, AdminCb.filter(F.action == AdminAction.MEMBERS_ORG))
    router.callback_query.register(on_remove_ask, AdminCb.filter(F.action == AdminAction.REMOVE_ASK))
    router.callback_query.register(on_remove_keep, AdminCb.filter(F.action == AdminAction.REMOVE_KEEP))
    router.callback_query.register(on_remove, AdminCb.filter(F.action == AdminAction.REMOVE))
    return router


def create_directory_router() -> Router:
    """The directory import: admins only (a CSV/XLSX document with a caption /orgs, or after /orgs)."""
    router = Router(name="directory")
    router.message.filter(IsAdmin())
    router.message.register(orgs_command, Command("orgs"), ~F.document)
    router.message.register(directory_file, F.document, F.caption.startswith("/orgs"))
    router.callback_query.register(on_directory_offer, DirectoryCb.filter(), IsAdmin())
    # After /orgs only a table is a directory: a resolution sent meanwhile goes to publishing as usual.
    router.message.register(
        directory_file, F.document.file_name.regexp(r"(?i)\.(csv|xlsx|xls)$"), StateFilter(AdminStates.directory_file)
    )
    return router
