# Benchmark of train_mlp() (issues 5 and 13): Jacobian-regularised gradient
# descent, width 512, N = 128, d = 64, depth 2, erf, lambda = 0.01.
#
#   Rscript inst/bench/bench_training.R [steps] [reps]
#   JNTK_BENCH_SMALL=true Rscript inst/bench/bench_training.R   (quick check:
#     3 steps, 3 reps, the d = 256 case of 2. and the threads of 3. left out)
#
# runs with the BLAS R is linked to and then, when inst/bench/openblas.sh can
# provide OpenBLAS (apt-get download, nothing installed), again with OpenBLAS
# on one thread. Each run prints which BLAS is loaded and:
# 1. seconds per step against the step's own BLAS floor: the same dgemm calls
#    (shapes, operands) replayed alone by C_training_blas_floor. Goal <= 1.2.
# 2. a lambda > 0 step over a lambda = 0 step at d = 16, 64, 256: the Jacobian
#    term costs no loop over input dimensions. Goal <= 4 at every d.
# 3. two threads against one (wall clock; CPU time shows whether the machine
#    was free). Goal >= 1.8 on a quiet machine.
# 4. against PyTorch autograd double backward (inst/bench/bench_training_torch.py,
#    1 thread each; torch uses the same libblas.so.3 as R here); also checks
#    the gradients agree. Goal: jntk >= 1.3x faster with OpenBLAS. Needs
#    python3 with torch (Debian: python3-torch; JNTK_PYTHON chooses one).
#
# Every ratio is the median of interleaved pairs; a time per step is
# (time of 2S steps - time of S steps) / S, which cancels fixed costs.
suppressPackageStartupMessages(library(jntk))

args <- commandArgs(trailingOnly = TRUE)
small <- identical(Sys.getenv("JNTK_BENCH_SMALL"), "true")
S <- if (length(args) >= 1) as.integer(args[1]) else if (small) 3L else 10L
reps <- if (length(args) >= 2) as.integer(args[2]) else if (small) 3L else 5L
width <- 512L
N <- 128L
d <- 64L
depth <- 2L
act <- "erf"
lambda <- 0.01
lr <- 1

local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  h <- file.path(if (length(f)) dirname(normalizePath(f[1])) else system.file("bench", package = "jntk"),
                 "bench_helpers.R")
  sys.source(h, envir = globalenv())
})
bench_header(sprintf("training benchmark: width %d, N %d, d %d, depth %d, %s", width, N, d, depth, act))
load_line <- bench_load

ns <- asNamespace("jntk")
have_floor <- exists("C_training_blas_floor", envir = ns)
theta_of <- function(nw) unlist(lapply(seq_along(nw$weights), function(l) c(nw$weights[[l]], nw$biases[[l]])))

problem <- function(d, seed = 1) {
  set.seed(seed)
  net <- mlp(depth, act, sigma_w = 1, sigma_b = 0.1, kappa = 0.1)
  nw <- sample_mlp(net, width = width, input_dim = d)
  x <- matrix(rnorm(N * d), N, d)
  list(nw = nw, x = x, y = sin(x[, 1]) + x[, 2] * x[, 3 %% d + 1])
}

# seconds per step (wall, cpu) of train_mlp()
step_times <- function(p, lambda, threads = 1L) {
  run <- function(s) cpu_wall(function() {
    suppressWarnings(train_mlp(p$nw, p$x, p$y, lambda = lambda, lr = lr, steps = s,
                               record_every = s, threads = threads, progress = FALSE))
  })
  (run(2L * S) - run(S)) / S
}
# seconds of the step's BLAS calls alone (one thread)
floor_times <- function(p, lambda) {
  a <- ns$network_arch(p$nw$net, p$nw$widths)
  th <- theta_of(p$nw)
  run <- function(r) cpu_wall(function() .Call(ns$C_training_blas_floor, th, a$par, a$ipar, p$x,
                                               p$y, lambda, as.integer(r)))
  (run(2L * S) - run(S)) / S
}
med <- function(m, col) stats::median(m[, col])

# ---- 1. the step against its BLAS floor ----------------------------------
p <- problem(d)
cat(sprintf("\n1. seconds per step against the BLAS floor (goal <= 1.2), d = %d\n", d))
step_times(p, lambda) # warm-up
res1 <- NULL
for (lam in c(lambda, 0)) {
  st <- fl <- matrix(NA_real_, reps, 2, dimnames = list(NULL, c("wall", "cpu")))
  for (r in seq_len(reps)) {
    st[r, ] <- step_times(p, lam)
    if (have_floor) fl[r, ] <- floor_times(p, lam)
  }
  res1 <- rbind(res1, data.frame(
    lambda = lam, step_s = med(st, "wall"), step_cpu_s = med(st, "cpu"),
    floor_s = if (have_floor) med(fl, "wall") else NA, floor_cpu_s = if (have_floor) med(fl, "cpu") else NA,
    ratio = if (have_floor) stats::median(st[, "cpu"] / fl[, "cpu"]) else NA))
}
print(res1, digits = 3, row.names = FALSE)
cat(sprintf("   (ratio: CPU time of a step over CPU time of its BLAS calls alone; %s)\n",
            if (!have_floor) "this version has no C_training_blas_floor" else
              sprintf("goal <= 1.2: %s", if (all(res1$ratio <= 1.2)) "met" else "NOT met")))

