# The flat parameter vector theta (R/theta.R) and its layout in C (src/mlp.h).

test_that("theta round-trips the weights and biases in the C layout", {
  set.seed(80)
  nw <- sample_mlp(mlp(2, "tanh", sigma_b = 0.3), c(4, 3), input_dim = 2)
  th <- jntk:::network_theta(nw)
  expect_length(th, 4 * 2 + 4 + 3 * 4 + 3 + 3 + 1)
  # layout: vec(W^1), b^1, vec(W^2), b^2, vec(W^3), b^3
  expect_identical(th[1:8], as.vector(nw$weights[[1]]))
  expect_identical(th[9:12], nw$biases[[1]])
  expect_identical(th[13:24], as.vector(nw$weights[[2]]))
  back <- jntk:::theta_network(th, nw)
  expect_identical(back$weights, nw$weights)
  expect_identical(back$biases, nw$biases)
  nm <- jntk:::theta_names(nw$widths)
  expect_identical(nm[c(1, 2, 9, 13, 31)], c("W1[1,1]", "W1[2,1]", "b1[1]", "W2[1,1]", "b3[1]"))
  # C reads the flat theta and the lists the same way
  x <- matrix(rnorm(10), 5, 2)
  a <- jntk:::network_arch(nw$net, nw$widths)
  expect_identical(.Call(jntk:::C_network_outputs, th, a$par, a$ipar, x, TRUE, 1L),
                   .Call(jntk:::C_network_outputs, list(nw$weights, nw$biases), a$par, a$ipar, x,
                         TRUE, 1L))
})
