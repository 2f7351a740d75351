# Training finite networks by full-batch gradient descent with a Jacobian-norm
# regulariser (Kim and Yang 2024's "robust training"; math.md section 5). The
# steps run in C (src/training.c, which derives the double backprop); this
# file validates, drives the step loop in chunks (progress, interrupts,
# recording) and provides the "mlp_fit" methods.

#' Train a finite network by gradient descent with a Jacobian regulariser
#'
#' Runs full-batch gradient descent \eqn{\theta \leftarrow \theta - \eta
#' \nabla_\theta L(\theta)} on
#' \deqn{L(\theta) = \frac{1}{2N}\sum_{i=1}^N \left[(f(x_i) - y_i)^2 +
#'   \lambda \|\nabla_x f(x_i)\|^2\right],}{L = 1/(2N) sum_i [(f(x_i) - y_i)^2
#'   + lambda |grad_x f(x_i)|^2],}
#' Kim and Yang (2024)'s Jacobian-regularised ("robust") training; `lambda = 0`
#' is the plain least-squares training of Jacot et al. (2018). With learning
#' rate \eqn{\eta} = `lr`, `steps` steps correspond to gradient-flow time
#' \eqn{t = \eta \cdot} `steps` (Jacot et al.: 200 steps at learning rate 1 is
#' \eqn{t = 200}), the time of the infinite-width dynamics.
#'
#' The gradient of the \eqn{\lambda} term is exact: a reverse-mode pass gives
#' the input Jacobians of all training inputs at once, and a second
#' forward-then-backward sweep through that pass ("double backprop",
#' derived in `src/training.c`) gives the gradient of their squared norms with
#' respect to every weight and bias. Every sweep is a matrix product over the
#' whole batch, so a step with \eqn{\lambda > 0} costs about twice a step with
#' \eqn{\lambda = 0}, whatever the input dimension. It needs \eqn{\phi''}: the
#' kinked activations (`"relu"`, `"leaky_relu"`, `"abs"`) use their
#' almost-everywhere derivatives (\eqn{\phi'' = 0}, \eqn{\phi'(0) = 0} for
#' relu), which is what automatic differentiation in deep-learning frameworks
#' computes.
#'
#' Nearly all the time goes into BLAS matrix products (`dgemm`) with the
#' weight matrices: about 3 per hidden layer per step for \eqn{\lambda = 0} and 6
#' for \eqn{\lambda > 0}, as many as autograd's double backward needs. R's
#' reference BLAS is slow; R linked to an optimised BLAS trains many times
#' faster (see `inst/bench/bench_training.R`).
#'
#' The loss terms are recorded at every step (`$history`); outputs, training
#' fits and (optionally) the empirical kernel on the training inputs are
#' recorded every `record_every` steps and at the last step. Long runs show a
#' text progress bar in interactive sessions and can be interrupted (nothing is
#' returned then). If the loss or its gradient becomes non-finite, training
#' stops with an error of class `"jntk_error_divergence"` whose fields
#' `history` (the loss history up to that step), `network` (the last
#' parameters, all finite) and `step` can be inspected with [tryCatch()].
#'
#' @param network A finite network from [sample_mlp()] or [mlp_network()]; it
#'   is the initialisation and is not modified.
#' @param x Training inputs: a numeric matrix with one row per point.
#' @param y Training targets: a numeric vector with one value per row of `x`.
#' @param lambda Weight \eqn{\lambda \ge 0} of the Jacobian penalty.
#' @param lr Learning rate \eqn{\eta > 0}.
#' @param steps Number of gradient-descent steps (a whole number \eqn{\ge 0}).
#' @param x_test Optional inputs at which to record the outputs \eqn{f(x)}
#'   during training (`$outputs`).
#' @param record_every Record outputs and kernels every this many steps (and
#'   always at step 0 and at the last step). Default: about 20 records.
#' @param record_kernel `"none"`, `"ntk"` ([empirical_ntk()] on `x`) or
#'   `"jntk"` ([empirical_jntk()] on `x`, \eqn{N(d+1)} square) to record the
#'   empirical kernel on the training inputs; see [kernel_drift()].
#' @param threads Number of OpenMP threads; results do not depend on it. The
#'   threads share the inputs during the sweeps and the outputs of the
#'   gradient products; with a multithreaded BLAS (OpenBLAS, MKL) keep 1.
#' @param progress Show a progress bar (only in interactive sessions).
#' @return An object of class `"mlp_fit"`, a list with
#'   * `network`: the trained `"mlp_network"` ([predict()], [input_jacobian()]
#'     and [empirical_ntk()] work on it);
#'   * `history`: a data frame with one row per step `0..steps`: `step`,
#'     `time` (\eqn{\eta \cdot} step), `loss`, `fit_loss`
#'     (\eqn{\sum (f - y)^2/(2N)}), `penalty` (\eqn{\lambda \sum
#'     \|\nabla_x f\|^2/(2N)}) and `jacobian_norm2` (the mean of
#'     \eqn{\|\nabla_x f(x_i)\|^2}, recorded also when \eqn{\lambda = 0});
#'     row \eqn{s} holds the loss at the parameters after \eqn{s} steps;
#'   * `record_steps`, `record_times`: when outputs and kernels were recorded;
#'   * `fitted`: \eqn{N \times} records matrix of \eqn{f(x_i)} at those steps;
#'   * `outputs`: `nrow(x_test)` \eqn{\times} records matrix of \eqn{f} on
#'     `x_test` (or `NULL`);
#'   * `kernels`: list of the recorded empirical kernels (or `NULL`) and
#'     `kernel_type`;
#'   * `lambda`, `lr`, `steps`, `time` (\eqn{\eta \cdot} `steps`), `elapsed`
#'     (seconds), `x`, `y`, `x_test`, `threads`.
#' @references Kim and Yang (2024), An Infinite-Width Analysis on the
#'   Jacobian-Regularised Training of a Neural Network, ICML.
#'   Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel: Convergence and
#'   Generalization in Neural Networks, NeurIPS.
#' @seealso [kernel_drift()], [plot.mlp_fit()], [predict.mlp_fit()],
#'   [training_gradient()].
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(40), 20, 2)
#' y <- x[, 1] * x[, 2]
#' nw <- sample_mlp(mlp(2, "erf", sigma_b = 0.1), width = 64, input_dim = 2)
#' fit <- train_mlp(nw, x, y, lambda = 0.01, lr = 1, steps = 100,
#'                  x_test = x[1:3, ], record_every = 25, record_kernel = "ntk")
#' fit
#' plot(fit)
#' kernel_drift(fit)
#' predict(fit, x[1:3, ])
#' @export
train_mlp <- function(network, x, y, lambda = 0, lr = 1, steps = 100L, x_test = NULL,
                      record_every = NULL, record_kernel = c("none", "ntk", "jntk"),
                      threads = default_threads(), progress = TRUE) {
  check_network(network, "network")
  x <- network_inputs(network, x, "x")
  N <- nrow(x)
  y <- training_targets(y, N)
  lambda <- check_number(lambda, "lambda", lower = 0,
                         hint = "it weighs the Jacobian penalty (0 for plain training)")
  lr <- check_number(lr, "lr", lower = 0, lower_open = TRUE,
                     hint = "it is the learning rate (Jacot et al. use 1)")
  steps <- check_number(steps, "steps", lower = 0, integer = TRUE)
  if (!is.null(x_test)) x_test <- network_inputs(network, x_test, "x_test")
  if (is.null(record_every)) record_every <- max(1L, steps %/% 20L)
  record_every <- check_number(record_every, "record_every", lower = 1, integer = TRUE)
  record_kernel <- training_kernel_type(record_kernel)
  threads <- check_threads(threads)
  if (!is.logical(progress) || length(progress) != 1L || is.na(progress)) {
    jntk_abort("`progress` must be TRUE or FALSE.", class = "jntk_error_argument")
  }

  rec_steps <- unique(c(seq.int(0L, steps, by = record_every), steps))
  n_rec <- length(rec_steps)
  d <- ncol(x)
  n_par <- training_n_par(network$widths)
  # parameters, gradient, C scratch (about 9 (N)(width) per hidden layer) and records
  n_scratch <- 3 * n_par + 10 * as.double(N) * sum(network$widths) + 4 * N * d
  k_side <- switch(record_kernel, none = 0, ntk = N, jntk = N * (d + 1))
  n_records <- n_rec * (N + (if (is.null(x_test)) 0 else nrow(x_test)) + as.double(k_side)^2)
  check_alloc(n_scratch + n_records + steps * 2,
              sprintf("Training a network with %s parameters on %d inputs%s",
                      format(n_par, big.mark = ","), N,
                      if (k_side > 0) sprintf(" and recording %d %d x %d kernels", n_rec, k_side, k_side) else ""),
              if (k_side > 0) "Record kernels less often (`record_every`) or on fewer inputs." else
                "Use fewer inputs or narrower networks.")

  spec <- training_spec(network)
  theta <- training_pack(network)
  fit_loss <- rep(NA_real_, steps + 1L)
  jac2 <- rep(NA_real_, steps + 1L)
  fitted <- matrix(NA_real_, N, n_rec)
  outputs <- if (is.null(x_test)) NULL else matrix(NA_real_, nrow(x_test), n_rec)
  kernels <- if (record_kernel == "none") NULL else vector("list", n_rec)

  record <- function(j, theta) {
    ev <- .Call(C_training_loss_grad, theta, spec$widths, x, y, spec$act, spec$slope,
                spec$sigma_w, spec$sigma_b, spec$kappa, lambda, 0L, threads)
    fitted[, j] <<- ev$f
    s <- rec_steps[j]
    fit_loss[s + 1L] <<- ev$fit_loss
    jac2[s + 1L] <<- ev$jac2
    if (!is.null(x_test)) {
      outputs[, j] <<- .Call(C_training_forward, theta, spec$widths, x_test, spec$act,
                             spec$slope, spec$sigma_w, spec$sigma_b, spec$kappa, threads)
    }
    if (record_kernel != "none") {
      nw <- training_unpack(theta, network)
      kernels[[j]] <<- if (record_kernel == "ntk") {
        empirical_ntk(nw, x, threads = threads)
      } else {
        empirical_jntk(nw, x, threads = threads)
      }
    }
  }

  show_bar <- progress && interactive() && steps > 0L
  if (show_bar) {
    bar <- utils::txtProgressBar(min = 0, max = steps, style = 3)
    on.exit(close(bar), add = TRUE)
  }
  chunk <- max(1L, as.integer(ceiling(steps / 100)))
  t0 <- proc.time()[["elapsed"]]
  record(1L, theta)
  pos <- 0L
  for (j in seq_len(n_rec)[-1L]) {
    target <- rec_steps[j]
    while (pos < target) {
      nstep <- min(target - pos, chunk)
      res <- .Call(C_training_gd, theta, spec$widths, x, y, spec$act, spec$slope,
                   spec$sigma_w, spec$sigma_b, spec$kappa, lambda, lr, as.integer(nstep),
                   threads)
      k <- length(res$fit_loss)
      fit_loss[pos + seq_len(k)] <- res$fit_loss
      jac2[pos + seq_len(k)] <- res$jac2
      theta <- res$theta
      if (res$status != 0L) {
        training_diverged(pos + k - 1L, fit_loss, jac2, lambda, lr,
                          training_unpack(theta, network))
      }
      pos <- pos + k
      if (show_bar) utils::setTxtProgressBar(bar, pos)
    }
    record(j, theta)
  }
  if (!is.finite(fit_loss[steps + 1L] + 0.5 * lambda * jac2[steps + 1L])) {
    training_diverged(steps, fit_loss, jac2, lambda, lr, training_unpack(theta, network))
  }
  elapsed <- proc.time()[["elapsed"]] - t0

  lab <- paste0("step_", rec_steps)
  colnames(fitted) <- lab
  rownames(fitted) <- rownames(x)
  if (!is.null(outputs)) dimnames(outputs) <- list(rownames(x_test), lab)
  if (!is.null(kernels)) names(kernels) <- lab
  structure(list(
    network = training_unpack(theta, network),
    history = training_history(seq.int(0L, steps), fit_loss, jac2, lambda, lr),
    record_steps = rec_steps, record_times = lr * rec_steps,
    fitted = fitted, outputs = outputs,
    kernels = kernels, kernel_type = record_kernel,
    lambda = lambda, lr = lr, steps = steps, time = lr * steps, elapsed = elapsed,
    x = x, y = y, x_test = x_test, threads = threads
  ), class = "mlp_fit")
}

