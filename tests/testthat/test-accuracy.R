# Accuracy of the analytic kernels against the independent reference of
# helper-reference.R (cached in reference_accuracy.rds by make-reference.R).

series_acts <- c("tanh", "softplus", "sigmoid", "silu")

test_that("the reference quadrature itself is right (closed forms, Rmpfr)", {
  # erf has closed forms for g, gdot and g_cc = (16 c / pi) R^-3/2: the
  # Gauss-Legendre reference must reproduce them at every variance and rho,
  # next to the diagonal included (1e-14: a dozen roundings of the sums)
  for (a in c(1e-6, 1, 100)) for (rho in c(-0.9, 0.5, 1 - 1e-12, 1)) {
    r <- ref_moments("erf", a, a, rho, which = c(1, 4, 5))
    cf <- kref_dual_closed("erf", a, a, rho * a)
    R <- 1 + 4 * a + 4 * a^2 * (1 - rho) * (1 + rho)
    expect_lt(max(abs(r - c(cf, 16 / pi * rho * a * R^-1.5)) / abs(c(cf, 16 / pi * a * R^-1.5))),
              1e-14, label = paste(a, rho))
  }
  # a diagonal series moment in 120-bit arithmetic (Rmpfr's Romberg
  # integration on the same finite range): agreement to 1e-14
  skip_if_not_installed("Rmpfr")
  a <- 10
  f <- function(z) { t <- tanh(sqrt(Rmpfr::mpfr(a, 120)) * z); t * t * exp(-z * z / 2) / sqrt(2 * Rmpfr::Const("pi", 120)) }
  hp <- 2 * as.numeric(Rmpfr::integrateR(f, Rmpfr::mpfr(0, 120), Rmpfr::mpfr(12, 120),
                                         rel.tol = 1e-20, max.ord = 25)$value)
  expect_lt(abs(ref_moments("tanh", a, a, 1, which = 1) - hp) / hp, 1e-14)
})

test_that("the cached reference values are the reference's (a few recomputed live)", {
  rc <- ref_cache()
  pick <- c(3, 75, 200)
  for (k in pick) {
    m <- rc$moments[[k]]
    expect_equal(ref_moments(m$act, m$a, m$b, m$rho), m$value, tolerance = 1e-13,
                 label = paste(m$act, m$a, m$b, m$rho))
  }
  k <- rc$kernels[[1]]
  r <- kref_kernels(k$depth, k$sigma_w, k$sigma_b, k$kappa, k$x, k$x,
                    function(a, b, c) kref_dual_quad(k$act, a, b, c))
  expect_equal(r$nngp, k$nngp, tolerance = 1e-13)
  expect_equal(r$ntk, k$ntk, tolerance = 1e-13)
})

test_that("series moments match the reference at variances 1e-6..100, every rho", {
  # every moment the kernels use, by the method the kernels choose, within
  # 1e-12 of its Cauchy-Schwarz scale (observed: below 1e-13), and within the
  # method's own estimate plus the reference's rounding
  rc <- ref_cache()
  for (m in rc$moments) {
    kp <- jntk:::kernel_par(mlp(1, m$act))
    C <- .Call(jntk:::C_kernels_moments, kp$par, kp$ipar, kp$rule,
               rbind(c(m$a, m$b, m$rho * sqrt(m$a * m$b))), 0L)
    err <- max(abs(C[1:10] - m$value) / m$scale)
    expect_lt(err, 1e-12, label = sprintf("%s a=%g b=%g rho=%g", m$act, m$a, m$b, m$rho))
    expect_lt(err, C[11] + 1e-14, label = sprintf("estimate %s a=%g rho=%g", m$act, m$a, m$rho))
  }
})

