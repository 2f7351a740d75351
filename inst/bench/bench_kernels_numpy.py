"""A competent vectorised numpy peer of jntk's plain kernels (ntk()).

neural-tangents' formulas (stax.Relu, stax.Erf after stax.Dense with
W_std = sigma_w, b_std = sigma_b, the NTK parametrisation) evaluated the way a
careful numpy user would: blocks of B x B pairs over the upper triangle only,
all layers of a block while it is in cache, every operation in place (out=)
on preallocated block buffers, one arccos (relu) or arcsin (erf) per pair and
layer. Called by inst/bench/bench_kernels.R; also usable alone:

    python3 bench_kernels_numpy.py ACT N D DEPTH REPS [SIGMA_B] [OUT.bin]

prints one line "cpu=<s> wall=<s> blas=<name>" with the best of REPS runs
(time.process_time and time.perf_counter); with OUT.bin also writes the NTK
as raw float64 (column-major = row-major: it is symmetric) for checking.
The inputs are read from N*D float64 values in $JNTK_BENCH_X (column-major,
as R writes them) or drawn with seed 1 when unset.
"""
import os
import sys
import time

import numpy as np

PI = np.pi


def layer_relu(cov, ntk, sa, sb, prod, t1, t2):
    """One relu layer on a block (NNGP cov, NTK ntk): arc-cosine formulas."""
    np.multiply.outer(sa, sb, out=prod)          # sqrt(a b)
    np.divide(cov, prod, out=t1)                 # cos theta
    np.clip(t1, -1.0, 1.0, out=t1)
    np.arccos(t1, out=t2)                        # theta
    # NTK factor first (uses theta): gdot = (pi - theta) / (2 pi)
    np.subtract(PI, t2, out=t2)                  # pi - theta
    np.multiply(ntk, t2, out=ntk)
    np.multiply(ntk, 1.0 / (2.0 * PI), out=ntk)
    # NNGP: (sqrt(ab - c^2) + (pi - theta) c) / (2 pi)
    np.multiply(t2, cov, out=t2)
    np.multiply(t1, t1, out=t1)
    np.subtract(1.0, t1, out=t1)
    np.maximum(t1, 0.0, out=t1)
    np.sqrt(t1, out=t1)
    np.multiply(t1, prod, out=t1)
    np.add(t1, t2, out=cov)
    np.multiply(cov, 1.0 / (2.0 * PI), out=cov)


def layer_erf(cov, ntk, ua, ub, prod, t1, t2):
    """One erf layer: g = (2/pi) asin(2c / sqrt(uw)), gdot = (4/pi) / sqrt(uw - 4c^2)."""
    np.multiply.outer(ua, ub, out=prod)          # (1 + 2a)(1 + 2b)
    np.multiply(cov, cov, out=t1)
    np.multiply(t1, -4.0, out=t1)
    np.add(t1, prod, out=t1)
    np.sqrt(t1, out=t1)
    np.divide(4.0 / PI, t1, out=t1)              # gdot
    np.multiply(ntk, t1, out=ntk)
    np.sqrt(prod, out=prod)
    np.divide(cov, prod, out=t2)
    np.multiply(t2, 2.0, out=t2)
    np.clip(t2, -1.0, 1.0, out=t2)
    np.arcsin(t2, out=cov)
    np.multiply(cov, 2.0 / PI, out=cov)


def diag_next(act, a, sw2, sb2):
    if act == "relu":
        return sw2 * a / 2.0 + sb2
    u = 1.0 + 2.0 * a
    return sw2 * (2.0 / PI) * np.arcsin(2.0 * a / u) + sb2


def ntk(x, act, depth, sigma_w=1.0, sigma_b=0.1, block=256):
    n, d = x.shape
    sw2, sb2 = sigma_w ** 2, sigma_b ** 2
    # per-point variances of every layer
    var = [sw2 * np.einsum("ij,ij->i", x, x) / d + sb2]
    for _ in range(depth):
        var.append(diag_next(act, var[-1], sw2, sb2))
    out = np.empty((n, n))
    # flat buffers, viewed as contiguous bi x bj blocks (edge blocks too)
    bufs = [np.empty(block * block) for _ in range(6)]
    layer = layer_relu if act == "relu" else layer_erf
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        for j0 in range(i0, n, block):                 # upper triangle of blocks
            j1 = min(j0 + block, n)
            bi, bj = i1 - i0, j1 - j0
            g, c, t, p, t1, t2 = (b[:bi * bj].reshape(bi, bj) for b in bufs)
            np.dot(x[i0:i1], x[j0:j1].T, out=g)
            np.multiply(g, sw2 / d, out=c)
            np.add(c, sb2, out=c)
            np.copyto(t, c)
            for l in range(depth):
                va, vb = var[l][i0:i1], var[l][j0:j1]
                if act == "relu":
                    layer(c, t, np.sqrt(va), np.sqrt(vb), p, t1, t2)
                else:
                    layer(c, t, 1.0 + 2.0 * va, 1.0 + 2.0 * vb, p, t1, t2)
                np.multiply(c, sw2, out=c)             # Dense: sigma_w^2 g + sigma_b^2
                np.add(c, sb2, out=c)
                np.multiply(t, sw2, out=t)             # NTK: new NNGP + sigma_w^2 gdot ntk
                np.add(t, c, out=t)
            out[i0:i1, j0:j1] = t
            if j0 != i0:
                out[j0:j1, i0:i1] = t.T
    return out


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.25
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:
        pass
    try:  # numpy < 1.25
        info = getattr(np.__config__, "blas_opt_info", {}) or getattr(np.__config__, "blas_ilp64_opt_info", {})
        return ",".join(info.get("libraries", [])) or "unknown"
    except Exception:
        return "unknown"


def main():
    act, n, d, depth, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    sigma_b = float(sys.argv[6]) if len(sys.argv) > 6 else 0.1
    path = os.environ.get("JNTK_BENCH_X")
    if path:
        x = np.fromfile(path, dtype=np.float64).reshape((d, n)).T.copy()
    else:
        x = np.random.default_rng(1).standard_normal((n, d))
    best_cpu, best_wall, k = float("inf"), float("inf"), None
    for _ in range(reps):
        c0, w0 = time.process_time(), time.perf_counter()
        k = ntk(x, act, depth, sigma_b=sigma_b)
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    if len(sys.argv) > 7:
        k.tofile(sys.argv[7])
    print("cpu=%.6f wall=%.6f blas=%s numpy=%s" % (best_cpu, best_wall, blas_name(), np.__version__))


if __name__ == "__main__":
    main()
