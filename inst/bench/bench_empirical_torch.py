#!/usr/bin/env python3
"""Empirical JNTK of an MLP by PyTorch autograd, the baseline of bench_empirical.R.

Usage: python3 bench_empirical_torch.py DIR THREADS REPEATS
DIR holds meta.txt (activation d N L1 sigma_w sigma_b kappa), x.bin (N x d),
W<l>.bin / b<l>.bin (column-major float64, as written by bench_empirical.R).
Writes K.bin (the N(d+1) x N(d+1) JNTK, column-major) and prints
"seconds <best total time>" and "gradients <time of the gradient rows alone,
without the Gram product>". Exits with status 3 if torch is missing; installs nothing.

The quantity: rows u = (f(x_1..x_N), df/dx at x_1 (d entries), ..., at x_N)
(block-major, as jntk's), the N(d+1) x P matrix of their parameter gradients
by reverse-mode autograd (one backward pass per row through the double-
backward graph), and its Gram matrix, all in float64.
"""
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print("missing", e)
    sys.exit(3)


def main():
    d_in, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    meta = open(f"{d_in}/meta.txt").read().split()
    act, d, N, L1 = meta[0], int(meta[1]), int(meta[2]), int(meta[3])
    sw, sb, kappa = float(meta[4]), float(meta[5]), float(meta[6])
    x = np.fromfile(f"{d_in}/x.bin", dtype=np.float64).reshape((N, d), order="F")
    Ws, bs = [], []
    n_prev = d
    for l in range(1, L1 + 1):
        b = np.fromfile(f"{d_in}/b{l}.bin", dtype=np.float64)
        W = np.fromfile(f"{d_in}/W{l}.bin", dtype=np.float64).reshape((len(b), n_prev), order="F")
        Ws.append(torch.tensor(W, requires_grad=True))
        bs.append(torch.tensor(b, requires_grad=True))
        n_prev = len(b)
    params = [p for pair in zip(Ws, bs) for p in pair]
    phi = {"erf": torch.erf, "gelu": lambda h: h * 0.5 * torch.erfc(-h / 2 ** 0.5),
           "tanh": torch.tanh}[act]

    def forward(xt):
        z = xt
        for l in range(L1):
            h = sw / z.shape[1] ** 0.5 * z @ Ws[l].T + sb * bs[l]
            z = phi(h) if l < L1 - 1 else h
        return kappa * z[:, 0]

    def jntk():
        xt = torch.tensor(x, requires_grad=True)
        f = forward(xt)
        J, = torch.autograd.grad(f.sum(), xt, create_graph=True)  # N x d
        u = torch.cat([f, J.reshape(-1)])                          # block-major
        rows = []
        for r in range(u.shape[0]):
            g = torch.autograd.grad(u[r], params, retain_graph=True)
            rows.append(torch.cat([gi.reshape(-1) for gi in g]))
        G = torch.stack(rows)                                       # N(d+1) x P
        t1 = time.perf_counter()
        K = G @ G.T
        return K, t1

    best, best_grad = float("inf"), float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        K, t1 = jntk()
        t2 = time.perf_counter()
        best = min(best, t2 - t0)
        best_grad = min(best_grad, t1 - t0)
    K.detach().numpy().astype(np.float64).ravel(order="F").tofile(f"{d_in}/K.bin")
    print(f"seconds {best:.6f}")
    print(f"gradients {best_grad:.6f}")


if __name__ == "__main__":
    main()
