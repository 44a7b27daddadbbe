"""/progress: execution control as a drill-down, edited in place — resolutions → municipality → school →
items, «Кто отстаёт» with a reminder button, and a chart. Admins start at the region, municipal officers at
their municipality, a school's member at their own organisation. Every press is authorised again."""

from __future__ import annotations

from datetime import date

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsAdminOrMember
from models import execution, oversight, policy
from models.config import Config
from models.entities import Member, Organisation, Resolution
from models.policy import Scope
from models.timeutil import local_today, utcnow
from ui import texts
from ui.callbacks import ProgressCb, ProgressLevel
from ui.keyboards import PROGRESS_PAGE, laggards_keyboard, progress_list_keyboard, progress_view_keyboard
from ui.messages import pack_blocks, shorten

Screen = tuple[str, InlineKeyboardMarkup]


def _scope(user_id: int, member: Member | None, settings: Settings) -> Scope | None:
    return policy.oversight_scope(policy.Actor(user_id, member), settings.admin_ids)


def _today(member: Member | None, settings: Settings) -> date:
    return local_today(member.timezone if member else None, settings.timezone)


def _fit(blocks: list[str]) -> str:
    """One message: the blocks that fit (a long list is cut, the buttons page through it)."""
    return pack_blocks(blocks)[0]


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


async def progress_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    scope = _scope(message.from_user.id, member, settings)
    today = _today(member, settings)
    screen = await resolutions_screen(session, scope, today, 0) if scope is not None else None
    if screen is None:
        await message.answer(texts.PROGRESS_NONE)
        return
    text = screen[0]
    org_ids = await oversight.visible_org_ids(session, member, is_admin=bool(scope and scope.region))
    paused = await oversight.paused_members(session, org_ids, today)
    if paused:  # who is on vacation: their reminders wait, someone else may have to act
        text = _fit([text, texts.paused_block(paused, with_org=True)])
    await message.answer(text, reply_markup=screen[1])


async def on_progress(
    callback: CallbackQuery,
    callback_data: ProgressCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    config: Config,
) -> None:
    """Every level: the scope is re-derived from the database and each id in the button is checked
    against it; a forged press into another municipality gets an alert and nothing else."""
    scope = _scope(callback.from_user.id, member, settings)
    today = _today(member, settings)
    data = callback_data
    if scope is None:
        await callback.answer(texts.PROGRESS_FORBIDDEN, show_alert=True)
        return
    if data.level is ProgressLevel.LIST:
        screen = await resolutions_screen(session, scope, today, max(0, data.page))
        await _show(callback, screen or (texts.PROGRESS_NONE, None))
        return
    resolution = await session.get(Resolution, data.resolution_id)
    if resolution is None or not policy.is_live(resolution):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    # Where a press may lead: the municipality it names must be the officer's own, an organisation must be
    # within the scope; an officer or a member pressing «the region» lands on their own level instead.
    municipality = await session.get(Organisation, data.municipality_id) if data.municipality_id else None
    organisation = await session.get(Organisation, data.organisation_id) if data.organisation_id else None
    if data.municipality_id and (municipality is None or not policy.may_oversee_municipality(scope, municipality.id)):
        await callback.answer(texts.PROGRESS_FORBIDDEN, show_alert=True)
        return
    if data.organisation_id and (organisation is None or not policy.may_oversee_organisation(scope, organisation)):
        await callback.answer(texts.PROGRESS_FORBIDDEN, show_alert=True)
        return
    if not scope.region and municipality is None and scope.municipality_id is not None:
        municipality = await session.get(Organisation, scope.municipality_id)
    if scope.organisation_id is not None and organisation is None:
        organisation = await session.get(Organisation, scope.organisation_id)
    page = max(0, data.page)
    if data.level is ProgressLevel.NUDGE:
        await _nudge(callback, session, resolution, municipality, today, config)
        return
    if data.level is ProgressLevel.CHART:
        await _chart(callback, session, resolution, municipality, today)
        return
    if organisation is not None and data.level in {ProgressLevel.ORGANISATION, ProgressLevel.RESOLUTION}:
        await _show(callback, await organisation_screen(session, resolution, organisation, today, scope))
    elif data.level is ProgressLevel.LAGGARDS and scope.organisation_id is None:
        scoped = municipality.id if municipality else None
        await _show(callback, await laggards_screen(session, resolution, scoped, today))
    elif municipality is not None and scope.organisation_id is None:
        await _show(callback, await municipality_screen(session, resolution, municipality, today, page, scope))
    elif scope.region:
        await _show(callback, await region_screen(session, resolution, today, page))
    else:
        await callback.answer(texts.PROGRESS_FORBIDDEN, show_alert=True)


async def _show(callback: CallbackQuery, screen: tuple[str, InlineKeyboardMarkup | None]) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=screen[0], markup=screen[1])


async def _nudge(
    callback: CallbackQuery,
    session: AsyncSession,
    resolution: Resolution,
    municipality: Organisation | None,
    today: date,
    config: Config,
) -> None:
    done = await oversight.nudge_laggards(
        session,
        resolution_id=resolution.id,
        municipality_id=municipality.id if municipality else None,
        today=today,
        config=config,
        now=utcnow(),
    )
    if not done.messages:
        await callback.answer(texts.PROGRESS_NUDGED_NONE, show_alert=True)
        return
    text = texts.PROGRESS_NUDGED.format(messages=done.messages, orgs=done.organisations)
    await callback.answer(text, show_alert=True)


async def _chart(
    callback: CallbackQuery,
    session: AsyncSession,
    resolution: Resolution,
    municipality: Organisation | None,
    today: date,
) -> None:
    from exports import chart  # matplotlib loads on the first chart, not at start

    await callback.answer()
    if municipality is not None:
        view = await execution.municipality_view(session, resolution.id, municipality.id, today)
        scope_text = f"по организациям: {municipality.name}"
    else:
        view = await execution.region_view(session, resolution.id, today)
        scope_text = "по муниципалитетам"
    picture = chart.render(view, title=resolution.title)
    if isinstance(callback.message, Message):
        title = texts.esc(shorten(resolution.title, 200))
        caption = texts.PROGRESS_CHART_CAPTION.format(title=title, scope=scope_text)
        await callback.message.answer_photo(BufferedInputFile(picture.png, "progress.png"), caption=caption)


def create_router() -> Router:
    router = Router(name="progress")
    router.message.filter(IsAdminOrMember())
    router.callback_query.filter(IsAdminOrMember())
    router.message.register(progress_command, Command("progress"))
    router.callback_query.register(on_progress, ProgressCb.filter())
    return router
