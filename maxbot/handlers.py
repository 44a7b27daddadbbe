"""What a member does on MAX, through the same services the aiogram handlers call (`handlers/reports.py`).

maxapi delivers three kinds of update here: `bot_started` (the dialog opened, with a deep link's payload),
`message_created` (commands, and answers to a question the bot asked) and `message_callback` (a button).
Button payloads are Telegram's packed callback data (`ui.callbacks`), parsed by the same typed classes; every
press is authorised again by the services, and every press is answered (MAX shows the notification).
Someone who acts is named to the services by their principal id (`models.channels`), so a director on MAX
and one on Telegram are the same to every rule.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from maxapi import Router
from maxapi.context import BaseContext
from maxapi.filters.command import Command
from maxapi.filters.middleware import BaseMiddleware, HandlerCallable
from maxapi.types import BotStarted, MessageCallback, MessageCreated
from maxapi.types.updates import UpdateUnion
from maxapi.types.users import User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from maxbot.client import MaxClient
from maxbot.keyboards import body
from maxbot.render import MaxRenderer
from models import channels, execution, membership, oversight, policy, reports
from models.channels import Channel, LinkOutcome
from models.config import Config
from models.entities import Approval, Member, Status
from models.notices import load_items
from models.timeutil import local_today, utcnow
from ui import texts
from ui.callbacks import (
    AnswerCb,
    ChannelCb,
    CommentCb,
    ExtAction,
    ExtCb,
    ProgressCb,
    ReportAction,
    ReportCb,
    ReviewAction,
    ReviewCb,
    SnoozeCb,
    TasksCb,
)
from ui.keyboards import details_keyboard, tasks_keyboard
from ui.reporting import ACTION_STATUS, EVIDENCE, HELD

TASKS_PAGE = 5
PROGRESS_ROWS = 10


class State:
    """What the bot waits for in a dialog (the maxapi context keeps it per user)."""

    COMMENT = "report:comment"  # comment and files after a status report
    ITEM_COMMENT = "report:item_comment"
    ANSWER = "report:answer"
    RETURN_COMMENT = "report:return_comment"
    EXTENSION_DATE = "report:extension_date"
    EXTENSION_REASON = "report:extension_reason"


@dataclass(frozen=True, slots=True)
class MaxDeps:
    """What the MAX handlers need, built once by `maxbot.app`."""

    session_factory: async_sessionmaker[AsyncSession]
    config: Config
    client: MaxClient
    renderer: MaxRenderer
    limiter: membership.AttemptLimiter
    timezone: str
    telegram_username: str | None = None


@dataclass(slots=True)
class Act:
    """One update: who acts, as whom, and how to answer."""

    deps: MaxDeps
    session: AsyncSession
    user: User
    member: Member | None
    context: BaseContext

    @property
    def principal(self) -> int:
        """How the services know this person: their Member's user id, else their MAX id as a principal id."""
        return self.member.user_id if self.member is not None else channels.principal_for_max(self.user.user_id)

    def today(self) -> date:
        return local_today(self.member.timezone if self.member else None, self.deps.timezone)

    async def say(self, text: str, markup: InlineKeyboardMarkup | None = None) -> str:
        return await self.deps.client.send(self.user.user_id, body(text, markup))

    async def edit(self, mid: str | None, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        if mid:
            await self.deps.client.edit(mid, body(text, markup))


def _user_of(event: Any) -> User | None:
    if isinstance(event, MessageCallback):
        return event.callback.user
    if isinstance(event, MessageCreated):
        return event.message.sender
    if isinstance(event, BotStarted):
        return event.user
    return None


class DepsMiddleware(BaseMiddleware):
    """One database session per update and the member behind the MAX user, like the aiogram middlewares."""

    def __init__(self, deps: MaxDeps) -> None:
        self.deps = deps

    async def __call__(self, handler: HandlerCallable, event_object: UpdateUnion, data: dict[str, Any]) -> Any:
        user = _user_of(event_object)
        if user is None or user.is_bot:
            return None
        async with self.deps.session_factory() as session:
            found = await channels.member_on(session, Channel.MAX, user.user_id)
            member = None
            if found is not None:
                member = await session.scalar(
                    select(Member).options(joinedload(Member.organisation)).where(Member.id == found.id)
                )
            data["act"] = Act(self.deps, session, user, member, data["context"])
            return await handler(event_object, data)


def _plain(text: str) -> str:
    """Notifications are plain text; the bot's texts are HTML."""
    return html.unescape(text).replace("<b>", "").replace("</b>", "")[:200]


def _full_name(user: User) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p)


