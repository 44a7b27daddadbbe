"""/progress for both messengers: the drill-down screens (resolutions → region → municipality → school → items,
«Кто отстаёт»), and where a press leads once it is authorised against the presser's scope.

Each transport only renders what `open_screen` decides: it edits the pressed message with a `Shown` screen,
shows a `Refused` alert, nudges the laggards (`nudge`) or sends a chart (`chart_of`, drawn by exports/chart.py
above this layer). The scope and the presser's date come from the transport (its settings), as plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from models import execution, oversight, policy
from models.config import Config
from models.entities import Member, Organisation, Resolution
from models.execution import View
from models.policy import Scope
from ui import texts
from ui.callbacks import ProgressCb, ProgressLevel
from ui.keyboards import PROGRESS_PAGE, laggards_keyboard, progress_list_keyboard, progress_view_keyboard
from ui.messages import pack_blocks, shorten

Screen = tuple[str, InlineKeyboardMarkup]


def _fit(blocks: list[str]) -> str:
    """One message: the blocks that fit (a long list is cut, the buttons page through it)."""
    return pack_blocks(blocks)[0]


async def _reached_block(session: AsyncSession, resolution_id: int, municipality_id: int | None) -> list[str]:
    """«Доставлено участникам: Telegram — …, MAX — …» once MAX is in use; nothing for a Telegram-only region."""
    by_channel = await oversight.reached(session, resolution_id, municipality_id=municipality_id)
    return [texts.reached_line(by_channel)] if by_channel is not None else []


async def resolutions_screen(session: AsyncSession, scope: Scope, today: date, page: int) -> Screen | None:
    offset = page * PROGRESS_PAGE
    if scope.organisation_id is not None:
        found, total = await oversight.resolutions_of(
            session, scope.organisation_id, offset=offset, limit=PROGRESS_PAGE
        )
        if not total:
            return None
        head = texts.PROGRESS_LIST_HEAD.format(shown=f"{offset + 1}–{offset + len(found)}", total=total)
        return head, progress_list_keyboard(found, page, total)
    listed = await execution.resolutions(
        session, today, municipality_id=scope.municipality_id, offset=offset, limit=PROGRESS_PAGE
    )
    if not listed.total:
        return None
    blocks = [texts.PROGRESS_LIST_HEAD.format(shown=f"{offset + 1}–{offset + len(listed.items)}", total=listed.total)]
    blocks += [f"<b>{texts.esc(r.title)}</b>\n{texts.figures_line(r.figures)}" for r in listed.items]
    items = [(r.resolution_id, r.title) for r in listed.items]
    return _fit(blocks), progress_list_keyboard(items, page, listed.total)


async def region_screen(session: AsyncSession, resolution: Resolution, today: date, page: int) -> Screen:
    view = await execution.region_view(session, resolution.id, today)
    blocks = [texts.PROGRESS_REGION.format(title=texts.esc(resolution.title), figures=texts.figures_line(view.total))]
    blocks += await _reached_block(session, resolution.id, None)
    blocks.append("\n".join(texts.progress_row(r.name, r.figures) for r in view.rows))
    municipalities = [r for r in view.rows if r.key is not None]
    shown = municipalities[page * PROGRESS_PAGE : (page + 1) * PROGRESS_PAGE]
    here = ProgressCb(level=ProgressLevel.RESOLUTION, resolution_id=resolution.id)
    choices = [
        (ProgressCb(level=ProgressLevel.MUNICIPALITY, resolution_id=resolution.id, municipality_id=r.key or 0), r.name)
        for r in shown
    ]
    markup = progress_view_keyboard(
        choices,
        page_of=here,
        page=page,
        total=len(municipalities),
        laggards=ProgressCb(level=ProgressLevel.LAGGARDS, resolution_id=resolution.id),
        chart=ProgressCb(level=ProgressLevel.CHART, resolution_id=resolution.id),
        back=ProgressCb(level=ProgressLevel.LIST),
    )
    return _fit(blocks), markup


async def municipality_screen(
    session: AsyncSession, resolution: Resolution, municipality: Organisation, today: date, page: int, scope: Scope
) -> Screen:
    view = await execution.municipality_view(session, resolution.id, municipality.id, today)
    connected = [r for r in view.rows if r.figures.connected]
    absent = [r for r in view.rows if not r.figures.connected]
    blocks = [
        texts.PROGRESS_MUNICIPALITY.format(
            title=texts.esc(resolution.title), name=texts.esc(municipality.name), figures=texts.figures_line(view.total)
        )
    ]
    blocks += await _reached_block(session, resolution.id, municipality.id)
    if connected:
        blocks.append("\n".join(texts.progress_row(r.name, r.figures) for r in connected))
    if absent:
        names = "; ".join(texts.esc(r.name) for r in absent)
        blocks.append(texts.PROGRESS_NOT_CONNECTED.format(n=len(absent), names=names))
    shown = connected[page * PROGRESS_PAGE : (page + 1) * PROGRESS_PAGE]
    ids = {"resolution_id": resolution.id, "municipality_id": municipality.id}
    choices = [(ProgressCb(level=ProgressLevel.ORGANISATION, organisation_id=r.key or 0, **ids), r.name) for r in shown]
    back = ProgressCb(level=ProgressLevel.RESOLUTION, resolution_id=resolution.id) if scope.region else None
    markup = progress_view_keyboard(
        choices,
        page_of=ProgressCb(level=ProgressLevel.MUNICIPALITY, **ids),
        page=page,
        total=len(connected),
        laggards=ProgressCb(level=ProgressLevel.LAGGARDS, **ids),
        chart=ProgressCb(level=ProgressLevel.CHART, **ids),
        back=back or ProgressCb(level=ProgressLevel.LIST),
    )
    return _fit(blocks), markup


async def organisation_screen(
    session: AsyncSession, resolution: Resolution, organisation: Organisation, today: date, scope: Scope
) -> Screen:
    rows = await execution.school_view(session, resolution.id, organisation.id, today)
    blocks = [texts.PROGRESS_ORGANISATION.format(title=texts.esc(resolution.title), name=texts.esc(organisation.name))]
    blocks += [texts.progress_item(row) for row in rows]
    if scope.organisation_id is not None:
        back = ProgressCb(level=ProgressLevel.LIST)
    elif organisation.municipality_id is not None:
        back = ProgressCb(
            level=ProgressLevel.MUNICIPALITY, resolution_id=resolution.id, municipality_id=organisation.municipality_id
        )
    else:
        back = ProgressCb(level=ProgressLevel.RESOLUTION, resolution_id=resolution.id)
    markup = progress_view_keyboard([], page_of=None, page=0, total=0, laggards=None, chart=None, back=back)
    return _fit(blocks), markup


async def laggards_screen(
    session: AsyncSession, resolution: Resolution, municipality_id: int | None, today: date
) -> Screen:
    listed = await execution.laggards(session, resolution.id, today, municipality_id=municipality_id)
    ids = {"resolution_id": resolution.id, "municipality_id": municipality_id or 0}
    back_level = ProgressLevel.MUNICIPALITY if municipality_id else ProgressLevel.RESOLUTION
    back = ProgressCb(level=back_level, **ids)
    if not listed:
        return texts.PROGRESS_NO_LAGGARDS, laggards_keyboard(None, back)
    blocks = [texts.PROGRESS_LAGGARDS.format(title=texts.esc(resolution.title))]
    blocks.append("\n".join(texts.laggard_line(lag) for lag in listed))
    nudge = ProgressCb(level=ProgressLevel.NUDGE, **ids) if any(lag.connected for lag in listed) else None
    return _fit(blocks), laggards_keyboard(nudge, back)


async def opening_screen(session: AsyncSession, scope: Scope, member: Member | None, today: date) -> Screen | None:
    """What /progress answers: the resolutions, and who is on a reminder pause (someone else may have to act)."""
    screen = await resolutions_screen(session, scope, today, 0)
    if screen is None:
        return None
    org_ids = await oversight.visible_org_ids(session, member, is_admin=scope.region)
    paused = await oversight.paused_members(session, org_ids, today)
    if paused:
        return _fit([screen[0], texts.paused_block(paused, with_org=True)]), screen[1]
    return screen


# -- where a press leads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    """Edit the pressed message to this screen."""

    text: str
    markup: InlineKeyboardMarkup | None


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing changes; the presser reads why."""

    alert: str


