"""What a step of the join-by-request wizard shows: shared by the Telegram handlers (`handlers/onboarding.py`)
and the MAX ones (`maxbot/handlers/joining.py`), so both messengers offer the same lists, pages and search.

kind → (municipality) → organisation → name and position → the request goes to whoever may approve it.
Ids in the buttons are re-read from the database at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from models import membership
from models.entities import Organisation, OrgKind
from ui import texts
from ui.callbacks import JoinCb, JoinStep
from ui.keyboards import org_page_keyboard

PAGE = 8
OTHER_KINDS = (OrgKind.REGION, OrgKind.INSTITUTE, OrgKind.PARTNER)


@dataclass(frozen=True, slots=True)
class JoinPage:
    """A list to pick from; `search_in` is the municipality whose schools the user may now search by typing."""

    text: str
    markup: InlineKeyboardMarkup
    search_in: int | None = None


def known_kind(kind: str) -> bool:
    return kind in {k.value for k in OrgKind} or kind == "other"


async def _org_page(
    session: AsyncSession, *, kinds: tuple[str, ...], municipality_id: int | None, page: int
) -> tuple[list[Organisation], int]:
    return await membership.list_organisations(
        session, kinds, municipality_id=municipality_id, offset=page * PAGE, limit=PAGE
    )


async def _page(
    session: AsyncSession,
    text: str,
    orgs: list[Organisation],
    total: int,
    next_step: JoinStep,
    data: JoinCb,
    parent: int,
    search_in: int | None = None,
) -> JoinPage:
    if not orgs:
        text = texts.JOIN_EMPTY_LIST if await membership.directory_loaded(session) else texts.JOIN_NOTHING
    markup = org_page_keyboard(
        [(o.id, o.name) for o in orgs],
        next_step=next_step,
        kind=data.kind,
        parent=parent,
        page=data.page,
        total=total,
        per_page=PAGE,
    )
    return JoinPage(text, markup, search_in)


async def step_page(session: AsyncSession, data: JoinCb) -> JoinPage:
    """The list a KIND, MUNICIPALITY or PAGE press leads to (the kind is checked with `known_kind` first)."""
    kind, page = data.kind, data.page
    first_page = data.step == JoinStep.KIND or (data.step == JoinStep.PAGE and data.municipality_id == 0)
    if first_page and kind in {OrgKind.SCHOOL, OrgKind.MUNICIPALITY}:
        # Schools and municipal officers first pick their municipality.
        orgs, total = await _org_page(session, kinds=(OrgKind.MUNICIPALITY,), municipality_id=None, page=page)
        next_step = JoinStep.MUNICIPALITY if kind == OrgKind.SCHOOL else JoinStep.ORG
        return await _page(session, texts.JOIN_CHOOSE_MUNICIPALITY, orgs, total, next_step, data, 0)
    if kind == "other":
        orgs, total = await _org_page(session, kinds=OTHER_KINDS, municipality_id=None, page=page)
        return await _page(session, texts.JOIN_CHOOSE_ORG, orgs, total, JoinStep.ORG, data, 0)
    # A school: the schools of the chosen municipality, searchable by typing.
    municipality = await session.get(Organisation, data.municipality_id)
    if municipality is None or municipality.kind != OrgKind.MUNICIPALITY:
        return await _page(session, texts.STALE_BUTTON, [], 0, JoinStep.ORG, data, 0)
    orgs, total = await _org_page(session, kinds=(OrgKind.SCHOOL,), municipality_id=municipality.id, page=page)
    text = texts.JOIN_CHOOSE_SCHOOL.format(municipality=texts.esc(municipality.name))
    return await _page(session, text, orgs, total, JoinStep.ORG, data, municipality.id, search_in=municipality.id)


async def found_page(
    session: AsyncSession, municipality_id: int, query: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the schools a search found (their pages are FOUND presses; the query stays in the dialog)."""
    orgs, total = await membership.search_schools(session, municipality_id, query, offset=page * PAGE, limit=PAGE)
    if not orgs:
        return texts.JOIN_SEARCH_NOTHING.format(query=texts.esc(query)), None
    markup = org_page_keyboard(
        [(o.id, o.name) for o in orgs],
        next_step=JoinStep.ORG,
        kind=OrgKind.SCHOOL,
        parent=municipality_id,
        page=page,
        total=total,
        per_page=PAGE,
        page_step=JoinStep.FOUND,
    )
    return texts.JOIN_SEARCH_FOUND.format(n=total), markup


async def chosen(session: AsyncSession, data: JoinCb) -> Organisation | None:
    """The organisation an ORG press names, if it is still of the kind the wizard was listing."""
    org = await session.get(Organisation, data.organisation_id)
    expected = OTHER_KINDS if data.kind == "other" else (data.kind,)
    return org if org is not None and org.kind in expected else None
