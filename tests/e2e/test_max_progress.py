"""/progress on MAX does what it does on Telegram: a municipal officer drills down to a school's items, opens
«Кто отстаёт», reminds the laggards and gets the chart; a forged press into another municipality is refused;
and the resolution's screen says how many members each messenger reached, once MAX is in use."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from bot.app import App
from models import channels, publishing
from models.config import Config
from models.entities import Approval, Delivery, DeliveryState, Member, Organisation, Resolution
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.emulator import SentMessage, TelegramEmulator
from tests.max_emulator import BotMessage, MaxEmulator
from ui import texts
from ui.callbacks import ProgressCb, ProgressLevel

OFFICER_MAX = 880_001  # Smolensk's municipal officer, on MAX only
DIRECTOR_MAX = 880_002  # the director of school № 1, on MAX only
DIRECTOR_TG = 7002  # the director of school № 2, on Telegram
VYAZMA_TG = 7003  # the director of a Vyazma school, on Telegram
TITLE = "Резолюция семинара руководителей"
RESOLUTION = f"""{TITLE}

Участники семинара рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет по итогам семинара до 1 марта 2027 года;
- разместить материалы семинара на сайте школы.
"""


def max_member(user: int, org: Organisation) -> Member:
    return Member(
        user_id=channels.principal_for_max(user),
        max_user_id=user,
        preferred_channel="max",
        full_name=f"Пользователь MAX {user}",
        organisation_id=org.id,
        role=org.kind,
        approval=Approval.APPROVED,
    )


async def settled(max_app: App) -> None:
    """Every queued message is sent and recorded as sent (the worker records after sending)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while loop.time() < deadline:
        async with max_app.session_factory() as session:
            busy = await session.scalar(
                select(Delivery.id).where(Delivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING])).limit(1)
            )
        if busy is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not drain")


async def setup_region(max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator, *, on_max: bool = True) -> None:
    """Smolensk: an officer and the director of school № 1 on MAX (or both on Telegram), the director of
    school № 2 on Telegram; Vyazma: a school whose director is on Telegram. A two-item resolution reaches
    the three schools."""
    async with max_app.session_factory() as session:
        town = await add_org(session, "municipality", "город Смоленск")
        school = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
        other = await add_org(session, "school", "МБОУ «СШ № 2»", town.id)
        vyazma = await add_org(session, "municipality", "Вяземский район")
        vyazma_school = await add_org(session, "school", "МБОУ «СШ № 1» г. Вязьмы", vyazma.id)
        if on_max:
            session.add_all([max_member(OFFICER_MAX, town), max_member(DIRECTOR_MAX, school)])
            await session.commit()
        else:
            await add_member(session, OFFICER_MAX, town)
            await add_member(session, DIRECTOR_MAX, school)
        await add_member(session, DIRECTOR_TG, other)
        await add_member(session, VYAZMA_TG, vyazma_school)
    if on_max:
        max_emu.press_start(OFFICER_MAX)
        max_emu.press_start(DIRECTOR_MAX)
        await max_emu.wait_for(OFFICER_MAX)
        await max_emu.wait_for(DIRECTOR_MAX)
    async with max_app.session_factory() as session:
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
    if on_max:
        await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
    await emulator.wait_for(DIRECTOR_TG, timeout=10)
    await emulator.wait_for(VYAZMA_TG, timeout=10)
    await settled(max_app)


async def max_drill(max_emu: MaxEmulator, screen: BotMessage, button: str, expect: str) -> None:
    """Press a button of the drill-down on MAX and wait until the same message is edited to show `expect`."""
    edits = screen.edits
    record = await max_emu.wait_answer(max_emu.click_button(OFFICER_MAX, screen, button))
    assert record.notification == texts.MAX_PROGRESS_OPENED
    await max_emu.wait_until(
        lambda: screen.edits > edits and expect in screen.text, what=f"«{expect}» after «{button}»"
    )


