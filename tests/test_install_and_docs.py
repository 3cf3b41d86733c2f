"""Installing on a stock server and editing safely, as the README and docs say (issue #13,
Why: `pip install -e .` fails under PEP 668, Python >= 3.11 not stated, the systemd unit's
/usr/bin/python3 cannot see a virtual environment, no doc says to restart after edits,
docs/flows.md English only). The fresh Debian 12 run itself is not a unit test: see README."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quickstart() -> str:
    return README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]


def test_the_quickstart_is_two_script_commands_without_a_system_wide_pip() -> None:
    commands = re.findall(r"```bash\n(.*?)```", _quickstart(), flags=re.S)
    assert [c.strip() for c in commands] == ["./sebaya run", "./sebaya test"]
    assert "pip install" not in _quickstart()


def test_python_3_11_is_stated_and_required_everywhere() -> None:
    assert "Python 3.11 or newer" in _quickstart() and "python3.11-venv" in _quickstart()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["requires-python"] == ">=3.11"
    script = (ROOT / "sebaya").read_text(encoding="utf-8")
    assert "sys.version_info < (3, 11)" in script and 'venv="$here/.venv"' in script


def test_the_script_is_executable_bash_that_parses() -> None:
    script = ROOT / "sebaya"
    assert script.stat().st_mode & 0o111
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0


def test_every_systemd_unit_runs_the_virtual_environment() -> None:
    starts = re.findall(r"^ExecStart=(\S+)", README, flags=re.M)
    assert starts and all(s.startswith("/opt/sebaya/") and (".venv/bin/" in s or
                                                            s.endswith("/sebaya"))
                          for s in starts), starts
    assert "/usr/bin/python3" not in README


def test_the_quickstart_never_sets_a_new_secret_under_existing_data() -> None:
    assert "export SEBAYA_SECRET" not in _quickstart()
    telegram = README.split("## Running on Telegram", 1)[1].split("\n## ", 1)[0]
    assert "Telegram" in telegram and "export SEBAYA_SECRET" not in telegram


def test_guru_bk_has_an_indonesian_guide_to_flows_rules_and_restarting() -> None:
    guide = (ROOT / "docs" / "panduan-mengubah.md").read_text(encoding="utf-8")
    assert "nyalakan ulang bot" in guide and "systemctl restart sebaya" in guide
    assert "check-flows" in guide and "check-rules" in guide
    assert "flows/" in guide and "risk" in guide
    assert "panduan-mengubah.md" in (ROOT / "docs" / "flows.md").read_text(encoding="utf-8")
