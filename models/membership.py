"""Membership: invitations, join requests and their approval, and the access rules every handler uses.

Who is who:
- admins are the Telegram ids of ADMIN_IDS; they may do everything, with or without a Member row;
- a member belongs to one organisation at most (`Member.user_id` is unique): one row per Telegram user,
  reused when they leave and join again; `role` is the kind of body they speak for (region, institute,
  municipality, school, partner);
- a municipal officer is an approved member whose organisation is a municipality. They manage the schools
  of that municipality: invite their staff, decide their join requests, remove their members. Everything
  else (municipalities, the region, the institute, partners) is managed by admins.

Joining: an invitation link (`/start <code>`) makes the user an approved member at once; a request chosen
from the directory waits for an approver (`policy.managers_of`), who decides with `decide`.

Transactions: every coroutine that changes something is one user action and commits once before
returning, with the notices it queues and the catch-up of open items for a new member (after a refusal
nothing is written); read-only ones never commit. Results are data: the presentation layer words them.
Handlers should not use `member.organisation` of the returned rows unless they loaded it: the results
carry the organisation separately. Who may do what lives in `models.policy`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import audit, outbox, publishing
from models.audit import Action
from models.channels import Channel
from models.directory import fold
from models.entities import Approval, Delivery, DeliveryState, Invite, Member, Organisation, OrgKind
from models.notices import NoticeKind, notice
from models.policy import Recipient, actor_for, can_invite, is_approved, managers_of, manages
from models.timeutil import utcnow

ROLES: frozenset[str] = frozenset(OrgKind)
INVITE_CODE_BYTES = 12  # 96 bits of randomness; token_urlsafe gives 16 characters of [A-Za-z0-9_-]
_INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{16}")
MAX_INVITE_USES = 1000
MAX_INVITE_DAYS = 365


# --- invitation codes --------------------------------------------------------------------------


def new_invite_code() -> str:
    """A fresh code: 96 random bits, usable as a deep-link payload (`t.me/<bot>?start=<code>`)."""
    return secrets.token_urlsafe(INVITE_CODE_BYTES)


def is_invite_code(text: str) -> bool:
    """Whether `text` has the shape of an invitation code (cheap check before any database query)."""
    return _INVITE_CODE.fullmatch(text) is not None


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


class AttemptLimiter:
    """Brute-force guard for invitation codes: at most `max_failures` wrong codes per user per `window`
    seconds. In memory (a restart forgets it — fine for a 96-bit code); `clock` is injectable for tests.

    The handler asks `allowed()` before redeeming and calls `failed()` when the result says
    `failed_attempt`, `succeeded()` when it is ok.
    """

    def __init__(self, max_failures: int = 5, window: float = 600.0, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[int, deque[float]] = {}

    def _recent(self, user_id: int, now: float) -> deque[float] | None:
        times = self._failures.get(user_id)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[user_id]
            return None
        return times

    def retry_after(self, user_id: int) -> float:
        """Seconds until the user may try again (0 when they may try now)."""
        now = self._clock()
        times = self._recent(user_id, now)
        if times is None or len(times) < self.max_failures:
            return 0.0
        return max(0.0, times[-self.max_failures] + self.window - now)

    def allowed(self, user_id: int) -> bool:
        return self.retry_after(user_id) == 0.0

    def failed(self, user_id: int) -> None:
        now = self._clock()
        if len(self._failures) > 10_000:  # forget users whose window has passed, so memory stays bounded
            for uid in list(self._failures):
                self._recent(uid, now)
        self._failures.setdefault(user_id, deque(maxlen=self.max_failures)).append(now)

    def succeeded(self, user_id: int) -> None:
        self._failures.pop(user_id, None)


# --- errors and results ------------------------------------------------------------------------


class Refusal(StrEnum):
    ORGANISATION_NOT_FOUND = "organisation_not_found"
    INVITE_NOT_FOUND = "invite_not_found"
    NOT_ALLOWED = "not_allowed"
    BAD_ROLE = "bad_role"
    BAD_LIMITS = "bad_limits"
    ALREADY_MEMBER = "already_member"


class MembershipError(Exception):
    """A request the service refuses; nothing was written. The presentation layer words `refusal`."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY_JOINED = "already_joined"  # the same user redeemed again: harmless
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used_up"
    MEMBER_ELSEWHERE = "member_elsewhere"


