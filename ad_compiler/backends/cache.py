"""The on-disk cache of generated modules: where it lives, how files are named, how they load.

Generated source is written to ``<cache_dir()>/<name>_<sha256(text)[:16]>.py`` once and never
rewritten (Numba's cache index keys on the file's path, mtime and size), then imported from
that file with ``importlib`` under a ``sys.modules`` entry made *before* ``exec_module``
(without it a Numba cache hit in a new process fails with ``ModuleNotFoundError``; see
NUMBA_NOTES.md). Numba's own ``.nbi``/``.nbc`` files land in ``__pycache__`` beside it.

Set ``AD_COMPILER_CACHE_DIR`` to move the cache (read on every call, so tests can point it at
a temporary directory); the default is ``~/.cache/ad_compiler``.

Three guarantees, because the cache is code that gets imported and run:

* **Private.** The directory, ``__pycache__`` and every entry are created 0700/0600, and
  before importing anything the directory and the file must be owned by the current user and
  not writable by group or others (as ssh checks its keys). Anything else, and a location
  that cannot be created or written, falls back to a private temporary directory with one
  warning: a module planted by another user is never imported.
* **Verified.** A generated module is compared with the source it must hold (its name is the
  source's hash) before it is imported; Numba's ``.nbi``/``.nbc`` files of an entry are
  listed with their SHA-256 in ``<entry>.sums`` once they are written (:func:`seal`) and
  checked before the entry is loaded (:func:`verify_numba_files`). A truncated, garbage,
  missing or mismatching file is discarded and recompiled, with at most one warning.
* **Thread-safe.** Loading is serialised by :data:`LOCK`, and a module is published in
  ``sys.modules`` only under it, so no thread ever sees a half-executed module; a module
  whose execution fails is removed again.
"""

import functools
import hashlib
import importlib.util
import json
import os
import re
import sys
import tempfile
import threading
import warnings
from pathlib import Path

LOCK = threading.RLock()
_WARNED = set()
_PRIVATE = []
_UNTRUSTED = set()      # cache directories where a file was found that others could write

__all__ = ["cache_dir", "version_tag", "source_hash", "module_path", "write_source",
           "load_module"]

ENV_VAR = "AD_COMPILER_CACHE_DIR"


def warn_once(message):
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _private_dir(reason) -> Path:
    """A private temporary directory of this process (0700, created once)."""
    warn_once(f"ad_compiler: {reason}; compiling into a private temporary directory instead")
    if not _PRIVATE:
        _PRIVATE.append(Path(tempfile.mkdtemp(prefix="ad_compiler-")))
    return _PRIVATE[0]


def is_private(path) -> bool:
    """Owned by the current user and not writable by group or others."""
    st = os.stat(path)
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def cache_dir() -> Path:
    """The cache directory: ``$AD_COMPILER_CACHE_DIR`` or ``~/.cache/ad_compiler``, created
    0700 if missing; a private temporary directory (one warning) when it cannot be created
    or written, or is not private to this user."""
    d = os.environ.get(ENV_VAR) or os.path.join(os.path.expanduser("~"), ".cache",
                                                 "ad_compiler")
    path = Path(d)
    if str(path) in _UNTRUSTED:
        return _private_dir(f"the cache directory {path} holds files that are not private "
                            f"to this user")
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            return _private_dir(f"the cache directory {path} is not writable")
        if not is_private(path):
            return _private_dir(f"the cache directory {path} is not private to this user "
                                f"(owned by another user or writable by others)")
    except OSError as exc:
        return _private_dir(f"the cache directory {path} cannot be used ({exc})")
    return path


@functools.lru_cache(maxsize=None)
def version_tag() -> str:
    """Everything besides the generated source that changes compiled machine code: the
    Python, NumPy, Numba and llvmlite versions, ad_compiler's version, and a hash of the
    runtime helpers', their Numba overloads' and the rule table's source (the overloads are compiled into every caller, and
    Numba's cache does not track them)."""
    import platform

    import numpy

    import ad_compiler

    parts = [f"python {platform.python_version()}", f"numpy {numpy.__version__}"]
    try:
        import llvmlite
        import numba
        parts += [f"numba {numba.__version__}", f"llvmlite {llvmlite.__version__}"]
    except ImportError:  # pragma: no cover
        parts.append("numba none")
    try:            # compiled code inlines its np.fft implementations (backends/numba/fft.py)
        from importlib.metadata import version
        parts.append(f"rocket-fft {version('rocket-fft')}")
    except Exception:  # noqa: BLE001 - not installed: no np.fft under Numba
        parts.append("rocket-fft none")
    parts.append(f"ad_compiler {ad_compiler.__version__}")
    parts.append(f"helpers {_dependencies_hash()}")
    return "; ".join(parts)


