# The closed forms after neural-tangents' stax activations: sign, step
# (NNGP only), exp, gaussian, rbf (src/dual.h, src/dual.c, src/activation.c).
new_acts <- c("sign", "step", "exp", "gaussian", "rbf")
smooth_new <- c("exp", "gaussian", "rbf")

test_that("the duals match Gaussian quadrature in x-space", {
  # ref_moments: nested composite Gauss-Legendre, ~1e-15 (helper-reference.R)
  pts <- rbind(c(1, 1, 0.3), c(0.5, 2, -0.7), c(1.3, 0.8, 0.9), c(0.7, 0.7, 0.7 * (1 - 1e-9)),
               c(2, 0.3, -sqrt(0.6) * 0.999))
  for (act in new_acts) {
    kp <- jntk:::kernel_par(mlp(1, act))
    C <- .Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, pts)
    for (i in seq_len(nrow(pts))) {
      a <- pts[i, 1]; b <- pts[i, 2]; rho <- pts[i, 3] / sqrt(a * b)
      ref <- ref_moments(act, a, b, rho, which = c(1, 4))
      if (act %in% c("sign", "step")) {
        # the arc-sine kernels in 200-bit arithmetic (the x-space quadrature of
        # a jump keeps only ~1e-11 next to rho = -1)
        r <- Rmpfr::mpfr(pts[i, 3], 200) / sqrt(Rmpfr::mpfr(a, 200) * b)
        as <- asin(r)
        ref[1] <- as.numeric(if (act == "sign") 2 * as / Rmpfr::Const("pi", 200) else
          0.25 + as / (2 * Rmpfr::Const("pi", 200)))
      }
      expect_equal(C[i, 1], ref[1], tolerance = 1e-12, info = paste(act, i))
      if (act %in% smooth_new) expect_equal(C[i, 2], ref[2], tolerance = 1e-12, info = paste(act, i))
    }
  }
})

test_that("known kernels: rbf is the squared-exponential kernel, sign the arc-sine", {
  set.seed(21)
  X <- matrix(rnorm(12), 4, 3)
  d <- ncol(X)
  K <- nngp(mlp(1, "rbf", sigma_w = 1.3), X)
  D2 <- as.matrix(dist(X))^2
  expect_equal(K, 1.3^2 * exp(-1.3^2 * D2 / d), tolerance = 1e-14, ignore_attr = TRUE)
  S <- nngp(mlp(1, "sign"), X)
  # asin(rho) = pi/2 - theta, theta = atan2(|x x'|, x.x') (acos(rho) would lose
  # half the digits on the diagonal)
  cr <- function(u, v) sqrt(sum(c(u[2] * v[3] - u[3] * v[2], u[3] * v[1] - u[1] * v[3],
                                   u[1] * v[2] - u[2] * v[1])^2))
  th <- outer(1:4, 1:4, Vectorize(function(i, j) atan2(cr(X[i, ], X[j, ]), sum(X[i, ] * X[j, ]))))
  expect_equal(S, 2 / pi * (pi / 2 - th), tolerance = 1e-14, ignore_attr = TRUE)
  expect_equal(nngp(mlp(1, "step"), X), 1 / 4 + (pi / 2 - th) / (2 * pi), tolerance = 1e-14,
               ignore_attr = TRUE)
  # the diagonal exactly, and next to it
  Y <- rbind(c(1, 2, 3), c(1, 2, 3) * (1 + 1e-9), c(1, 2, 3 + 1e-7))
  expect_equal(diag(nngp(mlp(1, "rbf"), Y)), rep(1, 3))
  expect_equal(nngp(mlp(1, "rbf"), Y)[1, 3], exp(-1e-14 / 3), tolerance = 1e-13)
})

test_that("kernels at depth 1-3 match the plain-R recursion on reference duals", {
  set.seed(22)
  # variances kept below ~3 at every layer: the x-space reference is
  # accurate to ~1e-14 there (exp's integrand peaks at u = a)
  X <- matrix(rnorm(9), 3, 3) * 0.5
  for (act in new_acts) for (depth in 1:3) {
    dual <- function(a, b, c) ref_moments(act, a, b, if (a * b > 0) max(-1, min(1, c / sqrt(a * b))) else 0,
                                          which = c(1, 4))
    # exp's variances grow to ~3 by layer 3, where its integrand peaks 2 sd
    # out: its dual (checked by quadrature above) in plain R instead
    if (act == "exp") dual <- function(a, b, c) rep(exp((a + b) / 2 + c), 2)
    ref <- kref_kernels(depth, 0.8, 0.2, 0.9, X, X, dual)
    net <- mlp(depth, act, sigma_w = 0.8, sigma_b = 0.2, kappa = 0.9)
    # reference quadrature ~1e-14 per moment, propagated through <= 3 layers
    expect_lt(krel_err(nngp(net, X), ref$nngp), 1e-11, label = paste(act, depth))
    if (act %in% smooth_new) expect_lt(krel_err(ntk(net, X), ref$ntk), 1e-11, label = paste(act, depth))
  }
})

