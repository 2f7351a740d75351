# Benchmark of the analytic kernels (issues: plain kernels, Jacobian kernels).
# Run from anywhere with the package installed:
#   Rscript inst/bench/bench_kernels.R            (full sizes, a few minutes)
#   JNTK_BENCH_SMALL=true Rscript inst/bench/bench_kernels.R   (quick check)
# Every ratio is against a baseline measured in the same run.
suppressPackageStartupMessages(library(jntk))
small <- identical(Sys.getenv("JNTK_BENCH_SMALL"), "true")
N <- if (small) 500 else 2000
d <- 50
set.seed(1)
x <- matrix(rnorm(N * d), N, d)

`%||%` <- function(a, b) if (is.null(a)) b else a
timeit <- function(f, reps = 3) min(vapply(seq_len(reps), function(i) system.time(f())[["elapsed"]], 0))

# --- straightforward vectorised base-R implementation of the same recursion
r_ntk <- function(x, depth, act, sigma_w = 1, sigma_b = 0.1, K = 200) {
  d <- ncol(x)
  S <- sigma_w^2 * tcrossprod(x) / d + sigma_b^2
  Th <- S
  a <- diag(S)
  if (act == "tanh") { # probabilists' Gauss-Hermite rule (Golub-Welsch), 2K nodes
    n <- 2 * K; J <- matrix(0, n, n)
    J[cbind(1:(n - 1), 2:n)] <- J[cbind(2:n, 1:(n - 1))] <- sqrt(1:(n - 1))
    e <- eigen(J, symmetric = TRUE)
    H <- matrix(0, n, K); H[, 1] <- 1; H[, 2] <- e$values
    for (k in 2:(K - 1)) H[, k + 1] <- (e$values * H[, k] - sqrt(k - 1) * H[, k - 1]) / sqrt(k)
    gh <- list(nodes = e$values, weights = e$vectors[1, ]^2, hermite = H)
  }
  for (l in seq_len(depth)) {
    sa <- sqrt(a)
    rho <- pmin(pmax(S / outer(sa, sa), -1), 1)
    if (act == "relu") {
      th <- acos(rho)
      g <- outer(sa, sa) * (sin(th) + (pi - th) * cos(th)) / (2 * pi)
      gd <- (pi - th) / (2 * pi)
    } else if (act == "erf") {
      g <- 2 / pi * asin(2 * S / sqrt(outer(1 + 2 * a, 1 + 2 * a)))
      gd <- 4 / pi / sqrt(outer(1 + 2 * a, 1 + 2 * a) - 4 * S^2)
    } else {
      # Mehler series with Hermite coefficients per point, as the C code
      A0 <- t(gh$hermite) %*% (gh$weights * tanh(outer(gh$nodes, sa)))          # K x N
      A1 <- t(gh$hermite) %*% (gh$weights * (1 - tanh(outer(gh$nodes, sa))^2))
      g <- gd <- matrix(0, nrow(S), ncol(S)); rk <- 1
      for (k in seq_len(K)) {
        g <- g + outer(A0[k, ], A0[k, ]) * rk
        gd <- gd + outer(A1[k, ], A1[k, ]) * rk
        rk <- rk * rho
      }
    }
    Sn <- sigma_w^2 * g + sigma_b^2
    Th <- Sn + sigma_w^2 * gd * Th
    S <- Sn
    a <- diag(S)
  }
  Th
}

cat(sprintf("jntk kernel benchmark: N = %d, d = %d, depth 3, sigma_b = 0.1 (%s)\n", N, d,
            if (small) "small" else "full"))
