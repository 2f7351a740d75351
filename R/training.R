# Training finite networks by full-batch gradient descent with a Jacobian-norm
# regulariser (Kim and Yang 2024's "robust training"; math.md section 5). The
# steps run in C (src/training.c, which derives the double backprop, on the
# finite-network core src/mlp.c); this file validates, drives the step loop
# (progress, interrupts, recording from theta) and warns where training goes
# wrong. The "mlp_fit" methods are in R/fit.R, the theta layout in R/theta.R.

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
#' \eqn{t = 200}), the time of the infinite-width dynamics. The parameters
#' \eqn{\theta} are those of the network's parametrisation
#' ([net_parametrisation()]): unit-variance weights for `"ntk"`, the actual
#' weights for `"standard"` (whose NTK grows with the width, so that stable
#' learning rates shrink like 1/width).
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
#' weight matrices: 3 per hidden layer per step for \eqn{\lambda = 0} and 6
#' for \eqn{\lambda > 0}, as many as autograd's double backward needs. R's
#' reference BLAS is slow; R linked to an optimised BLAS (OpenBLAS) trains
#' many times faster (see `inst/bench/bench_training.R`).
#'
#' The loss terms are recorded at every step (`$history`); outputs, training
#' fits and (optionally) the empirical kernel on the training inputs are
#' recorded every `record_every` steps and at the last step. Long runs show a
#' text progress bar in interactive sessions.
#'
#' Where training goes wrong: a warning of class `"jntk_warning_divergence"`
#' when `lr` is above the stability estimate \eqn{2N/\lambda_{max}} of
#' gradient descent at initialisation (\eqn{\lambda_{max}} the largest
#' eigenvalue of the empirical NTK on the training inputs, or on an evenly
#' spaced subset of 512 of them, scaled) or, failing that, when the loss
#' grows a thousandfold; if the loss or its gradient overflows, training stops
#' with an error of class `"jntk_error_divergence"` whose fields `history`
#' (the loss history up to that step), `network` (the last parameters, all
#' finite) and `step` can be inspected with [tryCatch()]. An interrupt (Ctrl-C,
#' checked between steps) returns the fit so far with a warning of class
#' `"jntk_warning_interrupted"` (`$interrupted` is then `TRUE` and `$steps`
#' the steps taken).
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
#'   threads share the inputs during the sweeps and the columns of the
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
#'   * `fitted`: \eqn{N \times} records matrix of \eqn{f(x_i)} at those steps
#'     (`fitted(fit)` gives the final ones);
#'   * `outputs`: `nrow(x_test)` \eqn{\times} records matrix of \eqn{f} on
#'     `x_test` (or `NULL`);
#'   * `kernels`: list of the recorded empirical kernels (or `NULL`) and
#'     `kernel_type`;
#'   * `lambda`, `lr`, `steps` (taken), `steps_requested`, `interrupted`,
#'     `time` (\eqn{\eta \cdot} `steps`), `elapsed` (seconds), `x`, `y`,
#'     `x_test`, `threads`.
#' @references Kim and Yang (2024), An Infinite-Width Analysis on the
#'   Jacobian-Regularised Training of a Neural Network, ICML.
#'   Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel: Convergence and
#'   Generalization in Neural Networks, NeurIPS.
#' @seealso [kernel_drift()], [plot.mlp_fit()], [predict.mlp_fit()],
#'   [fitted.mlp_fit()], [as.data.frame.mlp_fit()], [training_gradient()],
#'   [gradient_flow()] for the infinite-width dynamics.
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
  steps <- check_number(steps, "steps", lower = 0, upper = .Machine$integer.max, integer = TRUE)
  if (!is.null(x_test)) x_test <- network_inputs(network, x_test, "x_test")
  if (is.null(record_every)) record_every <- max(1L, steps %/% 20L)
  record_every <- check_number(record_every, "record_every", lower = 1,
                               upper = .Machine$integer.max, integer = TRUE)
  record_kernel <- training_kernel_type(record_kernel)
  threads <- check_network_threads(threads)
  if (!is.logical(progress) || length(progress) != 1L || is.na(progress)) {
    jntk_abort("`progress` must be TRUE or FALSE.", class = "jntk_error_argument")
  }

  rec_steps <- unique(c(seq.int(0L, steps, by = record_every), steps))
  n_rec <- length(rec_steps)
  d <- ncol(x)
  n_par <- network_n_par(network$widths)
  # parameters (two copies), gradient, C scratch (about 12 N width per
  # hidden layer), the loss history and the records
  n_scratch <- 4 * n_par + 12 * as.double(N) * sum(as.double(network$widths)) + 6 * as.double(N) * d
  k_side <- switch(record_kernel, none = 0, ntk = N, jntk = as.double(N) * (d + 1))
  n_records <- n_rec * (N + (if (is.null(x_test)) 0 else nrow(x_test)) + k_side^2)
  check_alloc(n_scratch + n_records + 3 * as.double(steps),
              sprintf("Training a network with %s parameters on %d inputs for `steps` = %s%s",
                      format(n_par, big.mark = ","), N, format(steps, big.mark = ","),
                      if (k_side > 0) sprintf(" and recording %d %s x %s kernels", n_rec,
                                              format(k_side), format(k_side)) else ""),
              if (k_side > 0) "Record kernels less often (`record_every`) or on fewer inputs." else
                "Use fewer inputs, fewer steps or narrower networks.")

  a <- network_arch(network$net, network$widths)
  theta <- network_theta(network)
  lr_max <- training_stability(network, x, a, theta, threads)
  warned <- FALSE
  if (is.finite(lr_max) && lr > lr_max) {
    warned <- TRUE
    jntk_warn(sprintf(paste0(
      "`lr` = %s is above the stability estimate 2N/lambda_max = %s of gradient descent at ",
      "initialisation (lambda_max: the largest eigenvalue of the empirical NTK on `x`), so the ",
      "loss will likely grow; use `lr` below %s."), format(lr), fmt_num(lr_max), fmt_num(lr_max)),
      class = "jntk_warning_divergence")
  }

  fit_loss <- rep(NA_real_, steps + 1L)
  jac2 <- rep(NA_real_, steps + 1L)
  fitted <- matrix(NA_real_, N, n_rec)
  outputs <- if (is.null(x_test)) NULL else matrix(NA_real_, nrow(x_test), n_rec)
  kernels <- if (record_kernel == "none") NULL else vector("list", n_rec)
  n_done <- 0L # records completed

  # records go through the same C routines as predict() and empirical_*(),
  # from theta (no network is rebuilt or re-validated)
  record <- function(j, theta) {
    ev <- .Call(C_training_loss_grad, theta, a$par, a$ipar, x, y, lambda, FALSE, threads)
    s <- rec_steps[j]
    fit_loss[s + 1L] <<- ev$fit_loss
    jac2[s + 1L] <<- ev$jac2
    fitted[, j] <<- ev$f
    if (!is.null(x_test)) {
      outputs[, j] <<- .Call(C_network_outputs, theta, a$par, a$ipar, x_test, FALSE, threads)[, 1]
    }
    if (record_kernel != "none") {
      kernels[[j]] <<- .Call(C_empirical_kernel, theta, a$par, a$ipar, x, NULL,
                             kind_code(record_kernel), threads)
    }
    n_done <<- j
  }

  show_bar <- progress && interactive() && steps > 0L
  if (show_bar) {
    bar <- utils::txtProgressBar(min = 0, max = steps, style = 3)
    on.exit(close(bar), add = TRUE)
  }
  # C checks for interrupts between steps; chunks only drive the progress bar
  chunk <- if (show_bar) max(1L, as.integer(ceiling(steps / 100))) else 1000000L
  # an R-function activation: an interrupt usually arrives while R runs it,
  # a long jump out of the C loop that loses its chunk; keep chunks short
  if (!is.null(network$net$activation_fun)) chunk <- min(chunk, 10L)
  t0 <- proc.time()[["elapsed"]]
  pos <- 0L
  status <- 0L
  interrupted <- FALSE
  tryCatch({
    record(1L, theta)
    for (j in seq_len(n_rec)[-1L]) {
      target <- rec_steps[j]
      while (pos < target) {
        nstep <- min(target - pos, chunk)
        res <- .Call(C_training_gd, theta, a$par, a$ipar, x, y, lambda, lr, as.integer(nstep),
                     threads)
        k <- length(res$fit_loss)
        fit_loss[pos + seq_len(k)] <- res$fit_loss
        jac2[pos + seq_len(k)] <- res$jac2
        theta <- res$theta
        status <- res$status
        if (status == 1L) {
          training_diverged(pos + k - 1L, fit_loss, jac2, lambda, lr, theta_network(theta, network))
        }
        if (status == 2L) {
          pos <- pos + k
          interrupted <- TRUE
          break
        }
        pos <- pos + k
        if (show_bar) utils::setTxtProgressBar(bar, pos)
      }
      if (interrupted) break
      record(j, theta)
    }
  }, interrupt = function(cnd) interrupted <<- TRUE)

  taken <- pos
  if (interrupted) {
    # the loss at the last parameters, unless a record holds it already
    if (is.na(fit_loss[taken + 1L])) {
      ev <- .Call(C_training_loss_grad, theta, a$par, a$ipar, x, y, lambda, FALSE, threads)
      fit_loss[taken + 1L] <- ev$fit_loss
      jac2[taken + 1L] <- ev$jac2
    }
    keep <- seq_len(max(n_done, 1L))
    rec_steps <- rec_steps[keep]
    fitted <- fitted[, keep, drop = FALSE]
    if (!is.null(outputs)) outputs <- outputs[, keep, drop = FALSE]
    if (!is.null(kernels)) kernels <- kernels[keep]
    fit_loss <- fit_loss[seq_len(taken + 1L)]
    jac2 <- jac2[seq_len(taken + 1L)]
    jntk_warn(sprintf(paste0(
      "Training interrupted after %s of %s steps: returning the fit so far ",
      "(`$interrupted` is TRUE; records up to step %s)."),
      format(taken), format(steps), format(rec_steps[length(rec_steps)])),
      class = "jntk_warning_interrupted")
  }
  if (!is.finite(fit_loss[taken + 1L] + 0.5 * lambda * jac2[taken + 1L])) {
    training_diverged(taken, fit_loss, jac2, lambda, lr, theta_network(theta, network))
  }
  elapsed <- proc.time()[["elapsed"]] - t0
  hist <- training_history(seq.int(0L, taken), fit_loss, jac2, lambda, lr)
  if (!warned) training_check_growth(hist, lr, lr_max, lambda)

  lab <- paste0("step_", rec_steps)
  colnames(fitted) <- lab
  rownames(fitted) <- rownames(x)
  if (!is.null(outputs)) dimnames(outputs) <- list(rownames(x_test), lab)
  if (!is.null(kernels)) names(kernels) <- lab
  structure(list(
    network = theta_network(theta, network),
    history = hist,
    record_steps = rec_steps, record_times = lr * rec_steps,
    fitted = fitted, outputs = outputs,
    kernels = kernels, kernel_type = record_kernel,
    lambda = lambda, lr = lr, steps = taken, steps_requested = steps, interrupted = interrupted,
    time = lr * taken, elapsed = elapsed,
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
#' @seealso [train_mlp()], [input_jacobian()].
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
  threads <- check_network_threads(threads)
  a <- network_arch(network$net, network$widths)
  ev <- .Call(C_training_loss_grad, network_params(network), a$par, a$ipar, x, y, lambda, TRUE,
              threads)
  g <- theta_layers(ev$gradient, network$widths)
  J <- ev$jacobian
  dimnames(J) <- list(rownames(x), colnames(x))
  list(loss = ev$fit_loss + 0.5 * lambda * ev$jac2, fit_loss = ev$fit_loss,
       penalty = 0.5 * lambda * ev$jac2, outputs = ev$f, jacobian = J,
       weights = g$weights, biases = g$biases)
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

# Stability estimate of gradient descent at initialisation: lr < 2/lambda_max
# of the loss's Gauss-Newton Hessian, whose f-block is NTK/N, so 2N/lambda_max
# of the empirical NTK on x (for lambda > 0 the Jacobian block only raises
# lambda_max: the estimate is then an upper bound of the stable lr). On more
# than 512 inputs, an evenly spaced subset of 512 and 2m/lambda_max of its
# NTK (lambda_max grows about linearly with the number of inputs).
training_stability <- function(network, x, a, theta, threads) {
  N <- nrow(x)
  m <- min(N, 512L)
  xs <- if (N > m) x[unique(round(seq(1, N, length.out = m))), , drop = FALSE] else x
  K <- .Call(C_empirical_kernel, theta, a$par, a$ipar, xs, NULL, kind_code("ntk"), threads)
  lmax <- eigen(K, symmetric = TRUE, only.values = TRUE)$values[1]
  if (!is.finite(lmax) || lmax <= 0) return(Inf)
  2 * nrow(xs) / lmax
}

# A thousandfold growth of the loss warns (when lr did not already).
training_check_growth <- function(hist, lr, lr_max, lambda) {
  loss <- hist$loss
  if (length(loss) < 2L || !(loss[1] > 0)) return(invisible())
  grow <- max(loss) / loss[1]
  if (is.finite(grow) && grow >= 1e3) {
    s <- hist$step[which.max(loss)]
    jntk_warn(sprintf(paste0(
      "The loss grew %s-fold (from %s to %s at step %d): gradient descent is unstable at `lr` = %s%s."),
      fmt_num(grow), fmt_num(loss[1]), fmt_num(max(loss)), s, format(lr),
      if (!is.finite(lr_max)) "; try a smaller `lr`" else if (lambda > 0) {
        sprintf(" (the NTK's stability estimate at initialisation is %s; the Jacobian penalty can need a smaller `lr`)",
                fmt_num(lr_max))
      } else sprintf(" (stability estimate at initialisation: %s); try a smaller `lr`", fmt_num(lr_max))),
      class = "jntk_warning_divergence")
  }
  invisible()
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

fmt_num <- function(v) trimws(formatC(v, digits = 4, format = "g"))

last_finite <- function(v) {
  v <- v[is.finite(v)]
  if (length(v)) fmt_num(v[length(v)]) else "none"
}

# checks: move to R/checks.R -------------------------------------------------

# A classed warning without the call (the twin of jntk_abort()).
jntk_warn <- function(..., class = NULL) {
  cnd <- structure(class = c(class, "jntk_warning", "warning", "condition"),
                   list(message = paste0(...), call = NULL))
  warning(cnd)
}
