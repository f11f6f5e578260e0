"""Fetch the material of the independent check: voices, mains references and real tampered pairs
that no calibration, tuning or test of the splice benchmark ever used.

Debian packages (``apt-get download``, never installed; each package's copyright file is copied
beside its decoded clips, as ``fetch_voices.py`` does):

* ``asterisk-core-sounds-fr-g722``: June Wallack (fr-CA, 16 kHz G.722), CC BY-SA 3.0 -> ``june``;
* ``asterisk-core-sounds-ru-g722``: ru_RU_f_IvrvoiceRU (provided by Maxim Topal), CC BY 3.0
  -> ``ivrvoice-ru``;
* ``asterisk-core-sounds-es-g722``: es_MX_f_Allison, **Allison Smith**, the calibration
  split's voice ``allison`` in another language: fetched and recorded, not used as a new voice;
* ``pocketsphinx-testdata``: ``librivox/*.wav`` (one LibriVox reader) -> ``librivox`` and
  ``cards/*.wav`` -> ``sphinx-cards``, BSD-2 (Carnegie Mellon University).

GitHub repositories, read from bare clones the caller names (``git clone --bare URL DIR``), at a
pinned commit; every file's git blob id is checked against that commit's tree, and the list of
(path, blob id) against a digest fixed here:

* ``Jakobovski/free-spoken-digit-dataset`` ``recordings/*_theo_*.wav``, ``*_yweweler_*.wav``
  (CC BY-SA 4.0) -> voices ``theo`` and ``yweweler``;
* ``ghua-ac/ENF-WHU-Dataset`` ``ENF-WHU-Dataset/H1_ref/041_ref.wav``-``130_ref.wav`` (MIT,
  Copyright (c) 2023 HUA GUANG) -> ``bench/out/independent/enf-50hz/``;
* ``deerajnagothu/pyenf_extraction`` ``attack recordings/`` (MIT, Copyright (c) 2018 Deeraj
  Nagothu; deleted upstream in 2021, taken from commit de4b68a) ->
  ``bench/out/independent/pyenf/``: three original/attacked pairs of 44.1 kHz room recordings.

A source that cannot be had is reported and skipped; the rest is fetched. Writes
``bench/out/independent/manifest.json`` (per source: where from, licence, attribution, hashes,
files, seconds; per mains reference: the glitches ``_voices.glitches`` finds).

Usage::

    git clone --bare https://github.com/Jakobovski/free-spoken-digit-dataset fsdd.git
    git clone --bare https://github.com/ghua-ac/ENF-WHU-Dataset enf-whu.git
    git clone --bare https://github.com/deerajnagothu/pyenf_extraction pyenf.git
    python bench/fetch_independent.py --fsdd fsdd.git --enf-whu enf-whu.git --pyenf pyenf.git
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _voices as vo  # noqa: E402
from fetch_voices import _deb, _decode, _sha256, _version  # noqa: E402

_AST = "usr/share/asterisk/sounds"
_SPHINX = "usr/share/pocketsphinx/test/data"
#: (voice, package, glob in the unpacked package, ffmpeg demuxer, licence, attribution); voice
#: None: fetched and recorded, not a voice of the split
DEBIAN = (
    ("june", "asterisk-core-sounds-fr-g722", f"{_AST}/fr_CA_f_June/**/*.g722", "g722",
     "CC BY-SA 3.0", "Copyright 2006-2008 June Wallack (http://www.junewallack.com); "
     "asterisk-core-sounds 1.6.1, Debian asterisk-core-sounds-fr-g722 1.6.1-1"),
    ("ivrvoice-ru", "asterisk-core-sounds-ru-g722", f"{_AST}/ru_RU_f_IvrvoiceRU/**/*.g722",
     "g722", "CC BY 3.0", "Copyright 2010 Maxim (provided by Maxim Topal); "
     "asterisk-core-sounds 1.6.1, Debian asterisk-core-sounds-ru-g722 1.6.1-1"),
    (None, "asterisk-core-sounds-es-g722", f"{_AST}/es_MX_f_Allison/**/*.g722", "g722",
     "CC BY-SA 3.0", "Copyright 2003-2010 Allison Smith (http://www.theivrvoice.com); "
     "Debian asterisk-core-sounds-es-g722 1.6.1-1 (the calibration split's voice)"),
    ("librivox", "pocketsphinx-testdata", f"{_SPHINX}/librivox/*.wav", None, "BSD-2",
     "Copyright 1995-2014 Carnegie Mellon University, 2014-2015 Alpha Cephei Inc.; "
     "Debian pocketsphinx-testdata 0.8+5prealpha+1-15 (LibriVox, Sense and Sensibility ch. 1)"),
    ("sphinx-cards", "pocketsphinx-testdata", f"{_SPHINX}/cards/*.wav", None, "BSD-2",
     "Copyright 1995-2014 Carnegie Mellon University, 2014-2015 Alpha Cephei Inc.; "
     "Debian pocketsphinx-testdata 0.8+5prealpha+1-15"),
)
#: the .debs the independent check was made with (bookworm)
DEB_SHA256 = {
    "asterisk-core-sounds-fr-g722":
        "7add61d5e42279ecff1bbdf842a5a946ac3644fac9a0fe44384731aa7270c8e0",  # 1.6.1-1
    "asterisk-core-sounds-ru-g722":
        "673b4238a6b8269960f055d868c6a11083f7a0d00979167cb01554046b48ed9b",  # 1.6.1-1
    "asterisk-core-sounds-es-g722":
        "e4e3b4281057d3b81b779298fd6be705f57411513955c518eed1bcaabbd615b8",  # 1.6.1-1
    "pocketsphinx-testdata":
        "eaeb7a01d54f20b799d1a81ef110ec544b2cb47ea006614078220737a33019f0",  # 0.8+5prealpha+1-15
}


@dataclass(frozen=True)
class GitSource:
    """Files of a GitHub repository at a pinned commit; ``digest``: SHA-256 of the sorted
    ``path blob\\n`` lines of the selected files."""

    option: str
    repo: str
    commit: str
    paths: tuple[str, ...]  # fnmatch patterns (git ls-tree paths)
    licence: str
    attribution: str
    digest: str


GIT = (
    GitSource("fsdd", "Jakobovski/free-spoken-digit-dataset",
              "26eb9aaf76e81b692f806f9140c2d2777410d7a1",
              ("recordings/*_theo_*.wav", "recordings/*_yweweler_*.wav"), "CC BY-SA 4.0",
              '"Free Spoken Digit Dataset (FSDD)" by Zohar Jackson and the FSDD contributors '
              "(speakers theo and yweweler), https://github.com/Jakobovski/"
              "free-spoken-digit-dataset, CC BY-SA 4.0, unmodified",
              "c65eb38a6ab5e6b7889816f85d1bdc05058294b4958c35dcac99cb365eefd01f"),
    GitSource("enf-whu", "ghua-ac/ENF-WHU-Dataset", "78ed7f3784949f769f291fc1cb94acd10da6322f",
              tuple(f"ENF-WHU-Dataset/H1_ref/{i:03d}_ref.wav" for i in range(41, 131)),
              "MIT", "Copyright (c) 2023 HUA GUANG; ENF-WHU dataset (Hua, Liao, Wang, Zhang & "
              "Ye, IEEE TIFS 16, 2021)",
              "02361c4357d9acbb43573f87b151c5efba040678086b758f76cf96d2e1031098"),
    GitSource("pyenf", "deerajnagothu/pyenf_extraction",
              "de4b68aee69d7f9151852378ba8c6b55f8d10061", ("attack recordings/*.wav",),
              "MIT", "Copyright (c) 2018 Deeraj Nagothu; pyenf_extraction",
              "9c1512218c7d55c02326b4c480d70334c3a015e8cebd0a73b361faa0f31dba39"),
)


def _git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(gitdir), *args], check=True,
                          capture_output=True).stdout


def blob_id(data: bytes) -> str:
    """Git's object id of a blob (SHA-1 of ``blob <size>\\0`` and the bytes)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def listing_digest(rows: list[tuple[str, str]]) -> str:
    return hashlib.sha256("".join(f"{p} {b}\n" for p, b in sorted(rows)).encode()).hexdigest()


