"""media.py: probe facts, streaming decode, packet timestamps, confinement of ffmpeg."""

from datetime import UTC, datetime

import numpy as np
import pytest
from conftest import speechlike, write

from auditor.errors import MediaError
from auditor.media import Decoder, decode_blocks, file_sha256, packet_times, probe, transcode
from auditor.riff import add_bext

SR = 16000


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    rng = np.random.default_rng(7)
    d = tmp_path_factory.mktemp("media")
    return write(d / "src.wav", speechlike(rng, 12 * SR, SR), SR)


FORMATS = [  # suffix, ffmpeg options, expected codec, backend
    (".flac", {}, "flac", "soundfile"),
    (".ogg", {"acodec": "libvorbis"}, "vorbis", "soundfile"),
    (".opus", {"acodec": "libopus", "ar": 48000}, "opus", None),
    (".mp3", {"acodec": "libmp3lame", "audio_bitrate": "64k"}, "mp3", "ffmpeg"),
    (".m4a", {"acodec": "aac"}, "aac", "ffmpeg"),
    (".wma", {"acodec": "wmav2"}, "wmav2", "ffmpeg"),
    (".mkv", {"acodec": "aac"}, "aac", "ffmpeg"),
    (".ts", {"acodec": "aac"}, "aac", "ffmpeg"),
    (".avi", {"acodec": "libmp3lame"}, "mp3", "ffmpeg"),
    (".mov", {"acodec": "aac"}, "aac", "ffmpeg"),
]


@pytest.mark.parametrize("suffix,opts,codec,backend", FORMATS)
def test_every_format_probes_and_decodes(tmp_path, source, suffix, opts, codec, backend):
    out = transcode(source, tmp_path / f"a{suffix}", options=opts)
    info = probe(out)
    assert info.codec == codec
    if backend:
        assert info.backend == backend
    assert info.channels == 1
    assert info.duration == pytest.approx(12.0, abs=0.2)
    blocks = list(decode_blocks(out, block_frames=4000, info=info))
    assert all(b.dtype == np.float32 and b.shape[1] == 1 for b in blocks)
    assert all(b.shape[0] == 4000 for b in blocks[:-1])
    total = sum(b.shape[0] for b in blocks) / info.sample_rate
    assert total == pytest.approx(12.0, abs=0.2)


def test_soundfile_and_ffmpeg_decode_the_same_wav(source):
    info = probe(source)
    a = np.concatenate(list(Decoder(info, block_frames=5000)))
    from dataclasses import replace

    b = np.concatenate(list(Decoder(replace(info, backend="ffmpeg"), block_frames=3000)))
    assert a.shape == b.shape and np.array_equal(a, b)


def test_stereo_channels_are_kept(tmp_path):
    x = np.zeros((SR, 2), np.float32)
    x[:, 0] = 0.5
    path = write(tmp_path / "st.wav", x, SR)
    [block] = list(decode_blocks(path, block_frames=2 * SR))
    assert block.shape == (SR, 2) and block[:, 0].min() > 0.49 and block[:, 1].max() == 0.0


def test_bwf_origination_is_read(tmp_path, source):
    wav = add_bext(source.read_bytes(), origination=datetime(2026, 3, 2, 10, 0, 4))
    path = tmp_path / "bwf.wav"
    path.write_bytes(wav)
    info = probe(path)
    assert info.embedded_start == datetime(2026, 3, 2, 10, 0, 4)
    assert info.embedded_start.tzinfo is None  # BWF carries local time, no offset
    assert info.duration == pytest.approx(12.0)


def test_mp4_creation_time_is_read(tmp_path, source):
    out = transcode(source, tmp_path / "c.m4a",
                    options={"acodec": "aac", "metadata": "creation_time=2026-03-02T05:00:04Z"})
    assert probe(out).embedded_start == datetime(2026, 3, 2, 5, 0, 4, tzinfo=UTC)


def test_packet_times_are_contiguous_for_a_clean_file(tmp_path, source, monkeypatch):
    monkeypatch.setenv("AUDITOR_FFPROBE", "none")
    out = transcode(source, tmp_path / "p.mkv", options={"acodec": "aac"})
    pk = packet_times(probe(out), "a")
    assert pk is not None and pk.pts.size > 100
    step = np.diff(np.sort(pk.pts))
    assert np.allclose(step, 1024 / SR, atol=2e-3)


def test_ffprobe_and_framecrc_give_the_same_packets(tmp_path, source, monkeypatch):
    import shutil

    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe is not installed (the ffmpeg-only path is tested everywhere)")
    info = probe(transcode(source, tmp_path / "p.mkv", options={"acodec": "aac"}))
    monkeypatch.setenv("AUDITOR_FFPROBE", "none")
    a = packet_times(info, "a")
    monkeypatch.delenv("AUDITOR_FFPROBE")
    b = packet_times(info, "a")
    assert a is not None and b is not None
    assert np.allclose(a.pts, b.pts, atol=1e-6) and np.allclose(a.duration, b.duration, atol=1e-6)


