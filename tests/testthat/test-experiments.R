# The experiment scripts (inst/experiments) and their shipped results
# (inst/extdata): every result has the structure and the settings the
# vignettes draw on, and one cell of every script, at a tiny size, computes
# the same numbers as a plain-R computation from the definitions.

shipped <- c("jacot2018-fig1", "jacot2018-fig2", "jacot2018-fig3", "kimyang2024-fig1",
             "kimyang2024-fig2", "kimyang2024-fig3", "kimyang2024-fig4", "kimyang2024-fig5",
             "kimyang2024-fig6")

test_that("every figure has a script, and run_experiment() lists them", {
  ls <- run_experiment()
  expect_setequal(ls$name, shipped)
  expect_true(all(nzchar(ls$title)))
  expect_true(all(ls$shipped))
})

test_that("shipped results have their structure, their settings and a small size", {
  for (nm in shipped) {
    f <- system.file("extdata", paste0(nm, ".rds"), package = "jntk")
    expect_true(nzchar(f), label = nm)
    if (!nzchar(f)) next
    # compact numbers, not raw kernels: the package tarball stays small
    expect_lt(file.size(f), 150e3, label = nm)
    r <- readRDS(f)
    expect_s3_class(r, "jntk_experiment")
    expect_identical(r$name, nm)
    expect_identical(r$size, "paper")
    expect_true(all(c("settings", "overrides", "seeds", "cells", "data", "time", "blas",
                      "package", "R", "date", "machine") %in% names(r)), label = nm)
    # the settings are the script's paper settings with the recorded overrides
    spec <- jntk:::load_experiment(nm)
    want <- utils::modifyList(spec$settings("paper"), r$overrides)
    want$threads <- r$settings$threads
    expect_identical(r$settings[names(want)], want, label = nm)
    # every cell has its seed, its times; the totals add up
    expect_identical(r$seeds$cells, as.integer(r$settings$seed + seq_len(nrow(r$cells))))
    fin <- r$cells$finished
    expect_true(any(fin), label = nm)
    expect_true(all(r$cells$wall[fin] >= 0 & r$cells$cpu[fin] >= 0), label = nm)
    expect_equal(r$time$cpu, sum(r$cells$cpu[fin]))
    expect_equal(r$time$wall, sum(r$cells$wall[fin]))
    if (!r$complete) expect_gt(r$time$extrapolated_cpu, r$time$cpu)
    expect_true(is.character(r$blas$blas) && length(r$blas$blas) >= 1L, label = nm)
    expect_true(is.character(r$blas$lapack), label = nm)
    check_shipped_data(nm, r)
  }
})

# Tolerances of the tiny-cell comparisons: the plain-R references differ from
# the C code by rounding only (1e-12 relative is ample for the sums of a few
# dozen products here), except where the reference takes finite differences
# (the JNTK's Jacobian rows, h = 1e-5: truncation about 1e-10 relative).

test_that("kimyang2024-fig1: one cell's error is that of the Jacobian NNGP by definition", {
  r <- xref_cell("kimyang2024-fig1", list(n_points = 3L, widths = c(8, 16), n_rep = 2L,
                                           depths = 2L, activations = "gelu"), row = 3L)
  net <- mlp(r$cell$depth, r$cell$activation, sigma_w = r$s$sigma_w, sigma_b = r$s$sigma_b,
             kappa = r$s$kappa)
  nw <- xref_network(r$cell, net, r$cell$width, r$s$d)
  K <- xref_empirical_jacobian_nngp(nw, r$shared$x)
  L <- as.matrix(jacobian_nngp(net, r$shared$x))
  expect_equal(r$out[["error"]], max(abs(K - L)) / net$kappa^2, tolerance = 1e-12)
  f <- 1:3
  expect_equal(r$out[["error_jj"]], max(abs(K - L)[-f, -f]) / net$kappa^2, tolerance = 1e-12)
})

