"""The lecture notes' 2-layer net (N=64, 1000-100-10) trained with ``nn.Sequential``,
``nn.MSELoss(reduction='sum')`` and ``optim.Adam(lr=1e-4)``; the loss falls as the notes show
(their numbers: 71.0, 1.64, 0.0156, 6.4e-05, 8.3e-08; ours differ in the random data).

    python examples/seed_two_layer_net.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import ad_compiler as ad  # noqa: E402


def main(steps=500):
    ad.manual_seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = ad.randn(N, D_in)
    y = ad.randn(N, D_out)
    model = ad.nn.Sequential(
        ad.nn.Linear(D_in, H),
        ad.nn.ReLU(),
        ad.nn.Linear(H, D_out),
    )
    loss_fn = ad.nn.MSELoss(reduction='sum')
    learning_rate = 1e-4
    optimizer = ad.optim.Adam(model.parameters(), lr=learning_rate)
    start = time.perf_counter()
    losses = []
    for t in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"{(time.perf_counter() - start) / steps * 1e3:.2f} ms per step")
    return losses


if __name__ == "__main__":
    main()
