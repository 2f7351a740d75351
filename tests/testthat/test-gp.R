# Gaussian-process inference under a network prior (R/gp.R, R/gp_methods.R).
# References: the textbook posterior and evidence written with solve() in
# helper-gp.R, mvtnorm::dmvnorm, finite differences of the posterior mean,
# brute-force leave-one-out refits, gradient_flow() at t = Inf.

# Tolerance of posterior quantities against the textbook formula: both are
# float64 solves of the same system (Cholesky here, LU there) whose
# condition numbers are below 1e8 in these problems, so they agree to about
# cond * eps < 1e-8 relative to the prior scale.
gp_tol <- 1e-7

test_that("values only: mean, variance and covariance match the textbook formula", {
  dt <- gp_sin_data()
  for (act in c("relu", "erf")) {
    net <- mlp(2, act, sigma_w = 1.3, sigma_b = 0.2, kappa = 0.7)
    for (kernel in c("nngp", "ntk")) {
      g <- gp_fit(net, dt$x, dt$y, noise = 1e-3, kernel = kernel)
      p <- predict(g, dt$xt, cov = TRUE)
      ref <- gp_ref_posterior(net, kernel, dt$x, dt$y, dt$xt, noise = 1e-3)
      expect_equal(unname(p$mean), ref$mean, tolerance = gp_tol)
      expect_equal(unname(p$cov), ref$cov, tolerance = gp_tol)
      expect_equal(unname(p$var), diag(ref$cov), tolerance = gp_tol)
      # without cov = TRUE the variances come from the chunked prior diagonal
      expect_equal(unname(predict(g, dt$xt)$var), diag(ref$cov), tolerance = gp_tol)
    }
  }
})

test_that("gradient observations and gradient predictions match the textbook formula", {
  dt <- gp_sin_data(N = 6, m = 4)
  cases <- list(list("relu", "nngp"), list("erf", "nngp"), list("gelu", "ntk"))
  for (cs in cases) {
    net <- mlp(2, cs[[1]], sigma_w = 1.2, sigma_b = 0.1)
    g <- gp_fit(net, dt$x, dt$y, dy = dt$dy, noise = 1e-4, dy_noise = 1e-3, kernel = cs[[2]])
    p <- predict(g, dt$xt, cov = TRUE, jacobian = TRUE)
    ref <- gp_ref_posterior(net, cs[[2]], dt$x, dt$y, dt$xt, dy = dt$dy, noise = 1e-4,
                            dy_noise = 1e-3, jac_new = TRUE)
    m <- nrow(dt$xt)
    expect_equal(unname(p$mean), ref$mean[1:m], tolerance = gp_tol)
    expect_equal(unname(p$jacobian), matrix(ref$mean[-(1:m)], m, 2, byrow = TRUE),
                 tolerance = gp_tol)
    expect_equal(unname(p$cov_joint), ref$cov, tolerance = gp_tol)
    expect_equal(unname(p$jacobian_var), matrix(diag(ref$cov)[-(1:m)], m, 2, byrow = TRUE),
                 tolerance = gp_tol)
    q <- predict(g, dt$xt, jacobian = TRUE)                 # chunked diagonal path
    expect_equal(q$jacobian_var, p$jacobian_var, tolerance = gp_tol)
    expect_equal(q$var, p$var, tolerance = gp_tol)
    # values-only fit, gradient predictions
    g0 <- gp_fit(net, dt$x, dt$y, noise = 1e-4, kernel = cs[[2]])
    p0 <- predict(g0, dt$xt, cov = TRUE, jacobian = TRUE)
    r0 <- gp_ref_posterior(net, cs[[2]], dt$x, dt$y, dt$xt, noise = 1e-4, jac_new = TRUE)
    expect_equal(unname(p0$cov_joint), r0$cov, tolerance = gp_tol)
    expect_equal(unname(as.vector(t(p0$jacobian))), r0$mean[-(1:m)], tolerance = gp_tol)
  }
})

