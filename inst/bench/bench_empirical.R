# Benchmarks of the empirical kernels (issues 4 and 13).
#
#   Rscript inst/bench/bench_empirical.R [reps] [memory]
#
# runs with the BLAS R is linked to and then, when inst/bench/openblas.sh can
# provide OpenBLAS (apt-get download, nothing installed), again with OpenBLAS
# on one thread. Each run prints which BLAS is loaded and:
# 1. the empirical NTK and JNTK (erf, depth 2, width 1024; NTK on N = 256,
#    d = 64; JNTK on N = 32, d = 8; same inputs, which uses dsyrk, and two
#    sets) against their BLAS floor: the same BLAS calls replayed alone by
#    C_empirical_blas_floor. Goal <= 1.3.
# 2. two threads against one for the JNTK (goal >= 1.8 on a quiet machine;
#    CPU time shows whether it was).
# 3. the JNTK against PyTorch autograd (per-row parameter gradients through
#    the double-backward graph, then G G^T; inst/bench/bench_empirical_torch.py),
#    both float64, 1 and 2 threads. Goal >= 10x. Needs python3 with torch
#    (Debian: python3-torch; JNTK_PYTHON chooses one; JNTK_BENCH_NO_TORCH=1
#    skips it: with the reference BLAS torch takes minutes here).
# 4. with `memory` = 1 (default 0: it takes minutes with the reference BLAS):
#    the empirical NTK at width 4096, depth 2, N = 512, d = 784, peak memory
#    (VmHWM) against 1 GB and the N x P gradient matrix it avoids.
suppressPackageStartupMessages(library(jntk))

args <- commandArgs(trailingOnly = TRUE)
reps <- if (length(args) >= 1) as.integer(args[1]) else 5L
memory <- length(args) >= 2 && identical(args[2], "1")
local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  h <- file.path(if (length(f)) dirname(normalizePath(f[1])) else system.file("bench", package = "jntk"),
                 "bench_helpers.R")
  sys.source(h, envir = globalenv())
})
bench_header("empirical-kernel benchmark")
ns <- asNamespace("jntk")
have_floor <- exists("C_empirical_blas_floor", envir = ns)
script_dir <- bench_dir()
load_line <- bench_load
kind_code <- c(ntk = 1L, jntk = 3L)

# ---- 1. against the BLAS floor ----------------------------------------------
cat("\n1. seconds per kernel against its BLAS floor (CPU time, 1 thread; goal <= 1.3)\n")
cases <- list(list(kind = "ntk", N = 256L, d = 64L), list(kind = "jntk", N = 32L, d = 8L))
res <- NULL
for (cs in cases) {
  set.seed(3)
  nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), 1024, input_dim = cs$d)
  x <- matrix(rnorm(cs$N * cs$d), cs$N, cs$d)
  for (two in c(FALSE, TRUE)) {
    x2 <- if (two) x[seq_len(cs$N / 2), , drop = FALSE] + 0.1 else NULL
    fun <- if (cs$kind == "ntk") empirical_ntk else empirical_jntk
    fun(nw, x, x2, threads = 1) # warm-up
    tk <- tf <- matrix(NA_real_, reps, 2)
    for (r in seq_len(reps)) {
      tk[r, ] <- cpu_wall(function() fun(nw, x, x2, threads = 1))
      if (have_floor) {
        a <- ns$network_arch(nw$net, nw$widths)
        p <- list(nw$weights, nw$biases)
        # the kernel once plus 1 or 3 replays of its BLAS calls: the difference
        # of the two / 2 is the floor
        t1 <- cpu_wall(function() .Call(ns$C_empirical_blas_floor, p, a$par, a$ipar, x, x2,
                                        kind_code[[cs$kind]], 1L))
        t3 <- cpu_wall(function() .Call(ns$C_empirical_blas_floor, p, a$par, a$ipar, x, x2,
                                        kind_code[[cs$kind]], 3L))
        tf[r, ] <- (t3 - t1) / 2
      }
    }
    res <- rbind(res, data.frame(
      kernel = cs$kind, inputs = if (two) sprintf("%d x %d", cs$N, cs$N / 2) else sprintf("%d (same)", cs$N),
      d = cs$d, kernel_cpu_s = stats::median(tk[, 2]),
      floor_cpu_s = if (have_floor) stats::median(tf[, 2]) else NA,
      ratio = if (have_floor) stats::median(tk[, 2] / tf[, 2]) else NA))
  }
}
print(res, digits = 3, row.names = FALSE)
if (have_floor) cat(sprintf("   goal <= 1.3: %s\n", if (all(res$ratio <= 1.3)) "met" else "NOT met"))

