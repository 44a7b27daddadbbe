"""Messages in flight when the sender died are unconfirmed: the admin's summary names those members and
offers to send them again, which only an admin can do, once."""

from __future__ import annotations

from sqlalchemy import func, select, update

from bot.app import App
from models import publishing
from models.config import Config
from models.entities import AuditEntry, Delivery, DeliveryState, Member
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.emulator import TelegramEmulator
from ui import texts
from ui.callbacks import ResendCb

RESOLUTION = """Резолюция совещания

Участники совещания рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет по итогам совещания до 1 марта 2027 года.
"""
SCHOOLS = 5


async def _summary(emulator: TelegramEmulator, *, containing: str) -> str:
    def shown() -> bool:
        return any(containing in m.text for m in emulator.messages(ADMIN_ID))

    await emulator.wait_until(shown, timeout=15, what=f"a summary with {containing!r}")
    return next(m.text for m in emulator.messages(ADMIN_ID) if containing in m.text)


async def test_unconfirmed_are_named_and_sent_again_on_the_admins_press(app: App, emulator: TelegramEmulator) -> None:
    # Nothing leaves until the crash is staged: the elected roles stop (stopping the worker alone, the
    # election on PostgreSQL would see it dead and start it again within seconds).
    await app.leadership.stop()
    async with app.session_factory() as session:
        municipality = await add_org(session, "municipality", "город Смоленск")
        members = []
        for i in range(SCHOOLS):
            school = await add_org(session, "school", f"МБОУ «СШ № {i + 1}»", municipality.id)
            members.append(await add_member(session, 30_000 + i, school, name=f"Директор Школы {i + 1}"))
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
        # Two messages were claimed by a process that then died: they may or may not have arrived.
        in_flight = [members[1].id, members[3].id]
        await session.execute(
            update(Delivery).where(Delivery.member_id.in_(in_flight)).values(state=DeliveryState.SENDING, attempts=1)
        )
        await session.commit()
    await app.leadership.start()  # a restart: the in-flight rows become unconfirmed, the rest go out

    summary = await _summary(emulator, containing="Рассылка завершена")
    assert f"Отправлено: {SCHOOLS - 2} из {SCHOOLS}" in summary
    assert "Директор Школы 2 — МБОУ «СШ № 2»" in summary
    assert "Директор Школы 4 — МБОУ «СШ № 4»" in summary
    assert "Директор Школы 1" not in summary
    assert "получит его второй раз" in summary, "the admin is told they may already have it"
    message = next(m for m in emulator.messages(ADMIN_ID) if "Рассылка завершена" in m.text)
    assert [m.user_id for m in members if not emulator.messages(m.user_id)] == [30_001, 30_003]

    # A member forging the admin's button gets nothing re-sent.
    forged = ResendCb(broadcast_id=1).pack()
    own = emulator.messages(30_000)[0]
    await emulator.wait_callback_answer(await emulator.click(30_000, own.message_id, forged))
    async with app.session_factory() as session:
        assert await session.scalar(select(func.count()).where(Delivery.state == DeliveryState.UNCONFIRMED)) == 2

    answer = await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, message, texts.RESEND_BUTTON))
    assert answer.text == texts.RESEND_DONE.format(n=2)
    await emulator.wait_until(lambda: all(emulator.messages(m.user_id) for m in members), timeout=10)
    final = await _summary(emulator, containing=f"Отправлено: {SCHOOLS} из {SCHOOLS}")
    assert "Не подтверждено" not in final
    assert emulator.message(ADMIN_ID, message.message_id).reply_markup is None, "the button is gone"
    assert all(len(emulator.messages(m.user_id)) == 1 for m in members)

    # A second press (an old copy of the button) finds nothing left.
    again = await emulator.wait_callback_answer(await emulator.click(ADMIN_ID, message.message_id, forged))
    assert again.text == texts.RESEND_NOTHING
    async with app.session_factory() as session:
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "resend"))).all()
        assert [(e.actor_id, e.details["messages"]) for e in entries] == [(ADMIN_ID, 2)]
        assert await session.scalar(select(func.count()).select_from(Member)) == SCHOOLS