@dataclass(frozen=True, slots=True)
class Nudge:
    """«Напомнить»: remind the laggards of this resolution (in this municipality, or the whole region)."""

    resolution: Resolution
    municipality: Organisation | None


@dataclass(frozen=True, slots=True)
class ChartWanted:
    """«График»: a picture of this resolution's figures, per municipality or per organisation of one."""

    resolution: Resolution
    municipality: Organisation | None


Outcome = Shown | Refused | Nudge | ChartWanted


async def open_screen(session: AsyncSession, scope: Scope | None, data: ProgressCb, today: date) -> Outcome:
    """Every level: each id in the button is checked against the scope re-derived from the database; a forged
    press into another municipality is refused and nothing else happens."""
    if scope is None:
        return Refused(texts.PROGRESS_FORBIDDEN)
    if data.level is ProgressLevel.LIST:
        screen = await resolutions_screen(session, scope, today, max(0, data.page))
        return Shown(*screen) if screen is not None else Shown(texts.PROGRESS_NONE, None)
    resolution = await session.get(Resolution, data.resolution_id)
    if resolution is None or not policy.is_live(resolution):
        return Refused(texts.STALE_BUTTON)
    # Where a press may lead: the municipality it names must be the officer's own, an organisation must be
    # within the scope; an officer or a member pressing «the region» lands on their own level instead.
    municipality = await session.get(Organisation, data.municipality_id) if data.municipality_id else None
    organisation = await session.get(Organisation, data.organisation_id) if data.organisation_id else None
    if data.municipality_id and (municipality is None or not policy.may_oversee_municipality(scope, municipality.id)):
        return Refused(texts.PROGRESS_FORBIDDEN)
    if data.organisation_id and (organisation is None or not policy.may_oversee_organisation(scope, organisation)):
        return Refused(texts.PROGRESS_FORBIDDEN)
    if not scope.region and municipality is None and scope.municipality_id is not None:
        municipality = await session.get(Organisation, scope.municipality_id)
    if scope.organisation_id is not None and organisation is None:
        organisation = await session.get(Organisation, scope.organisation_id)
    page = max(0, data.page)
    if data.level is ProgressLevel.NUDGE and scope.organisation_id is None:
        return Nudge(resolution, municipality)
    if data.level is ProgressLevel.CHART and scope.organisation_id is None:
        return ChartWanted(resolution, municipality)
    if organisation is not None and data.level in {ProgressLevel.ORGANISATION, ProgressLevel.RESOLUTION}:
        return Shown(*await organisation_screen(session, resolution, organisation, today, scope))
    if data.level is ProgressLevel.LAGGARDS and scope.organisation_id is None:
        scoped = municipality.id if municipality else None
        return Shown(*await laggards_screen(session, resolution, scoped, today))
    if municipality is not None and scope.organisation_id is None:
        return Shown(*await municipality_screen(session, resolution, municipality, today, page, scope))
    if scope.region:
        return Shown(*await region_screen(session, resolution, today, page))
    return Refused(texts.PROGRESS_FORBIDDEN)


