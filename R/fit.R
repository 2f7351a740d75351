# Methods of "mlp_fit" (a network trained by train_mlp()): printing,
# summaries, R's model habits (fitted, residuals, nobs, coef, predict), long
# data frames for ggplot2 users, kernel drift and the training plot.

#' Relative change of the empirical kernel during training
#'
#' \eqn{\|K_t - K_0\|_F / \|K_0\|_F} for the empirical NTK or JNTK recorded by
#' [train_mlp()] (argument `record_kernel`). In the infinite-width limit the
#' kernel stays constant during training (Jacot et al. 2018; for the JNTK Kim
#' and Yang 2024); at finite width \eqn{n} the drift is bounded by
#' \eqn{O(n^{-1/2})} and is typically of order \eqn{n^{-1}} (Dyer and
#' Gur-Ari 2020), which is what small experiments show.
#'
#' @param fit A fit from [train_mlp()] with `record_kernel` `"ntk"` or `"jntk"`.
#' @param block For the JNTK: `"all"` (the whole \eqn{N(d+1)} matrix), `"ff"`
#'   (the output block, which is the NTK) or `"jj"` (the Jacobian block).
#' @return A data frame with columns `step`, `time` and `drift`.
#' @seealso [train_mlp()], [plot.mlp_fit()], [as.data.frame.mlp_fit()].
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(20), 10, 2)
#' nw <- sample_mlp(mlp(1, "erf"), width = 32, input_dim = 2)
#' fit <- train_mlp(nw, x, sin(x[, 1]), steps = 50, record_every = 10,
#'                  record_kernel = "ntk")
#' kernel_drift(fit)
#' @export
kernel_drift <- function(fit, block = c("all", "ff", "jj")) {
  check_fit(fit)
  if (is.null(fit$kernels)) {
    jntk_abort("No kernels were recorded: train with `record_kernel = \"ntk\"` or `\"jntk\"`.",
               class = "jntk_error_argument")
  }
  if (!is.character(block) || length(block) < 1L || !block[1] %in% c("all", "ff", "jj")) {
    jntk_abort("`block` must be one of \"all\", \"ff\" or \"jj\".", class = "jntk_error_argument")
  }
  block <- block[1]
  N <- nrow(fit$x)
  if (block != "all" && fit$kernel_type != "jntk") {
    jntk_abort(sprintf("`block = \"%s\"` needs a recorded JNTK; this fit recorded the %s.",
                       block, toupper(fit$kernel_type)), class = "jntk_error_argument")
  }
  idx <- switch(block, all = NULL, ff = seq_len(N), jj = -seq_len(N))
  sub <- function(K) if (is.null(idx)) K else K[idx, idx, drop = FALSE]
  K0 <- sub(fit$kernels[[1]])
  n0 <- sqrt(sum(K0^2))
  drift <- vapply(fit$kernels, function(K) sqrt(sum((sub(K) - K0)^2)), numeric(1))
  # a zero initial kernel (e.g. a network with all-zero weights) has no relative change
  drift <- if (n0 > 0) drift / n0 else ifelse(drift == 0, 0, Inf)
  data.frame(step = fit$record_steps, time = fit$record_times, drift = unname(drift))
}

check_fit <- function(fit, arg = "fit") {
  if (!inherits(fit, "mlp_fit")) {
    jntk_abort(sprintf("`%s` must be a fit from `train_mlp()`, not %s.", arg, describe_type(fit)),
               class = "jntk_error_argument")
  }
  fit
}