test_that("kimyang2024-fig2: one cell's error is that of the JNTK by definition", {
  r <- xref_cell("kimyang2024-fig2", list(n_points = 3L, widths = c(6, 12), n_rep = 2L,
                                           depths = 1L, activations = "erf"), row = 2L)
  net <- mlp(1, "erf", sigma_w = r$s$sigma_w, sigma_b = r$s$sigma_b, kappa = r$s$kappa)
  nw <- xref_network(r$cell, net, r$cell$width, r$s$d)
  G <- nref_jacobian_grad_matrix(nw, r$shared$x)
  L <- as.matrix(jntk(net, r$shared$x))
  expect_equal(r$out[["error"]], max(abs(tcrossprod(G) - L)) / net$kappa^2, tolerance = 1e-8)
})

test_that("kimyang2024-fig3: one cell's deviations are those of plain-R training and JNTKs", {
  r <- xref_cell("kimyang2024-fig3", list(n_train = 5L, widths = 6, depth = 1L, steps = 4L,
                                           record_every = 2L))
  net <- mlp(1, "erf", sigma_w = r$s$sigma_w, sigma_b = r$s$sigma_b, kappa = r$s$kappa)
  nw <- xref_network(r$cell, net, 6, ncol(r$shared$x))
  L <- as.matrix(jntk(net, r$shared$x))
  dev <- r$out$deviation
  expect_identical(dev$step, c(0L, 2L, 4L))
  for (k in seq_along(dev$step)) {
    nk <- tref_train(nw, r$shared$x, r$shared$y, r$s$lambda, r$s$lr, dev$step[k])
    K <- tcrossprod(nref_jacobian_grad_matrix(nk, r$shared$x))
    expect_equal(dev$deviation[k], max(abs(K - L)) / net$kappa^2, tolerance = 1e-8)
    expect_equal(dev$loss[k], tref_loss(nk, r$shared$x, r$shared$y, r$s$lambda)$loss,
                 tolerance = 1e-10)
  }
  expect_identical(dev$drift[1], 0)
})

test_that("kimyang2024-fig4: the reported correlations are those of the features", {
  r <- xref_cell("kimyang2024-fig4", list(n_train = 12L, n_test = 30L, n_features = 8L,
                                           lambdas = 0.01), row = 1L)
  f <- r$out$features
  expect_identical(nrow(f), 8L)
  cr <- r$spec$collate(r$cell, list(r$out), r$s, r$shared)$correlations
  k <- cr$usefulness == "accuracy" & cr$robustness == "robust_accuracy"
  if (stats::sd(f$accuracy) > 0 && stats::sd(f$robust_accuracy) > 0) {
    expect_equal(cr$pearson[k], stats::cor(f$accuracy, f$robust_accuracy), tolerance = 1e-14)
  }
  expect_true(all(f$accuracy >= 0 & f$accuracy <= 1))
})

test_that("kimyang2024-fig5: robustness curves are the accuracies of FGSM done by hand", {
  r <- xref_cell("kimyang2024-fig5", list(n_train = 10L, n_test = 25L, lambdas = 0.1,
                                           eps = c(0, 0.2), times = 50), row = 1L)
  net <- mlp(r$s$depth, "erf", sigma_w = r$s$sigma_w, sigma_b = r$s$sigma_b, kappa = r$s$kappa)
  fl <- gradient_flow(net, r$shared$x, r$shared$y, lambda = 0.1, ridge = r$s$ridge)
  xt <- r$shared$x_test; yt <- r$shared$y_test
  p <- predict(fl, xt, t = 50, jacobian = TRUE)
  acc0 <- mean(sign(p$mean[, 1]) == yt)
  # FGSM on the margin loss -y f(x): x' = x + eps sign(-y grad f)
  xa <- xt + 0.2 * sign(-yt * p$jacobian[, , 1])
  pa <- predict(fl, xa, t = 50, jacobian = TRUE)
  out <- r$out
  expect_equal(out$accuracy[out$eps == 0], acc0)
  expect_equal(out$accuracy[out$eps == 0.2], mean(sign(pa$mean[, 1]) == yt))
  expect_equal(out$grad_norm[out$eps == 0], mean(sqrt(rowSums(p$jacobian[, , 1]^2))),
               tolerance = 1e-12)
})

