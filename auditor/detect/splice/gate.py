"""A gated microphone: background and hum that come and go with speech, not with edits.

Courtroom microphones often pass through a noise gate or an automatic mixer (Dugan, "Automatic
microphone mixing", J. Audio Eng. Soc. 23(6), 1975): a microphone is open while its speaker
talks and for a hold time after, and closed or turned down in the pauses. Its own noise floor
and the mains hum its cable picks up are then present only while it is open, so every opening
and closing steps the background and starts or stops the hum — what the background and ENF
cues read as another room or a break in the grid's phase. A splice cue cannot tell such a step
from an edit, so where a gate is found the cue it disturbs is declared not applicable, with
what was measured, and reports nothing.

A gate shows itself by repetition, which an edit does not have:

* **background**: the background cue finds at least ``MIN_CHANGES`` changes, at least one per
  ``PER_SECONDS``, and they keep leaving from and coming back to one floor: at least
  ``RETURNING`` of them have one side within ``SPREAD_DB`` of the floor (the lower quartile of
  their lower sides: the room with every microphone closed) and the other at least ``GATE_DB``
  above it — or the level turns the other way at ``ALTERNATING`` of the changes (up, down,
  up, down: a microphone whose floor is near the room's opening and closing);
* **hum**: the ENF cue finds the hum vanishing or stepping in level (``hum_gap`` or
  ``level_step``) at least ``MIN_CHANGES`` times, at least once per ``PER_SECONDS``.

One or two insertions from another room, or a recorder stopped once, stay below these counts;
an air conditioner that cycles on and off is caught with the gates, and is not an edit either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cue import Cue

__all__ = ["Gate", "measure_gate", "MIN_CHANGES", "PER_SECONDS", "GATE_DB", "SPREAD_DB"]

MIN_CHANGES = 4
PER_SECONDS = 180.0
GATE_DB = 4.0
SPREAD_DB = 2.5
RETURNING = 0.6  # share of the changes that must leave from or come back to the floor
ALTERNATING = 0.8  # share of consecutive changes that must turn the level the other way


@dataclass(frozen=True)
class Gate:
    """Whether the background and the hum follow something that switches on and off, with what
    was measured."""

    background: bool = False
    hum: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.background or self.hum


def _often(times: list[float], duration: float) -> bool:
    return len(times) >= MIN_CHANGES and len(times) * PER_SECONDS >= duration


def _returns_to_floor(cues: list[Cue]) -> float | None:
    """The floor (dB) a set of background changes keeps coming back to, or None: most changes
    have one side within ``SPREAD_DB`` of the lowest level they show and the other side at
    least ``GATE_DB`` above it (a microphone opening over, and closing back to, the room)."""
    levels = np.array([[c.evidence["level_before_db"], c.evidence["level_after_db"]]
                       for c in cues if "level_before_db" in c.evidence], float)
    if levels.shape[0] < MIN_CHANGES:
        return None
    low, high = levels.min(axis=1), levels.max(axis=1)
    floor = float(np.percentile(low, 25))
    touching = (np.abs(low - floor) <= SPREAD_DB) & (high - low >= GATE_DB)
    return floor if touching.mean() >= RETURNING else None


def _alternates(cues: list[Cue]) -> bool:
    """Whether the background's level goes up and down in turn at (nearly) every change: an
    opening and a closing, again and again."""
    ordered = sorted((c for c in cues if "level_before_db" in c.evidence), key=lambda c: c.time)
    steps = np.array([c.evidence["level_after_db"] - c.evidence["level_before_db"]
                      for c in ordered], float)
    if steps.size < MIN_CHANGES:
        return False
    flips = np.sign(steps[1:]) != np.sign(steps[:-1])
    return bool(flips.mean() >= ALTERNATING)


def measure_gate(found: dict[str, list[Cue]], duration: float) -> Gate:
    """Whether the background cue's and the ENF cue's candidates (``found``, by cue) repeat as
    a gated microphone's do, over a recording of ``duration`` seconds."""
    ev: dict[str, Any] = {}
    bg = found.get("background", [])
    background = False
    if _often([c.time for c in bg], duration):
        floor = _returns_to_floor(bg)
        if floor is not None or _alternates(bg):
            background = True
            ev.update(background_changes=len(bg),
                      background_floor_db=None if floor is None else round(floor, 1))
    steps = [c for c in found.get("enf", [])
             if c.evidence.get("kind") in ("hum_gap", "level_step")]
    hum = _often([c.time for c in steps], duration)
    if hum:
        ev.update(hum_gaps_and_level_steps=len(steps))
    return Gate(background=background, hum=hum, evidence=ev)
