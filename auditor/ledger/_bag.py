"""BagIt (RFC 8493) folders and zips: write them, and read them back distrustfully.

A bag is ``bagit.txt``, ``bag-info.txt``, ``manifest-sha256.txt`` (every payload file under
``data/``), ``tagmanifest-sha256.txt`` (every other file) and the files themselves. Reading one
rejects, with the reason: names that are absolute or climb out (``..``), symlinks and other
non-regular files, duplicate names, files missing from the bag or from its manifests, and
files whose SHA-256 differs from their manifest line. A zipped bag is read in place, never
unpacked, within named limits on its size and compression ratio (:data:`MAX_BUNDLE_BYTES`,
:data:`MAX_RATIO`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import InputError, VerificationError

__all__ = [
    "BAGIT_TXT",
    "MAX_BUNDLE_BYTES",
    "MAX_RATIO",
    "MAX_FILES",
    "MAX_TAG_BYTES",
    "Bag",
    "write_bag",
    "open_bag",
    "safe_name",
]

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_MANIFEST, _TAGMANIFEST = "manifest-sha256.txt", "tagmanifest-sha256.txt"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Limits on what reading a zipped bag may cost (a zip bomb declares gigabytes in a few kB).
MAX_BUNDLE_BYTES = 64 << 30
"""Default cap on the declared uncompressed size of a zip bundle: 64 GiB (--max-size)."""
MAX_RATIO = 200.0
"""Default cap on one entry's uncompressed/compressed ratio (--max-ratio); deflate reaches about
1,000:1 on zeros, recorded audio a few to one."""
RATIO_FLOOR = 1 << 20
"""Entries of at most 1 MiB are not held to :data:`MAX_RATIO` (small text compresses well)."""
MAX_FILES = 1000
"""Cap on the entries of a zip bundle (a bundle has about eight)."""
MAX_TAG_BYTES = 256 << 20
"""Cap on a tag file read whole into memory (evidence.json of a long recording: a few MB)."""


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


class Bag:
    """A bag's files, read where they lie (a folder, or a zip never unpacked to disk).

    After :func:`open_bag` has checked it, ``digests`` holds the verified SHA-256 of every file.
    """

    def __init__(self, where: Path, sizes: dict[str, int]) -> None:
        self.where = where
        self.sizes = sizes
        self.digests: dict[str, str] = {}

    @property
    def names(self) -> set[str]:
        """Every regular file in the bag."""
        return set(self.sizes)

    def open(self, name: str) -> IO[bytes]:
        """A binary stream of the file ``name``."""
        return open(self.where / name, "rb")

    def read(self, name: str) -> bytes:
        """The whole of a tag file (at most :data:`MAX_TAG_BYTES`)."""
        if self.sizes[name] > MAX_TAG_BYTES:
            raise InputError(
                f"{name} is {self.sizes[name]:,} bytes, more than a bundle's tag file may be "
                f"({MAX_TAG_BYTES:,})",
                path=self.where,
            )
        with self.open(name) as fh:
            return fh.read(MAX_TAG_BYTES + 1)

    def close(self) -> None:
        """Release the bag's file handles."""