async def nudge(session: AsyncSession, wanted: Nudge, today: date, config: Config, now: datetime) -> str:
    """Remind the laggards now; the alert that says how many were reminded (commits)."""
    done = await oversight.nudge_laggards(
        session,
        resolution_id=wanted.resolution.id,
        municipality_id=wanted.municipality.id if wanted.municipality else None,
        today=today,
        config=config,
        now=now,
    )
    if not done.messages:
        return texts.PROGRESS_NUDGED_NONE
    return texts.PROGRESS_NUDGED.format(messages=done.messages, orgs=done.organisations)


async def chart_of(session: AsyncSession, wanted: ChartWanted, today: date) -> tuple[View, str]:
    """The figures the chart draws, and its caption."""
    resolution, municipality = wanted.resolution, wanted.municipality
    if municipality is not None:
        view = await execution.municipality_view(session, resolution.id, municipality.id, today)
        scope_text = texts.PROGRESS_CHART_BY_ORGANISATIONS.format(name=texts.esc(municipality.name))
    else:
        view = await execution.region_view(session, resolution.id, today)
        scope_text = texts.PROGRESS_CHART_BY_MUNICIPALITIES
    title = texts.esc(shorten(resolution.title, 200))
    return view, texts.PROGRESS_CHART_CAPTION.format(title=title, scope=scope_text)
