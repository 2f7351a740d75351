# One vocabulary of kernel kinds for R and C (R/kinds.R, src/kinds.h).

test_that("kind codes, flags and labels agree with the C enum and the kernel functions", {
  k <- jntk:::.jntk_kinds
  expect_identical(k$name, c("nngp", "ntk", "jacobian_nngp", "jntk"))
  expect_identical(jntk:::kind_code(k$name), 0:3)          # src/kinds.h
  expect_identical(jntk:::kind_is_jacobian(k$name), c(FALSE, FALSE, TRUE, TRUE))
  expect_identical(jntk:::kind_label("jacobian_nngp"), "Jacobian NNGP")
  net <- mlp(2, "erf", sigma_b = 0.1)
  x <- rbind(c(1, 0.5), c(-0.2, 0.9), c(0.3, -1))
  expect_identical(jntk:::analytic_kernel(net, x, kind = "nngp"), nngp(net, x))
  expect_identical(jntk:::analytic_kernel(net, x, kind = "ntk"), ntk(net, x))
  expect_identical(jntk:::analytic_kernel(net, x, kind = "jacobian_nngp"), jacobian_nngp(net, x))
  expect_identical(jntk:::analytic_kernel(net, x, x[1:2, ], kind = "jntk"), jntk(net, x, x[1:2, ]))
})

test_that("the C routines refuse kind codes outside the shared enum", {
  net <- mlp(1, "erf")
  x <- rbind(c(1, 0))
  kp <- jntk:::kernel_par(net)
  expect_error(.Call(jntk:::C_kernels_scalars, x, NULL, kp$par, kp$ipar, kp$gh, 0L, 1L), "kind")
  expect_error(.Call(jntk:::C_kernels_scalars, x, NULL, kp$par, kp$ipar, kp$gh, 7L, 1L), "kind")
})
