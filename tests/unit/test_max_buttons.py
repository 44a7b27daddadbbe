"""No dead buttons on MAX: every kind of button the bot makes (each typed callback class in `ui.callbacks`)
has a MAX handler, and a payload of one is parsed back to the same class; anything else is refused."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

import ui.callbacks
from maxbot.handlers import PRESSES, parse_payload
from ui.callbacks import DirectoryCb, ReportAction, ReportCb


def all_button_kinds() -> set[type[CallbackData]]:
    return {
        value
        for value in vars(ui.callbacks).values()
        if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData
    }


def test_every_kind_of_button_has_a_max_handler() -> None:
    handled = {cls for cls, _handler in PRESSES}
    assert all_button_kinds() - handled == set()
    assert len(handled) == len(PRESSES), "one handler per kind"


def test_payloads_parse_back_and_strangers_are_refused() -> None:
    parsed = parse_payload(ReportCb(action=ReportAction.ACK, assignment_id=7).pack())
    assert parsed is not None
    assert parsed[0] == ReportCb(action=ReportAction.ACK, assignment_id=7)
    empty = parse_payload(DirectoryCb().pack())  # a class without fields packs to its bare prefix
    assert empty is not None
    assert isinstance(empty[0], DirectoryCb)
    for forged in ("", "rep1", "rep1:zz:7", "nope:1", "rep1:ack:1:extra"):
        assert parse_payload(forged) is None, forged