test_that("predicted gradients are the derivatives of the posterior mean", {
  dt <- gp_sin_data(N = 8, m = 3)
  net <- mlp(3, "gelu", sigma_w = 1.5, sigma_b = 0.1)
  for (dy in list(NULL, dt$dy)) {
    g <- gp_fit(net, dt$x, dt$y, dy = dy, noise = 1e-6)
    J <- predict(g, dt$xt, jacobian = TRUE)$jacobian
    # central differences, h = 1e-5: truncation h^2 |f'''| ~ 1e-10, rounding
    # eps |f| / h ~ 1e-11, so 1e-7 is ample and still catches any error.
    h <- 1e-5
    for (i in 1:2) {
      e <- matrix(0, nrow(dt$xt), 2); e[, i] <- h
      fd <- (predict(g, dt$xt + e)$mean - predict(g, dt$xt - e)$mean) / (2 * h)
      expect_equal(unname(J[, i]), unname(fd), tolerance = 1e-7)
    }
  }
})

test_that("the NTK-GP mean is the t = Inf mean of gradient_flow() with ridge = noise", {
  dt <- gp_sin_data()
  net <- mlp(2, "relu", sigma_b = 0.1)
  g <- gp_fit(net, dt$x, dt$y, noise = 1e-2, kernel = "ntk")
  fl <- gradient_flow(net, dt$x, dt$y, ridge = 1e-2)
  expect_equal(unname(predict(g, dt$xt)$mean),
               unname(predict(fl, dt$xt, t = Inf)$mean[, 1]), tolerance = 1e-9)
})

test_that("logLik matches mvtnorm::dmvnorm and the direct formula; AIC/BIC work", {
  skip_if_not_installed("mvtnorm")
  dt <- gp_sin_data(N = 7)
  net <- mlp(2, "erf", sigma_w = 1.4, sigma_b = 0.3, kappa = 2)
  for (dy in list(NULL, dt$dy)) {
    g <- gp_fit(net, dt$x, dt$y, dy = dy, noise = 1e-3, dy_noise = 1e-2)
    ref <- gp_ref_posterior(net, "nngp", dt$x, dt$y, dt$xt, dy = dy, noise = 1e-3, dy_noise = 1e-2)
    ll <- logLik(g)
    # log-densities of order 10 from two float64 evaluations: 1e-9 relative
    expect_equal(as.numeric(ll), mvtnorm::dmvnorm(ref$z, sigma = ref$A, log = TRUE),
                 tolerance = 1e-9)
    expect_equal(as.numeric(ll), ref$loglik, tolerance = 1e-9)
    expect_identical(attr(ll, "nobs"), length(ref$z))
    expect_identical(nobs(g), length(ref$z))
    expect_identical(attr(ll, "df"), 0L)
    expect_equal(AIC(g), -2 * as.numeric(ll))
    expect_equal(BIC(g), -2 * as.numeric(ll))
  }
})

test_that("several outputs are independent GPs sharing the kernel; a factor is one-hot", {
  dt <- gp_sin_data(N = 8, m = 4)
  net <- mlp(2, "erf", sigma_b = 0.1)
  Y <- cbind(a = dt$y, b = cos(dt$x[, 2]))
  DY <- array(c(dt$dy, cbind(0, -sin(dt$x[, 2]))), c(8, 2, 2))
  g <- gp_fit(net, dt$x, Y, dy = DY, noise = 1e-4)
  p <- predict(g, dt$xt, jacobian = TRUE)
  expect_identical(dim(p$mean), c(4L, 2L))
  expect_identical(colnames(p$mean), c("a", "b"))
  expect_identical(dim(p$jacobian), c(4L, 2L, 2L))
  for (j in 1:2) {
    gj <- gp_fit(net, dt$x, Y[, j], dy = DY[, , j], noise = 1e-4)
    pj <- predict(gj, dt$xt, jacobian = TRUE)
    expect_equal(unname(p$mean[, j]), unname(pj$mean), tolerance = 1e-12)
    expect_equal(unname(p$jacobian[, , j]), unname(pj$jacobian), tolerance = 1e-12)
    expect_equal(p$var, pj$var, tolerance = 1e-12)
  }
  expect_equal(as.numeric(logLik(g)),
               sum(vapply(1:2, function(j) as.numeric(logLik(gp_fit(net, dt$x, Y[, j], dy = DY[, , j],
                                                                      noise = 1e-4))), 0)),
               tolerance = 1e-12)
  lab <- factor(ifelse(dt$x[, 1] > 0, "pos", "neg"))
  gc <- gp_fit(net, dt$x, lab, noise = 1e-2)
  pc <- predict(gc, dt$xt)
  expect_identical(colnames(pc$mean), c("neg", "pos"))
  expect_identical(levels(pc$class), c("neg", "pos"))
  expect_identical(as.character(pc$class), ifelse(pc$mean[, "pos"] > pc$mean[, "neg"], "pos", "neg"))
  dfc <- as.data.frame(pc)
  expect_identical(dfc$class, rep(pc$class, 2))
  expect_identical(dfc$output, rep(c("neg", "pos"), each = 4))
})