# ---- 2. lambda > 0 against lambda = 0 ------------------------------------
cat("\n2. seconds per step, lambda = 0.01 against lambda = 0 (goal: ratio <= 4)\n")
res2 <- NULL
for (dd in if (small) c(16L, d) else c(16L, d, 256L)) {
  q <- problem(dd)
  t0 <- t1 <- numeric(reps)
  for (r in seq_len(reps)) {
    t0[r] <- step_times(q, 0)[["cpu"]]
    t1[r] <- step_times(q, lambda)[["cpu"]]
  }
  res2 <- rbind(res2, data.frame(d = dd, lambda0_cpu_s = stats::median(t0),
                                 lambda_pos_cpu_s = stats::median(t1),
                                 ratio = stats::median(t1 / t0)))
}
print(res2, digits = 3, row.names = FALSE)

# ---- 3. threads ------------------------------------------------------------
cat("\n3. two threads against one (goal >= 1.8 on a quiet machine)\n")
if (parallel::detectCores() < 2L || small) {
  cat(if (small) "   JNTK_BENCH_SMALL=true: skipped\n" else "   one core only: skipped\n")
} else {
  tt <- matrix(NA_real_, reps, 4, dimnames = list(NULL, c("w1", "c1", "w2", "c2")))
  for (r in seq_len(reps)) tt[r, ] <- c(step_times(p, lambda, 1L), step_times(p, lambda, 2L))
  sp <- stats::median(tt[, "w1"] / tt[, "w2"])
  cat(sprintf("   wall s/step: 1 thread %.4g, 2 threads %.4g: speed-up %.2f (goal >= 1.8: %s)\n",
              med(tt, "w1"), med(tt, "w2"), sp, if (sp >= 1.8) "met" else "NOT met"))
  cat(sprintf("   CPU/wall: 1 thread %.2f, 2 threads %.2f (below 1 and 2: the machine was busy; %s)\n",
              med(tt, "c1") / med(tt, "w1"), med(tt, "c2") / med(tt, "w2"), load_line()))
}

# ---- 4. against PyTorch double backward ---------------------------------
cat("\n4. lambda > 0 step against PyTorch autograd double backward, 1 thread each (goal: >= 1.3x faster with OpenBLAS)\n")
script_dir <- bench_dir()
script <- file.path(script_dir, "bench_training_torch.py")
if (!file.exists(script)) script <- system.file("bench", "bench_training_torch.py", package = "jntk")
py <- find_torch_python()
if (is.null(py) || !file.exists(script)) {
  cat("   PyTorch not found (no python3 with `import torch`; Debian: apt-get install python3-torch,\n",
      "   or set JNTK_PYTHON). Skipping the comparison.\n", sep = "")
} else {
  dir <- tempfile("jntk_bench_")
  dir.create(dir)
  theta <- theta_of(p$nw)
  writeBin(as.double(p$x), file.path(dir, "x.bin"), endian = "little")
  writeBin(as.double(p$y), file.path(dir, "y.bin"), endian = "little")
  writeBin(theta, file.path(dir, "theta.bin"), endian = "little")
  net <- p$nw$net
  writeLines(paste(width, N, d, depth, act, net$sigma_w, net$sigma_b, net$kappa, lambda, lr),
             file.path(dir, "meta.txt"))
  torch_step <- function() {
    out <- system2(py, c(shQuote(script), shQuote(dir), 1L, 2L * S), stdout = TRUE,
                   env = "OMP_NUM_THREADS=1")
    wall <- grep("^seconds_per_step", out, value = TRUE)
    cpu <- grep("^cpu_seconds_per_step", out, value = TRUE)
    if (!length(wall)) stop("the torch script failed:\n", paste(out, collapse = "\n"))
    c(wall = as.numeric(sub("seconds_per_step ", "", wall)),
      cpu = as.numeric(sub("cpu_seconds_per_step ", "", cpu)))
  }
  tt <- tj <- matrix(NA_real_, reps, 2, dimnames = list(NULL, c("wall", "cpu")))
  for (r in seq_len(reps)) { # interleaved pairs
    tj[r, ] <- step_times(p, lambda)
    tt[r, ] <- torch_step()
  }
  g_torch <- readBin(file.path(dir, "grad.bin"), "double", n = length(theta), endian = "little")
  g <- training_gradient(p$nw, p$x, p$y, lambda = lambda)
  g_jntk <- unlist(lapply(seq_along(g$weights), function(l) c(g$weights[[l]], g$biases[[l]])))
  cat(sprintf("   gradient agreement with torch: max |difference| / max |gradient| = %.2e\n",
              max(abs(g_torch - g_jntk)) / max(abs(g_torch))))
  sp_cpu <- stats::median(tt[, "cpu"] / tj[, "cpu"])
  cat(sprintf("   seconds per step (wall): jntk %.4g, torch %.4g (torch %s)\n",
              med(tj, "wall"), med(tt, "wall"),
              system2(py, c("-c", shQuote("import torch; print(torch.__version__)")), stdout = TRUE)))
  cat(sprintf("   CPU seconds per step: jntk %.4g, torch %.4g\n", med(tj, "cpu"), med(tt, "cpu")))
  cat(sprintf("   speed-up of jntk over torch (CPU time, median of paired ratios): %.2f (wall %.2f; goal >= 1.3 with OpenBLAS: %s)\n",
              sp_cpu, stats::median(tt[, "wall"] / tj[, "wall"]), if (sp_cpu >= 1.3) "met" else "NOT met"))
  unlink(dir, recursive = TRUE)
}

# ---- again with OpenBLAS ------------------------------------------------------
bench_rerun_openblas("bench_training.R", c(S, reps))