def _dependencies_hash() -> str:
    """A hash of every file whose code generated modules run or compile in: the ``_rt``
    helpers, their Numba overloads (:mod:`ad_compiler.backends.numba`) and the rule table
    whose primitives' Python bodies those overloads are registered on."""
    package = Path(__file__).resolve().parent.parent
    files = [package / "backends" / "helpers.py"]
    files += sorted((package / "backends" / "numba").glob("*.py"))
    files += sorted((package / "rules").glob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def source_hash(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _safe_name(name: str) -> str:
    name = re.sub(r"\W", "_", name)
    return name if name and not name[0].isdigit() else "_" + name


def module_path(source: str, module_name: str) -> Path:
    """``<cache_dir>/<module_name>_<source_hash(source)>.py``."""
    return cache_dir() / f"{_safe_name(module_name)}_{source_hash(source)}.py"


def write_source(source: str, module_name: str) -> Path:
    """Write ``source`` to :func:`module_path` unless that file exists (it is never
    rewritten: same name, same content), atomically (temporary file + ``os.link``), so
    that concurrent processes never see a partial file."""
    path = module_path(source, module_name)
    (path.parent / "__pycache__").mkdir(mode=0o700, exist_ok=True)
    if path.exists() and not _holds(path, source):
        warn_once(f"ad_compiler: the cache entry {path} was damaged; recompiling it")
        discard(path)
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(source)
            try:
                os.link(tmp, path)  # atomic, and fails if another process won the race
            except FileExistsError:
                pass  # keep the winner's file (same content) and its mtime
            except OSError:  # no hard links on this file system
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return path


def _holds(path, source) -> bool:
    try:
        return path.read_bytes() == source.encode("utf-8")
    except OSError:
        return False


def _numba_files(path) -> list:
    folder = path.parent / "__pycache__"
    try:
        return sorted(p for p in folder.iterdir() if p.name.startswith(path.stem + ".")
                      and p.suffix in (".nbi", ".nbc"))
    except OSError:
        return []


def _sums_path(path):
    return path.with_suffix(".sums")


def _digest(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def discard(path):
    """Remove a cache entry: the module, its checksums and Numba's files for it."""
    for p in [path, _sums_path(path), *_numba_files(path)]:
        try:
            p.unlink()
        except OSError:
            pass


def seal(path):
    """Record the SHA-256 of Numba's files of entry ``path`` (after Numba wrote them)."""
    with LOCK:
        try:
            sums = {p.name: _digest(p) for p in _numba_files(path)}
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                json.dump(sums, f)
            os.replace(tmp, _sums_path(path))
        except OSError:
            pass          # an unsealed entry is recompiled next time: slower, never wrong


def verify_numba_files(path) -> bool:
    """Whether Numba's files of entry ``path`` are the ones :func:`seal` recorded (True
    when there are none); unverified files are removed (one warning)."""
    files = _numba_files(path)
    if not files:
        return True
    sums_path = _sums_path(path)
    try:
        sums = json.loads(sums_path.read_text())
        ok = isinstance(sums, dict) and all(sums.get(p.name) == _digest(p) for p in files)
    except (OSError, ValueError):
        ok = False
    if not ok:
        if sums_path.exists():      # (files not sealed yet: another process is compiling)
            warn_once(f"ad_compiler: Numba's cache files of {path.name} are damaged; "
                      f"recompiling")
        for p in [*files, _sums_path(path)]:
            try:
                p.unlink()
            except OSError:
                pass
    return ok


def load_module(source: str, module_name: str):
    """Write ``source`` to the cache (:func:`write_source`) and import it as a module named
    after the file's stem (``<module_name>_<hash>``), registered in ``sys.modules`` before it
    runs. The same source loaded twice in one process gives the same module object."""
    with LOCK:
        return _load_module(source, module_name)


def _load_module(source, module_name):
    path = write_source(source, module_name)
    if not (is_private(path) and is_private(path.parent) and
            is_private(path.parent / "__pycache__")):
        _UNTRUSTED.add(str(path.parent))
        path = write_source(source, module_name)    # now in a private directory
    key = path.stem
    mod = sys.modules.get(key)
    if mod is not None and getattr(mod, "__file__", None) == str(path):
        return mod
    verify_numba_files(path)
    spec = importlib.util.spec_from_file_location(key, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[key] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(key, None)
        raise
    return mod
