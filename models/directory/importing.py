"""Importing directory rows: validate each, then insert, update and (when asked) prune in one commit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.audit import Action
from models.db import Base
from models.directory.reading import (
    KIND_ALIASES,
    KIND_NAMES,
    MAX_CODE,
    MAX_NAME,
    DirectoryRow,
    fold,
    read_file,
)
from models.entities import Organisation, OrgKind
from models.timeutil import utcnow

_CHUNK = 500  # bound parameters per statement stay far below SQLite's limit


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the report: an added, changed, rejected, deleted or kept organisation."""

    line: int  # 0 when the organisation is not in the file (prune)
    code: str
    name: str
    detail: str = ""  # what changed, or why it was rejected / kept


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    added: list[Entry] = field(default_factory=list)
    changed: list[Entry] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Entry] = field(default_factory=list)
    deleted: list[Entry] = field(default_factory=list)
    kept: list[Entry] = field(default_factory=list)  # prune wanted them, but they are in use
    missing: int = 0  # in the directory but not in the file, left alone (no prune)
    dry_run: bool = False

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.changed or self.deleted)


@dataclass(slots=True)
class _Known:
    id: int
    kind: str
    name: str
    name_folded: str
    municipality_id: int | None


@dataclass(slots=True)
class _Valid:
    row: DirectoryRow
    kind: OrgKind
    municipality_id: int | None = None  # resolved reference to an organisation already in the database
    municipality_code: str = ""  # reference to a municipality that this import adds


def _check_row(row: DirectoryRow) -> tuple[OrgKind | None, str]:
    """The row's kind, or None and the reason to reject it (checks that need no database)."""
    if not row.code:
        return None, "не указан код"
    if len(row.code) > MAX_CODE:
        return None, f"код длиннее {MAX_CODE} символов"
    kind = KIND_ALIASES.get(fold(row.kind))
    if kind is None:
        shown = f"«{row.kind[:40]}»" if row.kind else "не указан"
        return None, f"неизвестный тип {shown}; допустимо: регион, институт, муниципалитет, школа, партнёр"
    if not row.name:
        return None, "не указано название"
    if len(row.name) > MAX_NAME:
        return None, f"название длиннее {MAX_NAME} символов"
    if kind == OrgKind.SCHOOL and not row.municipality_code:
        return None, "для школы нужен код муниципалитета (столбец municipality_code)"
    if kind not in {OrgKind.SCHOOL, OrgKind.PARTNER} and row.municipality_code:
        return None, f"у типа «{KIND_NAMES[kind]}» не бывает муниципалитета: оставьте municipality_code пустым"
    return kind, ""


async def _referenced_org_ids(session: AsyncSession) -> set[int]:
    """Organisations that some other table points at (members, invitations, tasks, addressees…)."""
    organisation = Base.metadata.tables[Organisation.__tablename__]
    columns: list[Column[Any]] = [
        fk.parent
        for table in Base.metadata.tables.values()
        if table is not organisation
        for fk in table.foreign_keys
        if fk.column.table is organisation
    ]
    used: set[int] = set()
    for column in columns:
        used.update(v for v in (await session.scalars(select(column).where(column.is_not(None)).distinct())) if v)
    return used


