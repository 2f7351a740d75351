# Finite networks: drawing and building them, their outputs and input
# Jacobians (src/network.c on the one finite-network core, src/mlp.c), and
# the one R-side description of an architecture that every finite-network C
# routine takes (network_arch()).

#' Draw a finite-width network
#'
#' Samples every weight and bias with R's random number generator (so
#' [set.seed()] makes the draw reproducible) for the architecture `net` (an
#' [mlp()]), in its parametrisation (see [mlp()], section Standard
#' parametrisation):
#' * `"ntk"` (default): every weight and bias i.i.d. N(0, 1); the forward
#'   pass applies \eqn{\sigma_w/\sqrt{n_{l-1}}} and \eqn{\sigma_b};
#' * `"standard"`: \eqn{W^l_{ij} \sim N(0, \sigma_w^2/n_{l-1})} (the first
#'   layer too, \eqn{n_0 = d}) and \eqn{b^l_i \sim N(0, \sigma_b^2)}, and the
#'   forward pass is \eqn{h^l = W^l z^{l-1} + b^l} without scalings
#'   (neural-tangents' `Dense(parameterization = "standard")`); with
#'   `sigma_b = 0` the network has no biases (neural-tangents' `b_std = None`).
#'
#' Both draw the same standard normal numbers in the same order, so the two
#' parametrisations of one seed are the same function at initialisation.
#'
#' @section Activations given as R functions:
#' A network of `mlp(activation = f)` (optionally with `dphi`, `d2phi`) works
#' everywhere a built-in activation does: [predict()][predict.mlp_network()],
#' [input_jacobian()], the empirical kernels, [train_mlp()] (also with
#' `lambda > 0`), [monte_carlo()]. The compiled forward pass stops after each
#' hidden layer's pre-activations and calls R once on all of them (a vector of
#' width x number of inputs values) for \eqn{\phi}, once for each derivative
#' the user gave, and once for the finite-difference stencil below; R is never
#' called from a parallel region, and the results do not depend on `threads`.
#' Every result is checked (a double vector of the right length, finite): a
#' function that fails or returns anything else stops with an error of class
#' `jntk_error_activation` naming the activation.
#'
#' \eqn{\phi'} (every pass but the forward one needs it) and \eqn{\phi''} (the
#' empirical JNTK and training with `lambda > 0`) come from the user's `dphi`
#' and `d2phi` when given; then the network computes the same numbers as a
#' built-in activation with the same formulas (e.g. `tanh` with `dphi =
#' function(x) 1 - tanh(x)^2` is `"tanh"` to the last bit). Otherwise they are
#' fourth-order central differences on one stencil \eqn{x \pm h, x \pm 2h} with
#' \eqn{h = \epsilon^{1/6}\max(1, |x|)} (about \eqn{2.5	imes 10^{-3}}; complex
#' steps are not available for an R function): truncation error
#' \eqn{h^4|\phi^{(5)}|/30} and \eqn{h^4|\phi^{(6)}|/90}, rounding about
#' \eqn{1.5\epsilon|\phi|/h} and \eqn{5\epsilon|\phi|/h^2}. For `tanh` on
#' \eqn{[-8, 8]} the measured errors are \eqn{2	imes 10^{-11}} for \eqn{\phi'}
#' and \eqn{1.2	imes 10^{-10}} for \eqn{\phi''}; a function with larger high
#' derivatives is proportionally less accurate, so give `dphi` (and
#' `d2phi`) when you have them. With `dphi` alone, \eqn{\phi''} is the same
#' difference of `dphi`. The cost is four extra evaluations of \eqn{\phi} per
#' layer (or of \eqn{\phi'}) on top of R's own per-call overhead; an
#' interrupt while R evaluates the function stops [train_mlp()] at the last
#' block of 10 steps (its fit up to there is returned).
#'
#' @param net An architecture from [mlp()].
#' @param width The hidden-layer widths \eqn{n_1, \dots, n_L}: one number
#'   used for every hidden layer, or `net$depth` numbers, one per hidden
#'   layer (e.g. `c(512, 256)` for depth 2); by default the architecture's
#'   `widths` when [mlp()] was given them. The input dimension is
#'   `input_dim` and the output has one unit; an `mlp()` of depth 0 has no
#'   hidden layer and takes `width = integer(0)` (or any single number, which
#'   is ignored).
#' @param input_dim Input dimension \eqn{d} (defaults to `net$input_dim`).
#' @return An object of class `"mlp_network"`: a list with `weights` (list of
#'   `depth + 1` matrices, layer \eqn{l} is \eqn{n_l \times n_{l-1}}), `biases`
#'   (list of vectors), `widths` (\eqn{n_0 = d, n_1, \dots, n_{L+1} = 1}) and
#'   `net`.
#' @seealso [mlp_network()] to build one from given parameters,
#'   [predict.mlp_network()], [input_jacobian()], [empirical_ntk()],
#'   [train_mlp()].
#' @examples
#' set.seed(1)
#' nw <- sample_mlp(mlp(2, "erf"), width = 64, input_dim = 3)
#' nw
#' summary(nw)
#' # an activation given as an R function: the same network as "tanh"
#' set.seed(2); a <- sample_mlp(mlp(2, tanh), width = 16, input_dim = 3)
#' set.seed(2); b <- sample_mlp(mlp(2, "tanh"), width = 16, input_dim = 3)
#' x <- matrix(rnorm(6), 2, 3)
#' max(abs(input_jacobian(a, x) - input_jacobian(b, x)))  # finite differences: ~1e-11
#' @export
sample_mlp <- function(net, width, input_dim = net$input_dim) {
  check_mlp(net)
  param <- net_parametrisation(net)
  if (is.null(input_dim)) {
    jntk_abort("`input_dim` is missing: give the input dimension d (or set `input_dim` in `mlp()`).",
               class = "jntk_error_argument")
  }
  d <- check_number(input_dim, "input_dim", lower = 1, upper = .Machine$integer.max,
                    integer = TRUE)
  if (missing(width) && !is.null(net$widths)) {
    width <- net$widths
  } else if (missing(width)) {
    jntk_abort(sprintf("`width` is missing: give the hidden-layer widths, %s.", widths_hint(net$depth)),
               class = "jntk_error_argument")
  }
  widths <- check_widths(width, net$depth, explain = TRUE)
  sizes <- c(d, widths, 1L)
  check_network_alloc(sizes, "width")
  weights <- vector("list", net$depth + 1L)
  biases <- vector("list", net$depth + 1L)
  for (l in seq_along(weights)) {
    W <- matrix(stats::rnorm(as.double(sizes[l + 1L]) * sizes[l]), sizes[l + 1L], sizes[l])
    b <- stats::rnorm(sizes[l + 1L])
    if (param == "standard") {
      W <- W * (net$sigma_w / sqrt(sizes[l]))
      b <- b * net$sigma_b
    }
    weights[[l]] <- W
    biases[[l]] <- b
  }
  new_mlp_network(net, weights, biases)
}

