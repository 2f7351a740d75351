# Parametrised closed-form activations (mlp(act_par = )): neural-tangents'
# ABRelu(a, b), Erf(a, b, c) and RectifiedMonomial(k), and polynomials
# (src/dual.h, src/dual.c, src/activation.c).

# ref_moments() (helper-reference.R: nested composite Gauss-Legendre in
# x-space, ~1e-15) for any phi given as dfun(x, k) = phi^(k)(x), k = 0..4.
pm_moments <- function(dfun) {
  f <- ref_moments
  e <- new.env(parent = environment(ref_moments))
  e$ref_derivs <- list(phi = dfun)
  environment(f) <- e
  function(a, b, rho, which = seq_len(nrow(ref_ij))) f("phi", a, b, rho, which)
}
pm_dual <- function(dfun) {
  mom <- pm_moments(dfun)
  function(a, b, c) mom(a, b, if (a * b > 0) max(-1, min(1, c / sqrt(a * b))) else 0, which = c(1, 4))
}
pm_erf <- function(al, be, ga) function(x, k) al * be^k * ref_derivs$erf(be * x, k) + (k == 0) * ga
pm_abrelu <- function(a, b) function(x, k) {
  switch(k + 1, ifelse(x > 0, b * x, a * x), ifelse(x > 0, b, a), 0 * x, 0 * x, 0 * x)
}
pm_poly <- function(cf) function(x, k) {
  K <- length(cf) - 1
  out <- 0 * x
  for (j in seq_len(K + 1) - 1) if (j >= k) out <- out + cf[j + 1] * factorial(j) / factorial(j - k) * x^(j - k)
  out
}
pm_relu_power <- function(k) function(x, j) {
  if (j > k) return(0 * x)
  factorial(k) / factorial(k - j) * ifelse(x > 0, pmax(x, 0)^(k - j), 0)
}
# The NNGP and NTK of mk(depth) (sigma_w = 0.9, sigma_b = 0.2, kappa = 1.1) at
# depth 1-3 against the plain-R recursion on the reference dual: reference
# moments ~1e-14 each, through <= 3 layers.
pm_check_kernels <- function(mk, dual, x) {
  x <- x[1:2, ] # (the nested reference quadrature is slow)
  for (depth in 1:3) {
    net <- mk(depth)
    ref <- kref_kernels(depth, 0.9, 0.2, 1.1, x, x, dual)
    expect_lt(krel_err(nngp(net, x), ref$nngp), 1e-11, label = paste(net$activation, depth))
    expect_lt(krel_err(ntk(net, x), ref$ntk), 1e-11, label = paste(net$activation, depth))
  }
}
# The Jacobian NNGP / JNTK of net (depth 2, sigma_w = 0.9, sigma_b = 0.3,
# kappa = 1.1) against the reference jets on quadrature moments of dfun
# (ten moments per pair and layer, each ~1e-14) where `jets` says they exist,
# and against central differences of the plain kernel (truncation ~h^2,
# rounding ~eps/h^2: ~1e-7).
pm_check_jacobian <- function(net, dfun, x, tangents = c(FALSE, TRUE), jets = c(TRUE, TRUE)) {
  for (t in seq_along(tangents)) {
    tangent <- tangents[t]
    K <- if (tangent) jntk(net, x, as = "matrix") else jacobian_nngp(net, x, as = "matrix")
    if (jets[t]) {
      # on the first two points (the nested reference quadrature is slow)
      n <- 2L
      ref <- ref_assemble(x[1:n, ], x[1:n, ], function(i, j)
        ref_pair_jets(2, 0.9, 0.3, 1.1, x[i, ], x[j, ], pm_moments(dfun), tangent))
      Kn <- if (tangent) jntk(net, x[1:n, ], as = "matrix") else
        jacobian_nngp(net, x[1:n, ], as = "matrix")
      expect_lt(krel_err(Kn, ref), 1e-11, label = paste(net$activation, tangent))
    }
    fd <- jref_fd_jacobian(function(u, v) if (tangent) ntk(net, u, v) else nngp(net, u, v), x, x)
    expect_lt(krel_err(K, fd), 1e-6, label = paste(net$activation, tangent))
  }
}
pm_x <- function() rbind(c(1, 0.2, -0.4), c(0.6, 0.8, 0.1), c(-0.3, 0.5, 0.9))