test_that("all four kernels of the series activations are accurate to 1e-10", {
  # depth 1-5, sigma_w up to 3, pre-activation variances up to ~1e3: relative
  # to each matrix's largest entry (the documented accuracy, quadrature_tol)
  rc <- ref_cache()
  for (k in rc$kernels) {
    net <- mlp(k$depth, k$act, sigma_w = k$sigma_w, sigma_b = k$sigma_b, kappa = k$kappa)
    lab <- sprintf("%s depth %d sigma_w %g", k$act, k$depth, k$sigma_w)
    expect_lt(krel_err(nngp(net, k$x), k$nngp), 1e-10, label = paste(lab, "nngp"))
    expect_lt(krel_err(ntk(net, k$x), k$ntk), 1e-10, label = paste(lab, "ntk"))
    J <- kernels(net, k$x, jacobian = TRUE)
    expect_lt(krel_err(J$jacobian_nngp, k$jacobian_nngp), 1e-10, label = paste(lab, "jacobian_nngp"))
    expect_lt(krel_err(J$jntk, k$jntk), 1e-10, label = paste(lab, "jntk"))
    S <- jntk(net, k$x, as = "structured")
    expect_lt(krel_err(as.matrix(S), k$jntk), 1e-10, label = paste(lab, "structured"))
  }
})

test_that("issue 10's case: tanh, sigma_w = 2, against the reference", {
  rc <- ref_cache()
  X <- rbind(c(3, 1, 0), c(0.3, -0.5, 0.8))
  net <- mlp(3, "tanh", sigma_w = 2, sigma_b = 0.1)
  J <- jntk(net, X); JN <- jacobian_nngp(net, X)
  expect_lt(krel_err(J, rc$issue$jntk), 1e-10)
  expect_lt(krel_err(JN, rc$issue$jacobian_nngp), 1e-10)
  expect_gt(J[3, 3], 0)    # was -12.10 with 200 Hermite terms
  expect_equal(J[3, 3], rc$issue$jntk[3, 3], tolerance = 1e-10)
})

test_that("issue 10's case against Monte Carlo over wide networks", {
  # 40 networks of width 2048: each entry's mean within 4 standard errors plus
  # the O(1/width) bias (bounded by 10/width of the kernel's scale, generous
  # for depth 3) of the analytic value
  set.seed(10)
  X <- rbind(c(3, 1, 0), c(0.3, -0.5, 0.8))
  net <- mlp(3, "tanh", sigma_w = 2, sigma_b = 0.1)
  width <- 2048; R <- 40
  E <- replicate(R, empirical_jntk(sample_mlp(net, width, input_dim = 3), X))
  m <- apply(E, 1:2, mean); se <- apply(E, 1:2, stats::sd) / sqrt(R)
  A <- jntk(net, X)
  expect_lt(max(abs(m - A) / (4 * se + 10 / width * max(abs(A)))), 1)
  # the Jacobian NNGP is the covariance of (f, grad f) over initialisations
  Y <- t(replicate(2000, {
    nw <- sample_mlp(net, 512, input_dim = 3)
    c(predict(nw, X), t(input_jacobian(nw, X)))
  }))
  est <- crossprod(Y) / nrow(Y)
  se <- sqrt(pmax(crossprod(Y^2) / nrow(Y) - est^2, 0) / nrow(Y))
  K <- jacobian_nngp(net, X)
  expect_lt(max(abs(est - K) / (4 * se + 10 / 512 * max(abs(K)))), 1)
})

test_that("a variance too large for the tolerance is a classed error", {
  # softplus at |x| ~ 1e6: near-parallel inputs keep their gap accurately only
  # in the first layer; by the second, ab - c^2 of variances ~1e11 is lost to
  # rounding, so the estimate exceeds quadrature_tol and the call stops
  x <- rbind(c(1e6, 0), c(1e6, 1))
  net <- mlp(3, "softplus")
  expect_error(nngp(net, x), class = "jntk_error_accuracy")
  cnd <- tryCatch(jacobian_nngp(net, x), error = function(e) e)
  expect_s3_class(cnd, "jntk_error_accuracy")
  expect_gt(cnd$variance, 1e10)
  expect_gt(cnd$estimate, 1e-11)
  expect_snapshot(error = TRUE, nngp(net, x))
  # a looser tolerance is honoured instead
  expect_true(all(is.finite(nngp(mlp(3, "softplus", quadrature_tol = 1e-2), x))))
})

