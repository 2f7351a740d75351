# Methods of the gradient-flow objects (print, summary, as.data.frame) and
# the conditioning diagnostics shared by gradient_flow()'s print and its
# t = Inf predictions (issue 14).

#' @export
print.gradient_flow <- function(x, ...) {
  cat(sprintf("<gradient_flow> infinite-width %s dynamics, %s network of depth %d\n",
              toupper(x$kernel), x$net$activation, x$net$depth))
  cat(sprintf("  training set : N = %d inputs in R^%d, %d output(s)%s\n", x$N, x$d, x$k,
              if (!is.null(x$levels)) sprintf(" (one-hot classes: %s)",
                                               paste(x$levels, collapse = ", ")) else ""))
  cat(sprintf("  lambda = %g, ridge = %g\n", x$lambda, x$ridge))
  ev <- x$values_raw
  if (identical(x$solver, "iterative")) {
    cat(sprintf("  solver: iterative (%s x %s operator, %s preconditioner; no dense kernel)\n",
                format(x$n, big.mark = ","), format(x$n, big.mark = ","), x$preconditioner))
    cat(sprintf("  kernel eigenvalues (Lanczos estimates): largest <= %.4g, smallest <= %.4g\n",
                x$lambda_max, min(ev)))
    cat(sprintf("  fastest time scale N/D_max >= %.4g\n", x$N / x$lambda_max))
  } else {
    cat(sprintf("  kernel eigenvalues: %d, smallest %.4g, largest %.4g%s\n", length(ev), min(ev),
                max(ev), if (flow_definite(x)) "" else " (singular: t = Inf needs a ridge)"))
    cat(sprintf("  slowest time scale N/D_min = %s; fastest N/D_max = %.4g\n",
                if (flow_definite(x)) format(signif(x$N / min(ev), 4)) else "Inf",
                x$N / max(ev)))
  }
  msg <- flow_conditioning_message(x)
  if (!is.null(msg)) cat(paste0("  conditioning warning: ", strwrap(msg, width = 90, exdent = 4), collapse = "\n"), "\n", sep = "")
  invisible(x)
}

#' Summary of an infinite-width gradient flow
#'
#' @param object A [gradient_flow()].
#' @param ... Unused.
#' @return An object of class `"summary.gradient_flow"`: a list with the
#'   settings (`kernel`, `lambda`, `ridge`, `solver`, `N`, `d`, `k`, `n`),
#'   the eigenvalue range (`lambda_min`, `lambda_max`; Lanczos estimates for
#'   an iterative flow), the condition ratio `condition_ratio`
#'   (\eqn{\lambda_{min}/\lambda_{max}}), the time scales `time_fast`
#'   (\eqn{N/\lambda_{max}}) and `time_slow` (\eqn{N/\lambda_{min}}), and the
#'   training fit at \eqn{t = \infty} (`train_rmse`, `NA` when singular).
#' @seealso [gradient_flow()], [predict.gradient_flow()].
#' @examples
#' fl <- gradient_flow(mlp(2, "erf"), rbind(c(0, 1), c(1, 0), c(1, 1)), c(1, -1, 0.5))
#' summary(fl)
#' @export
summary.gradient_flow <- function(object, ...) {
  fl <- object
  ev <- fl$values_raw
  lo <- min(ev); hi <- flow_lambda_max(fl)
  rmse <- NA_real_
  if (flow_definite(fl) && fl$n <= 5000) {
    p <- suppressWarnings(predict(fl, fl$x, t = Inf))
    rmse <- sqrt(mean((matrix(p$mean, fl$N) - fl$y)^2))
  }
  structure(list(kernel = fl$kernel, lambda = fl$lambda, ridge = fl$ridge,
                 solver = fl$solver %||% "dense", N = fl$N, d = fl$d, k = fl$k, n = fl$n,
                 activation = fl$net$activation, depth = fl$net$depth,
                 lambda_min = lo, lambda_max = hi, condition_ratio = flow_condition_ratio(fl),
                 time_fast = fl$N / hi, time_slow = if (lo > 0) fl$N / lo else Inf,
                 train_rmse = rmse, conditioning = flow_conditioning_message(fl)),
            class = "summary.gradient_flow")
}

#' @export
print.summary.gradient_flow <- function(x, ...) {
  cat(sprintf("Infinite-width %s gradient flow (%s, depth %d), %s solver\n", toupper(x$kernel),
              x$activation, x$depth, x$solver))
  cat(sprintf("  N = %d inputs in R^%d, %d output(s); %s unknowns; lambda = %g, ridge = %g\n",
              x$N, x$d, x$k, format(x$n, big.mark = ","), x$lambda, x$ridge))
  est <- if (x$solver == "iterative") " (Lanczos estimates)" else ""
  cat(sprintf("  eigenvalues%s: smallest %.4g, largest %.4g, ratio %.3g\n", est, x$lambda_min,
              x$lambda_max, x$condition_ratio))
  cat(sprintf("  time scales: fastest N/D_max = %.4g, slowest N/D_min = %.4g\n", x$time_fast, x$time_slow))
  if (is.finite(x$train_rmse)) cat(sprintf("  training RMSE at t = Inf: %.3g\n", x$train_rmse))
  if (!is.null(x$conditioning)) cat(paste0("  warning: ", strwrap(x$conditioning, width = 90, exdent = 4), collapse = "\n"), "\n", sep = "")
  invisible(x)
}