def fetch_git(src: GitSource, gitdir: Path | None, dest: Path | None = None
              ) -> dict[str, object]:
    """Copy a source's files out of a bare clone into ``dest`` (default: where the benchmark
    reads them), each checked against the pinned tree."""
    from fnmatch import fnmatchcase

    where = {"repository": f"https://github.com/{src.repo}", "commit": src.commit,
             "paths": list(src.paths) if len(src.paths) < 5 else
             [src.paths[0], "...", src.paths[-1]], "licence": src.licence,
             "attribution": src.attribution}
    if gitdir is None or not gitdir.exists():
        return {**where, "status": f"not fetched: no clone given (--{src.option})"}
    try:
        tree = _git(gitdir, "ls-tree", "-r", src.commit).decode()
    except subprocess.CalledProcessError as e:
        return {**where, "status": f"not fetched: {gitdir} lacks commit {src.commit[:12]}: "
                                   f"{e.stderr.decode().strip()}"}
    rows = []
    for line in tree.splitlines():
        meta, path = line.split("\t", 1)
        if any(fnmatchcase(path, p) for p in src.paths):
            rows.append((path, meta.split()[2]))
    dest = dest or {"fsdd": vo.VOICES_DIR, "enf-whu": vo.INDEPENDENT_DIR / "enf-50hz",
            "pyenf": vo.INDEPENDENT_DIR / "pyenf"}[src.option]
    files: dict[str, str] = {}
    bad = []
    for path, blob in sorted(rows):
        name = Path(path).name
        if src.option == "fsdd":
            speaker = name.split("_")[1]
            out = dest / speaker / name
        else:
            out = dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            data = _git(gitdir, "cat-file", "blob", blob)
        except subprocess.CalledProcessError:
            bad.append(f"{path}: blob {blob[:12]} missing from the clone")
            continue
        if blob_id(data) != blob:
            bad.append(f"{path}: content does not match blob {blob[:12]}")
            continue
        out.write_bytes(data)
        files[name] = hashlib.sha256(data).hexdigest()
    digest = listing_digest(rows)
    status = "ok" if not bad else f"{len(bad)} files not fetched"
    if src.digest and digest != src.digest:
        status = f"listing differs from the one the check was made with ({src.digest[:12]}...)"
    return {**where, "status": status, "listing_sha256": digest, "files": len(files),
            "sha256": files, "problems": bad}


