"""Linear regression trained by hand: backward, then parameter updates under ``no_grad``
(lecture notes: ``w.grad, b.grad = None, None`` / ``with torch.no_grad(): w -= eta * w.grad``).

    python examples/seed_linear_regression.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import ad_compiler as ad  # noqa: E402


def main(steps=200, eta=0.1):
    ad.manual_seed(42)
    X_train = ad.randn(100, 5)
    true_w = ad.tensor([[1.0, -2.0, 0.5, 3.0, 0.0]])
    y = X_train @ true_w.t() + 0.7 + 0.01 * ad.randn(100, 1)

    w = ad.empty(1, 5).normal_(0, 1e-3).requires_grad_()
    b = ad.empty(1).normal_(0, 1e-3).requires_grad_()
    for k in range(steps):
        y_hat = X_train @ w.t() + b
        loss = (y_hat - y).pow(2).mean()
        w.grad, b.grad = None, None
        loss.backward()
        with ad.no_grad():
            w -= eta * w.grad
            b -= eta * b.grad
        if k % 50 == 0 or k == steps - 1:
            print(f"step {k:3d}  loss {loss.item():.6f}")
    print("w =", w)
    print("b =", b)
    return w, b


if __name__ == "__main__":
    main()