#' @export
print.mlp_fit <- function(x, ...) {
  h <- x$history
  first <- h[1L, ]
  last <- h[nrow(h), ]
  cat(sprintf("<mlp_fit> gradient descent on a %s %s network%s\n",
              paste(x$network$widths, collapse = " -> "), x$network$net$activation,
              if (net_parametrisation(x$network$net) == "standard") " (standard parametrisation)" else ""))
  cat(sprintf("  loss = 1/(2N) sum[(f - y)^2 + lambda |grad_x f|^2], N = %d, lambda = %s\n",
              nrow(x$x), format(x$lambda)))
  cat(sprintf("  %d steps at lr %s: training time t = lr * steps = %s (%s s)%s\n",
              x$steps, format(x$lr), format(x$time), format(round(x$elapsed, 2)),
              if (isTRUE(x$interrupted)) sprintf(", interrupted (of %d)", x$steps_requested) else ""))
  cat(sprintf("  loss           : %s -> %s\n", fmt_num(first$loss), fmt_num(last$loss)))
  cat(sprintf("  fit term       : %s -> %s\n", fmt_num(first$fit_loss), fmt_num(last$fit_loss)))
  cat(sprintf("  Jacobian term  : %s -> %s%s\n", fmt_num(first$penalty), fmt_num(last$penalty),
              if (x$lambda == 0) "  (lambda = 0: not trained)" else ""))
  cat(sprintf("  mean |grad f|^2: %s -> %s\n", fmt_num(first$jacobian_norm2),
              fmt_num(last$jacobian_norm2)))
  rec <- sprintf("%d steps", length(x$record_steps))
  what <- c("fits", if (!is.null(x$outputs)) sprintf("outputs on %d test inputs", nrow(x$outputs)),
            if (!is.null(x$kernels)) sprintf("empirical %s", toupper(x$kernel_type)))
  cat(sprintf("  recorded at %s: %s\n", rec, paste(what, collapse = ", ")))
  if (!is.null(x$kernels)) {
    dr <- kernel_drift(x)
    cat(sprintf("  kernel drift   : |K_t - K_0|_F / |K_0|_F = %s at the last step\n",
                fmt_num(dr$drift[nrow(dr)])))
  }
  invisible(x)
}

#' @export
summary.mlp_fit <- function(object, ...) {
  h <- object$history
  rows <- h[h$step %in% object$record_steps, , drop = FALSE]
  rownames(rows) <- NULL
  if (!is.null(object$kernels)) rows$kernel_drift <- kernel_drift(object)$drift
  r <- object$fitted - object$y
  structure(list(
    table = rows, widths = object$network$widths, activation = object$network$net$activation,
    lambda = object$lambda, lr = object$lr, steps = object$steps, time = object$time,
    rmse = sqrt(colMeans(r^2)), min_loss = min(h$loss), min_loss_step = h$step[which.min(h$loss)]
  ), class = "summary.mlp_fit")
}

#' @export
print.summary.mlp_fit <- function(x, ...) {
  cat(sprintf("Gradient descent on a %s %s network: lambda = %s, lr = %s, %d steps (t = %s)\n",
              paste(x$widths, collapse = " -> "), x$activation, format(x$lambda), format(x$lr),
              x$steps, format(x$time)))
  cat(sprintf("Smallest loss %s at step %d; training RMSE %s -> %s\n\n", fmt_num(x$min_loss),
              x$min_loss_step, fmt_num(x$rmse[1]), fmt_num(x$rmse[length(x$rmse)])))
  tab <- x$table
  tab$jacobian_norm2 <- NULL
  print(tab, digits = 4, row.names = FALSE)
  invisible(x)
}

