"""Vendored front-end files are exactly the recorded versions (supply chain, issue 8)."""

import hashlib
import json
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor"


def test_every_vendored_file_has_its_recorded_version_and_checksum():
    record = json.loads((VENDOR / "VENDORED.json").read_text())
    folders = {p.name for p in VENDOR.iterdir() if p.is_dir()}
    assert folders == set(record), "a vendored folder is missing from VENDORED.json, or the reverse"
    for folder, entry in record.items():
        assert folder.endswith(entry["version"]) and entry["source"].startswith("https://")
        present = {p.name for p in (VENDOR / folder).iterdir() if p.is_file() and p.name != "VERSION.txt"}
        assert present == set(entry["sha256"]), folder
        for name, digest in entry["sha256"].items():
            assert hashlib.sha256((VENDOR / folder / name).read_bytes()).hexdigest() == digest, f"{folder}/{name}"
