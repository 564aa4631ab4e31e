"""Starting the bot with a bad configuration: one clear line, exit status 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,  # no .env there
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_token_exits_2_naming_the_setting(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DATABASE_URL", "mysql://nope"),
        ("DISCORD_API_BASE_URL", "not a url"),
        ("DEFAULT_LOCALE", "xx-YY"),
        ("DEV_GUILD_ID", "abc"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_malformed_setting_exits_2_naming_it(tmp_path: Path, setting: str, value: str) -> None:
    result = _run(tmp_path, DISCORD_TOKEN="secret-token-value", **{setting: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]
    assert "secret-token-value" not in result.stderr


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=abc\nLOG_LEVEL=verbose\n")
    result = _run(tmp_path)
    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr
