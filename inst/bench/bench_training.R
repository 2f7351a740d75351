# Benchmark of train_mlp() (issue 5): Jacobian-regularised gradient descent.
#
#   Rscript inst/bench/bench_training.R [threads] [steps]
#
# 1. Time per step with lambda > 0 over time per step with lambda = 0 (plain
#    least-squares training, one forward + backward pass), width 512, N = 128,
#    d = 64, depth 2, erf. Goal: <= 4 (the double backprop of src/training.c
#    does about 2x the matrix products of a plain step).
# 2. The same ratio for d = 16 and 256: the lambda term costs no loop over
#    input dimensions, so the ratio should not grow with d.
# 3. A lambda > 0 step against PyTorch autograd double backward
#    (inst/bench/bench_training_torch.py) on the same problem at the same
#    number of threads; goal: jntk >= 2x faster. Also checks that both give the
#    same gradient. Needs a python3 with torch (Debian: python3-torch); set
#    JNTK_PYTHON to choose the interpreter. Nothing is installed.
#
# All ratios are measured in the same run, as medians of ratios of interleaved
# pairs; a time per step is (time of 2S steps - time of S steps) / S, which
# cancels fixed costs (recording, setup).
suppressPackageStartupMessages(library(jntk))

args <- commandArgs(trailingOnly = TRUE)
threads <- if (length(args) >= 1) as.integer(args[1]) else 1L
S <- if (length(args) >= 2) as.integer(args[2]) else 5L
reps <- 3L
width <- 512L
N <- 128L
d <- 64L
depth <- 2L
act <- "erf"
lambda <- 0.01
lr <- 1

cat(sprintf("jntk training benchmark: width %d, N %d, d %d, depth %d, %s, threads %d, BLAS %s\n",
            width, N, d, depth, act, threads, extSoftVersion()[["BLAS"]]))

# seconds per step of train_mlp(): (time of 2S steps - time of S steps) / S,
# wall clock and CPU (user + system; insensitive to other load on the machine)
step_times <- function(nw, x, y, lambda) {
  run <- function(s) {
    tm <- system.time(train_mlp(nw, x, y, lambda = lambda, lr = lr, steps = s, record_every = s,
                                threads = threads, progress = FALSE))
    c(wall = tm[["elapsed"]], cpu = tm[["user.self"]] + tm[["sys.self"]])
  }
  (run(2L * S) - run(S)) / S
}
step_time <- function(nw, x, y, lambda) step_times(nw, x, y, lambda)[["wall"]]

problem <- function(d, seed = 1) {
  set.seed(seed)
  net <- mlp(depth, act, sigma_w = 1, sigma_b = 0.1, kappa = 0.1)
  nw <- sample_mlp(net, width = width, input_dim = d)
  x <- matrix(rnorm(N * d), N, d)
  list(nw = nw, x = x, y = sin(x[, 1]) + x[, 2] * x[, 3 %% d + 1])
}

# ---- 1 and 2: lambda > 0 against lambda = 0 --------------------------------
cat("\n1-2. seconds per step, lambda = 0.01 against lambda = 0 (goal: ratio <= 4)\n")
res <- NULL
for (dd in c(16L, d, 256L)) {
  p <- problem(dd)
  step_time(p$nw, p$x, p$y, lambda) # warm-up
  # paired, interleaved repeats: the ratio of each pair is robust to load
  # changes on a shared machine; report medians
  t0 <- t1 <- numeric(reps)
  for (r in seq_len(reps)) {
    t0[r] <- step_time(p$nw, p$x, p$y, 0)
    t1[r] <- step_time(p$nw, p$x, p$y, lambda)
  }
  res <- rbind(res, data.frame(d = dd, lambda0 = stats::median(t0),
                               lambda_pos = stats::median(t1),
                               ratio = stats::median(t1 / t0)))
}
print(res, digits = 3, row.names = FALSE)
# the BLAS bound: one width x width by width x N product is the unit; a
# lambda = 0 step needs about 3.4 units at d = 64 and a lambda > 0 step 6.6
# (forward, Jacobian backward, tangent, adjoint, and a double-width gradient
# product in the middle layer; the first layer adds d / width of a unit per
# product). PyTorch's double backward needs the same products.
Wu <- matrix(rnorm(width * width), width)
Au <- matrix(rnorm(width * N), width)
unit <- stats::median(replicate(5, system.time(for (i in 1:5) Wu %*% Au)[["elapsed"]] / 5))
cat(sprintf("one %d x %d x %d product: %.4g s; at d = %d a step takes %.1f units (lambda = 0, theory 3.4) and %.1f units (lambda > 0, theory 6.6)\n",
            width, width, N, unit, d, res$lambda0[res$d == d] / unit, res$lambda_pos[res$d == d] / unit))
