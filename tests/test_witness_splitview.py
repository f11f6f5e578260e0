"""A split view caught: by `auditor ledger compare-checkpoints` (both signed notes as the
evidence) and by a witness that saw one view and is shown the other."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, NOW, OTHER_KEY, empty_recording, new_ledger, write_key
from conftest_witness import post, serving, witness_db

from auditor.cli import cli
from auditor.ledger.entries import Entry
from auditor.ledger.note import Checkpoint
from auditor.ledger.store import Ledger


def run(args: list[object]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def views(tmp_path: Path) -> tuple[Path, Path]:
    """One court key, two histories: what one party is shown, and what another is."""
    write_key(tmp_path / "court.key", KEY)
    shown = new_ledger(tmp_path / "shown.db")
    shown.append_at(empty_recording(), key=KEY, now=NOW)  # sizes 3, 5
    other = new_ledger(tmp_path / "other.db")
    ingest, seal = empty_recording()
    other.append_at([Entry("ingest", {**ingest.fields, "name": "other.wav"}), seal], key=KEY,
                    now=NOW)
    other.append_at(empty_recording()[:1], key=KEY, now=NOW)  # sizes 3, 5, 6
    for led, name in ((shown, "shown"), (other, "other")):
        for size, note in led.checkpoints():
            (tmp_path / f"{name}-{size}.txt").write_text(note, "utf-8")
        led.close()
    forged = Checkpoint("court.example/hearings", 5, shown_root(tmp_path)).sign(OTHER_KEY)
    (tmp_path / "forged.txt").write_text(forged, "utf-8")
    return tmp_path / "shown.db", tmp_path / "other.db"


def shown_root(tmp_path: Path) -> bytes:
    with Ledger.open(tmp_path / "shown.db") as led:
        return led.root(5)


def test_compare_checkpoints(tmp_path: Path, views: tuple[Path, Path]) -> None:
    shown, other = views
    pub = ["--trusted-key", tmp_path / "court.key.pub"]
    cmp = ["ledger", "compare-checkpoints"]
    # one size, two roots: caught with no more input, both notes shown
    other_five = (tmp_path / "other-5.txt").read_text("utf-8")
    code, out = run([*cmp, tmp_path / "shown-5.txt", tmp_path / "other-5.txt", *pub])
    assert code == 1 and "SPLIT VIEW: court.example/hearings: two different roots at size 5" in out
    shown_note = (tmp_path / "shown-5.txt").read_text("utf-8").rstrip("\n")
    assert shown_note in out and other_five.rstrip("\n") in out
    # ordered sizes that no consistency proof joins (the proof made from the shown ledger)
    code, out = run([*cmp, tmp_path / "other-6.txt", tmp_path / "shown-3.txt", *pub,
                     "--ledger", other, "--format", "json"])
    assert code == 0 and json.loads(out)["split_view"] is False  # 6 does extend 3
    code, out = run([*cmp, tmp_path / "shown-5.txt", tmp_path / "other-6.txt", *pub,
                     "--ledger", shown])
    assert code == 2 and "holds 5 entries, fewer than 6" in out
    code, out = run([*cmp, tmp_path / "other-6.txt", tmp_path / "shown-5.txt", *pub,
                     "--ledger", other, "--format", "json"])
    assert code == 1
    result = json.loads(out)
    assert result["split_view"] and not result["consistent"]
    assert "size 6 does not extend size 5" in result["reason"]
    assert [c["note"] for c in result["checkpoints"]] == [
        (tmp_path / f"{n}.txt").read_text("utf-8") for n in ("shown-5", "other-6")]
    # the court's own proof from its shown log does not join the other view either
    code, out = run(["ledger", "prove", shown, "--from-size", "3", "--size", "5",
                     "-o", tmp_path / "proof.json"])
    assert code == 0, out
    code, out = run([*cmp, tmp_path / "shown-3.txt", tmp_path / "shown-5.txt", *pub,
                     "--proof", tmp_path / "proof.json"])
    assert code == 0 and "size 5 extends size 3" in out
    # the shown log's proof 3 -> 5 does not fit the other view's 5, yet that view does extend
    # 3 (both histories share their first 3 entries): not shown consistent, NOT a split view
    code, out = run([*cmp, tmp_path / "shown-3.txt", tmp_path / "other-5.txt", *pub,
                     "--proof", tmp_path / "proof.json", "--format", "json"])
    assert code == 1
    result = json.loads(out)
    assert result["split_view"] is False and result["consistent"] is False
    assert "does not join size 3 to size 5" in result["reason"]
    code, out = run([*cmp, tmp_path / "shown-3.txt", tmp_path / "other-5.txt", *pub,
                     "--proof", tmp_path / "proof.json"])
    assert out.startswith("NOT SHOWN CONSISTENT: ") and "SPLIT VIEW" not in out
    code, out = run([*cmp, tmp_path / "shown-3.txt", tmp_path / "other-5.txt", *pub,
                     "--ledger", other])
    assert code == 0 and "size 5 extends size 3" in out, out
    # a copy of another history cannot decide: exit 2, said why
    code, out = run([*cmp, tmp_path / "shown-3.txt", tmp_path / "other-5.txt", *pub,
                     "--ledger", shown])
    assert code == 2 and "it is another history" in out, out
    # different sizes without a proof, and a note not signed by the trusted key: exit 2
    code, out = run([*cmp, tmp_path / "shown-3.txt", tmp_path / "other-6.txt", *pub])
    assert code == 2 and "only a consistency proof can say" in out
    code, out = run([*cmp, tmp_path / "forged.txt", tmp_path / "shown-5.txt", *pub])
    assert code == 2 and "forged.txt: not a checkpoint signed by court.example/hearings" in out


def test_a_witness_that_saw_one_view_refuses_the_other(tmp_path: Path,
                                                       views: tuple[Path, Path]) -> None:
    db, _ = witness_db(tmp_path / "w.db")
    with serving(db) as server:
        shown = (tmp_path / "shown-5.txt").read_text("utf-8")
        assert post(server, f"old 0\n\n{shown}".encode())[0] == 200
        other_six = (tmp_path / "other-6.txt").read_text("utf-8")
        with Ledger.open(views[1]) as led:
            proof = [base64.b64encode(h).decode() for h in led.consistency_proof(5, 6)]
        status, _, text = post(server, ("old 5\n" + "\n".join(proof) + "\n\n" + other_six).encode())
    assert status == 422 and "not consistent with the checkpoint of size 5" in text
    (refused,) = db.refused("court.example/hearings")
    assert refused[3] == other_six  # the other view, signed by the court, kept as evidence
