"""Scan pyenf_extraction's real original/attacked recording pairs with the default ``auditor scan``
and say what is found in each, against the tampered span the pair itself shows.

The three pairs (``bench/fetch_independent.py`` puts them in ``bench/out/independent/pyenf/``)
are 44.1 kHz room recordings, 16-34 s long; each attacked copy equals its original except in one
span, where other material of the same recording was pasted over it. The truth is read from the
pair (the samples where the two differ, gaps under 50 ms merged): its two ends are the joins.
A finding is at a join within 0.5 s (``bench_splice_fa.TOL``).

Usage::

    python bench/scan_attack_pairs.py            # prints a table, writes attack-pairs.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _voices as vo  # noqa: E402

PAIRS = ("audio_recording (1)", "audio_recording (2)", "audio_recording")
TOL = 0.5


def tampered_span(original: Path, attacked: Path) -> tuple[float, float] | None:
    """(first, last) second where the attacked copy differs from its original; None: equal."""
    import numpy as np
    import soundfile as sf

    a, sr = sf.read(original, dtype="float64")
    b, _ = sf.read(attacked, dtype="float64")
    idx = np.flatnonzero(np.abs(a - b) > 1e-4)
    return (float(idx[0] / sr), float(idx[-1] / sr)) if idx.size else None


def scan(path: Path) -> list[dict[str, Any]]:
    """The default scan's findings (``auditor scan FILE --format json``)."""
    out = subprocess.run([sys.executable, "-m", "auditor", "scan", str(path), "--format", "json",
                          "--fail-on", "high"], capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        raise SystemExit(f"auditor scan {path} failed: {out.stderr.strip()}")
    return list(json.loads(out.stdout)["findings"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--dir", type=Path, default=vo.INDEPENDENT_DIR / "pyenf")
    args = ap.parse_args(argv)
    if not (args.dir / f"{PAIRS[0]}.wav").is_file():
        print(vo.INDEPENDENT_HINT, file=sys.stderr)
        return 2
    rows = []
    for stem in PAIRS:
        orig, att = args.dir / f"{stem}.wav", args.dir / f"attacked_{stem}.wav"
        span = tampered_span(orig, att)
        joins = list(span) if span else []
        for role, path in (("original", orig), ("attacked", att)):
            finds = [f for f in scan(path) if f["kind"] == "splice"]
            truth = joins if role == "attacked" else []
            rep = [{"time": round(float(f["start"]), 2), "severity": f["severity"],
                    "confidence": round(float(f["confidence"]), 4),
                    "cues": sorted((f.get("evidence") or {}).get("cues") or {}),
                    "at_join": any(abs(float(f["start"]) - j) <= TOL for j in truth)}
                   for f in finds]
            found = sum(any(abs(r["time"] - j) <= TOL for r in rep) for j in truth)
            rows.append({"file": path.name, "role": role,
                         "joins": [round(j, 2) for j in truth], "found": found,
                         "findings": rep})
            print(f"{path.name}: joins {[round(j, 2) for j in truth]}, found {found}; "
                  + "; ".join(f"{r['time']} s {r['severity']} {r['confidence']} "
                              f"{'+'.join(r['cues'])}{' (join)' if r['at_join'] else ''}"
                              for r in rep), flush=True)
    (HERE / "out" / "attack-pairs.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