@dataclass(frozen=True, slots=True)
class JoinResult:
    outcome: JoinOutcome
    member: Member | None = None
    # The invitation's organisation; for MEMBER_ELSEWHERE the one the user already belongs to.
    organisation: Organisation | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in {JoinOutcome.JOINED, JoinOutcome.ALREADY_JOINED}

    @property
    def failed_attempt(self) -> bool:
        """Counts against the AttemptLimiter: only a code that does not exist looks like guessing."""
        return self.outcome == JoinOutcome.UNKNOWN


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    ALREADY_DECIDED = "already_decided"  # double click, another approver, or the request was withdrawn/replaced
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class DecisionResult:
    outcome: DecisionOutcome
    member: Member | None = None
    organisation: Organisation | None = None

    @property
    def changed(self) -> bool:
        return self.outcome in {DecisionOutcome.APPROVED, DecisionOutcome.REJECTED}


class RemovalOutcome(StrEnum):
    REMOVED = "removed"
    NOT_MEMBER = "not_member"  # already left or removed, or never approved
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class RemovalResult:
    outcome: RemovalOutcome
    member: Member | None = None
    organisation: Organisation | None = None


# --- services ----------------------------------------------------------------------------------


async def member_of(session: AsyncSession, user_id: int) -> Member | None:
    member: Member | None = await session.scalar(select(Member).where(Member.user_id == user_id))
    return member


