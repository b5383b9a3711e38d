"""The on-disk cache of generated modules: where it lives, how files are named, how they load.

Generated source is written to ``<cache_dir()>/<name>_<sha256(text)[:16]>.py`` once and never
rewritten (Numba's cache index keys on the file's path, mtime and size), then imported from
that file with ``importlib`` under a ``sys.modules`` entry made *before* ``exec_module``
(without it a Numba cache hit in a new process fails with ``ModuleNotFoundError``; see
NUMBA_NOTES.md). Numba's own ``.nbi``/``.nbc`` files land in ``__pycache__`` beside it.

Set ``AD_COMPILER_CACHE_DIR`` to move the cache (read on every call, so tests can point it at
a temporary directory); the default is ``~/.cache/ad_compiler``.
"""

import functools
import hashlib
import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "version_tag", "source_hash", "module_path", "write_source",
           "load_module"]

ENV_VAR = "AD_COMPILER_CACHE_DIR"


def cache_dir() -> Path:
    """The cache directory (created if missing): ``$AD_COMPILER_CACHE_DIR`` or
    ``~/.cache/ad_compiler``."""
    d = os.environ.get(ENV_VAR) or os.path.join(os.path.expanduser("~"), ".cache",
                                                 "ad_compiler")
    path = Path(d)
    path.mkdir(parents=True, exist_ok=True)
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


def load_module(source: str, module_name: str):
    """Write ``source`` to the cache (:func:`write_source`) and import it as a module named
    after the file's stem (``<module_name>_<hash>``), registered in ``sys.modules`` before it
    runs. The same source loaded twice in one process gives the same module object."""
    path = write_source(source, module_name)
    key = path.stem
    mod = sys.modules.get(key)
    if mod is not None and getattr(mod, "__file__", None) == str(path):
        return mod
    spec = importlib.util.spec_from_file_location(key, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[key] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(key, None)
        raise
    return mod