# ---- 2. threads -------------------------------------------------------------
cat("\n2. empirical JNTK (width 1024, N = 64, d = 8): two threads against one (goal >= 1.8 on a quiet machine)\n")
set.seed(2)
nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1, kappa = 1), 1024, input_dim = 8)
x <- matrix(rnorm(64 * 8), 64, 8)
if (parallel::detectCores() < 2L) {
  cat("   one core only: skipped\n")
} else {
  tt <- matrix(NA_real_, reps, 4)
  for (r in seq_len(reps)) {
    tt[r, ] <- c(cpu_wall(function() empirical_jntk(nw, x, threads = 1)),
                 cpu_wall(function() empirical_jntk(nw, x, threads = 2)))
  }
  sp <- stats::median(tt[, 1] / tt[, 3])
  cat(sprintf("   wall: 1 thread %.3f s, 2 threads %.3f s: speed-up %.2f (goal >= 1.8: %s)\n",
              stats::median(tt[, 1]), stats::median(tt[, 3]), sp, if (sp >= 1.8) "met" else "NOT met"))
  cat(sprintf("   CPU/wall: 1 thread %.2f, 2 threads %.2f (below 1 and 2: the machine was busy; %s)\n",
              stats::median(tt[, 2] / tt[, 1]), stats::median(tt[, 4] / tt[, 3]), load_line()))
}

# ---- 3. against PyTorch -------------------------------------------------------
cat("\n3. empirical JNTK, width 1024, depth 2, N = 32, d = 8 (erf) against PyTorch autograd (goal >= 10x)\n")
x <- x[1:32, ]
net <- nw$net
time_best <- function(f, n = reps) min(vapply(seq_len(n), function(i) system.time(f())[["elapsed"]], 0))
py <- if (nzchar(Sys.getenv("JNTK_BENCH_NO_TORCH"))) NULL else find_torch_python()
if (is.null(py)) py <- "no-python-with-torch"
script <- file.path(script_dir, "bench_empirical_torch.py")
if (!file.exists(script)) script <- system.file("bench", "bench_empirical_torch.py", package = "jntk")
dir <- tempfile("jntk-bench-")
dir.create(dir)
writeLines(paste(net$activation, 8, 32, length(nw$weights), net$sigma_w, net$sigma_b, net$kappa),
           file.path(dir, "meta.txt"))
writeBin(as.vector(x), file.path(dir, "x.bin"))
for (l in seq_along(nw$weights)) {
  writeBin(as.vector(nw$weights[[l]]), file.path(dir, sprintf("W%d.bin", l)))
  writeBin(nw$biases[[l]], file.path(dir, sprintf("b%d.bin", l)))
}
for (th in 1:2) {
  t_ours <- time_best(function() empirical_jntk(nw, x, threads = th))
  K <- empirical_jntk(nw, x, threads = th)
  out <- if (!file.exists(script)) "missing script" else
    suppressWarnings(system2(py, c(shQuote(script), shQuote(dir), th, 1), stdout = TRUE, stderr = TRUE,
                             env = sprintf("OMP_NUM_THREADS=%d", th)))
  line <- grep("^seconds", out, value = TRUE)
  if (!length(line)) {
    cat(sprintf("   threads %d: jntk %.3f s; PyTorch unavailable: %s\n", th, t_ours,
                paste(utils::tail(out, 1), collapse = " ")))
    cat("   (install torch, e.g. `apt-get install python3-torch`, to compare)\n")
    next
  }
  t_torch <- as.numeric(sub("seconds ", "", line))
  Kt <- matrix(readBin(file.path(dir, "K.bin"), "double", length(K)), nrow(K))
  cat(sprintf("   threads %d: jntk %.4f s, PyTorch %.3f s: jntk is %.0fx faster (goal >= 10x: %s); max rel. difference %.1e\n",
              th, t_ours, t_torch, t_torch / t_ours, if (t_torch / t_ours >= 10) "met" else "NOT met",
              max(abs(K - Kt)) / max(abs(K))))
}
unlink(dir, recursive = TRUE)

# ---- 4. memory ---------------------------------------------------------------
if (memory) {
  vm_hwm_mb <- function() {
    s <- tryCatch(readLines("/proc/self/status"), error = function(e) character(0))
    l <- grep("^VmHWM", s, value = TRUE)
    if (!length(l)) NA_real_ else as.numeric(gsub("[^0-9]", "", l)) / 1024
  }
  cat("\n4. empirical NTK, width 4096, depth 2, N = 512, d = 784: memory\n")
  invisible(gc(reset = TRUE))
  hwm0 <- vm_hwm_mb()
  set.seed(1)
  nw_big <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), 4096, input_dim = 784)
  x_big <- matrix(runif(512 * 784), 512, 784)
  t_ntk <- system.time(K_big <- empirical_ntk(nw_big, x_big, threads = 2))[["elapsed"]]
  hwm1 <- vm_hwm_mb()
  P <- sum(lengths(nw_big$weights)) + sum(lengths(nw_big$biases))
  cat(sprintf("   parameters P = %s; the N x P gradient matrix would take %.1f GB\n",
              format(P, big.mark = ","), 512 * P * 8 / 1e9))
  cat(sprintf("   time %.1f s (2 threads); finite: %s; peak memory VmHWM %.0f MB (%.0f MB before); goal < 1024 MB: %s\n",
              t_ntk, all(is.finite(K_big)), hwm1, hwm0, if (isTRUE(hwm1 < 1024)) "met" else "NOT met"))
}

# ---- again with OpenBLAS ------------------------------------------------------
bench_rerun_openblas("bench_empirical.R", c(reps, if (memory) 1 else 0))
