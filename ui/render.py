"""Notices → Telegram messages, rendered when they are sent, from the state of that moment.

The delivery worker hands over the rows it claimed; each becomes an `OutMessage` (HTML text and an inline
keyboard) or None when its subject is gone — an item closed since the reminder was planned, a request
already decided — so that nothing stale reaches anyone. Items are loaded in bulk per round.
A second messenger plugs in here: the same notices, another renderer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import BotCommand, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import policy, reports, rules
from models.config import Config
from models.entities import (
    Approval,
    Delivery,
    ExtensionRequest,
    ItemMessage,
    Member,
    Organisation,
    Resolution,
    ResolutionState,
    Status,
)
from models.notices import (
    ItemFacts,
    NoticeKind,
    item_ids,
    kind_of,
    load_items,
    load_members,
    load_report,
    shown_cards,
    shown_copies,
)
from models.rules import Kind
from models.timeutil import utcnow
from ui import texts
from ui.keyboards import (
    answer_keyboard,
    decision_keyboard,
    extension_keyboard,
    item_card_keyboard,
    reminder_keyboard,
    resolution_keyboard,
    review_keyboard,
)
from ui.menus import MENUS
from ui.messages import SEP, shorten, visible_length

MESSAGE_LIMIT = 3800  # visible characters of an item list; Telegram's limit is 4096
SNOOZE_DAYS = 3
_ITEM_KINDS = {NoticeKind.PUBLICATION, NoticeKind.REMINDER, NoticeKind.ESCALATION, NoticeKind.DIGEST}
_MEMBER_KINDS = {NoticeKind.REMINDER, NoticeKind.ESCALATION, NoticeKind.DIGEST, NoticeKind.MENU}


@dataclass(frozen=True, slots=True)
class Edit:
    """A message already in the chat, to be shown anew."""

    message_id: int
    text: str
    markup: InlineKeyboardMarkup | None


@dataclass(frozen=True, slots=True)
class OutMessage:
    text: str
    markup: InlineKeyboardMarkup | None = None
    files: tuple[tuple[str, str], ...] = ()  # (kind, file_id) sent just before the text, albums kept together
    edits: tuple[Edit, ...] = ()  # a refresh: these messages change and nothing new is sent
    menu: tuple[BotCommand, ...] | None = None  # the chat's command menu is set instead of sending


class Renderer:
    """Renders the notices of one delivery round."""

    def __init__(self, config: Config) -> None:
        self.config = config

    async def render(
        self, session: AsyncSession, rows: Sequence[Delivery], now: datetime | None = None
    ) -> list[OutMessage | None]:
        now = now or utcnow()
        kinds = [kind_of(row.payload) for row in rows]
        listed = [
            i for row, kind in zip(rows, kinds, strict=True) if kind in _ITEM_KINDS for i in item_ids(row.payload)
        ]
        items = await load_items(session, listed) if listed else {}
        # Only the kinds that read the member (their zone, their role) load them.
        wanted = [row.member_id for row, kind in zip(rows, kinds, strict=True) if kind in _MEMBER_KINDS]
        members = await load_members(session, [m for m in wanted if m is not None]) if wanted else {}
        return [
            await self._one(session, kind, row, items, members.get(row.member_id or -1), now)
            for row, kind in zip(rows, kinds, strict=True)
        ]

    def today(self, member: Member | None, now: datetime) -> date:
        zone = self.config.rules.zone
        if member is not None and member.timezone:
            with contextlib.suppress(KeyError, ValueError):  # the profile only offers valid zones
                zone = ZoneInfo(member.timezone)
        return rules.aware_utc(now).astimezone(zone).date()

    async def _one(
        self,
        session: AsyncSession,
        kind: NoticeKind | None,
        row: Delivery,
        items: dict[int, ItemFacts],
        member: Member | None,
        now: datetime,
    ) -> OutMessage | None:
        p = row.payload
        if kind is NoticeKind.TEXT:
            markup = p.get("reply_markup")
            return OutMessage(p["text"], InlineKeyboardMarkup.model_validate(markup) if markup else None)
        if kind is NoticeKind.PUBLICATION:
            return self.publication(p, items, member, now)
        if kind in (NoticeKind.REMINDER, NoticeKind.DIGEST):
            return self.reminder(p, items, member, now, digest=kind is NoticeKind.DIGEST)
        if kind is NoticeKind.ESCALATION:
            return self.escalation(p, items, member, now)
        if kind is NoticeKind.WITHDRAWN:
            title = await session.scalar(select(Resolution.title).where(Resolution.id == p["resolution_id"]))
            return OutMessage(texts.WITHDRAWN_NOTICE.format(title=texts.esc(title or "")))
        if kind in (NoticeKind.REVIEW_REQUEST, NoticeKind.REVIEW_RESULT, NoticeKind.DIFFICULTY):
            return await self.review(session, kind, p)
        if kind in (NoticeKind.ITEM_COMMENT, NoticeKind.ITEM_ANSWER):
            return await self.item_message(session, kind, p)
        if kind is NoticeKind.REFRESH:
            return await self.refresh(session, row, p)
        if kind is NoticeKind.MENU:
            return self.menu(member)
        if kind in (NoticeKind.EXTENSION_REQUEST, NoticeKind.EXTENSION_DECISION):
            return await self.extension(session, kind, p)
        if kind in (NoticeKind.JOIN_REQUEST, NoticeKind.JOIN_DECISION, NoticeKind.REMOVED):
            return await self.membership(session, kind, p)
        return None  # an unknown kind (a newer version's row): nothing sensible to show

    # -- items -------------------------------------------------------------------------------------

    def publication(
        self, p: dict[str, Any], items: dict[int, ItemFacts], member: Member | None, now: datetime
    ) -> OutMessage | None:
        facts = [items[i] for i in item_ids(p) if i in items]
        if not facts or facts[0].resolution_state != ResolutionState.PUBLISHED:
            return None
        first = facts[0]
        header = f"📄 <b>{texts.esc(first.title)}</b>"
        if first.resolution_date:
            header += f"\nот {texts.fmt_date(first.resolution_date)}"
        if p.get("parts", 1) > 1:
            header += f"\n(часть {p.get('part', 1)} из {p['parts']})"
        if p.get("part", 1) == 1:  # what to do, before the items
            dues = [f.due for f in facts if f.due is not None and f.status != Status.ACCEPTED]
            nearest = texts.NEAREST_DUE.format(due=texts.fmt_date(min(dues))) if dues else ""
            header += "\n\n" + texts.PUBLICATION_INTRO + nearest
        blocks = [header]
        grouped = len({f.addressee_id for f in facts}) > 1
        heading: int | None = None
        calendar = self.config.calendar
        for f in facts:
            block = texts.item_block(
                f.number,
                f.text,
                due=texts.describe_due(f.due, calendar) if f.due else None,
                starts=f.starts,
                recurring=f.recurring,
            )
            if grouped and f.addressee_id != heading:
                heading = f.addressee_id
                block = f"<i>{texts.esc(shorten(f.heading, 300))}</i>\n{block}"
            blocks.append(block)
        markup = resolution_keyboard((f.number, f.assignment_id, f.status) for f in facts)
        return OutMessage(SEP.join(blocks), markup)

    def note(self, f: ItemFacts, kind: str | None, today: date) -> str | None:
        """The date line of a reminded item, as of `today`."""
        calendar = self.config.calendar
        period = rules.parse_period(f.recurring, f.period)
        if kind == Kind.UNACKNOWLEDGED and f.status == Status.NEW:
            due = f", срок: {texts.describe_due(f.due, calendar)}" if f.due is not None else ""
            return texts.REMINDER_UNACKNOWLEDGED + due
        if kind == Kind.PERIOD_START and period is not None:
            return texts.reminder_period_note(period, texts.fmt_date(today))
        if f.starts is not None and (kind == Kind.START or f.due is None):
            return texts.reminder_start_note(texts.fmt_date(f.starts), (f.starts - today).days)
        if f.due is not None:
            return texts.reminder_due_note(texts.describe_due(f.due, calendar), (f.due - today).days)
        if period is not None:
            return f"🔁 {texts.PERIOD_NAMES.get(period, period)}"
        return None

    def reminder(
        self, p: dict[str, Any], items: dict[int, ItemFacts], member: Member | None, now: datetime, *, digest: bool
    ) -> OutMessage | None:
        today = self.today(member, now)
        # Reminders name (id, the rule that fired); digests only ids.
        entries = [(e[0], e[1]) if isinstance(e, list) else (e, None) for e in p["items"]]
        live = [
            (items[i], kind)
            for i, kind in entries
            if i in items
            and items[i].resolution_state == ResolutionState.PUBLISHED
            and rules.wants_reminders(items[i].status)
        ]
        if not live:
            return None  # everything was reported or closed since the reminder was planned
        blocks = [
            texts.reminder_item(f.number, f.title, f.text, None if digest else self.note(f, kind, today))
            for f, kind in live
        ]
        text, shown = _compose(texts.DIGEST_HEAD if digest else texts.REMINDER_HEAD, blocks)
        if not digest:
            text += "\n\n" + texts.REMINDER_FOOT
        markup = reminder_keyboard(
            [(f.number, f.assignment_id) for f, _ in live[:shown]], snooze_days=None if digest else SNOOZE_DAYS
        )
        return OutMessage(text, markup)

    def escalation(
        self, p: dict[str, Any], items: dict[int, ItemFacts], member: Member | None, now: datetime
    ) -> OutMessage | None:
        today = self.today(member, now)
        live = [
            items[i]
            for i in item_ids(p)
            if i in items
            and items[i].resolution_state == ResolutionState.PUBLISHED
            and rules.wants_reminders(items[i].status)
            and items[i].due is not None
        ]
        if not live:
            return None
        blocks: list[str] = []
        org: int | None = None
        for f in live:
            block = texts.reminder_item(f.number, f.title, f.text, self.note(f, None, today))
            if f.organisation_id != org:
                org = f.organisation_id
                block = texts.escalation_org(f.organisation) + "\n" + block
            blocks.append(block)
        days = texts.count(int(p.get("days", 7)), "день", "дня", "дней")
        text, _ = _compose(texts.ESCALATION_HEAD.format(days=days), blocks)
        return OutMessage(text)

    # -- reviews, extensions, membership -------------------------------------------------------------

    async def review(self, session: AsyncSession, kind: NoticeKind, p: dict[str, Any]) -> OutMessage | None:
        report = await load_report(session, p["report_id"])
        if report is None:
            return None
        f = (await load_items(session, [report.assignment_id])).get(report.assignment_id)
        if f is None or f.resolution_state != ResolutionState.PUBLISHED:
            return None
        item = texts.esc(shorten(f"{f.number}. {f.text}", 600))
        comment = ""
        if report.comment:
            comment = texts.REVIEW_COMMENT.format(comment=texts.esc(shorten(report.comment, 1500)))
        files = texts.REPORT_FILES.format(n=len(report.files)) if report.files else ""
        title = texts.esc(shorten(f.title, 200))
        if kind is NoticeKind.REVIEW_REQUEST:
            if f.status != Status.DONE:
                return None  # reviewed meanwhile, or the member changed the status back
            text = texts.REVIEW_REQUEST.format(org=texts.esc(f.organisation), item=item, title=title)
            return OutMessage(text + comment + files, review_keyboard(f.assignment_id), files=report.files)
        if kind is NoticeKind.DIFFICULTY:
            text = texts.DIFFICULTY_NOTICE.format(org=texts.esc(f.organisation), item=item, title=title)
            return OutMessage(text + comment + files, answer_keyboard(f.assignment_id), files=report.files)
        template = texts.REVIEW_ACCEPTED_NOTICE if report.status == Status.ACCEPTED else texts.REVIEW_RETURNED_NOTICE
        return OutMessage(template.format(item=item, comment=texts.esc(report.comment or "—")))

    async def item_message(self, session: AsyncSession, kind: NoticeKind, p: dict[str, Any]) -> OutMessage | None:
        message = await session.get(ItemMessage, p["message_id"])
        if message is None:
            return None
        f = (await load_items(session, [message.assignment_id])).get(message.assignment_id)
        if f is None or f.resolution_state != ResolutionState.PUBLISHED:
            return None
        item = texts.esc(shorten(f"{f.number}. {f.text}", 600))
        words = texts.esc(shorten(message.text, 3000))
        if kind is NoticeKind.ITEM_COMMENT:
            text = texts.ITEM_COMMENT_NOTICE.format(org=texts.esc(f.organisation), item=item, comment=words)
            return OutMessage(text, answer_keyboard(f.assignment_id))
        author = await session.get(Member, message.member_id) if message.member_id else None
        # Officers answer as members; someone without a Member row answering is an admin.
        who = texts.esc(author.full_name) if author is not None and author.full_name else "администратор"
        return OutMessage(texts.ITEM_ANSWER_NOTICE.format(item=item, text=words, who=who), item_button(f))

    async def refresh(self, session: AsyncSession, row: Delivery, p: dict[str, Any]) -> OutMessage | None:
        """The member's resolution messages and item cards showing this item, drawn again."""
        assignment_id = p["assignment_id"]
        f = (await load_items(session, [assignment_id])).get(assignment_id)
        if f is None or row.member_id is None:
            return None
        member = await session.get(Member, row.member_id)
        edits: list[Edit] = []
        copies = await shown_copies(session, row.member_id, f.resolution_id)
        shown = [(mid, payload) for mid, payload in copies if assignment_id in item_ids(payload)]
        if shown:
            items = await load_items(session, [i for _mid, payload in shown for i in item_ids(payload)])
            for message_id, payload in shown:
                fresh = self.publication(payload, items, member, utcnow())
                if fresh is not None:
                    edits.append(Edit(message_id, fresh.text, fresh.markup))
        cards = await shown_cards(session, row.chat_id, assignment_id)
        if cards:
            card = await self.card(session, f)
            edits += [Edit(message_id, card.text, card.markup) for message_id in cards]
        return OutMessage("", edits=tuple(edits)) if edits else None

    def menu(self, member: Member | None) -> OutMessage:
        """The commands of the member's role as it is now (a guest's once they left or were removed)."""
        actor = policy.Actor(member.user_id if member else 0, member)
        return OutMessage("", menu=tuple(MENUS[policy.audience(actor, self.config.admin_ids)]))

    async def card(self, session: AsyncSession, f: ItemFacts) -> OutMessage:
        """An item's card: its text, date, status and history, with the status buttons."""
        entries = await reports.history(session, f.assignment_id)
        lines = [(e.at.strftime("%d.%m"), e.author, e.kind, e.text, e.files) for e in entries]
        due = texts.describe_due(f.due, self.config.calendar) if f.due else None
        text = texts.item_card(f.title, f.number, f.text, due, f.status, lines)
        return OutMessage(text, item_card_keyboard(f.assignment_id, has_due=f.due is not None))

    async def extension(self, session: AsyncSession, kind: NoticeKind, p: dict[str, Any]) -> OutMessage | None:
        request = await session.get(ExtensionRequest, p["request_id"])
        if request is None:
            return None
        f = (await load_items(session, [request.assignment_id])).get(request.assignment_id)
        if f is None or f.resolution_state != ResolutionState.PUBLISHED:
            return None
        item = texts.esc(shorten(f"{f.number}. {f.text}", 600))
        if kind is NoticeKind.EXTENSION_REQUEST:
            if request.state != "pending":
                return None
            text = texts.EXTENSION_REQUEST.format(
                org=texts.esc(f.organisation),
                item=item,
                old=texts.fmt_date(f.due),
                new=texts.fmt_date(request.new_due),
                reason=texts.esc(request.reason),
            )
            return OutMessage(text, extension_keyboard(request.id))
        template = texts.EXTENSION_APPROVED if request.state == "approved" else texts.EXTENSION_DECLINED
        return OutMessage(template.format(item=item, new=texts.fmt_date(request.new_due)))

    async def membership(self, session: AsyncSession, kind: NoticeKind, p: dict[str, Any]) -> OutMessage | None:
        org = await session.get(Organisation, p["organisation_id"])
        if org is None:
            return None
        name = texts.esc(org.name)
        if kind is NoticeKind.REMOVED:
            return OutMessage(texts.REMOVED_NOTICE.format(org=name))
        if kind is NoticeKind.JOIN_DECISION:
            return OutMessage((texts.JOIN_APPROVED if p.get("approved") else texts.JOIN_REJECTED).format(org=name))
        member = await session.get(Member, p["member_id"])
        if member is None or member.approval != Approval.PENDING or member.organisation_id != org.id:
            return None  # decided, withdrawn or replaced by a request elsewhere
        return OutMessage(join_request(member, org), decision_keyboard(member.id, org.id))


def join_request(member: Member, org: Organisation) -> str:
    """What an approver reads about a request: who (name, position, username) and for which organisation."""
    who = texts.esc(member.full_name or "без имени")
    if member.position:
        who += f", {texts.esc(member.position)}"
    if member.username:
        who += f" (@{texts.esc(member.username)})"
    return texts.JOIN_REQUEST.format(who=who, org=texts.esc(org.name), role=texts.ROLE_SHORT.get(org.kind, ""))


def item_button(f: ItemFacts) -> InlineKeyboardMarkup:
    """Under an answer: the item's own button, to open its card and report."""
    return resolution_keyboard([(f.number, f.assignment_id, f.status)])


def _compose(head: str, blocks: list[str]) -> tuple[str, int]:
    """Head and as many item blocks as fit in one message; returns the text and how many are shown."""
    parts = [head]
    size = visible_length(head)
    shown = 0
    for block in blocks:
        length = visible_length(block) + 2
        if shown and size + length > MESSAGE_LIMIT:
            break
        parts.append(block)
        size += length
        shown += 1
    if shown < len(blocks):
        parts.append(texts.REMINDER_MORE.format(n=len(blocks) - shown))
    return "\n\n".join(parts), shown