test_that("Jacobian kernels match the reference jets and finite differences", {
  set.seed(23)
  X <- matrix(rnorm(6), 3, 2) * 0.8
  for (act in smooth_new) {
    net <- mlp(2, act, sigma_w = 0.9, sigma_b = 0.3, kappa = 1.1)
    for (tangent in c(FALSE, TRUE)) {
      K <- if (tangent) jntk(net, X, as = "matrix") else jacobian_nngp(net, X, as = "matrix")
      ref <- ref_jacobian_kernel(act, 2, 0.9, 0.3, 1.1, X, tangent = tangent)
      expect_lt(krel_err(K, ref), 1e-11, label = paste(act, tangent))
      # central differences leave ~1e-8 (h = 1e-5 / 1e-4)
      fd <- jref_fd_jacobian(function(a, b) (if (tangent) ntk else nngp)(net, a, b), X, X)
      expect_lt(krel_err(K, fd), 1e-6, label = paste(act, tangent))
    }
  }
})

test_that("sign and step are NNGP only", {
  X <- rbind(c(1, 0), c(0.3, 0.9))
  net <- mlp(2, "sign")
  expect_snapshot(error = TRUE, ntk(net, X))
  expect_error(jacobian_nngp(mlp(1, "step"), X), class = "jntk_error_unsupported")
  expect_error(jntk(net, X), class = "jntk_error_unsupported")
  expect_error(kernels(net, X), class = "jntk_error_unsupported")
  expect_true(all(is.finite(nngp(net, rbind(X, 0)))))  # a zero input: phi(0) = 0
})

test_that("exp overflows with a classed error, not Inf", {
  expect_error(nngp(mlp(3, "exp", sigma_w = 3), rbind(c(10, 10))), class = "jntk_error_overflow")
})

test_that("finite networks: outputs, Jacobians and training gradients", {
  set.seed(24)
  X <- matrix(rnorm(8), 4, 2)
  y <- c(1, -1, 0.5, 0)
  for (act in new_acts) {
    net <- mlp(2, act, sigma_w = 1.2, sigma_b = 0.3, kappa = 0.8)
    nw <- sample_mlp(net, c(5, 4), input_dim = 2)
    phi <- function(h) ref_derivs[[act]](h, 0)
    fwd <- function(x) {
      z <- x
      for (l in 1:3) {
        h <- 1.2 / sqrt(length(z)) * drop(nw$weights[[l]] %*% z) + 0.3 * nw$biases[[l]]
        z <- if (l < 3) phi(h) else h
      }
      0.8 * z
    }
    g <- training_gradient(nw, X, y, lambda = 0)
    expect_equal(unname(g$outputs), apply(X, 1, fwd), tolerance = 1e-13, label = act)
    if (!(act %in% smooth_new)) next
    # input Jacobian against central differences of the R forward pass (h = 1e-6: ~1e-9)
    J <- t(apply(X, 1, function(x) vapply(1:2, function(i) {
      e <- replace(numeric(2), i, 1e-6)
      (fwd(x + e) - fwd(x - e)) / 2e-6
    }, 0)))
    expect_lt(max(abs(unname(g$jacobian) - J)), 1e-7, label = act)
    # the Jacobian-penalty gradient (needs phi'') against central differences
    # of the loss in one weight of each layer (h = 1e-5: ~1e-9 relative)
    gl <- training_gradient(nw, X, y, lambda = 0.7)
    for (l in 1:3) {
      loss_at <- function(s) {
        nw2 <- nw
        nw2$weights[[l]][1, 1] <- nw2$weights[[l]][1, 1] + s
        training_gradient(nw2, X, y, lambda = 0.7)$loss
      }
      fd <- (loss_at(1e-5) - loss_at(-1e-5)) / 2e-5
      expect_equal(gl$weights[[l]][1, 1], fd, tolerance = 1e-6, label = paste(act, l))
    }
  }
})