async def import_rows(
    session: AsyncSession,
    rows: Sequence[DirectoryRow],
    *,
    prune: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
    actor_id: int | None = None,
) -> ImportReport:
    """Add and update organisations by code in one transaction; see the module docstring for the rules.

    Commits once, with its audit entry (or rolls back when `dry_run`, so an admin can see the report first).
    `actor_id` is who sent the file; None for the command line.
    """
    now = now or utcnow()
    report = ImportReport(rows=len(rows), dry_run=dry_run)
    known: dict[str, _Known] = {
        code: _Known(id_, kind, name, folded, municipality_id)
        for id_, code, kind, name, folded, municipality_id in (
            await session.execute(
                select(
                    Organisation.id,
                    Organisation.code,
                    Organisation.kind,
                    Organisation.name,
                    Organisation.name_folded,
                    Organisation.municipality_id,
                ).where(Organisation.code.is_not(None))
            )
        ).tuples()
        if code is not None
    }
    code_of = {k.id: code for code, k in known.items()}
    in_use = await _referenced_org_ids(session)
    has_children = {k.municipality_id for k in known.values() if k.municipality_id is not None}
    has_children.update(
        m
        for m in (
            await session.scalars(
                select(Organisation.municipality_id)
                .where(Organisation.code.is_(None), Organisation.municipality_id.is_not(None))
                .distinct()
            )
        )
        if m is not None
    )

    def reject(row: DirectoryRow, reason: str) -> None:
        report.rejected.append(Entry(row.line, row.code, row.name, reason))

    # 1. Checks of each row on its own, duplicates, and kind changes of organisations in use.
    first_line: dict[str, int] = {}
    valid: list[_Valid] = []
    for row in rows:
        if row.code and row.code in first_line:
            reject(row, f"код {row.code} уже встречался в строке {first_line[row.code]}")
            continue
        if row.code:
            first_line[row.code] = row.line
        kind, reason = _check_row(row)
        if kind is None:
            reject(row, reason)
            continue
        old = known.get(row.code)
        if old is not None and old.kind != kind:
            if old.id in in_use:
                reject(row, f"нельзя сменить тип «{KIND_NAMES.get(old.kind, old.kind)}»: есть участники или поручения")
                continue
            if old.kind == OrgKind.MUNICIPALITY and old.id in has_children:
                reject(row, "нельзя сменить тип муниципалитета, к которому привязаны школы")
                continue
        valid.append(_Valid(row, kind))

    # 2. Municipality references: to a municipality of this file or of the directory.
    final_kind = {code: k.kind for code, k in known.items()}
    final_kind.update({v.row.code: v.kind for v in valid})
    resolved: list[_Valid] = []
    for v in valid:
        ref = v.row.municipality_code
        if ref:
            if ref not in final_kind:
                reject(v.row, f"муниципалитет с кодом {ref} не найден ни в файле, ни в справочнике")
                continue
            if final_kind[ref] != OrgKind.MUNICIPALITY:
                reject(v.row, f"код {ref} указан как муниципалитет, но это «{KIND_NAMES.get(final_kind[ref], '?')}»")
                continue
            if ref in known:
                v.municipality_id = known[ref].id
            else:
                v.municipality_code = ref
        resolved.append(v)

    # 3. New municipalities go first: the schools of this file need their ids.
    new = [v for v in resolved if v.row.code not in known]
    new_municipalities = [v for v in new if v.kind == OrgKind.MUNICIPALITY]
    others = [v for v in new if v.kind != OrgKind.MUNICIPALITY]
    await _insert(session, new_municipalities, now)
    pending = [v for v in resolved if v.municipality_code]  # new or existing rows naming a new municipality
    if pending:
        codes = [v.row.code for v in new_municipalities]
        ids: dict[str, int] = {}
        for start in range(0, len(codes), _CHUNK):
            chunk = codes[start : start + _CHUNK]
            found = await session.execute(
                select(Organisation.code, Organisation.id).where(Organisation.code.in_(chunk))
            )
            ids.update((code, id_) for code, id_ in found.tuples() if code is not None)
        for v in pending:
            v.municipality_id = ids[v.municipality_code]
    await _insert(session, others, now)
    report.added.extend(Entry(v.row.line, v.row.code, v.row.name, KIND_NAMES[v.kind]) for v in new)

    # 4. Updates in place.
    updates: list[dict[str, Any]] = []
    for v in resolved:
        old = known.get(v.row.code)
        if old is None:
            continue
        notes: list[str] = []
        if old.name != v.row.name:
            notes.append(f"название: «{old.name}» → «{v.row.name}»")
        if old.kind != v.kind:
            notes.append(f"тип: {KIND_NAMES.get(old.kind, old.kind)} → {KIND_NAMES[v.kind]}")
        if old.municipality_id != v.municipality_id:
            before = code_of.get(old.municipality_id, "—") if old.municipality_id is not None else "—"
            notes.append(f"муниципалитет: {before} → {v.row.municipality_code or '—'}")
        folded = fold(v.row.name)
        if notes or old.name_folded != folded:
            updates.append(
                {
                    "id": old.id,
                    "kind": v.kind.value,
                    "name": v.row.name,
                    "name_folded": folded,
                    "municipality_id": v.municipality_id,
                }
            )
        if notes:
            report.changed.append(Entry(v.row.line, v.row.code, v.row.name, "; ".join(notes)))
        else:
            report.unchanged += 1
    for start in range(0, len(updates), _CHUNK):
        await session.execute(update(Organisation), updates[start : start + _CHUNK])

    # 5. Organisations absent from the file: left alone, or pruned when unused.
    absent = {code: k for code, k in known.items() if code not in first_line}
    if not prune:
        report.missing = len(absent)
    else:
        await _prune(session, report, absent, known, in_use)

    if dry_run:
        await session.rollback()
    else:
        counts = {
            "rows": report.rows,
            "added": len(report.added),
            "changed": len(report.changed),
            "rejected": len(report.rejected),
            "deleted": len(report.deleted),
        }
        audit.record(
            session, actor_id=actor_id, action=Action.IMPORT_DIRECTORY, object_type="directory", object_id=None,
            details=counts, at=now,
        )  # fmt: skip
        await session.commit()
    return report