#' Fitted values, residuals and parameters of a trained network
#'
#' R's model habits for [train_mlp()] fits: `fitted()` gives the outputs of
#' the trained network at the training inputs, `residuals()` the targets
#' minus them, `nobs()` the number of training inputs, `coef()` the trained
#' parameters as one named vector (`"W2[3,1]"` is row 3, column 1 of the
#' second weight matrix, `"b1[4]"` the fourth bias of the first layer; in the
#' layout of the C routines).
#'
#' @param object A fit from [train_mlp()].
#' @param ... Unused.
#' @return `fitted()`, `residuals()`: numeric vectors of length `nobs(object)`
#'   (named by the rows of `x`); `nobs()`: an integer; `coef()`: a named
#'   numeric vector.
#' @seealso [predict.mlp_fit()], [as.data.frame.mlp_fit()], [train_mlp()].
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(20), 10, 2)
#' nw <- sample_mlp(mlp(1, "erf"), width = 8, input_dim = 2)
#' fit <- train_mlp(nw, x, sin(x[, 1]), steps = 20)
#' fitted(fit)
#' residuals(fit)
#' nobs(fit)
#' head(coef(fit))
#' @name mlp_fit-methods
#' @importFrom stats fitted residuals nobs coef
NULL

#' @rdname mlp_fit-methods
#' @export
fitted.mlp_fit <- function(object, ...) {
  j <- match(object$steps, object$record_steps)
  f <- if (!is.na(j)) object$fitted[, j] else
    network_outputs(object$network, object$x, FALSE, object$threads)[, 1]
  stats::setNames(as.double(f), rownames(object$x))
}

#' @rdname mlp_fit-methods
#' @export
residuals.mlp_fit <- function(object, ...) {
  r <- object$y - fitted(object)
  stats::setNames(r, rownames(object$x))
}

#' @rdname mlp_fit-methods
#' @export
nobs.mlp_fit <- function(object, ...) nrow(object$x)

#' @rdname mlp_fit-methods
#' @export
coef.mlp_fit <- function(object, ...) {
  stats::setNames(network_theta(object$network), theta_names(object$network$widths))
}

#' Predictions of a trained network
#'
#' The outputs (or input Jacobians) of the trained network, by the same
#' forward pass as the outputs recorded during training.
#'
#' @param object A fit from [train_mlp()].
#' @param newdata Inputs: a numeric matrix with one row per point (default: the
#'   training inputs).
#' @param jacobian If `TRUE`, return the input Jacobian (an `nrow(newdata)` by
#'   `d` matrix, see [input_jacobian()]) instead of the outputs.
#' @param threads Number of OpenMP threads (results do not depend on it).
#' @param ... Unused.
#' @return A numeric vector of outputs \eqn{f(x)} of the trained network, or
#'   its Jacobian matrix.
#' @seealso [fitted.mlp_fit()], [predict.mlp_network()], [input_jacobian()].
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(20), 10, 2)
#' nw <- sample_mlp(mlp(1, "erf"), width = 32, input_dim = 2)
#' fit <- train_mlp(nw, x, sin(x[, 1]), steps = 20)
#' predict(fit, x[1:2, ])
#' predict(fit, x[1:2, ], jacobian = TRUE)
#' @export
predict.mlp_fit <- function(object, newdata = NULL, jacobian = FALSE, threads = default_threads(),
                            ...) {
  if (!isTRUE(jacobian) && !isFALSE(jacobian)) {
    jntk_abort("`jacobian` must be TRUE or FALSE.", class = "jntk_error_argument")
  }
  nw <- object$network
  newdata <- if (is.null(newdata)) object$x else network_inputs(nw, newdata, "newdata")
  threads <- check_network_threads(threads)
  out <- network_outputs(nw, newdata, jacobian, threads)
  if (jacobian) {
    out <- out[, -1, drop = FALSE]
    dimnames(out) <- list(rownames(newdata), colnames(newdata))
    return(out)
  }
  stats::setNames(out[, 1], rownames(newdata))
}

