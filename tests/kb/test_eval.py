"""The evaluation CLI on a slice of BANKING77 (the full run is in the closing notes: it takes minutes)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BANKING77 = ROOT.parent / "shared" / "eval" / "banking77"
CATEGORIES = ["card_arrival", "lost_or_stolen_card", "exchange_rate", "top_up_failed", "pin_blocked",
              "cash_withdrawal_charge", "card_payment_wrong_exchange_rate", "transfer_timing"]


def _slice(source: Path, target: Path) -> None:
    with source.open(newline="", encoding="utf-8") as read, target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "category"])
        for row in csv.DictReader(read):
            if row["category"] in CATEGORIES:
                writer.writerow([row["text"], row["category"]])


@pytest.mark.skipif(not BANKING77.exists(), reason="../shared/eval/banking77 is not beside this clone")
def test_eval_prints_one_json_line_with_every_figure(tmp_path: Path) -> None:
    _slice(BANKING77 / "train.csv", tmp_path / "train.csv")
    _slice(BANKING77 / "test.csv", tmp_path / "test.csv")
    done = subprocess.run(
        [sys.executable, "-m", "kb.eval", "--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv"),
         "--oos", str(tmp_path / "test.csv"), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    figures = json.loads(lines[0])
    for key in ("top1_accuracy", "coverage_at_95_precision", "handoff_rate", "oos_handoff_recall", "p50_ms",
                "p95_ms", "index_build_s"):
        assert key in figures
    assert figures["top1_accuracy"] > 0.85
    assert 0 < figures["coverage_at_95_precision"] <= 1
    assert abs(figures["handoff_rate"] + figures["coverage_at_95_precision"] - 1) < 1e-3
