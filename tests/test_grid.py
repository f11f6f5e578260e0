"""The grid's nominal frequency: given (--grid, the session record's grid_hz, the policy) or
measured, and in ``auto`` a line is mains hum only when it behaves like a grid.

The hearings are built in code: room noise, mains hum whose frequency follows a random walk at a
grid's pace, and speech-like bursts (conftest's ``voiced``); a voice's microphone that carries
another grid's hum carries it only while the voice speaks (the bursts' envelope).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import room_noise, voiced, write

from auditor.cli import cli
from auditor.detect import ScanParams
from auditor.detect.base import GRID_FROM_OPTION
from auditor.detect.splice import enf
from auditor.detect.splice.enf import grid, hum
from auditor.errors import InputError, SessionError
from auditor.scan import grid_params, make_params
from auditor.session import Policy, Session, load_policy, session_from_csv, session_to_csv

SR = 8000
SECONDS = 120
GRID50 = {1: 0.003, 2: 0.001, 3: 0.0015}
VOICE60 = {1: 0.012, 2: 0.004, 3: 0.006}  # the voices' microphone hum, louder than the room's


def walk(rng: np.random.Generator, n: int, *, nominal: float, amps: dict[int, float],
         pace: float = 0.002) -> np.ndarray:
    """Hum whose fundamental random-walks by ``pace`` Hz per second around ``nominal`` (a real
    grid moves a few mHz per second), with harmonics of amplitude ``amps``."""
    steps = np.clip(np.cumsum(rng.normal(0, pace, n // SR + 3)), -0.1, 0.1)
    f = nominal + np.interp(np.arange(n) / SR, np.arange(steps.size), steps)
    ph = 2 * np.pi * np.cumsum(f) / SR + rng.uniform(0, 2 * np.pi)
    return sum(a * np.cos(k * ph) for k, a in amps.items()).astype(np.float32)


def bursts(n: int) -> np.ndarray:
    """The envelope of ``voiced``'s speech bursts (1 while someone speaks, 0 in the pauses)."""
    t = np.arange(n) / SR
    return np.clip(2.0 * np.sin(2 * np.pi * 0.2 * t) + 0.6, 0, 1).astype(np.float32)


def hearing(rng: np.random.Generator, *, room50: bool = True, voice60: bool = True,
            n: int = SECONDS * SR) -> np.ndarray:
    """Speech over room noise; the room's 50 Hz grid hum, the voices' 60 Hz hum, or both."""
    x = voiced(n, SR) + room_noise(rng, n, -55)
    if room50:
        x += walk(rng, n, nominal=50.0, amps=GRID50)
    if voice60:
        x += walk(rng, n, nominal=60.0, amps=VOICE60) * bursts(n)
    return x.astype(np.float32)


def run(x: np.ndarray, params: ScanParams | None = None):
    """The ENF cue's status and cues for a signal, streamed like a scan."""
    params = params or ScanParams()
    an = enf.analysers(SR, 1, params)["enf"]
    step = int(7.3 * SR)
    for i in range(0, x.size, step):
        an.update(x[i: i + step, None], i)
    inp = SimpleNamespace(features=SimpleNamespace(extra={"enf": an.finish()}))
    return enf.cues(inp, params)  # type: ignore[arg-type]


def decimated(x: np.ndarray):
    """What the ENF analyser keeps of a signal: the decimated mix and its rate."""
    an = enf.analysers(SR, 1, ScanParams())["enf"]
    an.update(x[:, None], 0)
    sig = an.finish()
    return sig.y, sig.rate


# ------------------------------------------------------------------------ the ENF cue


def test_the_voices_60_hz_hum_is_the_strongest_line(rng):
    """The premise of the tests below: by strength alone the 60 Hz line would be taken."""
    y, rate = decimated(hearing(rng))
    scan = hum.measure(y, rate)
    assert hum.best_line(scan.lines).nominal == 60.0
    assert scan.lines == hum.hum_lines(y, rate)  # the measure keeps hum_lines' answer


