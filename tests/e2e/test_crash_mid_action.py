"""One user action is one commit: the bot is killed between the two writes of a «Выполнено» (the report,
then the question to the reviewers) and started again. Either both happened or neither did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from models import migrate, publishing
from models.config import Config
from models.db import create_engine, create_session_factory
from models.entities import Assignment, Delivery, Status, StatusReport
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.e2e.test_crash_restart import _exit_code, _stop
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import TOKEN
from ui.callbacks import ReportAction, ReportCb

ROOT = Path(__file__).resolve().parents[2]
DIRECTOR, OFFICER = 30_001, 30_002
RESOLUTION = """Резолюция совещания

Участники совещания рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет по итогам совещания.
"""


def _start(emulator: TelegramEmulator, db: str, folder: Path, *, dying: bool) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": db,
        "TELEGRAM_API_BASE": emulator.base_url,
        "ADMIN_IDS": str(ADMIN_ID),
        "LOG_LEVEL": "WARNING",
    }
    script = [str(Path(__file__).with_name("_bot_dying_at_review.py"))] if dying else ["-m", "bot"]
    return subprocess.Popen([sys.executable, *script], cwd=folder, env=env)


async def _seed(db: str) -> int:
    engine = create_engine(db)
    await migrate.upgrade(engine)
    try:
        async with create_session_factory(engine)() as session:
            municipality = await add_org(session, "municipality", "город Смоленск")
            school = await add_org(session, "school", "МБОУ «СШ № 1»", municipality.id)
            await add_member(session, DIRECTOR, school)
            await add_member(session, OFFICER, municipality)
            draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
            await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
            assignment_id = await session.scalar(select(Assignment.id))
            assert assignment_id is not None
            return assignment_id
    finally:
        await engine.dispose()


async def _state(db: str) -> tuple[str, int, int]:
    """The item's status, its reports, and the review requests queued for it."""
    engine = create_engine(db)
    try:
        async with create_session_factory(engine)() as session:
            status = await session.scalar(select(Assignment.status))
            reports = await session.scalar(select(func.count()).select_from(StatusReport))
            requests = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.key.like("rq:%")))
            return str(status), int(reports or 0), int(requests or 0)
    finally:
        await engine.dispose()


async def test_a_crash_inside_done_leaves_neither_the_report_nor_the_review_request(
    emulator: TelegramEmulator, database_url: str, tmp_path: Path
) -> None:
    db = database_url
    assignment_id = await _seed(db)
    done = ReportCb(assignment_id=assignment_id, action=ReportAction.DONE).pack()

    first = _start(emulator, db, tmp_path, dying=True)
    try:
        (published,) = await emulator.wait_for(DIRECTOR, timeout=30)
        query = await emulator.click(DIRECTOR, published.message_id, done)
        assert await _exit_code(first, 30) == -9  # killed while writing the review request
        emulator.abandon_callback(query)  # a dead process answers nothing; the user taps again
    finally:
        await _stop(first)
    assert await _state(db) == (Status.NEW, 0, 0), "neither half of «Выполнено» may survive the crash"

    second = _start(emulator, db, tmp_path, dying=False)
    try:
        query = await emulator.click(DIRECTOR, published.message_id, done)
        await emulator.wait_callback_answer(query, timeout=30)
        assert await _state(db) == (Status.DONE, 1, 1)  # both halves, in one commit
        (ask,) = await emulator.wait_for(DIRECTOR, timeout=30)  # comment and files first, or «Пропустить»
        await emulator.wait_callback_answer(await emulator.click_button(DIRECTOR, ask, "Пропустить"))
        (request,) = await emulator.wait_for(OFFICER, timeout=30)
        assert "сообщает о выполнении" in request.text
    finally:
        await _stop(second)
