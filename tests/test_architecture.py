"""The import contracts in pyproject.toml ([tool.importlinter]): layers that import only
downwards, services that know no texts or buttons, a database layer that knows nothing above
it, handlers that import no other feature's handlers, no import cycles. CI runs only the test
command, so the check is a test; runs over a copy of bot/ with one upward import, and with one
handler importing another feature's, show a broken contract fails it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_contracts_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_a_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "bot", tmp_path / "bot",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "locales", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "bot" / "services" / "shows_itself.py").write_text(
        "from bot.views.broadcast import progress\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "bot.services.shows_itself -> bot.views.broadcast" in result.stdout
    assert "Services know no texts or buttons" in result.stdout


def test_a_handler_importing_another_features_handler_breaks_a_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "bot", tmp_path / "bot",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "locales", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    history = tmp_path / "bot" / "handlers" / "history.py"
    history.write_text(history.read_text() + "\nfrom bot.handlers.stats import stats_screen\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "bot.handlers.history -> bot.handlers.stats" in result.stdout
    assert "Handlers import no other feature's handlers" in result.stdout
