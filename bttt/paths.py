"""Files bttt writes: checked before any work starts, written atomically, and never someone else's overwritten.

* :func:`check_output_file` / :func:`check_output_dir` refuse, up front and with the fix, a path under a regular
  file, in a folder that cannot be written, a folder where a file is needed (or the reverse), or an existing file
  that bttt did not make or that the user did not allow to be replaced (``--force``).
* :func:`atomic_write` writes a file in one piece: a temporary file in the same folder, fsync, rename, so an
  interrupted write never leaves half a file behind.

(``pruning`` keeps its own copy of the atomic write, on purpose: it depends on no other package of this repo.)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from bttt.errors import BtttError


class OutputPathError(BtttError):
    """An output path that cannot or must not be written."""


def _writable_parent(path: Path, what: str) -> None:
    """The nearest existing ancestor of ``path`` must be a writable folder (the rest is created later)."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputPathError(f"{what} {path}: {parent} is a file, not a folder; choose another path")
            if not _can_create_in(parent):
                raise OutputPathError(f"{what} {path}: cannot write in {parent}; choose a folder you can write to")
            return
    raise OutputPathError(f"{what} {path}: no existing folder above it")  # pragma: no cover - / always exists


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in ``folder`` (a permission check alone is not enough: root passes
    it everywhere, and read-only or virtual file systems refuse at write time)."""
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".bttt-write-check-"):
            return True
    except OSError:
        return False


def check_output_file(
    path: str | os.PathLike,
    what: str,
    force: bool = False,
    ours: Callable[[Path], bool] | None = None,
    force_flag: str = "--force",
) -> Path:
    """Check that ``path`` can be written as a file, before any work; returns it as a Path.

    An existing file is refused unless ``force`` is set, and even then only if ``ours(path)`` says bttt made it
    (when ``ours`` is given): bttt never replaces a file it did not create.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{what} {path} is a folder; give a file path")
    _writable_parent(path, what)
    if path.exists():
        if not force:
            raise OutputPathError(f"{what} {path} exists; pass {force_flag} to replace it, or choose another path")
        if ours is not None and not ours(path):
            raise OutputPathError(f"{what} {path} exists and was not written by bttt; bttt will not replace it")
        if not os.access(path, os.W_OK):
            raise OutputPathError(f"{what} {path} exists and cannot be written")
    return path


def check_output_dir(path: str | os.PathLike, what: str) -> Path:
    """Check that ``path`` is, or can be created as, a writable folder; returns it as a Path."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise OutputPathError(f"{what} {path} is a file, not a folder; choose another path")
        if not _can_create_in(path):
            raise OutputPathError(f"{what} {path}: the folder cannot be written; choose another path")
        return path
    _writable_parent(path, what)
    return path


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` in one piece (temporary file, fsync, rename); creates the parent folder.

    The file gets the mode a plain ``open(path, "w")`` would give (0o666 less the umask), not mkstemp's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # e.g. a full disk: name the file the user asked for, not the temporary one
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


RUN_FORMAT = "bttt-run"
MANIFEST = "manifest.json"


def claim_work_dir(
    path: str | os.PathLike,
    inputs: dict,
    restart: bool = False,
    what: str = "work folder",
    error: type[BtttError] = OutputPathError,
) -> bool:
    """Take ``path`` as the work folder of the run described by ``inputs`` (JSON: content hashes of its input
    files and all its options); returns True when it resumes earlier work there.

    A new folder is created with a manifest of the inputs. The same inputs resume. Other inputs are refused with
    the differences and the fix -- never silently continued, never silently started over -- unless ``restart``,
    which empties the folder (only one whose manifest bttt wrote) and starts again.
    """
    import json
    import shutil

    path = check_output_dir(path, what)
    manifest = path / MANIFEST
    inputs = json.loads(json.dumps(inputs))
    if path.exists() and any(path.iterdir()):
        try:
            old = json.loads(manifest.read_text())
        except (OSError, ValueError):
            old = None
        if not isinstance(old, dict) or old.get("format") != RUN_FORMAT:
            raise error(f"{what} {path} holds files that bttt did not write; choose another folder")
        if old.get("inputs") == inputs and not restart:
            return True
        if not restart:
            changed = sorted(k for k in {*inputs, *old.get("inputs", {})} if inputs.get(k) != old["inputs"].get(k))
            raise error(
                f"{what} {path} holds the work of a different run (other {', '.join(changed)}): rerun with the same "
                "inputs to resume it, pass --restart to start over, or choose another output"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    atomic_write(manifest, json.dumps({"format": RUN_FORMAT, "inputs": inputs}, indent=1, sort_keys=True))
    return False


_DIGESTS: dict[tuple, str] = {}


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's content, cached per (path, modification time, size): a file's identity in
    tournaments and resumable runs, so a changed or replaced file is never taken for the old one."""
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    digest = _DIGESTS.get(key)
    if digest is None:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest = _DIGESTS[key] = h.hexdigest()
    return digest


def is_bttt_png(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a PNG that bttt drew (its figures carry the text chunk ``Software: bttt``)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    return head.startswith(b"\x89PNG") and b"tEXtSoftware\x00bttt" in head


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
