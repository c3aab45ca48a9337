"""The README stays true for a newcomer: every setting the code reads is documented."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_is_in_the_readme():
    settings = (ROOT / "config/settings.py").read_text()
    names = set(re.findall(r'env_(?:str|int|int_list|bool|choice)\("([A-Z0-9_]+)"', settings))
    readme = (ROOT / "README.md").read_text()
    assert len(names) > 20
    assert sorted(n for n in names if f"`{n}`" not in readme) == []


def test_readme_shows_the_two_commands_and_ci_runs_make_test():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci/run").read_text()
