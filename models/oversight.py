"""Progress of published resolutions for those above: admins see everyone, a municipal officer sees
the schools of their municipality (and their own organisation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import execution, publishing, reminders
from models.channels import Channel
from models.config import Config
from models.entities import (
    Addressee,
    Approval,
    Assignment,
    Delivery,
    DeliveryState,
    Member,
    Organisation,
    OrgKind,
    Recommendation,
    Resolution,
    ResolutionState,
    Status,
)


async def visible_org_ids(session: AsyncSession, member: Member | None, *, is_admin: bool) -> list[int] | None:
    if is_admin:
        return None
    if member is None or member.organisation_id is None or member.organisation is None:
        return []
    ids = [member.organisation_id]
    if member.organisation.kind == OrgKind.MUNICIPALITY:
        ids += list(
            (
                await session.scalars(
                    select(Organisation.id).where(Organisation.municipality_id == member.organisation_id)
                )
            ).all()
        )
    return ids


async def paused_members(
    session: AsyncSession, org_ids: list[int] | None, today: date, *, exclude_member_id: int | None = None
) -> list[tuple[str, str, date]]:
    """Members on a reminder pause (vacation) in the given organisations: (name, organisation, until)."""
    stmt = (
        select(Member.full_name, Organisation.name, Member.paused_until)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Member.paused_until.is_not(None), Member.paused_until > today, Member.approval == Approval.APPROVED)
        .order_by(Member.paused_until)
        .limit(20)
    )
    if org_ids is not None:
        stmt = stmt.where(Member.organisation_id.in_(org_ids))
    if exclude_member_id is not None:
        stmt = stmt.where(Member.id != exclude_member_id)
    return [(name or "—", org, until) for name, org, until in (await session.execute(stmt)).all() if until]


@dataclass(frozen=True, slots=True)
class Nudged:
    organisations: int
    messages: int


async def nudge_laggards(
    session: AsyncSession,
    *,
    resolution_id: int,
    municipality_id: int | None,
    today: date,
    config: Config,
    now: datetime,
) -> Nudged:
    """«Напомнить»: the organisations «Кто отстаёт» lists now get a reminder of their overdue and
    unacknowledged items of this resolution (through the outbox: quiet hours and pauses hold). Pressing
    again within the hour queues nothing new."""
    listed = await execution.laggards(session, resolution_id, today, municipality_id=municipality_id)
    org_ids = [lag.organisation_id for lag in listed if lag.connected]
    items: dict[int, list[int]] = {}
    if org_ids:
        rows = await session.execute(
            select(Assignment.id, Assignment.organisation_id)
            .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
            .join(Addressee, Addressee.id == Recommendation.addressee_id)
            .where(
                Addressee.resolution_id == resolution_id,
                Assignment.organisation_id.in_(org_ids),
                Assignment.status != Status.ACCEPTED,
                or_(Assignment.status == Status.NEW, Assignment.due < today),
            )
            .order_by(Addressee.position, Recommendation.position)
        )
        for assignment_id, org_id in rows:
            items.setdefault(org_id, []).append(assignment_id)
    key = f"ndg:{resolution_id}:{municipality_id or 0}:{now:%Y%m%d%H}"
    messages = await reminders.nudge(session, config, items, now, key)
    await session.commit()
    return Nudged(len(items), messages)


async def resolutions_of(
    session: AsyncSession, organisation_id: int, *, offset: int, limit: int
) -> tuple[list[tuple[int, str]], int]:
    """Published resolutions addressed to one organisation, newest first: (id, title), and their total."""
    stmt = (
        select(Resolution.id, Resolution.title)
        .join(Addressee, Addressee.resolution_id == Resolution.id)
        .join(Recommendation, Recommendation.addressee_id == Addressee.id)
        .join(Assignment, Assignment.recommendation_id == Recommendation.id)
        .where(Resolution.state == ResolutionState.PUBLISHED, Assignment.organisation_id == organisation_id)
        .distinct()
    )
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.execute(stmt.order_by(Resolution.id.desc()).offset(offset).limit(limit))
    return [(rid, title) for rid, title in rows], int(total)


async def reached(
    session: AsyncSession, resolution_id: int, *, municipality_id: int | None = None
) -> dict[str, int] | None:
    """How many members received the resolution's publication, by the messenger it went through
    ({"telegram": n, "max": m}; a member whose parts went through both counts in both), among the members of
    a municipality's organisations (and its own) or of the region. None while MAX is not in use: nobody is
    known on MAX and none of the publication's messages went through it.

    Counted over the publication's broadcast (`Delivery.batch`, indexed), like the admin's summary: copies
    sent later to members who joined afterwards carry no batch and are not counted here.
    """
    batch = publishing.batch_name(resolution_id)
    on_max = await session.scalar(
        select(
            or_(
                exists().where(or_(Member.max_user_id.is_not(None), Member.user_id < 0)),
                exists().where(Delivery.batch == batch, Delivery.channel == str(Channel.MAX)),
            )
        )
    )
    if not on_max:
        return None
    stmt = (
        select(Delivery.channel, func.count(distinct(Delivery.member_id)))
        .where(Delivery.batch == batch, Delivery.state == DeliveryState.SENT, Delivery.member_id.is_not(None))
        .group_by(Delivery.channel)
    )
    if municipality_id is not None:
        stmt = (
            stmt.join(Member, Member.id == Delivery.member_id)
            .join(Organisation, Organisation.id == Member.organisation_id)
            .where(or_(Organisation.municipality_id == municipality_id, Organisation.id == municipality_id))
        )
    counts = {str(channel): 0 for channel in Channel}
    for channel, members in (await session.execute(stmt)).tuples():
        counts[str(channel)] = counts.get(str(channel), 0) + int(members)
    return counts


@dataclass(frozen=True, slots=True)
class RegionState:
    """What the admin's /start checklist shows: is the region ready, and what to do next."""

    organisations: int
    municipalities: int
    schools: int
    municipalities_without_officer: list[str]
    schools_addressed: int  # by a published resolution
    schools_connected: int  # of those, with at least one member
    resolutions_published: int
    open_items: int


