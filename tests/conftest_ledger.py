"""Shared helpers for the ledger tests: a fixed key, a fixed clock, recordings built in code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import soundfile as sf

from auditor.ledger._merkle import EMPTY_ROOT
from auditor.ledger._signing import SigningKey
from auditor.ledger.entries import Entry
from auditor.ledger.note import VerifierKey
from auditor.ledger.store import Ledger

KEY = SigningKey.from_seed(bytes(range(32)))
OTHER_KEY = SigningKey.from_seed(bytes(range(1, 33)))
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ORIGIN = "court.example/hearings"
RATE = 8000


def make_wav(path: Path, seconds: float, *, seed: int = 0, rate: int = RATE) -> Path:
    """Seeded noise with a 50 Hz hum, 16-bit mono."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = 0.05 * rng.standard_normal(t.size) + 0.1 * np.sin(2 * np.pi * 50 * t)
    sf.write(path, x.astype(np.float32), rate, subtype="PCM_16")
    return path


def empty_recording() -> list[Entry]:
    """An ``ingest`` + ``seal`` pair of a recording with no chunks (for log-only tests)."""
    media = {"container": "wav", "codec": "pcm_s16le", "sample_rate": RATE, "channels": 1,
             "frames": 0, "bit_depth": 16}  # fmt: skip
    sha = "00" * 32
    return [
        Entry("ingest", {"name": "x.wav", "size": 44, "sha256": sha, "media": media,
                         "chunk_frames": RATE, "session": None}),  # fmt: skip
        Entry("seal", {"recording": 1, "chunks": 0, "root": EMPTY_ROOT.hex(), "frames": 0,
                       "sha256": sha}),  # fmt: skip
    ]


def new_ledger(path: Path, key: SigningKey = KEY) -> Ledger:
    """A fresh ledger at ``path`` signed by ``key`` at :data:`NOW`, holding one sealed
    (empty) recording at index 1: three entries."""
    led = Ledger.create(path, key=key, origin=ORIGIN, now=NOW)
    led.append_at(empty_recording(), key=key, now=NOW)
    return led


def write_key(path: Path, key: SigningKey, name: str = ORIGIN) -> Path:
    """A private key file (unencrypted) and its ``.pub``, as `auditor keygen` writes them."""
    key.save(path, None)
    Path(f"{path}.pub").write_text(f"{VerifierKey(name, key.public_bytes())}\n", "utf-8")
    return path
