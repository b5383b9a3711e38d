"""The lecture notes' worked derivative problems on ad_compiler Tensors.

    python examples/seed_derivatives.py

1. y = 3x^2 + 2x + 1 at x = 2 (dy/dx = 6x + 2 = 14)
2. y = w*x + b at x=3, w=4, b=5 (dy/dw = 3, dy/db = 1, x.grad is None)
3. e = (a + b) * (b + 1) at a=2, b=1: the sum over paths, de/db = 1*2 + 1*3 = 5
4. z = log(3x^2 + 5xy) at x=2, y=3 with retain_grad on every intermediate value
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import ad_compiler as ad  # noqa: E402


def polynomial():
    x = ad.tensor([2.0], requires_grad=True)
    y = 3 * x**2 + 2 * x + 1
    y.backward()
    print("Input variable (x):", x.item())
    print("Result of the expression (y):", y.item())
    print("Gradient of y with respect to x:", x.grad.item())


def linear():
    x = ad.tensor(3.)
    w = ad.tensor(4., requires_grad=True)
    b = ad.tensor(5., requires_grad=True)
    print(x, w, b)
    y = w * x + b
    print(y)
    y.backward()
    print('dy/dx:', x.grad)
    print('dy/dw:', w.grad)
    print('dy/db:', b.grad)


def sum_over_paths():
    a = ad.tensor(2.0, requires_grad=True)
    b = ad.tensor(1.0, requires_grad=True)
    c = a + b
    d = b + 1
    e = c * d
    print('c', c)
    print('d', d)
    print('e', e)
    e.backward()
    print('de/da =', a.grad, ' de/db =', b.grad, ' (1*2 + 1*3)')


def log_with_retain_grad():
    x = ad.tensor([2.0], requires_grad=True)
    y = ad.tensor([3.0], requires_grad=True)
    a = x**2; a.retain_grad()
    b = 3 * a; b.retain_grad()
    c = x * y; c.retain_grad()
    d = 5 * c; d.retain_grad()
    e = b + d; e.retain_grad()
    z = ad.log(e); z.retain_grad()
    z.backward()
    print(z)
    for name, t in [("x", x), ("y", y), ("a", a), ("b", b), ("c", c), ("d", d), ("e", e),
                    ("z", z)]:
        print(f"{name} grad = ", t.grad)
    try:
        a.requires_grad = True
    except RuntimeError as err:
        print("RuntimeError:", err)


if __name__ == "__main__":
    for fn in (polynomial, linear, sum_over_paths, log_with_retain_grad):
        print(f"--- {fn.__name__}")
        fn()
