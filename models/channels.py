"""Two messengers, one member: Telegram and MAX.

- A member is reachable on Telegram (`Member.user_id`, the Telegram id), on MAX (`Member.max_user_id`) or on
  both. Services identify whoever acts by one number, the *principal id* in `Member.user_id`: the Telegram
  id, or for someone known only on MAX the negated MAX id. Telegram user ids are positive, so the two never
  meet, and every service (`policy.actor_for`, authors of reports, the audit trail) works unchanged.
- Every notice goes to exactly one messenger: the member's preferred one while it reaches them, else the
  other (`route`). The outbox decides when a row is queued (`outbox.enqueue`) and records it in
  `Delivery.channel`; the delivery worker of that messenger sends it.
- Fallback, once: a 403 on one messenger sends the same notice to the other and moves the rest of the
  member's queue there (`on_blocked`); a notice not delivered within `Config.channel_fallback_after` is
  cancelled and queued on the other messenger (`fallback_overdue`). A fallback row never falls back again.
- Linking: a member in one messenger takes a one-time code (`issue_link_code`) and sends it to the bot in
  the other (`redeem_link_code`): the same Member row, so the same organisation and the same items.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.db import OUTBOX_QUEUED
from models.entities import Approval, Delivery, DeliveryState, LinkCode, Member
from models.notices import NoticeKind, kind_of

LINK_CODE_TTL = timedelta(minutes=30)
_LINK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: the code is read off one screen and typed
LINK_CODE_LENGTH = 8  # 40 bits, single use, half an hour: guessing is hopeless within the attempt limiter
_NO_FALLBACK = {NoticeKind.REFRESH}  # edits of messages in one messenger mean nothing in the other


class Channel(StrEnum):
    TELEGRAM = "telegram"
    MAX = "max"

    @property
    def other(self) -> Channel:
        return Channel.MAX if self is Channel.TELEGRAM else Channel.TELEGRAM


def principal_for_max(max_user_id: int) -> int:
    """The `Member.user_id` of someone known only on MAX."""
    return -abs(max_user_id)


def telegram_id(user_id: int) -> int | None:
    return user_id if user_id > 0 else None


@dataclass(frozen=True, slots=True)
class Reach:
    """What routing needs of a member (one row of a bulk query)."""

    member_id: int
    user_id: int
    max_user_id: int | None
    preferred: str
    telegram_blocked: bool
    max_blocked: bool

    @property
    def max_id(self) -> int | None:
        if self.max_user_id is not None:
            return self.max_user_id
        return -self.user_id if self.user_id < 0 else None  # a MAX-only member before max_user_id is written

    def address(self, channel: Channel) -> int | None:
        """The chat id on `channel`, or None when the member is not (or no longer) reachable there."""
        if channel is Channel.TELEGRAM:
            return None if self.telegram_blocked else telegram_id(self.user_id)
        return None if self.max_blocked else self.max_id

    def preferred_channel(self) -> Channel:
        try:
            preferred = Channel(self.preferred)
        except ValueError:
            preferred = Channel.TELEGRAM
        if preferred is Channel.TELEGRAM and telegram_id(self.user_id) is None:
            return Channel.MAX
        return preferred


def route(reach: Reach) -> tuple[Channel, int] | None:
    """Where a notice for this member goes: the preferred messenger while it reaches them, else the other."""
    first = reach.preferred_channel()
    for channel in (first, first.other):
        address = reach.address(channel)
        if address is not None:
            return channel, address
    return None


def each_messenger(reach: Reach) -> list[Channel]:
    """Every messenger that reaches the member: where messages they already have may need redrawing."""
    return [channel for channel in Channel if reach.address(channel) is not None]


_REACH_COLUMNS = (
    Member.id,
    Member.user_id,
    Member.max_user_id,
    Member.preferred_channel,
    Member.telegram_blocked,
    Member.max_blocked,
)


async def load_reach(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, Reach]:
    ids = sorted(set(member_ids))
    found: dict[int, Reach] = {}
    for start in range(0, len(ids), 500):
        rows = await session.execute(select(*_REACH_COLUMNS).where(Member.id.in_(ids[start : start + 500])))
        for r in rows:
            found[r.id] = Reach(r.id, r.user_id, r.max_user_id, r.preferred_channel, r.telegram_blocked, r.max_blocked)
    return found


async def route_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Set `channel` and `chat_id` of outbox rows about to be queued (in place): a member's row goes to the
    member's messenger; a row for someone without a Member row (an admin) is addressed by principal id:
    Telegram for a positive one, MAX for a negated MAX id, unless the caller named a channel. A member's row
    with a channel named goes there while it reaches them."""
    reach = await load_reach(session, [r["member_id"] for r in rows if r.get("member_id") is not None])
    for row in rows:
        member = reach.get(row.get("member_id") or -1)
        named = member.address(Channel(row["channel"])) if member is not None and row.get("channel") else None
        if member is not None and named is not None:  # the caller chose the messenger (`each_messenger`)
            row["chat_id"] = named
            continue
        target = route(member) if member is not None else None
        if target is not None:
            row["channel"], row["chat_id"] = str(target[0]), target[1]
        elif member is not None and member.preferred_channel() is Channel.MAX and member.max_id is not None:
            row["channel"], row["chat_id"] = str(Channel.MAX), member.max_id  # blocked everywhere: it will 403
        elif member is None and "channel" not in row and row["chat_id"] < 0:
            row["channel"], row["chat_id"] = str(Channel.MAX), -row["chat_id"]  # an admin on MAX, by principal id
        else:
            row.setdefault("channel", str(Channel.TELEGRAM))