test_that("conditioning on gradients improves the test error by a measured factor", {
  # y = sin(x1) on [-2, 2]^2, 12 training points, 400 test points; scales by
  # evidence (3 starts) for both fits. Measured (seed 1, erf): RMSE 0.035 with
  # values only, 3.4e-4 with values and gradients, a factor of 100. Over
  # seeds 1-5 the factor is 3-100 for erf (median 13), 3-78 for gelu (median
  # 29), 1.4-4 for relu (median 2.4); with the scales fixed at their starting
  # values 1.5-2.4 (erf). The bound 10 is a tenth of the seed-1 factor.
  dt <- gp_sin_data(N = 12, m = 400, seed = 1)
  net <- mlp(2, "erf", sigma_w = 1, sigma_b = 0.1)
  set.seed(2)
  g0 <- gp_optimise(gp_fit(net, dt$x, dt$y, noise = 1e-6), starts = 3)
  g1 <- gp_optimise(gp_fit(net, dt$x, dt$y, dy = dt$dy, noise = 1e-6), starts = 3)
  rmse <- function(g) sqrt(mean((predict(g, dt$xt)$mean - dt$yt)^2))
  expect_gt(rmse(g0) / rmse(g1), 10)
  # with the same fixed scales the gain is smaller (1.75) but still there
  expect_gt(rmse(gp_fit(net, dt$x, dt$y, noise = 1e-6)) /
              rmse(gp_fit(net, dt$x, dt$y, dy = dt$dy, noise = 1e-6)), 1.3)
})

test_that("heavy: the gain from gradients over designs and activations", {
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  # The measurement quoted above: 5 designs x 3 activations, scales by
  # evidence (3 starts). Measured minimum / median factors: erf 3.1 / 13,
  # gelu 3.2 / 29, relu 1.4 / 2.4; bounds a little below the minima.
  fac <- list()
  for (act in c("erf", "gelu", "relu")) for (s in 1:5) {
    dt <- gp_sin_data(N = 12, m = 400, seed = s)
    net <- mlp(2, act, sigma_w = 1, sigma_b = 0.1)
    set.seed(2)
    g0 <- gp_optimise(gp_fit(net, dt$x, dt$y, noise = 1e-6), starts = 3)
    g1 <- gp_optimise(gp_fit(net, dt$x, dt$y, dy = dt$dy, noise = 1e-6), starts = 3)
    rmse <- function(g) sqrt(mean((predict(g, dt$xt)$mean - dt$yt)^2))
    fac[[act]] <- c(fac[[act]], rmse(g0) / rmse(g1))
  }
  expect_gt(min(fac$erf), 2.5)
  expect_gt(min(fac$gelu), 2.5)
  expect_gt(min(fac$relu), 1.2)
  expect_gt(stats::median(fac$erf), 8)
  expect_gt(stats::median(fac$gelu), 15)
  expect_gt(stats::median(fac$relu), 1.8)
})

