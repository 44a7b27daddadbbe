"""Who may do what, for which organisation: the one place every service asks.

- Admins (the ids in `Config.admin_ids`) may do everything, with or without a Member row.
- A member acts (reports, asks for extensions) only for their own organisation, once approved.
- A municipal officer (an approved member of a municipality) manages, reviews and sees the schools of
  that municipality; everything else is managed and reviewed by admins.
- Nothing may be reported, reviewed or decided on a resolution that is no longer published.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.entities import Approval, Member, Organisation, OrgKind, Resolution, ResolutionState


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the user and their Member row, if any (admins may have none)."""

    user_id: int
    member: Member | None = None

    def is_admin(self, admin_ids: Collection[int]) -> bool:
        return self.user_id in admin_ids


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone a notice goes to: a member, or an admin who may have no Member row."""

    chat_id: int
    member_id: int | None = None


def is_approved(member: Member | None) -> bool:
    return member is not None and member.approval == Approval.APPROVED and member.organisation_id is not None


def may_act_for(member: Member | None, organisation_id: int) -> bool:
    """A member acts (reports, answers) only for their own organisation, and only once approved."""
    return is_approved(member) and member is not None and member.organisation_id == organisation_id


def officer_of(member: Member | None, organisation: Organisation) -> bool:
    """An approved member of the municipality a school belongs to."""
    return (
        is_approved(member)
        and member is not None
        and organisation.kind == OrgKind.SCHOOL
        and organisation.municipality_id is not None
        and organisation.municipality_id == member.organisation_id
    )


def manages(actor: Actor, organisation: Organisation, admin_ids: Collection[int]) -> bool:
    """Deciding join requests, removing members, reviewing reports and deciding extensions."""
    return actor.is_admin(admin_ids) or officer_of(actor.member, organisation)


def can_invite(actor: Actor, organisation: Organisation, admin_ids: Collection[int], role: str | None = None) -> bool:
    """Admins invite to any organisation with any role; an officer only to their schools, as «school»."""
    if role is not None and role not in frozenset(OrgKind):
        return False
    if actor.is_admin(admin_ids):
        return True
    return officer_of(actor.member, organisation) and role in {None, OrgKind.SCHOOL}


def may_view(actor: Actor, organisation: Organisation, admin_ids: Collection[int]) -> bool:
    """Admins see everything; a member their own organisation; an officer also their municipality's."""
    if actor.is_admin(admin_ids):
        return True
    member = actor.member
    if not is_approved(member) or member is None:
        return False
    return organisation.id == member.organisation_id or (
        organisation.municipality_id is not None and organisation.municipality_id == member.organisation_id
    )


def is_live(resolution: Resolution) -> bool:
    """Reports, reviews and extension decisions only on a published resolution."""
    return resolution.state == ResolutionState.PUBLISHED


async def actor_for(session: AsyncSession, user_id: int) -> Actor:
    member: Member | None = await session.scalar(select(Member).where(Member.user_id == user_id))
    return Actor(user_id, member)


async def members_of(session: AsyncSession, organisation_id: int) -> list[Recipient]:
    """Approved members who have not blocked the bot."""
    rows = await session.execute(
        select(Member.user_id, Member.id)
        .where(
            Member.organisation_id == organisation_id,
            Member.approval == Approval.APPROVED,
            Member.active.is_(True),
        )
        .order_by(Member.id)
    )
    return [Recipient(chat, member_id) for chat, member_id in rows]


async def managers_of(session: AsyncSession, organisation: Organisation, admin_ids: Collection[int]) -> list[Recipient]:
    """Who reviews, approves and hears the difficulties of an organisation: a school's municipal officers,
    or the admins for other organisations and for a municipality that has no officer yet."""
    if organisation.kind == OrgKind.SCHOOL and organisation.municipality_id is not None:
        officers = await members_of(session, organisation.municipality_id)
        if officers:
            return officers
    return [Recipient(chat) for chat in sorted(admin_ids)]


@dataclass(frozen=True, slots=True)
class Scope:
    """What someone oversees: the region (admins), a municipality (its officers), or one organisation."""

    region: bool = False
    municipality_id: int | None = None
    organisation_id: int | None = None


def oversight_scope(actor: Actor, admin_ids: Collection[int]) -> Scope | None:
    """None for someone who oversees nothing (not approved anywhere)."""
    if actor.is_admin(admin_ids):
        return Scope(region=True)
    member = actor.member
    if not is_approved(member) or member is None or member.organisation_id is None:
        return None
    if member.organisation is not None and member.organisation.kind == OrgKind.MUNICIPALITY:
        return Scope(municipality_id=member.organisation_id)
    return Scope(organisation_id=member.organisation_id)


def may_oversee_municipality(scope: Scope, municipality_id: int) -> bool:
    return scope.region or scope.municipality_id == municipality_id


def may_oversee_organisation(scope: Scope, organisation: Organisation) -> bool:
    """Admins any organisation; an officer their municipality's (and its own); a member their own."""
    if scope.region:
        return True
    if scope.municipality_id is not None:
        return scope.municipality_id in {organisation.id, organisation.municipality_id}
    return organisation.id == scope.organisation_id


class Audience(StrEnum):
    """Whose menu and help someone gets."""

    GUEST = "guest"  # not a member (yet), or a pending applicant
    MEMBER = "member"  # a school's director or staff, a partner, the institute…
    OFFICER = "officer"  # a member of a municipality: oversees its schools
    ADMIN = "admin"


def audience(actor: Actor, admin_ids: Collection[int]) -> Audience:
    if actor.is_admin(admin_ids):
        return Audience.ADMIN
    member = actor.member
    if not is_approved(member) or member is None:
        return Audience.GUEST
    if member.organisation is not None and member.organisation.kind == OrgKind.MUNICIPALITY:
        return Audience.OFFICER
    return Audience.MEMBER
