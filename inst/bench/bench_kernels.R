# Benchmark of the analytic kernels (issue 13): jntk against a vectorised
# numpy implementation of neural-tangents' formulas (bench_kernels_numpy.py),
# the Jacobian kernels, threads. One command, from the package source:
#   Rscript inst/bench/bench_kernels.R            (full sizes, a few minutes)
#   JNTK_BENCH_SMALL=true Rscript inst/bench/bench_kernels.R   (quick check)
# Every ratio is between runs interleaved in rounds within this one process
# (medians of CPU times), so a change of machine load hits both sides alike.
# When OpenBLAS can be fetched (openblas.sh) the script runs again with it.
suppressPackageStartupMessages(library(jntk))
here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f[1])) else system.file("bench", package = "jntk")
})
source(file.path(here, "bench_helpers.R"))
small <- identical(Sys.getenv("JNTK_BENCH_SMALL"), "true")
rounds <- if (small) 3L else 7L
N <- if (small) 500L else 2000L
d <- 50L
depth <- 3L
set.seed(1)
x <- matrix(rnorm(N * d), N, d)
bench_header(sprintf("analytic kernels, N = %d, d = %d, depth %d, sigma_b = 0.1, 1 thread", N, d, depth))

cpu <- function(f) { t <- proc.time(); f(); t <- proc.time() - t; t[["user.self"]] + t[["sys.self"]] }
med <- function(v) stats::median(v)

# --- the numpy peer: same inputs (raw float64 file), CPU time measured inside
# python (process_time, so interpreter start-up is not counted), 1 thread
py <- NULL
for (cand in unique(c(Sys.getenv("JNTK_PYTHON"), "/usr/bin/python3", Sys.which("python3")))) {
  if (!nzchar(cand) || !file.exists(cand)) next
  ok <- suppressWarnings(system2(cand, c("-c", shQuote("import numpy")), stdout = FALSE, stderr = FALSE))
  if (identical(ok, 0L)) { py <- cand; break }
}
peer_script <- file.path(here, "bench_kernels_numpy.py")
xfile <- tempfile(fileext = ".bin")
writeBin(as.vector(x), xfile)
peer <- function(act, n = N, out = NULL, file = xfile) {
  r <- system2(py, c(shQuote(peer_script), act, n, d, depth, 1, 0.1, if (!is.null(out)) shQuote(out)),
               stdout = TRUE, env = c(paste0("JNTK_BENCH_X=", file), "OMP_NUM_THREADS=1",
                                      "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1"))
  r <- r[grepl("^cpu=", r)]
  list(cpu = as.numeric(sub("^cpu=(\\S+).*", "\\1", r)), blas = sub(".*blas=(\\S+).*", "\\1", r),
       numpy = sub(".*numpy=(\\S+).*", "\\1", r))
}

acts <- c("relu", "erf")
if (is.null(py)) {
  cat("\n(no python3 with numpy: the numpy peer is skipped; Debian: apt-get install python3-numpy)\n")
} else {
  # agreement first (N = 300): the peer's relu loses digits next to the
  # diagonal (sqrt(1 - cos^2)), so its difference is ~1e-8 there, erf ~1e-15
  xs <- x[1:300, ]
  fs <- tempfile(fileext = ".bin"); writeBin(as.vector(xs), fs)
  info <- NULL
  agree <- vapply(acts, function(act) {
    o <- tempfile(fileext = ".bin")
    info <<- peer(act, 300L, o, fs)
    K <- matrix(readBin(o, "double", 300 * 300), 300, 300)
    J <- ntk(mlp(depth, act, sigma_b = 0.1), xs, threads = 1L)
    max(abs(K - J)) / max(abs(J))
  }, 0)
  cat(sprintf("\n-- jntk vs numpy %s (BLAS %s), neural-tangents' formulas, blocked, in place, upper triangle\n",
              info$numpy, info$blas))
  cat(sprintf("   agreement at N = 300: max |diff| / max |K| relu %.1e, erf %.1e\n", agree[["relu"]], agree[["erf"]]))
  tj <- tp <- matrix(NA_real_, rounds, length(acts), dimnames = list(NULL, acts))
  for (r in seq_len(rounds)) for (act in acts) {
    net <- mlp(depth, act, sigma_b = 0.1)
    tj[r, act] <- cpu(function() ntk(net, x, threads = 1L))
    tp[r, act] <- peer(act)$cpu
  }
  for (act in acts) {
    cat(sprintf("   %-4s ntk(): jntk %.3fs, numpy %.3fs CPU (medians of %d interleaved rounds): numpy/jntk %.2fx (goal >= 2)\n",
                act, med(tj[, act]), med(tp[, act]), rounds, med(tp[, act] / tj[, act])))
  }
}

