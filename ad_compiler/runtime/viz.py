"""``make_dot``: Graphviz DOT source of the backward graph behind a Tensor (like torchviz).

Blue boxes are leaves (named from ``params`` when given), grey boxes backward nodes, the green
box the output. The result is the DOT text (a ``str``) with ``render``/``save`` helpers; it
needs neither the ``graphviz`` package nor the ``dot`` program unless you render it.
"""

from __future__ import annotations

import shutil
import subprocess


def _size(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _quote(s):
    return '"' + str(s).replace('"', '\\"').replace("\n", "\\n") + '"'


class DotGraph(str):
    """DOT source; ``str(g)`` is the text, ``g.source`` too."""

    @property
    def source(self):
        return str(self)

    def save(self, filename):
        with open(filename, "w") as f:
            f.write(str(self))
        return filename

    def render(self, filename="graph", format="png", cleanup=False):
        """Write ``filename.format`` with the ``graphviz`` package or the ``dot`` program."""
        out = f"{filename}.{format}"
        try:
            import graphviz
            graphviz.Source(str(self)).render(filename, format=format, cleanup=True)
            return out
        except ImportError:
            pass
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("rendering needs the 'graphviz' package or the 'dot' program; "
                               "the DOT text itself is available as str(graph)")
        subprocess.run([dot, f"-T{format}", "-o", out], input=str(self).encode(), check=True)
        return out

    def _repr_svg_(self):
        try:
            import graphviz
            return graphviz.Source(str(self))._repr_image_svg_xml()
        except Exception:
            return None


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """DOT source of the graph of ``var`` (a Tensor or a tuple of them); ``params`` maps
    names to Tensors to label the leaves (and the outputs)."""
    from .engine import AccumulateGrad
    from .tensor import Tensor

    names = {id(v): k for k, v in (params or {}).items()}
    lines = ["digraph {", '\tgraph [size="12,12"]',
             '\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 '
             'shape=box style=filled]']
    seen = set()

    def label_of(t, default=""):
        name = names.get(id(t), default)
        return f"{name}\n {_size(t)}" if name else _size(t)

    def add_node(fn):
        if fn is None or id(fn) in seen:
            return
        seen.add(id(fn))
        if isinstance(fn, AccumulateGrad):
            v = fn.variable
            lines.append(f"\t{id(v)} [label={_quote(label_of(v))} fillcolor=lightblue]")
            lines.append(f"\t{id(v)} -> {id(fn)}")
            lines.append(f"\t{id(fn)} [label=AccumulateGrad]")
        else:
            label = fn.name()
            if show_attrs and fn._attrs:
                attrs = "\n".join(f"{k}: {str(v)[:max_attr_chars]}" for k, v in
                                  fn._attrs.items())
                label += "\n" + "-" * max(len(label), 8) + "\n" + attrs
            if show_saved and fn._saved is not None:
                shapes = [f"input {j}: {_size_of_shape(fn._shapes[j])}"
                          for j, s in enumerate(fn._saved) if isinstance(s, Tensor)]
                if fn._ans is not None:
                    shapes.append(f"result: {_size_of_shape(fn._ans[0].shape)}")
                if shapes:
                    label += "\n" + "\n".join(shapes)
            lines.append(f"\t{id(fn)} [label={_quote(label)}]")
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                add_node(nxt)
                lines.append(f"\t{id(nxt)} -> {id(fn)}")

    outs = var if isinstance(var, (tuple, list)) else (var,)
    for t in outs:
        lines.append(f"\t{id(t)} [label={_quote(label_of(t))} fillcolor=darkolivegreen1]")
        if t.grad_fn is not None:
            add_node(t.grad_fn)
            lines.append(f"\t{id(t.grad_fn)} -> {id(t)}")
    lines.append("}")
    return DotGraph("\n".join(lines) + "\n")


def _size_of_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"