#' Build a finite network from given parameters
#'
#' @param net An architecture from [mlp()].
#' @param weights List of `net$depth + 1` numeric matrices; layer \eqn{l} is
#'   \eqn{n_l \times n_{l-1}} with \eqn{n_0 = d} and \eqn{n_{L+1} = 1}. In
#'   the `"standard"` parametrisation these are the actual weights (no
#'   \eqn{\sigma_w/\sqrt{n}} is applied), in `"ntk"` the unit-variance ones.
#' @param biases List of `net$depth + 1` numeric vectors of lengths \eqn{n_l}.
#' @return An object of class `"mlp_network"` (see [sample_mlp()]).
#' @seealso [sample_mlp()], [predict.mlp_network()].
#' @examples
#' net <- mlp(1, "tanh")
#' nw <- mlp_network(net, list(matrix(1, 2, 3), matrix(1, 1, 2)), list(c(0, 0), 0))
#' nw
#' @export
mlp_network <- function(net, weights, biases) {
  check_mlp(net)
  net_parametrisation(net)
  L1 <- net$depth + 1L
  if (!is.list(weights) || length(weights) != L1) {
    jntk_abort(sprintf("`weights` must be a list of %d matrices (depth %d plus the output layer).",
                       L1, net$depth), class = "jntk_error_argument")
  }
  if (!is.list(biases) || length(biases) != L1) {
    jntk_abort(sprintf("`biases` must be a list of %d vectors (depth %d plus the output layer).",
                       L1, net$depth), class = "jntk_error_argument")
  }
  for (l in seq_len(L1)) {
    W <- weights[[l]]
    if (!is.matrix(W) || !is.numeric(W) || any(!is.finite(W))) {
      jntk_abort(sprintf("`weights[[%d]]` must be a finite numeric matrix.", l),
                 class = "jntk_error_argument")
    }
    if (l > 1L && ncol(W) != nrow(weights[[l - 1L]])) {
      jntk_abort(sprintf("`weights[[%d]]` has %d columns but layer %d has %d units.",
                         l, ncol(W), l - 1L, nrow(weights[[l - 1L]])),
                 class = "jntk_error_argument")
    }
    storage.mode(weights[[l]]) <- "double"
  }
  # the weights' shapes first: a wrong order of layers is a `weights` mistake
  if (nrow(weights[[L1]]) != 1L) {
    jntk_abort(sprintf("The output layer `weights[[%d]]` must have 1 row (scalar output), not %d.",
                       L1, nrow(weights[[L1]])), class = "jntk_error_argument")
  }
  for (l in seq_len(L1)) {
    b <- biases[[l]]
    if (!is.numeric(b) || length(b) != nrow(weights[[l]]) || any(!is.finite(b))) {
      jntk_abort(sprintf("`biases[[%d]]` must be a finite numeric vector of length %d (the rows of `weights[[%d]]`).",
                         l, nrow(weights[[l]]), l), class = "jntk_error_argument")
    }
    biases[[l]] <- as.double(b)
  }
  if (!is.null(net$input_dim) && ncol(weights[[1]]) != net$input_dim) {
    jntk_abort(sprintf("`weights[[1]]` has %d columns but `net` has input_dim %d.",
                       ncol(weights[[1]]), net$input_dim), class = "jntk_error_argument")
  }
  new_mlp_network(net, weights, biases)
}