def test_packet_times_absent_for_pcm_wav(source):
    assert packet_times(probe(source), "a") is None


def test_sha256_matches_hashlib(source):
    import hashlib

    assert file_sha256(source) == hashlib.sha256(source.read_bytes()).hexdigest()


def test_hls_playlist_disguised_as_wav_is_refused(tmp_path, source):
    # a playlist would make ffmpeg open other files; the demuxer whitelist refuses it
    secret = tmp_path / "secret.ts"
    transcode(source, secret, options={"acodec": "aac"})
    hostile = tmp_path / "evil.wav"
    hostile.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:12\n#EXTINF:12,\n{secret}\n"
                       "#EXT-X-ENDLIST\n")
    with pytest.raises(MediaError, match="evil.wav"):
        probe(hostile)


def test_concat_list_and_network_urls_are_refused(tmp_path, source):
    lst = tmp_path / "list.mp3"
    lst.write_text(f"ffconcat version 1.0\nfile '{source}'\n")
    with pytest.raises(MediaError):
        probe(lst)
    url = tmp_path / "http:"
    url.mkdir()
    with pytest.raises(MediaError, match="directory"):
        probe(url)


def test_name_with_spaces_unicode_and_leading_dash(tmp_path, source):
    for name in ("заседание 2 — судья.wav", "-i.wav", "a b;rm -rf.wav"):
        p = tmp_path / name
        p.write_bytes(source.read_bytes())
        assert probe(p).duration == pytest.approx(12.0)
        m4a = transcode(p, tmp_path / (name + ".m4a"), options={"acodec": "aac"})
        assert probe(m4a).codec == "aac"


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT", "PCM_U8"])
def test_fast_integer_read_equals_libsndfile_and_ffmpeg(tmp_path, subtype):
    from dataclasses import replace

    import soundfile as sf

    x = np.random.default_rng(3).uniform(-1, 1, (20000, 2)).astype(np.float32)
    path = tmp_path / "q.wav"
    sf.write(path, x, SR, subtype=subtype)
    info = probe(path)
    ours = np.concatenate(list(Decoder(info, block_frames=7000)))
    libsndfile = sf.read(path, dtype="float32", always_2d=True)[0]
    ffmpeg = np.concatenate(list(Decoder(replace(info, backend="ffmpeg"), block_frames=7000)))
    assert np.array_equal(ours, libsndfile) and np.array_equal(ours, ffmpeg)


def test_decoder_resamples_and_mixes_down_when_asked(tmp_path):
    rate, n = 44100, 44100 * 3
    t = np.arange(n) / rate
    tone = 0.4 * np.sin(2 * np.pi * 440.0 * t)
    path = write(tmp_path / "st.wav", np.stack([tone, tone], axis=1), rate)
    out = np.concatenate(list(Decoder(probe(path), block_frames=4000, rate=8000, channels=1)))
    assert out.shape[1] == 1 and abs(out.shape[0] - 24000) <= 1
    spec = np.abs(np.fft.rfft(out[4000:20000, 0]))
    assert abs(np.argmax(spec) * 8000 / 16000 - 440.0) <= 0.5  # the tone, at the new rate
    # ffmpeg's downmix keeps the power: each channel at 1/sqrt(2)
    assert np.max(np.abs(out[4000:20000, 0])) == pytest.approx(0.4 * np.sqrt(2), rel=0.02)
    with pytest.raises(ValueError, match="f32le only"):
        Decoder(probe(path), block_frames=4000, rate=8000, pcm="s16le")


def test_ffprobe_packet_rows_read_at_once_or_one_by_one_alike():
    from auditor.media.packets import _each, _whole

    plain = [{"pts": 1024 * i, "dts": 1024 * i, "duration": 1024} for i in range(-1, 50)]
    plain[0]["side_data_list"] = [{}]
    whole, each = _whole(plain), _each(plain)
    assert whole is not None and each is not None
    assert all(np.array_equal(a, b) for a, b in zip(whole, each, strict=True))
    # a packet without pts (AVI's B-frames), one without a duration (Matroska), one not an
    # object: read one by one, as before
    odd = [*plain[:3], {"dts": 9000, "duration": 1024}, {"pts": 10000}, "junk", {"size": 3}]
    assert _whole(odd) is None
    pts, dur = _each(odd)
    assert pts.tolist() == [-1024, 0, 1024, 9000, 10000]
    assert dur.tolist() == [1024, 1024, 1024, 1024, -1]
