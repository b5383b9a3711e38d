"""Grad mode: a thread-local flag saying whether operations on Tensors record the graph.

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode`` work as context
managers and as decorators, as in PyTorch. Inference mode also makes the tensors created in it
*inference tensors* (see :class:`InferenceBox`), and grad mode cannot be turned back on inside
it (PyTorch's ``enable_grad`` there records nothing).
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True
    inference = False


class InferenceBox(list):
    """The version box of an inference tensor: PyTorch's inference tensors have no version
    counter, may not be saved for backward, and change in place only in inference mode. A
    tensor is one when its box (shared with its views) is of this class."""

    __slots__ = ()


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _GradModeContext:
    """Base of the grad-mode context managers; usable as a decorator too."""

    _mode = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._mode and not STATE.inference
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

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
        STATE.enabled = self._mode and not STATE.inference   # at once, like PyTorch

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
            STATE.enabled = mode and not STATE.inference
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.enabled = prev

        return wrapper

    def clone(self):
        return set_grad_enabled.__new__(set_grad_enabled)


class inference_mode(_GradModeContext):
    """``inference_mode()``: no recording, and the tensors created inside are inference
    tensors; ``inference_mode(False)`` leaves inference mode with grad mode on."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):                       # ``@inference_mode`` without parentheses
            self._mode = True
            return self.__call__(mode)
        self._mode = bool(mode)
        return self

    def __init__(self, mode=True):
        pass

    def __enter__(self):
        self._prev = (STATE.enabled, STATE.inference)
        STATE.enabled = not self._mode
        STATE.inference = self._mode
        return self

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self._prev
        return False

    def clone(self):
        return inference_mode(self._mode)
