# Benchmarks of the empirical kernels (issue 4). Run: Rscript inst/bench/bench_empirical.R
#
# 1. Empirical JNTK at width 1024, depth 2, N = 32, d = 8 (erf): jntk's
#    Gram-matrix algorithm against PyTorch autograd (per-row parameter
#    gradients through the double-backward graph, then G G^T), both float64,
#    at equal thread counts (1 and 2), in the same run. Goal: >= 10x.
#    Needs python3 with torch (Debian: python3-torch); nothing is installed.
#    Set JNTK_PYTHON to choose the interpreter (default: /usr/bin/python3 if
#    present, else python3 on the PATH).
# 2. Empirical NTK at width 4096 (depth 2), N = 512, d = 784: peak memory of
#    this process (VmHWM from /proc/self/status, and R's gc() maximum),
#    against the 1 GB goal and the N x P gradient matrix it avoids.
suppressPackageStartupMessages(library(jntk))

vm_hwm_mb <- function() {
  s <- tryCatch(readLines("/proc/self/status"), error = function(e) character(0))
  l <- grep("^VmHWM", s, value = TRUE)
  if (!length(l)) return(NA_real_)
  as.numeric(gsub("[^0-9]", "", l)) / 1024
}

cat("== 2. Empirical NTK, width 4096, depth 2, N = 512, d = 784: memory ==\n")
invisible(gc(reset = TRUE))
hwm0 <- vm_hwm_mb()
set.seed(1)
net_big <- mlp(2, "erf", sigma_b = 0.1)
nw_big <- sample_mlp(net_big, 4096, input_dim = 784)
x_big <- matrix(runif(512 * 784), 512, 784) # pixel-like inputs in [0, 1]
t_ntk <- system.time(K_big <- empirical_ntk(nw_big, x_big, threads = 2))[["elapsed"]]
g <- gc()
hwm1 <- vm_hwm_mb()
P <- sum(vapply(nw_big$weights, length, integer(1))) + sum(lengths(nw_big$biases))
cat(sprintf("  parameters P = %s; the N x P gradient matrix would take %.1f GB\n",
            format(P, big.mark = ","), 512 * P * 8 / 1e9))
cat(sprintf("  time %.1f s (2 threads); result %d x %d, finite: %s\n", t_ntk, nrow(K_big),
            ncol(K_big), all(is.finite(K_big))))
cat(sprintf("  peak memory: VmHWM %.0f MB for the whole process (%.0f MB before sampling);\n",
            hwm1, hwm0))
cat(sprintf("               R heap max used %.0f MB (gc), network itself %.0f MB\n",
            sum(g[, ncol(g)]), P * 8 / 1e6))
cat(sprintf("  goal < 1024 MB: %s\n", if (isTRUE(hwm1 < 1024)) "met" else "NOT met"))
rm(nw_big, K_big, x_big)
invisible(gc())

cat("\n== 1. Empirical JNTK, width 1024, depth 2, N = 32, d = 8 (erf) vs PyTorch ==\n")
set.seed(2)
net <- mlp(2, "erf", sigma_b = 0.1, kappa = 1)
nw <- sample_mlp(net, 1024, input_dim = 8)
x <- matrix(rnorm(32 * 8), 32, 8)
time_best <- function(expr_fun, reps = 5) {
  min(vapply(seq_len(reps), function(i) system.time(expr_fun())[["elapsed"]], numeric(1)))
}
py <- Sys.getenv("JNTK_PYTHON", if (file.exists("/usr/bin/python3")) "/usr/bin/python3" else "python3")
script <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", grep("^--file=", args, value = TRUE))
  cand <- c(if (length(f)) file.path(dirname(f), "bench_empirical_torch.py"),
            system.file("bench", "bench_empirical_torch.py", package = "jntk"))
  cand[file.exists(cand)][1]
})
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
  out <- if (is.na(script)) "missing script" else
    suppressWarnings(system2(py, c(shQuote(script), shQuote(dir), th, 1), stdout = TRUE, stderr = TRUE))
  st <- attr(out, "status")
  line <- grep("^seconds", out, value = TRUE)
  if (!length(line)) {
    cat(sprintf("  threads %d: jntk %.3f s; PyTorch baseline unavailable (%s): %s\n", th, t_ours,
                if (is.null(st)) "no timing" else paste("status", st), paste(utils::tail(out, 2), collapse = " | ")))
    cat("  (install torch, e.g. `apt-get install python3-torch`, to compare)\n")
    next
  }
  t_torch <- as.numeric(sub("seconds ", "", line))
  t_grad <- as.numeric(sub("gradients ", "", grep("^gradients", out, value = TRUE)))
  Kt <- matrix(readBin(file.path(dir, "K.bin"), "double", length(K)), nrow(K))
  cat(sprintf("  threads %d: jntk %.3f s, PyTorch autograd %.3f s: jntk is %.1fx faster (goal >= 10x: %s); max rel. difference %.1e\n",
              th, t_ours, t_torch, t_torch / t_ours, if (t_torch / t_ours >= 10) "met" else "NOT met",
              max(abs(K - Kt)) / max(abs(K))))
  if (length(t_grad) == 1L) {
    cat(sprintf("             (PyTorch's per-row gradients alone, without the N(d+1) x P Gram product: %.3f s, %.1fx)\n",
                t_grad, t_grad / t_ours))
  }
}
unlink(dir, recursive = TRUE)
