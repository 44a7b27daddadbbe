"""A small resolution whose figures can be worked out by hand (see the table in `build`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.entities import (
    Addressee,
    Approval,
    Assignment,
    ExtensionRequest,
    Member,
    Organisation,
    Recommendation,
    Resolution,
    ResolutionState,
    Status,
    StatusReport,
)

TODAY = date(2025, 3, 20)
D1, D2, D4 = date(2025, 3, 1), date(2025, 3, 15), date(2025, 3, 10)
EXTENDED = date(2025, 3, 22)  # v2's item 2, moved from D2: due in two days, «at risk»


@dataclass
class Ids:
    resolution: int
    orgs: dict[str, int]
    assignments: dict[tuple[str, str], int]  # (organisation code, item code) → assignment id


async def build(session: AsyncSession) -> Ids:
    """Two municipalities, V (Вяземский: schools v1..v4) and G (Гагаринский: g1), the region's department R.

    Items: r1 due 01.03, r2 due 15.03, r3 without due (to schools); r4 due 10.03 (to R); r5 without due (to
    the municipality V itself). Today is 20.03.

    org  member              r1                          r2                         r3
    v1   approved            accepted 28.02 (on time)    accepted 16.03 (late)      in_progress
    v2   approved            in_progress (19 d over)     new, extended to 22.03     blocked
    v3   approved, inactive  new (19 d over)             new (5 d over)             new
    v4   pending             accepted 01.03 23:30 (ok)   done (5 d over)            new
    g1   approved            new (19 d over)             not_started (5 d over)     accepted 05.03
    R    approved            r4: accepted 12.03 (late)
    V    approved            r5: acknowledged
    """
    orgs = {
        "V": Organisation(kind="municipality", name="Вяземский район", code="mo-v"),
        "G": Organisation(kind="municipality", name="Гагаринский округ", code="mo-g"),
        "R": Organisation(kind="region", name="Министерство образования", code="reg"),
    }
    session.add_all(orgs.values())
    await session.flush()
    for code, muni, name in (
        ("v1", "V", "МБОУ «Средняя школа № 1» г. Вязьмы"),
        ("v2", "V", "МБОУ «Средняя школа № 2» г. Вязьмы"),
        ("v3", "V", "МБОУ «Кайдаковская школа»"),
        ("v4", "V", "МБОУ «Новосёловская школа»"),
        ("g1", "G", "МБОУ «Средняя школа № 1» г. Гагарина"),
    ):
        orgs[code] = Organisation(kind="school", name=name, code=code, municipality_id=orgs[muni].id)
    session.add_all(orgs.values())
    await session.flush()
    members: dict[str, Member] = {}
    for n, (code, approval, active) in enumerate(
        (
            ("v1", Approval.APPROVED, True),
            ("v2", Approval.APPROVED, True),
            ("v3", Approval.APPROVED, False),  # blocked the bot: not connected
            ("v4", Approval.PENDING, True),  # not approved yet: not connected
            ("g1", Approval.APPROVED, True),
            ("R", Approval.APPROVED, True),
            ("V", Approval.APPROVED, True),
        ),
        1,
    ):
        members[code] = Member(
            user_id=1000 + n,
            full_name=f"Сотрудник {code}",
            organisation_id=orgs[code].id,
            role="school",
            approval=approval,
            active=active,
        )
    session.add_all(members.values())
    resolution = Resolution(
        title="Резолюция августовского совещания",
        date=date(2025, 1, 30),
        content_hash="x",
        state=ResolutionState.PUBLISHED,
        created_by=1,
        published_at=datetime(2025, 2, 1, 9, 0),
    )
    recs = {
        "r1": Recommendation(position=0, text="Провести педсовет", due=D1),
        "r2": Recommendation(position=1, text="Обновить сайт", due=D2),
        "r3": Recommendation(position=2, text="Вести мониторинг", due=None),
        "r4": Recommendation(position=0, text="Подготовить сводку", due=D4),
        "r5": Recommendation(position=0, text="Назначить кураторов", due=None),
    }
    resolution.addressees = [
        Addressee(position=0, heading="Школам", roles=["school"], recommendations=[recs["r1"], recs["r2"], recs["r3"]]),
        Addressee(position=1, heading="Министерству", roles=["region"], recommendations=[recs["r4"]]),
        Addressee(position=2, heading="Муниципалитетам", roles=["municipality"], recommendations=[recs["r5"]]),
    ]
    session.add(resolution)
    await session.flush()

    table: list[tuple[str, str, Status, datetime | None]] = [
        ("v1", "r1", Status.ACCEPTED, datetime(2025, 2, 28, 10, 0)),
        ("v1", "r2", Status.ACCEPTED, datetime(2025, 3, 16, 9, 0)),
        ("v1", "r3", Status.IN_PROGRESS, None),
        ("v2", "r1", Status.IN_PROGRESS, None),
        ("v2", "r2", Status.NEW, None),
        ("v2", "r3", Status.BLOCKED, None),
        ("v3", "r1", Status.NEW, None),
        ("v3", "r2", Status.NEW, None),
        ("v3", "r3", Status.NEW, None),
        ("v4", "r1", Status.ACCEPTED, datetime(2025, 3, 1, 23, 30)),
        ("v4", "r2", Status.DONE, None),
        ("v4", "r3", Status.NEW, None),
        ("g1", "r1", Status.NEW, None),
        ("g1", "r2", Status.NOT_STARTED, None),
        ("g1", "r3", Status.ACCEPTED, datetime(2025, 3, 5, 12, 0)),
        ("R", "r4", Status.ACCEPTED, datetime(2025, 3, 12, 8, 0)),
        ("V", "r5", Status.ACKNOWLEDGED, None),
    ]
    assignments: dict[tuple[str, str], Assignment] = {}
    for org, rec, status, closed in table:
        due = EXTENDED if (org, rec) == ("v2", "r2") else recs[rec].due
        assignments[org, rec] = Assignment(
            recommendation_id=recs[rec].id, organisation_id=orgs[org].id, status=status, due=due, closed_at=closed
        )
    session.add_all(assignments.values())
    await session.flush()
    session.add(
        ExtensionRequest(
            assignment_id=assignments["v2", "r2"].id,
            member_id=members["v2"].id,
            new_due=EXTENDED,
            reason="Ждём подрядчика",
            state="approved",
        )
    )
    for (org, rec), when, status, comment in (
        (("v1", "r1"), datetime(2025, 2, 27, 9, 0), Status.DONE, "Протокол № 5"),
        (("v1", "r1"), datetime(2025, 2, 28, 10, 0), Status.ACCEPTED, "Принято"),
        (("v2", "r1"), datetime(2025, 3, 2, 15, 0), Status.IN_PROGRESS, "=СУММ(A1)"),
    ):
        session.add(
            StatusReport(
                assignment_id=assignments[org, rec].id,
                member_id=members[org].id,
                author_id=members[org].user_id,
                created_at=when,
                status=status,
                comment=comment,
            )
        )
    await session.commit()
    return Ids(resolution.id, {k: o.id for k, o in orgs.items()}, {k: a.id for k, a in assignments.items()})