cat(sprintf("BLAS: %s\n\n", sessionInfo()$BLAS %||% "unknown"))
res <- list()
for (act in c("relu", "erf", "tanh")) {
  net <- mlp(3, act, sigma_b = 0.1)
  tc1 <- timeit(function() ntk(net, x, threads = 1L))
  tc2 <- timeit(function() ntk(net, x, threads = 2L))
  tr <- timeit(function() r_ntk(x, 3, act), reps = if (act == "tanh") 1 else 2)
  err <- max(abs(ntk(net, x) - r_ntk(x, 3, act))) / max(abs(ntk(net, x)))
  res[[act]] <- c(tc1 = tc1, tc2 = tc2, tr = tr)
  cat(sprintf("%-5s C 1 thread %7.3fs | C 2 threads %7.3fs | vectorised R %7.3fs | R/C %6.1fx (goal >= 10) | 2-thread speed-up %4.2fx (goal >= 1.7) | max rel diff %.1e\n",
              act, tc1, tc2, tr, tr / tc1, tc1 / tc2, err))
}
cat(sprintf("\nquadrature (tanh, Hermite series) / closed form: %.1fx vs relu, %.1fx vs erf\n",
            res$tanh[["tc1"]] / res$relu[["tc1"]], res$tanh[["tc1"]] / res$erf[["tc1"]]))

# --- series activations (certified to quadrature_tol = 1e-10) against closed
# forms, CPU time, measured interleaved in rounds so that load changes hit
# all alike: ntk() and the structured jntk()
cpu <- function(f) { f(); t <- proc.time(); f(); (proc.time() - t)[["user.self"]] }
acts <- c("relu", "erf", "gelu", "tanh", "softplus", "sigmoid", "silu")
xs <- x[seq_len(if (small) 300 else 1000), ]; xsj <- x[seq_len(if (small) 100 else 300), ]
tp <- tj <- setNames(numeric(length(acts)), acts)
for (round in 1:3) for (act in acts) {
  net <- mlp(3, act, sigma_b = 0.1)
  tp[act] <- tp[act] + cpu(function() ntk(net, xs, threads = 1L))
  if (act != "relu") tj[act] <- tj[act] + cpu(function() jntk(net, xsj, as = "structured", threads = 1L))
}
cat(sprintf("\nseries / closed form, ntk() N = %d (CPU s): relu %.3f, erf %.3f\n", nrow(xs),
            tp[["relu"]] / 3, tp[["erf"]] / 3))
for (act in acts[4:7]) {
  cat(sprintf("  %-8s ntk %.1fx relu, %.1fx erf | structured jntk N = %d: %.1fx erf, %.1fx gelu (goal <= 10)\n",
              act, tp[[act]] / tp[["relu"]], tp[[act]] / tp[["erf"]], nrow(xsj),
              tj[[act]] / tj[["erf"]], tj[[act]] / tj[["gelu"]]))
}

# --- Jacobian kernels
NJ <- if (small) 300 else 1000
xj <- x[seq_len(NJ), ]
net <- mlp(3, "erf", sigma_b = 0.1)
t_ntk <- timeit(function() ntk(net, xj))
t_struct <- timeit(function() jntk(net, xj, as = "structured"))
cat(sprintf("\nJNTK structured build, N = %d, d = %d: %.3fs; ntk(): %.3fs; ratio %.2f (goal <= 3)\n",
            NJ, d, t_struct, t_ntk, t_struct / t_ntk))

dm <- if (small) 196 else 784
NM <- if (small) 300 else 1000
xm <- matrix(rnorm(NM * dm), NM, dm)
S <- jntk(net, xm, as = "structured")
v <- rnorm(NM * (dm + 1))
t_mv <- timeit(function() S %*% v)
A <- matrix(rnorm(NM * dm), NM, dm)
t_gemm <- timeit(function() A %*% t(A))
cat(sprintf("S %%*%% v, N = %d, d = %d (dense matrix would be %.1f GB): %.3fs = %.2f x one N x N x d matrix product (%.3fs; goal: a few)\n",
            NM, dm, 8 * (NM * (dm + 1))^2 / 1e9, t_mv, t_mv / t_gemm, t_gemm))

Sd <- jntk(net, xj[1:(NJ / 2), ], as = "structured")
t_dense <- timeit(function() as.matrix(Sd))
nbytes <- 8 * prod(dim(Sd))
buf <- numeric(prod(dim(Sd)))
t_fill <- timeit(function() { b <- buf; b[] <- 1.5; b })
cat(sprintf("dense assembly of a %d x %d JNTK: %.3fs (%.2f GB/s written); filling a vector of the same size in R: %.3fs; ratio %.2f\n",
            dim(Sd)[1], dim(Sd)[2], t_dense, nbytes / t_dense / 1e9, t_fill, t_dense / t_fill))
