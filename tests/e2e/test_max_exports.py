"""/export and /audit on MAX: an officer gets his municipality's Excel report as a file in MAX, a director
gets nothing, an admin pages the audit trail and downloads it. The real app polls both emulators."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.app import App
from models import channels, publishing
from models.config import Config
from models.parsing import parse_text
from tests.e2e.harness import SEMINAR, add_max_member, add_org, max_press, running_max_app
from tests.emulator import TelegramEmulator
from tests.max_emulator import BotMessage, MaxEmulator
from ui import texts
from ui.callbacks import ExportCb, ExportFormat

ADMIN_MAX = 880_001
OFFICER_MAX = 770_300
DIRECTOR_MAX = 770_301


async def region(app: App) -> int:
    """Two municipalities, an officer on MAX in the first, a director in its school; one publication."""
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1» г. Смоленска", town.id)
        vyazma = await add_org(session, "municipality", "Вяземский район")
        await add_org(session, "school", "МБОУ «СШ № 1» г. Вязьмы", vyazma.id)
        await add_max_member(session, OFFICER_MAX, town)
        await add_max_member(session, DIRECTOR_MAX, school)
        admin = channels.principal_for_max(ADMIN_MAX)
        draft = await publishing.save_draft(session, parse_text(SEMINAR), created_by=admin, source_name=None)
        await publishing.publish(
            session, resolution_id=draft.id, admin_chat_id=admin, config=Config(frozenset({admin}))
        )
        return draft.id


def file_of(message: BotMessage) -> tuple[str, str]:
    (attachment,) = [a for a in message.attachments if a["type"] == "file"]
    return attachment["filename"], attachment["payload"]["token"]


async def test_an_officer_on_max_exports_his_municipality(
    emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str
) -> None:
    # MAX processes an uploaded file for a moment; a message carrying it before then is refused
    # (attachment.not.ready): the bot waits and tries again, as MAX advises.
    max_emu.processing_seconds = 0.7
    async with running_max_app(emulator, max_emu, database_url) as app:
        resolution_id = await region(app)
        max_emu.user(OFFICER_MAX).started = True
        max_emu.send_text(OFFICER_MAX, "/export")
        (menu,) = await max_emu.wait_for(OFFICER_MAX)
        assert menu.text == texts.EXPORT_CHOOSE
        assert await max_press(max_emu, OFFICER_MAX, menu, menu.button_texts[0]) == texts.EXPORT_PREPARING
        report, offer = await max_emu.wait_for(OFFICER_MAX, count=2, timeout=20)
        name, token = file_of(report)
        assert name.endswith(".xlsx")
        assert report.text.startswith("город Смоленск — на ")  # the caption names the municipality and the day
        book = load_workbook(io.BytesIO(max_emu.uploads[token].content))
        cells = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value}
        assert any("г. Смоленска" in c for c in cells)
        assert not any("Вязьм" in c for c in cells), "another municipality's school is not in his file"
        assert offer.text == texts.EXPORT_CSV_OFFER
        assert max_emu.stats.not_ready >= 1, "the first try came while the file was being processed"

        # A director's forged export press is refused; nothing is uploaded for him.
        max_emu.user(DIRECTOR_MAX).started = True
        max_emu.send_text(DIRECTOR_MAX, "/export")
        (refused,) = await max_emu.wait_for(DIRECTOR_MAX)
        assert refused.text == texts.EXPORT_FORBIDDEN
        forged = ExportCb(resolution_id=resolution_id, fmt=ExportFormat.XLSX).pack()
        record = await max_emu.wait_answer(max_emu.click(DIRECTOR_MAX, refused, forged))
        assert record.notification == texts.EXPORT_FORBIDDEN
        assert max_emu.messages_to(DIRECTOR_MAX) == [refused]


async def test_an_admin_on_max_reads_and_downloads_the_audit_trail(
    emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str
) -> None:
    async with running_max_app(emulator, max_emu, database_url, max_admin_ids=frozenset({ADMIN_MAX})) as app:
        await region(app)
        # (The broadcast's progress message reaches the admin on MAX meanwhile: messages are picked by content.)
        max_emu.send_text(ADMIN_MAX, "/audit")
        head = texts.AUDIT_HEAD.split("{")[0]
        await max_emu.wait_until(lambda: any(m.text.startswith(head) for m in max_emu.messages_to(ADMIN_MAX)))
        page = next(m for m in max_emu.messages_to(ADMIN_MAX) if m.text.startswith(head))
        csv_button = next(t for t in page.button_texts if "CSV" in t)
        await max_press(max_emu, ADMIN_MAX, page, csv_button)
        def files() -> list[BotMessage]:
            return [m for m in max_emu.messages_to(ADMIN_MAX) if any(a["type"] == "file" for a in m.attachments)]

        await max_emu.wait_until(lambda: bool(files()), timeout=10, what="the CSV file")
        (download,) = files()
        name, token = file_of(download)
        assert name.startswith("audit-")
        assert name.endswith(".csv")
        assert max_emu.uploads[token].content.startswith("\ufeff".encode())

        max_emu.send_text(OFFICER_MAX, "/audit")  # an officer is no admin
        (refused,) = await max_emu.wait_for(OFFICER_MAX)
        assert refused.text == texts.UNKNOWN_COMMAND
