"""The audit trail records each action that changes who gets what, once, in the action's own transaction;
nothing in it is ever changed or deleted."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from models import audit, membership, publishing, redelivery, reports
from models.audit import Action, AuditTamperingError
from models.config import Config
from models.directory import DirectoryRow, import_rows
from models.entities import AuditEntry, Broadcast, Delivery, ExtensionRequest, Member, Status
from models.parsing import parse_text
from models.timeutil import utcnow
from tests.dbutil import migrated_db
from tests.e2e.harness import add_member, add_org

ADMIN = 900
CONFIG = Config(admin_ids=frozenset({ADMIN}))
RESOLUTION = """Резолюция совещания

Участники совещания рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет до 1 марта 2030 года;
- разместить материалы на сайте.
"""


async def test_each_action_is_recorded_once(database_url: str) -> None:
    async with migrated_db(database_url) as (_engine, sessions), sessions() as session:
        now = utcnow()
        rows = [
            DirectoryRow(2, "mo-1", "municipality", "город Смоленск", ""),
            DirectoryRow(3, "s-1", "school", "СШ № 1", "mo-1"),
        ]
        await import_rows(session, rows, actor_id=ADMIN)
        await import_rows(session, [DirectoryRow(2, "mo-1", "municipality", "город Смоленск", "")], dry_run=True)
        town, school = (await add_org(session, "municipality", "МО"), await add_org(session, "school", "СШ", None))
        officer = await add_member(session, 501, town)
        school.municipality_id = town.id
        await session.commit()
        invite = await membership.create_invite(
            session, organisation_id=school.id, role="school", created_by=ADMIN, admin_ids=CONFIG.admin_ids,
            ttl_days=14, now=now,
        )  # fmt: skip
        await membership.revoke_invite(
            session, invite_id=invite.id, actor_user_id=ADMIN, admin_ids=CONFIG.admin_ids, now=now
        )
        pending = await membership.request_membership(
            session, user_id=600, full_name="Иван", username=None, organisation_id=school.id, now=now,
            admin_ids=CONFIG.admin_ids,
        )  # fmt: skip
        await membership.decide(
            session, member_id=pending.id, approver_user_id=officer.user_id, approve=True, admin_ids=CONFIG.admin_ids
        )
        other = await membership.request_membership(
            session, user_id=601, full_name="Пётр", username=None, organisation_id=school.id, now=now,
            admin_ids=CONFIG.admin_ids,
        )  # fmt: skip
        await membership.decide(
            session, member_id=other.id, approver_user_id=ADMIN, approve=False, admin_ids=CONFIG.admin_ids
        )
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN, config=CONFIG)
        # A message in flight when its sender died is sent again on the admin's word.
        await session.execute(update(Delivery).where(Delivery.batch.is_not(None)).values(state="unconfirmed"))
        broadcast = await session.scalar(select(Broadcast.id))
        assert broadcast is not None
        assert await redelivery.resend_unconfirmed(session, broadcast, actor_id=ADMIN, admin_ids=CONFIG.admin_ids)
        director = await session.scalar(select(Member).where(Member.user_id == 600))
        assert director is not None
        first, second = sorted((await reports.open_tasks(session, school.id, date.today(), offset=0, limit=5))[0],
                               key=lambda t: t.assignment_id)  # fmt: skip
        for line in (first, second):
            await reports.report(session, director, line.assignment_id, Status.DONE, config=CONFIG)
        await reports.review(
            session, reviewer_id=officer.user_id, assignment_id=second.assignment_id, accept=True, comment=None,
            config=CONFIG,
        )  # fmt: skip
        await reports.review(
            session, reviewer_id=officer.user_id, assignment_id=first.assignment_id, accept=False,
            comment="нет ссылки", config=CONFIG,
        )  # fmt: skip
        for approve in (True, False):
            await reports.request_extension(
                session, director, assignment_id=first.assignment_id,
                new_due=date(2030, 6, 1) + timedelta(days=int(approve)), reason="нет учителя",
                today=date.today(), config=CONFIG,
            )  # fmt: skip
        requests = (await session.scalars(select(ExtensionRequest.id).order_by(ExtensionRequest.id))).all()
        await reports.decide_extension(session, reviewer_id=ADMIN, request_id=requests[0], approve=True, config=CONFIG)
        await reports.decide_extension(session, reviewer_id=ADMIN, request_id=requests[1], approve=False, config=CONFIG)
        await membership.remove_member(
            session, member_id=director.id, actor_user_id=officer.user_id, admin_ids=CONFIG.admin_ids
        )
        await publishing.withdraw(session, resolution_id=draft.id, actor_id=ADMIN)

        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        assert Counter(e.action for e in entries) == {action.value: 1 for action in Action}
        by_action = {e.action: e for e in entries}
        assert by_action["approve"].actor_id == officer.user_id
        assert by_action["approve"].details["name"] == "Иван"
        assert by_action["import_directory"].details["added"] == 2  # the dry run left no entry
        assert by_action["publish"].object_id == draft.id
        assert by_action["return"].details["comment"] == "нет ссылки"


async def test_a_refused_action_leaves_no_entry_and_entries_cannot_change(database_url: str) -> None:
    async with migrated_db(database_url) as (_engine, sessions), sessions() as session:
        town = await add_org(session, "municipality", "МО")
        with pytest.raises(membership.MembershipError):
            await membership.create_invite(
                session, organisation_id=town.id, role="municipality", created_by=12345, admin_ids=CONFIG.admin_ids,
                ttl_days=14, now=utcnow(),
            )  # fmt: skip
        assert (await audit.latest(session))[1] == 0
        audit.record(session, actor_id=ADMIN, action=Action.PUBLISH, object_type="resolution", object_id=1)
        await session.commit()
        entry = await session.scalar(select(AuditEntry))
        assert entry is not None
        entry.action = "withdraw"
        with pytest.raises(AuditTamperingError):
            await session.commit()
        await session.rollback()
        entry = await session.scalar(select(AuditEntry))
        assert entry is not None
        await session.delete(entry)
        with pytest.raises(AuditTamperingError):
            await session.flush()
