#!/usr/bin/env python3
"""PyTorch reference for inst/bench/bench_training.R.

Jacobian-regularised full-batch gradient descent on
    L = 1/(2N) sum_i [(f(x_i) - y_i)^2 + lambda |grad_x f(x_i)|^2]
for the NTK-parametrised MLP of jntk (math.md section 1), in float64, with the
gradient of the lambda term by autograd double backward
(torch.autograd.grad(..., create_graph=True)).

Usage (normally called by bench_training.R):
    python3 bench_training_torch.py DIR THREADS STEPS
DIR holds meta.txt (width n d depth activation sigma_w sigma_b kappa lambda lr)
and raw little-endian float64 files x.bin (N x d, column-major as R writes
it), y.bin and theta.bin (vec(W_1), b_1, vec(W_2), b_2, ..., column-major).
Writes grad.bin (the gradient at theta, same layout) and prints the lines
"seconds_per_step <wall-clock value>" and "cpu_seconds_per_step <value>".
This script installs nothing; it exits with status 3 if torch is missing.
"""
import math
import os
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as err:  # pragma: no cover
    print("torch_missing %s" % err)
    sys.exit(3)


def main():
    folder, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    with open(os.path.join(folder, "meta.txt")) as fh:
        meta = fh.read().split()
    width, N, d, depth = (int(v) for v in meta[:4])
    act_name = meta[4]
    sw, sb, kappa, lam, lr = (float(v) for v in meta[5:10])
    act = {"erf": torch.erf, "tanh": torch.tanh, "gelu": torch.nn.functional.gelu,
           "relu": torch.relu}[act_name]

    def load(name, shape):
        a = np.fromfile(os.path.join(folder, name), dtype="<f8")
        return torch.from_numpy(a.reshape(shape, order="F").copy())

    x = load("x.bin", (N, d))
    y = load("y.bin", (N,))
    theta = np.fromfile(os.path.join(folder, "theta.bin"), dtype="<f8")
    sizes = [d] + [width] * depth + [1]
    params = []
    o = 0
    for k in range(depth + 1):
        m, kk = sizes[k + 1], sizes[k]
        W = torch.from_numpy(theta[o:o + m * kk].reshape((m, kk), order="F").copy())
        o += m * kk
        b = torch.from_numpy(theta[o:o + m].copy())
        o += m
        params += [W.requires_grad_(True), b.requires_grad_(True)]

    def loss_and_grad():
        xr = x.clone().requires_grad_(True)
        h = xr
        for k in range(depth + 1):
            W, b = params[2 * k], params[2 * k + 1]
            h = (sw / math.sqrt(W.shape[1])) * (h @ W.t()) + sb * b
            if k < depth:
                h = act(h)
        f = kappa * h[:, 0]
        J, = torch.autograd.grad(f.sum(), xr, create_graph=True)
        loss = ((f - y) ** 2).sum() / (2 * N) + lam * (J ** 2).sum() / (2 * N)
        grads = torch.autograd.grad(loss, params)
        return loss, grads

    loss, grads = loss_and_grad()
    flat = np.concatenate([g.detach().numpy().reshape(-1, order="F") for g in grads])
    flat.astype("<f8").tofile(os.path.join(folder, "grad.bin"))

    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(steps):
        loss, grads = loss_and_grad()
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print("seconds_per_step %.6g" % (elapsed / steps))
    print("cpu_seconds_per_step %.6g" % (cpu / steps))


if __name__ == "__main__":
    main()
