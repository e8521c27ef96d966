"""What a local ``model.tar.gz`` holds, checked at synth as SageMaker and its XGBoost image use it.

Standard library only (no aws_cdk, no xgboost, no numpy): scripts import it to check an artifact
without starting jsii's Node.js process or loading XGBoost.

How SageMaker uses the archive (the managed XGBoost image, ``sagemaker-xgboost:3.0-5``, from
aws/sagemaker-xgboost-container ``algorithm_mode/serve_utils.py``): it extracts ``model.tar.gz``
into ``/opt/ml/model``; the container loads every **regular file directly in that directory**
(not in subdirectories), skipping names that start with ``.`` (e.g. macOS ``._xgboost-model``);
each file is tried with ``pickle.load`` first, then ``xgboost.Booster().load_model``; with
``SAGEMAKER_INFERENCE_ENSEMBLE`` unset (``"true"``) every such file is loaded and their
predictions are averaged.

How XGBoost 3.0.5 reads a model file (``XGBoosterLoadModel`` and ``Learner::LoadModel``): a name
ending in ``.json`` is parsed as JSON and one ending in ``.ubj`` as UBJSON; any other name is
sniffed: ``{`` followed (after white space) by ``"`` is JSON, ``{`` followed by a letter is UBJSON,
anything else is the deprecated binary format (optionally after a ``binf`` header), which XGBoost
3.0 still loads and 3.1 no longer does.

Pickles are never unpickled here: unpickling runs code from the file.
"""

from __future__ import annotations

import functools
import io
import os
import tarfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ._model_file import (
    HEADER_BYTES,
    ModelFormat,
    XGBoostModelInfo,
    read_xgboost_model_info,
    sniff_format,
)

__all__ = [
    "MAX_PARSED_MODEL_BYTES",
    "ArtifactInspection",
    "ModelFileInfo",
    "ModelFormat",
    "XGBoostModelInfo",
    "inspect_model_artifact",
    "read_xgboost_model_info",
]

# Model files up to this size are parsed completely at synth; larger ones are checked from their
# first bytes only (parsing a JSON model costs several times its size in memory). A model this
# large needs about 75 MiB + 6-12 x 256 MiB to load, most of what a serverless endpoint offers.
MAX_PARSED_MODEL_BYTES = 256 * 2**20
_CHUNK_BYTES = 2**20
_GZIP_MAGIC = b"\x1f\x8b"
_TAR_MAGIC_OFFSET = 257  # "ustar" in a POSIX/GNU tar header
_MODEL_DIRECTORY = "/opt/ml/model"
_PACK_HINT = "tar -czf model.tar.gz -C <model dir> xgboost-model"
_SAVE_HINT = 'booster.save_model("xgboost-model") (UBJSON)'


@dataclass(frozen=True)
class ModelFileInfo:
    """One file the container loads as a model (a regular file at the archive's root).

    :param name: the file's name in the archive (no leading ``./``).
    :param size: its size in bytes, uncompressed.
    :param format: ``"json"``, ``"ubjson"``, ``"pickle"``, ``"legacy-binary"`` (XGBoost's
        deprecated binary format) or ``"unknown"``.
    :param num_feature: the features the model reads, when synth could read it.
    :param objective: the XGBoost objective, when synth could read it.
    :param num_class: the classes of a ``multi:*`` model (0 for others), when read.
    :param problem: why XGBoost cannot load this file (a full message naming the file and what
        to do), or None when it can or synth cannot tell (a pickle).
    """

    name: str
    size: int
    format: ModelFormat
    num_feature: int | None
    objective: str | None
    num_class: int | None
    problem: str | None