test_that("kimyang2024-fig6: one cell's smallest eigenvalues are those of the Gram matrices", {
  r <- xref_cell("kimyang2024-fig6", list(n_points = 6L, depths = 3L, activations = "erf"))
  x <- sphere_points(6, 4)
  net <- mlp(3, "erf", sigma_w = 1, sigma_b = 0.1, kappa = 0.1)
  ev <- r$out
  # eigenvalues of matrices of norm ~0.1 computed two ways agree to ~1e-15
  # absolute; the smallest are ~1e-4 (NTK) and ~1e-5 (JNTK): 1e-9 relative
  expect_equal(ev$min_eigenvalue[ev$kernel == "ntk"],
               min(eigen(ntk(net, x), symmetric = TRUE, only.values = TRUE)$values), tolerance = 1e-9)
  expect_equal(ev$min_eigenvalue[ev$kernel == "jntk"],
               min(eigen(as.matrix(jntk(net, x)), symmetric = TRUE, only.values = TRUE)$values),
               tolerance = 1e-9)
})

test_that("jacot2018-fig1: one cell's kernels are the NTKs of plain-R networks, before and after training", {
  r <- xref_cell("jacot2018-fig1", list(widths = 5, n_init = 1L, steps = 3L, n_angles = 7L))
  net <- mlp(3, "relu", sigma_w = 1, sigma_b = 0.1)
  nw <- xref_network(r$cell, net, 5, 2)
  circle <- unit_circle(7, include_end = TRUE)
  x0 <- matrix(c(1, 0), 1)
  expect_equal(r$out$kernel_0, as.vector(nref_empirical_ntk(nw, x0, circle)), tolerance = 1e-12)
  nt <- xref_train_plain(nw, r$shared$x, r$shared$y, 1, 3)
  expect_equal(r$out$kernel_t, as.vector(nref_empirical_ntk(nt, x0, circle)), tolerance = 1e-10)
  expect_equal(r$out$loss[2], tref_loss(nt, r$shared$x, r$shared$y, 0)$loss, tolerance = 1e-10)
})

test_that("jacot2018-fig2: a trained network and the limiting bands agree with plain R", {
  r <- xref_cell("jacot2018-fig2", list(widths = 6, n_init = 1L, steps = 4L, n_angles = 9L))
  net <- mlp(3, "relu", sigma_w = 1, sigma_b = 0.1)
  nw <- xref_network(r$cell, net, 6, 2)
  tr <- list(x = cbind(cos(r$s$train_angles), sin(r$s$train_angles)))
  y <- tr$x[, 1] * tr$x[, 2]
  circle <- unit_circle(9, range = c(-pi, pi), include_end = TRUE)
  nt <- xref_train_plain(nw, tr$x, y, 1, 4)
  expect_equal(r$out$f, nref_predict(nt, circle), tolerance = 1e-10)
  res <- r$spec$collate(r$cell, list(r$out), r$s, r$shared)
  g <- xref_limit_gaussian(net, tr$x, y, circle)
  # the t = Inf Gaussian from one eigendecomposition vs solve(): 1e-8
  expect_equal(res$limit$q50, g$mean, tolerance = 1e-8)
  expect_equal(res$limit$q90, g$mean + qnorm(0.9) * g$sd, tolerance = 1e-6)
  inside <- mean(r$out$f >= g$mean + qnorm(0.1) * g$sd & r$out$f <= g$mean + qnorm(0.9) * g$sd)
  expect_equal(res$summary$inside, inside)
})

test_that("jacot2018-fig3: one cell's path along f2 is that of plain-R training", {
  r <- xref_cell("jacot2018-fig3", list(n_images = 6L, widths = 4, trials = 1L, steps = 2L,
                                         record_every = 1L, lr = 1, depth = 1L))
  X <- r$shared$x
  net <- mlp(1, "relu", sigma_w = 1, sigma_b = 0.1)
  nw <- xref_network(r$cell, net, 4, ncol(X))
  f2 <- r$shared$f2
  y <- nref_predict(nw, X) + 0.5 * f2
  p <- r$out$path
  expect_equal(p$t, c(0, 1, 2))
  expect_equal(p$g[1], 0.5, tolerance = 1e-12)
  for (k in 2:3) {
    D <- nref_predict(xref_train_plain(nw, X, y, 1, k - 1), X) - y
    g <- sum(D * f2) / length(D)
    expect_equal(p$g[k], abs(g), tolerance = 1e-10)
    expect_equal(p$h[k], sqrt(mean(D^2) - g^2), tolerance = 1e-8)
  }
})

