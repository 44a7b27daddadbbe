"""What the XLSX and CSV exports share: column names, Russian status names, value formatting, parts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import execution
from models.entities import Resolution, Status
from models.execution import ItemRow

# Telegram's limit for a file a bot uploads.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
AT_RISK_DAYS = 3  # an open item due within this many days is «at risk» (amber)

NOT_CONNECTED = "не подключены"
WHOLE_REGION = "вся область"

ITEM_COLUMNS = (
    "Муниципалитет",
    "Организация",
    "№ пункта",
    "Пункт",
    "Срок (исходный)",
    "Срок (текущий)",
    "Переносы срока",
    "Статус",
    "Последний отчёт",
    "Кто отчитался",
    "Комментарий",
    "Дней просрочки",
)
SUMMARY_COLUMNS = (
    "Организаций",
    "Подключено",
    "Пунктов со сроком",
    "Закрыто в срок",
    "Закрыто с опозданием",
    "Просрочено сейчас",
    "Ко, %",
    "Средняя просрочка, дн.",
)


def fmt_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def due_history(item: ItemRow, extended: list[date] | None) -> str:
    """«01.03.2025 → 15.03.2025»: the published due date, then each approved extension."""
    if not extended:
        return ""
    return " → ".join(fmt_date(d) for d in [item.original_due, *extended] if d)


def row_state(item: ItemRow, today: date) -> str | None:
    """closed / overdue / at_risk (open, due within AT_RISK_DAYS) or None: the row's colour in XLSX."""
    if item.status == Status.ACCEPTED:
        return "closed"
    if item.days_overdue > 0:
        return "overdue"
    left = item.days_left(today)
    if left is not None and 0 <= left <= AT_RISK_DAYS:
        return "at_risk"
    return None


@dataclass(frozen=True, slots=True)
class Part:
    path: Path
    title: str  # what the part holds: «вся область», a municipality's name…
    size: int


@dataclass(frozen=True, slots=True)
class Export:
    parts: tuple[Part, ...]
    split: bool  # True when one file would have exceeded the upload limit: one part per municipality
    oversized: tuple[Part, ...] = ()  # parts still over the limit (one municipality alone is too big)


_UNSAFE = re.compile(r"[^\w.-]+")


def filename(stem: str, today: date, suffix: str, part: int | None = None) -> str:
    tail = f"_{part:02d}" if part is not None else ""
    return _UNSAFE.sub("_", f"{stem}_{today:%Y-%m-%d}{tail}") + suffix


async def resolutions_of(session: AsyncSession, resolution_id: int | None) -> list[tuple[int, str, date | None]]:
    """(id, title, date) of one resolution or of every published one, oldest first."""
    ids = [resolution_id] if resolution_id is not None else await execution.published_ids(session)
    found = await session.execute(
        select(Resolution.id, Resolution.title, Resolution.date).where(Resolution.id.in_(ids)).order_by(Resolution.id)
    )
    return [(i, t, d) for i, t, d in found.tuples()]