test_that("abrelu's special cases are relu, abs, leaky relu and the identity, bit for bit", {
  x <- pm_x()
  cases <- list(relu = c(0, 1), abs = c(-1, 1), leaky_relu = c(0.01, 1), identity = c(1, 1))
  for (nm in names(cases)) for (sb in c(0, 0.3)) {
    ab <- cases[[nm]]
    net <- mlp(3, "abrelu", act_par = list(a = ab[1], b = ab[2]), sigma_w = 1.2, sigma_b = sb)
    ref <- mlp(3, nm, sigma_w = 1.2, sigma_b = sb)
    # A1 = (a + b)/2 and B1 = (b - a)/2 are the same doubles as from the slope
    expect_identical(nngp(net, x), nngp(ref, x), info = nm)
    expect_identical(ntk(net, x), ntk(ref, x), info = nm)
    expect_identical(jacobian_nngp(net, x, as = "matrix"), jacobian_nngp(ref, x, as = "matrix"),
                     info = nm)
  }
  expect_identical(jntk(mlp(2, "abrelu", act_par = list(a = 1, b = 1)), x, as = "matrix"),
                   jntk(mlp(2, "identity"), x, as = "matrix"))
  # the default is relu, and leaky relu's slope can be given either way
  expect_identical(nngp(mlp(2, "abrelu"), x), nngp(mlp(2, "relu"), x))
  expect_identical(mlp(2, "leaky_relu", act_par = list(slope = 0.2))$slope, 0.2)
  expect_identical(nngp(mlp(2, "leaky_relu", act_par = list(slope = 0.2)), x),
                   nngp(mlp(2, "leaky_relu", slope = 0.2), x))
})

test_that("abrelu's dual and kernels match quadrature, its Jacobian NNGP finite differences", {
  pts <- rbind(c(1, 1, 0.3), c(0.5, 2, -0.7), c(1.3, 0.8, 0.9), c(2, 0.3, -sqrt(0.6) * 0.999))
  x <- pm_x()
  for (ab in list(c(-0.2, 1), c(0.5, -2), c(1.5, 0.3))) {
    net <- mlp(1, "abrelu", act_par = list(a = ab[1], b = ab[2]))
    kp <- jntk:::kernel_par(net)
    C <- .Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, pts)
    dual <- pm_dual(pm_abrelu(ab[1], ab[2]))
    for (i in seq_len(nrow(pts))) {
      # x-space quadrature split at the kink: ~1e-15
      expect_equal(C[i, 1:2], dual(pts[i, 1], pts[i, 2], pts[i, 3]), tolerance = 1e-12,
                   info = paste(ab, collapse = ","))
    }
    pm_check_kernels(function(depth) mlp(depth, "abrelu", act_par = list(a = ab[1], b = ab[2]),
                                         sigma_w = 0.9, sigma_b = 0.2, kappa = 1.1), dual, x)
    # central differences of the NNGP away from the diagonal (the kink's
    # cusp is on it): truncation ~h^2 and rounding ~eps/h^2, ~1e-7 here
    net <- mlp(2, "abrelu", act_par = list(a = ab[1], b = ab[2]), sigma_w = 1.1, sigma_b = 0.2)
    x1 <- x[1:2, ]; x2 <- x[3, , drop = FALSE]
    K <- jacobian_nngp(net, x1, x2, as = "matrix")
    fd <- jref_fd_jacobian(function(u, v) nngp(net, u, v), x1, x2)
    expect_lt(krel_err(K, fd), 1e-6)
  }
})

test_that("abrelu refuses the JNTK unless a = b, with the kinked family's error", {
  x <- pm_x()
  expect_snapshot(error = TRUE, jntk(mlp(2, "abrelu", act_par = list(a = -0.2, b = 1)), x))
  expect_false(mlp(2, "abrelu", act_par = list(a = -0.2, b = 1))$smooth)
  expect_true(mlp(2, "abrelu", act_par = list(a = 2, b = 2))$smooth)
})

