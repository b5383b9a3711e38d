"""Grad mode: a thread-local flag saying whether operations on Tensors record the graph.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and as
decorators, as in PyTorch.
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; usable as a decorator too."""

    _mode = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._mode
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = STATE.enabled
            STATE.enabled = self._mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.enabled = prev

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Operations inside do not record the graph: ``with ad.no_grad(): w -= lr * w.grad``."""

    _mode = False

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            return self.__call__(orig_func)      # used as ``@no_grad`` without parentheses
        return self

    def __init__(self, orig_func=None):
        pass


class enable_grad(no_grad):
    """Operations inside record the graph, even inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` as a function call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self._mode        # takes effect at once, like PyTorch

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        STATE.enabled = self._prev        # used as a decorator: undo the immediate effect
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = STATE.enabled
            STATE.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.enabled = prev

        return wrapper

    def clone(self):
        return set_grad_enabled.__new__(set_grad_enabled)


class inference_mode(no_grad):
    """Like ``no_grad`` here (no separate inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode):
            return no_grad.__new__(cls, mode)
        self = object.__new__(cls)
        self._mode = not mode
        return self

    def __init__(self, mode=True):
        pass
