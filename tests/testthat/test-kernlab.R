# Network kernels handed to kernlab (R/kernlab.R). References: kernlab's own
# pairwise evaluation of our kernel function (for ksvm), eigen() of the
# centred kernel (for kpca), gp_fit() (for gausspr).

kl_data <- function(n = 40, seed = 1) {
  set.seed(seed)
  x <- matrix(stats::rnorm(2 * n), ncol = 2)
  list(x = x, y = factor(ifelse(x[, 1] * x[, 2] > 0, "same", "opposite")),
       xt = matrix(stats::rnorm(20), ncol = 2))
}

test_that("as_kernel_matrix() gives a kernlab kernelMatrix holding the kernel", {
  skip_if_not_installed("kernlab")
  dt <- kl_data()
  net <- mlp(2, "relu", sigma_b = 0.1)
  K <- ntk(net, dt$x)
  Km <- as_kernel_matrix(K)
  expect_s4_class(Km, "kernelMatrix")
  expect_identical(Km@.Data, unname(K))
  S <- jacobian_nngp(mlp(1, "erf"), dt$x[1:3, ], as = "structured")
  expect_identical(as_kernel_matrix(S)@.Data, unname(as.matrix(S)))
  H <- diag(40) - 1 / 40
  expect_equal(as_kernel_matrix(K, center = TRUE)@.Data, H %*% unname(K) %*% H, tolerance = 1e-12)
})

test_that("ksvm on a precomputed NTK equals ksvm with the NTK as a kernel function", {
  skip_if_not_installed("kernlab")
  dt <- kl_data()
  net <- mlp(2, "relu", sigma_b = 0.1)
  fm <- kernlab::ksvm(as_kernel_matrix(ntk(net, dt$x)), dt$y, kernel = "matrix", C = 10)
  ff <- kernlab::ksvm(dt$x, dt$y, kernel = kernlab_kernel(net, "ntk"), C = 10, scaled = FALSE)
  expect_identical(kernlab::SVindex(fm), kernlab::SVindex(ff))
  Kt <- as_kernel_matrix(ntk(net, dt$xt, dt$x[kernlab::SVindex(fm), , drop = FALSE]))
  # same QP on the same matrix (kernlab built it pair by pair): decision
  # values agree to the solver's tolerance on identical input, 1e-8
  expect_equal(as.vector(kernlab::predict(fm, Kt, type = "decision")),
               as.vector(kernlab::predict(ff, dt$xt, type = "decision")), tolerance = 1e-8)
  expect_identical(kernlab::predict(fm, Kt), kernlab::predict(ff, dt$xt))
  # and it learns the xor-like labels better than chance on the training set
  expect_gt(mean(kernlab::predict(fm, as_kernel_matrix(ntk(net, dt$x, dt$x[kernlab::SVindex(fm), ,
                                                                          drop = FALSE]))) == dt$y), 0.8)
})

test_that("kpca on an NNGP kernelMatrix gives the centred kernel's eigenvalues", {
  skip_if_not_installed("kernlab")
  dt <- kl_data(n = 30)
  K <- unname(nngp(mlp(3, "erf", sigma_b = 0.2), dt$x))
  kp <- kernlab::kpca(as_kernel_matrix(K), features = 3)
  H <- diag(30) - 1 / 30
  ev <- eigen(H %*% K %*% H, symmetric = TRUE, only.values = TRUE)$values[1:3]
  # kernlab reports eigenvalues divided by the number of points
  expect_equal(unname(kernlab::eig(kp)), ev / 30, tolerance = 1e-10)
})

test_that("gausspr with the NNGP kernel function equals gp_fit()", {
  skip_if_not_installed("kernlab")
  set.seed(3)
  x <- matrix(stats::runif(30, -2, 2), ncol = 2)
  y <- sin(x[, 1]) + 0.1 * x[, 2]
  net <- mlp(2, "erf", sigma_w = 1.3, sigma_b = 0.2)
  xt <- matrix(stats::runif(10, -2, 2), ncol = 2)
  gk <- kernlab::gausspr(x, y, kernel = kernlab_kernel(net, "nngp"), var = 0.01, scaled = FALSE,
                         type = "regression")
  g <- gp_fit(net, x, y, noise = 0.01)
  # both solve (K + 0.01 I) a = y; kernlab with its own dense solve: 1e-8
  expect_equal(as.vector(kernlab::predict(gk, xt)), unname(predict(g, xt)$mean), tolerance = 1e-8)
})

test_that("bad kernels and a missing kernlab give classed errors", {
  skip_if_not_installed("kernlab")
  expect_snapshot(as_kernel_matrix(1:3), error = TRUE)
  expect_snapshot(as_kernel_matrix(matrix(c(1, NA, 0, 1), 2)), error = TRUE)
  expect_snapshot(as_kernel_matrix(matrix(1, 2, 3), center = TRUE), error = TRUE)
  expect_snapshot(kernlab_kernel(mlp(1), "rbf"), error = TRUE)
  expect_snapshot(jntk:::need_suggested("jntkNoSuchPackage", "as_kernel_matrix()"), error = TRUE)
})