test_that("erf(a, b, c): dual, kernels and Jacobian kernels match quadrature", {
  pts <- rbind(c(1, 1, 0.3), c(0.5, 2, -0.7), c(1.3, 0.8, 0.9), c(0.7, 0.7, 0.7 * (1 - 1e-9)))
  x <- pm_x() * 0.8
  for (p in list(c(2, 0.5, 0.1), c(-0.7, 1.6, -0.4), c(1, 1, 0.5))) {
    net <- mlp(1, "erf", act_par = list(a = p[1], b = p[2], c = p[3]))
    expect_identical(net$activation_code, 18L)
    kp <- jntk:::kernel_par(net)
    C <- .Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, pts)
    dfun <- pm_erf(p[1], p[2], p[3])
    dual <- pm_dual(dfun)
    for (i in seq_len(nrow(pts))) {
      expect_equal(C[i, 1:2], dual(pts[i, 1], pts[i, 2], pts[i, 3]), tolerance = 1e-12,
                   info = paste(p, collapse = ","))
    }
    pm_check_kernels(function(depth) mlp(depth, "erf", act_par = list(a = p[1], b = p[2], c = p[3]),
                                         sigma_w = 0.9, sigma_b = 0.2, kappa = 1.1), dual, x)
    # reference jets for the first parameters (finite differences for all)
    pm_check_jacobian(mlp(2, "erf", act_par = list(a = p[1], b = p[2], c = p[3]), sigma_w = 0.9,
                          sigma_b = 0.3, kappa = 1.1), dfun, x, jets = rep(p[1] == 2, 2))
  }
})

test_that("erf(1, 1, 0) by the parametrised code is erf, to rounding", {
  x <- pm_x()
  ref <- mlp(3, "erf", sigma_w = 1.3, sigma_b = 0.2)
  expect_identical(mlp(3, "erf", act_par = list(a = 1, b = 1, c = 0), sigma_w = 1.3,
                       sigma_b = 0.2)$activation_code, 4L) # the plain erf itself
  net <- ref
  net$activation_code <- 18L
  net$act_par <- c(a = 1, b = 1, c = 0)
  # the same operations (times 1, plus 0) except the fast plain path's own erf
  expect_equal(nngp(net, x), nngp(ref, x), tolerance = 1e-14)
  expect_equal(ntk(net, x), ntk(ref, x), tolerance = 1e-14)
  # the Jacobian kernels of the plain erf take the vectorised jets
  # (src/plain_jet.c), the parametrised one the layer-by-layer jets: equal to
  # rounding, and identical when both take the layer-by-layer path
  expect_equal(jacobian_nngp(net, x, as = "matrix"), jacobian_nngp(ref, x, as = "matrix"),
               tolerance = 1e-14)
  expect_equal(jntk(net, x, as = "matrix"), jntk(ref, x, as = "matrix"), tolerance = 1e-14)
  old_opts <- options(jntk.scalar_jets = TRUE)
  on.exit(options(old_opts), add = TRUE)
  expect_identical(jacobian_nngp(net, x, as = "matrix"), jacobian_nngp(ref, x, as = "matrix"))
  expect_identical(jntk(net, x, as = "matrix"), jntk(ref, x, as = "matrix"))
  options(old_opts)
  # a scale: erf(a, b, 0) = a erf(b x) is erf of the scaled network when
  # sigma_b = 0 and the first layer takes b: Sigma^1 scales by b^2 exactly
  # only at the first layer, so compare depth 1
  one <- mlp(1, "erf", act_par = list(a = 1, b = 2), sigma_w = 1)
  two <- mlp(1, "erf", sigma_w = 2)
  expect_equal(nngp(one, x), nngp(two, x) / 4, tolerance = 1e-14)
})

