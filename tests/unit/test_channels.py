"""Two messengers, one member: routing, fallback once, linking (models/channels.py) on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import channels, outbox
from models.channels import Channel, LinkOutcome, Reach, route
from models.entities import Approval, Delivery, DeliveryState, Member, Organisation
from models.notices import NoticeKind, notice
from tests.dbutil import migrated_db

NOW = datetime(2026, 12, 1, 9, 0)
TG = 7001
MX = 880001


def reach(
    user_id: int,
    max_id: int | None,
    preferred: str = "telegram",
    *,
    tg_blocked: bool = False,
    max_blocked: bool = False,
) -> Reach:
    return Reach(1, user_id, max_id, preferred, tg_blocked, max_blocked)


def test_route_prefers_the_chosen_messenger_while_it_reaches() -> None:
    assert route(reach(TG, None)) == (Channel.TELEGRAM, TG)
    assert route(reach(TG, MX, "max")) == (Channel.MAX, MX)
    assert route(reach(TG, MX, "telegram")) == (Channel.TELEGRAM, TG)
    assert route(reach(TG, MX, "max", max_blocked=True)) == (Channel.TELEGRAM, TG)
    assert route(reach(TG, MX, "telegram", tg_blocked=True)) == (Channel.MAX, MX)
    # Known only on MAX: the principal id is the negated MAX id, and Telegram is never tried.
    assert route(reach(channels.principal_for_max(MX), None, "telegram")) == (Channel.MAX, MX)
    assert route(reach(TG, None, tg_blocked=True)) is None


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated_db(database_url) as (_engine, session_factory):
        yield session_factory


async def school_member(
    session: AsyncSession, user_id: int, *, max_user_id: int | None = None, preferred: str = "telegram"
) -> Member:
    org = Organisation(kind="school", name=f"Школа {user_id}", name_folded=f"школа {user_id}")
    session.add(org)
    await session.flush()
    member = Member(
        user_id=user_id,
        full_name="Директор",
        organisation_id=org.id,
        role="school",
        approval=Approval.APPROVED,
        max_user_id=max_user_id,
        preferred_channel=preferred,
    )
    session.add(member)
    await session.commit()
    return member


async def queue(session: AsyncSession, member: Member, key: str, *, created: datetime = NOW) -> None:
    await outbox.enqueue(
        session,
        [
            {
                "key": key,
                "chat_id": member.user_id,
                "member_id": member.id,
                "payload": notice(NoticeKind.TEXT, text=key),
                "created_at": created,
            }
        ],
    )
    await session.commit()


async def rows(session: AsyncSession) -> list[tuple[str, str, int, str]]:
    found = await session.scalars(select(Delivery).order_by(Delivery.id))
    return [(r.key, r.channel, r.chat_id, r.state) for r in found]


async def test_each_notice_is_queued_once_on_the_preferred_messenger(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session:
        both = await school_member(session, TG, max_user_id=MX, preferred="max")
        max_only = await school_member(session, channels.principal_for_max(MX + 1))
        await queue(session, both, "a")
        await queue(session, max_only, "b")
        await outbox.enqueue(session, [{"key": "admin", "chat_id": 1000, "payload": notice(NoticeKind.TEXT, text="x")}])
        await session.commit()
        assert await rows(session) == [
            ("a", "max", MX, "pending"),
            ("b", "max", MX + 1, "pending"),
            ("admin", "telegram", 1000, "pending"),
        ]


async def test_a_403_sends_the_notice_once_to_the_other_messenger(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session:
        member = await school_member(session, TG, max_user_id=MX)
        await queue(session, member, "first")
        await queue(session, member, "second")
        first = await session.scalar(select(Delivery).where(Delivery.key == "first"))
        assert first is not None
        first.state = DeliveryState.BLOCKED
        await channels.on_blocked(session, Channel.TELEGRAM, [first.id], NOW)
        await session.commit()
        assert await rows(session) == [
            ("first", "telegram", TG, "blocked"),
            ("second", "max", MX, "pending"),  # not sent yet: moved, not copied
            ("first:fb", "max", MX, "pending"),
        ]
        await session.refresh(member)
        assert (member.telegram_blocked, member.active) == (True, True)
        # The fallback copy blocked too: nothing more is tried, the member is unreachable.
        copy = await session.scalar(select(Delivery).where(Delivery.key == "first:fb"))
        assert copy is not None
        copy.state = DeliveryState.BLOCKED
        await channels.on_blocked(session, Channel.MAX, [copy.id], NOW)
        await session.commit()
        await session.refresh(member)
        assert member.active is False
        assert [r for r in await rows(session) if r[0].endswith(":fb:fb")] == []
        assert ("second", "max", MX, "blocked") in await rows(session)


async def test_a_notice_stuck_past_the_limit_goes_to_the_other_messenger_once(
    factory: async_sessionmaker[AsyncSession],
) -> None:
    async with factory() as session:
        member = await school_member(session, TG, max_user_id=MX, preferred="max")
        solo = await school_member(session, TG + 1)
        await queue(session, member, "old", created=NOW - timedelta(minutes=40))
        await queue(session, member, "fresh", created=NOW - timedelta(minutes=5))
        await queue(session, solo, "solo", created=NOW - timedelta(hours=2))  # nowhere else to go
        assert await channels.fallback_overdue(session, NOW, timedelta(minutes=30)) == 1
        assert await channels.fallback_overdue(session, NOW, timedelta(minutes=30)) == 0  # once
        assert await rows(session) == [
            ("old", "max", MX, "cancelled"),
            ("fresh", "max", MX, "pending"),
            ("solo", "telegram", TG + 1, "pending"),
            ("old:fb", "telegram", TG, "pending"),
        ]


async def test_linking_joins_the_other_account_to_the_same_member(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session:
        member = await school_member(session, TG)
        code = await channels.issue_link_code(session, member, Channel.MAX, NOW)
        wrong = await channels.redeem_link_code(session, code=code, channel=Channel.TELEGRAM, user_id=TG, now=NOW)
        assert wrong[0] is LinkOutcome.UNKNOWN  # a code for MAX is only good on MAX
        late = NOW + channels.LINK_CODE_TTL
        assert (await channels.redeem_link_code(session, code=code, channel=Channel.MAX, user_id=MX, now=late))[0] is (
            LinkOutcome.UNKNOWN
        )
        outcome, linked = await channels.redeem_link_code(
            session, code=code.lower(), channel=Channel.MAX, user_id=MX, now=NOW
        )
        assert outcome is LinkOutcome.LINKED
        assert linked is not None
        assert (linked.id, linked.max_user_id, linked.preferred_channel) == (member.id, MX, "max")
        again = await channels.redeem_link_code(session, code=code, channel=Channel.MAX, user_id=MX, now=NOW)
        assert again[0] is LinkOutcome.UNKNOWN  # single use
        assert await channels.member_on(session, Channel.MAX, MX) == linked

        # The other way round: a member known only on MAX adds Telegram; a pending request there gives way.
        max_only = await school_member(session, channels.principal_for_max(MX + 5))
        pending = Member(user_id=TG + 5, full_name="", role="school", approval=Approval.PENDING)
        session.add(pending)
        await session.commit()
        code = await channels.issue_link_code(session, max_only, Channel.TELEGRAM, NOW)
        outcome, linked = await channels.redeem_link_code(
            session, code=code, channel=Channel.TELEGRAM, user_id=TG + 5, now=NOW
        )
        assert outcome is LinkOutcome.LINKED
        assert linked is not None
        assert (linked.id, linked.user_id, linked.preferred_channel) == (max_only.id, TG + 5, "telegram")
        assert route(Reach(linked.id, linked.user_id, linked.max_user_id, "max", False, False)) == (
            Channel.MAX,
            MX + 5,
        )


async def test_an_account_of_another_member_is_not_taken_over(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session:
        member = await school_member(session, TG)
        await school_member(session, channels.principal_for_max(MX))
        code = await channels.issue_link_code(session, member, Channel.MAX, NOW)
        outcome, _ = await channels.redeem_link_code(session, code=code, channel=Channel.MAX, user_id=MX, now=NOW)
        assert outcome is LinkOutcome.TAKEN
