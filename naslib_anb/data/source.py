"""Where the dataset comes from: one rule for library, CLI and tests (:func:`resolve_data_path`).

An explicit path, else ``$NASLIB_ANB_DATA``, else ``../shared/anb/`` beside the source checkout, else
the user cache; the pinned download only when asked for (``allow_download=True``,
``naslib-anb data --download``).

A download goes to a temporary file beside the cache entry, is checked against its
pinned sha256, and only then renamed into place, so the cache never holds half a file.
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional, Union

from naslib_anb.errors import ChecksumMismatchError, CorruptDataError, DataError, DataNotFoundError

log = logging.getLogger(__name__)

ENV_VAR = "NASLIB_ANB_DATA"
UPSTREAM_COMMIT = "42603572d530310e6bac7191d00cf45625a6b197"
TARBALL_NAME = "anb_dataset_jsons.tar.gz"
TARBALL_URL = (
    f"https://github.com/afzalxo/Accel-NASBench/raw/{UPSTREAM_COMMIT}/anb_dataset/{TARBALL_NAME}"
)
TARBALL_SHA256 = "3520992d42e368b7c08c99fc3f6612855b5b366bf98668a7f19d49f3131aa4ae"

PathLike = Union[str, os.PathLike]

#: One line on where the rule looks, for skip reasons and messages.
WHERE_TO_PUT = (f"set ${ENV_VAR}, or put {TARBALL_NAME} in ../shared/anb/ beside the checkout "
                f"or in ~/.cache/naslib_anb/")


def cache_dir() -> Path:
    """User cache directory (``$XDG_CACHE_HOME/naslib_anb``, default ``~/.cache/naslib_anb``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "naslib_anb"


def sha256_of(path: PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def download(
    url: str = TARBALL_URL,
    dest: Optional[PathLike] = None,
    sha256: str = TARBALL_SHA256,
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying ``sha256``; returns ``dest``."""
    dest = Path(dest) if dest is not None else cache_dir() / TARBALL_NAME
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                resp = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (pinned https URL)
            except (urllib.error.URLError, OSError) as exc:
                raise DataError(f"could not download {url}: {exc}") from exc
            with resp:
                total = resp.headers.get("Content-Length")
                total_n = int(total) if total and total.isdigit() else None
                bar = _progress(total_n, progress, dest.name)
                got = 0
                try:
                    while True:
                        block = resp.read(1 << 16)
                        if not block:
                            break
                        out.write(block)
                        got += len(block)
                        bar.update(len(block))
                except (OSError, http.client.HTTPException) as exc:  # IncompleteRead, reset
                    raise CorruptDataError(f"download of {url} broke off after {got} bytes: {exc}") from exc
                finally:
                    bar.close()
                if total_n is not None and got != total_n:
                    raise CorruptDataError(
                        f"download of {url} is truncated: got {got} of {total_n} bytes"
                    )
        actual = sha256_of(tmp)
        if actual != sha256:
            raise ChecksumMismatchError(url, sha256, actual)
        os.replace(tmp, dest)
        log.info("downloaded %s to %s", url, dest)
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: Optional[int], enabled: bool, name: str):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False)


def checkout_data_dir() -> Optional[Path]:
    """``../shared/anb/`` beside the source checkout this package runs from (None for an installed wheel)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "setup.cfg").is_file():
        return None
    return root.parent / "shared" / "anb"


def data_locations() -> list[tuple[str, Path]]:
    """Where the dataset is looked for when no path is given, in order (the one data rule)."""
    places: list[tuple[str, Path]] = []
    env = os.environ.get(ENV_VAR)
    if env:
        places.append((f"${ENV_VAR}", Path(env)))
    shared = checkout_data_dir()
    if shared is not None:
        places.append(("beside the checkout", shared / TARBALL_NAME))
    places.append(("the user cache", cache_dir() / TARBALL_NAME))
    return places


def find_data_path() -> Optional[Path]:
    """The dataset the rule finds without a path and without the network, or None (never raises)."""
    try:
        return resolve_data_path(allow_download=False)
    except DataNotFoundError:
        return None


def resolve_data_path(path: Optional[PathLike] = None, allow_download: bool = False,
                      how_to_pass: str = "load_dataset(PATH)") -> Path:
    """Find the dataset by the one rule: ``path``; else ``$NASLIB_ANB_DATA``; else
    ``../shared/anb/anb_dataset_jsons.tar.gz`` beside the source checkout; else the user cache;
    else, only when ``allow_download``, the pinned download into the cache.

    A path may be the tarball, a directory holding ``result_*.json``, or a directory holding
    the tarball. ``how_to_pass`` names the explicit way in the caller's terms (``--data PATH``).
    """
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise DataNotFoundError(f"no dataset at {p} (given explicitly)")
        return _normalise(p)
    env = os.environ.get(ENV_VAR)
    if env and not Path(env).exists():
        raise DataNotFoundError(f"${ENV_VAR} points to {env}, which does not exist")
    for _, p in data_locations():
        if p.exists():
            return _normalise(p)
    cached = cache_dir() / TARBALL_NAME
    looked = ", ".join(str(p) for _, p in data_locations())
    ways = (f"pass {how_to_pass}, set ${ENV_VAR} to the tarball (or a directory of result_*.json), "
            f"copy {TARBALL_NAME} to {cached}")
    if not allow_download:
        raise DataNotFoundError(f"no dataset found (looked in {looked}): {ways}, or run "
                                f"`naslib-anb data --download` to fetch it (needs the network)")
    try:
        return download(dest=cached)
    except DataError as exc:
        if isinstance(exc, (ChecksumMismatchError, CorruptDataError)):
            raise
        raise DataNotFoundError(f"{exc}. Offline: {ways}") from None


def _normalise(p: Path) -> Path:
    if p.is_dir():
        tar = p / TARBALL_NAME
        if tar.exists() and not any(p.glob("result_*.json")):
            return tar
    return p