@pytest.mark.parametrize("given", ["50", "auto"])
def test_a_50_hz_hearing_whose_voices_carry_60_hz_hum_follows_50_hz(given, rng):
    params = ScanParams(grid=given, grid_from=GRID_FROM_OPTION if given != "auto" else "default")
    status, _ = run(hearing(rng), params)
    assert status.applicable, status.reason
    ev = status.evidence
    assert ev["nominal_hz"] == 50.0 and ev["frequency_hz"] == pytest.approx(50.0, abs=0.15)
    assert set(ev["lines_snr_db"]) <= {"50", "100", "150", "200", "250", "300", "350"}
    if given == "50":  # given, not guessed
        assert ev["grid_from"] == "--grid" and "grid_checks" not in ev
    else:  # measured: the 60 Hz line was refused, and why
        assert ev["grid_from"] == "auto"
        first, second = ev["grid_checks"]
        assert first["nominal_hz"] == 60.0 and not first["mains"]
        assert first["quiet_snr_db"] < grid.QUIET_MIN_SNR_DB < first["speech_snr_db"]
        assert second["nominal_hz"] == 50.0 and second["mains"]
        assert second["quiet_snr_db"] > 20


def test_speech_gated_60_hz_hum_alone_is_not_applicable_in_auto(rng):
    status, cues = run(hearing(rng, room50=False))
    assert not status.applicable and cues == []
    assert "no line behaves like mains hum" in status.reason
    assert "the 60 Hz line" in status.reason and "absent where nobody speaks" in status.reason
    assert "no edit" not in status.reason
    [check] = status.evidence["grid_checks"]
    assert check["nominal_hz"] == 60.0 and check["mains"] is False
    assert check["quiet_s"] >= grid.MIN_QUIET_FRAMES * 0.3
    # the same hum present all the time is a grid, and is followed
    n = SECONDS * SR
    steady = (voiced(n, SR) + room_noise(rng, n, -55)
              + walk(rng, n, nominal=60.0, amps=VOICE60)).astype(np.float32)
    status, _ = run(steady)
    assert status.applicable and status.evidence["nominal_hz"] == 60.0
    assert "grid_from" not in status.evidence  # the choice is unchanged: no new evidence


def test_a_fixed_60_hz_grid_on_a_50_hz_file_is_not_applicable(rng):
    x = hearing(rng, voice60=False)
    status, cues = run(x, ScanParams(grid="60", grid_from="session record"))
    assert not status.applicable and cues == []
    assert status.reason.startswith("no usable mains hum: the strongest line, ")
    assert "(the grid, 60 Hz, is given by session record)" in status.reason
    assert status.evidence["nominal_hz"] == 60.0
    assert status.evidence["grid_from"] == "session record"
    # measured, the same file's 50 Hz hum is followed
    status, _ = run(x)
    assert status.applicable and status.evidence["nominal_hz"] == 50.0


def test_tones_whose_harmonics_do_not_move_together_are_not_a_grid(rng):
    """A 50 Hz line and a 150 Hz line, each wandering on its own (two machines), present
    everywhere: the 150 Hz line is not the 50 Hz line's harmonic."""
    n = SECONDS * SR
    base = voiced(n, SR) + room_noise(rng, n, -55)
    one = walk(rng, n, nominal=50.0, amps={1: 0.003})
    other = walk(rng, n, nominal=150.0, amps={1: 0.0015}, pace=0.006)
    status, cues = run((base + one + other).astype(np.float32))
    assert not status.applicable and cues == []
    assert "harmonics that do not move with it" in status.reason
    [check] = status.evidence["grid_checks"]
    [pair] = check["harmonics"]
    assert pair["hz"] == 150.0 and pair["median_z"] > grid.HARMONIC_MAX_Z
    # one grid's harmonics at the same levels move in proportion: followed
    status, _ = run((base + walk(rng, n, nominal=50.0, amps={1: 0.003, 3: 0.0015}))
                    .astype(np.float32))
    assert status.applicable and status.evidence["nominal_hz"] == 50.0