async def _insert(session: AsyncSession, items: list[_Valid], now: datetime) -> None:
    values = [
        {
            "code": v.row.code,
            "kind": v.kind.value,
            "name": v.row.name,
            "name_folded": fold(v.row.name),
            "municipality_id": v.municipality_id,
            "created_at": now,
        }
        for v in items
    ]
    for start in range(0, len(values), _CHUNK):
        await session.execute(insert(Organisation), values[start : start + _CHUNK])


async def _prune(
    session: AsyncSession,
    report: ImportReport,
    absent: dict[str, _Known],
    known: dict[str, _Known],
    in_use: set[int],
) -> None:
    removable = {code: k for code, k in absent.items() if k.id not in in_use}
    for code, k in absent.items():
        if code not in removable:
            report.kept.append(Entry(0, code, k.name, "есть участники, заявки, приглашения или поручения"))
    # A municipality stays while any organisation that stays still belongs to it.
    removable_ids = {k.id for k in removable.values()}
    parents = {k.municipality_id for k in known.values() if k.id not in removable_ids}
    parents.update(
        m
        for m in (
            await session.scalars(
                select(Organisation.municipality_id).where(
                    Organisation.code.is_(None), Organisation.municipality_id.is_not(None)
                )
            )
        )
        if m is not None
    )
    doomed: list[_Known] = []
    for code, k in sorted(removable.items()):
        if k.id in parents:
            report.kept.append(Entry(0, code, k.name, "к нему привязаны организации, которые остаются"))
        else:
            doomed.append(k)
            report.deleted.append(Entry(0, code, k.name, KIND_NAMES.get(k.kind, k.kind)))
    # Schools before municipalities, so every statement leaves the foreign keys intact.
    doomed.sort(key=lambda k: k.kind == OrgKind.MUNICIPALITY)
    ids = [k.id for k in doomed]
    for start in range(0, len(ids), _CHUNK):
        await session.execute(delete(Organisation).where(Organisation.id.in_(ids[start : start + _CHUNK])))


async def import_file(
    session: AsyncSession,
    path: str | Path,
    *,
    prune: bool = False,
    dry_run: bool = False,
    actor_id: int | None = None,
) -> ImportReport:
    """Read a file (in a worker thread) and import it; raises DirectoryError for an unusable file."""
    rows = await asyncio.to_thread(read_file, path)
    return await import_rows(session, rows, prune=prune, dry_run=dry_run, actor_id=actor_id)