#' Training records as long data frames
#'
#' For ggplot2 and other tidy tools: one row per step and quantity.
#'
#' @param x A fit from [train_mlp()].
#' @param row.names,optional Unused (for the generic).
#' @param what `"history"` (columns `step`, `time`, `term` in `"loss"`,
#'   `"fit_loss"`, `"penalty"`, `"jacobian_norm2"`, and `value`), `"drift"`
#'   (`step`, `time`, `block`, `drift`: the relative kernel change of
#'   [kernel_drift()], for the JNTK also of its `"ff"` and `"jj"` blocks),
#'   `"outputs"` (`step`, `time`, `point`, `output`: the recorded outputs on
#'   `x_test`) or `"fitted"` (`step`, `time`, `point`, `output`, `target`: the
#'   recorded fits at the training inputs).
#' @param ... Unused.
#' @return A data frame.
#' @seealso [train_mlp()], [kernel_drift()].
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(20), 10, 2)
#' nw <- sample_mlp(mlp(1, "erf"), width = 16, input_dim = 2)
#' fit <- train_mlp(nw, x, sin(x[, 1]), steps = 20, record_every = 5,
#'                  record_kernel = "ntk")
#' head(as.data.frame(fit))
#' as.data.frame(fit, what = "drift")
#' @export
as.data.frame.mlp_fit <- function(x, row.names = NULL, optional = FALSE,
                                  what = c("history", "drift", "outputs", "fitted"), ...) {
  kinds <- c("history", "drift", "outputs", "fitted")
  if (identical(what, kinds)) what <- "history"
  if (!is.character(what) || length(what) != 1L || !what %in% kinds) {
    jntk_abort("`what` must be one of \"history\", \"drift\", \"outputs\" or \"fitted\".",
               class = "jntk_error_argument")
  }
  h <- x$history
  if (what == "history") {
    terms <- c("loss", "fit_loss", "penalty", "jacobian_norm2")
    return(data.frame(step = rep(h$step, length(terms)), time = rep(h$time, length(terms)),
                      term = rep(terms, each = nrow(h)), value = unlist(h[terms], use.names = FALSE),
                      stringsAsFactors = FALSE))
  }
  if (what == "drift") {
    blocks <- if (identical(x$kernel_type, "jntk")) c("all", "ff", "jj") else "all"
    return(do.call(rbind, lapply(blocks, function(b) {
      dr <- kernel_drift(x, b)
      data.frame(step = dr$step, time = dr$time, block = b, drift = dr$drift,
                 stringsAsFactors = FALSE)
    })))
  }
  M <- if (what == "outputs") x$outputs else x$fitted
  if (is.null(M)) {
    jntk_abort("No test outputs were recorded: train with `x_test`.", class = "jntk_error_argument")
  }
  k <- nrow(M)
  out <- data.frame(step = rep(x$record_steps, each = k), time = rep(x$record_times, each = k),
                    point = rep(seq_len(k), times = ncol(M)), output = as.vector(M))
  if (what == "fitted") out$target <- rep(x$y, times = ncol(M))
  out
}