test_that("polynomial: c(0, 1) is the identity; exact moments; kernels match quadrature", {
  x <- pm_x()
  for (sb in c(0, 0.3)) {
    p <- mlp(3, "polynomial", act_par = list(coef = c(0, 1)), sigma_w = 1.2, sigma_b = sb)
    i <- mlp(3, "identity", sigma_w = 1.2, sigma_b = sb)
    # g = c, gd = 1 by the finite sums (products with 1 and 0): to rounding
    expect_equal(nngp(p, x), nngp(i, x), tolerance = 1e-15)
    expect_equal(ntk(p, x), ntk(i, x), tolerance = 1e-15)
    expect_equal(jacobian_nngp(p, x, as = "matrix"), jacobian_nngp(i, x, as = "matrix"),
                 tolerance = 1e-15)
    expect_equal(jntk(p, x, as = "matrix"), jntk(i, x, as = "matrix"), tolerance = 1e-15)
  }
  # Isserlis: E[u^2 v^2] = ab + 2c^2, E[u^3 v^3] = 9abc + 6c^3, E[2u'' ...]
  pts <- rbind(c(1, 1, 0.3), c(0.5, 2, -0.7), c(1.3, 0.8, 0.9))
  for (cf in list(c(0, 0, 1), c(0, 0, 0, 1))) {
    kp <- jntk:::kernel_par(mlp(1, "polynomial", act_par = list(coef = cf)))
    C <- .Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, pts)
    a <- pts[, 1]; b <- pts[, 2]; c <- pts[, 3]
    if (length(cf) == 3) {
      expect_equal(C[, 1], a * b + 2 * c^2, tolerance = 1e-15)
      expect_equal(C[, 2], 4 * c, tolerance = 1e-15)            # E[2u 2v]
    } else {
      expect_equal(C[, 1], 9 * a * b * c + 6 * c^3, tolerance = 1e-15)
      expect_equal(C[, 2], 9 * (a * b + 2 * c^2), tolerance = 1e-15) # E[3u^2 3v^2]
    }
  }
  x <- x * 0.8
  for (cf in list(c(0.1, 1, 0.5, -0.2), c(0, 1, 0, -1 / 3, 0, 1 / 10))) {
    dfun <- pm_poly(cf)
    kp <- jntk:::kernel_par(mlp(1, "polynomial", act_par = list(coef = cf)))
    C <- .Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, pts)
    dual <- pm_dual(dfun)
    for (i in seq_len(nrow(pts))) {
      expect_equal(C[i, 1:2], dual(pts[i, 1], pts[i, 2], pts[i, 3]), tolerance = 1e-12)
    }
    pm_check_kernels(function(depth) mlp(depth, "polynomial", act_par = list(coef = cf),
                                         sigma_w = 0.9, sigma_b = 0.2, kappa = 1.1), dual, x)
    pm_check_jacobian(mlp(2, "polynomial", act_par = list(coef = cf), sigma_w = 0.9,
                          sigma_b = 0.3, kappa = 1.1), dfun, x, jets = rep(length(cf) == 4, 2))
  }
})

test_that("relu_power: k = 1 is relu; duals and kernels match quadrature", {
  x <- pm_x()
  expect_identical(mlp(2, "relu_power", act_par = list(k = 1))$activation_code, 1L)
  expect_identical(nngp(mlp(2, "relu_power", act_par = list(k = 1)), x), nngp(mlp(2, "relu"), x))
  pts <- rbind(c(1, 1, 0.3), c(0.5, 2, -0.7), c(1.3, 0.8, 0.9), c(2, 0.3, -sqrt(0.6) * 0.999),
               c(0.7, 0.7, 0.7 * (1 - 1e-9)))
  # the J_k recursion's k = 1 (the C code accepts it) is relu's closed form
  n1 <- mlp(1, "relu_power", act_par = list(k = 2))
  n1$act_par <- c(k = 1)
  kp <- jntk:::kernel_par(n1)
  kr <- jntk:::kernel_par(mlp(1, "relu"))
  # relu's closed form takes the angle from sqrt(ab) -/+ c, the recursion from
  # ab - c^2: both lose ~1e-13 of gd at rho = 1 - 1e-9
  expect_equal(.Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, pts),
               .Call(jntk:::C_kernels_dual, kr$par, kr$ipar, kr$rule, pts), tolerance = 1e-12)
  x <- x * 0.8
  for (k in 2:4) {
    kp <- jntk:::kernel_par(mlp(1, "relu_power", act_par = list(k = k)))
    C <- .Call(jntk:::C_kernels_dual, kp$par, kp$ipar, kp$rule, pts)
    dual <- pm_dual(pm_relu_power(k))
    for (i in seq_len(nrow(pts))) {
      a <- pts[i, 1]; b <- pts[i, 2]
      # errors relative to the Cauchy-Schwarz scales sqrt(E phi(u)^2 E phi(v)^2)
      # = (ab)^(k/2) (2k-1)!!/2 and k^2 (ab)^((k-1)/2) (2k-3)!!/2: near rho = -1
      # the values are ~1e-5 of them and the recursion keeps absolute digits
      dfac <- function(n) prod(seq(1, max(n, 1), by = 2))
      sc <- c((a * b)^(k / 2) * dfac(2 * k - 1) / 2, k^2 * (a * b)^((k - 1) / 2) * dfac(2 * k - 3) / 2)
      expect_lt(max(abs(C[i, 1:2] - dual(a, b, pts[i, 3])) / sc), 1e-13, label = paste(k, i))
    }
    pm_check_kernels(function(depth) mlp(depth, "relu_power", act_par = list(k = k),
                                         sigma_w = 0.9, sigma_b = 0.2, kappa = 1.1), dual, x)
  }
})

