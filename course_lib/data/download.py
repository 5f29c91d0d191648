"""Checked downloads into the cache, and the fallback to the shipped stand-in.

``load(name)`` tries, in order:

1. the cached download in ``data_dir()`` (``COURSE_DATA_DIR``, default
   ``~/.cache/course_lib``), used only if it passes its check; a bad file is deleted;
2. a fresh download (pooch's HTTP downloader: a short timeout, a progress bar), capped
   at the expected size, written to a temporary file in the cache and moved into place
   only once it passed its check (the registry's sha256, or for a source without a
   published checksum the content check, after which its sha256 is recorded next to it
   and every later load is checked against that); each URL of the entry in turn;
3. the shipped stand-in named in the entry's ``bundle``.

It prints one line saying which data is in use. ``COURSE_OFFLINE=1`` skips step 2; a
cache folder that cannot be used (a file in its place, read-only) also falls back.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
from pathlib import Path

from course_lib.core import Instance, Text, checked
from course_lib.data import registry
from course_lib.data.registry import Entry, hash_matches, sha256_of

TIMEOUT_SECONDS = 5.0  # connect (and per-read) timeout: a dead network fails fast

_SOURCES: dict[str, str] = {}


class DownloadError(RuntimeError):
    """A download failed: no network, a timeout, a truncated or wrong file."""


@checked()
def data_dir() -> Path:
    """Folder where downloads are cached: ``$COURSE_DATA_DIR`` or ``~/.cache/course_lib``."""
    return Path(
        os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "course_lib"
    )


def _offline() -> bool:
    return os.environ.get("COURSE_OFFLINE", "").strip() not in {"", "0"}


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _limits(row: Entry) -> tuple[int, int]:
    """The smallest and largest size a download of ``row`` may have: its size when its
    checksum is published, else the range its content check allows."""
    if row.sha256 or not row.size_range:
        return row.size, row.size
    return row.size_range


# --------------------------------------------------------------------------------------
# The sha256 recorded for a source without a published checksum


@checked(row=Instance(Entry, "a registry row"))
def record_path(row: Entry) -> Path:
    """Where the sha256 of the first good download of ``row`` is kept."""
    return data_dir() / f"{row.filename}.sha256"


@checked(row=Instance(Entry, "a registry row"))
def recorded_sha256(row: Entry) -> str:
    """The recorded sha256 of ``row``'s first good download ("" when none)."""
    try:
        return record_path(row).read_text().split()[0]
    except (OSError, IndexError):
        return ""


def _record(row: Entry, file: Path) -> str:
    """Record ``file``'s sha256 for ``row`` (atomically); the note that says so."""
    digest = sha256_of(file)
    target = record_path(row)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".record-")
    with os.fdopen(handle, "w") as out:
        out.write(f"{digest}  {row.filename}\n")
    os.replace(temporary, target)
    return (
        f"it passed its content check; its sha256 {digest} is recorded in {target} "
        "and later loads are checked against it"
    )


def _verify(row: Entry, file: Path) -> str:
    """Check a (cached or fresh) file of ``row``: a ValueError with the reason when it
    fails; the note to print when its sha256 was recorded just now."""
    if row.sha256:
        if not hash_matches(file, row.sha256):
            raise ValueError("checksum mismatch: it is not the expected file")
        return ""
    recorded = recorded_sha256(row)
    if recorded:
        if sha256_of(file) != recorded:
            raise ValueError(
                "checksum mismatch: it is not the file first downloaded and recorded "
                f"in {record_path(row)}"
            )
        return ""
    if row.check is None:
        raise ValueError("it has no checksum and no content check to vouch for it")
    low, high = _limits(row)
    size = file.stat().st_size
    if not low <= size <= high:
        raise ValueError(f"it has {size:,} bytes, not {low:,} to {high:,}")
    try:
        row.check(file)
    except ValueError as exc:
        raise ValueError(f"wrong content: {exc}") from None
    return _record(row, file)


def _verified_cache(row: Entry) -> tuple[Path | None, str]:
    """The cached file if it is there and passes its check, and a note (a bad file is
    deleted: never loaded)."""
    file = data_dir() / row.filename
    try:
        if not file.exists():
            return None, ""
        if file.is_dir():
            return None, f"{file} is a folder, not the data file"
        try:
            return file, _verify(row, file)
        except ValueError:
            file.unlink()
            return None, "removed a corrupt cached file"
    except OSError as exc:
        return None, f"the cache {file} cannot be read ({type(exc).__name__})"


# --------------------------------------------------------------------------------------
# One download


class _CappedFile:
    """A file wrapper that stops a download at ``limit`` bytes and counts what it got."""

    def __init__(self, file, limit: int):
        self.file, self.limit, self.received = file, limit, 0

    def write(self, block: bytes) -> None:
        self.received += len(block)
        if self.received > self.limit:
            raise DownloadError(
                f"the download is larger than the expected {self.limit:,} bytes "
                "(the server sent another file); stopped"
            )
        self.file.write(block)

    def flush(self) -> None:
        self.file.flush()


