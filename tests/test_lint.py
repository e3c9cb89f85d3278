"""The code base passes ruff (settings in pyproject.toml)."""
import subprocess
import sys

from helpers import REPO


def test_ruff():
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', 'qmat', 'tools', 'tests', 'configs'],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
