# Robustness analyses: accuracy under input perturbations (Gaussian noise,
# FGSM, PGD with exact input gradients) for infinite-width kernel regressors,
# trained finite networks or any differentiable R function (Kim and Yang
# 2024, section 5). Eigenfeatures are in R/eigenfeatures.R.

#' Accuracy and input-gradient norms under input perturbations
#'
#' Attacks a model at the inputs `x` with perturbations of size `eps` and
#' reports the accuracy (for \eqn{\pm 1} or factor labels) or the mean squared
#' error (numeric targets), and the mean input-gradient norm
#' \eqn{\|\nabla_x f(x')\|_2} at the perturbed inputs \eqn{x'}.
#'
#' Attacks (all with the model's exact input gradient):
#' * `"gaussian"`: \eqn{x' = x + \epsilon z}, \eqn{z \sim N(0, I_d)} (one draw
#'   per point from R's generator, so [set.seed()] reproduces it);
#' * `"fgsm"`: \eqn{x' = x + \epsilon\,\mathrm{sign}(\nabla_x \ell)} (Goodfellow
#'   et al. 2015; \eqn{\ell_\infty} radius \eqn{\epsilon});
#' * `"pgd"`: `steps` signed-gradient steps of size `step_size` (default
#'   \eqn{2.5\epsilon/}`steps`), each projected back onto the
#'   \eqn{\ell_\infty} ball of radius \eqn{\epsilon} around \eqn{x} (Madry et al.
#'   2018), starting at \eqn{x}.
#'
#' The attacked loss \eqn{\ell} is the margin \eqn{-y f(x)} for \eqn{\pm 1}
#' labels, \eqn{\max_{c \ne y} f_c(x) - f_y(x)} for factor labels with one
#' output per class, and \eqn{\|f(x) - y\|^2} for numeric targets. A model with
#' one output and a two-level factor predicts the second level when
#' \eqn{f > 0}.
#'
#' @param model A [gradient_flow()] (its mean predictor at time `t`), a trained
#'   `mlp_fit` (from `train_mlp()`) or `mlp_network`, or an R function
#'   `f(x)` returning a vector (or an \eqn{m \times k} matrix) of outputs for
#'   the rows of `x`, with its input gradient given by `gradient` or as the
#'   attribute `"gradient"` of its value.
#' @param x Inputs (\eqn{m \times d}); for `print()` and `plot()`, a `"jntk_robustness"` result.
#' @param y Labels: \eqn{\pm 1} numbers, a factor, or numeric targets.
#' @param eps Perturbation sizes (\eqn{\ell_\infty} radius for FGSM/PGD,
#'   noise standard deviation for `"gaussian"`).
#' @param attack `"fgsm"`, `"pgd"` or `"gaussian"`.
#' @param t For a [gradient_flow()]: the time of the predictor (default `Inf`).
#' @param gradient For a function `model`: a function of `x` returning the
#'   \eqn{m \times d} gradient matrix (or \eqn{m \times d \times k} array).
#' @param steps,step_size PGD iterations and step size.
#' @param features For a [gradient_flow()] with class labels: also compute
#'   [eigenfeatures()] at the largest `eps` (shown by `plot()`). `NULL` (the
#'   default) does so when possible (labelled, \eqn{t = \infty} well defined,
#'   a dense flow; an iterative flow only with `features = TRUE`, by
#'   Krylov eigenpairs, see [eigenfeatures()]). A
#'   \eqn{t = \infty} predictor on an ill-conditioned kernel gives one warning
#'   of class `jntk_warning_conditioning` (see [gradient_flow()]).
#' @param threads Number of threads.
#' @return An object of class `"jntk_robustness"`, a data frame with columns
#'   `eps`, `accuracy` (or `mse`) and `grad_norm`, with attributes `attack`,
#'   `metric` and `features` (an [eigenfeatures()] result or `NULL`).
#' @references Goodfellow, Shlens and Szegedy (2015), Explaining and Harnessing
#'   Adversarial Examples, ICLR. Madry et al. (2018), Towards Deep Learning
#'   Models Resistant to Adversarial Attacks, ICLR.
#' @seealso [eigenfeatures()].
#' @examples
#' set.seed(1)
#' x <- matrix(rnorm(40), 20, 2)
#' y <- ifelse(x[, 1] > 0, 1, -1)
#' fl <- gradient_flow(mlp(2, "erf", sigma_b = 0.1), x, y, lambda = 0.05, ridge = 1e-3)
#' rb <- robustness(fl, x, y, eps = c(0, 0.1, 0.3), attack = "fgsm", features = FALSE)
#' rb
#' plot(rb)
#' # any differentiable function
#' f <- function(x) tanh(x[, 1])
#' g <- function(x) cbind(1 - tanh(x[, 1])^2, 0)
#' robustness(f, x, y, eps = c(0, 0.5), attack = "pgd", gradient = g)
#' @export
robustness <- function(model, x, y, eps = c(0, 0.05, 0.1, 0.2),
                       attack = c("fgsm", "pgd", "gaussian"), t = Inf, gradient = NULL,
                       steps = 10L, step_size = NULL, features = NULL,
                       threads = default_threads()) {
  attack <- check_choice(attack, c("fgsm", "pgd", "gaussian"), "attack")
  threads <- check_threads(threads)
  d_model <- if (inherits(model, "gradient_flow")) structure(model$d, why = "the model's training input") else NULL
  x <- as_input_matrix(x, "x", d_model)
  m <- nrow(x); d <- ncol(x)
  if (!is.numeric(eps) || !length(eps) || anyNA(eps) || any(!is.finite(eps)) || any(eps < 0)) {
    jntk_abort("`eps` must be a vector of finite perturbation sizes >= 0.", class = "jntk_error_argument")
  }
  steps <- check_number(steps, "steps", lower = 1, integer = TRUE)
  if (!is.null(step_size)) step_size <- check_number(step_size, "step_size", lower = 0, lower_open = TRUE)
  if (!is.null(features)) features <- check_flag(features, "features")
  if (!is.null(gradient) && !is.function(gradient)) {
    jntk_abort(sprintf("`gradient` must be NULL or a function of `x` returning the input gradient (for a function `model`), not %s.",
                       describe_type(gradient)), class = "jntk_error_argument")
  }
  if (inherits(model, "gradient_flow") && is.numeric(t) && length(t) == 1L && is.infinite(t)) {
    # once here, not at every attack step's prediction
    flow_warn_conditioning(model)
  }
  pred <- robust_predictor(model, t = t, gradient = gradient, threads = threads)
  v0 <- pred(x, FALSE)$value
  k <- ncol(v0)
  levels <- if (inherits(model, "gradient_flow")) model$levels else NULL
  lab <- robust_labels(y, m, k, levels, arg = "y")
  metric <- if (lab$type == "regression") "mse" else "accuracy"

  res <- data.frame(eps = as.double(eps), value = NA_real_, grad_norm = NA_real_)
  for (i in seq_along(eps)) {
    e <- eps[i]
    xa <- if (e == 0) x else switch(attack,
      gaussian = x + e * matrix(stats::rnorm(m * d), m, d),
      fgsm = {
        p <- pred(x, TRUE)
        x + e * sign(robust_loss_gradient(p$value, p$gradient, lab))
      },
      pgd = {
        a <- if (is.null(step_size)) 2.5 * e / steps else step_size
        xa <- x
        for (s in seq_len(steps)) {
          p <- pred(xa, TRUE)
          xa <- xa + a * sign(robust_loss_gradient(p$value, p$gradient, lab))
          xa <- pmin(pmax(xa, x - e), x + e)
        }
        xa
      })
    p <- pred(xa, TRUE)
    res$value[i] <- if (metric == "mse") mean(rowSums((p$value - lab$y)^2)) else
      mean(robust_correct(p$value, lab))
    res$grad_norm[i] <- mean(sqrt(apply(p$gradient^2, 1, sum)))
  }
  names(res)[2] <- metric
  ef <- NULL
  if (inherits(model, "gradient_flow") && identical(model$solver, "iterative") && is.null(features)) {
    # by default not for an iterative flow: its eigenpairs are Krylov runs of
    # their own (features = TRUE asks for them)
    features <- FALSE
  }
  if (inherits(model, "gradient_flow") && metric == "accuracy" && !isFALSE(features)) {
    ok <- is.finite(t) || flow_definite(model)
    if (isTRUE(features) || ok) {
      n_ef <- min(if (identical(model$solver, "iterative")) model$n - 2L else model$n, 20L)
      ef <- eigenfeatures(model, x, y, n_features = n_ef, eps = max(eps), t = t,
                          threads = threads)
    }
  }
  structure(res, class = c("jntk_robustness", "data.frame"), attack = attack, metric = metric,
            features = ef, model = class(model)[1])
}