test_that("run_experiment() caches cells, resumes, and records what it ran", {
  dir <- tempfile("jntk-exp")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  r1 <- run_experiment("kimyang2024-fig6", size = "small", cache_dir = dir, progress = FALSE,
                       set = list(n_points = 5L, depths = 1:2, activations = "erf"))
  expect_true(r1$complete)
  expect_true(all(r1$cells$this_run))
  r2 <- run_experiment("kimyang2024-fig6", size = "small", cache_dir = dir, progress = FALSE,
                       set = list(n_points = 5L, depths = 1:2, activations = "erf"))
  expect_false(any(r2$cells$this_run))
  expect_identical(r2$data, r1$data)
  expect_identical(r2$overrides, list(n_points = 5L, depths = 1:2, activations = "erf"))
  # other settings, other cells
  r3 <- run_experiment("kimyang2024-fig6", size = "small", cache_dir = dir, progress = FALSE,
                       set = list(n_points = 5L, depths = 1:3, activations = "erf"))
  expect_identical(sum(!r3$cells$this_run), 0L)
})

test_that("an incomplete run says which cells and settings the cache holds", {
  dir <- tempfile("jntk-exp")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  set <- list(n_points = 5L, depths = 1:2, activations = "erf")
  r1 <- run_experiment("kimyang2024-fig6", size = "small", cache_dir = dir, progress = FALSE, set = set)
  expect_true(r1$complete)
  expect_null(r1$data_error)
  # other settings, nothing run: no data, and the message points at the cached cells' settings
  expect_message(r0 <- run_experiment("kimyang2024-fig6", size = "small", cache_dir = dir,
                                      progress = FALSE, max_minutes = 0,
                                      set = list(n_points = 5L, depths = 1:3, activations = "erf")),
                 "0 of 3 cells finished.*no cell is finished.*holds 2 of 2 cells, run with --set=n_points=5 --set=depths=1,2 --set=activations=erf")
  expect_false(r0$complete)
  expect_null(r0$data)
  expect_identical(r0$data_error, "no cell is finished")
  # a collate that fails on a partial set of cells is reported, not raised
  spec <- jntk:::load_experiment("kimyang2024-fig6")
  collate <- spec$collate
  spec$collate <- function(cells, values, settings, shared) {
    if (nrow(cells) < 3L) stop("needs every depth")
    collate(cells, values, settings, shared)
  }
  set3 <- list(n_points = 5L, depths = 1:3, activations = "erf")
  r2 <- run_experiment(spec, size = "small", cache_dir = dir, progress = FALSE, set = set3)
  expect_true(r2$complete)
  unlink(file.path(dir, "kimyang2024-fig6", list.files(file.path(dir, "kimyang2024-fig6"),
                                                       pattern = "cell0003.rds", recursive = TRUE)))
  expect_message(r3 <- run_experiment(spec, size = "small", cache_dir = dir, progress = FALSE,
                                      max_minutes = 0, set = set3),
                 "2 of 3 cells finished.*collating 2 of 3 cells failed: needs every depth")
  expect_false(r3$complete)
  expect_null(r3$data)
  expect_identical(r3$cells$finished, c(TRUE, TRUE, FALSE))
})

test_that("run_experiment() refuses what it cannot run", {
  expect_snapshot(error = TRUE, run_experiment("kimyang2024-fig99"))
  expect_snapshot(error = TRUE, run_experiment("kimyang2024-fig6", set = list(widthz = 3)))
  expect_snapshot(error = TRUE, run_experiment("kimyang2024-fig6", set = list(3)))
  expect_snapshot(error = TRUE, run_experiment("kimyang2024-fig6", args = "--sise=small"))
})

test_that("command-line arguments are parsed", {
  a <- jntk:::experiment_args(c("--size=small", "--set=widths=64,128", "--set=activations=erf",
                                "--max-minutes=5", "--cache=/tmp/x"))
  expect_identical(a$size, "small")
  expect_identical(a$set, list(widths = c(64, 128), activations = "erf"))
  expect_identical(a$max_minutes, 5)
  expect_identical(a$cache, "/tmp/x")
})
