"""compare on real encodes (the imageio-ffmpeg wheel's encoders) of real speech: a cut, an
insertion and a mute are found where they are; unedited copies give no finding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import CORPUS, corpus_prompts

from auditor.compare import compare_fingerprints, fingerprint_copy, fingerprint_reference
from auditor.media import transcode

SR = 16000
pytestmark = pytest.mark.skipif(not (CORPUS / "speech" / "asterisk-en").is_dir(),
                                reason="needs ../shared/corpus/speech/asterisk-en (real speech)")


def _hearing(seconds: float, start: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    speech = corpus_prompts(seconds, SR, start=start) * np.float32(0.7)
    noise = rng.normal(0, 10 ** (-50 / 20), (speech.size, 2)).astype(np.float32)
    return speech[:, None] * np.float32([1.0, 0.8]) + noise


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("compare")
    ref = _hearing(150, 0, 1)
    other = _hearing(20, 150, 2)
    ref_path = out / "reference.wav"
    sf.write(ref_path, ref, SR, subtype="PCM_16")
    s = lambda t: int(round(t * SR))  # noqa: E731
    edited = {
        "cut": np.concatenate([ref[: s(60)], ref[s(64) :]]),
        "insert": np.concatenate([ref[: s(60)], other[s(3) : s(8)], ref[s(60) :]]),
        "mute": np.concatenate([ref[: s(90)], np.zeros((s(2), 2), np.float32), ref[s(92) :]]),
    }
    paths = {"reference": ref_path}
    for name, x in edited.items():
        sf.write(out / f"{name}.wav", x, SR, subtype="PCM_16")
        paths[name] = out / f"{name}.wav"
    return {"dir": out, "paths": paths, "reference": fingerprint_reference([ref_path])}


def _encode(src: Path, dst: Path, **options: object) -> Path:
    import imageio_ffmpeg

    return transcode(src, dst, options=options, exe=imageio_ffmpeg.get_ffmpeg_exe())


def _compare(media, name: str, ext: str = "mp3", **options: object):
    options = options or {"acodec": "libmp3lame", "audio_bitrate": "32k"}
    copy = _encode(media["paths"][name], media["dir"] / f"{name}-{len(options)}.{ext}",
                   **options)
    return compare_fingerprints(media["reference"], fingerprint_copy([copy]))


def test_cut_is_found_with_both_timelines(media):
    result = _compare(media, "cut")
    [edit] = result.edits
    assert edit.kind == "missing_in_copy"
    assert edit.copy_start == pytest.approx(60.0, abs=0.5)
    assert edit.ref_start == pytest.approx(60.0, abs=0.5)
    assert edit.ref_end == pytest.approx(64.0, abs=0.5)
    assert edit.ref_end - edit.ref_start == pytest.approx(4.0, abs=0.15)
    assert result.coverage == pytest.approx(146 / 150, abs=0.01)


def test_insertion_from_another_hearing_is_found(media):
    result = _compare(media, "insert", "m4a", acodec="aac", audio_bitrate="32k")
    [edit] = result.edits
    assert edit.kind == "inserted_in_copy"
    assert edit.copy_start == pytest.approx(60.0, abs=0.5)
    assert edit.copy_end == pytest.approx(65.0, abs=0.5)
    assert edit.copy_end - edit.copy_start == pytest.approx(5.0, abs=0.15)
    assert edit.ref_start == pytest.approx(60.0, abs=0.5)


def test_mute_is_found_as_altered(media):
    result = _compare(media, "mute", "ogg", acodec="libopus", audio_bitrate="24k")
    [edit] = result.edits
    assert edit.kind == "altered_in_copy"
    assert edit.copy_start == pytest.approx(90.0, abs=0.5)
    assert edit.copy_end == pytest.approx(92.0, abs=0.5)
    assert edit.ref_start == pytest.approx(90.0, abs=0.5)


@pytest.mark.parametrize("options", [
    {"acodec": "libmp3lame", "audio_bitrate": "32k"},
    {"acodec": "libmp3lame", "audio_bitrate": "24k", "ar": 8000, "ac": 1},
])
def test_unedited_copy_trimmed_normalised_downmixed_resampled_has_no_finding(media, options):
    src = media["paths"]["reference"]
    dst = media["dir"] / f"processed-{options['audio_bitrate']}.mp3"
    import imageio_ffmpeg

    from auditor.media._ffmpeg import _run_ffmpeg

    args = ["-nostdin", "-y", "-loglevel", "error", "-ss", "0.3", "-i", str(src), "-t", "149.5",
            "-af", "loudnorm=I=-16,aresample=22050" if "ar" not in options else "loudnorm",
            "-ac", str(options.get("ac", 1)), "-ar", str(options.get("ar", 22050)),
            "-c:a", "libmp3lame", "-b:a", str(options["audio_bitrate"]), str(dst)]
    _run_ffmpeg(args, str(src), exe=imageio_ffmpeg.get_ffmpeg_exe())
    result = compare_fingerprints(media["reference"], fingerprint_copy([dst]))
    assert result.edits == []
    assert result.offset == pytest.approx(0.3, abs=0.01)
    assert result.coverage > 0.99
    assert result.speed_ratio == pytest.approx(1.0, abs=1e-4)


def test_copy_in_two_files_is_one_copy(media):
    ref = media["paths"]["reference"]
    x, _ = sf.read(ref, dtype="float32")
    parts = []
    for i, (a, b) in enumerate(((0, 70 * SR), (70 * SR, x.shape[0]))):
        sf.write(media["dir"] / f"part{i}.wav", x[a:b], SR, subtype="PCM_16")
        parts.append(_encode(media["dir"] / f"part{i}.wav", media["dir"] / f"part{i}.mp3",
                             acodec="libmp3lame", audio_bitrate="64k"))
    result = compare_fingerprints(media["reference"], fingerprint_copy(parts))
    assert result.edits == []
    assert result.coverage > 0.99
    # and the reverse: a reference in two files, the copy in one
    whole = _encode(ref, media["dir"] / "whole.mp3", acodec="libmp3lame", audio_bitrate="64k")
    split_ref = fingerprint_reference([media["dir"] / "part0.wav", media["dir"] / "part1.wav"])
    assert compare_fingerprints(split_ref, fingerprint_copy([whole])).edits == []


def test_a_late_and_incomplete_copy_misses_both_ends(media):
    ref = media["paths"]["reference"]
    x, _ = sf.read(ref, dtype="float32")
    src = media["dir"] / "partial.wav"
    sf.write(src, x[20 * SR : 135 * SR], SR, subtype="PCM_16")
    copy = _encode(src, media["dir"] / "partial.mp3", acodec="libmp3lame", audio_bitrate="32k")
    result = compare_fingerprints(media["reference"], fingerprint_copy([copy]))
    first, last = result.edits
    assert first.kind == last.kind == "missing_in_copy"
    assert first.copy_start == pytest.approx(0.0, abs=0.5)
    assert (first.ref_start, first.ref_end) == (pytest.approx(0.0, abs=0.5),
                                                pytest.approx(20.0, abs=0.15))
    assert last.copy_start == pytest.approx(115.0, abs=0.5)
    assert (last.ref_start, last.ref_end) == (pytest.approx(135.0, abs=0.15),
                                              pytest.approx(150.0, abs=0.5))
    assert result.offset == pytest.approx(20.0, abs=0.01)
    assert result.coverage == pytest.approx(115 / 150, abs=0.01)