#' @rdname robustness
#' @param ... Further graphical parameters passed to [plot.default()] (plot),
#'   unused (print).
#' @export
print.jntk_robustness <- function(x, ...) {
  cat(sprintf("<jntk_robustness> %s attack on a %s, %s and mean input-gradient norm\n",
              attr(x, "attack"), attr(x, "model"), attr(x, "metric")))
  df <- as.data.frame(unclass(x)[c("eps", attr(x, "metric"), "grad_norm")])
  df[] <- lapply(df, signif, 5)
  print(df, row.names = FALSE)
  if (!is.null(attr(x, "features"))) cat("  (with eigenfeatures: see plot() or attr(x, \"features\"))\n")
  invisible(x)
}

#' @rdname robustness
#' @details `plot()` draws the accuracy (or MSE) against `eps` and, when the
#'   result carries eigenfeatures, their usefulness-robustness scatter beside
#'   it; it returns its argument invisibly.
#' @export
plot.jntk_robustness <- function(x, ...) {
  ef <- attr(x, "features")
  metric <- attr(x, "metric")
  if (!is.null(ef)) {
    op <- graphics::par(mfrow = c(1, 2))
    on.exit(graphics::par(op), add = TRUE)
  }
  val <- x[[metric]]
  acc <- metric == "accuracy"
  occ <- occupied(x$eps, val, type = "curve")
  leg <- list(legend = sprintf("%s (%s attack)", attr(x, "model"), attr(x, "attack")),
              pch = 19, lty = 1, col = "#0072B2")
  defaults <- list(x = x$eps, y = val, type = "n", xlim = range(x$eps),
                   ylim = if (acc) c(0, 1) else range(0, val),
                   xlab = bquote("perturbation size" ~ epsilon ~ "(" * .(attr(x, "attack")) * ")"),
                   ylab = if (acc) "accuracy" else "mean squared error",
                   main = "Robustness to input perturbations")
  draw_legend <- plot_panel(defaults, list(...), occ, leg)
  graphics::lines(x$eps, val, type = "b", pch = 19, col = "#0072B2")
  draw_legend()
  if (!is.null(ef)) plot(ef)
  invisible(x)
}

