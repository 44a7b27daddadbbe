"""Publishing a resolution: draft → preview → assignments and queued notifications; withdrawal.

The service owns the transaction: each public coroutine commits once. Messages are queued in the
outbox in the same transaction as the assignments, so a crash can never leave one without the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import audit, outbox, reminders
from models.audit import Action
from models.config import Config
from models.entities import (
    Addressee,
    Approval,
    Assignment,
    Broadcast,
    Delivery,
    DeliveryState,
    Member,
    Organisation,
    Recommendation,
    Resolution,
    ResolutionState,
    Status,
)
from models.notices import NoticeKind, notice
from models.parsing import ParsedResolution, content_fingerprint
from models.policy import Recipient
from models.targeting import OrgRef, match_organisation
from models.timeutil import utcnow

CLOSED = (Status.ACCEPTED,)


# One publication message stays within this many characters (Telegram allows 4096) and items (a button
# each). The split counts item texts plus what the renderer adds to each: number, due and start lines.
PART_CHARS = 4000
PART_ITEM_OVERHEAD = 100
PART_HEADER_OVERHEAD = 400  # date line, «(часть 2 из 3)» and what to do with the items
PART_MAX_ITEMS = 30
ITEM_TEXT_LIMIT = 3000  # the renderer shortens a longer item


class Problem(StrEnum):
    DRAFT_NOT_FOUND = "draft_not_found"
    ALREADY_PUBLISHED = "already_published"
    UNMAPPED = "unmapped"
    ADDRESSEE_NOT_FOUND = "addressee_not_found"
    NOT_PUBLISHED = "not_published"


class PublishError(Exception):
    """A publication step that cannot go on; the presentation layer words `problem` for the admin."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(slots=True)
class AddresseeReach:
    addressee_id: int
    heading: str
    roles: list[str]
    items: int
    skipped: bool
    target: str | None  # the one organisation the heading names, if matched
    organisations: int
    members: int


@dataclass(slots=True)
class Preview:
    resolution: Resolution
    reach: list[AddresseeReach] = field(default_factory=list)
    duplicate_of: Resolution | None = None
    directory_loaded: bool = True
    parts: int = 1  # messages a pasted text came in

    @property
    def unmapped(self) -> list[AddresseeReach]:
        return [r for r in self.reach if not r.roles and not r.skipped]

    @property
    def reaches_nobody(self) -> bool:
        """Published now, nobody would get a message: no organisation of those roles, or no member yet."""
        return not any(r.members for r in self.reach if not r.skipped)


def batch_name(resolution_id: int) -> str:
    return f"pub{resolution_id}"


async def save_draft(
    session: AsyncSession, parsed: ParsedResolution, *, created_by: int, source_name: str | None
) -> Resolution:
    """Store what the parser found as a draft; headings naming one organisation are matched now."""
    refs = [
        OrgRef(o.id, o.kind, o.name)
        for o in (await session.scalars(select(Organisation).where(Organisation.kind != "school"))).all()
    ]
    resolution = Resolution(
        title=parsed.title,
        date=parsed.date,
        content_hash=content_fingerprint(parsed),
        source_name=source_name,
        state=ResolutionState.DRAFT,
        created_by=created_by,
    )
    for position, parsed_addressee in enumerate(parsed.addressees):
        roles = [str(r) for r in parsed_addressee.roles]
        match = match_organisation(parsed_addressee.heading, roles, refs)
        addressee = Addressee(
            position=position,
            heading=parsed_addressee.heading,
            roles=roles,
            target_organisation_id=match.id if match else None,
            skipped=False,
        )
        addressee.recommendations = [
            Recommendation(
                position=i,
                text=item.text,
                due=item.due,
                starts=item.starts,
                recurring=item.recurring,
                period=str(item.period) if item.period else None,
            )
            for i, item in enumerate(parsed_addressee.recommendations)
        ]
        resolution.addressees.append(addressee)
    session.add(resolution)
    await session.commit()
    return resolution