# --- the recursion alone: ns per pair per layer from depth 2 depth vs depth,
# and the three entry points
cat("\n-- jntk per entry point (CPU s, medians) and the recursion per pair and layer\n")
pairs <- N * (N + 1) / 2
for (act in acts) {
  n1 <- mlp(depth, act, sigma_b = 0.1); n2 <- mlp(2L * depth, act, sigma_b = 0.1)
  t <- matrix(NA_real_, rounds, 5, dimnames = list(NULL, c("nngp", "ntk", "kernels", "ntk2", "ntk1t")))
  for (r in seq_len(rounds)) {
    t[r, "nngp"] <- cpu(function() nngp(n1, x, threads = 1L))
    t[r, "ntk"] <- cpu(function() ntk(n1, x, threads = 1L))
    t[r, "kernels"] <- cpu(function() kernels(n1, x, threads = 1L))
    t[r, "ntk2"] <- cpu(function() ntk(n2, x, threads = 1L))
  }
  ns <- 1e9 * med(t[, "ntk2"] - t[, "ntk"]) / (pairs * depth)
  cat(sprintf("   %-4s nngp() %.3fs, ntk() %.3fs, kernels() %.3fs; recursion %.1f ns per pair per layer (NTK and NNGP; goal <= 6)\n",
              act, med(t[, "nngp"]), med(t[, "ntk"]), med(t[, "kernels"]), ns))
}

# --- threads: 1 vs 2, CPU and wall (on a loaded machine wall time says little:
# the CPU/wall ratio shows how many cores the run actually had)
cat(sprintf("\n-- threads (%s)\n", bench_load()))
for (act in acts) {
  net <- mlp(depth, act, sigma_b = 0.1)
  w <- matrix(NA_real_, rounds, 4)
  for (r in seq_len(rounds)) {
    w[r, 1:2] <- cpu_wall(function() ntk(net, x, threads = 1L))
    w[r, 3:4] <- cpu_wall(function() ntk(net, x, threads = 2L))
  }
  cat(sprintf("   %-4s ntk() 1 thread %.3fs wall (%.3fs CPU), 2 threads %.3fs wall (%.3fs CPU): speed-up %.2fx wall (goal >= 1.8 on a quiet machine), CPU/wall %.2f\n",
              act, med(w[, 1]), med(w[, 2]), med(w[, 3]), med(w[, 4]), med(w[, 1] / w[, 3]),
              med(w[, 4] / w[, 3])))
}
k1 <- ntk(mlp(depth, "relu", sigma_b = 0.1), x, threads = 1L)
k2 <- ntk(mlp(depth, "relu", sigma_b = 0.1), x, threads = 2L)
cat(sprintf("   1 and 2 threads identical: %s\n", identical(k1, k2)))

# --- series activations (certified to quadrature_tol) against closed forms
xs <- x[seq_len(if (small) 300 else 1000), ]
tp <- setNames(numeric(3), c("relu", "erf", "tanh"))
for (r in seq_len(3)) for (act in names(tp)) {
  net <- mlp(depth, act, sigma_b = 0.1)
  tp[act] <- tp[act] + cpu(function() ntk(net, xs, threads = 1L))
}
cat(sprintf("\n-- series activation tanh (Hermite series), ntk() N = %d: %.1fx relu, %.1fx erf\n",
            nrow(xs), tp[["tanh"]] / tp[["relu"]], tp[["tanh"]] / tp[["erf"]]))

# --- Jacobian kernels: the structured build against ntk(), S %*% v in units
# of one N x N x d matrix product
NJ <- if (small) 300L else 1000L
xj <- x[seq_len(NJ), ]
net <- mlp(depth, "erf", sigma_b = 0.1)
tb <- matrix(NA_real_, rounds, 2)
for (r in seq_len(rounds)) {
  tb[r, 1] <- cpu(function() ntk(net, xj, threads = 1L))
  tb[r, 2] <- cpu(function() jntk(net, xj, as = "structured", threads = 1L))
}
cat(sprintf("\n-- Jacobian kernels (erf)\n   structured JNTK build, N = %d, d = %d: %.3fs; ntk(): %.3fs; ratio %.2f (goal <= 3)\n",
            NJ, d, med(tb[, 2]), med(tb[, 1]), med(tb[, 2] / tb[, 1])))
dm <- if (small) 196L else 784L
NM <- if (small) 300L else 1000L
xm <- matrix(rnorm(NM * dm), NM, dm)
S <- jntk(net, xm, as = "structured")
v <- rnorm(NM * (dm + 1))
V4 <- matrix(rnorm(NM * (dm + 1) * 4), ncol = 4)
A <- matrix(rnorm(NM * dm), NM, dm); B <- matrix(rnorm(NM * dm), dm, NM)
tm <- matrix(NA_real_, rounds, 4)
for (r in seq_len(rounds)) {
  tm[r, 1] <- cpu(function() A %*% B)
  # the first product also computes the N x N cosines the object then caches
  if (exists("rho", envir = S@cache, inherits = FALSE)) rm("rho", envir = S@cache)
  tm[r, 4] <- cpu(function() S %*% v)
  tm[r, 2] <- cpu(function() S %*% v)
  tm[r, 3] <- cpu(function() S %*% V4)
}
cat(sprintf("   S %%*%% v, N = %d, d = %d (dense would be %.1f GB): %.3fs = %.2f N x N x d products (one: %.3fs; goal <= 3.5); the first product on an object (computing its cached cosines) %.2f; 4 columns in one call: %.2f products per column\n",
            NM, dm, 8 * (NM * (dm + 1))^2 / 1e9, med(tm[, 2]), med(tm[, 2] / tm[, 1]), med(tm[, 1]),
            med(tm[, 4] / tm[, 1]), med(tm[, 3] / tm[, 1]) / 4))

bench_rerun_openblas("bench_kernels.R", character(0))
