# Methods of "mlp_fit" (R/fit.R): R's model habits, long data frames, plots.

fit_example <- function(kernel = "ntk", lambda = 0.01) {
  set.seed(70)
  nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), width = 16, input_dim = 2)
  x <- matrix(rnorm(20), 10, 2, dimnames = list(paste0("p", 1:10), c("a", "b")))
  train_mlp(nw, x, sin(x[, 1]), lambda = lambda, lr = 1, steps = 20, x_test = x[1:3, ],
            record_every = 5, record_kernel = kernel, progress = FALSE)
}

test_that("fitted(), residuals(), nobs() and coef() are the final ones", {
  fit <- fit_example()
  f <- fitted(fit)
  expect_length(f, 10)
  expect_identical(names(f), paste0("p", 1:10))
  # the forward pass of predict() gives the recorded final fits exactly
  expect_identical(unname(f), unname(predict(fit)))
  expect_identical(unname(f), unname(fit$fitted[, "step_20"]))
  expect_equal(residuals(fit), fit$y - f)
  expect_identical(nobs(fit), 10L)
  cf <- coef(fit)
  expect_length(cf, sum(lengths(fit$network$weights)) + sum(lengths(fit$network$biases)))
  expect_identical(unname(cf[c("W1[2,1]", "b2[16]", "W3[1,16]")]),
                   c(fit$network$weights[[1]][2, 1], fit$network$biases[[2]][16],
                     fit$network$weights[[3]][1, 16]))
  # the training loss is the mean squared residual (and the penalty)
  expect_equal(fit$history$fit_loss[21], sum(residuals(fit)^2) / 20, tolerance = 1e-12)
})

test_that("predict() names newdata in its errors", {
  fit <- fit_example()
  expect_snapshot(error = TRUE, predict(fit, matrix(1, 2, 3)))
  expect_snapshot(error = TRUE, predict(fit, "a"))
  expect_snapshot(error = TRUE, predict(fit, fit$x, jacobian = NA))
  J <- predict(fit, fit$x[1:2, ], jacobian = TRUE)
  expect_identical(dimnames(J), list(c("p1", "p2"), c("a", "b")))
  expect_identical(J, input_jacobian(fit$network, fit$x[1:2, ]))
})

test_that("as.data.frame() gives long data for the history, drift and outputs", {
  fit <- fit_example("jntk")
  h <- as.data.frame(fit)
  expect_identical(names(h), c("step", "time", "term", "value"))
  expect_equal(nrow(h), 4 * 21)
  expect_identical(h$value[h$term == "loss"], fit$history$loss)
  expect_identical(h$value[h$term == "penalty"], fit$history$penalty)
  d <- as.data.frame(fit, what = "drift")
  expect_identical(unique(d$block), c("all", "ff", "jj"))
  expect_identical(d$drift[d$block == "jj"], kernel_drift(fit, "jj")$drift)
  o <- as.data.frame(fit, what = "outputs")
  expect_equal(nrow(o), 3 * 5)
  expect_identical(o$output[o$step == 20], unname(fit$outputs[, "step_20"]))
  ff <- as.data.frame(fit, what = "fitted")
  expect_identical(ff$target[ff$step == 0], fit$y)
  expect_snapshot(error = TRUE, as.data.frame(fit, what = "loss"))
  fit0 <- train_mlp(fit$network, fit$x, fit$y, steps = 2, progress = FALSE)
  expect_snapshot(error = TRUE, as.data.frame(fit0, what = "outputs"))
})

test_that("plot() draws every panel layout", {
  fit <- fit_example()
  file <- tempfile(fileext = ".png")
  grDevices::png(file, width = 900, height = 700)
  expect_invisible(plot(fit))
  expect_identical(plot(fit, which = c("loss", "kernel"), xaxis = "step"), fit)
  expect_identical(plot(fit, which = "outputs"), fit)
  grDevices::dev.off()
  expect_gt(file.size(file), 1000)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  fit0 <- fit_example("none", lambda = 0)
  expect_invisible(plot(fit0))
  expect_snapshot(error = TRUE, plot(fit0, which = "kernel"))
  expect_snapshot(error = TRUE, plot(fit0, xaxis = "epoch"))
})