async def region_state(session: AsyncSession) -> RegionState:
    counts = dict(
        (await session.execute(select(Organisation.kind, func.count()).group_by(Organisation.kind))).tuples().all()
    )
    has_member = (
        select(Member.organisation_id)
        .where(Member.approval == Approval.APPROVED, Member.active.is_(True))
        .scalar_subquery()
    )
    lonely = (
        await session.scalars(
            select(Organisation.name)
            .where(Organisation.kind == OrgKind.MUNICIPALITY, Organisation.id.not_in(has_member))
            .order_by(Organisation.name)
        )
    ).all()
    live = (
        select(Assignment.organisation_id)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .join(Resolution, Resolution.id == Addressee.resolution_id)
        .where(Resolution.state == ResolutionState.PUBLISHED)
    )
    addressed = select(Organisation.id).where(Organisation.kind == OrgKind.SCHOOL, Organisation.id.in_(live))
    schools_addressed = await session.scalar(select(func.count()).select_from(addressed.subquery())) or 0
    schools_connected = (
        await session.scalar(
            select(func.count()).select_from(addressed.where(Organisation.id.in_(has_member)).subquery())
        )
        or 0
    )
    published = (
        await session.scalar(
            select(func.count()).select_from(Resolution).where(Resolution.state == ResolutionState.PUBLISHED)
        )
        or 0
    )
    open_items = (
        await session.scalar(
            select(func.count()).select_from(live.where(Assignment.status != Status.ACCEPTED).subquery())
        )
        or 0
    )
    return RegionState(
        organisations=sum(counts.values()),
        municipalities=counts.get(OrgKind.MUNICIPALITY, 0),
        schools=counts.get(OrgKind.SCHOOL, 0),
        municipalities_without_officer=list(lonely),
        schools_addressed=int(schools_addressed),
        schools_connected=int(schools_connected),
        resolutions_published=int(published),
        open_items=int(open_items),
    )