#' Plot the training of a network
#'
#' Panels of the loss and its two terms (fit and Jacobian penalty, log
#' scale, the axis fitted to the data) against the gradient-flow time
#' \eqn{t = \eta\cdot} step (or the step), and, when recorded, the kernel
#' drift and the test outputs. Legends go where the curves are not (the axis
#' is extended above the data when no corner is free).
#'
#' @param x A fit from [train_mlp()].
#' @param which Panels to draw: any of `"loss"`, `"kernel"` (the relative
#'   kernel change, see [kernel_drift()]; only if kernels were recorded) and
#'   `"outputs"` (the recorded test outputs; only with `x_test`). Default: all
#'   that are available. With three panels the loss spans the top row.
#' @param xaxis `"time"` (\eqn{t = \eta\cdot} step, default) or `"step"`.
#' @param ... Further graphical parameters passed to [graphics::title()].
#' @return `x`, invisibly.
#' @seealso [train_mlp()], [kernel_drift()], [as.data.frame.mlp_fit()].
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(20), 10, 2)
#' nw <- sample_mlp(mlp(1, "erf"), width = 32, input_dim = 2)
#' fit <- train_mlp(nw, x, sin(x[, 1]), lambda = 0.1, steps = 50)
#' plot(fit)
#' @export
plot.mlp_fit <- function(x, which = NULL, xaxis = c("time", "step"), ...) {
  avail <- c("loss", if (!is.null(x$kernels)) "kernel", if (!is.null(x$outputs)) "outputs")
  if (is.null(which)) which <- avail
  if (!is.character(which) || !length(which) || !all(which %in% c("loss", "kernel", "outputs"))) {
    jntk_abort("`which` must name panels among \"loss\", \"kernel\" and \"outputs\".",
               class = "jntk_error_argument")
  }
  miss <- setdiff(which, avail)
  if (length(miss)) {
    jntk_abort(sprintf("Nothing to draw for `which = %s`: %s", paste0("\"", miss, "\"", collapse = ", "),
                       "record kernels with `record_kernel` and test outputs with `x_test` in `train_mlp()`."),
               class = "jntk_error_argument")
  }
  if (!is.character(xaxis) || !xaxis[1] %in% c("time", "step")) {
    jntk_abort("`xaxis` must be \"time\" or \"step\".", class = "jntk_error_argument")
  }
  xaxis <- xaxis[1]
  which <- unique(which)
  xlab <- if (xaxis == "time") quote("training time" ~ italic(t) == eta %.% "step") else "step"
  np <- length(which)
  if (np > 1L) {
    op <- graphics::par(no.readonly = TRUE)
    on.exit(graphics::par(op), add = TRUE)
    if (np == 2L) graphics::par(mfrow = c(1L, 2L)) else graphics::layout(matrix(c(1, 1, 2, 3), 2, byrow = TRUE))
  }
  pal <- jntk_palette(3)
  h <- x$history
  hx <- if (xaxis == "time") h$time else h$step
  rx <- if (xaxis == "time") x$record_times else x$record_steps
  if ("loss" %in% which) {
    series <- list(h$loss, h$fit_loss)
    lab <- list(quote("loss" ~ italic(L)),
                quote("fit term" ~ Sigma[i] * (italic(f)[i] - italic(y)[i])^2 / 2 * italic(N)))
    if (x$lambda > 0) {
      series[[3]] <- h$penalty
      lab[[3]] <- quote("Jacobian term" ~ lambda * Sigma[i] *
                          group("||", nabla[x] * italic(f)[i], "||")^2 / 2 * italic(N))
    } else {
      series[[3]] <- h$jacobian_norm2 / 2
      lab[[3]] <- quote(Sigma[i] * group("||", nabla[x] * italic(f)[i], "||")^2 / 2 * italic(N) ~
                          "(not trained)")
    }
    series <- lapply(series, function(v) ifelse(v > 0, v, NA))
    draw_panel(hx, series, legend = as.expression(lab), col = pal, lty = 1:3, lwd = c(2, 1.5, 1.5),
               log_y = TRUE, xlab = xlab, ylab = "loss (log scale)",
               main = bquote(bold("Training loss, " * lambda == .(x$lambda))), ...)
  }
  if ("kernel" %in% which) {
    dr <- kernel_drift(x)
    draw_panel(rx, list(dr$drift), legend = NULL, col = pal[1], lty = 1, lwd = 1, type = "b",
               log_y = FALSE, xlab = xlab,
               ylab = quote(group("||", K[t] - K[0], "||")[F] / group("||", K[0], "||")[F]),
               main = sprintf("Empirical %s drift on the training inputs", toupper(x$kernel_type)),
               ...)
  }
  if ("outputs" %in% which) {
    k <- nrow(x$outputs)
    show <- seq_len(min(k, 8L))
    Y <- x$outputs[show, , drop = FALSE]
    draw_panel(rx, lapply(show, function(i) Y[i, ]), legend = paste("test input", show),
               col = jntk_palette(length(show)), lty = 1, lwd = 1.5, log_y = FALSE, xlab = xlab,
               ylab = quote(italic(f)[t](italic(x)[test])),
               main = if (k > length(show)) sprintf("Test outputs (first %d of %d)", length(show), k) else
                 "Test outputs", ...)
  }
  invisible(x)
}

