"""Process-wide interpreter settings changed while the library builds, then given back.

A build (the pipeline's stages, a Numba compile) wants a setting the user may have chosen
otherwise: the garbage collector's thresholds, the recursion limit. Both belong to the
interpreter, shared by every thread, so the setting is changed when the first concurrent
build starts and the user's value comes back when the last one ends.
"""

from __future__ import annotations

import contextlib
import threading


class SharedSetting:
    """``held()``: a context in which the setting read by ``get`` and written by ``put`` is
    ``during(the user's value)``; the user's value is restored when the last holder leaves."""

    def __init__(self, get, put, during):
        self._get, self._put, self._during = get, put, during
        self._holders = 0
        self._users = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def held(self):
        with self._lock:
            if self._holders == 0:
                self._users = self._get()
                self._put(self._during(self._users))
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._put(self._users)
