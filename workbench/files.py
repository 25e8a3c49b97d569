"""Reading the files importers are given: regular files only, bounded in size,
every failure an error (of the importer's own class) that names the file."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from typing import Any

__all__ = ["read_bytes", "load_json", "MAX_DATASET_BYTES"]

#: Bytes of a file that holds a whole data set (a JSONL, CSV, Label Studio or
#: DocBin file); checked before the file is read.
MAX_DATASET_BYTES = 2**31


def read_bytes(
    source: str | os.PathLike, error: Callable[[str], Exception], limit: int | None = None
) -> bytes:
    """The bytes of a file, or ``error`` naming it when it is not a regular file (a
    pipe would block, a device never end), is larger than ``limit`` bytes
    (:data:`MAX_DATASET_BYTES` by default; checked before reading, and again while
    reading), cannot be read, or does not fit in memory."""
    where = os.fspath(source)
    limit = MAX_DATASET_BYTES if limit is None else limit
    try:
        st = os.stat(where)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{where}: not a regular file")
        size = st.st_size
        if size > limit:
            raise error(f"{where}: {size} bytes, more than the {limit} this importer reads")
        with open(where, "rb") as f:
            # One read of the size stat gives (read(n) allocates n bytes up front) ...
            data = f.read(size + 1)
            if len(data) > size:  # ... then, for a file that grew since, bounded reads
                parts, total = [data], len(data)
                while total <= limit:
                    part = f.read(min(2**20, limit + 1 - total))
                    if not part:
                        break
                    parts.append(part)
                    total += len(part)
                data = b"".join(parts)
    except FileNotFoundError:
        raise error(f"{where}: no such file") from None
    except MemoryError:
        raise error(f"{where}: too large to read into memory") from None
    except OSError as exc:
        raise error(f"{where}: cannot be read: {exc}") from None
    if len(data) > limit:
        raise error(f"{where}: more than the {limit} bytes this importer reads")
    return data


def load_json(raw: bytes, where: str, error: Callable[[str], Exception]) -> Any:
    """JSON from bytes, or ``error`` naming ``where`` (not UTF-8, not JSON, nested
    too deeply for Python's parser, too large for memory)."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text: {exc}") from None
    except RecursionError:
        raise error(f"{where}: JSON nested too deeply") from None
    except MemoryError:
        raise error(f"{where}: too large to read into memory") from None
    except ValueError as exc:  # JSONDecodeError, an int of more than 4300 digits
        raise error(f"{where}: not JSON: {str(exc)[:200]}") from None