async def load(session: AsyncSession, resolution_id: int) -> Resolution | None:
    resolution: Resolution | None = await session.scalar(
        select(Resolution)
        .options(selectinload(Resolution.addressees).selectinload(Addressee.recommendations))
        .where(Resolution.id == resolution_id)
    )
    return resolution


async def _target_org_ids(session: AsyncSession, addressee: Addressee) -> list[int]:
    if addressee.skipped or not addressee.roles:
        return []
    if addressee.target_organisation_id is not None:
        return [addressee.target_organisation_id]
    return list((await session.scalars(select(Organisation.id).where(Organisation.kind.in_(addressee.roles)))).all())


async def preview(session: AsyncSession, resolution_id: int) -> Preview:
    resolution = await load(session, resolution_id)
    if resolution is None:
        raise PublishError(Problem.DRAFT_NOT_FOUND)
    result = Preview(resolution=resolution)
    result.directory_loaded = await session.scalar(select(Organisation.id).limit(1)) is not None
    result.duplicate_of = await session.scalar(
        select(Resolution).where(
            Resolution.content_hash == resolution.content_hash,
            Resolution.state == ResolutionState.PUBLISHED,
            Resolution.id != resolution.id,
        )
    )
    for addressee in resolution.addressees:
        org_ids = await _target_org_ids(session, addressee)
        members = 0
        if org_ids:
            members = (
                await session.scalar(
                    select(func.count(Member.id)).where(
                        Member.organisation_id.in_(org_ids),
                        Member.approval == Approval.APPROVED,
                        Member.active.is_(True),
                    )
                )
                or 0
            )
        target = None
        if addressee.target_organisation_id is not None:
            target = await session.scalar(
                select(Organisation.name).where(Organisation.id == addressee.target_organisation_id)
            )
        result.reach.append(
            AddresseeReach(
                addressee_id=addressee.id,
                heading=addressee.heading,
                roles=list(addressee.roles),
                items=len(addressee.recommendations),
                skipped=addressee.skipped,
                target=target,
                organisations=len(org_ids),
                members=members,
            )
        )
    return result


async def map_addressee(session: AsyncSession, *, resolution_id: int, addressee_id: int, role: str | None) -> None:
    """Give an addressee a role (or skip it with role=None) while the resolution is still a draft."""
    addressee = await session.get(Addressee, addressee_id)
    resolution = await session.get(Resolution, resolution_id)
    if addressee is None or resolution is None or addressee.resolution_id != resolution_id:
        raise PublishError(Problem.ADDRESSEE_NOT_FOUND)
    if resolution.state != ResolutionState.DRAFT:
        raise PublishError(Problem.ALREADY_PUBLISHED)
    if role is None:
        addressee.skipped = True
    else:
        addressee.roles = [role]
        addressee.skipped = False
    await session.commit()


async def clear_target(session: AsyncSession, *, resolution_id: int, addressee_id: int) -> None:
    """Address the whole role instead of the one organisation the heading seemed to name."""
    addressee = await session.get(Addressee, addressee_id)
    resolution = await session.get(Resolution, resolution_id)
    if addressee is None or resolution is None or addressee.resolution_id != resolution_id:
        raise PublishError(Problem.ADDRESSEE_NOT_FOUND)
    if resolution.state != ResolutionState.DRAFT:
        raise PublishError(Problem.ALREADY_PUBLISHED)
    addressee.target_organisation_id = None
    await session.commit()


@dataclass(frozen=True, slots=True)
class PartItem:
    """What the split needs to know of one item of a member's notification."""

    assignment_id: int
    addressee_id: int
    heading: str
    text: str


