# Benchmarks of the userfn work (issue 15), one command:
#   Rscript inst/bench/bench_userfn.R
# 1. GP regression with gradients, dense Cholesky vs conjugate gradients on the
#    structured Jacobian NNGP (N = 150 points in R^20, n = N(d + 1) = 3150):
#    CPU time, CG iterations, memory of the training kernel, agreement.
# 2. Finite networks with activation = tanh (an R function, derivatives by
#    finite differences or given) against the built-in "tanh": CPU time ratio
#    of 20 steps of Jacobian-regularised training (width 256, N = 200, d = 10).
# Runs are interleaved (A B A B ...) and the median CPU time kept, so that
# the ratios mean something on a loaded machine.
library(jntk)
cpu <- function(expr) { t0 <- proc.time(); force(expr); sum((proc.time() - t0)[c(1, 2)]) }
interleave <- function(fs, reps = 3) {
  t <- matrix(NA, reps, length(fs), dimnames = list(NULL, names(fs)))
  for (r in seq_len(reps)) for (j in seq_along(fs)) t[r, j] <- cpu(fs[[j]]())
  apply(t, 2, stats::median)
}
cat("load:", system("uptime", intern = TRUE), "\n")

set.seed(1)
N <- 150; d <- 20
x <- matrix(rnorm(N * d), N, d) / sqrt(d) * 2
y <- sin(x[, 1]); dy <- cbind(cos(x[, 1]), matrix(0, N, d - 1))
xt <- matrix(rnorm(5 * d), 5, d) / sqrt(d) * 2
net <- mlp(2, "erf", sigma_w = 1.5, sigma_b = 0.2)
fits <- list()
tm <- interleave(list(
  dense = function() fits$dense <<- gp_fit(net, x, y, dy = dy, noise = 1e-4, solver = "dense", threads = 1),
  iterative = function() fits$iterative <<- gp_fit(net, x, y, dy = dy, noise = 1e-4, solver = "iterative", threads = 1)))
pd <- predict(fits$dense, xt); pi <- predict(fits$iterative, xt)
n <- N * (d + 1)
cat(sprintf("GP with gradients, N = %d, d = %d, n = %d\n", N, d, n))
cat(sprintf("  CPU s: dense %.2f, iterative %.2f (ratio %.2f); CG iterations %d (%s preconditioner), residual %.2g\n",
            tm["dense"], tm["iterative"], tm["dense"] / tm["iterative"], fits$iterative$cg$iterations,
            fits$iterative$cg$preconditioner, fits$iterative$cg$residual))
cat(sprintf("  training kernel memory: dense %.0f MB (x3 with the factor), structured %.1f MB\n",
            8 * n^2 / 1e6, 8 * 8 * N^2 / 1e6))
cat(sprintf("  max |mean diff| %.2g (max |mean| %.2g), max |var diff| %.2g (max var %.2g)\n",
            max(abs(pd$mean - pi$mean)), max(abs(pd$mean)), max(abs(pd$var - pi$var)), max(pd$var)))

set.seed(2)
N <- 200; d <- 10; W <- 256
x <- matrix(rnorm(N * d), N, d); y <- sin(x[, 1])
mk <- function(act, ...) { set.seed(3); sample_mlp(mlp(2, act, sigma_b = 0.1, ...), W, input_dim = d) }
nws <- list(builtin = mk("tanh"), r_numeric = mk(tanh),
            r_given = mk(tanh, dphi = function(x) 1 - tanh(x)^2,
                         d2phi = function(x) { t <- tanh(x); -2 * t * (1 - t^2) }))
tm <- interleave(lapply(nws, function(nw) function()
  train_mlp(nw, x, y, lambda = 0.1, lr = 0.5, steps = 20, threads = 1, progress = FALSE)))
cat(sprintf("train_mlp, 20 steps, lambda = 0.1, width %d, N = %d, d = %d, 1 thread\n", W, N, d))
cat(sprintf("  CPU s: built-in %.2f, R tanh (finite differences) %.2f (x%.2f), R tanh with dphi, d2phi %.2f (x%.2f)\n",
            tm[1], tm[2], tm[2] / tm[1], tm[3], tm[3] / tm[1]))
