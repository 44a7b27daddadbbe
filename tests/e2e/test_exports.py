"""/export from the chat: the admin's report covers the region, an officer's only his municipality;
/audit lists what changed who gets what."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.app import App
from tests.e2e.test_oversight import VYAZMA_SCHOOL, setup_region
from tests.e2e.test_reports import DIRECTOR, OFFICER, press
from tests.emulator import SentMessage, TelegramEmulator

ADMIN_ID = 1000


async def export(emulator: TelegramEmulator, user: int, choice: str) -> tuple[SentMessage, bytes]:
    """/export, then `choice`: the file and the CSV offer under it. Messages are picked by what they are, not
    by their place: a broadcast's progress summary may come in between (it is drawn in the background)."""
    seen = len(emulator.messages(user))
    await emulator.send_message(user, "/export")

    def fresh() -> list[SentMessage]:
        return emulator.messages(user)[seen:]

    await emulator.wait_until(lambda: any(choice in m.button_texts for m in fresh()), what="the export menu")
    menu = next(m for m in fresh() if choice in m.button_texts)
    seen = len(emulator.messages(user))
    await press(emulator, user, menu, choice)
    await emulator.wait_until(
        lambda: any(m.kind == "document" for m in fresh()) and any("То же в CSV" in m.button_texts for m in fresh()),
        timeout=30,
        what="the report and the CSV offer",
    )
    document = next(m for m in fresh() if m.kind == "document")
    offer = next(m for m in fresh() if "То же в CSV" in m.button_texts)
    assert document.file is not None
    assert offer.button_texts == ["То же в CSV"]
    emulator.skip_pending(user)  # the next wait_for starts after these
    return offer, emulator.file(document.file.file_id).content


def organisations_in(xlsx: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(xlsx), read_only=True)
    sheet = book.worksheets[1]  # the resolution's sheet: a row per organisation × item
    return {str(row[1]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]}


async def test_admin_and_officer_exports(app: App, emulator: TelegramEmulator) -> None:
    await setup_region(app, emulator)
    emulator.skip_pending(ADMIN_ID)
    offer, region = await export(emulator, ADMIN_ID, "Все резолюции")
    assert load_workbook(io.BytesIO(region), read_only=True).sheetnames[0] == "Сводка"
    assert organisations_in(region) == {"МБОУ «СШ № 1»", "МБОУ «СШ № 2»", VYAZMA_SCHOOL}

    await press(emulator, ADMIN_ID, offer, "То же в CSV")
    (table,) = await emulator.wait_for(ADMIN_ID, timeout=30)
    assert table.file is not None
    assert emulator.file(table.file.file_id).content.startswith("\ufeff".encode())  # Excel reads it as UTF-8

    _, own = await export(emulator, OFFICER, "Резолюция семинара руководителей")
    assert organisations_in(own) == {"МБОУ «СШ № 1»", "МБОУ «СШ № 2»"}  # not Vyazma's school

    await emulator.send_message(DIRECTOR, "/export")
    (refused,) = await emulator.wait_for(DIRECTOR)
    assert "администраторам и муниципальным специалистам" in refused.text


async def test_audit_lists_the_publication(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_message(ADMIN_ID, "/audit")
    (empty,) = await emulator.wait_for(ADMIN_ID)
    assert "Журнал пуст" in empty.text
    from models import publishing
    from models.config import Config
    from models.parsing import parse_text
    from tests.e2e.test_reports import RESOLUTION

    async with app.session_factory() as session:
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
    emulator.skip_pending(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, "/audit")
    (trail,) = await emulator.wait_for(ADMIN_ID)
    assert "опубликовал резолюцию" in trail.text
    assert "Резолюция семинара руководителей" in trail.text
    await press(emulator, ADMIN_ID, trail, "Весь журнал в CSV")
    (table,) = await emulator.wait_for(ADMIN_ID, timeout=10)
    assert table.file is not None
    content = emulator.file(table.file.file_id).content.decode("utf-8-sig")
    assert "опубликовал резолюцию" in content
