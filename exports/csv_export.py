"""The per-item rows of the execution report as CSV for Excel in a Russian locale: UTF-8 with a BOM (else
Excel reads Cyrillic as cp1251) and «;» between fields (the «,» is the decimal separator there)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from exports.common import (
    ITEM_COLUMNS,
    MAX_UPLOAD_BYTES,
    WHOLE_REGION,
    Export,
    Part,
    due_history,
    filename,
    fmt_date,
    resolutions_of,
)
from models import execution
from models.execution import Group
from ui.texts import STATUS_NAMES

COLUMNS = ("Резолюция", *ITEM_COLUMNS)


async def write_csv(
    session: AsyncSession,
    path: Path,
    *,
    today: date,
    resolutions: Sequence[tuple[int, str, date | None]],
    groups: Sequence[Group],
) -> int:
    """Rows of `groups` for each resolution, streamed into `path`. Returns the number of rows."""
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(COLUMNS)
        for rid, title, _when in resolutions:
            for group in groups:
                extended = await execution.extensions(session, rid, group)
                async for item in execution.stream_items(session, rid, group, today):
                    writer.writerow(
                        (
                            title,
                            item.municipality,
                            item.organisation,
                            item.number,
                            item.text,
                            fmt_date(item.original_due),
                            fmt_date(item.due),
                            due_history(item, extended.get(item.assignment_id)),
                            STATUS_NAMES.get(item.status, item.status),
                            fmt_date(item.last_report_at.date() if item.last_report_at else None),
                            item.reported_by or "",
                            item.comment or "",
                            item.days_overdue,
                        )
                    )
                    written += 1
    return written


async def export_csv(
    session: AsyncSession,
    folder: Path,
    *,
    today: date,
    resolution_id: int | None = None,
    municipality_id: int | None = None,
    max_bytes: int | None = MAX_UPLOAD_BYTES,
    stem: str = "ispolnenie",
) -> Export:
    """Like exports.xlsx.export_xlsx, as one CSV (a «Резолюция» column instead of sheets); split per
    municipality when over `max_bytes` in the region scope."""
    resolutions = await resolutions_of(session, resolution_id)
    groups = await execution.groups(session, municipality_id=municipality_id)
    whole = folder / filename(stem, today, ".csv")
    await write_csv(session, whole, today=today, resolutions=resolutions, groups=groups)
    part = Part(whole, groups[0].name if municipality_id is not None else WHOLE_REGION, whole.stat().st_size)
    if max_bytes is None or part.size <= max_bytes:
        return Export((part,), split=False)
    if municipality_id is not None:
        return Export((part,), split=False, oversized=(part,))
    whole.unlink()
    parts: list[Part] = []
    for n, group in enumerate(groups, 1):
        path = folder / filename(stem, today, ".csv", n)
        if await write_csv(session, path, today=today, resolutions=resolutions, groups=[group]):
            parts.append(Part(path, group.name, path.stat().st_size))
        else:
            path.unlink()  # nothing addressed there
    return Export(tuple(parts), split=True, oversized=tuple(p for p in parts if p.size > max_bytes))