class _ZipBag(Bag):
    def __init__(self, path: Path, zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> None:
        super().__init__(path, {n: i.file_size for n, i in infos.items()})
        self._zf, self._infos = zf, infos

    def open(self, name: str) -> IO[bytes]:
        return self._zf.open(self._infos[name])

    def close(self) -> None:
        self._zf.close()


def _zip_bag(path: Path, max_bytes: int, max_ratio: float) -> _ZipBag:
    """Check a zip's directory (names, kinds, declared sizes and ratios) before reading data."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable zip bundle: {exc}", path=path) from None
    try:
        infolist = zf.infolist()
        if len(infolist) > MAX_FILES:
            raise InputError(f"the zip holds {len(infolist):,} entries; a bundle has a handful "
                             f"(at most {MAX_FILES:,} are read)", path=path)  # fmt: skip
        infos: dict[str, zipfile.ZipInfo] = {}
        for zinfo in infolist:
            name = zinfo.filename
            if stat.S_ISLNK(zinfo.external_attr >> 16):
                raise VerificationError(f"bundle contains a symlink: {name}")
            if zinfo.is_dir():
                safe_name(name.rstrip("/"))
                continue
            safe_name(name)
            if name in infos:
                raise VerificationError(f"bundle holds {name!r} twice")
            if zinfo.flag_bits & 0x1:
                raise InputError(f"{name} is encrypted in the zip; a bundle is not", path=path)
            if zinfo.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise InputError(f"{name} uses zip compression method {zinfo.compress_type}; "
                                 "bundles use deflate or none", path=path)  # fmt: skip
            ratio = zinfo.file_size / max(zinfo.compress_size, 1)
            if zinfo.file_size > RATIO_FLOOR and ratio > max_ratio:
                raise InputError(
                    f"{name} would unpack to {zinfo.file_size:,} bytes from "
                    f"{zinfo.compress_size:,}: a compression ratio of {ratio:,.0f}:1, above the "
                    f"limit of {max_ratio:,.0f}:1 (a zip bomb?)",
                    path=path,
                    hint="if you trust where the bundle came from (a recording of long digital "
                    "silence compresses this well), raise the limit with --max-ratio N",
                )
            infos[name] = zinfo
        total = sum(i.file_size for i in infos.values())
        if total > max_bytes:
            raise InputError(
                f"the bundle would unpack to {total:,} bytes, above the limit of {max_bytes:,}",
                path=path,
                hint="if you trust where the bundle came from, raise the limit with "
                "--max-size SIZE (e.g. 200G)",
            )
    except BaseException:
        zf.close()
        raise
    return _ZipBag(path, zf, infos)


def _sha256_stream(bag: Bag, name: str) -> str:
    """SHA-256 of a bag file, streamed; for a zip entry, no more than its declared size."""
    digest, left = hashlib.sha256(), bag.sizes[name]
    try:
        with bag.open(name) as fh:
            while block := fh.read(1 << 20):
                left -= len(block)
                if left < 0:
                    break
                digest.update(block)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        raise InputError(f"{name} is damaged in the bundle ({exc})", path=bag.where) from None
    if left != 0:
        raise InputError(f"{name} is damaged in the bundle (it holds more or fewer bytes than "
                         f"the {bag.sizes[name]:,} its zip entry declares)",
                         path=bag.where)  # fmt: skip
    return digest.hexdigest()


def _read_manifest(bag: Bag, name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    try:
        text = bag.read(name).decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError(f"{name} is not UTF-8 text") from None
    for line in text.splitlines():
        digest, _, rel = line.partition("  ")
        if len(digest) != 64 or not rel:
            raise VerificationError(f"{name}: malformed line {line[:80]!r}")
        if safe_name(rel) in entries:
            raise VerificationError(f"{name} lists {rel!r} twice")
        entries[rel] = digest
    return entries


@contextmanager
def open_bag(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_BUNDLE_BYTES,
    max_ratio: float = MAX_RATIO,
) -> Iterator[tuple[Bag, list[str]]]:
    """Check a bag folder or zip; yield the checked bag and the checks made.

    A zip is never unpacked: its directory is checked first (names, links, duplicates, the
    declared size of everything, at most ``max_bytes``, and each entry's compression ratio, at
    most ``max_ratio``), then its manifests, then every entry is hashed as it streams out.

    Raises
    ------
    InputError
        If the path is neither a folder nor a zip file, or a zip exceeds a limit or is damaged.
    VerificationError
        For any of the problems the module docstring lists.
    """
    path = Path(path)
    if path.is_symlink():
        raise VerificationError(f"the bundle itself is a symlink: {path}")
    if path.is_dir():
        bag = Bag(path, {n: (path / n).stat().st_size for n in _walk_folder(path)})
    elif path.is_file():
        bag = _zip_bag(path, max_bytes, max_ratio)
    else:
        raise InputError("no such bundle (expected a folder or a .zip)", path=path)
    try:
        yield bag, _check(bag)
    finally:
        bag.close()


def _check(bag: Bag) -> list[str]:
    present = bag.names
    for required in ("bagit.txt", "bag-info.txt", _MANIFEST, _TAGMANIFEST):
        if required not in present:
            raise VerificationError(f"bundle lacks {required}")
    if bag.read("bagit.txt") != BAGIT_TXT:
        raise VerificationError("bagit.txt is not a BagIt 1.0 declaration")
    payload, tags = _read_manifest(bag, _MANIFEST), _read_manifest(bag, _TAGMANIFEST)
    if any(not n.startswith("data/") for n in payload) or any(n.startswith("data/") for n in tags):
        raise VerificationError("manifest-sha256.txt must list exactly the files under data/")
    listed = set(payload) | set(tags) | {_TAGMANIFEST}
    if missing := sorted(listed - present):
        raise VerificationError(f"bundle is missing files its manifests list: {missing}")
    if extra := sorted(present - listed):
        raise VerificationError(f"bundle holds files no manifest lists: {extra}")
    for rel, digest in {**tags, **payload}.items():
        if _sha256_stream(bag, rel) != digest:
            raise VerificationError(f"{rel} does not match its manifest SHA-256")
        bag.digests[rel] = digest
    total = sum(bag.sizes[rel] for rel in payload)
    if f"Payload-Oxum: {total}.{len(payload)}" not in bag.read("bag-info.txt").decode("utf-8",
                                                                                     "replace"):
        raise VerificationError("bag-info.txt Payload-Oxum does not match the payload")
    return [
        f"bag structure: {len(present)} files, no links, no stray or missing files",
        f"manifests: SHA-256 of {len(payload)} payload and {len(tags)} tag files match",
    ]
