"""The bot, killed (SIGKILL) at the moment the review request of a «Выполнено» is written to the outbox.

Used by the crash test: the report row is already written by then, so if the report and its review request
were two commits, the report would survive the crash without anyone being asked to review it.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _die_at_review_request(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool
) -> None:
    if statement.lstrip().upper().startswith("INSERT INTO DELIVERY") and "review_request" in repr(parameters):
        os.kill(os.getpid(), signal.SIGKILL)


event.listen(Engine, "before_cursor_execute", _die_at_review_request)

if __name__ == "__main__":
    import sys

    from bot.__main__ import main

    sys.exit(main([]))
