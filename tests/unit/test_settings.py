from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import Settings, SettingsError


def test_defaults_need_no_configuration() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path("var") and settings.redis_url is None and settings.mongo_url is None
    assert settings.max_text_bytes == 4096 and settings.agent_capacity == 3


def test_values_are_cast() -> None:
    settings = Settings.from_env({"HUB_DATA_DIR": "/tmp/x", "HUB_AGENT_CAPACITY": "5", "HUB_OFFER_TIMEOUT_S": "2.5",
                                  "HUB_REDIS_URL": "redis://r:6379/0", "HUB_SQLITE_SYNCHRONOUS": "full"})
    assert settings.agent_capacity == 5 and settings.offer_timeout_s == 2.5
    assert settings.redis_url == "redis://r:6379/0" and settings.sqlite_synchronous == "FULL"


@pytest.mark.parametrize("env", [
    {"HUB_AGENT_CAPACITY": "three"}, {"HUB_AGENT_CAPACITY": "0"}, {"HUB_OFFER_TIMEOUT_S": "-1"},
    {"HUB_SQLITE_SYNCHRONOUS": "OFF"}, {"HUB_BOT_THRESHOLD": "nan"}, {"HUB_WS_RATE_PER_S": "NaN"},
    {"HUB_OFFER_TIMEOUT_S": "inf"},
])
def test_bad_values_fail_loudly_with_the_variable_name(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="HUB_"):
        Settings.from_env(env)


def test_compose_configures_only_variables_the_hub_reads() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads compose.yaml")
    compose = yaml.safe_load((Path(__file__).parents[2] / "compose.yaml").read_text())
    configured = set(compose["x-hub-env"])
    source = (Path(__file__).parents[2] / "hub" / "settings.py").read_text()
    assert configured and all(f'"{name}"' in source for name in configured)
    assert compose["services"]["hub"]["environment"] == compose["x-hub-env"]
    assert "replSet" in " ".join(compose["services"]["mongo1"]["command"])
