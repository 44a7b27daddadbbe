"""Documents as they really arrive: a long paste in several messages, tables and photos from the admin,
a preview that says when nobody would get the resolution and lets any role be changed."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import func, select

from bot.app import App
from models.entities import Addressee, Organisation, Recommendation
from models.parsing import parse_bytes
from tests.e2e.harness import ADMIN_ID, add_org
from tests.e2e.test_publishing import seed_directory
from tests.emulator import SentMessage, TelegramEmulator
from ui.callbacks import PubAction, PubCb

TELEGRAM_CUT = 4096


def long_resolution() -> str:
    """About 10,000 characters: three addressees of 18 long items each."""
    lines = ["РЕЗОЛЮЦИЯ областного совещания руководителей школ", "", "Участники рекомендуют:", ""]
    for heading in ("Органам местного самоуправления, осуществляющим управление в сфере образования:",
                    "Руководителям общеобразовательных организаций:", "ГАУ ДПО СОИРО:"):  # fmt: skip
        lines.append(heading)
        for n in range(1, 19):
            lines.append(
                f"- обеспечить выполнение мероприятия номер {n} по развитию функциональной грамотности "
                f"обучающихся и методическому сопровождению педагогов с учётом итогов мониторинга {2024 + n % 2} года;"
            )
        lines.append("")
    return "\n".join(lines)


def cut_like_telegram(text: str) -> list[str]:
    """Consecutive messages of at most 4096 characters, cut at line ends."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > TELEGRAM_CUT:
            parts.append(current)
            current = line
        else:
            current = candidate
    parts.append(current)
    return parts


def as_docx(text: str) -> bytes:
    document = Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def last_preview(emulator: TelegramEmulator, after: int = 0) -> SentMessage:
    """The newest preview (its last button is «Отмена») sent after message `after`."""

    def previews() -> list[SentMessage]:
        return [m for m in emulator.messages(ADMIN_ID) if m.message_id > after and m.button_texts[-1:] == ["Отмена"]]

    await emulator.wait_until(lambda: bool(previews()), timeout=20, what="the preview")
    return previews()[-1]


async def test_a_resolution_pasted_in_three_parts_reads_like_its_docx(app: App, emulator: TelegramEmulator) -> None:
    await seed_directory(app)
    text = long_resolution()
    parts = cut_like_telegram(text)
    assert len(parts) == 3
    await emulator.send_message(ADMIN_ID, "/publish")
    await emulator.wait_for(ADMIN_ID)
    for part in parts:
        await emulator.send_message(ADMIN_ID, part)
    preview = await last_preview(emulator)
    assert "Текст собран из 3 сообщений" in preview.text or any(
        "Текст собран из 3 сообщений" in m.text for m in emulator.messages(ADMIN_ID)
    )
    expected = parse_bytes(as_docx(text), "resolution.docx")
    async with app.session_factory() as session:
        headings = (await session.scalars(select(Addressee.heading).order_by(Addressee.position))).all()
        items = await session.scalar(select(func.count()).select_from(Recommendation))
    assert headings == [a.heading for a in expected.addressees]
    assert items == sum(len(a.recommendations) for a in expected.addressees) == 54