test_that("fitted, residuals, coef and the leave-one-out formula", {
  dt <- gp_sin_data(N = 9)
  net <- mlp(2, "relu", sigma_b = 0.2)
  g <- gp_fit(net, dt$x, dt$y, noise = 1e-2)
  expect_equal(fitted(g), predict(g)$mean, tolerance = 1e-10)
  expect_equal(residuals(g), dt$y - fitted(g))
  expect_identical(names(coef(g)), c("sigma_w", "sigma_b", "kappa", "noise"))
  expect_identical(names(coef(gp_fit(net, dt$x, dt$y, dy = dt$dy))),
                   c("sigma_w", "sigma_b", "kappa", "noise", "dy_noise"))
  # Leave-one-out by brute force: refit without point i, predict y_i
  # (the predictive variance of y adds the noise).
  s <- summary(g)
  for (i in c(1, 5, 9)) {
    gi <- gp_fit(net, dt$x[-i, ], dt$y[-i], noise = 1e-2)
    pi <- predict(gi, dt$x[i, , drop = FALSE])
    expect_equal(s$loo$mean[i], unname(pi$mean), tolerance = 1e-9)
    expect_equal(s$loo$var[i], unname(pi$var) + 1e-2, tolerance = 1e-9)
  }
})

test_that("a singular covariance gets a reported jitter, never a silent one", {
  net <- mlp(2, "relu", sigma_b = 0.1)
  x <- rbind(c(1, 0), c(0.5, 0.5), c(1, 0))                 # duplicated input
  expect_warning(g <- gp_fit(net, x, c(1, 2, 1)), class = "jntk_warning_jitter")
  expect_gt(g$jitter, 0)
  expect_output(print(g), "JITTER")
  expect_true(all(is.finite(predict(g, rbind(c(0.2, 0.1)), cov = TRUE)$cov)))
  expect_true(is.finite(logLik(g)))
  # a well-conditioned problem gets none
  expect_silent(g2 <- gp_fit(net, x[1:2, ], c(1, 2)))
  expect_identical(g2$jitter, 0)
  # zero prior variance at a zero-norm input (sigma_b = 0): jitter, finite
  net0 <- mlp(2, "relu")
  expect_warning(g0 <- gp_fit(net0, rbind(c(0, 0), c(1, 0.2)), c(0, 1)),
                 class = "jntk_warning_jitter")
  expect_true(all(is.finite(unlist(predict(g0, rbind(c(0, 0), c(0.3, 1)))[c("mean", "var")]))))
  expect_snapshot(gp_fit(net0, rbind(c(0, 0)), 1), error = TRUE)
})

test_that("edge cases: one point, d = 1 vectors, threads, kinked NTK with gradients", {
  net <- mlp(1, "erf", sigma_b = 0.1)
  g1 <- gp_fit(net, c(0.3, -0.2), 1.5, noise = 0.1)          # one point in R^2
  expect_identical(c(g1$N, g1$d), c(1L, 2L))
  x <- c(-1, 0, 0.7, 2)
  g <- gp_fit(net, x, sin(x), dy = cos(x), noise = 1e-6)     # four points in R^1
  expect_identical(c(g$N, g$d), c(4L, 1L))
  p <- predict(g, c(0.1, 0.5), jacobian = TRUE)              # two points
  expect_length(p$mean, 2)
  ref <- gp_ref_posterior(net, "nngp", matrix(x), sin(x), matrix(c(0.1, 0.5)), dy = matrix(cos(x)),
                          noise = 1e-6, jac_new = TRUE)
  expect_equal(unname(p$mean), ref$mean[1:2], tolerance = gp_tol)
  dt <- gp_sin_data()
  a <- predict(gp_fit(net, dt$x, dt$y, dy = dt$dy, threads = 1), dt$xt, cov = TRUE, jacobian = TRUE)
  b <- predict(gp_fit(net, dt$x, dt$y, dy = dt$dy, threads = 2), dt$xt, cov = TRUE, jacobian = TRUE)
  expect_identical(a$mean, b$mean)
  expect_identical(a$cov_joint, b$cov_joint)
  relu <- mlp(2, "relu")
  expect_snapshot(gp_fit(relu, dt$x, dt$y, dy = dt$dy, kernel = "ntk"), error = TRUE)
  expect_snapshot(predict(gp_fit(relu, dt$x, dt$y, kernel = "ntk"), dt$xt, jacobian = TRUE),
                  error = TRUE)
  # the Jacobian NNGP of relu is finite: gradients are fine with the NNGP
  expect_true(all(is.finite(predict(gp_fit(relu, dt$x, dt$y, dy = dt$dy, noise = 1e-6), dt$xt,
                                    jacobian = TRUE)$jacobian_var)))
})