new_mlp_network <- function(net, weights, biases) {
  widths <- c(ncol(weights[[1]]), vapply(weights, nrow, integer(1)))
  structure(list(weights = weights, biases = biases, widths = as.integer(widths), net = net),
            class = "mlp_network")
}

#' Parametrisation of an architecture
#'
#' The `parametrisation` of an [mlp()] (`"ntk"` or `"standard"`; see the
#' section Standard parametrisation of [mlp()] for the conventions), which
#' every finite-network routine ([sample_mlp()], [train_mlp()],
#' [predict.mlp_network()], [input_jacobian()], the empirical kernels) and the
#' analytic NTK and JNTK follow. An architecture without the field (built
#' before it existed) is `"ntk"`.
#'
#' @param net An architecture from [mlp()].
#' @return `"ntk"` or `"standard"`.
#' @seealso [mlp()], [sample_mlp()].
#' @examples
#' jntk:::net_parametrisation(mlp(2, "erf"))
#' jntk:::net_parametrisation(mlp(2, "erf", parametrisation = "standard"))
#' @keywords internal
net_parametrisation <- function(net) {
  p <- net$parametrisation
  if (is.null(p)) return("ntk")
  if (!is.character(p) || length(p) != 1L || !p %in% c("ntk", "standard")) {
    jntk_abort("The architecture's `parametrisation` must be \"ntk\" or \"standard\".",
               class = "jntk_error_argument")
  }
  p
}

# Hidden-layer widths: one number for all layers or one per layer; `explain`
# says what widths are (for sample_mlp(), where users first meet them).
check_widths <- function(width, depth, explain = FALSE) {
  if (depth == 0L && is.numeric(width) && length(width) <= 1L) return(integer(0))
  if (!is.numeric(width) || anyNA(width) || any(width < 1) || any(width != round(width)) ||
      !(length(width) %in% c(1L, depth))) {
    jntk_abort(if (explain) {
      sprintf("`width` must give the hidden-layer widths, %s.", widths_hint(depth))
    } else if (depth > 1) {
      sprintf("`width` must be one positive whole number or %d of them (one per hidden layer).", depth)
    } else {
      "`width` must be one positive whole number (the hidden-layer width)."
    }, class = "jntk_error_argument")
  }
  if (any(width > .Machine$integer.max)) {
    jntk_abort(sprintf("`width` has a width of %s units; at most %s fit (and far fewer in memory).",
                       format(max(width)), format(.Machine$integer.max)),
               class = "jntk_error_size")
  }
  as.integer(rep_len(width, depth))
}

