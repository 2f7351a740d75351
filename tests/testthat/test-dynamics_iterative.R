# The iterative (matrix-free) gradient flow against the dense one
# (R/dynamics_iterative.R). Both are float64 closed forms of the same
# quantity; the iterative path solves to tol = 1e-10 (CG residual, Lanczos
# error estimate), so with kernels of condition <= ~1e4 the predictions agree
# to ~1e-8 relative at worst (the issue's accuracy goal).

it_data <- function(N = 20, d = 5, seed = 1) {
  set.seed(seed)
  x <- matrix(stats::rnorm(N * d), N, d) / 2
  list(x = x, y = sin(2 * x[, 1]) + x[, 2], xt = matrix(stats::rnorm(4 * d), 4, d) / 2,
       net = mlp(2, "erf", sigma_w = 1.5, sigma_b = 0.1, kappa = 0.5))
}

rel_err <- function(a, b) max(abs(a - b)) / max(abs(b))

test_that("iterative predictions (mean, Jacobian, covariance) match the dense flow", {
  dt <- it_data()
  tt <- c(0, 1, 10, 100, Inf)
  for (lambda in c(0, 0.05)) {
    fd <- gradient_flow(dt$net, dt$x, dt$y, lambda = lambda, ridge = 1e-4, solver = "dense")
    fi <- gradient_flow(dt$net, dt$x, dt$y, lambda = lambda, ridge = 1e-4, solver = "iterative")
    expect_identical(fi$solver, "iterative")
    pd <- predict(fd, dt$xt, t = tt, jacobian = TRUE)
    pi <- predict(fi, dt$xt, t = tt, jacobian = TRUE)
    expect_lt(rel_err(pi$mean, pd$mean), 1e-8)
    expect_lt(rel_err(pi$jacobian, pd$jacobian), 1e-8)
    # covariance for a few test points (one Krylov solve per point)
    cd <- predict(fd, dt$xt[1:2, ], t = c(5, Inf), cov = TRUE)
    ci <- predict(fi, dt$xt[1:2, ], t = c(5, Inf), cov = TRUE)
    expect_lt(rel_err(ci$cov, cd$cov), 1e-7)
    expect_lt(rel_err(ci$mean, cd$mean), 1e-8)
    # gradient descent with a learning rate, and a given initialisation
    lr <- 0.5 * 2 * fd$N / max(fd$values)
    gd <- predict(fd, dt$xt, t = 20 * lr, lr = lr)
    gi <- predict(fi, dt$xt, t = 20 * lr, lr = lr)
    expect_lt(rel_err(gi$mean, gd$mean), 1e-8)
    set.seed(3)
    nw <- sample_mlp(dt$net, 64, input_dim = 5)
    expect_lt(rel_err(predict(fi, dt$xt, t = c(2, Inf), init = nw)$mean,
                      predict(fd, dt$xt, t = c(2, Inf), init = nw)$mean), 1e-8)
  }
})

test_that("several outputs and factor targets; the solves are cached", {
  dt <- it_data(N = 15)
  y <- cbind(a = dt$y, b = cos(dt$x[, 3]))
  fd <- gradient_flow(dt$net, dt$x, y, lambda = 0.1, ridge = 1e-4, solver = "dense")
  fi <- gradient_flow(dt$net, dt$x, y, lambda = 0.1, ridge = 1e-4, solver = "iterative")
  pi <- predict(fi, dt$xt, t = c(3, Inf))
  expect_lt(rel_err(pi$mean, predict(fd, dt$xt, t = c(3, Inf))$mean), 1e-8)
  expect_identical(dimnames(pi$mean)[[2]], c("a", "b"))
  expect_true(length(ls(fi$cache)) >= 1L)
  expect_identical(predict(fi, dt$xt, t = c(3, Inf))$mean, pi$mean)
  expect_snapshot(print(pi), transform = function(x) gsub("-?[0-9]\\.[0-9]+(e-?[0-9]+)?", "<num>", x))
})

test_that("solver = 'auto' follows the memory budget; print and summary", {
  # budget 5e-5 GB = 50 kB: the dense 110 x 110 JNTK (97 kB) does not fit,
  # the structured scalars (6.4 kB and work) do
  dt <- it_data(N = 10, d = 10)
  expect_identical(gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1)$solver, "dense")
  old <- options(jntk.max_memory_gb = 5e-5)
  on.exit(options(old))
  fl <- gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4)
  expect_identical(fl$solver, "iterative")
  options(old)
  out <- capture.output(print(fl))
  expect_match(out[4], "solver: iterative")
  s <- summary(fl)
  expect_s3_class(s, "summary.gradient_flow")
  expect_lte(s$lambda_max, 1.01 * max(gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4,
                                                    solver = "dense")$values))
  expect_gte(s$lambda_max, max(gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4,
                                             solver = "dense")$values) * (1 - 1e-10))
  pdf(NULL)
  on.exit(dev.off(), add = TRUE)
  expect_s3_class(plot(fl, dt$x[1:2, ], over = "t"), "flow_prediction")
})

test_that("as.data.frame() of a prediction is long format", {
  dt <- it_data(N = 8, d = 2)
  fl <- gradient_flow(dt$net, dt$x, cbind(u = dt$y, v = -dt$y))
  p <- predict(fl, dt$xt, t = c(1, Inf), cov = TRUE)
  df <- as.data.frame(p)
  expect_identical(names(df), c("point", "time", "output", "mean", "sd"))
  expect_identical(nrow(df), 4L * 2L * 2L)
  r <- df[df$point == 3 & df$time == Inf & df$output == "v", ]
  expect_identical(r$mean, p$mean[3, "v", 2])
  expect_identical(r$sd, unname(sqrt(p$cov[3, 3, 2])))
  p1 <- predict(gradient_flow(dt$net, dt$x, dt$y), dt$xt, t = 2)
  expect_true(all(is.na(as.data.frame(p1)$sd)))
})

