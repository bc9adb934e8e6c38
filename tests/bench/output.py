"""What every benchmark shares: merging its figures into ``var/bench.json``, and its command line."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any


def merge(out: Path, figures: dict[str, Any]) -> None:
    """Add these figures to the JSON file (other benchmarks' figures stay)."""
    existing = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**existing, **figures}, indent=2, ensure_ascii=False) + "\n")


def run_async(main: Callable[[Path], Coroutine[Any, Any, None]]) -> None:
    """``--out PATH`` (default var/bench.json), on uvloop when it is installed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("var/bench.json"))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(parser.parse_args().out))