widths_hint <- function(depth) {
  if (depth > 1L) {
    sprintf("the units of each of the %d hidden layers: one positive whole number for all of them or %d of them (e.g. `width = %s`); the input dimension is `input_dim` and the output has one unit",
            depth, depth, paste0("c(", paste(round(512 / 2^(seq_len(depth) - 1)), collapse = ", "), ")"))
  } else if (depth == 1L) {
    "the units of the one hidden layer: one positive whole number (e.g. `width = 512`); the input dimension is `input_dim` and the output has one unit"
  } else {
    "none for an architecture of depth 0 (no hidden layer): use `width = integer(0)`"
  }
}

# Number of parameters of a network with layer sizes `sizes` (d, n_1, ..., 1),
# counted in double (no integer overflow).
# Refuse a network whose parameters do not fit in memory; `sizes` are the
# layer sizes (input, hidden..., output), `arg` the argument giving the widths.
check_network_alloc <- function(sizes, arg) {
  n_par <- network_n_par(sizes)
  hidden <- sizes[-c(1L, length(sizes))]
  check_alloc(n_par, sprintf("A network with %s parameters (`%s` = %s)", format(n_par, big.mark = ","), arg,
                             if (length(hidden) <= 3L) paste(format(hidden, big.mark = ","), collapse = ", ") else
                               sprintf("up to %s units per layer", format(max(hidden), big.mark = ","))),
              sprintf("Use smaller `%s`.", arg))
  invisible(n_par)
}

network_n_par <- function(sizes) {
  sizes <- as.double(sizes)
  k <- length(sizes)
  sum(sizes[-1] * sizes[-k] + sizes[-1])
}

#' @export
print.mlp_network <- function(x, ...) {
  cat(sprintf("<mlp_network> finite %s network, %s parametrisation\n", x$net$activation,
              if (net_parametrisation(x$net) == "ntk") "NTK" else "standard"))
  cat(sprintf("  layer widths : %s\n", paste(x$widths, collapse = " -> ")))
  cat(sprintf("  parameters   : %s\n", format(network_n_par(x$widths), big.mark = ",")))
  cat(sprintf("  sigma_w = %g, sigma_b = %g, kappa = %g\n", x$net$sigma_w, x$net$sigma_b, x$net$kappa))
  invisible(x)
}

#' @export
summary.mlp_network <- function(object, ...) {
  L1 <- length(object$weights)
  layer <- function(l) {
    W <- object$weights[[l]]
    b <- object$biases[[l]]
    data.frame(layer = l, units_in = ncol(W), units_out = nrow(W), parameters = length(W) + length(b),
               weight_sd = if (length(W) > 1L) stats::sd(as.vector(W)) else NA_real_,
               weight_maxabs = max(abs(W)),
               bias_sd = if (length(b) > 1L) stats::sd(b) else NA_real_)
  }
  structure(list(layers = do.call(rbind, lapply(seq_len(L1), layer)), widths = object$widths,
                 activation = object$net$activation, parametrisation = net_parametrisation(object$net),
                 sigma_w = object$net$sigma_w, sigma_b = object$net$sigma_b, kappa = object$net$kappa,
                 n_par = network_n_par(object$widths)),
            class = "summary.mlp_network")
}

#' @export
print.summary.mlp_network <- function(x, ...) {
  cat(sprintf("Finite %s network, %s parametrisation: %s (%s parameters)\n", x$activation,
              if (x$parametrisation == "ntk") "NTK" else "standard",
              paste(x$widths, collapse = " -> "), format(x$n_par, big.mark = ",")))
  cat(sprintf("sigma_w = %g, sigma_b = %g, kappa = %g; weight scale per layer: %s\n\n",
              x$sigma_w, x$sigma_b, x$kappa,
              if (x$parametrisation == "ntk") "sigma_w / sqrt(units_in) in the forward pass" else
                "in the weights (sd sigma_w / sqrt(units_in) at initialisation)"))
  print(x$layers, digits = 4, row.names = FALSE)
  invisible(x)
}

# ---- the one format of a finite network for C ---------------------------------

