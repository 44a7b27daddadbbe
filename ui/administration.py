"""The screens of membership administration — invites, member lists, removal, the directory import — for
both messengers: each returns the text and the keyboard, or None when the one who asks may not have it
(the caller answers that as a stale button or an unknown command). Who may do what is decided by
`models.policy` here and again by the services for every action."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from pathlib import PurePath

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from models import directory, membership, policy
from models.entities import Invite, Member, Organisation, OrgKind
from ui import texts
from ui.callbacks import AdminAction, AdminCb
from ui.keyboards import admin_kind_keyboard, admin_org_keyboard, members_keyboard
from ui.messages import pack_blocks

Screen = tuple[str, InlineKeyboardMarkup | None]
PAGE = 8
DIRECTORY_SUFFIXES = frozenset({".csv", ".xlsx"})
LIST_ACTIONS = frozenset(
    {AdminAction.INVITE_KIND, AdminAction.INVITE_PAGE, AdminAction.MEMBERS_KIND, AdminAction.MEMBERS_PAGE}
)
INVITE_LISTS = frozenset({AdminAction.INVITE_KIND, AdminAction.INVITE_PAGE})


def officer_municipality(member: Member | None) -> int | None:
    """The municipality a municipal officer may invite and list the schools of, if the member is one."""
    if member is None or member.organisation is None or member.organisation.kind != OrgKind.MUNICIPALITY:
        return None
    return member.organisation_id


async def invite_start(session: AsyncSession, actor: policy.Actor, admin_ids: Collection[int]) -> Screen | None:
    """/invite: admins choose a kind of organisation, officers one of their schools."""
    if actor.is_admin(admin_ids):
        return texts.INVITE_CHOOSE_KIND, admin_kind_keyboard(AdminAction.INVITE_KIND)
    municipality_id = officer_municipality(actor.member)
    if municipality_id is None:
        return None
    orgs, total = await membership.list_organisations(
        session, (OrgKind.SCHOOL,), municipality_id=municipality_id, offset=0, limit=PAGE
    )
    markup = admin_org_keyboard(
        [(o.id, o.name) for o in orgs], AdminAction.INVITE_ORG, kind=OrgKind.SCHOOL, page=0, total=total, per_page=PAGE
    )
    return texts.INVITE_CHOOSE_ORG, markup


def members_start(actor: policy.Actor, admin_ids: Collection[int]) -> Screen | None:
    if actor.is_admin(admin_ids):
        return texts.MEMBERS_CHOOSE_ORG, admin_kind_keyboard(AdminAction.MEMBERS_KIND)
    if officer_municipality(actor.member) is not None:
        return texts.MEMBERS_CHOOSE_ORG, admin_kind_keyboard(AdminAction.MEMBERS_KIND, kinds=("school",))
    return None


async def organisation_page(
    session: AsyncSession, data: AdminCb, actor: policy.Actor, admin_ids: Collection[int]
) -> Screen | None:
    """A page of organisations to invite to or to list members of: admins any kind, officers their schools."""
    kind = data.kind
    is_admin = actor.is_admin(admin_ids)
    officer_of = officer_municipality(actor.member)
    if kind not in {k.value for k in OrgKind} or not (is_admin or (officer_of and kind == OrgKind.SCHOOL)):
        return None
    orgs, total = await membership.list_organisations(
        session, (kind,), municipality_id=None if is_admin else officer_of, offset=data.page * PAGE, limit=PAGE
    )
    pick = AdminAction.INVITE_ORG if data.action in INVITE_LISTS else AdminAction.MEMBERS_ORG
    markup = admin_org_keyboard(
        [(o.id, o.name) for o in orgs], pick, kind=kind, page=data.page, total=total, per_page=PAGE
    )
    return texts.INVITE_CHOOSE_ORG, markup


def invite_text(org: Organisation, invite: Invite, links: Sequence[tuple[str, str]]) -> str:
    """The new invite, with its link for each messenger the bot runs on: (messenger name, link)."""
    shown = links[0][1] if len(links) == 1 else "\n".join(f"{name}: {link}" for name, link in links)
    return texts.INVITE_CREATED.format(
        org=texts.esc(org.name),
        role=texts.ROLE_SHORT.get(org.kind, ""),
        until=texts.fmt_date(invite.expires_at.date()),
        uses=texts.INVITE_USES_ONE if invite.max_uses == 1 else f"использований: {invite.max_uses}",
        link=shown,
    )


async def members_screen(session: AsyncSession, org: Organisation) -> Screen:
    members = await membership.list_members(session, org.id)
    if not members:
        return texts.MEMBERS_NONE.format(org=texts.esc(org.name)), None
    lines = [texts.MEMBERS_HEAD.format(org=texts.esc(org.name))]
    for m in members:
        lines.append(
            texts.MEMBER_LINE.format(
                name=texts.esc(m.full_name or "без имени") + (f", {texts.esc(m.position)}" if m.position else ""),
                username=f" (@{texts.esc(m.username)})" if m.username else "",
                state=texts.APPROVAL_NAMES.get(m.approval, m.approval),
            )
        )
    return "\n".join(lines), members_keyboard([(m.id, m.full_name) for m in members])


def directory_problem(name: str, size: int | None, limit: int) -> str | None:
    """What is wrong with a file offered as the directory before it is downloaded, if anything."""
    if PurePath(name).suffix.lower() not in DIRECTORY_SUFFIXES:
        return texts.ORGS_FAILED.format(reason="ожидается файл .csv или .xlsx")
    if size is not None and size > limit:
        return texts.UPLOAD_TOO_BIG.format(size=texts.mb(size), limit=f"{limit / 1024 / 1024:g}")
    return None


async def import_directory(session: AsyncSession, name: str, content: bytes, actor: int, *, limit: int) -> list[str]:
    """Import the directory the admin sent; the messages that report it (several for a long report)."""
    problem = directory_problem(name, len(content), limit)
    if problem is not None:
        return [problem]
    try:
        rows = await asyncio.to_thread(directory.read_bytes, content, name)
        report = await directory.import_rows(session, rows, actor_id=actor)
    except directory.DirectoryError as exc:
        return [texts.ORGS_FAILED.format(reason=texts.esc(exc.message))]
    # The import is saved; a long report (many rejected rows) comes in several messages, never as an error.
    return pack_blocks(texts.directory_report(report, html=True).split("\n\n"))