# ----------------------------------------------------------------- helpers

# A predictor function(x, grad) -> list(value = m x k, gradient = m x d x k).
robust_predictor <- function(model, t, gradient, threads) {
  if (inherits(model, "gradient_flow")) {
    t <- check_times(t, one = TRUE)
    if (is.infinite(t)) check_definite(model)
    k <- model$k
    return(function(x, grad) {
      p <- withCallingHandlers(predict(model, x, t = t, jacobian = grad, threads = threads),
                               jntk_warning_conditioning = function(w) invokeRestart("muffleWarning"))
      m <- nrow(x)
      list(value = matrix(p$mean, m, k),
           gradient = if (grad) array(p$jacobian, c(m, ncol(x), k)) else NULL)
    })
  }
  if (inherits(model, "mlp_fit")) model <- model$network
  if (inherits(model, "mlp_network")) {
    return(function(x, grad) {
      v <- matrix(stats::predict(model, x, threads = threads), ncol = 1L)
      list(value = v, gradient = if (grad) array(input_jacobian(model, x, threads = threads),
                                                 c(nrow(x), ncol(x), 1L)) else NULL)
    })
  }
  if (is.function(model)) {
    return(function(x, grad) {
      v <- model(x)
      g <- if (!grad) NULL else if (!is.null(gradient)) gradient(x) else attr(v, "gradient")
      vm <- if (is.null(dim(v))) matrix(as.double(v), ncol = 1L) else {
        v <- as.matrix(v); storage.mode(v) <- "double"; attributes(v) <- list(dim = dim(v)); v
      }
      if (nrow(vm) != nrow(x) || any(!is.finite(vm))) {
        jntk_abort(sprintf("`model(x)` must return %d finite output(s) (one per row of x), not %d value(s).",
                           nrow(x), nrow(vm)), class = "jntk_error_input")
      }
      if (grad) {
        if (is.null(g)) {
          jntk_abort("The function `model` has no gradient: pass `gradient = function(x) ...` or return it as attr(value, \"gradient\").",
                     class = "jntk_error_argument")
        }
        if (!is.numeric(g) || length(g) != nrow(x) * ncol(x) * ncol(vm) || any(!is.finite(g))) {
          jntk_abort(if (ncol(vm) == 1L) sprintf("The gradient must be a finite %d x %d matrix (one row per input).",
                                                 nrow(x), ncol(x)) else
            sprintf("The gradient must be a finite %d x %d x %d array (inputs x coordinates x outputs).",
                    nrow(x), ncol(x), ncol(vm)), class = "jntk_error_input")
        }
        g <- array(as.double(g), c(nrow(x), ncol(x), ncol(vm)))
      }
      list(value = vm, gradient = g)
    })
  }
  jntk_abort(sprintf("`model` must be a `gradient_flow()`, an `mlp_fit`, an `mlp_network` or a function, not %s.",
                     describe_type(model)), class = "jntk_error_argument")
}