main_ratio <- res$ratio[res$d == d]
cat(sprintf("ratio at d = %d: %.2f (goal <= 4: %s)\n", d, main_ratio,
            if (main_ratio <= 4) "met" else "NOT met"))

# ---- 3: against PyTorch double backward ------------------------------------
cat("\n3. lambda > 0 step against PyTorch autograd double backward (goal: >= 2x faster)\n")
find_python <- function() {
  cand <- c(Sys.getenv("JNTK_PYTHON"), "/usr/bin/python3", Sys.which("python3"))
  cand <- cand[nzchar(cand) & file.exists(cand)]
  for (py in unique(cand)) {
    ok <- suppressWarnings(system2(py, c("-c", shQuote("import torch")), stdout = FALSE,
                                   stderr = FALSE))
    if (identical(ok, 0L)) return(py)
  }
  NULL
}
script <- system.file("bench", "bench_training_torch.py", package = "jntk")
if (!nzchar(script)) script <- file.path("inst", "bench", "bench_training_torch.py")
py <- find_python()
if (is.null(py) || !file.exists(script)) {
  cat("PyTorch not found (no python3 with `import torch`; Debian: apt-get install python3-torch,\n",
      "or set JNTK_PYTHON). Skipping the comparison.\n", sep = "")
} else {
  p <- problem(d)
  dir <- tempfile("jntk_bench_")
  dir.create(dir)
  theta <- unlist(lapply(seq_along(p$nw$weights), function(l) c(p$nw$weights[[l]], p$nw$biases[[l]])))
  writeBin(as.double(p$x), file.path(dir, "x.bin"), endian = "little")
  writeBin(as.double(p$y), file.path(dir, "y.bin"), endian = "little")
  writeBin(theta, file.path(dir, "theta.bin"), endian = "little")
  net <- p$nw$net
  writeLines(paste(width, N, d, depth, act, net$sigma_w, net$sigma_b, net$kappa, lambda, lr),
             file.path(dir, "meta.txt"))
  torch_step <- function() {
    out <- system2(py, c(shQuote(script), shQuote(dir), threads, 2L * S), stdout = TRUE,
                   env = sprintf("OMP_NUM_THREADS=%d", threads))
    wall <- grep("^seconds_per_step", out, value = TRUE)
    cpu <- grep("^cpu_seconds_per_step", out, value = TRUE)
    if (!length(wall)) stop("the torch script failed:\n", paste(out, collapse = "\n"))
    c(wall = as.numeric(sub("seconds_per_step ", "", wall)),
      cpu = as.numeric(sub("cpu_seconds_per_step ", "", cpu)))
  }
  tt <- tj <- matrix(NA_real_, reps, 2, dimnames = list(NULL, c("wall", "cpu")))
  for (r in seq_len(reps)) { # interleaved pairs, as above
    tj[r, ] <- step_times(p$nw, p$x, p$y, lambda)
    tt[r, ] <- torch_step()
  }
  speedup <- stats::median(tt[, "wall"] / tj[, "wall"])
  speedup_cpu <- stats::median(tt[, "cpu"] / tj[, "cpu"])
  t_torch <- stats::median(tt[, "wall"])
  t_jntk <- stats::median(tj[, "wall"])
  g_torch <- readBin(file.path(dir, "grad.bin"), "double", n = length(theta), endian = "little")
  g <- training_gradient(p$nw, p$x, p$y, lambda = lambda, threads = threads)
  g_jntk <- unlist(lapply(seq_along(g$weights), function(l) c(g$weights[[l]], g$biases[[l]])))
  cat(sprintf("gradient agreement with torch: max |difference| / max |gradient| = %.2e\n",
              max(abs(g_torch - g_jntk)) / max(abs(g_torch))))
  cat(sprintf("seconds per step: jntk %.4g, torch %.4g (torch %s, %d thread(s))\n",
              t_jntk, t_torch, system2(py, c("-c", shQuote("import torch; print(torch.__version__)")),
                                      stdout = TRUE), threads))
  cat(sprintf("torch step in product units: %.1f\n", t_torch / unit))
  cat(sprintf("CPU seconds per step: jntk %.4g, torch %.4g; CPU-time ratio torch / jntk %.2f\n",
              stats::median(tj[, "cpu"]), stats::median(tt[, "cpu"]), speedup_cpu))
  cat(sprintf("speed-up of jntk over torch (wall clock, median of paired ratios): %.2f (goal >= 2: %s)\n",
              speedup, if (speedup >= 2) "met" else "NOT met"))
  unlink(dir, recursive = TRUE)
}