test_that("relu_power: Jacobian kernels against reference jets and finite differences", {
  x <- pm_x() * 0.8
  for (k in 2:5) {
    # the reference jets need the moments of phi''' (Jacobian NNGP) and
    # phi'''' (JNTK) without delta functions: k >= 3 and k >= 4
    pm_check_jacobian(mlp(2, "relu_power", act_par = list(k = k), sigma_w = 0.9, sigma_b = 0.3,
                          kappa = 1.1), pm_relu_power(k), x,
                      tangents = c(FALSE, if (k >= 3) TRUE), jets = c(k == 3, k == 4))
  }
  # continuous next to the diagonal (k = 2: phi'' jumps, the kernel is not
  # smooth there): x' = x (1 + 1e-7) moves the entries by ~1e-7 relative
  net <- mlp(3, "relu_power", act_par = list(k = 2), sigma_b = 0.1)
  x0 <- rbind(c(0.7, -0.4, 0.5))
  K0 <- jacobian_nngp(net, x0, x0, as = "matrix")
  K1 <- jacobian_nngp(net, x0, x0 * (1 + 1e-7), as = "matrix")
  expect_lt(krel_err(K1, K0), 1e-6)
  expect_snapshot(error = TRUE, jntk(mlp(2, "relu_power", act_par = list(k = 2)), x))
})

test_that("finite networks: phi, phi' and phi'' of the parametrised activations", {
  x <- pm_x()
  nets <- list(mlp(2, "abrelu", act_par = list(a = -0.3, b = 1.2), sigma_b = 0.4),
               mlp(2, "erf", act_par = list(a = 2, b = 0.5, c = 0.1), sigma_b = 0.4),
               mlp(2, "polynomial", act_par = list(coef = c(0.1, 1, 0.5, -0.2)), sigma_b = 0.4),
               mlp(2, "relu_power", act_par = list(k = 3), sigma_b = 0.4))
  phis <- list(pm_abrelu(-0.3, 1.2), pm_erf(2, 0.5, 0.1), pm_poly(c(0.1, 1, 0.5, -0.2)),
               pm_relu_power(3))
  for (k in 1:4) {
    set.seed(60 + k)
    nw <- sample_mlp(nets[[k]], width = c(5, 4), input_dim = 3)
    # the forward pass in plain R (NTK parametrisation)
    fwd <- function(x) {
      h <- x
      for (l in 1:3) {
        W <- nw$weights[[l]]; n_in <- ncol(W)
        z <- if (l == 1) t(h) else phis[[k]](h, 0)
        h <- 1 / sqrt(n_in) * W %*% z + 0.4 * nw$biases[[l]]
      }
      c(h)
    }
    expect_equal(predict(nw, x), fwd(x), tolerance = 1e-13)
    # the input Jacobian (phi') against central differences (~1e-9)
    J <- input_jacobian(nw, x)
    fdj <- sapply(1:3, function(i) {
      e <- matrix(0, nrow(x), 3); e[, i] <- 1e-5
      (vapply(seq_len(nrow(x)), function(r) fwd(x[r, , drop = FALSE] + e[r, , drop = FALSE]), 0) -
         vapply(seq_len(nrow(x)), function(r) fwd(x[r, , drop = FALSE] - e[r, , drop = FALSE]), 0)) / 2e-5
    })
    expect_equal(unname(J), unname(fdj), tolerance = 1e-7)
  }
  # Jacobian-regularised training (phi'' in the double backprop) runs and
  # lowers the loss on a small problem
  set.seed(63)
  nw <- sample_mlp(nets[[2]], width = 32, input_dim = 3)
  y <- sin(x[, 1])
  fit <- train_mlp(nw, x, y, lambda = 0.1, lr = 0.2, steps = 30, progress = FALSE)
  loss <- fit$history$loss
  expect_true(all(is.finite(loss)))
  expect_lt(utils::tail(loss, 1), loss[1])
})

