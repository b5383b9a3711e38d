"""The backward graph of the lecture notes' examples as Graphviz DOT (``ad.make_dot``):
``y = c*sin(x) + x + c`` and the 2-layer tanh net. Writes ``.dot`` files next to this script,
and PNGs too when the ``graphviz`` package or the ``dot`` program is installed.

    python examples/seed_autograd_graph.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import ad_compiler as ad  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def graphs():
    x = ad.tensor(5.0, requires_grad=True)
    c = ad.tensor(3.0, requires_grad=True)
    y = c * ad.sin(x) + x + c
    print(y)
    print("y.grad_fn:", y.grad_fn.name(), "->", [(f.name() if f else None)
                                                 for f, _ in y.grad_fn.next_functions])
    g1 = ad.make_dot(y, dict(x=x, c=c, y=y))

    ad.manual_seed(0)
    w1 = ad.rand(20, 10).requires_grad_()
    b1 = ad.rand(20).requires_grad_()
    w2 = ad.rand(5, 20).requires_grad_()
    b2 = ad.rand(5).requires_grad_()
    x = ad.rand(10)
    h = ad.tanh(w1 @ x + b1)
    out = ad.tanh(w2 @ h + b2)
    targets = ad.rand(5)
    loss = (out - targets).pow(2).mean()
    g2 = ad.make_dot(loss, dict(w1=w1, b1=b1, w2=w2, b2=b2, loss=loss))
    return {"seed_graph_sin": g1, "seed_graph_mlp": g2}


def main():
    for name, g in graphs().items():
        path = g.save(os.path.join(HERE, name + ".dot"))
        print("wrote", path)
        try:
            print("rendered", g.render(os.path.join(HERE, name), format="png"))
        except RuntimeError as err:
            print(f"(not rendered: {err})")
    print(graphs()["seed_graph_sin"])


if __name__ == "__main__":
    main()
