"""The pure rules: who may invite, act, view and decide; the code format; the brute-force limiter."""

from __future__ import annotations

import base64
import re

import pytest

from models.entities import Approval, Member, Organisation, OrgKind
from models.membership import INVITE_CODE_BYTES, AttemptLimiter, invite_link, is_invite_code, new_invite_code
from models.policy import Actor, can_invite, manages, may_act_for, may_view

ADMINS = frozenset({1})
VYAZMA = Organisation(id=10, kind=OrgKind.MUNICIPALITY, name="Вяземский район")
GAGARIN = Organisation(id=20, kind=OrgKind.MUNICIPALITY, name="Гагаринский муниципальный округ")
SCHOOL_A = Organisation(id=11, kind=OrgKind.SCHOOL, name="СШ № 1 г. Вязьмы", municipality_id=10)
SCHOOL_B = Organisation(id=12, kind=OrgKind.SCHOOL, name="СШ № 2 г. Вязьмы", municipality_id=10)
SCHOOL_G = Organisation(id=21, kind=OrgKind.SCHOOL, name="СШ № 1 г. Гагарина", municipality_id=20)
PARTNER = Organisation(id=30, kind=OrgKind.PARTNER, name="Музей", municipality_id=10)
REGION = Organisation(id=1, kind=OrgKind.REGION, name="Департамент")


def member(user_id: int, org: Organisation, approval: Approval = Approval.APPROVED) -> Member:
    return Member(user_id=user_id, organisation_id=org.id, role=org.kind, approval=approval)


ADMIN = Actor(1)
OFFICER_V = Actor(100, member(100, VYAZMA))
OFFICER_G = Actor(200, member(200, GAGARIN))
DIRECTOR_A = Actor(111, member(111, SCHOOL_A))
PENDING_OFFICER = Actor(101, member(101, VYAZMA, Approval.PENDING))
FORMER_OFFICER = Actor(102, member(102, VYAZMA, Approval.REMOVED))
STRANGER = Actor(999)


@pytest.mark.parametrize(
    ("actor", "org", "role", "allowed"),
    [
        (ADMIN, REGION, "region", True),
        (ADMIN, SCHOOL_G, "school", True),
        (ADMIN, VYAZMA, None, True),
        (ADMIN, VYAZMA, "director", False),  # unknown role
        (OFFICER_V, SCHOOL_A, "school", True),
        (OFFICER_V, SCHOOL_B, None, True),
        (OFFICER_V, SCHOOL_A, "municipality", False),  # officers invite staff of schools only
        (OFFICER_V, SCHOOL_G, "school", False),  # another municipality's school
        (OFFICER_V, VYAZMA, "municipality", False),  # not their own municipality: admins do that
        (OFFICER_V, PARTNER, "partner", False),
        (OFFICER_G, SCHOOL_A, "school", False),
        (DIRECTOR_A, SCHOOL_A, "school", False),
        (PENDING_OFFICER, SCHOOL_A, "school", False),
        (FORMER_OFFICER, SCHOOL_A, "school", False),
        (STRANGER, SCHOOL_A, "school", False),
    ],
)
def test_can_invite(actor: Actor, org: Organisation, role: str | None, allowed: bool) -> None:
    assert can_invite(actor, org, ADMINS, role) is allowed


def test_manages_is_admin_or_officer_of_the_schools_municipality() -> None:
    assert manages(ADMIN, VYAZMA, ADMINS)
    assert manages(OFFICER_V, SCHOOL_A, ADMINS)
    assert not manages(OFFICER_G, SCHOOL_A, ADMINS)
    assert not manages(DIRECTOR_A, SCHOOL_B, ADMINS)
    assert not manages(DIRECTOR_A, SCHOOL_A, ADMINS)  # a director does not approve colleagues
    assert not manages(OFFICER_V, VYAZMA, ADMINS)


def test_a_member_acts_only_for_their_own_organisation() -> None:
    assert DIRECTOR_A.member is not None
    assert may_act_for(DIRECTOR_A.member, SCHOOL_A.id)
    assert not may_act_for(DIRECTOR_A.member, SCHOOL_B.id)
    assert not may_act_for(OFFICER_V.member, SCHOOL_A.id)  # an officer reviews, but does not report for a school
    assert not may_act_for(member(5, SCHOOL_A, Approval.PENDING), SCHOOL_A.id)
    assert not may_act_for(member(5, SCHOOL_A, Approval.REMOVED), SCHOOL_A.id)
    assert not may_act_for(None, SCHOOL_A.id)


@pytest.mark.parametrize(
    ("actor", "org", "visible"),
    [
        (ADMIN, SCHOOL_G, True),
        (OFFICER_V, VYAZMA, True),
        (OFFICER_V, SCHOOL_A, True),
        (OFFICER_V, PARTNER, True),  # a partner of the municipality
        (OFFICER_V, SCHOOL_G, False),
        (OFFICER_V, GAGARIN, False),
        (OFFICER_V, REGION, False),
        (DIRECTOR_A, SCHOOL_A, True),
        (DIRECTOR_A, SCHOOL_B, False),
        (DIRECTOR_A, VYAZMA, False),
        (PENDING_OFFICER, SCHOOL_A, False),
        (STRANGER, SCHOOL_A, False),
    ],
)
def test_may_view(actor: Actor, org: Organisation, visible: bool) -> None:
    assert may_view(actor, org, ADMINS) is visible


def test_invite_codes_have_96_random_bits_and_fit_a_deep_link() -> None:
    assert INVITE_CODE_BYTES * 8 >= 64
    codes = {new_invite_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)
        assert is_invite_code(code)
        assert len(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))) == INVITE_CODE_BYTES
    assert invite_link("@adresat_bot", "abc") == "https://t.me/adresat_bot?start=abc"


@pytest.mark.parametrize("text", ["", "short", "x" * 17, "with space 12345", "кириллица_123456", "a+b/c=d" * 2 + "xx"])
def test_malformed_codes_are_not_codes(text: str) -> None:
    assert not is_invite_code(text)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_blocks_after_five_failures_for_ten_minutes() -> None:
    clock = FakeClock()
    limiter = AttemptLimiter(max_failures=5, window=600, clock=clock)
    for _ in range(4):
        assert limiter.allowed(7)
        limiter.failed(7)
        clock.now += 10
    assert limiter.allowed(7)
    limiter.failed(7)  # the fifth failure at t=1040
    assert not limiter.allowed(7)
    assert limiter.retry_after(7) == pytest.approx(600 - 40)
    assert limiter.allowed(8)  # other users are not affected
    clock.now = 1000 + 600  # the first failure leaves the window
    assert limiter.allowed(7)
    limiter.failed(7)
    assert not limiter.allowed(7)


def test_limiter_success_resets_and_old_entries_are_forgotten() -> None:
    clock = FakeClock()
    limiter = AttemptLimiter(max_failures=2, window=60, clock=clock)
    limiter.failed(1)
    limiter.failed(1)
    assert not limiter.allowed(1)
    limiter.succeeded(1)
    assert limiter.allowed(1)
    for uid in range(10_002):
        limiter.failed(uid)
    clock.now += 61
    limiter.failed(1)  # the sweep drops everyone whose window has passed
    assert len(limiter._failures) == 1
