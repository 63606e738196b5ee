"""Atomic ``torch.save`` (a temporary file in the same folder, fsync, ``os.replace``) and a safe load.

``pruning`` keeps this small copy of bttt's atomic write on purpose: it depends on no other package of the
repository. Loading uses ``weights_only=True``: a work folder may come from elsewhere, and unpickling could run
code, so only tensors, numbers, strings and containers are read.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import torch


def atomic_save(obj, path: str | os.PathLike) -> None:
    """Save ``obj`` to ``path`` so that a crash leaves either the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, _file_mode())  # mkstemp makes 0600; give the usual umask-based mode
    buffer = io.BytesIO()
    torch.save(obj, buffer)  # in memory first: a failed write (a full disk) is then an OSError, not torch's own
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # e.g. a full disk: name the file the user asked for, not the temporary one
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike):
    """Read what :func:`atomic_save` wrote; anything but tensors, numbers, strings and containers is refused."""
    return torch.load(path, map_location="cpu", weights_only=True)


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give: 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