test_that("Monte Carlo of wide networks agrees with the limits", {
  # z-scores (estimate - limit) / std_error are ~N(0, 1) plus a finite-width
  # bias of relative size ~1/width (1/256 here, well below the few-percent
  # standard errors); 4 standard errors over <= 36 entries, fixed seeds
  x <- pm_x()[1:2, ]
  nets <- list(mlp(2, "abrelu", act_par = list(a = -0.3, b = 1.2), sigma_b = 0.3),
               mlp(2, "erf", act_par = list(a = 2, b = 0.5, c = 0.1), sigma_b = 0.3),
               mlp(2, "polynomial", act_par = list(coef = c(0.1, 1, 0.5, -0.2)), sigma_b = 0.3),
               mlp(2, "relu_power", act_par = list(k = 3), sigma_b = 0.3))
  for (net in nets) for (kind in c("nngp", "ntk", "jacobian_nngp", if (net$smooth) "jntk")) {
    set.seed(70)
    mc <- monte_carlo(net, x, width = 256, n_samples = if (grepl("nngp", kind)) 300 else 50,
                      kernel = kind)
    lim <- jntk:::analytic_kernel(net, x, kind = kind)
    expect_lt(max(abs(mc$estimate - lim) / mc$std_error), 4, label = paste(net$activation, kind))
  }
})

test_that("bad activation parameters are classed errors", {
  expect_snapshot(error = TRUE, mlp(2, "erf", act_par = list(d = 1)))
  expect_snapshot(error = TRUE, mlp(2, "erf", act_par = list(a = "2")))
  expect_snapshot(error = TRUE, mlp(2, "abrelu", act_par = list(a = c(1, 2))))
  expect_snapshot(error = TRUE, mlp(2, "abrelu", act_par = list(a = NA_real_)))
  expect_snapshot(error = TRUE, mlp(2, "relu", act_par = list(a = 1)))
  expect_snapshot(error = TRUE, mlp(2, "erf", act_par = c(1, 2)))
  expect_snapshot(error = TRUE, mlp(2, "erf", act_par = list(a = 0)))
  expect_snapshot(error = TRUE, mlp(2, "leaky_relu", slope = 0.1, act_par = list(slope = 0.2)))
  expect_snapshot(error = TRUE, mlp(2, tanh, act_par = list(a = 1)))
  expect_snapshot(error = TRUE, mlp(2, "polynomial", act_par = list(coef = "x")))
  expect_snapshot(error = TRUE, mlp(2, "polynomial", act_par = list(coef = rep(1, 17))))
  expect_snapshot(error = TRUE, mlp(2, "polynomial", act_par = list(coef = c(1, NA))))
  expect_snapshot(error = TRUE, mlp(2, "polynomial", act_par = list(coefs = 1)))
  expect_snapshot(error = TRUE, mlp(2, "relu_power", act_par = list(k = 2.5)))
  expect_snapshot(error = TRUE, mlp(2, "relu_power", act_par = list(k = 0)))
  for (e in list(quote(mlp(2, "erf", act_par = list(d = 1))), quote(mlp(2, "relu", act_par = list(a = 1)))))
    expect_error(eval(e), class = "jntk_error_argument")
  # a direct .Call with the wrong number of parameters is an error, not a crash
  kp <- jntk:::kernel_par(mlp(1, "abrelu", act_par = list(a = 0.1, b = 1)))
  expect_error(.Call(jntk:::C_kernels_dual, kp$par[1:6], kp$ipar, kp$rule, rbind(c(1, 1, 0.5))),
               "activation parameters")
})

test_that("objects without act_par keep working; printing and activations() show parameters", {
  x <- pm_x()
  old <- mlp(2, "leaky_relu", slope = 0.2)
  old$act_par <- NULL
  expect_identical(nngp(old, x), nngp(mlp(2, "leaky_relu", slope = 0.2), x))
  a <- activations()
  expect_identical(a$parameters[a$name == "erf"], "a = 1, b = 1, c = 0")
  expect_identical(a$parameters[a$name == "abrelu"], "a = 0, b = 1")
  expect_identical(a$parameters[a$name == "relu"], "")
  expect_identical(a$parameters[a$name == "polynomial"], "coef = c(0, 1)")
  expect_output(print(mlp(1, "polynomial", act_par = list(coef = c(0, 0, 1)))),
                "polynomial \\(coef = c\\(0, 0, 1\\)\\)")
  expect_output(print(mlp(2, "abrelu", act_par = list(a = -0.2, b = 1))), "abrelu \\(a = -0.2, b = 1\\)")
  expect_output(print(mlp(2, "erf", act_par = list(b = 0.5))), "erf \\(a = 1, b = 0.5, c = 0\\)")
})
