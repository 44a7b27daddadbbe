"""Joining by request on MAX: kind → (municipality) → organisation, a school found by typing part of its name,
then name and position; the request goes to whoever may approve it, on either messenger. The approver's
«Одобрить» / «Отклонить» works here too. Same lists (`ui.joining`), services and texts as on Telegram
(`handlers/onboarding.py`); the requester is known by their principal id and reached on MAX."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from maxapi.types import MessageCreated

from maxbot.handlers.base import Act, Press, PressHandler, State, TextStep
from models import membership
from models.entities import Approval, Organisation
from models.timeutil import utcnow
from ui import joining, texts
from ui.callbacks import DecisionCb, JoinCb, JoinStep
from ui.render import join_request


async def on_join(press: Press, data: JoinCb) -> None:
    """Every step of the wizard; ids in the payload are re-read from the database."""
    act = press.act
    if act.member is not None and act.member.approval == Approval.APPROVED:
        await press.answer(texts.JOIN_ALREADY)
        return
    if not joining.known_kind(data.kind):
        await press.answer(texts.STALE_BUTTON)
        return
    if data.step == JoinStep.ORG:
        await _choose(press, data)
        return
    if data.step == JoinStep.FOUND:
        await _found_page(press, data)
        return
    page = await joining.step_page(act.session, data)
    await press.answer(texts.MAX_JOIN_PICK if page.search_in is None else texts.MAX_JOIN_SEARCH)
    await act.context.clear()  # a new list: whatever the wizard waited for before is over
    if page.search_in is not None:
        await act.context.set_state(State.JOIN_SEARCH)
        await act.context.update_data(municipality_id=page.search_in)
    await act.edit(press.mid, page.text, page.markup)


async def _found_page(press: Press, data: JoinCb) -> None:
    """The next page of what a school search found (the query is in the dialog's data)."""
    act = press.act
    state = await act.context.get_data()
    if await act.context.get_state() != State.JOIN_SEARCH or not state.get("query"):
        await press.answer(texts.STALE_BUTTON)
        return
    text, markup = await joining.found_page(
        act.session, int(state.get("municipality_id") or 0), str(state["query"]), max(0, data.page)
    )
    await press.answer(f"Страница {max(0, data.page) + 1}")
    await act.edit(press.mid, text, markup)


async def _choose(press: Press, data: JoinCb) -> None:
    """The organisation is chosen: the name and position come next (the search, if any, is over)."""
    act = press.act
    org = await joining.chosen(act.session, data)
    if org is None:
        await press.answer(texts.STALE_BUTTON)
        return
    await press.answer(texts.MAX_ASKED)
    await act.context.clear()
    await act.context.set_state(State.JOIN_NAME)
    await act.context.update_data(organisation_id=org.id)
    await act.edit(press.mid, texts.JOIN_ASK_NAME.format(org=texts.esc(org.name)))


async def _step_search(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    if not text or text.startswith("/"):
        await act.say(texts.UNKNOWN_COMMAND if text else texts.MAX_JOIN_SEARCH)
        return
    await act.context.update_data(query=text)  # the pages of the result ask for it again
    await act.say(*await joining.found_page(act.session, int(data.get("municipality_id") or 0), text, 0))


async def _step_name(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    """«Иванова Мария Петровна, директор»: the request goes out with what the approver will read."""
    full_name, position = membership.split_name_and_position(text)
    if not full_name or not position or text.startswith("/"):
        await act.say(texts.JOIN_NAME_AGAIN)
        return
    await act.context.clear()
    organisation_id = int(data.get("organisation_id") or 0)
    org = await act.session.get(Organisation, organisation_id)
    try:
        await membership.request_membership(
            act.session,
            user_id=act.principal,
            full_name=full_name,
            username=act.user.username,
            organisation_id=organisation_id,
            role=org.kind if org else None,
            position=position,
            now=utcnow(),
            admin_ids=act.deps.config.admin_ids,
            max_user_id=act.user.user_id,
        )
    except membership.MembershipError as exc:
        await act.say(texts.MEMBERSHIP_REFUSALS[exc.refusal])
        return
    await act.say(texts.JOIN_SENT.format(org=texts.esc(org.name if org else "")))


async def on_decision(press: Press, data: DecisionCb) -> None:
    """«Одобрить» / «Отклонить» under a request: the service checks again who may decide it."""
    act = press.act
    result = await membership.decide(
        act.session,
        member_id=data.member_id,
        approver_user_id=act.principal,
        approve=data.approve,
        admin_ids=act.deps.config.admin_ids,
        organisation_id=data.organisation_id,
    )
    if not result.changed or result.member is None or result.organisation is None:
        member, org = result.member, result.organisation
        await press.answer(
            texts.decision_message(
                result.outcome,
                member.full_name if member is not None else None,
                org.name if org is not None else None,
                member.approval if member is not None else None,
            )
        )
        return
    verdict = texts.DECISION_APPROVED if data.approve else texts.DECISION_REJECTED
    await press.answer(verdict)
    await act.edit(press.mid, f"{join_request(result.member, result.organisation)}\n\n<b>{verdict}</b>")


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = ((JoinCb, on_join), (DecisionCb, on_decision))
STEPS: dict[str, TextStep] = {State.JOIN_SEARCH: _step_search, State.JOIN_NAME: _step_name}