async def test_nobody_to_receive_is_said_and_any_role_can_be_changed(app: App, emulator: TelegramEmulator) -> None:
    async with app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        await add_org(session, "school", "МБОУ «СШ № 1» г. Смоленска", town.id)  # nobody has joined yet
    text = "Резолюция\n\nУчастники рекомендуют:\n\nШколам:\n- провести педагогический совет.\n"
    await emulator.send_message(ADMIN_ID, "/publish")
    await emulator.wait_for(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, text)
    preview = await last_preview(emulator)
    assert "не получит никто" in preview.text
    assert "Ни одна из этих организаций ещё не подключена" in preview.text
    assert "Опубликовать, хотя сейчас никто не получит" in preview.button_texts
    # The plain «Опубликовать» (an older preview's button, or forged) is not enough here.
    data = PubCb.unpack(preview.find_button("Отмена").callback_data or "")
    forged = PubCb(action=PubAction.PUBLISH, resolution_id=data.resolution_id).pack()
    answer = await emulator.wait_callback_answer(await emulator.click(ADMIN_ID, preview.message_id, forged))
    assert answer.show_alert

    # A role the parser found can be changed too.
    emulator.skip_pending(ADMIN_ID)
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, preview, "1: изменить роль"))
    (choice,) = await emulator.wait_for(ADMIN_ID)
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, choice, "Муниципалитеты"))
    updated = await last_preview(emulator, after=choice.message_id)
    assert "Роль: муниципальный орган управления образованием" in updated.text


async def test_a_table_or_a_photo_from_the_admin_gets_the_right_offer(app: App, emulator: TelegramEmulator) -> None:
    table = "code;kind;name;municipality_code\nmo-1;муниципалитет;город Смоленск;\n".encode()
    await emulator.send_document(ADMIN_ID, "organisations.csv", table)
    (offer,) = await emulator.wait_for(ADMIN_ID)
    assert "справочник" in offer.text
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, offer, "Загрузить как справочник"))
    (report,) = await emulator.wait_for(ADMIN_ID, timeout=10)
    assert "Справочник организаций загружен" in report.text
    async with app.session_factory() as session:
        assert await session.scalar(select(Organisation.name)) == "город Смоленск"

    await emulator.send_photo(ADMIN_ID, b"\xff\xd8\xff a scan")
    (photo,) = await emulator.wait_for(ADMIN_ID)
    assert "Это фото" in photo.text

    await emulator.send_message(ADMIN_ID, long_resolution()[:1500])  # pasted without /publish
    (offered,) = await emulator.wait_for(ADMIN_ID)
    assert offered.button_texts == ["Прочитать как резолюцию"]
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, offered, "Прочитать как резолюцию"))
    preview = await last_preview(emulator)
    assert "Органам местного самоуправления" in preview.text or "Адресатов" in preview.text


async def test_publishing_to_nobody_still_ends_with_the_summary(app: App, emulator: TelegramEmulator) -> None:
    async with app.session_factory() as session:
        await add_org(session, "school", "МБОУ «СШ № 1»")
    await emulator.send_message(ADMIN_ID, "/publish")
    await emulator.wait_for(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, "Резолюция\n\nУчастники рекомендуют:\n\nШколам:\n- провести совет.\n")
    preview = await last_preview(emulator)
    await emulator.wait_callback_answer(
        await emulator.click_button(ADMIN_ID, preview, "Опубликовать, хотя сейчас никто не получит")
    )
    await emulator.wait_until(
        lambda: any("Рассылка завершена" in m.text for m in emulator.messages(ADMIN_ID)),
        timeout=15,
        what="the summary of a broadcast that had nobody to reach",
    )


async def test_resolutions_are_paged(app: App, emulator: TelegramEmulator) -> None:
    from models import publishing
    from models.config import Config
    from models.parsing import parse_text

    async with app.session_factory() as session:
        for n in range(1, 7):
            text = f"Резолюция совещания № {n}\n\nУчастники рекомендуют:\n\nШколам:\n- провести совет № {n}.\n"
            draft = await publishing.save_draft(session, parse_text(text), created_by=ADMIN_ID, source_name=None)
            await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
    emulator.skip_pending(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, "/resolutions")
    head, *listed, more = await emulator.wait_for(ADMIN_ID, count=7, timeout=10)
    assert "1–5 из 6" in head.text
    assert "№ 6" in listed[0].text  # newest first
    await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, more, more.button_texts[-1]))
    head2, oldest, _more = await emulator.wait_for(ADMIN_ID, count=3, timeout=10)
    assert "6–6 из 6" in head2.text
    assert "№ 1" in oldest.text