# -- 403 and timeouts: once to the other messenger -------------------------------------------------------


def _copy(row: Delivery, channel: Channel, chat_id: int, now: datetime) -> Delivery:
    return Delivery(
        key=f"{row.key}:fb"[:128],
        chat_id=chat_id,
        member_id=row.member_id,
        batch=row.batch,
        priority=row.priority,
        payload=row.payload,
        state=DeliveryState.PENDING,
        attempts=0,
        created_at=now,
        channel=str(channel),
        fallback_of=row.id,
    )


async def on_blocked(session: AsyncSession, channel: Channel, row_ids: Sequence[int], now: datetime) -> None:
    """Rows answered 403 on `channel`. A member still reachable on the other messenger gets the notice there
    once, and the rest of their queue moves there; anyone else is marked inactive and their queue on this
    messenger is closed (the bot has been blocked). The caller commits."""
    if not row_ids:
        return
    rows = (await session.scalars(select(Delivery).where(Delivery.id.in_(row_ids)))).all()
    members = {
        m.id: m
        for m in await session.scalars(
            select(Member).where(Member.id.in_([r.member_id for r in rows if r.member_id is not None]))
        )
    }
    for row in rows:
        member = members.get(row.member_id or -1)
        if member is None:  # an admin without a Member row: only Telegram knows them
            if channel is Channel.TELEGRAM:
                await session.execute(update(Member).where(Member.user_id == row.chat_id).values(active=False))
            await _close_queue(session, channel, Delivery.chat_id == row.chat_id)
            continue
        if channel is Channel.TELEGRAM:
            member.telegram_blocked = True
        else:
            member.max_blocked = True
        reach = Reach(
            member.id,
            member.user_id,
            member.max_user_id,
            member.preferred_channel,
            member.telegram_blocked,
            member.max_blocked,
        )
        other = reach.address(channel.other)
        if other is None:
            member.active = False
            await _close_queue(session, channel, Delivery.member_id == member.id)
            continue
        if row.fallback_of is None and kind_of(row.payload) not in _NO_FALLBACK:
            session.add(_copy(row, channel.other, other, now))
        # What was still waiting for the blocked messenger goes to the other one: not sent yet, so not twice.
        await session.execute(
            update(Delivery)
            .where(
                Delivery.member_id == member.id,
                Delivery.channel == str(channel),
                Delivery.state == DeliveryState.PENDING,
            )
            .values(channel=str(channel.other), chat_id=other)
        )
    session.info[OUTBOX_QUEUED] = True


async def _close_queue(session: AsyncSession, channel: Channel, whose: Any) -> None:
    await session.execute(
        update(Delivery)
        .where(whose, Delivery.channel == str(channel), Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.BLOCKED, last_error="пользователь заблокировал бота")
    )