@dataclass(frozen=True)
class ArtifactInspection:
    """The result of :func:`inspect_model_artifact`.

    ``errors`` and ``warnings`` are as the managed XGBoost image loads the artifact;
    ``archive_errors`` and ``archive_warnings`` are the subsets that hold whatever image serves
    it (the rest are about the model files' content).

    :param path: the artifact, as given.
    :param compressed_size: its size in bytes (0 when it cannot be read).
    :param uncompressed_size: the total size of the regular files in the archive, as SageMaker
        extracts them; None when the archive cannot be read to its end.
    :param model_files: the files the container loads, in archive order.
    :param ignored: the other members (dotfiles, subdirectories and their content, links).
    :param errors: one message per problem that makes the endpoint fail to load the model.
    :param warnings: one message per finding the user may know better about.
    """

    path: Path
    compressed_size: int
    uncompressed_size: int | None
    model_files: tuple[ModelFileInfo, ...]
    ignored: tuple[str, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the XGBoost image can load the artifact as far as synth can tell."""
        return not self.errors

    @property
    def num_feature(self) -> int | None:
        """The model's feature count; None if any model file's is unknown or they disagree."""
        counts = {info.num_feature for info in self.model_files}
        if len(counts) != 1 or None in counts:
            return None
        (count,) = counts
        return count

    @property
    def feature_count_conflict(self) -> str | None:
        """The message when the model files disagree on their feature count, else None."""
        return _feature_count_conflict(repr(str(self.path)), self.model_files)

    @property
    def archive_errors(self) -> tuple[str, ...]:
        """The errors about the archive itself, which break any image that serves it (the other
        errors are about the model files' content, as the XGBoost image loads them)."""
        return tuple(error for error in self.errors if not self._about_model_files(error))

    @property
    def archive_warnings(self) -> tuple[str, ...]:
        """The warnings about the archive itself (the others are about model files' content)."""
        return tuple(warning for warning in self.warnings if not self._about_model_files(warning))

    def _about_model_files(self, message: str) -> bool:
        return message == self.feature_count_conflict or any(
            message.startswith(_model_file_subject(info.name, repr(str(self.path))))
            for info in self.model_files
        )

    @property
    def model_bytes(self) -> int:
        """The total uncompressed size of the model files (what the container loads)."""
        return sum(info.size for info in self.model_files)


# --- reading the archive -------------------------------------------------------------------------


@dataclass(frozen=True)
class _ScannedFile:
    """A model file as read, before messages are worded for the artifact's path."""

    name: str
    size: int
    format: ModelFormat
    info: XGBoostModelInfo | None
    reason: str | None  # why XGBoost cannot load it
    parsed: bool  # False: larger than MAX_PARSED_MODEL_BYTES, checked from its header only


@dataclass(frozen=True)
class _Scan:
    compressed_size: int
    # One archive-level failure: (kind, detail); None when the archive reads to its end.
    failure: tuple[str, str] | None
    uncompressed_size: int | None
    files: tuple[_ScannedFile, ...]
    ignored: tuple[str, ...]
    links: tuple[str, ...]  # links at the root: the container follows them, synth does not
    trailing_data: bool


def inspect_model_artifact(path: str | os.PathLike[str]) -> ArtifactInspection:
    """Check a local ``model.tar.gz`` as SageMaker and its XGBoost image use it.

    Reads the whole archive once (gzip's checksum is only checked at its end), parses each model
    file up to :data:`MAX_PARSED_MODEL_BYTES`, never unpickles. Never raises for bad content:
    problems are returned as messages naming the file and what to do. Results are cached by the
    file's resolved path, size and modification time, so a synth reads each version once.
    """
    given = Path(path)
    try:
        status = given.stat()
        resolved = given.resolve()
    except OSError as error:
        return _unreadable(given, f"cannot be read ({error.strerror})")
    if not given.is_file():
        return _unreadable(given, "is not a file")
    try:
        scan = _scan(resolved, status.st_size, status.st_mtime_ns)
    except OSError as error:
        return _unreadable(given, f"cannot be read ({error.strerror})")
    return _inspection(given, scan)


def _unreadable(path: Path, reason: str) -> ArtifactInspection:
    return ArtifactInspection(
        path=path,
        compressed_size=0,
        uncompressed_size=None,
        model_files=(),
        ignored=(),
        errors=(f"model artifact {str(path)!r} {reason}",),
        warnings=(),
    )


@functools.lru_cache(maxsize=32)
def _scan(path: Path, size: int, mtime_ns: int) -> _Scan:
    # size and mtime_ns are only part of the cache key: a rewritten artifact is read again.
    with path.open("rb") as raw:
        start = raw.read(_TAR_MAGIC_OFFSET + 5)
        if start[:2] != _GZIP_MAGIC:
            kind = "plain-tar" if start[_TAR_MAGIC_OFFSET:].startswith(b"ustar") else "not-gzip"
            return _failed(size, kind, start[:4].hex(" "))
        raw.seek(0)
        gunzip = _Gunzip(raw)
        with io.BufferedReader(gunzip, buffer_size=_CHUNK_BYTES) as stream:
            try:
                return _read_tar(stream, size, gunzip)
            except EOFError:
                return _failed(size, "truncated", "")
            except zlib.error as error:
                return _failed(size, "corrupt", str(error))


class _Gunzip(io.RawIOBase):
    """gzip decompression that tells a truncated stream (EOFError), a bad checksum or length
    (zlib.error) and data after the last gzip member (``trailing_data``) apart. The gzip module
    reports trailing data as an error wherever it happens to read it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header, CRC
        self._carry = b""  # compressed bytes read ahead, for the next member
        self._finished = False
        self.trailing_data = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._finished:
            if self._inflater.eof:
                self._next_member()
                continue
            data = self._inflater.unconsumed_tail or self._carry or self._raw.read(_CHUNK_BYTES)
            self._carry = b""
            out = self._inflater.decompress(data, len(buffer))
            if out:
                memoryview(buffer)[: len(out)] = out
                return len(out)
            if not data and not self._inflater.eof:
                raise EOFError("the gzip stream ends before its end marker")
        return 0

    def _next_member(self) -> None:
        # After a member: the end of the file (zero padding allowed, as gzip allows), another
        # member, or data that tar tools complain about ("trailing garbage").
        rest = self._inflater.unused_data
        while len(rest.lstrip(b"\0")) < 2:
            more = self._raw.read(_CHUNK_BYTES)
            if not more:
                break
            rest += more
        rest = rest.lstrip(b"\0")
        if not rest:
            self._finished = True
        elif rest.startswith(_GZIP_MAGIC):
            self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            self._carry = rest
        else:
            self.trailing_data = True
            self._finished = True


def _failed(size: int, kind: str, detail: str) -> _Scan:
    return _Scan(
        compressed_size=size,
        failure=(kind, detail),
        uncompressed_size=None,
        files=(),
        ignored=(),
        links=(),
        trailing_data=False,
    )


def _read_tar(stream: BinaryIO, size: int, gunzip: _Gunzip) -> _Scan:
    files: dict[str, _ScannedFile] = {}  # by name: a later member of the same name wins
    ignored: list[str] = []
    links: list[str] = []
    total = 0
    members = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                members += 1
                name = _normalised(member.name)
                if member.isreg():
                    total += member.size
                if not name:  # the archive's root directory itself ("./")
                    continue
                at_root = "/" not in name and not name.startswith(".")
                if at_root and member.isreg():
                    files[name] = _read_model_file(archive, member, name)
                else:
                    ignored.append(name)
                    if at_root and (member.issym() or member.islnk()):
                        links.append(name)
    except tarfile.TarError as error:
        # Not a tar inside the gzip (or a tar cut short), unless the gzip itself is cut short:
        # read it to its end first so that a truncated download is reported as such.
        _drain(stream)
        return _failed(size, "tar-truncated" if members else "not-tar", str(error))
    # tarfile stops at the end-of-archive blocks; gzip's checksum and length are only checked
    # once the stream is read to its very end.
    _drain(stream)
    return _Scan(
        compressed_size=size,
        failure=None,
        uncompressed_size=total,
        files=tuple(files.values()),
        ignored=tuple(ignored),
        links=tuple(links),
        trailing_data=gunzip.trailing_data,
    )


def _drain(stream: BinaryIO) -> None:
    while stream.read(_CHUNK_BYTES):
        pass


def _normalised(name: str) -> str:
    # tar writes "./xgboost-model" for `tar -C dir .`; SageMaker extracts it to the root.
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/").rstrip("/") if name != "." else ""


def _read_model_file(archive: tarfile.TarFile, member: tarfile.TarInfo, name: str) -> _ScannedFile:
    extracted = archive.extractfile(member)
    if extracted is None:  # not reached for regular files
        return _ScannedFile(name, member.size, "unknown", None, "cannot be read", parsed=False)
    parsed = member.size <= MAX_PARSED_MODEL_BYTES
    data = extracted.read() if parsed else extracted.read(HEADER_BYTES)
    if len(data) < min(member.size, HEADER_BYTES):
        raise tarfile.ReadError("unexpected end of data")
    model_format = sniff_format(data[:HEADER_BYTES], name)
    if model_format == "pickle" or not parsed:
        return _ScannedFile(name, member.size, model_format, None, None, parsed)
    try:
        info = read_xgboost_model_info(data, name=name)
    except ValueError as error:
        return _ScannedFile(name, member.size, model_format, None, str(error), parsed)
    return _ScannedFile(name, member.size, info.format, info, None, parsed)


# --- messages ------------------------------------------------------------------------------------


def _inspection(path: Path, scan: _Scan) -> ArtifactInspection:
    shown = repr(str(path))
    if scan.failure is not None:
        return ArtifactInspection(
            path=path,
            compressed_size=scan.compressed_size,
            uncompressed_size=None,
            model_files=(),
            ignored=(),
            errors=(_archive_failure(shown, *scan.failure),),
            warnings=(),
        )
    errors: list[str] = []
    warnings: list[str] = []
    if not scan.files and not scan.links:
        errors.append(_no_model_file(shown, scan.ignored))
    model_files = tuple(_model_file(shown, scanned, warnings) for scanned in scan.files)
    errors += [info.problem for info in model_files if info.problem]
    for name in scan.links:
        warnings.append(
            f"{name!r} in model artifact {shown} is a link: the container loads the file it "
            "points to, which synth does not check; store the model file itself at the root"
        )
    if scan.trailing_data:
        warnings.append(
            f"model artifact {shown} has data after its gzip stream; tar may refuse it: "
            f"create the archive again ({_PACK_HINT})"
        )
    conflict = _feature_count_conflict(shown, model_files)
    if conflict is not None:
        errors.append(conflict)
    return ArtifactInspection(
        path=path,
        compressed_size=scan.compressed_size,
        uncompressed_size=scan.uncompressed_size,
        model_files=model_files,
        ignored=scan.ignored,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


def _feature_count_conflict(shown: str, model_files: Iterable[ModelFileInfo]) -> str | None:
    known = [(info.name, info.num_feature) for info in model_files if info.num_feature is not None]
    if len({count for _, count in known}) < 2:
        return None
    listed = ", ".join(f"{name!r}: {count}" for name, count in known)
    return (
        f"model files in {shown} disagree on their feature count ({listed}); the container "
        "loads every file at the archive's root as one ensemble and averages their "
        "predictions, so no request width suits them all: keep only the model you mean to serve"
    )


def _archive_failure(shown: str, kind: str, detail: str) -> str:
    messages = {
        "plain-tar": (
            f"model artifact {shown} is a tar archive that is not gzip-compressed; SageMaker "
            f"needs a .tar.gz: compress it (gzip -n) or create it with {_PACK_HINT}"
        ),
        "not-gzip": (
            f"model artifact {shown} is not a gzip file (it starts with bytes {detail}, not "
            f"1f 8b); SageMaker needs a gzip-compressed tar archive: create it with {_PACK_HINT}"
        ),
        "truncated": (
            f"model artifact {shown} is truncated: its gzip stream ends before its end marker "
            "(an interrupted download or copy?); build or download it again"
        ),
        "corrupt": (f"model artifact {shown} is corrupt ({detail}); build or download it again"),
        "tar-truncated": (
            f"model artifact {shown} holds a tar archive that is cut short ({detail}); build "
            "the archive again"
        ),
        "not-tar": (
            f"model artifact {shown} is gzip-compressed but holds no tar archive ({detail}); "
            f"SageMaker extracts model.tar.gz with tar: create it with {_PACK_HINT}, not with "
            "gzip alone"
        ),
    }
    return messages[kind]


def _no_model_file(shown: str, ignored: Iterable[str]) -> str:
    names = list(ignored)
    found = (
        "it holds no files"
        if not names
        else "found only "
        + ", ".join(repr(name) for name in names[:5])
        + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    )
    return (
        f"model artifact {shown} has no model file at its root ({found}); SageMaker extracts it "
        f"into {_MODEL_DIRECTORY} and the container loads the regular files directly in that "
        "directory, skipping names that start with '.': put the model file at the root of the "
        f"archive ({_PACK_HINT})"
    )


def _model_file(shown: str, scanned: _ScannedFile, warnings: list[str]) -> ModelFileInfo:
    where = _model_file_subject(scanned.name, shown)
    problem = None
    if scanned.format == "pickle":
        warnings.append(
            f"{where} is a pickle (a pickled Booster?): it cannot be verified at synth without "
            "executing it; feature count unknown. The container unpickles it, which runs code "
            f"from the file: prefer {_SAVE_HINT}, which synth checks"
        )
    elif not scanned.parsed and scanned.format == "unknown":
        problem = _cannot_load(where, "it is not JSON, UBJSON, a pickle or XGBoost's binary format")
    elif not scanned.parsed:
        warnings.append(
            f"{where} is {scanned.size / 2**20:.0f} MiB, more than the "
            f"{MAX_PARSED_MODEL_BYTES // 2**20} MiB synth parses: only its first bytes were "
            f"checked ({scanned.format} format); feature count unknown"
        )
    elif scanned.reason is not None:
        problem = _cannot_load(where, scanned.reason)
    elif scanned.format == "legacy-binary":
        warnings.append(
            f"{where} is in XGBoost's deprecated binary format: XGBoost 3.0 still loads it, "
            f"3.1 and later do not; save it again with {_SAVE_HINT}"
        )
    info = scanned.info
    return ModelFileInfo(
        name=scanned.name,
        size=scanned.size,
        format=scanned.format,
        num_feature=info.num_feature if info else None,
        objective=info.objective if info else None,
        num_class=info.num_class if info else None,
        problem=problem,
    )


def _model_file_subject(name: str, shown: str) -> str:
    return f"model file {name!r} in {shown}"


def _cannot_load(where: str, reason: str) -> str:
    return (
        f"{where} cannot be loaded by XGBoost: {reason}. Save the model with {_SAVE_HINT} and "
        f"package that file ({_PACK_HINT})"
    )
