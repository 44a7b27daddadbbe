"""A broadcast's unconfirmed messages: who they were for, and sending them again on the admin's word.

A row is UNCONFIRMED when it was in flight as the delivering process died: Telegram may or may not have
delivered it, and it has no idempotency key to ask. The bot does not guess (at-most-once); the admin's final
summary names those members, and «Отправить ещё раз» queues each one again under a new key — knowing that
some of them may get the message twice. The old row becomes RESENT (kept for the record, left out of the
totals), so a second press finds nothing left to send.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, outbox
from models.entities import Broadcast, Delivery, DeliveryState, Member, Organisation


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    chat_id: int
    name: str | None  # None: the member has left since
    organisation: str | None


async def unconfirmed(session: AsyncSession, batch: str) -> list[Unconfirmed]:
    """The recipients of a broadcast whose message is unconfirmed, by organisation and name."""
    rows = (
        await session.execute(
            select(Delivery.chat_id, Member.full_name, Organisation.name)
            .select_from(Delivery)
            .outerjoin(Member, Member.id == Delivery.member_id)
            .outerjoin(Organisation, Organisation.id == Member.organisation_id)
            .where(Delivery.batch == batch, Delivery.state == DeliveryState.UNCONFIRMED)
            .order_by(Organisation.name, Member.full_name, Delivery.chat_id)
        )
    ).all()
    return [Unconfirmed(chat_id, name, org) for chat_id, name, org in rows]


async def resend_unconfirmed(
    session: AsyncSession, broadcast_id: int, *, actor_id: int, admin_ids: Collection[int]
) -> int | None:
    """Queue a broadcast's unconfirmed messages again. Returns how many; None if `actor_id` may not (only
    admins may: the button is in an admin's chat, but a forged press must not work either)."""
    if actor_id not in admin_ids:
        return None
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return 0
    rows = (
        await session.scalars(
            select(Delivery)
            .where(Delivery.batch == broadcast.batch, Delivery.state == DeliveryState.UNCONFIRMED)
            .order_by(Delivery.id)
            .with_for_update()  # two admins pressing at once: the second waits and then finds none
        )
    ).all()
    if not rows:
        return 0
    await outbox.enqueue(
        session,
        [
            {
                "key": f"resend:{row.id}",
                "chat_id": row.chat_id,
                "member_id": row.member_id,
                "payload": row.payload,
                "batch": row.batch,
                "priority": row.priority,
            }
            for row in rows
        ],
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_([row.id for row in rows]), Delivery.state == DeliveryState.UNCONFIRMED)
        .values(state=DeliveryState.RESENT, last_error="отправлено повторно по кнопке администратора")
    )
    # The broadcast is open again: the progress message follows the new rows and ends in a new summary.
    broadcast.finished_at = None
    audit.record(
        session,
        actor_id=actor_id,
        action=audit.Action.RESEND,
        object_type="broadcast",
        object_id=broadcast.id,
        details={"batch": broadcast.batch, "messages": len(rows)},
    )
    await session.commit()
    return len(rows)