# par = c(sigma_w, sigma_b, kappa, slope, act_par_vector(net)), with the
# evaluator of an R-function activation as its attribute "user"; ipar =
# c(activation, parametrisation (0 ntk, 1 standard), d, n_1, ..., n_L, 1);
# see src/mlp.h. The parameters go alongside, as list(weights, biases) or as
# the flat theta.
network_arch <- function(net, widths) {
  blas_forms()
  par <- as.double(c(net$sigma_w, net$sigma_b, net$kappa, net$slope, act_par_vector(net)))
  if (!is.null(net$activation_fun)) {
    attr(par, "user") <- list(network_activation_evaluator(net$activation_fun, net$activation_label),
                              min(length(net$activation_fun), 3L))
  }
  list(par = par,
       ipar = c(as.integer(net$activation_code),
                if (net_parametrisation(net) == "ntk") 0L else 1L, as.integer(widths)))
}

# The evaluator that src/mlp_user.c calls for an activation given as an R
# function: fun(x, o) = phi^(o)(x) (o = 0, 1, 2, as far as the user gave
# them) on a whole layer's pre-activations, checked: a finite double vector
# as long as x, else an error of class jntk_error_activation that names the
# activation, the derivative and the first bad pre-activation.
network_activation_evaluator <- function(funs, label) {
  force(funs)
  force(label)
  function(x, o) {
    what <- if (o == 0L) sprintf("The activation `%s`", label) else
      sprintf("The %s derivative of the activation `%s`", c("first", "second")[o], label)
    y <- tryCatch(funs[[o + 1L]](x), error = function(e) {
      jntk_abort(sprintf("%s failed in a finite network's layer (%d pre-activations): %s", what,
                         length(x), conditionMessage(e)), class = "jntk_error_activation")
    })
    if (!is.numeric(y)) {
      jntk_abort(sprintf("%s must return numbers: given a layer's %d pre-activations it returned %s.",
                         what, length(x), describe_type(y)), class = "jntk_error_activation")
    }
    if (length(y) != length(x)) {
      jntk_abort(sprintf(paste0(
        "%s must be vectorised: given a layer's %d pre-activations it returned %s of length %d ",
        "(write it with vectorised operations, e.g. pmax() rather than max())."),
        what, length(x), describe_type(y), length(y)), class = "jntk_error_activation")
    }
    y <- as.double(y)
    bad <- which(!is.finite(y))
    if (length(bad)) {
      jntk_abort(sprintf(paste0(
        "%s returned %s at the pre-activation %.6g in a finite network; it must be finite ",
        "wherever the network evaluates it."), what, format(y[bad[1L]]), x[bad[1L]]),
        class = "jntk_error_activation")
    }
    y
  }
}

network_params <- function(object) list(object$weights, object$biases)

# With R's reference BLAS the finite-network routines transpose operands
# explicitly for NN-form products (its TN form is up to 1.5x slower); an
# optimised BLAS reads them transposed itself, and the copies would only cost
# (src/linalg.h). Decided once per session from the BLAS's file name
# (resolved, so Debian's alternatives show through); an unknown BLAS gets the
# explicit transposes, which are right for any BLAS.
.netcore <- new.env(parent = emptyenv())
blas_forms <- function() {
  if (!is.null(.netcore$explicit)) return(invisible(.netcore$explicit))
  path <- tryCatch(extSoftVersion()[["BLAS"]], error = function(e) "")
  optimised <- grepl("openblas|mkl|blis|atlas|accelerate|veclib|armpl|essl|libsci",
                     path, ignore.case = TRUE)
  set_blas_forms(!optimised)
}
# (also for tests of both forms); returns the previous choice
set_blas_forms <- function(explicit) {
  old <- .netcore$explicit
  .netcore$explicit <- explicit
  .Call(C_linalg_set_transposes, explicit)
  invisible(old)
}

check_network <- function(object, arg = "object") {
  if (inherits(object, "mlp")) {
    jntk_abort(sprintf("`%s` is an infinite-width architecture from `mlp()`; draw a finite network first with `sample_mlp(net, width, input_dim)`.",
                       arg), class = "jntk_error_argument")
  }
  if (!inherits(object, "mlp_network")) {
    jntk_abort(sprintf("`%s` must be a finite network from `sample_mlp()` or `mlp_network()`, not %s.",
                       arg, describe_type(object)), class = "jntk_error_argument")
  }
  object
}