# -- opening the dialog, joining, linking -----------------------------------------------------------------


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
        await _link(act, payload)
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
    await act.say(texts.MAX_START_GUEST)


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
        full_name=_full_name(act.user),
        username=act.user.username,
        now=utcnow(),
    )
    if result.failed_attempt:
        limiter.failed(act.principal)
    org_name = result.organisation.name if result.organisation is not None else None
    if result.ok and result.member is not None:
        limiter.succeeded(act.principal)
        member = result.member
        if member.max_user_id is None:
            member.max_user_id = act.user.user_id
            member.preferred_channel = str(Channel.MAX)  # joined here: notices come here
            await act.session.commit()
    await act.say(texts.join_message(result.outcome, org_name))


async def _link(act: Act, code: str) -> None:
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
    await _link(act, text.partition(" ")[2])


async def on_help(event: MessageCreated, act: Act) -> None:
    await act.say(texts.MAX_HELP)


async def on_cancel(event: MessageCreated, act: Act) -> None:
    await act.context.clear()
    await act.say(texts.CANCELLED)


async def on_me(event: MessageCreated, act: Act) -> None:
    member = act.member
    if not policy.is_approved(member) or member is None:
        await act.say(texts.NOT_MEMBER)
        return
    code = await channels.issue_link_code(act.session, member, Channel.TELEGRAM, utcnow())
    preferred = (await channels.load_reach(act.session, [member.id]))[member.id].preferred_channel()
    text = texts.MAX_ME.format(
        name=texts.esc(member.full_name or "коллега"),
        org=texts.esc(member.organisation.name if member.organisation else ""),
        channel=texts.CHANNEL_NAMES[preferred],
        code=code,
    )
    other = preferred.other
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.CHANNEL_PREFER.format(channel=texts.CHANNEL_NAMES[other]), callback_data=ChannelCb(channel=other)
    )
    await act.say(text, builder.as_markup())


# -- /tasks and /progress -----------------------------------------------------------------------------