test_that("quadrature_tol trades accuracy for time and is honoured", {
  rc <- ref_cache()
  k <- rc$kernels[[2]]
  for (tol in c(1e-4, 1e-7)) {
    net <- mlp(k$depth, k$act, sigma_w = k$sigma_w, sigma_b = k$sigma_b, kappa = k$kappa,
               quadrature_tol = tol)
    expect_lt(krel_err(ntk(net, k$x), k$ntk), tol)
    expect_lt(krel_err(jntk(net, k$x), k$jntk), tol)
  }
})

test_that("kinked activations next to the diagonal: 1e-12 against Rmpfr", {
  skip_if_not_installed("Rmpfr")
  # x' = x (1 + 1e-7) (parallel up to rounding) and 1 - rho = 1e-14 (an
  # orthogonal step of sqrt(2e-14) |x|): 300-bit closed forms and central
  # differences (helper-reference.R) against the package, relative to the
  # block's largest entry
  x <- c(0.7, -1.1, 0.4)
  perp <- c(1.1, 0.7, 0) / sqrt(1.1^2 + 0.7^2)
  for (act in c("relu", "leaky_relu", "abs")) for (sb in c(0, 0.3)) {
    net <- mlp(3, act, sigma_w = 1.4, sigma_b = sb, kappa = 0.5)
    for (xp in list(x * (1 + 1e-7), x + sqrt(2e-14) * sqrt(sum(x^2)) * perp)) {
      K <- jacobian_nngp(net, rbind(x), rbind(xp))
      R <- ref_mpfr_jacobian_nngp(act, 3, 1.4, sb, 0.5, x, xp)
      expect_lt(krel_err(K, R), 1e-12, label = paste(act, sb))
      expect_lt(abs(nngp(net, x, xp) - as.numeric(ref_mpfr_nngp(act, 3, 1.4, sb, 0.5, x, xp))) /
                  max(abs(R)), 1e-12)
    }
  }
})

test_that("kernel_error_bound() holds and is not absurdly loose", {
  # series: against the cached reference; kinked: against Rmpfr. The bound
  # is an upper estimate of max |K - K_exact| (O(N depth)); where the observed
  # error is above rounding (deep networks, loose tolerances) it must be
  # within ~100x of it.
  rc <- ref_cache()
  for (k in rc$kernels[c(2, 3, 6, 10)]) {
    net <- mlp(k$depth, k$act, sigma_w = k$sigma_w, sigma_b = k$sigma_b, kappa = k$kappa)
    for (kind in c("nngp", "ntk", "jacobian_nngp", "jntk")) {
      err <- max(abs(analytic_kernel(net, k$x, kind = kind) - k[[kind]]))
      b <- jntk:::kernel_error_bound(net, k$x, kind = kind)
      expect_gte(b, err, label = paste(k$act, k$depth, kind))
    }
  }
  for (tol in c(1e-3, 1e-6)) {
    k <- rc$kernels[[2]]
    net <- mlp(k$depth, k$act, sigma_w = k$sigma_w, sigma_b = k$sigma_b, kappa = k$kappa,
               quadrature_tol = tol)
    for (kind in c("nngp", "ntk", "jacobian_nngp", "jntk")) {
      err <- max(abs(analytic_kernel(net, k$x, kind = kind) - k[[kind]]))
      b <- jntk:::kernel_error_bound(net, k$x, kind = kind)
      expect_gte(b, err)
      # the bound is what the tolerance promises, not more: observed 100-3e4
      # times the true error (it bounds the worst pair; most are far better)
      # but always within tol x the largest entry
      expect_lte(b, tol * max(abs(k[[kind]])), label = paste(tol, kind))
    }
  }
  skip_if_not_installed("Rmpfr")
  x <- rbind(c(0.7, -1.1, 0.4), c(0.2, 0.5, -0.9))
  net <- mlp(20, "relu", sigma_w = 1.5, sigma_b = 0.1)
  R <- outer(1:2, 1:2, Vectorize(function(i, j)
    as.numeric(ref_mpfr_nngp("relu", 20, 1.5, 0.1, 1, x[i, ], x[j, ]))))
  err <- max(abs(nngp(net, x) - R))
  b <- jntk:::kernel_error_bound(net, x, kind = "nngp")
  expect_gte(b, err)
  expect_lt(b, 100 * max(err, 1e-15 * max(abs(R))))
})