test_that("an ill-conditioned t = Inf fit warns (classed) in print and predictions", {
  dt <- it_data(N = 12, d = 2)
  fl <- gradient_flow(dt$net, dt$x, dt$y, lambda = 0.01, ridge = 1e-12, solver = "dense")
  r <- jntk:::flow_condition_ratio(fl)
  skip_if(r >= 1e-6, "kernel too well conditioned for this check")
  expect_warning(predict(fl, dt$xt, t = Inf), class = "jntk_warning_conditioning")
  expect_no_warning(predict(fl, dt$xt, t = 100))
  expect_match(paste(capture.output(print(fl)), collapse = " "), "conditioning warning")
  w <- tryCatch(predict(fl, dt$xt, t = Inf), warning = identity)
  expect_equal(w$ratio, r)
})

test_that("iterative flow errors are classed", {
  dt <- it_data(N = 6, d = 2)
  expect_snapshot(error = TRUE, gradient_flow(dt$net, dt$x, dt$y, solver = "fast"))
  expect_snapshot(error = TRUE, gradient_flow(dt$net, dt$x, dt$y, kernel = diag(3)))
  expect_snapshot(error = TRUE, gradient_flow(dt$net, dt$x, dt$y, tol = 0))
})

test_that("N = 1000 Fashion-MNIST images, d = 784: iterative t = Inf and t = 100 (heavy)", {
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  x <- fashion_mnist_1k$images / 255
  y <- ifelse(fashion_mnist_1k$labels == "Trouser", 1, -1)
  net <- mlp(depth = 2, activation = "erf", sigma_w = 1.5, sigma_b = 0.1, kappa = 0.1)
  fl <- gradient_flow(net, x, y, lambda = 0.01, ridge = 1e-6, tol = 1e-8, threads = 2)
  expect_identical(fl$solver, "iterative")
  xt <- x[1:100, ]
  p <- predict(fl, xt, t = c(100, Inf))
  expect_true(all(is.finite(p$mean)))
  # at t = Inf the ridge regression fits the training targets closely
  expect_gt(mean(sign(p$mean[, 2]) == y[1:100]), 0.95)
})

test_that("an iterative flow's top eigenpairs match the dense eigendecomposition", {
  skip_if_not_installed("RSpectra")
  dt <- it_data(N = 10, d = 3)
  fd <- gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4, solver = "dense")
  fi <- gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4, solver = "iterative")
  e <- jntk:::flow_top_eigen(fi, 3)
  expect_equal(e$values, rev(tail(fd$values, 3)), tolerance = 1e-9)
  # eigenvectors up to sign
  V <- fd$vectors[, fd$n - 0:2]
  expect_equal(abs(colSums(V * e$vectors)), rep(1, 3), tolerance = 1e-8)
})

test_that("without RSpectra the top eigenpairs come from the package's Lanczos", {
  dt <- it_data(N = 10, d = 3)
  fd <- gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4, solver = "dense")
  fi <- gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4, solver = "iterative")
  e <- jntk:::flow_top_eigen(fi, 3, spectra = FALSE)
  # Ritz residuals <= 1e-10 of the largest eigenvalue; gaps are >= 1e-3 of it here
  expect_equal(e$values, rev(tail(fd$values, 3)), tolerance = 1e-9)
  V <- fd$vectors[, fd$n - 0:2]
  expect_equal(abs(colSums(V * e$vectors)), rep(1, 3), tolerance = 1e-7)
})

test_that("lanczos_top() finds every copy of a repeated eigenvalue", {
  set.seed(21)
  n <- 40
  Q <- qr.Q(qr(matrix(stats::rnorm(n * n), n)))
  cases <- list(distinct = sort(stats::runif(n), decreasing = TRUE),
                triple = c(5, 5, 5, 4, 3, 3, stats::runif(n - 6)),
                flat = c(rep(2, 10), rep(1, n - 10)),
                mixed = c(3, 2, 2, 2, rep(0, n - 4)))
  for (nm in names(cases)) {
    ev <- cases[[nm]]
    A <- Q %*% (ev * t(Q))
    r <- jntk:::lanczos_top(function(v) as.vector(A %*% v), n, 5, tol = 1e-12)
    expect_equal(r$values, sort(ev, decreasing = TRUE)[1:5], tolerance = 1e-12, label = nm)
    expect_lt(max(abs(A %*% r$vectors - r$vectors %*% diag(r$values))), 1e-10)
    expect_lt(max(abs(crossprod(r$vectors) - diag(5))), 1e-10)
  }
})

test_that("a dense flow above the time limit is refused, pointing at the iterative solver", {
  dt <- it_data(N = 6, d = 2)
  old <- options(jntk.max_dense_eigen_minutes = 1e-9)
  on.exit(options(old))
  expect_snapshot(error = TRUE, gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, solver = "dense"))
  expect_identical(gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4)$solver, "iterative")
})

test_that("iterative predictions report their Krylov runs", {
  dt <- it_data(N = 8, d = 2)
  fi <- gradient_flow(dt$net, dt$x, dt$y, lambda = 0.1, ridge = 1e-4, solver = "iterative")
  p <- predict(fi, dt$xt, t = c(2, Inf))
  expect_identical(sort(p$krylov$method), c("cg", "lanczos"))
  expect_true(all(p$krylov$iterations >= 1L))
  expect_lte(p$krylov$accuracy[p$krylov$method == "cg"], 1e-10)
  expect_null(predict(fi, dt$xt, t = c(2, Inf))$krylov)   # cached
})
