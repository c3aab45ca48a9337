"""Issue 19 end to end: bench/multihost.py deploys web, two workers and the services as hosts
in their own network namespaces, uploads a short HEVC film over the network and cuts off the
worker host busy with it; the film must end ready with nothing lost. Needs root; deselected
unless run with ``-m multihost``."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.multihost


@pytest.mark.parametrize("cut", ["link", "kill"])
def test_film_survives_a_worker_host_cut_off(cut, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    result = tmp_path / "result.json"
    argv = [sys.executable, str(ROOT / "bench" / "multihost.py"), "--minutes", "1", "--chunk-seconds", "15",
            "--cut", cut, "--cut-at", "0.2", "--timeout", "900", "--json", str(result)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(result.read_text())
    output, timeline = figures["output"], figures["timeline"]
    assert output["ok"] and output["lost_frames"] == 0 and not output["missing_objects"]
    assert output["ready_rows"] == 1
    assert timeline["cut_host"] in ("fp-worker1", "fp-worker2")
    assert timeline["taken_over"] is not None  # another host took the cut work over
    assert set(figures["jobs_per_host"]) == {"fp-worker1", "fp-worker2"}
    survivor = ({"fp-worker1", "fp-worker2"} - {timeline["cut_host"]}).pop()
    assert figures["jobs_per_host"][survivor]["done"] >= 1
    # nothing is left running: no namespace, no bridge
    assert not [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                if n.startswith("fp-")]
