"""Progress of published resolutions for those above: admins see everyone, a municipal officer sees
the schools of their municipality (and their own organisation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.entities import (
    Addressee,
    Approval,
    Assignment,
    Member,
    Organisation,
    OrgKind,
    Recommendation,
    Resolution,
    ResolutionState,
)


@dataclass(slots=True)
class ResolutionProgress:
    resolution_id: int
    title: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


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


async def progress(session: AsyncSession, org_ids: list[int] | None, *, limit: int = 10) -> list[ResolutionProgress]:
    """Status counts per published resolution over the given organisations (None: all)."""
    stmt = (
        select(Resolution.id, Resolution.title, Assignment.status, func.count(Assignment.id))
        .join(Addressee, Addressee.resolution_id == Resolution.id)
        .join(Recommendation, Recommendation.addressee_id == Addressee.id)
        .join(Assignment, Assignment.recommendation_id == Recommendation.id)
        .where(Resolution.state == ResolutionState.PUBLISHED)
        .group_by(Resolution.id, Resolution.title, Assignment.status)
        .order_by(Resolution.id.desc())
    )
    if org_ids is not None:
        stmt = stmt.where(Assignment.organisation_id.in_(org_ids))
    result: dict[int, ResolutionProgress] = {}
    for rid, title, status, n in (await session.execute(stmt)).all():
        entry = result.setdefault(rid, ResolutionProgress(rid, title))
        entry.counts[str(status)] = int(n)
    return list(result.values())[:limit]


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