# One panel of curves `series` (y vectors against xs) with a legend at the
# candidate position whose box covers the fewest points of the curves; when
# every position would hide data, the y axis is extended above the data by
# the legend's height and the legend goes there.
draw_panel <- function(xs, series, legend, col, lty, lwd, log_y, xlab, ylab, main, type = "l",
                       ...) {
  ty <- function(v) if (log_y) log10(v) else v
  vals <- unlist(series)
  vals <- vals[is.finite(vals) & (!log_y | vals > 0)]
  ylim <- if (length(vals)) range(vals) else if (log_y) c(1e-16, 1) else c(0, 1)
  if (ylim[1] == ylim[2]) ylim <- if (log_y) ylim * c(0.5, 2) else ylim + c(-0.5, 0.5)
  xlim <- range(xs[is.finite(xs)])
  if (xlim[1] == xlim[2]) xlim <- xlim + c(-0.5, 0.5)
  lg <- if (log_y) "y" else ""
  graphics::plot.new()
  graphics::plot.window(xlim, ylim, log = lg)
  spot <- NULL
  if (!is.null(legend)) {
    largs <- list(legend = legend, col = col, lty = lty, lwd = lwd, bty = "n", cex = 0.8,
                  inset = 0.01, ncol = if (length(legend) > 4L) 2L else 1L)
    spot <- legend_spot(xs, series, ty, largs, c("topright", "topleft", "bottomright",
                                                 "bottomleft", "top", "bottom", "right", "left"))
    if (spot$count > 0) {
      # the legend's share of the height stays fixed: make the data fit below it
      r <- do.call(graphics::legend, c(list("topright", plot = FALSE), largs))$rect
      usr <- graphics::par("usr")[3:4]
      share <- min(0.6, 1.15 * r$h / diff(usr))
      top <- ty(ylim[1]) + (ty(ylim[2]) - ty(ylim[1])) / (1 - share)
      ylim[2] <- if (log_y) 10^top else top
      graphics::plot.window(xlim, ylim, log = lg)
      spot <- legend_spot(xs, series, ty, largs, c("topright", "topleft", "top"))
    }
  }
  graphics::axis(1)
  graphics::axis(2)
  graphics::box()
  graphics::title(main = main, xlab = xlab, ylab = ylab, ...)
  for (i in seq_along(series)) {
    graphics::lines(xs, series[[i]], col = rep_len(col, length(series))[i], type = type, pch = 19,
                    lty = rep_len(lty, length(series))[i], lwd = rep_len(lwd, length(series))[i])
  }
  if (!is.null(spot)) do.call(graphics::legend, c(list(spot$where), largs))
  invisible()
}

# The candidate legend position whose box covers the fewest points of the
# curves (their points and 200 points along each between them); ties go to
# the first candidate.
legend_spot <- function(xs, series, ty, largs, spots) {
  px <- numeric(0)
  py <- numeric(0)
  grid <- seq(min(xs), max(xs), length.out = 200)
  for (v in series) {
    tv <- suppressWarnings(ty(v))
    fin <- is.finite(xs) & is.finite(tv)
    px <- c(px, xs[fin])
    py <- c(py, tv[fin])
    if (sum(fin) >= 2L) {
      px <- c(px, grid)
      py <- c(py, stats::approx(xs[fin], tv[fin], grid, rule = 2)$y)
    }
  }
  count <- vapply(spots, function(s) {
    r <- do.call(graphics::legend, c(list(s, plot = FALSE), largs))$rect
    sum(px >= r$left & px <= r$left + r$w & py <= r$top & py >= r$top - r$h)
  }, numeric(1))
  list(where = spots[which.min(count)], count = min(count))
}