def _get(url: str, file: Path, low: int, high: int) -> None:
    """HTTP(S) GET ``url`` into ``file``: a timeout, a progress bar, at most ``high``
    bytes and at least ``low``. Raises DownloadError with a plain reason."""
    import pooch
    import requests

    http = pooch.HTTPDownloader(progressbar=True, timeout=TIMEOUT_SECONDS)
    try:
        with open(file, "wb") as out:
            capped = _CappedFile(out, high)
            http(url, capped, None)
    except DownloadError:
        raise
    except requests.exceptions.Timeout as exc:
        raise DownloadError(
            f"{_host(url)} did not answer within {TIMEOUT_SECONDS:g} s"
        ) from exc
    except requests.exceptions.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "an error"
        raise DownloadError(f"{_host(url)} answered {code}") from exc
    except (
        requests.exceptions.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
    ) as exc:
        if "IncompleteRead" in str(exc) or "Connection broken" in str(exc):
            raise DownloadError("truncated download: the connection broke") from exc
        raise DownloadError(f"no connection to {_host(url)}") from exc
    except (requests.exceptions.RequestException, OSError) as exc:
        raise DownloadError(f"the download from {_host(url)} failed ({exc})") from exc
    if capped.received < low:
        raise DownloadError(
            f"truncated download: {capped.received:,} of "
            f"{'at least ' if low < high else ''}{low:,} bytes"
        )


def _download(url: str, row: Entry, dest: Path) -> str:
    """Download ``url`` to ``dest`` through a temporary file in the same folder, moved
    into place only once it passed its check; nothing is left behind on failure.
    Returns the note to print (a sha256 recorded)."""
    handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    os.close(handle)
    temporary = Path(name)
    try:
        _get(url, temporary, *_limits(row))
        try:
            note = _verify(row, temporary)
        except ValueError as exc:
            raise DownloadError(f"the file from {_host(url)} failed: {exc}") from None
        os.replace(temporary, dest)
        return note
    finally:
        temporary.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------
# fetch, load and the fallback


@checked(name=Text(max_length=100))
def fetch(name: str) -> Path:
    """Return the path of the verified downloaded file ``name``, downloading it if needed.

    Raises ``DownloadError`` when no verified copy can be had (offline, a failed or
    wrong download, a cache folder that cannot be written); nothing half-written stays.
    """
    file, note = _fetch(name)
    if note:
        print(f"{name}: {note}.")
    return file


def _fetch(name: str) -> tuple[Path, str]:
    row = registry.entry(name)
    if row.shipped:
        return registry.path(name), ""
    cached, note = _verified_cache(row)
    if cached is not None:
        return cached, note
    reasons = [note] if note else []
    if _offline():
        raise DownloadError("; ".join([*reasons, "COURSE_OFFLINE is set"]))
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"{folder} is read-only")
    except OSError as exc:
        raise DownloadError(
            "; ".join(
                [
                    *reasons,
                    f"the cache folder {folder} cannot be written "
                    f"({type(exc).__name__}); set COURSE_DATA_DIR to another folder",
                ]
            )
        ) from exc
    for url in row.urls:
        try:
            recorded = _download(url, row, folder / row.filename)
            return folder / row.filename, "; ".join(filter(None, [note, recorded]))
        except DownloadError as exc:
            reasons.append(str(exc))
    raise DownloadError("; ".join(reasons) or "no URL")


@checked(name=Text(max_length=100))
def bundle_path(name: str) -> Path:
    """The verified path of the shipped file that stands in for ``name`` (for a shipped
    entry: the file itself)."""
    row = registry.entry(name)
    filename = row.bundle or (row.filename if row.shipped else "")
    if not filename:
        raise ValueError(f"{name!r} has no shipped stand-in")
    return registry.path(registry.by_filename(filename).name)


@checked(name=Text(max_length=100))
def load(name: str):
    """Load a data set by name: the full set when available, else its shipped stand-in.

    For a download, prints one line saying which data is in use (and why, when it is the
    stand-in); ``source(name)`` returns it afterwards. A shipped entry is read from the
    package (verified), silently.
    """
    row = registry.entry(name)
    if row.shipped:
        _SOURCES[name] = "bundled"
        return row.loader(registry.path(name))
    try:
        file, note = _fetch(name)
    except DownloadError as exc:
        if not row.bundle:
            raise
        data = row.bundle_loader(bundle_path(name))
        _SOURCES[name] = "bundled"
        print(
            f"{name}: using the {row.bundle_description} "
            f"(the full data set is not available: {exc})."
        )
        return data
    data = row.loader(file)
    _SOURCES[name] = "full"
    print(
        f"{name}: using the full data set from {file}" + (f" ({note})" if note else "")
    )
    return data


@checked(name=Text(max_length=100))
def source(name: str) -> str | None:
    """``"full"`` or ``"bundled"``: what the last ``load(name)`` used (None before any load)."""
    registry.entry(name)
    return _SOURCES.get(name)