# Labels: list(type = "binary" (+-1, one output), "class" (factor, one output
# per level, or one output and two levels), "regression"; y, code).
robust_labels <- function(y, m, k, levels = NULL, arg = "y") {
  if (is.null(y)) return(NULL)
  if (is.character(y)) y <- factor(y, levels = levels %||% sort(unique(y)))
  if (is.factor(y)) {
    if (length(y) != m || anyNA(y)) {
      jntk_abort(sprintf("`%s` must have %d labels without NA (one per input), not %d.", arg, m, length(y)),
                 class = "jntk_error_input")
    }
    if (!is.null(levels) && !all(levels(y) %in% levels) && !all(as.character(y) %in% levels)) {
      jntk_abort(sprintf("`%s` has level(s) %s that the model was not trained on.", arg,
                         paste(setdiff(unique(as.character(y)), levels), collapse = ", ")),
                 class = "jntk_error_input")
    }
    lv <- levels %||% levels(y)
    code <- match(as.character(y), lv)
    if (k == 1L) {
      if (length(lv) != 2L) {
        jntk_abort(sprintf("A one-output model can only classify 2 levels, but `%s` has %d.", arg, length(lv)),
                   class = "jntk_error_input")
      }
      return(list(type = "binary", y = matrix(ifelse(code == 2L, 1, -1), ncol = 1L)))
    }
    if (k != length(lv)) {
      jntk_abort(sprintf("The model has %d outputs but `%s` has %d levels; give one output per class.",
                         k, arg, length(lv)), class = "jntk_error_input")
    }
    return(list(type = "class", code = code, y = NULL))
  }
  if (is.data.frame(y)) y <- as.matrix(y)
  if (!is.numeric(y)) {
    jntk_abort(sprintf("`%s` must be +-1 labels, a factor or numeric targets, not %s.", arg, describe_type(y)),
               class = "jntk_error_input")
  }
  Y <- if (is.null(dim(y))) matrix(as.double(y), ncol = 1L) else matrix(as.double(y), nrow(y))
  if (nrow(Y) != m || ncol(Y) != k || any(!is.finite(Y))) {
    jntk_abort(sprintf("`%s` must be %d finite target(s) per input for %d input(s) (got %d x %d).",
                       arg, k, m, nrow(Y), ncol(Y)), class = "jntk_error_input")
  }
  if (k == 1L && all(Y %in% c(-1, 1))) return(list(type = "binary", y = Y))
  list(type = "regression", y = Y)
}

robust_correct <- function(value, lab) {
  if (lab$type == "binary") return(sign(value[, 1]) == lab$y[, 1])
  max.col(value, ties.method = "first") == lab$code
}

# Gradient in x of the attacked loss (m x d), from outputs (m x k) and their
# input gradients (m x d x k).
robust_loss_gradient <- function(value, gradient, lab) {
  m <- nrow(value)
  if (lab$type == "binary") return(-lab$y[, 1] * matrix(gradient[, , 1], m))
  if (lab$type == "regression") {
    out <- 0
    for (c in seq_len(ncol(value))) out <- out + 2 * (value[, c] - lab$y[, c]) * gradient[, , c]
    return(matrix(out, m))
  }
  v <- value
  v[cbind(seq_len(m), lab$code)] <- -Inf
  other <- max.col(v, ties.method = "first")
  out <- matrix(0, m, dim(gradient)[2])
  for (a in seq_len(m)) out[a, ] <- gradient[a, , other[a]] - gradient[a, , lab$code[a]]
  out
}