def split_parts(title: str, items: Sequence[PartItem]) -> list[list[int]]:
    """Indices of the items that go into each message of one member's notification, in order.

    Counted on the plain text with room for what the renderer adds, so the message fits whatever its
    dates read on the day it is sent; addressee headings count when a member's items span several.
    """
    grouped = len({item.addressee_id for item in items}) > 1
    header = len(title) + PART_HEADER_OVERHEAD
    parts: list[list[int]] = []
    size = 0
    previous: int | None = None
    for index, item in enumerate(items):
        length = min(len(item.text), ITEM_TEXT_LIMIT) + PART_ITEM_OVERHEAD
        if grouped and item.addressee_id != previous:
            length += min(len(item.heading), 300) + 1
        previous = item.addressee_id
        if parts and size + length <= PART_CHARS and len(parts[-1]) < PART_MAX_ITEMS:
            parts[-1].append(index)
            size += length
        else:
            parts.append([index])
            size = header + length
            if grouped:  # a new message repeats its first item's heading
                size += min(len(item.heading), 300) + 1
    return parts


async def _queue_for_members(
    session: AsyncSession,
    resolution: Resolution,
    members: Sequence[Member],
    *,
    batch: str | None,
) -> int:
    """Queue each member's notification about `resolution` (keys make re-queueing harmless)."""
    rows: list[dict[str, Any]] = []
    org_ids = {m.organisation_id for m in members}
    pairs = (
        await session.execute(
            select(Assignment.id, Assignment.organisation_id, Addressee.id, Addressee.heading, Recommendation.text)
            .join(Assignment, Assignment.recommendation_id == Recommendation.id)
            .join(Addressee, Addressee.id == Recommendation.addressee_id)
            .where(
                Addressee.resolution_id == resolution.id,
                Assignment.organisation_id.in_(org_ids),
                Assignment.status.not_in(CLOSED),
            )
            .order_by(Addressee.position, Recommendation.position)
        )
    ).all()
    by_org: dict[int, list[PartItem]] = {}
    for assignment_id, org_id, addressee_id, heading, text in pairs:
        by_org.setdefault(org_id, []).append(PartItem(assignment_id, addressee_id, heading, text))
    for member in members:
        items = by_org.get(member.organisation_id or -1)
        if not items:
            continue
        parts = split_parts(resolution.title, items)
        for part_no, indices in enumerate(parts):
            rows.append(
                {
                    # The organisation is part of the key: a member who moves school (or is removed and
                    # invited again) gets that school's items, not a silent duplicate-key skip.
                    "key": f"pub:{resolution.id}:{member.id}:{member.organisation_id}:{part_no}",
                    "chat_id": member.user_id,
                    "member_id": member.id,
                    "batch": batch,
                    "payload": notice(
                        NoticeKind.PUBLICATION,
                        resolution_id=resolution.id,
                        items=[items[i].assignment_id for i in indices],
                        part=part_no + 1,
                        parts=len(parts),
                    ),
                }
            )
    await outbox.enqueue(session, rows)
    return len(rows)


async def publish(
    session: AsyncSession,
    *,
    resolution_id: int,
    admin_chat_id: int,
    config: Config,
    now: datetime | None = None,
) -> Broadcast:
    """Create the assignments, queue every addressed member's notification, open the broadcast."""
    resolution = await load(session, resolution_id)
    if resolution is None:
        raise PublishError(Problem.DRAFT_NOT_FOUND)
    if resolution.state != ResolutionState.DRAFT:
        raise PublishError(Problem.ALREADY_PUBLISHED)
    if any(not a.roles and not a.skipped for a in resolution.addressees):
        raise PublishError(Problem.UNMAPPED)
    now = now or utcnow()
    assignments: list[Assignment] = []
    for addressee in resolution.addressees:
        for org_id in await _target_org_ids(session, addressee):
            for rec in addressee.recommendations:
                assignments.append(
                    Assignment(recommendation_id=rec.id, organisation_id=org_id, status=Status.NEW, due=rec.due)
                )
    session.add_all(assignments)
    resolution.state = ResolutionState.PUBLISHED
    resolution.published_at = now
    broadcast = Broadcast(batch=batch_name(resolution.id), resolution_id=resolution.id, admin_chat_id=admin_chat_id)
    session.add(broadcast)
    await session.flush()
    org_ids = {a.organisation_id for a in assignments}
    members = (
        await session.scalars(
            select(Member).where(
                Member.organisation_id.in_(org_ids),
                Member.approval == Approval.APPROVED,
                Member.active.is_(True),
            )
        )
    ).all()
    await _queue_for_members(session, resolution, members, batch=broadcast.batch)
    await reminders.plan_assignments(session, [a.id for a in assignments], now, config.rules)
    audit.record(
        session, actor_id=admin_chat_id, action=Action.PUBLISH, object_type="resolution", object_id=resolution.id,
        details={"title": resolution.title[:200], "assignments": len(assignments)}, at=now,
    )  # fmt: skip
    await session.commit()
    return broadcast


