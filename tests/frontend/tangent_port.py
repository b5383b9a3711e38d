"""Arguments for the Tangent corpus port and a checker of one function on one backend.

``check(name, backend)`` differentiates the port's function ``name`` with respect to every
float argument (scalars, arrays, and the float leaves of tuple/dict arguments) and compares
with central finite differences; a function returning a tuple is checked through
``ad.vjp`` with a random cotangent. ``python -m tests.frontend.tangent_port`` (or running the
file) prints the count per backend.
"""
import inspect
import sys

import numpy as np

import ad_compiler as ad

try:
    from . import _tangent_corpus as corpus
except ImportError:
    import _tangent_corpus as corpus

_rng = np.random.default_rng(3)


def _vec(n=3):
    return _rng.uniform(0.4, 1.2, size=n)


def _default(param):
    if param in ("a", "b", "c"):
        return float(_rng.uniform(0.5, 1.4))
    if param == "n":
        return 3
    if param == "x":
        return _vec()
    raise KeyError(param)


SPECIAL = {
    "numpy_arccos": (0.3,), "numpy_arcsin": (-0.4,), "numpy_sqrt": (-0.7,),
    "while_big": (3.0,), "gradgrad_pow": (0.8, 2.5),
    "logistic_regression": (_rng.random(3), np.eye(5)[1], _rng.normal(size=(3, 5)),
                            _rng.normal(size=5)),
    "det": (_rng.normal(size=(3, 3)),),
    "rnn": (_rng.normal(size=(3, 2)), _rng.normal(size=(2, 3))),
    "bilinear": (_rng.normal(size=(1, 3)), _rng.normal(size=(1, 3)),
                 _rng.normal(size=(3, 3)), _rng.normal(size=(3, 3)),
                 _rng.normal(size=(1, 3))),
    "unpacking_args_saxpy": ((0.7, 1.3, -0.4),),
    "dict_saxpy": ({"a": 0.7, "b": 1.3, "c": -0.4},),
    "dict_wrapper": ((0.7, 1.3, -0.4),),
    "passthru_pack": (0.7, 1.3, -0.4, 1),
    "passthru_unpack": ((0.7, 1.3, -0.4),),
    "nested_dict": ({"i": {"j": 0.6, "k": -1.7}},),
    "listcomp": (_vec(4),),
    "extended_slice": (_vec(5),),
    "test_deep_anf_list": (_vec(4),),
    "init_array_grad_maybe_active": (_vec(4),),
}

NAMES = [name for name, fn in vars(corpus).items()
         if inspect.isfunction(fn) and fn.__module__ == corpus.__name__]


def arguments(name):
    if name in SPECIAL:
        return SPECIAL[name]
    fn = getattr(corpus, name)
    return tuple(_default(p) for p in inspect.signature(fn).parameters)


# --- pytrees of floats, flattened for finite differences ----------------------------------
def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _rebuild(tree, leaves):
    if isinstance(tree, dict):
        return {k: _rebuild(tree[k], leaves) for k in sorted(tree)}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_rebuild(item, leaves) for item in tree)
    return leaves.pop(0)


def _copy(tree):
    return _rebuild(tree, [np.array(v) if isinstance(v, np.ndarray) else v
                           for v in _leaves(tree)])


def _differentiable(arg):
    leaves = _leaves(arg)
    return all(isinstance(v, float) or (isinstance(v, np.ndarray) and v.dtype.kind == "f")
               for v in leaves)


def _fd(f, args, i, h=1e-6):
    """Central differences of the scalar ``f`` w.r.t. every leaf of ``args[i]``."""
    leaves = _leaves(args[i])
    out = []
    for k, leaf in enumerate(leaves):
        if isinstance(leaf, np.ndarray):
            g = np.zeros_like(leaf)
            for idx in np.ndindex(leaf.shape):
                vals = []
                for s in (h, -h):
                    moved = [np.array(v) if isinstance(v, np.ndarray) else v for v in leaves]
                    moved[k][idx] += s
                    vals.append(_call(f, args, i, moved))
                g[idx] = (vals[0] - vals[1]) / (2 * h)
            out.append(g)
        else:
            vals = []
            for s in (h, -h):
                moved = list(leaves)
                moved[k] = leaf + s
                vals.append(_call(f, args, i, moved))
            out.append((vals[0] - vals[1]) / (2 * h))
    return out


def _call(f, args, i, leaves):
    new = [_copy(a) for a in args]
    new[i] = _rebuild(args[i], [np.array(v) if isinstance(v, np.ndarray) else v
                                for v in leaves])
    return float(f(*new))


def _close(got, want, what):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    assert np.max(np.abs(got - want), initial=0.0) <= 1e-5 * scale, \
        f"{what}: got {got}, finite differences {want}"


def check(name, backend):
    """Raise AssertionError (or the compiler's error) unless ``name`` differentiates right."""
    f = getattr(corpus, name)
    args = arguments(name)
    wrt = tuple(i for i, a in enumerate(args) if _differentiable(a))
    out = f(*[_copy(a) for a in args])
    if isinstance(out, tuple):
        weights = [float(w) for w in _rng.normal(size=len(out))]

        def scalar(*xs):
            return sum(w * o for w, o in zip(weights, f(*xs)))

        _, pullback = ad.vjp(f, *[_copy(a) for a in args], backend=backend)
        grads = pullback(tuple(weights))
        grads = tuple(grads[i] for i in wrt)
    else:
        scalar = f
        grads = ad.grad(f, wrt=wrt, backend=backend)(*[_copy(a) for a in args])
    for i, g in zip(wrt, grads):
        for k, (got, want) in enumerate(zip(_leaves(g), _fd(scalar, args, i))):
            _close(got, want, f"{name} on {backend}: d/d args[{i}] leaf {k}")


def count(backend):
    passed, failed = [], {}
    for name in NAMES:
        try:
            check(name, backend)
            passed.append(name)
        except Exception as exc:  # noqa: BLE001 -- a report of every kind of failure
            failed[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    return passed, failed


if __name__ == "__main__":
    for backend in sys.argv[1:] or ["python"]:
        passed, failed = count(backend)
        print(f"{backend}: {len(passed)} of {len(NAMES)} pass")
        for name, why in failed.items():
            print(f"  {name}: {why}")