#' @export
print.flow_prediction <- function(x, ...) {
  m <- nrow(x$x)
  cat(sprintf("<flow_prediction> %d input(s), %d output(s), times %s%s\n", m, x$k,
              paste(format(x$t, trim = TRUE), collapse = ", "),
              if (is.null(x$lr)) "" else sprintf(" (gradient descent, lr = %g)", x$lr)))
  parts <- c("mean", if (!is.null(x$cov)) "cov", if (!is.null(x$jacobian)) "jacobian",
             if (!is.null(x$cov_joint)) "cov_joint")
  cat(sprintf("  components: %s\n", paste(parts, collapse = ", ")))
  show <- min(m, 6L)
  if (x$k > 1L) {
    for (j in seq_along(x$t)) {
      cat(sprintf("  mean at %s (rows: inputs, columns: outputs):\n", dimnames(x$mean)[[3]][j]))
      print(signif(matrix(x$mean[seq_len(show), , j], show, x$k,
                          dimnames = list(NULL, dimnames(x$mean)[[2]])), 5))
    }
    if (!is.null(x$cov)) {
      sd <- matrix(sqrt(pmax(apply(x$cov, 3, diag), 0)), m, length(x$t),
                   dimnames = list(NULL, dimnames(x$mean)[[3]]))
      cat("  standard deviation over initialisations (the same for every output):\n")
      print(signif(sd[seq_len(show), , drop = FALSE], 5))
    }
  }
  if (x$k == 1L) {
    cat("  mean (rows: inputs, columns: times):\n")
    print(signif(x$mean[seq_len(show), , drop = FALSE], 5))
    if (!is.null(x$cov)) {
      sd <- sqrt(pmax(apply(x$cov, 3, diag), 0))
      sd <- matrix(sd, m, length(x$t), dimnames = list(NULL, colnames(x$mean)))
      cat("  standard deviation over initialisations:\n")
      print(signif(sd[seq_len(show), , drop = FALSE], 5))
    }
  }
  if (m > show) cat(sprintf("  ... %d more input(s)\n", m - show))
  invisible(x)
}

#' Long-format data frame of a flow prediction
#'
#' One row per input, time and output, for plotting with any package.
#'
#' @param x A `"flow_prediction"` from [predict.gradient_flow()].
#' @param row.names,optional Unused (part of the generic).
#' @param ... Unused.
#' @return A data frame with columns `point` (row of `newdata`), `time`,
#'   `output` (name, or 1 for one output), `mean` and `sd` (standard
#'   deviation over initialisations; `NA` unless predicted with `cov = TRUE`).
#' @seealso [predict.gradient_flow()].
#' @examples
#' fl <- gradient_flow(mlp(2, "erf"), rbind(c(0, 1), c(1, 0)), c(1, -1))
#' head(as.data.frame(predict(fl, rbind(c(0.5, 0.5)), t = c(1, Inf), cov = TRUE)))
#' @export
as.data.frame.flow_prediction <- function(x, row.names = NULL, optional = FALSE, ...) {
  m <- nrow(x$x); nT <- length(x$t); k <- x$k
  mu <- array(x$mean, c(m, k, nT))
  outs <- if (k == 1L) "1" else dimnames(x$mean)[[2]] %||% as.character(seq_len(k))
  sd <- if (is.null(x$cov)) matrix(NA_real_, m, nT) else
    matrix(sqrt(pmax(apply(x$cov, 3, diag), 0)), m, nT)
  g <- expand.grid(point = seq_len(m), output = seq_len(k), time = seq_len(nT))
  data.frame(point = g$point, time = x$t[g$time], output = outs[g$output],
             mean = mu[cbind(g$point, g$output, g$time)], sd = sd[cbind(g$point, g$time)],
             stringsAsFactors = FALSE)
}

# The ratio of the smallest to the largest eigenvalue of the (ridged,
# Lambda-scaled) training kernel, NA when unknown. For an iterative flow the
# smallest Ritz value of a short Lanczos run is an upper bound of the smallest
# eigenvalue, so a small ratio there is certain, a large one is not.
flow_condition_ratio <- function(fl) {
  lo <- min(fl$values_raw); hi <- flow_lambda_max(fl)
  if (!(hi > 0)) return(NA_real_)
  max(lo, 0) / hi
}

flow_conditioning_threshold <- function() 1e-6

flow_conditioning_message <- function(fl) {
  r <- flow_condition_ratio(fl)
  if (is.na(r) || r >= flow_conditioning_threshold()) return(NULL)
  if (!flow_definite(fl)) return(NULL)  # singular: check_definite() says so
  hi <- flow_lambda_max(fl)
  sprintf(paste0(
    "The t = Inf predictor divides by eigenvalues down to %.3g of the largest (%.3g): it fits the ",
    "targets along directions the kernel barely supports, and test outputs can be far outside the ",
    "targets' range. Use a larger ridge (e.g. `ridge = %.2g`) or a finite t (e.g. t = %.3g, where ",
    "those directions have not yet been fitted)."),
    r, hi, 1e-4 * hi, signif(fl$N / (1e-4 * hi), 2))
}

flow_warn_conditioning <- function(fl) {
  msg <- flow_conditioning_message(fl)
  if (!is.null(msg)) jntk_warn(msg, class = "jntk_warning_conditioning",
                               data = list(ratio = flow_condition_ratio(fl)))
  invisible(msg)
}

