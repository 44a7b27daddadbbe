"""LOG_FORMAT=json: one JSON object per line that a collector reads without parsing rules."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from bot.logs import JsonFormatter


def test_a_record_is_one_json_line_with_its_extras_and_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTANCE_NAME", "bot2")
    formatter = JsonFormatter()
    try:
        raise ValueError("сломалось")
    except ValueError:
        record = logging.getLogger("scheduler.delivery").makeRecord(
            "scheduler.delivery", logging.ERROR, __file__, 1, "доставка %s не удалась", (42,), sys.exc_info(),
            extra={"chat_id": 1000, "batch": object()},
        )  # fmt: skip
    line = formatter.format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "scheduler.delivery"
    assert entry["message"] == "доставка 42 не удалась"
    assert entry["instance"] == "bot2"
    assert entry["chat_id"] == 1000
    assert entry["batch"].startswith("<object")
    assert "ValueError: сломалось" in entry["exception"]
    assert entry["time"].endswith("+00:00")
