"""The Bot API emulator in a process of its own, so the benchmark measures only the bot's CPU.

Protocol on stdin/stdout, one line each: prints the base URL once started; on "stats" prints the
counters as JSON; on "stop" (or end of input) exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.emulator import TelegramEmulator


async def main(global_rate: float | None) -> None:
    emulator = TelegramEmulator()
    await emulator.start()
    if global_rate:
        emulator.set_rate_limit(global_per_second=global_rate, per_chat_per_second=1)
    print(emulator.base_url, flush=True)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "stats":
                stats = emulator.stats
                print(
                    json.dumps(
                        {
                            "sent": stats.sent_messages,
                            "rate_limited": stats.rate_limited,
                            "max_in_window": stats.max_in_window(1.0),
                            "sustained": stats.sustained_rate(),
                        }
                    ),
                    flush=True,
                )
            elif line in {"stop", ""}:
                return
    finally:
        await emulator.stop()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "0" else None))