async def tasks_page(act: Act, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    member = act.member
    assert member is not None
    assert member.organisation_id is not None
    lines, total = await reports.open_tasks(
        act.session, member.organisation_id, act.today(), offset=page * TASKS_PAGE, limit=TASKS_PAGE
    )
    if total == 0:
        return texts.TASKS_EMPTY, None
    pages = (total + TASKS_PAGE - 1) // TASKS_PAGE
    first = page * TASKS_PAGE + 1
    blocks = [texts.TASKS_HEAD.format(shown=f"{first}–{first + len(lines) - 1}", total=total)]
    blocks += [
        texts.task_line(first + i, t.resolution_title, t.text, t.due, t.status, t.overdue) for i, t in enumerate(lines)
    ]
    colleagues = await oversight.paused_members(
        act.session, [member.organisation_id], act.today(), exclude_member_id=member.id
    )
    if colleagues:
        blocks.append(texts.paused_block(colleagues, with_org=False))
    markup = tasks_keyboard([(first + i, t.assignment_id, t.status) for i, t in enumerate(lines)], page, pages)
    return "\n\n".join(blocks), markup


async def on_tasks(event: MessageCreated, act: Act) -> None:
    if not policy.is_approved(act.member):
        await act.say(texts.NOT_MEMBER)
        return
    await act.say(*await tasks_page(act, 0))


async def on_progress(event: MessageCreated, act: Act) -> None:
    """The resolutions with their figures, as the first level of Telegram's /progress."""
    scope = policy.oversight_scope(policy.Actor(act.principal, act.member), act.deps.config.admin_ids)
    if scope is None:
        await act.say(texts.NOT_MEMBER)
        return
    if scope.organisation_id is not None:
        found, total = await oversight.resolutions_of(act.session, scope.organisation_id, offset=0, limit=PROGRESS_ROWS)
        if not total:
            await act.say(texts.TASKS_EMPTY)
            return
        blocks = [texts.PROGRESS_LIST_HEAD.format(shown=f"1–{len(found)}", total=total)]
        blocks += [f"<b>{texts.esc(title)}</b>" for _rid, title in found]
        await act.say("\n\n".join([*blocks, "/tasks"]))
        return
    listed = await execution.resolutions(
        act.session, act.today(), municipality_id=scope.municipality_id, offset=0, limit=PROGRESS_ROWS
    )
    if not listed.total:
        await act.say(texts.TASKS_EMPTY)
        return
    blocks = [texts.PROGRESS_LIST_HEAD.format(shown=f"1–{len(listed.items)}", total=listed.total)]
    blocks += [f"<b>{texts.esc(r.title)}</b>\n{texts.figures_line(r.figures)}" for r in listed.items]
    await act.say("\n\n".join([*blocks, texts.MAX_PROGRESS_MORE]))


# -- free text: the answer to the question the bot asked -------------------------------------------------


def _file_of(event: MessageCreated) -> tuple[str, str] | None:
    """A file or a photo the member sent, as (MAX token, ReportFile.kind)."""
    message_body = event.message.body
    for attachment in (message_body.attachments if message_body else None) or []:
        kind = str(getattr(attachment, "type", ""))
        token = getattr(getattr(attachment, "payload", None), "token", None)
        if token and kind in {"file", "image"}:
            return str(token), "max_file" if kind == "file" else "max_image"
    return None


async def on_text(event: MessageCreated, act: Act) -> None:
    text = ((event.message.body.text if event.message.body else "") or "").strip()
    state = await act.context.get_state()
    if state is None:
        if len(channels.normalise_code(text)) == channels.LINK_CODE_LENGTH and " " not in text:
            await _link(act, text)  # a link code sent on its own
            return
        await act.say(texts.UNKNOWN_COMMAND if text.startswith("/") else texts.FREE_TEXT)
        return
    data = await act.context.get_data()
    if state == State.COMMENT:
        await _comment(act, int(data.get("report_id", 0)), text, _file_of(event))
        return
    if not text or text.startswith("/"):
        await act.say(texts.FREE_TEXT)
        return
    if state == State.ITEM_COMMENT:
        await act.context.clear()
        await _comment_on_item(act, int(data.get("assignment_id", 0)), text)
    elif state == State.ANSWER:
        await act.context.clear()
        refusal = await reports.answer_item(
            act.session,
            user_id=act.principal,
            assignment_id=int(data.get("assignment_id", 0)),
            text=text,
            config=act.deps.config,
        )
        await act.say(texts.refusal(refusal) if refusal is not None else texts.ANSWER_SENT)
    elif state == State.RETURN_COMMENT:
        await act.context.clear()
        await _return(act, int(data.get("assignment_id", 0)), text, str(data.get("review_mid") or ""))
    elif state == State.EXTENSION_DATE:
        await _extension_date(act, int(data.get("assignment_id", 0)), text)
    elif state == State.EXTENSION_REASON:
        await act.context.clear()
        refusal = await reports.request_extension(
            act.session,
            act.member,
            assignment_id=int(data.get("assignment_id", 0)),
            new_due=date.fromisoformat(str(data.get("new_due"))),
            reason=text,
            today=act.today(),
            config=act.deps.config,
        )
        await act.say(texts.refusal(refusal) if refusal is not None else texts.EXTENSION_SENT)


async def _comment(act: Act, report_id: int, text: str, file: tuple[str, str] | None) -> None:
    saved = await reports.attach_to_report(act.session, act.member, report_id, comment=text or None, file=file)
    if saved is None:
        await act.context.clear()
        await act.say(texts.STALE_BUTTON)
        return
    if Status(saved.status) in HELD:
        await act.say(texts.REPORT_DETAIL_SAVED, details_keyboard(saved.id, added=True))
        return
    await act.context.clear()
    await act.say(texts.REPORT_FILE_SAVED if file else texts.REPORT_COMMENT_SAVED)


async def _comment_on_item(act: Act, assignment_id: int, text: str) -> None:
    before = await reports.load_item(act.session, assignment_id)
    refusal = await reports.comment_on_item(act.session, act.member, assignment_id, text, act.deps.config)
    if refusal is not None:
        await act.say(texts.refusal(refusal))
        return
    waiting = before is not None and before.assignment.status in (Status.DONE, Status.BLOCKED)
    await act.say(texts.ITEM_COMMENT_SENT if waiting else texts.ITEM_COMMENT_SAVED)


async def _return(act: Act, assignment_id: int, comment: str, review_mid: str) -> None:
    _item, refusal = await reports.review(
        act.session,
        reviewer_id=act.principal,
        assignment_id=assignment_id,
        accept=False,
        comment=comment,
        config=act.deps.config,
    )
    if refusal is not None:
        await act.say(texts.refusal(refusal))
        return
    await act.say(texts.REVIEW_RETURNED)
    if review_mid:  # the question is settled: its buttons would only lead to "already reviewed"
        await act.deps.client.edit(review_mid, {"text": None, "attachments": []})


async def _extension_date(act: Act, assignment_id: int, text: str) -> None:
    try:
        new_due = datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        await act.say(texts.EXTENSION_BAD_DATE)
        return
    item = await reports.load_item(act.session, assignment_id)
    refusal = reports.check_access(act.member, item)
    if refusal is not None or item is None:
        await act.context.clear()
        await act.say(texts.refusal(refusal))
        return
    problem = reports.extension_date_problem(item.assignment.due, new_due, act.today())
    if problem is not None:
        await act.say(texts.refusal(problem))
        return
    await act.context.update_data(new_due=new_due.isoformat())
    await act.context.set_state(State.EXTENSION_REASON)
    await act.say(texts.EXTENSION_ASK_REASON)


# -- buttons ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Press:
    act: Act
    callback_id: str
    mid: str | None
    answered: bool = False

    async def answer(self, notification: str) -> None:
        self.answered = True
        await self.act.deps.client.answer(self.callback_id, notification=_plain(notification))


async def on_report(press: Press, data: ReportCb) -> None:
    act = press.act
    if data.action == ReportAction.OPEN:
        item = await reports.load_item(act.session, data.assignment_id)
        refusal = reports.check_access(act.member, item)
        if refusal is not None or item is None:
            await press.answer(texts.refusal(refusal))
            return
        await press.answer(texts.MAX_OPENED)
        facts = (await load_items(act.session, [item.assignment.id]))[item.assignment.id]
        card = await act.deps.renderer.card(act.session, facts)
        await act.say(card.text, card.markup)
        return
    if data.action == ReportAction.COMMENT:
        refusal = reports.check_access(act.member, await reports.load_item(act.session, data.assignment_id))
        if refusal is not None:
            await press.answer(texts.refusal(refusal))
            return
        await press.answer(texts.MAX_ASKED)
        await act.context.set_state(State.ITEM_COMMENT)
        await act.context.update_data(assignment_id=data.assignment_id)
        await act.say(texts.ITEM_COMMENT_ASK)
        return
    status = ACTION_STATUS[data.action]
    item, row, refusal = await reports.report(
        act.session, act.member, data.assignment_id, status, config=act.deps.config
    )
    if refusal is not None or item is None:
        await press.answer(texts.refusal(refusal))
        return
    current = item.assignment.status
    if row is None and current in (status, Status.ACCEPTED):
        await press.answer(texts.REPORT_SAME)
    elif row is None:
        await press.answer(texts.REPORT_STALE.format(status=texts.STATUS_NAMES[current]))
    elif data.action == ReportAction.ACK:
        await press.answer(texts.REPORT_ACK)
    else:
        await press.answer(texts.REPORT_SAVED.format(status=texts.STATUS_NAMES[row.status]))
    # The answer is out; now the pressed message shows the new state (a resolution message, or the item card).
    if press.mid:
        fresh = await act.deps.renderer.redraw(act.session, press.mid)
        if fresh is None and data.action != ReportAction.ACK:
            fresh = await act.deps.renderer.card(
                act.session, (await load_items(act.session, [item.assignment.id]))[item.assignment.id]
            )
        if fresh is not None:
            await act.edit(press.mid, fresh.text, fresh.markup)
    if row is None or data.action == ReportAction.ACK:
        return
    await act.context.set_state(State.COMMENT)
    await act.context.update_data(report_id=row.id)
    ask = {Status.DONE: texts.REPORT_ASK_DETAILS, Status.BLOCKED: texts.REPORT_ASK_DIFFICULTY}.get(
        Status(row.status), texts.REPORT_ASK_EVIDENCE if row.status in EVIDENCE else texts.REPORT_ASK_COMMENT
    )
    await act.say(ask, details_keyboard(row.id, added=False))


async def on_details_done(press: Press, data: CommentCb) -> None:
    act = press.act
    if (await act.context.get_data()).get("report_id") == data.report_id:
        await act.context.clear()
    report = await reports.own_report(act.session, act.member, data.report_id)
    if report is None:
        await press.answer(texts.STALE_BUTTON)
        return
    await reports.finish_report(act.session, act.member, report.id)
    done = HELD.get(Status(report.status))
    await press.answer(done or texts.REPORT_DETAILS_DONE)
    text = done or (texts.REPORT_DETAILS_DONE if report.comment else texts.REPORT_NO_COMMENT)
    await act.edit(press.mid, text)


async def on_review(press: Press, data: ReviewCb) -> None:
    act = press.act
    config = act.deps.config
    if data.action == ReviewAction.ACCEPT:
        _item, refusal = await reports.review(
            act.session,
            reviewer_id=act.principal,
            assignment_id=data.assignment_id,
            accept=True,
            comment=None,
            config=config,
        )
        if refusal is not None:
            await press.answer(texts.refusal(refusal))
            return
        await press.answer(texts.REVIEW_ACCEPTED)
        if press.mid:
            await act.deps.client.edit(press.mid, {"text": None, "attachments": []})
        return
    item = await reports.load_item(act.session, data.assignment_id)
    refusal = await reports.check_review(act.session, act.principal, item, config)
    if refusal is None and item is not None and item.assignment.status != Status.DONE:
        refusal = reports.Refusal.NOT_DONE
    if refusal is not None or item is None:
        await press.answer(texts.refusal(refusal))
        return
    await press.answer(texts.MAX_ASKED)
    await act.context.set_state(State.RETURN_COMMENT)
    await act.context.update_data(assignment_id=item.assignment.id, review_mid=press.mid or "")
    await act.say(texts.REVIEW_ASK_RETURN_COMMENT)


async def on_extension(press: Press, data: ExtCb) -> None:
    act = press.act
    if data.action == ExtAction.ASK:
        refusal = reports.check_access(act.member, await reports.load_item(act.session, data.assignment_id))
        if refusal is not None:
            await press.answer(texts.refusal(refusal))
            return
        await press.answer(texts.MAX_ASKED)
        await act.context.set_state(State.EXTENSION_DATE)
        await act.context.update_data(assignment_id=data.assignment_id)
        await act.say(texts.EXTENSION_ASK_DATE)
        return
    approve = data.action == ExtAction.APPROVE
    refusal = await reports.decide_extension(
        act.session, reviewer_id=act.principal, request_id=data.request_id, approve=approve, config=act.deps.config
    )
    if refusal is not None:
        await press.answer(texts.refusal(refusal))
        return
    await press.answer(texts.EXTENSION_DONE_APPROVED if approve else texts.EXTENSION_DONE_DECLINED)
    if press.mid:
        await act.deps.client.edit(press.mid, {"text": None, "attachments": []})


async def on_snooze(press: Press, data: SnoozeCb) -> None:
    if not 1 <= data.days <= 30:
        await press.answer(texts.STALE_BUTTON)
        return
    until, refusal = await reports.snooze(
        press.act.session, press.act.member, assignment_id=data.assignment_id, days=data.days
    )
    if refusal is not None or until is None:
        await press.answer(texts.SNOOZE_CLOSED if refusal == reports.Refusal.CLOSED else texts.refusal(refusal))
        return
    word = texts.plural(data.days, "день", "дня", "дней")
    await press.answer(texts.SNOOZED.format(days=data.days, word=word))


async def on_tasks_page(press: Press, data: TasksCb) -> None:
    act = press.act
    if not policy.is_approved(act.member) or data.page < 0:
        await press.answer(texts.STALE_BUTTON)
        return
    text, markup = await tasks_page(act, data.page)
    await press.answer(f"Страница {data.page + 1}")
    await act.edit(press.mid, text, markup)


async def on_answer_ask(press: Press, data: AnswerCb) -> None:
    act = press.act
    item = await reports.load_item(act.session, data.assignment_id)
    refusal = await reports.check_review(act.session, act.principal, item, act.deps.config)
    if refusal is not None:
        await press.answer(texts.refusal(refusal))
        return
    await press.answer(texts.MAX_ASKED)
    await act.context.set_state(State.ANSWER)
    await act.context.update_data(assignment_id=data.assignment_id)
    await act.say(texts.ANSWER_ASK)


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


async def on_progress_press(press: Press, data: ProgressCb) -> None:
    await press.answer(texts.MAX_PROGRESS_MORE)


PressHandler = Callable[[Press, Any], Awaitable[None]]
PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = (
    (ReportCb, on_report),
    (CommentCb, on_details_done),
    (ReviewCb, on_review),
    (ExtCb, on_extension),
    (SnoozeCb, on_snooze),
    (TasksCb, on_tasks_page),
    (AnswerCb, on_answer_ask),
    (ChannelCb, on_channel),
    (ProgressCb, on_progress_press),
)


def parse_payload(payload: str) -> tuple[CallbackData, PressHandler] | None:
    """The typed callback data of a button, or None for anything this bot did not make (forged, or stale)."""
    for cls, handler in PRESSES:
        if payload.startswith(f"{cls.__prefix__}{cls.__separator__}"):
            try:
                return cls.unpack(payload), handler
            except (ValueError, TypeError):
                return None
    return None


async def on_callback(event: MessageCallback, act: Act) -> None:
    mid = event.message.body.mid if event.message is not None and event.message.body is not None else None
    press = Press(act, event.callback.callback_id, mid)
    parsed = parse_payload(event.callback.payload or "")
    try:
        if parsed is None:
            await press.answer(texts.STALE_BUTTON)
            return
        data, handler = parsed
        await handler(press, data)
    finally:
        if not press.answered:  # a spinner must never keep turning, whatever failed above
            await press.answer(texts.STALE_BUTTON)


def create_router() -> Router:
    router = Router(router_id="adresat")
    router.bot_started.register(on_started)
    router.message_created.register(on_start_command, Command("start"))
    router.message_created.register(on_tasks, Command("tasks"))
    router.message_created.register(on_progress, Command("progress"))
    router.message_created.register(on_me, Command("me"))
    router.message_created.register(on_link_command, Command("link"))
    router.message_created.register(on_help, Command("help"))
    router.message_created.register(on_cancel, Command("cancel"))
    router.message_created.register(on_text)
    router.message_callback.register(on_callback)
    return router