def test_grid_params_are_validated():
    with pytest.raises(InputError, match="grid must be one of 50, 60, auto, got '55'"):
        ScanParams(grid="55")
    assert ScanParams().to_json()["grid"] == "auto"
    assert ScanParams().to_json()["grid_from"] == "default"


# ------------------------------------------------------------------------ precedence


def _session(**extra) -> Session:
    return Session.from_json({"schema": "auditor.session/1",
                              "start": "2026-03-02T10:00:00+05:00",
                              "end": "2026-03-02T12:00:00+05:00", **extra})


def test_precedence_option_then_session_then_policy_then_auto():
    kz, generic = load_policy("kz-2015"), load_policy("generic")
    s60, plain = _session(grid_hz=60), _session()
    option = make_params(None, {}, "auto")
    assert (option.grid, option.grid_from) == ("auto", "--grid")
    for params in (option, make_params(None, {}, "50")):
        assert grid_params(params, session=s60, policy=kz) == params
    none = make_params(None, {})
    got = grid_params(none, session=s60, policy=kz)
    assert (got.grid, got.grid_from) == ("60", "session record")
    got = grid_params(none, session=plain, policy=kz)
    assert (got.grid, got.grid_from) == ("50", "policy kz-2015")
    got = grid_params(none, session=plain, policy=generic)
    assert (got.grid, got.grid_from) == ("auto", "policy generic")
    assert grid_params(none) == none and (none.grid, none.grid_from) == ("auto", "default")
    # resolving again with the same sources changes nothing; a record still overrides a policy
    assert grid_params(grid_params(none, policy=kz), session=s60).grid == "60"


def test_the_policies_say_which_grid_and_why(tmp_path):
    kz = load_policy("kz-2015")
    assert kz.grid == "50" and "Kazakhstan" in kz.grid_text and "50 Hz" in kz.grid_text
    assert kz.to_json()["grid"]["nominal"] == 50
    assert load_policy("generic").grid == "auto"
    own = tmp_path / "court.json"
    own.write_text(json.dumps({"extends": "kz-2015", "name": "my-court"}))
    assert load_policy(own).grid == "50"
    data = load_policy("generic").to_json()
    del data["grid"]
    assert "grid" not in Policy.from_json(data).to_json()  # not written when not given
    for bad in (55, "50", True, {"hz": 50}):
        data["grid"] = {"nominal": bad} if not isinstance(bad, dict) else bad
        with pytest.raises(SessionError, match="grid"):
            Policy.from_json(data)


# ------------------------------------------------------------------------ session record


def test_session_grid_hz_is_read_and_written_only_when_present():
    assert _session(grid_hz=50).grid_hz == 50
    assert _session(grid_hz=60.0).grid_hz == 60
    assert _session(grid_hz=50).to_json()["grid_hz"] == 50
    assert "grid_hz" not in _session().to_json()
    s = _session(grid_hz=60)
    text = session_to_csv(s)
    assert text.splitlines()[0].endswith(",grid_hz") and ",60\n" in text
    assert session_from_csv(text).grid_hz == 60
    assert "grid_hz" not in session_to_csv(_session())


@pytest.mark.parametrize("bad", [55, "x", True, 50.5, [50]])
def test_a_bad_grid_hz_is_a_session_error_naming_the_field(bad):
    with pytest.raises(SessionError, match=r"grid_hz must be 50 or 60 \(the mains frequency"):
        _session(grid_hz=bad)


def test_a_bad_grid_hz_in_csv_names_the_row():
    text = ("event,start,end,grid_hz\n"
            "session,2026-03-02T10:00:00+05:00,2026-03-02T12:00:00+05:00,55\n")
    with pytest.raises(SessionError, match=r"grid_hz \(CSV row 2\) must be 50 or 60"):
        session_from_csv(text)


# ------------------------------------------------------------------------ command line


