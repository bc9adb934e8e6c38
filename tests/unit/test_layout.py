"""The import rule of ARCHITECTURE.md stays enforced as the hub grows."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
SHARED_WITH_CONNECTORS = {"hub.models", "hub.envelopes", "hub.errors", "hub.flow"}


def test_connectors_and_bot_are_forbidden_every_other_hub_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    contract = next(c for c in contracts if c["source_modules"] == ["connectors", "bot"])
    hub_modules = {f"hub.{p.stem}" for p in (ROOT / "hub").glob("*.py") if p.stem != "__init__"}
    hub_modules |= {f"hub.{p.name}" for p in (ROOT / "hub").iterdir() if (p / "__init__.py").exists()}
    assert set(contract["forbidden_modules"]) == hub_modules - SHARED_WITH_CONNECTORS


def test_the_top_level_layout_is_the_agreed_one() -> None:
    for name in ("hub", "connectors", "bot", "kb", "web", "tests", "compose.yaml", "pyproject.toml"):
        assert (ROOT / name).exists(), name
