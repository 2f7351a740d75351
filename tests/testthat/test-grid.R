# Hardening of the analytic kernels (issue 17): no NaN or Inf for valid
# input, symmetric and positive semi-definite within the entries' error,
# and a classed error where double precision cannot hold the result.

grid_points <- function(scale) {
  scale * rbind(c(1, 0.5, -0.2), c(-0.3, 1.2, 0.4), c(0.9, 0.6, -0.1), c(0, 0, 0),
                c(1, 0.5, -0.2) * (1 + 1e-7))
}

# One grid cell: every kernel that is defined, checked for finiteness,
# symmetry of K(x, x) computed as a cross kernel, and PSD within Weyl's
# bound n * max|E_ij| from kernel_error_bound(); overflow and accuracy
# failures must be the classed errors.
grid_cell <- function(act, depth, scale, sw, sb) {
  net <- mlp(depth, act, sigma_w = sw, sigma_b = sb)
  x <- grid_points(scale)
  kinds <- if (act %in% ref_nngp_only) "nngp" else c("nngp", "ntk", "jacobian_nngp", if (net$smooth) "jntk")
  for (kind in kinds) {
    lab <- sprintf("%s depth %d scale %g sigma_w %g sigma_b %g %s", act, depth, scale, sw, sb, kind)
    K <- tryCatch(analytic_kernel(net, x, kind = kind),
                  jntk_error_overflow = function(e) e, jntk_error_accuracy = function(e) e)
    if (inherits(K, "condition")) {
      expect_match(conditionMessage(K), "overflows double|cannot be certified", label = lab)
      next
    }
    expect_true(all(is.finite(K)), label = lab)
    b <- jntk:::kernel_error_bound(net, x, kind = kind)
    expect_true(is.finite(b) && b >= 0, label = paste(lab, "bound"))
    Kx <- analytic_kernel(net, x, x, kind = kind)
    expect_lte(max(abs(Kx - t(Kx))), 2 * b + 4 * .Machine$double.eps * max(abs(K)),
               label = paste(lab, "symmetric"))
    expect_lte(max(abs(Kx - K)), 2 * b + 4 * .Machine$double.eps * max(abs(K)),
               label = paste(lab, "x2 = x"))
    ev <- eigen((K + t(K)) / 2, symmetric = TRUE, only.values = TRUE)$values
    weyl <- nrow(K) * (b + 4 * .Machine$double.eps * max(abs(K)))
    expect_gte(min(ev), -weyl, label = paste(lab, "psd"))
  }
}

grid <- expand.grid(act = activations()$name, depth = c(0, 1, 5, 20, 100),
                    scale = c(1e-8, 1, 1e8), sw = c(0.5, 1, 2), sb = c(0, 0.5),
                    stringsAsFactors = FALSE)

test_that("grid (light): finite, symmetric, PSD within the error bound", {
  set.seed(17)
  light <- grid[sort(sample(nrow(grid), 40)), ]
  light <- rbind(light, grid[grid$depth == 100 & grid$sw == 2 & grid$scale == 1e8 &
                               grid$act %in% c("relu", "erf", "softplus"), ][1:3, ])
  for (r in seq_len(nrow(light))) with(light[r, ], grid_cell(act, depth, scale, sw, sb))
})

test_that("grid (heavy): every activation x depth x scale x sigma_w x sigma_b", {
  skip_if_not(identical(Sys.getenv("JNTK_HEAVY_TESTS"), "true"), "set JNTK_HEAVY_TESTS=true")
  for (r in seq_len(nrow(grid))) with(grid[r, ], grid_cell(act, depth, scale, sw, sb))
})

test_that("17 #3: sin/cos duals do not cancel at small covariances", {
  x <- rbind(c(1, 0.5, -0.2), c(-0.3, 1.2, 0.4), c(0.9, 0.6, -0.1))
  for (s in c(1e-6, 1e-8)) {
    net <- mlp(1, "sin")
    r <- kref_kernels(1, 1, 0, 1, x * s, x * s, function(a, b, c) kref_dual_closed("sin", a, b, c))
    expect_lt(krel_err(nngp(net, x * s), r$nngp), 1e-14)   # was 9e-5 and 100 %
  }
  net <- mlp(30, "sin", sigma_w = 0.5)
  r <- kref_kernels(30, 0.5, 0, 1, x, x, function(a, b, c) kref_dual_closed("sin", a, b, c))
  expect_lt(krel_err(nngp(net, x), r$nngp), 1e-12)          # was 100 % wrong
  K <- jacobian_nngp(net, x)
  ev <- eigen(K, symmetric = TRUE, only.values = TRUE)$values
  expect_gte(min(ev), -nrow(K) * jntk:::kernel_error_bound(net, x, kind = "jacobian_nngp"))
})

test_that("17 #4: the unstable rho = 1 fixed point of cos does not blow up", {
  x <- rbind(c(1, 0.5, -0.2), c(-0.3, 1.2, 0.4), c(0.9, 0.6, -0.1), c(0.2, 0.1, 0.7))
  K <- nngp(mlp(70, "cos", sigma_w = 2), x * 1e-8)
  expect_true(all(is.finite(K)))                            # was 8 of 64 Inf
  expect_true(all(abs(K) <= sqrt(outer(diag(K), diag(K))) * (1 + 1e-12)))
})

test_that("17 #5: tiny variances do not overflow the jets (relu, depth 1000)", {
  x <- rbind(c(1, 0.5, -0.2), c(-0.3, 1.2, 0.4), c(0.9, 0.6, -0.1))
  K <- jacobian_nngp(mlp(1000, "relu"), x)
  expect_false(anyNA(K))                                    # was 128 of 144 NaN
  # exact: the relu NNGP with sigma_b = 0 is homogeneous, (1/2)^L |x|^2 / d on
  # the diagonal, and so is its Jacobian block, (1/2)^L / d I
  expect_equal(unname(diag(K)[1:3]), 0.5^1000 * rowSums(x^2) / 3, tolerance = 1e-12)
  expect_equal(unname(K[4:6, 4:6]), 0.5^1000 / 3 * diag(3), tolerance = 1e-12)
})

test_that("17 #6: Jacobian kernels at large |x| are symmetric and PSD", {
  # the erf JNTK's K(x, x) was asymmetric by 2e-8 at |x| ~ 1e4 up to 4e-2 at
  # 1e8 (cancellation of terms of size |x|^2 F in the (x.x', |x|^2, |x'|^2)
  # assembly); the polar scalars add terms of the result's size
  net <- mlp(2, "erf", sigma_b = 0.1)
  x0 <- rbind(c(1, 0.5, -0.2), c(-0.3, 1.2, 0.4), c(0.9, 0.6, -0.1))
  for (s in c(1e4, 1e6, 1e8)) {
    x <- x0 * s
    K <- jntk(net, x, x)
    b <- jntk:::kernel_error_bound(net, x, kind = "jntk")
    expect_lte(max(abs(K - t(K))), 2 * b, label = s)
    expect_lt(max(abs(K - t(K))) / max(abs(K)), 1e-12, label = s)
    ev <- eigen((K + t(K)) / 2, symmetric = TRUE, only.values = TRUE)$values
    expect_gte(min(ev), -nrow(K) * b, label = s)
  }
})
