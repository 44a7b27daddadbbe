"""Opening the dialog on MAX: /start with an invite or a link code, /link, /help, /cancel, /me and the
preferred messenger."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from maxapi import Router
from maxapi.filters.command import Command
from maxapi.types import BotStarted, MessageCreated

from maxbot.handlers import publish
from maxbot.handlers.base import Act, Press, PressHandler, TextStep, full_name
from models import channels, membership, policy
from models.channels import Channel, LinkOutcome
from models.entities import Approval
from models.timeutil import utcnow
from ui import texts
from ui.callbacks import (
    ChannelCb,
)
from ui.keyboards import join_kind_keyboard
from ui.reporting import cancel_comment_step


async def on_started(event: BotStarted, act: Act) -> None:
    await act.context.clear()
    await _start(act, (event.payload or "").strip())


async def on_start_command(event: MessageCreated, act: Act) -> None:
    await act.context.clear()
    text = (event.message.body.text if event.message.body else "") or ""
    await _start(act, text.partition(" ")[2].strip())


async def _start(act: Act, payload: str) -> None:
    if payload and membership.is_invite_code(payload):
        await _join(act, payload)
        return
    if payload and len(channels.normalise_code(payload)) == channels.LINK_CODE_LENGTH:
        await link(act, payload)
        return
    if act.is_admin:
        await publish.admin_start(act)
        return
    member = act.member
    if policy.is_approved(member) and member is not None:
        org = member.organisation
        await act.say(
            texts.START_MEMBER.format(
                name=texts.esc(member.full_name or "коллега"),
                org=texts.esc(org.name if org else ""),
                role=texts.ROLE_SHORT.get(member.role, member.role),
            )
        )
        return
    if member is not None and member.approval == Approval.PENDING and member.organisation is not None:
        await act.say(texts.JOIN_PENDING.format(org=texts.esc(member.organisation.name)))
        return
    linking = texts.MAX_START_FROM_TELEGRAM if act.deps.telegram_username is not None else ""
    await act.say(texts.MAX_START_GUEST + linking, join_kind_keyboard())  # the wizard: maxbot/handlers/joining.py


async def _join(act: Act, code: str) -> None:
    """An invite link opened on MAX: approved at once, and the open items follow from the outbox (on MAX)."""
    limiter = act.deps.limiter
    if not limiter.allowed(act.principal):
        await act.say(texts.JOIN_THROTTLED)
        return
    result = await membership.redeem_invite(
        act.session,
        code=code,
        user_id=act.principal,
        full_name=full_name(act.user),
        username=act.user.username,
        now=utcnow(),
        max_user_id=act.user.user_id,  # joined here: notices come here
    )
    if result.failed_attempt:
        limiter.failed(act.principal)
    org_name = result.organisation.name if result.organisation is not None else None
    if result.ok and result.member is not None:
        limiter.succeeded(act.principal)
    await act.say(texts.join_message(result.outcome, org_name))


async def link(act: Act, code: str) -> None:
    outcome, _member = await channels.redeem_link_code(
        act.session, code=code, channel=Channel.MAX, user_id=act.user.user_id, now=utcnow()
    )
    if outcome is LinkOutcome.UNKNOWN:
        act.deps.limiter.failed(channels.principal_for_max(act.user.user_id))
    await act.say(texts.LINK_RESULT[outcome])


async def on_link_command(event: MessageCreated, act: Act) -> None:
    text = (event.message.body.text if event.message.body else "") or ""
    if not act.deps.limiter.allowed(channels.principal_for_max(act.user.user_id)):
        await act.say(texts.JOIN_THROTTLED)
        return
    await link(act, text.partition(" ")[2])


async def on_help(event: MessageCreated, act: Act) -> None:
    audience = policy.audience(policy.Actor(act.principal, act.member), act.deps.config.admin_ids)
    help_text = texts.help_for(audience, act.deps.max_upload_bytes / 1024 / 1024)
    if audience in (policy.Audience.GUEST, policy.Audience.ADMIN):  # what MAX_ADMIN_IDS takes
        help_text += "\n\n" + texts.MAX_ID_LINE.format(max_id=act.user.user_id)
    await act.say(help_text)


async def on_cancel(event: MessageCreated, act: Act) -> None:
    """Leaves any step; a report's comment step ends with the report sent as it is."""
    report_id = int((await act.context.get_data()).get("report_id") or 0)
    await act.context.clear()
    await act.say(await cancel_comment_step(act.session, act.member, report_id))


async def on_channel(press: Press, data: ChannelCb) -> None:
    act = press.act
    try:
        channel = Channel(data.channel)
    except ValueError:
        await press.answer(texts.STALE_BUTTON)
        return
    if act.member is None or not await channels.set_preferred(act.session, act.member, channel):
        await press.answer(texts.CHANNEL_UNREACHABLE.format(channel=texts.CHANNEL_NAMES[channel]))
        return
    await press.answer(texts.CHANNEL_PREFERRED.format(channel=texts.CHANNEL_NAMES[channel]))


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = ((ChannelCb, on_channel),)
STEPS: dict[str, TextStep] = {}


def register(router: Router) -> None:
    router.bot_started.register(on_started)
    router.message_created.register(on_start_command, Command("start"))
    router.message_created.register(on_link_command, Command("link"))
    router.message_created.register(on_help, Command("help"))
    router.message_created.register(on_cancel, Command("cancel"))