@pytest.fixture
def recorded(tmp_path, rng):
    """A 50 Hz hearing whose voices carry 60 Hz hum, and its session record."""
    write(tmp_path / "part1.wav", hearing(rng, n=60 * SR), SR)
    record = {"schema": "auditor.session/1", "start": "2026-03-02T10:00:00+05:00",
              "end": "2026-03-02T10:01:00+05:00",
              "recordings": [{"file": "part1.wav", "start": "2026-03-02T10:00:00+05:00"}]}
    (tmp_path / "session.json").write_text(json.dumps(record))
    return tmp_path


def _scan(*args: str) -> tuple[dict, dict]:
    r = CliRunner().invoke(cli, ["scan", *args, "--detectors", "splice", "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    rep = json.loads(r.output)
    return rep["tool"]["parameters"], rep["files"][0]["checks"]["splice"]["enf"]


def test_the_report_records_the_grid_and_where_it_came_from(recorded):
    wav, record = str(recorded / "part1.wav"), recorded / "session.json"
    params, enf_check = _scan(wav)
    assert (params["grid"], params["grid_from"]) == ("auto", "policy generic")
    assert enf_check["nominal_hz"] == 50.0 and enf_check["grid_from"] == "auto"
    params, enf_check = _scan(wav, "--policy", "kz-2015")
    assert (params["grid"], params["grid_from"]) == ("50", "policy kz-2015")
    assert enf_check["nominal_hz"] == 50.0 and enf_check["grid_from"] == "policy kz-2015"
    data = json.loads(record.read_text())
    record.write_text(json.dumps({**data, "grid_hz": 60}))
    params, enf_check = _scan("--session", str(record), "--policy", "kz-2015")
    assert (params["grid"], params["grid_from"]) == ("60", "session record")
    assert enf_check["grid_from"] == "session record" and enf_check["nominal_hz"] == 60.0
    params, enf_check = _scan("--session", str(record), "--grid", "50")
    assert (params["grid"], params["grid_from"]) == ("50", "--grid")
    assert enf_check["grid_from"] == "--grid" and enf_check["nominal_hz"] == 50.0


@pytest.mark.parametrize("bad", [55, "x"])
def test_a_bad_grid_hz_is_exit_2_naming_the_field(recorded, bad):
    record = recorded / "session.json"
    record.write_text(json.dumps({**json.loads(record.read_text()), "grid_hz": bad}))
    r = CliRunner().invoke(cli, ["scan", "--session", str(record)])
    assert r.exit_code == 2 and "grid_hz must be 50 or 60" in r.output
    assert "session.json" in r.output and "Traceback" not in r.output


def test_grid_option_is_offered_and_checked(recorded):
    for cmd in (["scan"], ["archive", "audit"]):
        r = CliRunner().invoke(cli, [*cmd, "--help"])
        assert "--grid [50|60|auto]" in r.output, r.output
    r = CliRunner().invoke(cli, ["scan", str(recorded / "part1.wav"), "--grid", "55"])
    assert r.exit_code == 2 and "'55' is not one of '50', '60', 'auto'" in r.output


def test_an_archive_scans_each_file_on_its_own_record_s_grid():
    from auditor.archive.audit import _fingerprint, _grids
    from auditor.archive.join import Declared
    from auditor.session import Recording

    s60, plain = _session(grid_hz=60), _session()
    declared = [Declared("a.wav", "a.json", s60, Recording("a.wav")),
                Declared("b.wav", "b.json", plain, Recording("b.wav"))]
    params = grid_params(make_params(None, {}), policy=load_policy("kz-2015"))
    grids = _grids(params, declared)
    assert list(grids) == ["a.wav"] and grids["a.wav"].grid == "60"
    assert grids["a.wav"].grid_from == "session record"
    # a record's grid is part of what a stored result depends on
    assert _fingerprint(params, grids) != _fingerprint(params)
    # --grid wins over every record
    assert _grids(make_params(None, {}, "50"), declared) == {}