async def fallback_overdue(session: AsyncSession, now: datetime, after: timedelta, *, limit: int = 500) -> int:
    """Notices to members on both messengers that their messenger has not delivered within `after` (it is
    down, or keeps failing): cancelled there and queued once on the other. Held rows (quiet hours) count
    from the end of their hold. Returns how many moved; commits."""
    cutoff = now - after
    fallback = aliased(Delivery)
    candidates = (
        await session.scalars(
            select(Delivery)
            .where(
                Delivery.state.in_([DeliveryState.PENDING, DeliveryState.FAILED]),
                Delivery.member_id.is_not(None),
                Delivery.fallback_of.is_(None),
                Delivery.created_at <= cutoff,
                or_(Delivery.not_before.is_(None), Delivery.not_before <= cutoff),
                ~exists().where(fallback.fallback_of == Delivery.id),
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
    ).all()
    reach = await load_reach(session, [r.member_id for r in candidates if r.member_id is not None])
    moved = 0
    for row in candidates:
        member = reach.get(row.member_id or -1)
        if member is None or kind_of(row.payload) in _NO_FALLBACK:
            continue
        channel = Channel(row.channel)
        other = member.address(channel.other)
        if other is None:
            continue
        # Conditional: the worker may be claiming this very row; whoever changes its state first wins.
        taken = await session.execute(
            update(Delivery)
            .where(and_(Delivery.id == row.id, Delivery.state.in_([DeliveryState.PENDING, DeliveryState.FAILED])))
            .values(state=DeliveryState.CANCELLED, last_error=f"не доставлено за {after}: отправлено в {channel.other}")
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            continue
        session.add(_copy(row, channel.other, other, now))
        moved += 1
    if moved:
        session.info[OUTBOX_QUEUED] = True
    await session.commit()
    return moved


# -- linking the two accounts of one person ------------------------------------------------------------


class LinkOutcome(StrEnum):
    LINKED = "linked"
    ALREADY = "already"  # this account already is that member
    UNKNOWN = "unknown"  # no such code, used, or expired
    TAKEN = "taken"  # this account belongs to another member
    NOT_MEMBER = "not_member"  # only approved members link accounts


def new_link_code() -> str:
    return "".join(secrets.choice(_LINK_ALPHABET) for _ in range(LINK_CODE_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


async def issue_link_code(session: AsyncSession, member: Member, channel: Channel, now: datetime) -> str:
    """A code the member sends to the bot in `channel` (the messenger being added); commits."""
    code = new_link_code()
    session.add(
        LinkCode(code=code, member_id=member.id, channel=str(channel), expires_at=now + LINK_CODE_TTL, created_at=now)
    )
    await session.commit()
    return code


async def member_on(session: AsyncSession, channel: Channel, user_id: int) -> Member | None:
    """The member behind a user of `channel` (their Telegram id, or their MAX id)."""
    found: Member | None
    if channel is Channel.TELEGRAM:
        found = await session.scalar(select(Member).where(Member.user_id == user_id))
        return found
    found = await session.scalar(select(Member).where(Member.max_user_id == user_id))
    if found is None:
        found = await session.scalar(select(Member).where(Member.user_id == principal_for_max(user_id)))
    return found


_RETIRED = 10**15  # retired principal ids sit below -10**15: no MAX id or Telegram id comes near


def _retire(member: Member) -> None:
    """An unfinished request of the person who now links their accounts gives its ids up (rows that refer to
    it stay valid: it is not deleted)."""
    member.user_id = -(_RETIRED + member.id)
    member.max_user_id = None
    member.organisation_id = None
    member.approval = Approval.REMOVED
    member.active = False


async def redeem_link_code(
    session: AsyncSession, *, code: str, channel: Channel, user_id: int, now: datetime
) -> tuple[LinkOutcome, Member | None]:
    """`user_id` of `channel` sent `code`: that account now reaches the member who took the code, and the
    member prefers this newer messenger. A pending or former membership of the account (a request never
    approved) gives way; an approved one elsewhere refuses. Commits."""
    link = await session.scalar(
        select(LinkCode).where(
            LinkCode.code == normalise_code(code),
            LinkCode.channel == str(channel),
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
    )
    if link is None:
        return LinkOutcome.UNKNOWN, None
    member = await session.get(Member, link.member_id)
    if member is None or member.organisation_id is None or member.approval != Approval.APPROVED:
        return LinkOutcome.NOT_MEMBER, None
    existing = await member_on(session, channel, user_id)
    if existing is not None and existing.id == member.id:
        return LinkOutcome.ALREADY, member
    if existing is not None:
        if existing.approval == Approval.APPROVED and existing.organisation_id is not None:
            return LinkOutcome.TAKEN, None
        _retire(existing)
        await session.flush()
    link.used_at = now
    if channel is Channel.MAX:
        member.max_user_id = user_id
        member.max_blocked = False
    else:
        if member.max_user_id is None and member.user_id < 0:
            member.max_user_id = -member.user_id  # the MAX id lived only in the principal id until now
        member.user_id = user_id  # the principal id becomes the Telegram id; history keeps the old one
        member.telegram_blocked = False
    member.preferred_channel = str(channel)
    member.active = True
    await session.commit()
    return LinkOutcome.LINKED, member


async def set_preferred(session: AsyncSession, member: Member, channel: Channel) -> bool:
    """Notices go to `channel` from now on, if the member is reachable there; commits."""
    reach = Reach(member.id, member.user_id, member.max_user_id, channel, member.telegram_blocked, member.max_blocked)
    if reach.address(channel) is None:
        return False
    member.preferred_channel = str(channel)
    await session.commit()
    return True
