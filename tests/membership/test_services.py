"""Invitations, join requests and decisions against a real (migrated) SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.directory import import_rows, read_bytes
from models.entities import Approval, Delivery, DeliveryState, Invite, Member, Organisation
from models.membership import (
    DecisionOutcome,
    JoinOutcome,
    MembershipError,
    Refusal,
    RemovalOutcome,
    create_invite,
    decide,
    leave,
    list_invites,
    list_members,
    list_organisations,
    new_invite_code,
    pending_requests,
    redeem_invite,
    remove_member,
    request_membership,
    revoke_invite,
    search_schools,
)
from models.policy import Actor, managers_of, may_act_for
from tests.dbutil import migrated_db, rendered_notices
from ui import texts

NOW = datetime(2025, 3, 3, 9, 0)
ADMIN = 1
ADMINS = frozenset({ADMIN, 2})
OFFICER_V = 100  # municipal officer of the Vyazma district
OFFICER_G = 200  # municipal officer of the Gagarin district
DIRECTOR_V1 = 111  # director of school v1

DIRECTORY = """code;kind;name;municipality_code
mo-v;муниципалитет;муниципальное образование «Вяземский район» Смоленской области;
mo-g;муниципалитет;Гагаринский муниципальный округ;
mo-s;муниципалитет;город Смоленск;
v1;школа;МБОУ «Средняя школа № 1» г. Вязьмы;mo-v
v2;школа;МБОУ «Средняя школа № 2» г. Вязьмы;mo-v
v3;школа;МБОУ «Кайдаковская средняя школа» Вяземского района;mo-v
v4;школа;МБОУ «Новосёловская основная школа» Вяземского района;mo-v
v5;школа;МБОУ «Школа 100%-го успеха»;mo-v
g1;школа;МБОУ «Средняя школа № 1» г. Гагарина;mo-g
s1;школа;МБОУ «Гимназия № 4» города Смоленска;mo-s
p1;партнёр;ФГБОУ ВО «Смоленский государственный университет»;
"""


class Env:
    def __init__(self, factory: async_sessionmaker[AsyncSession], orgs: dict[str, Organisation]) -> None:
        self.factory = factory
        self.orgs = orgs

    def id(self, code: str) -> int:
        return self.orgs[code].id


@pytest.fixture
async def env(database_url: str) -> AsyncIterator[Env]:
    async with migrated_db(database_url) as (_engine, factory):
        async with factory() as session:
            report = await import_rows(session, read_bytes(DIRECTORY.encode()))
            assert report.rejected == []
            orgs = {o.code: o for o in await session.scalars(select(Organisation)) if o.code}
            for user_id, code in ((OFFICER_V, "mo-v"), (OFFICER_G, "mo-g"), (DIRECTOR_V1, "v1")):
                session.add(
                    Member(
                        user_id=user_id,
                        full_name=f"Пользователь {user_id}",
                        organisation_id=orgs[code].id,
                        role=orgs[code].kind,
                        approval=Approval.APPROVED,
                    )
                )
            await session.commit()
        yield Env(factory, orgs)


async def member(session: AsyncSession, user_id: int) -> Member:
    row = await session.scalar(select(Member).where(Member.user_id == user_id))
    assert row is not None
    await session.refresh(row)
    return row


async def invite(env: Env, *, code: str = "v2", by: int = ADMIN, max_uses: int = 1, role: str = "school") -> Invite:
    async with env.factory() as session:
        return await create_invite(
            session,
            organisation_id=env.id(code),
            role=role,
            created_by=by,
            admin_ids=ADMINS,
            ttl_days=14,
            now=NOW,
            max_uses=max_uses,
        )


async def redeem(env: Env, code: str, user_id: int, *, now: datetime = NOW) -> JoinOutcome:
    async with env.factory() as session:
        result = await redeem_invite(
            session, code=code, user_id=user_id, full_name="Анна Петрова", username="petrova", now=now
        )
        return result.outcome


# --- invitations -------------------------------------------------------------------------------


async def test_a_valid_invitation_approves_at_once(env: Env) -> None:
    inv = await invite(env, by=OFFICER_V)
    assert inv.expires_at == NOW + timedelta(days=14)
    async with env.factory() as session:
        result = await redeem_invite(session, code=inv.code, user_id=500, full_name="Анна", username=None, now=NOW)
        assert result.outcome == JoinOutcome.JOINED
        assert result.ok
        assert not result.failed_attempt
        assert result.organisation is not None
        assert result.organisation.id == env.id("v2")
        message = texts.join_message(result.outcome, result.organisation.name)
        assert "«МБОУ «Средняя школа № 2» г. Вязьмы»" in message
        joined = await member(session, 500)
        assert (joined.organisation_id, joined.role, joined.approval) == (env.id("v2"), "school", Approval.APPROVED)
        assert joined.approved_by == OFFICER_V
        assert (await session.get(Invite, inv.id)).uses == 1  # type: ignore[union-attr]
        assert [m.user_id for m in await list_members(session, env.id("v2"))] == [500]
        assert await list_invites(session, env.id("v2"), now=NOW) == []


async def test_used_up_invitation_refuses_others_but_not_the_same_user(env: Env) -> None:
    inv = await invite(env)
    assert await redeem(env, inv.code, 500) == JoinOutcome.JOINED
    assert await redeem(env, inv.code, 500) == JoinOutcome.ALREADY_JOINED  # harmless
    assert await redeem(env, inv.code, 501) == JoinOutcome.USED_UP
    async with env.factory() as session:
        assert (await session.get(Invite, inv.id)).uses == 1  # type: ignore[union-attr]
        assert await session.scalar(select(Member).where(Member.user_id == 501)) is None


async def test_expired_revoked_and_unknown_codes(env: Env) -> None:
    inv = await invite(env, max_uses=10)
    assert await redeem(env, inv.code, 500, now=NOW + timedelta(days=14)) == JoinOutcome.EXPIRED
    assert await redeem(env, new_invite_code(), 500) == JoinOutcome.UNKNOWN
    assert await redeem(env, "'; drop table member; --", 500) == JoinOutcome.UNKNOWN
    async with env.factory() as session:
        with pytest.raises(MembershipError) as error:
            await revoke_invite(session, invite_id=inv.id, actor_user_id=OFFICER_G, admin_ids=ADMINS, now=NOW)
        assert error.value.refusal == Refusal.NOT_ALLOWED
        assert await revoke_invite(session, invite_id=inv.id, actor_user_id=OFFICER_V, admin_ids=ADMINS, now=NOW)
        assert not await revoke_invite(session, invite_id=inv.id, actor_user_id=ADMIN, admin_ids=ADMINS, now=NOW)
    assert await redeem(env, inv.code, 500) == JoinOutcome.REVOKED
    async with env.factory() as session:
        assert await session.scalar(select(Member).where(Member.user_id == 500)) is None


async def test_a_member_of_another_organisation_cannot_join(env: Env) -> None:
    inv = await invite(env, code="g1")
    async with env.factory() as session:
        result = await redeem_invite(session, code=inv.code, user_id=DIRECTOR_V1, full_name="", username=None, now=NOW)
        assert result.outcome == JoinOutcome.MEMBER_ELSEWHERE
        assert result.organisation is not None
        message = texts.join_message(result.outcome, result.organisation.name)
        assert "«МБОУ «Средняя школа № 1» г. Вязьмы»" in message
        assert (await member(session, DIRECTOR_V1)).organisation_id == env.id("v1")
        assert (await session.get(Invite, inv.id)).uses == 0  # type: ignore[union-attr]


async def test_an_invitation_replaces_a_pending_request(env: Env) -> None:
    async with env.factory() as session:
        await request_membership(
            session, user_id=500, full_name="Анна", username=None, organisation_id=env.id("g1"), now=NOW,
            admin_ids=ADMINS,
        )  # fmt: skip
    inv = await invite(env, max_uses=5)
    assert await redeem(env, inv.code, 500) == JoinOutcome.JOINED
    async with env.factory() as session:
        joined = await member(session, 500)
        assert (joined.organisation_id, joined.approval) == (env.id("v2"), Approval.APPROVED)


@pytest.mark.parametrize(
    ("by", "code", "role", "refusal"),
    [
        (OFFICER_V, "g1", "school", Refusal.NOT_ALLOWED),  # another municipality's school
        (OFFICER_V, "v1", "municipality", Refusal.NOT_ALLOWED),
        (OFFICER_V, "mo-v", "municipality", Refusal.NOT_ALLOWED),
        (DIRECTOR_V1, "v1", "school", Refusal.NOT_ALLOWED),
        (999, "v1", "school", Refusal.NOT_ALLOWED),
        (ADMIN, "v1", "teacher", Refusal.BAD_ROLE),
    ],
)
async def test_who_may_create_invitations(env: Env, by: int, code: str, role: str, refusal: Refusal) -> None:
    with pytest.raises(MembershipError) as error:
        await invite(env, code=code, by=by, role=role)
    assert error.value.refusal == refusal
    async with env.factory() as session:
        assert list(await session.scalars(select(Invite))) == []
        with pytest.raises(MembershipError, match=Refusal.BAD_LIMITS.value):
            await create_invite(
                session, organisation_id=env.id("v1"), role="school", created_by=ADMIN, admin_ids=ADMINS,
                ttl_days=0, now=NOW,
            )  # fmt: skip
        with pytest.raises(MembershipError, match=Refusal.ORGANISATION_NOT_FOUND.value):
            await create_invite(
                session, organisation_id=9999, role="school", created_by=ADMIN, admin_ids=ADMINS, ttl_days=1, now=NOW
            )
    await invite(env, code="mo-v", role="municipality", by=ADMIN)  # admins invite anywhere


# --- requests and decisions --------------------------------------------------------------------


async def request(env: Env, user_id: int, code: str) -> Member:
    async with env.factory() as session:
        return await request_membership(
            session, user_id=user_id, full_name="Иван Сидоров", username="sid", organisation_id=env.id(code), now=NOW,
            admin_ids=ADMINS,
        )  # fmt: skip


async def test_request_approved_by_the_officer_of_that_municipality(env: Env) -> None:
    pending = await request(env, 500, "v2")
    assert (pending.approval, pending.role) == (Approval.PENDING, "school")
    async with env.factory() as session:
        assert [r.chat_id for r in await managers_of(session, env.orgs["v2"], ADMINS)] == [OFFICER_V]
        # No officer in Smolensk yet: the admins.
        assert [r.chat_id for r in await managers_of(session, env.orgs["s1"], ADMINS)] == [1, 2]
        assert [r.chat_id for r in await managers_of(session, env.orgs["mo-v"], ADMINS)] == [1, 2]
        assert [r.chat_id for r in await managers_of(session, env.orgs["p1"], ADMINS)] == [1, 2]
        page, total = await pending_requests(session, actor_user_id=OFFICER_V, admin_ids=ADMINS)
        assert ([m.user_id for m in page], total) == ([500], 1)
        assert page[0].organisation is not None
        assert page[0].organisation.code == "v2"
        assert await pending_requests(session, actor_user_id=OFFICER_G, admin_ids=ADMINS) == ([], 0)
        assert await pending_requests(session, actor_user_id=DIRECTOR_V1, admin_ids=ADMINS) == ([], 0)
        assert (await pending_requests(session, actor_user_id=ADMIN, admin_ids=ADMINS))[1] == 1

        result = await decide(
            session, member_id=pending.id, approver_user_id=OFFICER_V, approve=True, admin_ids=ADMINS,
            organisation_id=env.id("v2"),
        )  # fmt: skip
        assert result.outcome == DecisionOutcome.APPROVED
        assert result.changed
        assert any("заявка одобрена" in t for t in await rendered_notices(session, 500))
        approved = await member(session, 500)
        assert (approved.approval, approved.approved_by) == (Approval.APPROVED, OFFICER_V)
        assert may_act_for(approved, env.id("v2"))


async def test_an_officer_of_another_municipality_cannot_approve(env: Env) -> None:
    pending = await request(env, 500, "v2")
    async with env.factory() as session:
        result = await decide(session, member_id=pending.id, approver_user_id=OFFICER_G, approve=True, admin_ids=ADMINS)
        assert result.outcome == DecisionOutcome.NOT_ALLOWED
        assert not result.changed
        assert await rendered_notices(session, 500) == []
        assert (await member(session, 500)).approval == Approval.PENDING


async def test_director_of_school_a_cannot_approve_or_act_for_school_b(env: Env) -> None:
    pending = await request(env, 500, "v2")
    async with env.factory() as session:
        director = await member(session, DIRECTOR_V1)
        result = await decide(
            session, member_id=pending.id, approver_user_id=DIRECTOR_V1, approve=True, admin_ids=ADMINS
        )
        assert result.outcome == DecisionOutcome.NOT_ALLOWED
        assert (await member(session, 500)).approval == Approval.PENDING
        assert not may_act_for(director, env.id("v2"))
        assert may_act_for(director, env.id("v1"))
        removal = await remove_member(session, member_id=director.id, actor_user_id=DIRECTOR_V1, admin_ids=ADMINS)
        assert removal.outcome == RemovalOutcome.NOT_ALLOWED


async def test_a_double_decision_changes_nothing(env: Env) -> None:
    pending = await request(env, 500, "v2")
    async with env.factory() as session:
        first = await decide(session, member_id=pending.id, approver_user_id=ADMIN, approve=True, admin_ids=ADMINS)
        assert first.outcome == DecisionOutcome.APPROVED
    async with env.factory() as session:
        second = await decide(
            session, member_id=pending.id, approver_user_id=OFFICER_V, approve=False, admin_ids=ADMINS
        )
        assert second.outcome == DecisionOutcome.ALREADY_DECIDED
        assert not second.changed
        assert second.member is not None
        assert texts.decision_message(second.outcome, None, None, second.member.approval) == "Эта заявка уже одобрена."
        again = await member(session, 500)
        assert (again.approval, again.approved_by) == (Approval.APPROVED, ADMIN)
        missing = await decide(session, member_id=9999, approver_user_id=ADMIN, approve=True, admin_ids=ADMINS)
        assert missing.outcome == DecisionOutcome.NOT_FOUND


async def test_a_rejected_request_can_be_made_again(env: Env) -> None:
    pending = await request(env, 500, "v2")
    async with env.factory() as session:
        result = await decide(
            session, member_id=pending.id, approver_user_id=OFFICER_V, approve=False, admin_ids=ADMINS
        )
        assert result.outcome == DecisionOutcome.REJECTED
        assert any("отклонена" in t for t in await rendered_notices(session, 500))
        rejected = await member(session, 500)
        assert (rejected.approval, rejected.approved_by) == (Approval.REJECTED, OFFICER_V)
        assert not may_act_for(rejected, env.id("v2"))
    again = await request(env, 500, "v3")
    assert (again.id, again.approval, again.organisation_id) == (pending.id, Approval.PENDING, env.id("v3"))


async def test_a_replaced_request_is_not_decided_blindly(env: Env) -> None:
    first = await request(env, 500, "g1")
    second = await request(env, 500, "v2")  # changed their mind: the pending request is replaced
    assert second.id == first.id
    async with env.factory() as session:
        stale = await decide(
            session, member_id=first.id, approver_user_id=ADMIN, approve=True, admin_ids=ADMINS,
            organisation_id=env.id("g1"),
        )  # fmt: skip
        assert stale.outcome == DecisionOutcome.ALREADY_DECIDED
        assert (await member(session, 500)).approval == Approval.PENDING
        gagarin = await decide(session, member_id=first.id, approver_user_id=OFFICER_G, approve=True, admin_ids=ADMINS)
        assert gagarin.outcome == DecisionOutcome.NOT_ALLOWED


async def test_an_approved_member_cannot_request_again(env: Env) -> None:
    with pytest.raises(MembershipError) as error:
        await request(env, DIRECTOR_V1, "v2")
    assert error.value.refusal == Refusal.ALREADY_MEMBER
    with pytest.raises(MembershipError) as error:
        await _request_unknown_org(env)
    assert error.value.refusal == Refusal.ORGANISATION_NOT_FOUND


async def _request_unknown_org(env: Env) -> Member:
    async with env.factory() as session:
        return await request_membership(
            session, user_id=500, full_name="", username=None, organisation_id=9999, now=NOW, admin_ids=ADMINS
        )


# --- leaving and removal -----------------------------------------------------------------------


async def test_officer_removes_a_member_of_their_school_and_the_queue_is_cancelled(env: Env) -> None:
    async with env.factory() as session:
        director = await member(session, DIRECTOR_V1)
        session.add(Delivery(key="k1", chat_id=DIRECTOR_V1, member_id=director.id, payload={"text": "x"}))
        await session.commit()
        other = await remove_member(session, member_id=director.id, actor_user_id=OFFICER_G, admin_ids=ADMINS)
        assert other.outcome == RemovalOutcome.NOT_ALLOWED
        assert await rendered_notices(session, DIRECTOR_V1) == ["x"]  # nothing was removed, nothing queued
        result = await remove_member(session, member_id=director.id, actor_user_id=OFFICER_V, admin_ids=ADMINS)
        assert result.outcome == RemovalOutcome.REMOVED
        assert any("Вязьмы" in t for t in await rendered_notices(session, DIRECTOR_V1))
        assert (await member(session, DIRECTOR_V1)).approval == Approval.REMOVED
        assert await session.scalar(select(Delivery.state).where(Delivery.key == "k1")) == DeliveryState.CANCELLED
        twice = await remove_member(session, member_id=director.id, actor_user_id=OFFICER_V, admin_ids=ADMINS)
        assert twice.outcome == RemovalOutcome.NOT_MEMBER
        assert await list_members(session, env.id("v1")) == []
    inv = await invite(env, code="v1")
    assert await redeem(env, inv.code, DIRECTOR_V1) == JoinOutcome.JOINED  # a former member may come back


async def test_leave(env: Env) -> None:
    async with env.factory() as session:
        officer = await member(session, OFFICER_V)
        assert await leave(session, officer)
        assert not await leave(session, officer)
        assert (await member(session, OFFICER_V)).approval == Approval.REMOVED
        assert not may_act_for(officer, env.id("mo-v"))
        # The former officer no longer approves anything.
        pending = await request(env, 500, "v2")
        result = await decide(session, member_id=pending.id, approver_user_id=OFFICER_V, approve=True, admin_ids=ADMINS)
        assert result.outcome == DecisionOutcome.NOT_ALLOWED
        assert [r.chat_id for r in await managers_of(session, env.orgs["v2"], ADMINS)] == [1, 2]


# --- search and lists --------------------------------------------------------------------------


async def test_search_schools_folds_cyrillic_case_quotes_and_yo(env: Env) -> None:
    async with env.factory() as session:
        found, total = await search_schools(session, env.id("mo-v"), "СРЕДНЯЯ школа")
        assert total == 3
        assert [o.code for o in found] == ["v3", "v1", "v2"]  # by name
        assert (await search_schools(session, env.id("mo-v"), "новоселовская"))[1] == 1
        assert (await search_schools(session, env.id("mo-v"), '"средняя школа № 2"'))[1] == 1
        assert (await search_schools(session, env.id("mo-v"), "школа 1 вязьмы"))[1] == 1
        assert (await search_schools(session, env.id("mo-g"), "вязьмы"))[1] == 0
        assert (await search_schools(session, env.id("mo-v"), "%"))[1] == 1  # a literal %, not a wildcard
        assert (await search_schools(session, env.id("mo-v"), "_"))[1] == 0
        page, total = await search_schools(session, env.id("mo-v"), "  ", offset=2, limit=2)
        assert (len(page), total) == (2, 5)


async def test_list_organisations_pages(env: Env) -> None:
    async with env.factory() as session:
        page, total = await list_organisations(session, "municipality", limit=2)
        assert total == 3
        assert [o.code for o in page] == ["mo-g", "mo-s"]  # «Гагаринский…», «город Смоленск»
        rest, _ = await list_organisations(session, "municipality", offset=2, limit=2)
        assert [o.code for o in rest] == ["mo-v"]
        schools, n = await list_organisations(session, "school", env.id("mo-g"))
        assert ([o.code for o in schools], n) == (["g1"], 1)


def test_actor_without_membership_is_only_an_admin_by_id() -> None:
    assert Actor(ADMIN).is_admin(ADMINS)
    assert not Actor(500).is_admin(ADMINS)
