"""Joining: by invite link (approved at once) or by request (kind → municipality → organisation →
approval by whoever may vouch for it)."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from models import membership, oversight
from models.entities import Approval, Member, Organisation
from models.timeutil import utcnow
from ui import joining, texts
from ui.callbacks import DecisionCb, JoinCb, JoinStep
from ui.keyboards import admin_start_keyboard, join_kind_keyboard


class JoinStates(StatesGroup):
    search_school = State()
    name_and_position = State()  # the chosen organisation is in the state data


def _plain(html_text: str) -> str:
    """Alerts are plain text: the services' messages are HTML-escaped for chat messages."""
    return html.unescape(html_text)[:200]


def _full_name(user: User) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p)


async def start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    limiter: membership.AttemptLimiter,
) -> None:
    """/start <code> from an invite link: approved at once, then the open items arrive."""
    user = message.from_user
    assert user is not None
    if not limiter.allowed(user.id):
        await message.answer(texts.JOIN_THROTTLED)
        return
    result = await membership.redeem_invite(
        session,
        code=command.args or "",
        user_id=user.id,
        full_name=_full_name(user),
        username=user.username,
        now=utcnow(),
    )
    if result.failed_attempt:
        limiter.failed(user.id)
    org_name = result.organisation.name if result.organisation is not None else None
    if not result.ok or result.member is None:
        await message.answer(texts.join_message(result.outcome, org_name))
        return
    limiter.succeeded(user.id)
    await message.answer(texts.join_message(result.outcome, org_name))  # the open items follow from the outbox


async def start_guest(
    message: Message, session: AsyncSession, member: Member | None, settings: Settings, state: FSMContext
) -> None:
    """/start of someone who is not an approved member: an admin's checklist of the region, a pending
    request's state, or how to join."""
    await state.clear()
    user = message.from_user
    assert user is not None
    if user.id in settings.admin_ids:
        region = await oversight.region_state(session)
        markup = admin_start_keyboard(
            directory=bool(region.organisations),
            lonely=bool(region.municipalities_without_officer),
            published=bool(region.resolutions_published),
        )
        await message.answer(texts.admin_checklist(region), reply_markup=markup)
        return
    if member is not None and member.approval == Approval.PENDING and member.organisation is not None:
        await message.answer(texts.JOIN_PENDING.format(org=texts.esc(member.organisation.name)))
        return
    await message.answer(texts.START_GUEST, reply_markup=join_kind_keyboard())


async def on_join(
    callback: CallbackQuery,
    callback_data: JoinCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    state: FSMContext,
) -> None:
    """Every step of the request wizard; ids in the callback are re-read from the database."""
    if member is not None and member.approval == Approval.APPROVED:
        await callback.answer(texts.JOIN_ALREADY, show_alert=True)
        return
    if not joining.known_kind(callback_data.kind):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if callback_data.step == JoinStep.ORG:
        await state.clear()  # the school search ends with the choice: later free text is not a search
        await _choose(callback, callback_data, session, state)
        return
    await callback.answer()
    page = await joining.step_page(session, callback_data)
    if page.search_in is not None:
        await state.set_state(JoinStates.search_school)
        await state.update_data(municipality_id=page.search_in)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=page.text, markup=page.markup)


async def search_school(message: Message, session: AsyncSession, state: FSMContext) -> None:
    data = await state.get_data()
    municipality_id = int(data.get("municipality_id", 0))
    query = (message.text or "").strip()
    await state.update_data(query=query)  # the pages of the result ask for it again
    text, markup = await joining.found_page(session, municipality_id, query, 0)
    await message.answer(text, reply_markup=markup)


async def on_found_page(
    callback: CallbackQuery, callback_data: JoinCb, session: AsyncSession, state: FSMContext
) -> None:
    """The next page of what a school search found."""
    data = await state.get_data()
    if await state.get_state() != JoinStates.search_school.state or "query" not in data:
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    text, markup = await joining.found_page(
        session, int(data.get("municipality_id", 0)), str(data["query"]), max(0, callback_data.page)
    )
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=text, markup=markup)


