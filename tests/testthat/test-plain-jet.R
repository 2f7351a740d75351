# The vectorised jets of the Jacobian kernels (src/plain_jet.c) against the
# layer-by-layer jets of kernels.c (options(jntk.scalar_jets = TRUE) forces
# those), which tests/testthat/test-jacobian.R and test-accuracy.R check
# against finite differences and references; and against ntk()/nngp() of
# plain.c for the K slice.

jet_scalars <- function(net, x1, x2, kinds, scalar, threads = 1L) {
  old <- options(jntk.scalar_jets = scalar)
  on.exit(options(old))
  r <- jntk:::jacobian_kernel(net, x1, x2, kinds, "structured", threads)
  if (length(kinds) == 1L) list(r) else r
}

# Rows with every hard case: a zero row, a duplicate, near-parallel
# (1 + 1e-7) and antiparallel rows, a tiny offset.
hard_rows <- function(n, d, scale) {
  x <- matrix(rnorm(n * d), n, d)
  x[2, ] <- 0
  x[3, ] <- x[1, ]
  x[4, ] <- x[1, ] * (1 + 1e-7)
  x[5, ] <- -x[1, ]
  x[6, ] <- -x[1, ] * (1 + 1e-7)
  x[7, ] <- x[1, ] + 1e-9
  x * scale
}

test_that("the vectorised jets agree with the layer-by-layer ones (erf)", {
  set.seed(1)
  kinds <- c("jacobian_nngp", "jntk")
  for (depth in c(1, 2, 3, 5, 20)) for (sb in c(0, 0.3)) for (sc in c(1e-8, 1)) {
    x1 <- hard_rows(70, 5, sc) # more than one 64-row block
    x2 <- hard_rows(40, 5, sc)[sample(40), ]
    x2[1:3, ] <- x1[1:3, ] * c(1, 1, -1)
    net <- mlp(depth, "erf", sigma_w = 1.2, sigma_b = sb)
    for (y in list(NULL, x2)) {
      fast <- jet_scalars(net, x1, y, kinds, FALSE)
      slow <- jet_scalars(net, x1, y, kinds, TRUE)
      for (k in 1:2) {
        A <- as.matrix(fast[[k]])
        B <- as.matrix(slow[[k]])
        # The two evaluate the same formulas in a different order (one
        # reciprocal per point instead of a division per pair, plain.c's
        # arcsine): a few ulps per operation, compounded over up to 20
        # layers (observed below 2e-14 of max |K|).
        expect_lt(max(abs(A - B)) / max(abs(B)), 1e-12)
        expect_false(anyNA(A))
      }
    }
  }
})

test_that("the vectorised jets agree with the layer-by-layer ones (kinked family)", {
  set.seed(5)
  nets <- function(depth, sb) {
    list(mlp(depth, "relu", sigma_w = 1.3, sigma_b = sb),
         mlp(depth, "leaky_relu", sigma_w = 1.3, sigma_b = sb, slope = 0.1),
         mlp(depth, "identity", sigma_b = sb),
         mlp(depth, "abrelu", sigma_b = sb, act_par = list(a = -0.3, b = 1.2)),
         mlp(depth, "abs", sigma_b = sb)) # abs: always the layer-by-layer path
  }
  for (depth in c(1, 2, 3, 5, 20)) for (sb in c(0, 0.3)) for (sc in c(1e-8, 1)) {
    x1 <- hard_rows(70, 5, sc)
    x2 <- hard_rows(40, 5, sc)[sample(40), ]
    x2[1:3, ] <- x1[1:3, ] * c(1, 1, -1)
    for (net in nets(depth, sb)) for (y in list(NULL, x2)) {
      A <- as.matrix(jet_scalars(net, x1, y, "jacobian_nngp", FALSE)[[1]])
      B <- as.matrix(jet_scalars(net, x1, y, "jacobian_nngp", TRUE)[[1]])
      # as for erf; the angle is carried in 1 -/+ cos theta (plain.c) instead
      # of theta (kernels.c), which rounds differently next to the diagonal
      # (observed below 2e-14 of max |K|)
      expect_lt(max(abs(A - B)) / max(abs(B)), 1e-12)
      expect_false(anyNA(A))
    }
  }
})

test_that("the switch to the layer-by-layer jets takes effect", {
  set.seed(2)
  x <- matrix(rnorm(30 * 4), 30, 4)
  net <- mlp(2, "erf", sigma_b = 0.2)
  fast <- jet_scalars(net, x, NULL, "jntk", FALSE)[[1]]@F
  slow <- jet_scalars(net, x, NULL, "jntk", TRUE)[[1]]@F
  # different operations round differently: some scalars differ in the last bits
  expect_false(identical(fast, slow))
  relu <- mlp(2, "relu", sigma_b = 0.2)
  expect_false(identical(jet_scalars(relu, x, NULL, "jacobian_nngp", FALSE)[[1]]@F,
                         jet_scalars(relu, x, NULL, "jacobian_nngp", TRUE)[[1]]@F))
  # ...where the option does not matter (tanh: a series activation, gelu,
  # depth 0) both runs take the same code and agree exactly
  for (net2 in list(mlp(2, "tanh"), mlp(2, "gelu", sigma_b = 0.1), mlp(0, "erf"))) {
    expect_identical(jet_scalars(net2, x, NULL, "jntk", FALSE)[[1]]@F,
                     jet_scalars(net2, x, NULL, "jntk", TRUE)[[1]]@F)
  }
  abs_net <- mlp(2, "abs", sigma_b = 0.2)
  expect_identical(jet_scalars(abs_net, x, NULL, "jacobian_nngp", FALSE)[[1]]@F,
                   jet_scalars(abs_net, x, NULL, "jacobian_nngp", TRUE)[[1]]@F)
})

test_that("large inputs: the K slice agrees with ntk() and nngp()", {
  set.seed(3)
  x <- hard_rows(50, 4, 1e8)
  net <- mlp(3, "erf", sigma_b = 0.3)
  r <- jet_scalars(net, x, NULL, c("jacobian_nngp", "jntk"), FALSE)
  # At |x| ~ 1e8 the second-order jet entries cancel terms 1e16 times larger
  # than themselves in both jet paths (noise there), but K is the value:
  # plain.c computes it by other code to a few ulps.
  K <- nngp(net, x)
  expect_lt(max(abs(r[[1]]@F[, , 1] - K)) / max(abs(K)), 1e-13)
  K <- ntk(net, x)
  # the NTK sums Sigma (~1) and the tangent terms (~|x|^2 gd ~ 1e8): 1e-13
  # of the largest entry
  expect_lt(max(abs(r[[2]]@F[, , 1] - K)) / max(abs(K)), 1e-13)
})

test_that("the vectorised jets do not depend on the thread count", {
  set.seed(4)
  x <- hard_rows(150, 6, 1)
  y <- matrix(rnorm(90 * 6), 90, 6)
  for (act in c("erf", "relu")) {
    net <- mlp(3, act, sigma_b = 0.1)
    kinds <- if (act == "erf") c("jacobian_nngp", "jntk") else "jacobian_nngp"
    for (x2 in list(NULL, y)) {
      F1 <- jet_scalars(net, x, x2, kinds, FALSE, 1L)
      for (nt in 2:3) {
        Fn <- suppressMessages(jet_scalars(net, x, x2, kinds, FALSE, nt))
        for (k in seq_along(kinds)) expect_identical(Fn[[k]]@F, F1[[k]]@F)
      }
    }
  }
})
