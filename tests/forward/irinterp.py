"""A tiny reference interpreter of the IR (both flavours), for testing transforms without
the emitter."""
import numpy as np

from ad_compiler.frontend.ir import Assign, Const, For, If, Load, Prim, Store, Undef, While
from ad_compiler.rules import PRIMITIVES


def run_function(fn, *args):
    env = {}
    for p, a in zip(fn.params + fn.free_vars, args):
        env[id(p)] = a
    return tuple(_region(fn.body, env, []))


def _get(env, v):
    if isinstance(v, Const):
        return v.value
    if isinstance(v, Undef):
        return None
    return env[id(v)]


def _index(env, idx):
    vals = tuple(_get(env, i) for i in idx)
    return vals[0] if len(vals) == 1 else vals


def _region(region, env, args):
    for a, x in zip(region.args, args):
        env[id(a)] = x
    for op in region.ops:
        if isinstance(op, Prim):
            prim = PRIMITIVES[op.name]
            attrs = {**prim.attrs, **op.attrs}
            out = prim.impl(*[_get(env, v) for v in op.operands], **attrs)
            if isinstance(out, np.ndarray) and out.ndim == 0:
                out = out[()]
            env[id(op.results[0])] = out
        elif isinstance(op, Assign):
            env[id(op.results[0])] = _get(env, op.operands[0])
        elif isinstance(op, Load):
            arr, *idx = op.operands
            env[id(op.results[0])] = _get(env, arr)[_index(env, idx)]
        elif isinstance(op, Store):
            arr, *idx, val = op.operands
            a = _get(env, arr)
            if op.accumulate:
                a[_index(env, idx)] += _get(env, val)
            else:
                a[_index(env, idx)] = _get(env, val)
        elif isinstance(op, If):
            branch = op.then if _get(env, op.operands[0]) else op.orelse
            outs = _region(branch, env, [])
            for r, x in zip(op.results, outs):
                env[id(r)] = x
        elif isinstance(op, For):
            start, stop, step = (_get(env, v) for v in op.operands[:3])
            carried = [_get(env, v) for v in op.inits]
            for i in range(start, stop, step):
                carried = _region(op.body, env, [i, *carried])
            for r, x in zip(op.results, carried):
                env[id(r)] = x
        elif isinstance(op, While):
            carried = [_get(env, v) for v in op.inits]
            while _region(op.cond, env, carried)[0]:
                carried = _region(op.body, env, carried)
            for r, x in zip(op.results, carried):
                env[id(r)] = x
        else:
            raise TypeError(op)
    return [_get(env, v) for v in region.yields]
