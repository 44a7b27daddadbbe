"""Report rules on a real (migrated) database: who may report, what «Выполнено» does, idempotency."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import publishing, reports
from models.config import Config
from models.entities import (
    Addressee,
    Approval,
    Assignment,
    Delivery,
    ExtensionRequest,
    Member,
    Organisation,
    Recommendation,
    Resolution,
    ResolutionState,
    Status,
    StatusReport,
)
from tests.dbutil import migrated_db, rendered_notices


async def _world(session: AsyncSession) -> tuple[Member, Member, Assignment, Resolution]:
    school = Organisation(kind="school", name="СШ № 1", name_folded="сш № 1")
    other = Organisation(kind="school", name="СШ № 2", name_folded="сш № 2")
    session.add_all([school, other])
    await session.flush()
    director = Member(user_id=1, organisation_id=school.id, role="school", approval=Approval.APPROVED)
    stranger = Member(user_id=2, organisation_id=other.id, role="school", approval=Approval.APPROVED)
    resolution = Resolution(title="Р", content_hash="x", state=ResolutionState.PUBLISHED, created_by=9)
    addressee = Addressee(position=0, heading="Школам", roles=["school"])
    addressee.recommendations = [Recommendation(position=0, text="сделать")]
    resolution.addressees.append(addressee)
    session.add_all([director, stranger, resolution])
    await session.flush()
    assignment = Assignment(
        recommendation_id=addressee.recommendations[0].id, organisation_id=school.id, status=Status.IN_PROGRESS
    )
    session.add(assignment)
    await session.commit()
    return director, stranger, assignment, resolution


@pytest.mark.parametrize(("review", "expected"), [(True, Status.DONE), (False, Status.ACCEPTED)])
async def test_done_closes_at_once_only_without_review(database_url: str, review: bool, expected: Status) -> None:
    async with migrated_db(database_url) as (_engine, sessions), sessions() as session:
        director, _stranger, assignment, _res = await _world(session)
        _item, row, refusal = await reports.report(
            session, director, assignment.id, Status.DONE, config=Config(review_required=review)
        )
        assert refusal is None
        assert row is not None
        assert row.status == expected
        # The same click again records nothing new.
        _item, again, refusal = await reports.report(
            session, director, assignment.id, Status.DONE, config=Config(review_required=review)
        )
        assert again is None


async def test_refusals_change_nothing(database_url: str) -> None:
    async with migrated_db(database_url) as (_engine, sessions), sessions() as session:
        director, stranger, assignment, resolution = await _world(session)
        _i, row, refusal = await reports.report(session, stranger, assignment.id, Status.DONE, config=Config())
        assert (row, refusal) == (None, reports.Refusal.FOREIGN)
        director.approval = Approval.REMOVED
        _i, row, refusal = await reports.report(session, director, assignment.id, Status.DONE, config=Config())
        assert (row, refusal) == (None, reports.Refusal.NOT_MEMBER)
        director.approval = Approval.APPROVED
        resolution.state = ResolutionState.WITHDRAWN
        await session.commit()
        _i, row, refusal = await reports.report(session, director, assignment.id, Status.DONE, config=Config())
        assert (row, refusal) == (None, reports.Refusal.WITHDRAWN)
        _i, row, refusal = await reports.report(session, director, 999_999, Status.DONE, config=Config())
        assert refusal == reports.Refusal.NOT_FOUND
        await session.refresh(assignment)
        assert assignment.status == Status.IN_PROGRESS


async def test_a_late_acknowledgement_does_not_undo_a_colleagues_report(database_url: str) -> None:
    """Each member has their own copy of the card: the deputy's stale «Ознакомлен» comes after the director's report."""
    async with migrated_db(database_url) as (_engine, sessions), sessions() as session:
        director, _stranger, assignment, _res = await _world(session)
        await reports.report(session, director, assignment.id, Status.IN_PROGRESS, config=Config())
        _item, row, refusal = await reports.report(
            session, director, assignment.id, Status.ACKNOWLEDGED, config=Config()
        )
        assert (row, refusal) == (None, None)
        await session.refresh(assignment)
        assert assignment.status == Status.IN_PROGRESS


async def test_an_extension_cannot_be_approved_after_the_resolution_is_withdrawn(database_url: str) -> None:
    """The reviewer's stale «Одобрить» on a withdrawn resolution: refused, the date stays, nobody is told."""
    admins = Config(admin_ids=frozenset({9}))
    async with migrated_db(database_url) as (_engine, sessions), sessions() as session:
        director, _stranger, assignment, resolution = await _world(session)
        assignment.due = date(2030, 3, 1)
        await session.commit()
        refusal = await reports.request_extension(
            session, director, assignment_id=assignment.id, new_due=date(2030, 4, 1), reason="нет учителя",
            today=date(2030, 2, 1), config=admins,
        )  # fmt: skip
        assert refusal is None
        request_id = await session.scalar(select(ExtensionRequest.id))
        assert request_id is not None
        await publishing.withdraw(session, resolution_id=resolution.id)
        queued = await session.scalar(select(func.count()).select_from(Delivery))

        refusal = await reports.decide_extension(
            session, reviewer_id=9, request_id=request_id, approve=True, config=admins
        )
        assert refusal == reports.Refusal.WITHDRAWN
        await session.refresh(assignment)
        assert assignment.due == date(2030, 3, 1)
        assert await session.scalar(select(ExtensionRequest.state)) == "pending"
        assert await session.scalar(select(func.count()).select_from(Delivery)) == queued
        assert await rendered_notices(session, director.user_id) == []


async def test_done_and_its_review_request_are_one_commit(database_url: str) -> None:
    """«Выполнено» and the question to the reviewers land together: a failure after the report rolls back both."""
    admins = Config(admin_ids=frozenset({9}))
    async with migrated_db(database_url) as (_engine, sessions), sessions() as session:
        director, _stranger, assignment, _res = await _world(session)
        _item, row, refusal = await reports.report(session, director, assignment.id, Status.DONE, config=admins)
        assert refusal is None
        assert row is not None
        (question,) = await rendered_notices(session, 9)
        assert "сообщает о выполнении" in question
        assert await session.scalar(select(func.count()).select_from(StatusReport)) == 1
