"""The python backend: generated source -> an imported module (plain Python, no Numba).

The source is written to a real file in a cache directory, so tracebacks and debuggers show
the generated lines: ``$AD_COMPILER_CACHE_DIR`` or ``~/.cache/ad_compiler``, file name
``<module_name>_<sha256(source)[:16]>.py``, written atomically and never rewritten.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import types


def cache_dir() -> str:
    path = os.environ.get("AD_COMPILER_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "ad_compiler")
    os.makedirs(path, exist_ok=True)
    return path


def write_source(source: str, module_name: str) -> str:
    """The path of a file holding ``source`` (created atomically if missing)."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    directory = cache_dir()
    path = os.path.join(directory, f"{module_name}_{digest}.py")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{module_name}_", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(source)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return path


def load_module(source: str, module_name: str) -> types.ModuleType:
    """Import ``source`` as a module (registered in ``sys.modules`` under a name made unique
    by the source hash)."""
    path = write_source(source, module_name)
    unique = os.path.splitext(os.path.basename(path))[0]
    existing = sys.modules.get(unique)
    if existing is not None and getattr(existing, "__file__", None) == path:
        return existing
    spec = importlib.util.spec_from_file_location(unique, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(unique, None)
        raise
    return module
