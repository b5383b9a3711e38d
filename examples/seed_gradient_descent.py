"""Gradient descent on the non-convex theta*cos(4*theta) + 2*|theta| for three step sizes
(from the lecture notes), with a PNG plot of the paths when matplotlib is installed.

    python examples/seed_gradient_descent.py [output.png]
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import ad_compiler as ad  # noqa: E402


def objective(theta):
    return theta * ad.cos(4 * theta) + 2 * ad.abs(theta)


def gradient_descent(objective, step_size=0.05, max_iter=100, init=0):
    theta_hat = ad.tensor(init, requires_grad=True)
    theta_hat_arr = [theta_hat.detach().numpy().copy()]
    obj_arr = [objective(theta_hat).detach().numpy()]
    for i in range(max_iter):
        if theta_hat.grad is not None:
            theta_hat.grad.zero_()
        out = objective(theta_hat)
        out.backward()
        with ad.no_grad():                      # update theta in place
            theta_hat -= step_size * theta_hat.grad
            theta_hat_arr.append(theta_hat.detach().numpy().copy())
            obj_arr.append(objective(theta_hat).detach().numpy())
    return np.array(theta_hat_arr), np.array(obj_arr)


def main(png=None):
    theta = ad.linspace(-5, 5, steps=100)
    y = objective(theta)
    theta_true = float(theta[np.argmin(y)])
    print(f"grid minimum: theta = {theta_true:.4f}")
    paths = {}
    for step_size in [0.05, 0.07, 0.15]:
        theta_hat_arr, obj_arr = gradient_descent(objective, step_size=step_size, init=0.5,
                                                  max_iter=100)
        paths[step_size] = (theta_hat_arr, obj_arr)
        print(f"step {step_size:.2f}: theta {theta_hat_arr[0]:.4f} -> {theta_hat_arr[-1]:.4f}, "
              f"objective {obj_arr[0]:.4f} -> {obj_arr[-1]:.4f}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return paths
    png = png or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "seed_gradient_descent.png")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    vis = np.linspace(-1.5, 1.5, 300)
    for ax, (step_size, (th, ob)) in zip(axes, paths.items()):
        ax.plot(vis, objective(ad.tensor(vis)).numpy(), label="Objective")
        ax.plot(th, ob, "o-", label="Gradient steps")
        ax.axvline(theta_true, color="g", label="True theta")
        ax.set_title(f"step size {step_size}")
        ax.legend()
    fig.savefig(png)
    print("plot written to", png)
    return paths


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
