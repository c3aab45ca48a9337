"""scripts/audit.py: fails on a known vulnerability, says so when nothing could be audited."""

import json
import runpy
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"


def run_with(monkeypatch, capsys, report):
    def fake_run(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, stdout=json.dumps(report), stderr="")

    monkeypatch.setattr(subprocess, "run", fake_run)
    main = runpy.run_path(str(SCRIPT))["main"]
    return main(), capsys.readouterr().out


def test_a_known_vulnerability_fails_the_audit(monkeypatch, capsys):
    code, out = run_with(monkeypatch, capsys, {"dependencies": [
        {"name": "flask", "version": "0.1", "vulns": [{"id": "PYSEC-1", "fix_versions": ["3.1.3"]}]},
        {"name": "rq", "version": "2.12.0", "vulns": []}]})
    assert code == 1 and "flask 0.1: PYSEC-1 (fixed in 3.1.3)" in out and "2 pinned packages audited" in out


def test_an_unreachable_service_is_reported_as_skipped(monkeypatch, capsys):
    code, out = run_with(monkeypatch, capsys, {"dependencies": [
        {"name": "flask", "version": "3.1.3", "skip_reason": "Dependency not found on PyPI"}]})
    assert code == 0 and "SKIPPED" in out and "1 pinned packages were NOT audited" in out
