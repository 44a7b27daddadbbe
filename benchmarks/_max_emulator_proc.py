"""The MAX emulator in a process of its own (same protocol as _emulator_proc.py): prints the base URL; on
"stats" prints the counters as JSON; on "stop" (or end of input) exits."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.max_emulator import MaxEmulator


def _busiest_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def main(rate: float | None) -> None:
    # Recipients never opened a dialog here: the benchmark measures sending, not MAX's start rule.
    emulator = MaxEmulator(rate_per_second=rate, require_started=False)
    await emulator.start()
    print(emulator.base_url, flush=True)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "stats":
                times = emulator.stats.sent_at
                span = times[-1] - times[0] if len(times) > 1 else 0.0
                print(
                    json.dumps(
                        {
                            "sent": emulator.stats.sent,
                            "rate_limited": emulator.stats.rate_limited,
                            "max_in_window": _busiest_second(times),
                            "sustained": (len(times) - 1) / span if span else 0.0,
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
