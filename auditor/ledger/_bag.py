"""BagIt (RFC 8493) folders and zips: write them, and read them back distrustfully.

A bag is ``bagit.txt``, ``bag-info.txt``, ``manifest-sha256.txt`` (every payload file under
``data/``), ``tagmanifest-sha256.txt`` (every other file) and the files themselves. Reading one
rejects, with the reason: names that are absolute or climb out (``..``), symlinks and other
non-regular files, duplicate names, files missing from the bag or from its manifests, and
files whose SHA-256 differs from their manifest line.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ..errors import InputError, VerificationError

__all__ = ["BAGIT_TXT", "write_bag", "open_bag", "safe_name"]

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_MANIFEST, _TAGMANIFEST = "manifest-sha256.txt", "tagmanifest-sha256.txt"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def safe_name(name: str) -> str:
    """Return ``name`` if it is a plain relative POSIX path inside the bag, else raise."""
    parts = PurePosixPath(name).parts
    bad = (
        not name
        or name.startswith(("/", "~"))
        or any(c in name for c in "\\\r\n\0:")
        or any(p in ("", ".", "..") for p in name.split("/"))
        or not parts
    )
    if bad:
        raise VerificationError(f"unsafe file name in bundle: {name!r} (absolute or climbs out)")
    return name


Content = bytes | Path


def _sha256(data: Content) -> str:
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    with open(data, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _size(data: Content) -> int:
    return len(data) if isinstance(data, bytes) else data.stat().st_size


def _manifest(files: Mapping[str, Content]) -> bytes:
    return "".join(f"{_sha256(files[n])}  {n}\n" for n in sorted(files)).encode()


def write_bag(
    out: Path, payload: Mapping[str, Content], tags: Mapping[str, bytes], info: str, *, as_zip: bool
) -> Path:
    """Write a bag of ``payload`` (names under ``data/``; bytes, or a file to copy) and ``tags``
    to a new folder or zip."""
    if out.exists():
        raise InputError("refusing to overwrite an existing bundle", path=out)
    for name in [*payload, *tags]:
        safe_name(name)
    files: dict[str, Content] = {**payload, **tags, "bagit.txt": BAGIT_TXT}
    oxum = f"Payload-Oxum: {sum(_size(v) for v in payload.values())}.{len(payload)}\n"
    files["bag-info.txt"] = (info + oxum).encode()
    files[_MANIFEST] = _manifest(payload)
    files[_TAGMANIFEST] = _manifest({k: v for k, v in files.items() if k not in payload})
    if as_zip:
        with zipfile.ZipFile(out, "x", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(files):
                zinfo = zipfile.ZipInfo(name, _ZIP_TIME)
                zinfo.external_attr = 0o100644 << 16
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                data = files[name]
                with zf.open(zinfo, "w") as dst:
                    if isinstance(data, bytes):
                        dst.write(data)
                    else:
                        with open(data, "rb") as src:
                            shutil.copyfileobj(src, dst, 1 << 20)
        return out
    for name, data in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            shutil.copyfile(data, target)
    return out


def _walk_folder(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            full = Path(dirpath, name)
            mode = full.lstat().st_mode
            rel = full.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                raise VerificationError(f"bundle contains a symlink: {rel}")
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise VerificationError(f"bundle contains a special file: {rel}")
            if stat.S_ISREG(mode):
                yield safe_name(rel)


@contextmanager
def _unzipped(path: Path) -> Iterator[Path]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable zip bundle: {exc}", path=path) from None
    with zf, tempfile.TemporaryDirectory(prefix="auditor-bundle-") as tmp:
        seen: set[str] = set()
        for zinfo in zf.infolist():
            name = zinfo.filename
            mode = zinfo.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise VerificationError(f"bundle contains a symlink: {name}")
            if zinfo.is_dir():
                safe_name(name.rstrip("/"))
                continue
            safe_name(name)
            if name in seen:
                raise VerificationError(f"bundle holds {name!r} twice")
            seen.add(name)
            target = Path(tmp, *name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(zinfo) as src, open(target, "xb") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
        yield Path(tmp)


def _read_manifest(root: Path, name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in (root / name).read_text("utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        if len(digest) != 64 or not rel:
            raise VerificationError(f"{name}: malformed line {line[:80]!r}")
        if safe_name(rel) in entries:
            raise VerificationError(f"{name} lists {rel!r} twice")
        entries[rel] = digest
    return entries


@contextmanager
def open_bag(path: str | os.PathLike[str]) -> Iterator[tuple[Path, list[str]]]:
    """Check a bag folder or zip; yield its root folder and the checks made.

    Raises
    ------
    InputError
        If the path is neither a folder nor a zip file.
    VerificationError
        For any of the problems the module docstring lists.
    """
    path = Path(path)
    if path.is_symlink():
        raise VerificationError(f"the bundle itself is a symlink: {path}")
    if path.is_dir():
        with _check(path) as checks:
            yield path, checks
    elif path.is_file():
        with _unzipped(path) as root, _check(root) as checks:
            yield root, checks
    else:
        raise InputError("no such bundle (expected a folder or a .zip)", path=path)


@contextmanager
def _check(root: Path) -> Iterator[list[str]]:
    present = set(_walk_folder(root))
    for required in ("bagit.txt", "bag-info.txt", _MANIFEST, _TAGMANIFEST):
        if required not in present:
            raise VerificationError(f"bundle lacks {required}")
    if (root / "bagit.txt").read_bytes() != BAGIT_TXT:
        raise VerificationError("bagit.txt is not a BagIt 1.0 declaration")
    payload, tags = _read_manifest(root, _MANIFEST), _read_manifest(root, _TAGMANIFEST)
    if any(not n.startswith("data/") for n in payload) or any(n.startswith("data/") for n in tags):
        raise VerificationError("manifest-sha256.txt must list exactly the files under data/")
    listed = set(payload) | set(tags) | {_TAGMANIFEST}
    if missing := sorted(listed - present):
        raise VerificationError(f"bundle is missing files its manifests list: {missing}")
    if extra := sorted(present - listed):
        raise VerificationError(f"bundle holds files no manifest lists: {extra}")
    for rel, digest in {**payload, **tags}.items():
        if _sha256(root / rel) != digest:
            raise VerificationError(f"{rel} does not match its manifest SHA-256")
    total = sum((root / rel).stat().st_size for rel in payload)
    if f"Payload-Oxum: {total}.{len(payload)}" not in (root / "bag-info.txt").read_text("utf-8"):
        raise VerificationError("bag-info.txt Payload-Oxum does not match the payload")
    yield [
        f"bag structure: {len(present)} files, no links, no stray or missing files",
        f"manifests: SHA-256 of {len(payload)} payload and {len(tags)} tag files match",
    ]