# Inputs as a double matrix checked against the network's input dimension.
network_inputs <- function(object, x, arg = "x") {
  d <- structure(object$widths[1], why = "the network")
  if (missing(x) || is.null(x)) {
    jntk_abort(sprintf("`%s` is missing: give the inputs as a matrix with one row per point and %d columns.",
                       arg, object$widths[1]), class = "jntk_error_input")
  }
  as_input_matrix(x, arg = arg, d = d)
}

# The forward pass (and optionally the input Jacobian) in C: an N x 1 or
# N x (d + 1) matrix (f, J). `params` defaults to the network's own; training
# passes its flat theta.
network_outputs <- function(object, x, jac, threads, params = network_params(object)) {
  a <- network_arch(object$net, object$widths)
  .Call(C_network_outputs, params, a$par, a$ipar, x, jac, threads)
}

#' Outputs of a finite network
#'
#' Evaluates \eqn{f(x)} for every row of `x` by the forward pass of
#' [mlp()] (in the network's parametrisation, see [mlp()]),
#' batched over the inputs with BLAS.
#'
#' @param object A finite network from [sample_mlp()] or [mlp_network()].
#' @param x Inputs: a numeric matrix with one row per point (a vector is one
#'   point), with as many columns as the network's input dimension.
#' @param threads Number of OpenMP threads (results do not depend on it).
#' @param ... Unused; `newdata` is accepted as an alias of `x`.
#' @return A numeric vector of length `nrow(x)`.
#' @seealso [input_jacobian()], [empirical_ntk()].
#' @examples
#' set.seed(1)
#' nw <- sample_mlp(mlp(2, "erf"), width = 64, input_dim = 3)
#' predict(nw, matrix(rnorm(6), 2, 3))
#' @export
predict.mlp_network <- function(object, x, threads = default_threads(), ...) {
  arg <- "x"
  if (missing(x) && !is.null(list(...)$newdata)) {
    x <- list(...)$newdata
    arg <- "newdata"
  }
  x <- network_inputs(object, x, arg)
  threads <- check_network_threads(threads)
  out <- network_outputs(object, x, FALSE, threads)[, 1]
  names(out) <- rownames(x)
  out
}

#' Input Jacobian of a network
#'
#' The derivatives \eqn{\partial f(x)/\partial x_i} at every row of `x`,
#' computed by one reverse-mode (backward) pass over the whole batch: the cost
#' does not grow with the input dimension beyond the first layer.
#'
#' Kinked activations (`"relu"`, `"leaky_relu"`, `"abs"`) use their
#' almost-everywhere derivatives with \eqn{\phi'(0) = 0} (relu), as automatic
#' differentiation does.
#'
#' @param object A finite network from [sample_mlp()] or [mlp_network()].
#' @param x Inputs: a numeric matrix with one row per point.
#' @param ... Passed to methods.
#' @return An `nrow(x)` by `d` matrix whose row \eqn{a} is the gradient of
#'   \eqn{f} at \eqn{x_a}.
#' @seealso [predict.mlp_network()], [empirical_jntk()].
#' @examples
#' set.seed(1)
#' nw <- sample_mlp(mlp(2, "gelu"), width = 64, input_dim = 3)
#' input_jacobian(nw, matrix(rnorm(6), 2, 3))
#' @export
input_jacobian <- function(object, x, ...) UseMethod("input_jacobian")

#' @rdname input_jacobian
#' @param threads Number of OpenMP threads (results do not depend on it).
#' @export
input_jacobian.mlp_network <- function(object, x, threads = default_threads(), ...) {
  x <- network_inputs(object, x)
  threads <- check_network_threads(threads)
  out <- network_outputs(object, x, TRUE, threads)[, -1, drop = FALSE]
  dimnames(out) <- list(rownames(x), colnames(x))
  out
}

#' @export
input_jacobian.default <- function(object, x, ...) {
  check_network(object)
  jntk_abort(sprintf("`input_jacobian()` needs a finite network from `sample_mlp()` or `mlp_network()`, not %s.",
                     describe_type(object)), class = "jntk_error_argument")
}

# checks: move to R/checks.R -------------------------------------------------

# A thread count: a positive whole number. Values beyond any machine are
# capped here, before as.integer() could turn them into NA; C caps them at
# the cores (src/omp.h).
check_network_threads <- function(threads) {
  if (is.numeric(threads) && length(threads) == 1L && !is.na(threads) && threads > 65536 &&
      threads == round(threads)) {
    threads <- 65536L
  }
  check_threads(threads)
}