def fetch_debian(force: bool) -> dict[str, object]:
    """Download, unpack and decode the held-out Debian packages."""
    import soundfile as sf

    from auditor.media import ffmpeg_exe

    out: dict[str, object] = {}
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return {"status": "not fetched: apt-get and dpkg-deb are needed (Debian or Ubuntu)"}
    debs = vo.INDEPENDENT_DIR / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    ffmpeg = ffmpeg_exe()
    for voice, package, pattern, fmt, licence, attribution in DEBIAN:
        try:
            deb = _deb(package, debs)
        except (subprocess.CalledProcessError, SystemExit) as e:
            out[package] = {"status": f"not fetched: {e}"}
            print(f"{package}: not fetched ({e})", file=sys.stderr)
            continue
        root = vo.INDEPENDENT_DIR / "x" / package
        if force or not root.is_dir():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        rec: dict[str, object] = {"package": package, "version": _version(deb),
                                  "deb": deb.name, "deb_sha256": _sha256(deb),
                                  "expected_sha256": DEB_SHA256.get(package, ""),
                                  "licence": licence, "attribution": attribution,
                                  "voice": voice}
        if DEB_SHA256.get(package) and rec["deb_sha256"] != DEB_SHA256[package]:
            print(f"warning: {deb.name} differs from the package the check was made with",
                  file=sys.stderr)
        if voice is not None:
            dst = vo.VOICES_DIR / voice
            if force:
                shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir(parents=True, exist_ok=True)
            sources = sorted(p for p in root.glob(pattern) if p.is_file()
                             and not any(w in p.name for w in ("beep", "tone"))
                             and "silence" not in p.relative_to(root).parts)
            seconds, kept, bad = 0.0, 0, []
            for i, src in enumerate(sources):
                wav = dst / f"{i:04d}-{src.stem}.wav"
                if not wav.is_file() and not _decode(ffmpeg, src, wav, fmt):
                    bad.append(src.name)
                    continue
                seconds += sf.info(wav).duration
                kept += 1
            doc = root / "usr" / "share" / "doc" / package / "copyright"
            if doc.is_file():
                shutil.copyfile(doc, dst / "COPYRIGHT")
            rec.update(clips=kept, seconds=round(seconds, 1), unreadable=bad)
            print(f"{voice}: {kept} clips, {seconds:.0f} s from {deb.name}", flush=True)
        out[package + (f":{voice}" if voice else "")] = rec
    return out


def check_references() -> dict[str, object]:
    """Every independent mains reference: duration and the glitches ``_voices.glitches``
    finds (spans no hearing's hum may use)."""
    out: dict[str, object] = {}
    for ref in vo.references("independent"):
        if not vo.ref_path(ref.rel).is_file():
            continue
        _, _, seconds = vo.reference_phase(ref.rel)
        spans = vo.glitches(ref.rel)
        out[ref.rel] = {"nominal": ref.nominal, "source_nominal": ref.source_nominal,
                        "seconds": round(seconds, 1),
                        "glitches": [[round(a, 1), round(b, 1)] for a, b in spans]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    for src in GIT:
        ap.add_argument(f"--{src.option}", type=Path, default=None,
                        help=f"bare clone of https://github.com/{src.repo}")
    ap.add_argument("--no-debian", action="store_true", help="skip the Debian packages")
    ap.add_argument("--force", action="store_true", help="unpack and decode again")
    args = ap.parse_args(argv)
    manifest: dict[str, object] = {}
    if not args.no_debian:
        manifest["debian"] = fetch_debian(args.force)
    for src in GIT:
        rec = fetch_git(src, getattr(args, src.option.replace("-", "_")))
        manifest[src.repo] = rec
        print(f"{src.repo}: {rec['status']}" + (f", {rec['files']} files" if "files" in rec
                                                 else ""), flush=True)
    manifest["references"] = check_references()
    glitchy = {k: v["glitches"] for k, v in manifest["references"].items()  # type: ignore[union-attr]
               if v["glitches"]}
    print(f"{len(manifest['references'])} independent mains references, "  # type: ignore[arg-type]
          f"{len(glitchy)} with glitches: {glitchy}")
    vo.INDEPENDENT_DIR.mkdir(parents=True, exist_ok=True)
    (vo.INDEPENDENT_DIR / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