async def test_an_officer_on_max_drills_down_reminds_the_laggards_and_gets_the_chart(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await setup_region(max_app, emulator, max_emu)
    max_emu.send_text(OFFICER_MAX, "/progress")
    (screen,) = await max_emu.wait_for(OFFICER_MAX)
    assert "закрыто 0 из 4" in screen.text  # his two schools only
    assert TITLE in screen.button_texts

    await max_drill(max_emu, screen, TITLE, "• МБОУ «СШ № 1»")
    assert "Вяземский" not in screen.text
    assert "Доставлено участникам: Telegram — 1, MAX — 1" in screen.text  # his municipality's members
    assert screen.button_texts[-3:] == ["⏰ Кто отстаёт", "📊 График", "⬅️ Назад"]
    await max_drill(max_emu, screen, "МБОУ «СШ № 1»", "провести педагогический совет")
    assert "новое" in screen.text
    await max_drill(max_emu, screen, "⬅️ Назад", "• МБОУ «СШ № 1»")

    await max_drill(max_emu, screen, "⏰ Кто отстаёт", "Кто отстаёт")
    assert "МБОУ «СШ № 1»: нет ответа 2" in screen.text
    assert "МБОУ «СШ № 2»: нет ответа 2" in screen.text
    nudged = await max_emu.wait_answer(max_emu.click_button(OFFICER_MAX, screen, "🔔 Напомнить им сейчас"))
    assert nudged.notification == "Поставлено в очередь напоминаний: 2 (организаций: 2)."
    async with max_app.session_factory() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.key.like("ndg:%")))).all()
        assert sorted((r.channel, r.chat_id) for r in rows) == [
            ("max", DIRECTOR_MAX),  # the lagging director on MAX is reminded there
            ("telegram", DIRECTOR_TG),
        ]
        # Quiet hours and days off hold a reminder: let that moment come, whenever the test runs.
        await session.execute(update(Delivery).where(Delivery.key.like("ndg:%")).values(not_before=None))
        await session.commit()
    (reminder,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
    assert "Напоминание" in reminder.text
    assert "провести педагогический совет" in reminder.text
    (told,) = await emulator.wait_for(DIRECTOR_TG, timeout=10)
    assert "Напоминание" in told.text

    await max_drill(max_emu, screen, "⬅️ Назад", "• МБОУ «СШ № 1»")
    drawn = await max_emu.wait_answer(max_emu.click_button(OFFICER_MAX, screen, "📊 График"))
    assert drawn.notification == texts.MAX_CHART_COMING
    (picture,) = await max_emu.wait_for(OFFICER_MAX, timeout=20)
    assert [f["type"] for f in picture.files] == ["image"]
    assert max_emu.uploads[picture.files[0]["payload"]["token"]].content.startswith(b"\x89PNG")
    assert "по организациям: город Смоленск" in picture.text


async def test_forged_max_presses_beyond_ones_scope_are_refused(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await setup_region(max_app, emulator, max_emu)
    max_emu.send_text(OFFICER_MAX, "/progress")
    (screen,) = await max_emu.wait_for(OFFICER_MAX)
    async with max_app.session_factory() as session:
        vyazma = await session.scalar(select(Organisation).where(Organisation.name == "Вяземский район"))
        assert vyazma is not None
        school = await session.scalar(select(Organisation).where(Organisation.municipality_id == vyazma.id))
        assert school is not None
        resolution_id = await session.scalar(select(Resolution.id))
    assert resolution_id is not None
    ids = {"resolution_id": resolution_id, "municipality_id": vyazma.id}
    forged = [
        ProgressCb(level=ProgressLevel.MUNICIPALITY, **ids),
        ProgressCb(level=ProgressLevel.ORGANISATION, resolution_id=resolution_id, organisation_id=school.id),
        ProgressCb(level=ProgressLevel.LAGGARDS, **ids),
        ProgressCb(level=ProgressLevel.NUDGE, **ids),
        ProgressCb(level=ProgressLevel.CHART, **ids),
    ]
    before = screen.text
    for data in forged:
        record = await max_emu.wait_answer(max_emu.click(OFFICER_MAX, screen, data.pack()))
        assert record.notification == texts.PROGRESS_FORBIDDEN, data
    # A director may look at his own school only: «the region's» reminder or chart is not his to press.
    note = max_emu.messages_to(DIRECTOR_MAX)[-1]
    for data in (
        ProgressCb(level=level, resolution_id=resolution_id) for level in (ProgressLevel.NUDGE, ProgressLevel.CHART)
    ):
        record = await max_emu.wait_answer(max_emu.click(DIRECTOR_MAX, note, data.pack()))
        assert record.notification == texts.PROGRESS_FORBIDDEN, data
    await asyncio.sleep(0.5)  # an edit or a chart would have come by now
    assert (screen.text, screen.edits) == (before, 0)
    assert max_emu.messages_to(OFFICER_MAX)[-1] is screen  # no chart of Vyazma
    assert max_emu.messages_to(DIRECTOR_MAX)[-1] is note
    assert max_emu.uploads == {}
    async with max_app.session_factory() as session:
        assert (await session.scalars(select(Delivery.id).where(Delivery.key.like("ndg:%")))).all() == []


async def admin_region_screen(emulator: TelegramEmulator) -> SentMessage:
    """The admin's /progress on Telegram, opened at the resolution (the region level)."""
    await emulator.wait_until(
        lambda: any("Рассылка завершена" in m.text for m in emulator.messages(ADMIN_ID)),
        timeout=10,
        what="the broadcast summary",
    )
    emulator.skip_pending(ADMIN_ID)
    await emulator.send_message(ADMIN_ID, "/progress")
    (screen,) = await emulator.wait_for(ADMIN_ID)
    answer = await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, screen, TITLE))
    assert not answer.show_alert
    await emulator.wait_until(lambda: "По области" in screen.text, what="the region level")
    return screen


async def test_the_region_screen_says_how_many_each_messenger_reached(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await setup_region(max_app, emulator, max_emu)
    screen = await admin_region_screen(emulator)
    assert "Доставлено участникам: Telegram — 2, MAX — 1" in screen.text


async def test_a_telegram_only_region_gets_no_per_messenger_line(
    max_app: App, emulator: TelegramEmulator, max_emu: MaxEmulator
) -> None:
    await setup_region(max_app, emulator, max_emu, on_max=False)
    screen = await admin_region_screen(emulator)
    assert "город Смоленск: закрыто 0 из 4" in screen.text
    assert "Доставлено участникам" not in screen.text