async def create_invite(
    session: AsyncSession,
    *,
    organisation_id: int,
    role: str,
    created_by: int,
    admin_ids: Collection[int],
    ttl_days: int,
    now: datetime,
    max_uses: int = 1,
) -> Invite:
    """A new invitation after checking on the server that `created_by` may issue it (see `can_invite`).

    Raises MembershipError (ORGANISATION_NOT_FOUND, BAD_ROLE, BAD_LIMITS, NOT_ALLOWED).
    """
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise MembershipError(Refusal.ORGANISATION_NOT_FOUND)
    if role not in ROLES:
        raise MembershipError(Refusal.BAD_ROLE)
    if not (1 <= max_uses <= MAX_INVITE_USES and 1 <= ttl_days <= MAX_INVITE_DAYS):
        raise MembershipError(Refusal.BAD_LIMITS)
    if not can_invite(await actor_for(session, created_by), organisation, admin_ids, role):
        raise MembershipError(Refusal.NOT_ALLOWED)
    invite = Invite(
        code=new_invite_code(),
        organisation_id=organisation_id,
        role=role,
        created_by=created_by,
        max_uses=max_uses,
        uses=0,
        expires_at=now + timedelta(days=ttl_days),
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    audit.record(
        session, actor_id=created_by, action=Action.INVITE, object_type="invite", object_id=invite.id,
        details={"organisation_id": organisation_id, "role": role}, at=now,
    )  # fmt: skip
    await session.commit()
    return invite


async def list_invites(session: AsyncSession, organisation_id: int, *, now: datetime) -> list[Invite]:
    """Invitations of an organisation that can still be used, newest first."""
    rows = await session.scalars(
        select(Invite)
        .where(
            Invite.organisation_id == organisation_id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
            Invite.uses < Invite.max_uses,
        )
        .order_by(Invite.id.desc())
    )
    return list(rows)


async def revoke_invite(
    session: AsyncSession, *, invite_id: int, actor_user_id: int, admin_ids: Collection[int], now: datetime
) -> bool:
    """Revoke an invitation (its creator, an admin, or whoever manages its organisation may).

    True when revoked now, False when it already was. Raises MembershipError (INVITE_NOT_FOUND, NOT_ALLOWED).
    """
    invite = await session.get(Invite, invite_id)
    if invite is None:
        raise MembershipError(Refusal.INVITE_NOT_FOUND)
    organisation = await session.get(Organisation, invite.organisation_id)
    actor = await actor_for(session, actor_user_id)
    if not (invite.created_by == actor_user_id or (organisation and manages(actor, organisation, admin_ids))):
        raise MembershipError(Refusal.NOT_ALLOWED)
    if invite.revoked_at is not None:
        return False
    invite.revoked_at = now
    audit.record(
        session, actor_id=actor_user_id, action=Action.REVOKE_INVITE, object_type="invite", object_id=invite.id,
        details={"organisation_id": invite.organisation_id}, at=now,
    )  # fmt: skip
    await session.commit()
    return True


def _bind(member: Member, organisation: Organisation, *, role: str, full_name: str, username: str | None) -> None:
    member.organisation = organisation
    member.organisation_id = organisation.id
    member.role = role
    member.full_name = full_name[:256]
    member.username = username[:64] if username else None
    member.active = True


async def redeem_invite(
    session: AsyncSession,
    *,
    code: str,
    user_id: int,
    full_name: str,
    username: str | None,
    now: datetime,
    max_user_id: int | None = None,
) -> JoinResult:
    """Join through an invitation: the user becomes an approved member of its organisation at once; one
    opened on MAX (`max_user_id`) makes MAX the member's messenger, in the same commit.

    A pending, rejected or former membership of the user is replaced; an approved membership elsewhere is
    kept and the join refused. The use is counted atomically, so two users cannot share the last use.
    """
    if not is_invite_code(code):
        return JoinResult(JoinOutcome.UNKNOWN)
    invite: Invite | None = await session.scalar(select(Invite).where(Invite.code == code))
    if invite is None:
        return JoinResult(JoinOutcome.UNKNOWN)
    organisation = await session.get(Organisation, invite.organisation_id)
    if organisation is None:  # pragma: no cover - the foreign key keeps it
        return JoinResult(JoinOutcome.UNKNOWN)
    member = await member_of(session, user_id)
    if is_approved(member) and member is not None:
        if member.organisation_id == invite.organisation_id:
            return JoinResult(JoinOutcome.ALREADY_JOINED, member, organisation)
        current = await session.get(Organisation, member.organisation_id)
        return JoinResult(JoinOutcome.MEMBER_ELSEWHERE, member, current)
    if invite.revoked_at is not None:
        return JoinResult(JoinOutcome.REVOKED, organisation=organisation)
    if invite.expires_at <= now:
        return JoinResult(JoinOutcome.EXPIRED, organisation=organisation)
    taken = await session.scalar(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.uses < Invite.max_uses,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(uses=Invite.uses + 1)
        .returning(Invite.uses)
    )
    if taken is None:  # the last use went to someone else (nothing was written)
        return JoinResult(JoinOutcome.USED_UP, organisation=organisation)
    if member is None:
        member = Member(user_id=user_id, created_at=now)
        session.add(member)
    _bind(member, organisation, role=invite.role, full_name=full_name, username=username)
    member.approval = Approval.APPROVED
    member.approved_by = invite.created_by
    _reachable_on_max(member, max_user_id)
    try:
        await session.flush()
        await publishing.catch_up_member(session, member)  # the open items come with the membership
        await _menu_follows(session, member, now)
        await session.commit()
    except IntegrityError:
        # The same user redeemed twice at the same moment: the other attempt created the row.
        await session.rollback()
        await session.refresh(organisation)  # the rollback expired it; results must stay readable
        again = await member_of(session, user_id)
        if again is not None and is_approved(again) and again.organisation_id == organisation.id:
            return JoinResult(JoinOutcome.ALREADY_JOINED, again, organisation)
        raise
    return JoinResult(JoinOutcome.JOINED, member, organisation)


def _reachable_on_max(member: Member, max_user_id: int | None) -> None:
    """Someone who joins or asks to join on MAX is reached there: notices go to MAX from now on."""
    if max_user_id is not None and member.max_user_id is None:
        member.max_user_id = max_user_id
        member.max_blocked = False
        member.preferred_channel = str(Channel.MAX)


def split_name_and_position(text: str) -> tuple[str, str]:
    """«Иванова Мария Петровна, директор» → name and position (at the last comma); empty parts when missing."""
    name, _, position = text.strip().rpartition(",")
    if not name:
        return text.strip()[:256], ""
    return " ".join(name.split())[:256], " ".join(position.split())[:200]


async def request_membership(
    session: AsyncSession,
    *,
    user_id: int,
    full_name: str,
    username: str | None,
    organisation_id: int,
    now: datetime,
    admin_ids: Collection[int],
    role: str | None = None,
    position: str | None = None,
    max_user_id: int | None = None,
) -> Member:
    """A pending request to join an organisation (role: the organisation's kind unless given).

    A second request replaces the pending (or rejected, or former) one. Raises MembershipError
    (ALREADY_MEMBER when the user is approved somewhere, ORGANISATION_NOT_FOUND, BAD_ROLE).
    A request made on MAX (`max_user_id`) makes the requester reachable there, and the decision and
    everything after it go there.
    """
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise MembershipError(Refusal.ORGANISATION_NOT_FOUND)
    role = role or organisation.kind
    if role not in ROLES:
        raise MembershipError(Refusal.BAD_ROLE)
    member = await member_of(session, user_id)
    if is_approved(member):
        raise MembershipError(Refusal.ALREADY_MEMBER)
    if member is None:
        member = Member(user_id=user_id)
        session.add(member)
    _bind(member, organisation, role=role, full_name=full_name, username=username)
    member.approval = Approval.PENDING
    member.approved_by = None
    member.created_at = now
    member.position = position[:200] if position else None
    _reachable_on_max(member, max_user_id)
    await session.flush()
    approvers = await managers_of(session, organisation, admin_ids)
    await outbox.tell(
        session,
        f"jr:{member.id}:{organisation.id}:{now.isoformat()}",
        approvers,
        NoticeKind.JOIN_REQUEST,
        member_id=member.id,
        organisation_id=organisation.id,
    )
    await session.commit()
    return member


async def decide(
    session: AsyncSession,
    *,
    member_id: int,
    approver_user_id: int,
    approve: bool,
    admin_ids: Collection[int],
    organisation_id: int | None = None,
) -> DecisionResult:
    """Approve or reject a pending request, re-checking on the server who may decide it.

    `organisation_id`, when given, is the organisation the approver was shown: a request the applicant has
    since replaced by another is then reported as already decided instead of being decided blindly.
    A second click (or a second approver) gets ALREADY_DECIDED and changes nothing.
    """
    member = await session.get(Member, member_id)
    if member is None or member.organisation_id is None:
        return DecisionResult(DecisionOutcome.NOT_FOUND)
    organisation = await session.get(Organisation, member.organisation_id)
    if organisation is None:  # pragma: no cover - the foreign key keeps it
        return DecisionResult(DecisionOutcome.NOT_FOUND, member)
    if not manages(await actor_for(session, approver_user_id), organisation, admin_ids):
        return DecisionResult(DecisionOutcome.NOT_ALLOWED, member, organisation)
    if member.approval != Approval.PENDING or (organisation_id is not None and organisation_id != organisation.id):
        return DecisionResult(DecisionOutcome.ALREADY_DECIDED, member, organisation)
    new_state = Approval.APPROVED if approve else Approval.REJECTED
    # Conditional on still being pending: of two simultaneous clicks only one changes the row.
    decided = await session.scalar(
        update(Member)
        .where(Member.id == member.id, Member.approval == Approval.PENDING, Member.organisation_id == organisation.id)
        .values(approval=new_state, approved_by=approver_user_id)
        .returning(Member.id)
    )
    if decided is None:  # someone decided in between (nothing was written)
        await session.refresh(member)
        return DecisionResult(DecisionOutcome.ALREADY_DECIDED, member, organisation)
    await session.refresh(member)
    await outbox.tell(
        session,
        f"jd:{member.id}:{organisation.id}:{member.created_at.isoformat()}",
        [Recipient(member.user_id, member.id)],
        NoticeKind.JOIN_DECISION,
        member_id=member.id,
        organisation_id=organisation.id,
        approved=approve,
    )
    if approve:
        await publishing.catch_up_member(session, member)
        await _menu_follows(session, member, utcnow())
    audit.record(
        session, actor_id=approver_user_id, action=Action.APPROVE if approve else Action.REJECT,
        object_type="member", object_id=member.id,
        details={"organisation_id": organisation.id, "user_id": member.user_id, "name": member.full_name},
    )  # fmt: skip
    await session.commit()
    outcome = DecisionOutcome.APPROVED if approve else DecisionOutcome.REJECTED
    return DecisionResult(outcome, member, organisation)


async def pending_requests(
    session: AsyncSession, *, actor_user_id: int, admin_ids: Collection[int], offset: int = 0, limit: int = 10
) -> tuple[list[Member], int]:
    """Requests the actor may decide, oldest first (organisation loaded), and their total."""
    stmt = select(Member).where(Member.approval == Approval.PENDING, Member.organisation_id.is_not(None))
    if actor_user_id not in admin_ids:
        actor = await member_of(session, actor_user_id)
        if not is_approved(actor) or actor is None:
            return [], 0
        schools = select(Organisation.id).where(
            Organisation.kind == OrgKind.SCHOOL, Organisation.municipality_id == actor.organisation_id
        )
        stmt = stmt.where(Member.organisation_id.in_(schools))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.scalars(
        stmt.options(selectinload(Member.organisation))
        .order_by(Member.created_at, Member.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def _end_membership(session: AsyncSession, member: Member, *, by: int | None) -> None:
    member.approval = Approval.REMOVED
    member.approved_by = by
    # Whatever is still queued for them is not sent: they no longer speak for the organisation.
    await session.execute(
        update(Delivery)
        .where(Delivery.member_id == member.id, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.CANCELLED)
    )


async def _menu_follows(session: AsyncSession, member: Member, now: datetime) -> None:
    """The member's command menu changes with their role (rendered as their role is when it is sent)."""
    await outbox.tell(
        session, f"menu:{member.id}:{now.isoformat()}", [Recipient(member.user_id, member.id)], NoticeKind.MENU
    )


async def leave(session: AsyncSession, member: Member) -> bool:
    """The member leaves their organisation (or withdraws a pending request).

    The row stays (as REMOVED, organisation kept for the record) so the user can join again later.
    True when something changed.
    """
    if member.approval not in {Approval.APPROVED, Approval.PENDING}:
        return False
    await _end_membership(session, member, by=None)
    await _menu_follows(session, member, utcnow())
    await session.commit()
    return True


async def remove_member(
    session: AsyncSession, *, member_id: int, actor_user_id: int, admin_ids: Collection[int]
) -> RemovalResult:
    """Remove an approved member: admins anyone, municipal officers members of their schools."""
    member = await session.get(Member, member_id)
    if member is None:
        return RemovalResult(RemovalOutcome.NOT_FOUND)
    organisation = await session.get(Organisation, member.organisation_id) if member.organisation_id else None
    if organisation is None or not manages(await actor_for(session, actor_user_id), organisation, admin_ids):
        return RemovalResult(RemovalOutcome.NOT_ALLOWED, member, organisation)
    if member.approval != Approval.APPROVED:
        return RemovalResult(RemovalOutcome.NOT_MEMBER, member, organisation)
    await _end_membership(session, member, by=actor_user_id)
    await _menu_follows(session, member, utcnow())
    await outbox.tell(
        session,
        f"rm:{member.id}:{organisation.id}:{member.created_at.isoformat()}",
        [Recipient(member.user_id, member.id)],
        NoticeKind.REMOVED,
        organisation_id=organisation.id,
    )
    audit.record(
        session, actor_id=actor_user_id, action=Action.REMOVE_MEMBER, object_type="member", object_id=member.id,
        details={"organisation_id": organisation.id, "user_id": member.user_id, "name": member.full_name},
    )  # fmt: skip
    await session.commit()
    return RemovalResult(RemovalOutcome.REMOVED, member, organisation)


async def list_members(session: AsyncSession, organisation_id: int) -> list[Member]:
    """Approved members of an organisation, by name."""
    rows = await session.scalars(
        select(Member)
        .where(Member.organisation_id == organisation_id, Member.approval == Approval.APPROVED)
        .order_by(Member.full_name, Member.id)
    )
    return list(rows)


async def _page(
    session: AsyncSession, stmt: Select[tuple[Organisation]], *, offset: int, limit: int
) -> tuple[list[Organisation], int]:
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.scalars(stmt.order_by(Organisation.name_folded, Organisation.id).offset(offset).limit(limit))
    return list(rows), total


async def search_schools(
    session: AsyncSession, municipality_id: int, query: str, *, offset: int = 0, limit: int = 10
) -> tuple[list[Organisation], int]:
    """Schools of a municipality whose name contains every word of `query` (any case, ё = е, any quotes);
    a page of them by name, and their total. An empty query lists them all."""
    stmt = select(Organisation).where(
        Organisation.kind == OrgKind.SCHOOL, Organisation.municipality_id == municipality_id
    )
    for word in fold(query).split()[:5]:
        stmt = stmt.where(Organisation.name_folded.contains(word, autoescape=True))
    return await _page(session, stmt, offset=offset, limit=limit)


async def directory_loaded(session: AsyncSession) -> bool:
    return await session.scalar(select(Organisation.id).limit(1)) is not None


async def list_organisations(
    session: AsyncSession,
    kind: str | Sequence[str],
    municipality_id: int | None = None,
    *,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[Organisation], int]:
    """A page of the organisations of a kind or kinds (of one municipality, if given), by name, and their total."""
    kinds = [kind] if isinstance(kind, str) else list(kind)
    stmt = select(Organisation).where(Organisation.kind.in_(kinds))
    if municipality_id is not None:
        stmt = stmt.where(Organisation.municipality_id == municipality_id)
    return await _page(session, stmt, offset=offset, limit=limit)


_PROFILE_FIELDS = frozenset({"timezone", "quiet_start", "quiet_end", "paused_until"})


async def update_profile(session: AsyncSession, member: Member, **changes: object) -> None:
    """A member's own settings (`/me`): time zone, quiet hours, a reminder pause."""
    unknown = set(changes) - _PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not a profile field: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(member, name, value)
    await session.commit()


async def reactivate(session: AsyncSession, member: Member) -> None:
    """A member who had blocked the bot wrote to it again: notices may reach them once more."""
    if not member.active:
        member.active = True
        await session.commit()


async def sync_menus(session: AsyncSession, version: int) -> int:
    """Queue every approved member's menu once per `version` (keys make a second start queue nothing)."""
    rows = (
        await session.execute(
            select(Member.id, Member.user_id).where(Member.approval == Approval.APPROVED, Member.active.is_(True))
        )
    ).all()
    await outbox.enqueue(
        session,
        [
            {
                "key": f"menu-v{version}:{member_id}",
                "chat_id": user_id,
                "member_id": member_id,
                "payload": notice(NoticeKind.MENU),
                "priority": outbox.PRIORITY_BULK,
            }
            for member_id, user_id in rows
        ],
    )
    await session.commit()
    return len(rows)
