"""The unit tests of static/js/chapters_checklist.js, run by Node's own test runner."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_chapters_and_checklist_module_passes_its_node_tests():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found; scripts/sysdeps.sh test installs nodejs")
    result = subprocess.run([node, "--test", "tests/js/chapters_checklist.test.mjs"], cwd=ROOT,  # noqa: S603
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