#' Summaries and data frames of robustness results
#'
#' `summary()` says how much the accuracy (or mean squared error) and the
#' mean input-gradient norm change between the smallest and the largest
#' perturbation, and the smallest perturbation at which the accuracy has
#' fallen by at least 10 points; with eigenfeatures, the correlation between
#' their usefulness (accuracy) and robustness (accuracy under attack).
#' `as.data.frame()` gives the long format (one row per perturbation size
#' and measure), ready for ggplot2 or for binding several results with
#' [rbind()].
#'
#' @param object,x A `"jntk_robustness"` result from [robustness()].
#' @param row.names,optional Unused (for the generic).
#' @param ... Unused.
#' @return `summary()`: an object of class `"summary.jntk_robustness"`, a list
#'   with `attack`, `model`, `metric`, `table` (the result as a data frame),
#'   `change` (value at the largest minus at the smallest `eps`),
#'   `grad_ratio` (gradient norm at the largest over the smallest `eps`),
#'   `eps_drop` (smallest `eps` with a 10-point accuracy drop, `NA` if none)
#'   and `feature_correlation` (`NA` without eigenfeatures).
#'   `as.data.frame()`: a data frame with columns `attack`, `model`, `eps`,
#'   `measure` (the metric or `"grad_norm"`) and `value`.
#' @seealso [robustness()], [eigenfeatures()].
#' @examples
#' set.seed(1)
#' x <- matrix(rnorm(40), 20, 2)
#' y <- ifelse(x[, 1] > 0, 1, -1)
#' f <- function(x) tanh(3 * x[, 1])
#' g <- function(x) cbind(3 * (1 - tanh(3 * x[, 1])^2), 0)
#' rb <- robustness(f, x, y, eps = c(0, 0.1, 0.3, 0.6), gradient = g)
#' summary(rb)
#' as.data.frame(rb)
#' @export
summary.jntk_robustness <- function(object, ...) {
  metric <- attr(object, "metric")
  tab <- as.data.frame(unclass(object)[c("eps", metric, "grad_norm")])
  o <- order(tab$eps)
  tab <- tab[o, , drop = FALSE]
  v <- tab[[metric]]
  drop <- if (metric == "accuracy") which(v <= v[1] - 0.1) else integer(0)
  ef <- attr(object, "features")
  r <- if (!is.null(ef) && nrow(ef$features) > 2L) {
    suppressWarnings(stats::cor(ef$features$accuracy, ef$features$robust_accuracy))
  } else NA_real_
  structure(list(attack = attr(object, "attack"), model = attr(object, "model"), metric = metric,
                 table = tab, change = v[length(v)] - v[1],
                 grad_ratio = tab$grad_norm[nrow(tab)] / tab$grad_norm[1],
                 eps_drop = if (length(drop)) tab$eps[drop[1]] else NA_real_,
                 feature_correlation = r),
            class = "summary.jntk_robustness")
}

#' @export
print.summary.jntk_robustness <- function(x, ...) {
  tab <- x$table
  n <- nrow(tab)
  cat(sprintf("<summary.jntk_robustness> %s attack on a %s, eps from %g to %g
", x$attack, x$model,
              tab$eps[1], tab$eps[n]))
  cat(sprintf("  %s: %.4g -> %.4g (change %+.3g)
", x$metric, tab[[x$metric]][1], tab[[x$metric]][n], x$change))
  if (x$metric == "accuracy") {
    cat(if (is.na(x$eps_drop)) "  no drop of 10 points or more at these sizes
" else
      sprintf("  first drop of 10 points or more at eps = %g
", x$eps_drop))
  }
  cat(sprintf("  mean input-gradient norm: %.4g -> %.4g (x %.3g)
", tab$grad_norm[1], tab$grad_norm[n],
              x$grad_ratio))
  if (is.finite(x$feature_correlation)) {
    cat(sprintf("  eigenfeatures: correlation of usefulness and robustness %.2f
", x$feature_correlation))
  }
  invisible(x)
}

#' @rdname summary.jntk_robustness
#' @export
as.data.frame.jntk_robustness <- function(x, row.names = NULL, optional = FALSE, ...) {
  metric <- attr(x, "metric")
  eps <- x$eps
  data.frame(attack = attr(x, "attack"), model = attr(x, "model"),
             eps = rep(eps, 2L), measure = rep(c(metric, "grad_norm"), each = length(eps)),
             value = c(x[[metric]], x$grad_norm), stringsAsFactors = FALSE)
}