test_that("bad input gives classed errors that say what to do", {
  dt <- gp_sin_data()
  net <- mlp(2, "erf")
  expect_snapshot(gp_fit(net, dt$x, dt$y, dy = dt$dy[, 1]), error = TRUE)
  expect_snapshot(gp_fit(net, dt$x, dt$y, dy = t(dt$dy)), error = TRUE)
  bad <- dt$dy; bad[3, 2] <- NA
  expect_snapshot(gp_fit(net, dt$x, dt$y, dy = bad), error = TRUE)
  expect_snapshot(gp_fit(net, dt$x, factor(dt$y > 0), dy = dt$dy), error = TRUE)
  expect_snapshot(gp_fit(net, dt$x, dt$y, noise = -1), error = TRUE)
  expect_snapshot(gp_fit(net, dt$x, dt$y[-1]), error = TRUE)
  expect_snapshot(gp_fit(net, dt$x, dt$y, solver = "pcg"), error = TRUE)
  expect_snapshot(gp_fit(net, dt$x, dt$y, kernel = "rbf"), error = TRUE)
  expect_snapshot(gp_fit("erf", dt$x, dt$y), error = TRUE)
  g <- gp_fit(net, dt$x, dt$y)
  expect_snapshot(predict(g, cbind(dt$xt, 1)), error = TRUE)
  expect_snapshot(predict(g, dt$xt, cov = NA), error = TRUE)
  expect_error(gp_fit(net, dt$x, dt$y, dy = dt$dy * Inf), class = "jntk_error_input")
  withr_opt <- options(jntk.max_memory_gb = 1e-9)
  on.exit(options(withr_opt))
  expect_error(gp_fit(net, dt$x, dt$y), class = "jntk_error_size")
})

test_that("print, summary and prediction printing", {
  dt <- gp_sin_data(N = 6, m = 3)
  net <- mlp(2, "erf", sigma_w = 1.2, sigma_b = 0.1)
  g <- gp_fit(net, dt$x, dt$y, dy = dt$dy, noise = 1e-4)
  expect_snapshot(print(g))
  expect_snapshot(print(predict(g, dt$xt, jacobian = TRUE)))
  s <- summary(g)
  expect_s3_class(s, "summary.gp_fit")
  expect_output(print(s), "Leave-one-value-out")
  df <- as.data.frame(predict(g, dt$xt, jacobian = TRUE))
  expect_identical(names(df), c("x1", "x2", "mean", "sd", "lower", "upper", "dx1", "dx1_sd",
                                "dx2", "dx2_sd"))
  expect_equal(df$upper - df$mean, stats::qnorm(0.975) * df$sd)
})

test_that("plot draws 1-D fits with gradient slopes and LOO plots for d > 1", {
  net <- mlp(2, "erf", sigma_w = 1.5, sigma_b = 0.2)
  x <- c(-2, -1.2, 0.1, 0.8, 2)
  g <- gp_fit(net, x, sin(2 * x), dy = 2 * cos(2 * x), noise = 1e-6)
  f1 <- tempfile(fileext = ".png"); f2 <- tempfile(fileext = ".png")
  grDevices::png(f1, width = 700, height = 450)
  expect_identical(plot(g), g)
  grDevices::dev.off()
  dt <- gp_sin_data()
  grDevices::png(f2, width = 500, height = 500)
  plot(gp_fit(net, dt$x, dt$y, noise = 1e-3))
  grDevices::dev.off()
  expect_gt(file.size(f1), 5000)
  expect_gt(file.size(f2), 3000)
  expect_error(plot(g, output = 2), class = "jntk_error_argument")
})
