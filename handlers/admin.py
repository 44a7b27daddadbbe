"""Membership administration: invites (admins; municipal officers for their schools), member lists,
the directory import. Who may do what is decided again by the services for every action."""

from __future__ import annotations

import asyncio
import html
import io
import tempfile
from pathlib import Path, PurePath

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsAdmin, IsAdminOrMember
from models import directory, membership, policy
from models.entities import Member, Organisation, OrgKind
from models.timeutil import utcnow
from ui import texts
from ui.callbacks import AdminAction, AdminCb, DirectoryCb
from ui.keyboards import (
    admin_kind_keyboard,
    admin_org_keyboard,
    invite_keyboard,
    members_keyboard,
    remove_confirm_keyboard,
)
from ui.messages import pack_blocks

PAGE = 8
DIRECTORY_SUFFIXES = {".csv", ".xlsx"}


class AdminStates(StatesGroup):
    directory_file = State()


def _is_admin(user_id: int, settings: Settings) -> bool:
    return user_id in settings.admin_ids


async def _officer_municipality(member: Member | None) -> int | None:
    """The municipality a municipal officer may invite schools of, if the member is one."""
    if member is None or member.organisation is None or member.organisation.kind != OrgKind.MUNICIPALITY:
        return None
    return member.organisation_id


async def invite_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    if _is_admin(message.from_user.id, settings):
        await message.answer(texts.INVITE_CHOOSE_KIND, reply_markup=admin_kind_keyboard(AdminAction.INVITE_KIND))
        return
    municipality_id = await _officer_municipality(member)
    if municipality_id is None:
        await message.answer(texts.UNKNOWN_COMMAND)  # the command does not exist for this user
        return
    orgs, total = await membership.list_organisations(
        session, (OrgKind.SCHOOL,), municipality_id=municipality_id, offset=0, limit=PAGE
    )
    markup = admin_org_keyboard(
        [(o.id, o.name) for o in orgs], AdminAction.INVITE_ORG, kind=OrgKind.SCHOOL, page=0, total=total, per_page=PAGE
    )
    await message.answer(texts.INVITE_CHOOSE_ORG, reply_markup=markup)


LIST_ACTIONS = {AdminAction.INVITE_KIND, AdminAction.INVITE_PAGE, AdminAction.MEMBERS_KIND, AdminAction.MEMBERS_PAGE}
INVITE_LISTS = {AdminAction.INVITE_KIND, AdminAction.INVITE_PAGE}


async def on_list(
    callback: CallbackQuery, callback_data: AdminCb, session: AsyncSession, member: Member | None, settings: Settings
) -> None:
    """A page of organisations to invite to or to list members of: admins any kind, officers their schools."""
    kind = callback_data.kind
    is_admin = _is_admin(callback.from_user.id, settings)
    officer_of = await _officer_municipality(member)
    if kind not in {k.value for k in OrgKind} or not (is_admin or (officer_of and kind == OrgKind.SCHOOL)):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    scope = None if is_admin else officer_of
    orgs, total = await membership.list_organisations(
        session, (kind,), municipality_id=scope, offset=callback_data.page * PAGE, limit=PAGE
    )
    pick = AdminAction.INVITE_ORG if callback_data.action in INVITE_LISTS else AdminAction.MEMBERS_ORG
    markup = admin_org_keyboard(
        [(o.id, o.name) for o in orgs], pick, kind=kind, page=callback_data.page, total=total, per_page=PAGE
    )
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=texts.INVITE_CHOOSE_ORG, markup=markup)


async def on_invite(
    callback: CallbackQuery,
    callback_data: AdminCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    bot: Bot,
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
    text = texts.INVITE_CREATED.format(
        org=texts.esc(org.name),
        role=texts.ROLE_SHORT.get(org.kind, ""),
        until=texts.fmt_date(invite.expires_at.date()),
        uses=texts.INVITE_USES_ONE if invite.max_uses == 1 else f"использований: {invite.max_uses}",
        link=membership.invite_link(me.username or "", invite.code),
    )
    if isinstance(callback.message, Message):
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
    members = await membership.list_members(session, org.id)
    if not isinstance(callback.message, Message):
        return
    if not members:
        await callback.message.answer(texts.MEMBERS_NONE.format(org=texts.esc(org.name)))
        return
    lines = [texts.MEMBERS_HEAD.format(org=texts.esc(org.name))]
    for m in members:
        lines.append(
            texts.MEMBER_LINE.format(
                name=texts.esc(m.full_name or "без имени") + (f", {texts.esc(m.position)}" if m.position else ""),
                username=f" (@{texts.esc(m.username)})" if m.username else "",
                state=texts.APPROVAL_NAMES.get(m.approval, m.approval),
            )
        )
    await callback.message.answer(
        "\n".join(lines), reply_markup=members_keyboard([(m.id, m.full_name) for m in members])
    )


async def members_command(message: Message, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    if _is_admin(message.from_user.id, settings):
        await message.answer(texts.MEMBERS_CHOOSE_ORG, reply_markup=admin_kind_keyboard(AdminAction.MEMBERS_KIND))
    elif await _officer_municipality(member) is not None:
        await message.answer(
            texts.MEMBERS_CHOOSE_ORG, reply_markup=admin_kind_keyboard(AdminAction.MEMBERS_KIND, kinds=("school",))
        )
    else:
        await message.answer(texts.UNKNOWN_COMMAND)


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
    suffix = PurePath(name).suffix.lower()
    if suffix not in DIRECTORY_SUFFIXES:
        await message.answer(texts.ORGS_FAILED.format(reason="ожидается файл .csv или .xlsx"))
        return
    if size is not None and size > settings.max_upload_bytes:
        await message.answer(texts.UPLOAD_TOO_BIG.format(size=texts.mb(size), limit=f"{settings.max_upload_mb:g}"))
        return
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"directory{suffix}"
        await asyncio.to_thread(path.write_bytes, buffer.getvalue())
        try:
            report = await directory.import_file(session, path, actor_id=actor)
        except directory.DirectoryError as exc:
            await message.answer(texts.ORGS_FAILED.format(reason=texts.esc(exc.message)))
            return
    # The import is saved; a long report (many rejected rows) comes in several messages, never as an error.
    for part in pack_blocks(texts.directory_report(report, html=True).split("\n\n")):
        await message.answer(part)


def create_router() -> Router:
    """Invites and member lists: admins, and municipal officers for their own schools."""
    router = Router(name="membership-admin")
    router.message.filter(IsAdminOrMember())
    router.callback_query.filter(IsAdminOrMember())
    router.message.register(invite_command, Command("invite"))
    router.message.register(members_command, Command("members"))
    router.callback_query.register(on_list, AdminCb.filter(F.action.in_(LIST_ACTIONS)))
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
