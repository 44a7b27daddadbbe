"""What /export and /audit send, for both messengers: the messages and the files in order, each file with its
caption. The transports only carry them (Telegram as documents, MAX as uploaded files)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, execution, policy
from models.entities import Resolution
from models.policy import Scope
from models.timeutil import utcnow
from ui import texts
from ui.callbacks import ExportFormat
from ui.keyboards import audit_keyboard, csv_keyboard, export_keyboard

AUDIT_PAGE = 15


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message: text alone, or a file (`path`) with the text as its caption; `markup` under the text."""

    text: str
    path: Path | None = None
    markup: InlineKeyboardMarkup | None = None


def export_scope(actor: policy.Actor, admin_ids: Collection[int]) -> Scope | None:
    """Admins the region, officers their municipality; nobody else exports."""
    scope = policy.oversight_scope(actor, admin_ids)
    if scope is None or scope.organisation_id is not None:
        return None
    return scope


async def export_menu(session: AsyncSession, scope: Scope | None, today: date) -> Outgoing:
    """/export: the resolutions to choose from, or why there is nothing."""
    if scope is None:
        return Outgoing(texts.EXPORT_FORBIDDEN)
    listed = await execution.resolutions(session, today, municipality_id=scope.municipality_id, limit=20)
    if not listed.total:
        return Outgoing(texts.EXPORT_NONE)
    return Outgoing(texts.EXPORT_CHOOSE, markup=export_keyboard([(r.resolution_id, r.title) for r in listed.items]))


async def export_refusal(session: AsyncSession, scope: Scope | None, resolution_id: int) -> str | None:
    """Why this export press is not served (no scope, or a resolution gone), if it is not."""
    if scope is None:
        return texts.EXPORT_FORBIDDEN
    resolution = await session.get(Resolution, resolution_id) if resolution_id else None
    if resolution_id and (resolution is None or not policy.is_live(resolution)):
        return texts.STALE_BUTTON
    return None


async def export_messages(
    session: AsyncSession, folder: Path, scope: Scope, *, today: date, resolution_id: int, fmt: ExportFormat
) -> list[Outgoing]:
    """The report written into `folder` (the caller removes it after sending): the files, what was left out,
    and after an XLSX the offer of the same as CSV."""
    from exports.csv_export import export_csv  # the writers load on the first export, not at start
    from exports.xlsx import export_xlsx

    write = export_xlsx if fmt is ExportFormat.XLSX else export_csv
    done = await write(
        session, folder, today=today, resolution_id=resolution_id or None, municipality_id=scope.municipality_id
    )
    out: list[Outgoing] = []
    if done.split:
        out.append(Outgoing(texts.EXPORT_SPLIT.format(n=len(done.parts))))
    for part in done.parts:
        if part in done.oversized:
            out.append(Outgoing(texts.EXPORT_OVERSIZED.format(title=texts.esc(part.title))))
            continue
        caption = texts.EXPORT_PART.format(title=texts.esc(part.title), date=texts.fmt_date(today))
        out.append(Outgoing(caption, path=part.path))
    if fmt is ExportFormat.XLSX:
        out.append(Outgoing(texts.EXPORT_CSV_OFFER, markup=csv_keyboard(resolution_id)))
    return out


async def audit_page(session: AsyncSession, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    entries, total = await audit.latest(session, offset=page * AUDIT_PAGE, limit=AUDIT_PAGE)
    if not total:
        return texts.AUDIT_EMPTY, None
    first = page * AUDIT_PAGE + 1
    lines = [texts.AUDIT_HEAD.format(shown=f"{first}–{first + len(entries) - 1}", total=total), ""]
    lines += [texts.audit_line(e.at, e.actor_id, e.action, e.object_id, e.details) for e in entries]
    return "\n".join(lines), audit_keyboard(page, total, AUDIT_PAGE)


async def audit_csv(session: AsyncSession) -> tuple[str, bytes]:
    """The whole trail as CSV for Excel: (file name, bytes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(texts.AUDIT_CSV_HEADER)
    for entry in await audit.everything(session):
        writer.writerow(
            [
                entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.actor_id if entry.actor_id is not None else "",
                texts.AUDIT_ACTIONS.get(entry.action, entry.action),
                entry.object_type,
                entry.object_id if entry.object_id is not None else "",
                json.dumps(entry.details, ensure_ascii=False),
            ]
        )
    data = "\ufeff".encode() + buffer.getvalue().encode()  # the BOM makes Excel read UTF-8
    return f"audit-{utcnow():%Y-%m-%d}.csv", data
