"""Audit the pinned Python packages for known vulnerabilities (pip-audit), as `make test` does.

Fails when a vulnerability is found. When the vulnerability service cannot be reached (an
offline mirror answers "not found" for every package), it says so loudly and how many packages
went unaudited, instead of passing silently.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    done = subprocess.run([sys.executable, "-m", "pip_audit", "-r", str(ROOT / "constraints.txt"), "--no-deps",
                           "--disable-pip", "--format", "json", "--progress-spinner", "off"],
                          capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit: SKIPPED, the vulnerability service could not be used:\n{done.stderr[-800:]}")
        return 0
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    audited = len(deps) - len(skipped)
    if audited == 0:
        print(f"pip-audit: SKIPPED, the vulnerability service is not reachable from here; "
              f"{len(skipped)} pinned packages were NOT audited")
    else:
        print(f"pip-audit: {audited} pinned packages audited, {len(vulnerable)} with known vulnerabilities"
              + (f", {len(skipped)} not audited" if skipped else ""))
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