async def _choose(callback: CallbackQuery, callback_data: JoinCb, session: AsyncSession, state: FSMContext) -> None:
    """The organisation is chosen: the name and position come next, then the request goes out."""
    org = await joining.chosen(session, callback_data)
    if org is None:
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    await state.set_state(JoinStates.name_and_position)
    await state.update_data(organisation_id=org.id)
    if isinstance(callback.message, Message):
        text = texts.JOIN_ASK_NAME.format(org=texts.esc(org.name))
        await edit_if_changed(callback.message, text=text, markup=None)


async def name_and_position(message: Message, session: AsyncSession, settings: Settings, state: FSMContext) -> None:
    """«Иванова Мария Петровна, директор»: the request goes out with the name and position the approver sees."""
    assert message.from_user is not None
    full_name, position = membership.split_name_and_position(message.text or "")
    if not full_name or not position:
        await message.answer(texts.JOIN_NAME_AGAIN)
        return
    organisation_id = int((await state.get_data()).get("organisation_id", 0))
    await state.clear()
    user = message.from_user
    org = await session.get(Organisation, organisation_id)
    try:
        await membership.request_membership(
            session,
            user_id=user.id,
            full_name=full_name,
            username=user.username,
            organisation_id=organisation_id,
            role=org.kind if org else None,
            position=position,
            now=utcnow(),
            admin_ids=settings.admin_ids,
        )
    except membership.MembershipError as exc:
        await message.answer(texts.MEMBERSHIP_REFUSALS[exc.refusal])
        return
    await message.answer(texts.JOIN_SENT.format(org=texts.esc(org.name if org else "")))


async def on_decision(
    callback: CallbackQuery,
    callback_data: DecisionCb,
    session: AsyncSession,
    settings: Settings,
) -> None:
    result = await membership.decide(
        session,
        member_id=callback_data.member_id,
        approver_user_id=callback.from_user.id,
        approve=callback_data.approve,
        admin_ids=settings.admin_ids,
        organisation_id=callback_data.organisation_id,
    )
    if not result.changed or result.member is None:
        state = result.member.approval if result.member is not None else None
        name = result.member.full_name if result.member is not None else None
        org_name = result.organisation.name if result.organisation is not None else None
        await callback.answer(_plain(texts.decision_message(result.outcome, name, org_name, state)), show_alert=True)
        return
    await callback.answer(texts.DECISION_APPROVED if callback_data.approve else texts.DECISION_REJECTED)
    if isinstance(callback.message, Message):
        verdict = texts.DECISION_APPROVED if callback_data.approve else texts.DECISION_REJECTED
        await edit_if_changed(callback.message, text=f"{callback.message.html_text}\n\n<b>{verdict}</b>", markup=None)


def create_router() -> Router:
    router = Router(name="onboarding")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.callback_query.register(on_found_page, JoinCb.filter(F.step == JoinStep.FOUND))
    router.callback_query.register(on_join, JoinCb.filter())
    router.callback_query.register(on_decision, DecisionCb.filter())
    router.message.register(search_school, StateFilter(JoinStates.search_school), F.text & ~F.text.startswith("/"))
    router.message.register(
        name_and_position, StateFilter(JoinStates.name_and_position), F.text & ~F.text.startswith("/")
    )
    return router


async def members_only(message: Message, settings: Settings) -> None:
    admin = message.from_user is not None and message.from_user.id in settings.admin_ids
    await message.answer(texts.ADMIN_NOT_MEMBER if admin else texts.NOT_MEMBER)


async def withdraw_request(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    """/leave of someone whose request is pending withdraws it; anyone else is told what /leave is for."""
    if member is None or member.approval != Approval.PENDING:
        await members_only(message, settings)
        return
    org = await session.get(Organisation, member.organisation_id) if member.organisation_id else None
    await membership.leave(session, member)
    await message.answer(texts.JOIN_WITHDRAWN.format(org=texts.esc(org.name if org else "")))


def create_guest_router() -> Router:
    """/start and the members' commands for whoever is not an approved member (after the members' routers)."""
    router = Router(name="guest")
    router.message.register(start_guest, CommandStart())
    router.message.register(withdraw_request, Command("leave"))
    router.message.register(members_only, Command("tasks", "me", "progress", "invite", "members", "export"))
    return router