#' Gradient of the Jacobian-regularised training loss
#'
#' The loss of [train_mlp()] and its exact gradient with respect to every
#' weight and bias (by double backprop, in C), at the current parameters of a
#' network. Useful to check the training against other software or finite
#' differences.
#'
#' @inheritParams train_mlp
#' @return A list with `loss`, `fit_loss` (\eqn{\sum (f-y)^2/(2N)}), `penalty`
#'   (\eqn{\lambda\sum\|\nabla_x f\|^2/(2N)}), `outputs` (\eqn{f(x)}),
#'   `jacobian` (the \eqn{N \times d} input Jacobian), and `weights`, `biases`:
#'   lists shaped like the network's with the partial derivatives of `loss`.
#' @examples
#' set.seed(1)
#' nw <- sample_mlp(mlp(1, "tanh"), width = 4, input_dim = 2)
#' g <- training_gradient(nw, matrix(rnorm(6), 3, 2), c(1, 0, -1), lambda = 0.1)
#' g$loss
#' g$weights[[1]]
#' @export
training_gradient <- function(network, x, y, lambda = 0, threads = default_threads()) {
  check_network(network, "network")
  x <- network_inputs(network, x, "x")
  y <- training_targets(y, nrow(x))
  lambda <- check_number(lambda, "lambda", lower = 0)
  threads <- check_threads(threads)
  spec <- training_spec(network)
  ev <- .Call(C_training_loss_grad, training_pack(network), spec$widths, x, y, spec$act,
              spec$slope, spec$sigma_w, spec$sigma_b, spec$kappa, lambda, 1L, threads)
  g <- training_unpack(ev$gradient, network, validate = FALSE)
  J <- ev$jacobian
  dimnames(J) <- list(rownames(x), colnames(x))
  list(loss = ev$fit_loss + 0.5 * lambda * ev$jac2, fit_loss = ev$fit_loss,
       penalty = 0.5 * lambda * ev$jac2, outputs = ev$f, jacobian = J,
       weights = g$weights, biases = g$biases)
}

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
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(20), 10, 2)
#' nw <- sample_mlp(mlp(1, "erf"), width = 32, input_dim = 2)
#' fit <- train_mlp(nw, x, sin(x[, 1]), steps = 50, record_every = 10,
#'                  record_kernel = "ntk")
#' kernel_drift(fit)
#' @export
kernel_drift <- function(fit, block = c("all", "ff", "jj")) {
  if (!inherits(fit, "mlp_fit")) {
    jntk_abort(sprintf("`fit` must be a fit from `train_mlp()`, not %s.", describe_type(fit)),
               class = "jntk_error_argument")
  }
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

#' @export
print.mlp_fit <- function(x, ...) {
  h <- x$history
  first <- h[1L, ]
  last <- h[nrow(h), ]
  cat(sprintf("<mlp_fit> gradient descent on a %s %s network\n",
              paste(x$network$widths, collapse = " -> "), x$network$net$activation))
  cat(sprintf("  loss = 1/(2N) sum[(f - y)^2 + lambda |grad_x f|^2], N = %d, lambda = %s\n",
              nrow(x$x), format(x$lambda)))
  cat(sprintf("  %d steps at lr %s: training time t = lr * steps = %s (%s s)\n",
              x$steps, format(x$lr), format(x$time), format(round(x$elapsed, 2))))
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

fmt_num <- function(v) formatC(v, digits = 4, format = "g")

last_finite <- function(v) {
  v <- v[is.finite(v)]
  if (length(v)) fmt_num(v[length(v)]) else "none"
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

#' Plot the training of a network
#'
#' Draws the loss and its two terms (fit and Jacobian penalty) against the
#' gradient-flow time \eqn{t = \eta\cdot} step (or the step), on a log scale;
#' optionally also the kernel drift and the recorded test outputs.
#'
#' @param x A fit from [train_mlp()].
#' @param which Panels to draw: any of `"loss"`, `"kernel"` (the relative
#'   kernel change, see [kernel_drift()]; only if kernels were recorded) and
#'   `"outputs"` (the recorded test outputs; only with `x_test`). Default: all
#'   that are available.
#' @param xaxis `"time"` (\eqn{t = \eta\cdot} step, default) or `"step"`.
#' @param ... Further graphical parameters passed to [graphics::plot()].
#' @return `x`, invisibly.
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
    jntk_abort(sprintf("Nothing to draw for %s: %s", paste0("\"", miss, "\"", collapse = ", "),
                       "record kernels with `record_kernel` and test outputs with `x_test` in `train_mlp()`."),
               class = "jntk_error_argument")
  }
  if (!is.character(xaxis) || !xaxis[1] %in% c("time", "step")) {
    jntk_abort("`xaxis` must be \"time\" or \"step\".", class = "jntk_error_argument")
  }
  xaxis <- xaxis[1]
  xlab <- if (xaxis == "time") "training time t = lr * step" else "step"
  if (length(which) > 1L) {
    op <- graphics::par(mfrow = c(1L, length(which)))
    on.exit(graphics::par(op), add = TRUE)
  }
  pal <- jntk_palette(3)
  h <- x$history
  hx <- if (xaxis == "time") h$time else h$step
  # linear x axis so that step 0 is shown; losses on a log y axis
  if ("loss" %in% which) {
    series <- list(total = h$loss, fit = h$fit_loss)
    lab <- c("loss", "fit term: sum (f - y)^2 / 2N")
    if (x$lambda > 0) {
      series$penalty <- h$penalty
      lab <- c(lab, "Jacobian term: lambda sum |grad f|^2 / 2N")
    } else {
      series$penalty <- h$jacobian_norm2 / 2
      lab <- c(lab, "sum |grad f|^2 / 2N (not trained, lambda = 0)")
    }
    pos <- unlist(series)
    pos <- pos[is.finite(pos) & pos > 0]
    # headroom above the curves (a factor 30 on the log scale) for the legend
    ylim <- if (length(pos)) range(pos) * c(1, 30) else c(1e-16, 1)
    graphics::plot(hx, rep(NA_real_, length(hx)), ylim = ylim, log = "y", xlab = xlab,
                   ylab = "loss (log scale)",
                   main = sprintf("Training loss (lambda = %s)", format(x$lambda)), ...)
    for (i in seq_along(series)) {
      v <- series[[i]]
      v[!(v > 0)] <- NA
      graphics::lines(hx, v, col = pal[i], lty = i, lwd = if (i == 1L) 2 else 1.5)
    }
    graphics::legend("topright", legend = lab, col = pal, lty = 1:3, lwd = c(2, 1.5, 1.5),
                     bty = "n", cex = 0.8)
  }
  rx <- if (xaxis == "time") x$record_times else x$record_steps
  if ("kernel" %in% which) {
    dr <- kernel_drift(x)
    graphics::plot(rx, dr$drift, type = "b", pch = 19, col = pal[1], xlab = xlab,
                   ylab = "|K_t - K_0|_F / |K_0|_F",
                   main = sprintf("Empirical %s drift", toupper(x$kernel_type)), ...)
    graphics::legend("topleft", legend = sprintf("empirical %s on the training inputs",
                                                  toupper(x$kernel_type)),
                     col = pal[1], lty = 1, pch = 19, bty = "n", cex = 0.8)
  }
  if ("outputs" %in% which) {
    k <- nrow(x$outputs)
    show <- seq_len(min(k, 8L))
    cols <- jntk_palette(length(show))
    yr <- range(x$outputs[show, , drop = FALSE])
    yr[2] <- yr[2] + 0.12 * length(show) * max(diff(yr), 1e-8) # legend headroom
    graphics::matplot(rx, t(x$outputs[show, , drop = FALSE]), type = "l", lty = 1, col = cols,
                      ylim = yr, xlab = xlab, ylab = "f(x_test)", main = "Test outputs", ...)
    graphics::legend("topright", legend = paste("test input", show), col = cols, lty = 1,
                     bty = "n", cex = 0.8)
  }
  invisible(x)
}

#' Predictions of a trained network
#'
#' @param object A fit from [train_mlp()].
#' @param newdata Inputs: a numeric matrix with one row per point (default: the
#'   training inputs).
#' @param jacobian If `TRUE`, return the input Jacobian (an `nrow(newdata)` by
#'   `d` matrix, see [input_jacobian()]) instead of the outputs.
#' @param ... Passed to [predict.mlp_network()] / [input_jacobian()] (e.g.
#'   `threads`).
#' @return A numeric vector of outputs \eqn{f(x)} of the trained network, or
#'   its Jacobian matrix.
#' @examples
#' set.seed(2)
#' x <- matrix(rnorm(20), 10, 2)
#' nw <- sample_mlp(mlp(1, "erf"), width = 32, input_dim = 2)
#' fit <- train_mlp(nw, x, sin(x[, 1]), steps = 20)
#' predict(fit, x[1:2, ])
#' predict(fit, x[1:2, ], jacobian = TRUE)
#' @export
predict.mlp_fit <- function(object, newdata = NULL, jacobian = FALSE, ...) {
  if (is.null(newdata)) newdata <- object$x
  if (isTRUE(jacobian)) input_jacobian(object$network, newdata, ...) else
    stats::predict(object$network, newdata, ...)
}

# ---- internals --------------------------------------------------------------

training_targets <- function(y, N) {
  if (is.data.frame(y) && ncol(y) == 1L) y <- y[[1]]
  if (is.matrix(y) && ncol(y) == 1L) y <- y[, 1]
  if (!is.numeric(y) && !is.logical(y) || !is.null(dim(y))) {
    jntk_abort(sprintf("`y` must be a numeric vector of targets (scalar outputs), not %s.",
                       describe_type(y)), class = "jntk_error_input")
  }
  if (length(y) != N) {
    jntk_abort(sprintf("`y` has %d value(s) but `x` has %d row(s); give one target per input.",
                       length(y), N), class = "jntk_error_input")
  }
  if (any(!is.finite(y))) {
    jntk_abort(sprintf("`y` has %d non-finite value(s) (first at position %d); remove or impute them.",
                       sum(!is.finite(y)), which(!is.finite(y))[1]), class = "jntk_error_input")
  }
  as.double(y)
}

training_kernel_type <- function(record_kernel) {
  if (identical(record_kernel, c("none", "ntk", "jntk"))) return("none")
  if (!is.character(record_kernel) || length(record_kernel) != 1L ||
      !record_kernel %in% c("none", "ntk", "jntk")) {
    jntk_abort("`record_kernel` must be \"none\", \"ntk\" or \"jntk\".",
               class = "jntk_error_argument")
  }
  record_kernel
}

training_n_par <- function(widths) {
  k <- length(widths)
  sum(as.double(widths[-1]) * widths[-k] + widths[-1])
}

training_spec <- function(network) {
  net <- network$net
  list(widths = as.integer(network$widths), act = as.integer(net$activation_code),
       slope = as.double(net$slope), sigma_w = as.double(net$sigma_w),
       sigma_b = as.double(net$sigma_b), kappa = as.double(net$kappa))
}

# Flat parameter vector: for each layer, vec(W) then b (the layout of training.c).
training_pack <- function(network) {
  unlist(lapply(seq_along(network$weights), function(l) {
    c(as.double(network$weights[[l]]), as.double(network$biases[[l]]))
  }), use.names = FALSE)
}

training_unpack <- function(theta, network, validate = TRUE) {
  w <- network$widths
  weights <- vector("list", length(w) - 1L)
  biases <- weights
  o <- 0
  for (l in seq_along(weights)) {
    nw <- w[l + 1L] * w[l]
    weights[[l]] <- matrix(theta[o + seq_len(nw)], w[l + 1L], w[l])
    o <- o + nw
    biases[[l]] <- theta[o + seq_len(w[l + 1L])]
    o <- o + w[l + 1L]
  }
  if (!validate) return(list(weights = weights, biases = biases))
  mlp_network(network$net, weights, biases)
}

training_history <- function(step, fit_loss, jac2, lambda, lr) {
  data.frame(step = step, time = lr * step, loss = fit_loss + 0.5 * lambda * jac2,
             fit_loss = fit_loss, penalty = 0.5 * lambda * jac2, jacobian_norm2 = jac2)
}

training_diverged <- function(step, fit_loss, jac2, lambda, lr, network) {
  keep <- seq_len(step + 1L)
  hist <- training_history(keep - 1L, fit_loss[keep], jac2[keep], lambda, lr)
  jntk_abort(sprintf(paste0(
    "Training diverged at step %d: the loss (or its gradient) is no longer finite ",
    "(last finite loss %s). Use a smaller learning rate `lr` (now %s; try %s). ",
    "The history up to that step is in the error's `history` field."),
    step, last_finite(hist$loss), format(lr), format(lr / 10)),
    class = "jntk_error_divergence",
    data = list(history = hist, network = network, step = step))
}
