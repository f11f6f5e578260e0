"""Fetch the extra voices of the false-alarm benchmark from Debian and unpack them as WAVs.

The voices are not committed (their packages are large and some licences ask for attribution
that a spliced test file would have to carry): this script downloads the packages with
``apt-get download`` (no install, nothing system-wide), unpacks them with ``dpkg-deb -x`` under
``bench/out/voices/x/``, decodes every usable clip to 16-bit PCM WAV at its own rate under
``bench/out/voices/<voice>/`` and copies the package's copyright file beside them. It writes
``bench/out/voices/manifest.json`` (package, version, .deb SHA-256, licence, clips, seconds).

Usage::

    python bench/fetch_voices.py          # needs apt-get and dpkg-deb (Debian or Ubuntu)
    python bench/fetch_voices.py --force  # unpack and decode again

Run ``apt-get update`` first when ``apt-get download`` cannot find a package.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _voices import EXTRA, VOICES_DIR  # noqa: E402


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _deb(package: str, debs: Path) -> Path:
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True)
        found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        raise SystemExit(f"apt-get download {package} wrote no .deb into {debs}")
    return found[-1]


def _version(deb: Path) -> str:
    out = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def _decode(ffmpeg: str, src: Path, dst: Path, fmt: str | None) -> bool:
    """Decode one clip; False (and no file) when ffmpeg cannot read it."""
    args = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    if fmt:
        args += ["-f", fmt]
    tmp = dst.with_suffix(".tmp.wav")
    args += ["-i", "file:" + str(src), "-ac", "1", "-c:a", "pcm_s16le", str(tmp)]
    if subprocess.run(args, capture_output=True).returncode != 0:
        tmp.unlink(missing_ok=True)
        return False
    tmp.replace(dst)
    return True


def fetch(force: bool = False) -> dict[str, object]:
    """Download, unpack and decode every voice of :data:`_voices.EXTRA`; return the manifest."""
    import soundfile as sf

    from auditor.media import ffmpeg_exe

    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise SystemExit("apt-get and dpkg-deb are needed (a Debian or Ubuntu machine)")
    debs = VOICES_DIR / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    ffmpeg = ffmpeg_exe()
    manifest: dict[str, object] = {}
    for voice in EXTRA:
        deb = _deb(voice.package, debs)
        root = VOICES_DIR / "x" / voice.package
        if force or not root.is_dir():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        out = VOICES_DIR / voice.name
        if force:
            shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        sources = sorted(p for p in root.glob(voice.glob)
                         if p.is_file() and not any(w in p.name for w in voice.skip_words)
                         and not set(p.relative_to(root).parts) & set(voice.skip_dirs))
        seconds = 0.0
        kept = 0
        bad = []
        for i, src in enumerate(sources):
            dst = out / f"{i:04d}-{src.stem}.wav"
            if not dst.is_file() and not _decode(ffmpeg, src, dst, voice.input_format):
                bad.append(src.name)
                continue
            info = sf.info(dst)
            seconds += info.duration
            kept += 1
        doc = root / "usr" / "share" / "doc" / voice.package / "copyright"
        if doc.is_file():
            shutil.copyfile(doc, out / "COPYRIGHT")
        manifest[voice.name] = {"package": voice.package, "version": _version(deb),
                                "deb": deb.name, "deb_sha256": _sha256(deb),
                                "expected_sha256": voice.deb_sha256,
                                "licence": voice.licence, "attribution": voice.attribution,
                                "clips": kept, "seconds": round(seconds, 1),
                                "unreadable": bad}
        if voice.deb_sha256 and _sha256(deb) != voice.deb_sha256:
            print(f"warning: {deb.name} differs from the package the benchmark was made with "
                  f"({voice.deb_sha256[:12]}...): figures may not be comparable",
                  file=sys.stderr)
        print(f"{voice.name}: {kept} clips, {seconds:.0f} s from {deb.name}"
              + (f" ({len(bad)} unreadable, left out)" if bad else ""), flush=True)
    (VOICES_DIR / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--force", action="store_true", help="unpack and decode again")
    args = ap.parse_args(argv)
    fetch(args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