async def discard_draft(session: AsyncSession, resolution: Resolution) -> None:
    """The admin cancels before publishing: the draft is deleted."""
    await session.delete(resolution)
    await session.commit()


async def withdraw(
    session: AsyncSession, *, resolution_id: int, actor_id: int | None = None, now: datetime | None = None
) -> int:
    """Withdraw a published resolution: unsent messages are cancelled, reminders stop, members who
    got it are told once. History (assignments, reports) stays. Returns the number of notices queued."""
    resolution = await session.get(Resolution, resolution_id)
    if resolution is None or resolution.state != ResolutionState.PUBLISHED:
        raise PublishError(Problem.NOT_PUBLISHED)
    resolution.state = ResolutionState.WITHDRAWN
    resolution.withdrawn_at = now or utcnow()
    # By key, not by batch: the copies sent later to members who joined after publication count too.
    ours = Delivery.key.startswith(f"pub:{resolution_id}:", autoescape=True)
    await session.execute(
        update(Delivery)
        .where(ours, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.CANCELLED, last_error="резолюция отозвана")
    )
    rec_ids = (
        select(Recommendation.id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .where(Addressee.resolution_id == resolution_id)
    )
    await session.execute(
        update(Assignment).where(Assignment.recommendation_id.in_(rec_ids)).values(next_reminder_at=None)
    )
    told = (
        await session.execute(
            select(Delivery.member_id, Delivery.chat_id).where(ours, Delivery.state == DeliveryState.SENT).distinct()
        )
    ).all()
    await outbox.tell(
        session,
        f"wd:{resolution_id}",
        [Recipient(chat_id, member_id) for member_id, chat_id in told],
        NoticeKind.WITHDRAWN,
        resolution_id=resolution_id,
    )
    audit.record(
        session, actor_id=actor_id, action=Action.WITHDRAW, object_type="resolution", object_id=resolution_id,
        details={"title": resolution.title[:200], "told": len(told)},
    )  # fmt: skip
    await session.commit()
    return len(told)


async def catch_up_member(session: AsyncSession, member: Member) -> int:
    """A member who joins later gets the open items of already-published resolutions (once).

    Joins the caller's transaction (the join itself): does not commit."""
    if member.organisation_id is None:
        return 0
    resolutions = (
        await session.scalars(
            select(Resolution)
            .join(Addressee, Addressee.resolution_id == Resolution.id)
            .join(Recommendation, Recommendation.addressee_id == Addressee.id)
            .join(Assignment, Assignment.recommendation_id == Recommendation.id)
            .where(
                Resolution.state == ResolutionState.PUBLISHED,
                Assignment.organisation_id == member.organisation_id,
                Assignment.status.not_in(CLOSED),
            )
            .distinct()
            .order_by(Resolution.id)
        )
    ).all()
    queued = 0
    for resolution in resolutions:
        queued += await _queue_for_members(session, resolution, [member], batch=None)
    return queued


async def published(session: AsyncSession, *, offset: int = 0, limit: int = 10) -> tuple[Sequence[Resolution], int]:
    """Published resolutions, newest first, a page of them and how many there are."""
    live = Resolution.state == ResolutionState.PUBLISHED
    total = await session.scalar(select(func.count()).select_from(Resolution).where(live)) or 0
    rows = (
        await session.scalars(select(Resolution).where(live).order_by(Resolution.id.desc()).offset(offset).limit(limit))
    ).all()
    return rows, int(total)
