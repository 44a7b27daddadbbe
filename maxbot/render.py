"""Notices rendered for MAX: the same texts and buttons as Telegram's (`ui.render.Renderer`), except where MAX
differs — MAX names messages by strings, so a refresh edits the copies the MAX worker sent (`message_ref`) and
the item cards opened on MAX (`ItemCard.message_ref`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.channels import Channel
from models.entities import Delivery, DeliveryState, Member
from models.notices import NoticeKind, item_ids, kind_of, load_items, shown_max_cards
from models.timeutil import utcnow
from ui.render import Edit, OutMessage, Renderer

FILE_KINDS = {"max_file": "file", "max_image": "image"}  # ReportFile.kind of files sent on MAX → MAX's type


@dataclass(frozen=True, slots=True)
class MaxEdit(Edit):
    """An edit of a message MAX knows by its `mid`."""

    ref: str = ""


async def shown_copies(session: AsyncSession, member_id: int, resolution_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The publication messages of a resolution the MAX worker sent to a member: (mid, notice payload)."""
    rows = await session.execute(
        select(Delivery.message_ref, Delivery.payload).where(
            Delivery.member_id == member_id,
            Delivery.key.startswith(f"pub:{resolution_id}:{member_id}:", autoescape=True),
            Delivery.channel == str(Channel.MAX),
            Delivery.state == DeliveryState.SENT,
            Delivery.message_ref.is_not(None),
        )
    )
    return [(str(ref), payload) for ref, payload in rows]


class MaxRenderer(Renderer):
    """Telegram's renderer with MAX's copies for refreshes."""

    async def refresh(self, session: AsyncSession, row: Delivery, p: dict[str, Any]) -> OutMessage | None:
        """The member's publication messages and item cards on MAX that show this item, drawn again."""
        assignment_id = p["assignment_id"]
        f = (await load_items(session, [assignment_id])).get(assignment_id)
        if f is None or row.member_id is None:
            return None
        member = await session.get(Member, row.member_id)
        shown = [
            (ref, q)
            for ref, q in await shown_copies(session, row.member_id, f.resolution_id)
            if assignment_id in item_ids(q)
        ]
        edits: list[Edit] = []
        if shown:
            items = await load_items(session, [i for _ref, q in shown for i in item_ids(q)])
            for ref, payload in shown:
                fresh = self.publication(payload, items, member, utcnow())
                if fresh is not None:
                    edits.append(MaxEdit(0, fresh.text, fresh.markup, ref=ref))
        cards = await shown_max_cards(session, row.chat_id, assignment_id)  # a MAX row's chat is the MAX user
        if cards:
            card = await self.card(session, f)
            edits += [MaxEdit(0, card.text, card.markup, ref=ref) for ref in cards]
        return OutMessage("", edits=tuple(edits)) if edits else None

    async def redraw(self, session: AsyncSession, mid: str) -> OutMessage | None:
        """A publication message the MAX worker sent, drawn from the current state (after a press on it)."""
        row = await session.scalar(
            select(Delivery).where(Delivery.message_ref == mid, Delivery.channel == str(Channel.MAX)).limit(1)
        )
        if row is None or kind_of(row.payload) is not NoticeKind.PUBLICATION:
            return None
        items = await load_items(session, item_ids(row.payload))
        member = await session.get(Member, row.member_id) if row.member_id is not None else None
        return self.publication(row.payload, items, member, utcnow())
