#' Draw a finite-width network
#'
#' Samples every weight and bias i.i.d. N(0, 1) with R's random number generator
#' (so [set.seed()] makes the draw reproducible), for the architecture `net`
#' (an [mlp()]); the forward pass applies the NTK scalings of [mlp()].
#'
#' @param net An architecture from [mlp()].
#' @param width Hidden-layer width: one number for every layer or a vector of
#'   `net$depth` widths.
#' @param input_dim Input dimension \eqn{d} (defaults to `net$input_dim`).
#' @return An object of class `"mlp_network"`: a list with `weights` (list of
#'   `depth + 1` matrices, layer \eqn{l} is \eqn{n_l \times n_{l-1}}), `biases`
#'   (list of vectors), `widths` (\eqn{n_0 = d, n_1, \dots, n_{L+1} = 1}) and
#'   `net`.
#' @examples
#' set.seed(1)
#' nw <- sample_mlp(mlp(2, "erf"), width = 64, input_dim = 3)
#' nw
#' @export
sample_mlp <- function(net, width, input_dim = net$input_dim) {
  check_mlp(net)
  if (is.null(input_dim)) {
    jntk_abort("`input_dim` is missing: give the input dimension d (or set `input_dim` in `mlp()`).",
               class = "jntk_error_argument")
  }
  d <- check_number(input_dim, "input_dim", lower = 1, integer = TRUE)
  widths <- check_widths(width, net$depth)
  sizes <- c(d, widths, 1L)
  n_par <- sum(sizes[-1] * sizes[-length(sizes)] + sizes[-1])
  check_alloc(n_par, sprintf("A network with %s parameters", format(n_par, big.mark = ",")),
              "Use smaller widths.")
  weights <- vector("list", net$depth + 1L)
  biases <- vector("list", net$depth + 1L)
  for (l in seq_along(weights)) {
    weights[[l]] <- matrix(stats::rnorm(sizes[l + 1L] * sizes[l]), sizes[l + 1L], sizes[l])
    biases[[l]] <- stats::rnorm(sizes[l + 1L])
  }
  new_mlp_network(net, weights, biases)
}

#' Build a finite network from given parameters
#'
#' @param net An architecture from [mlp()].
#' @param weights List of `net$depth + 1` numeric matrices; layer \eqn{l} is
#'   \eqn{n_l \times n_{l-1}} with \eqn{n_0 = d} and \eqn{n_{L+1} = 1}.
#' @param biases List of `net$depth + 1` numeric vectors of lengths \eqn{n_l}.
#' @return An object of class `"mlp_network"` (see [sample_mlp()]).
#' @examples
#' net <- mlp(1, "tanh")
#' nw <- mlp_network(net, list(matrix(1, 2, 3), matrix(1, 1, 2)), list(c(0, 0), 0))
#' nw
#' @export
mlp_network <- function(net, weights, biases) {
  check_mlp(net)
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
    b <- biases[[l]]
    if (!is.numeric(b) || length(b) != nrow(W) || any(!is.finite(b))) {
      jntk_abort(sprintf("`biases[[%d]]` must be a finite numeric vector of length %d.", l, nrow(W)),
                 class = "jntk_error_argument")
    }
    storage.mode(weights[[l]]) <- "double"
    biases[[l]] <- as.double(b)
  }
  if (nrow(weights[[L1]]) != 1L) {
    jntk_abort(sprintf("The output layer `weights[[%d]]` must have 1 row (scalar output), not %d.",
                       L1, nrow(weights[[L1]])), class = "jntk_error_argument")
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

check_widths <- function(width, depth) {
  if (!is.numeric(width) || anyNA(width) || any(width < 1) || any(width != round(width)) ||
      !(length(width) %in% c(1L, depth))) {
    jntk_abort(if (depth > 1) {
      sprintf("`width` must be one positive whole number or %d of them (one per hidden layer).", depth)
    } else {
      "`width` must be one positive whole number (the hidden-layer width)."
    }, class = "jntk_error_argument")
  }
  as.integer(rep_len(width, depth))
}

#' @export
print.mlp_network <- function(x, ...) {
  n_par <- sum(vapply(x$weights, length, integer(1))) + sum(lengths(x$biases))
  cat(sprintf("<mlp_network> finite %s network, NTK parametrisation\n", x$net$activation))
  cat(sprintf("  layer widths : %s\n", paste(x$widths, collapse = " -> ")))
  cat(sprintf("  parameters   : %s\n", format(n_par, big.mark = ",")))
  cat(sprintf("  sigma_w = %g, sigma_b = %g, kappa = %g\n", x$net$sigma_w, x$net$sigma_b, x$net$kappa))
  invisible(x)
}

# Arguments of the C routines describing a finite network.
network_c_args <- function(object) {
  net <- object$net
  list(weights = object$weights, biases = object$biases,
       act = as.integer(net$activation_code),
       par = c(net$sigma_w, net$sigma_b, net$kappa, net$slope))
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

# The forward pass (and optionally the input Jacobian) in C.
network_outputs <- function(object, x, jac, threads) {
  a <- network_c_args(object)
  .Call(C_network_outputs, a$weights, a$biases, a$act, a$par, t(x), jac, threads)
}

#' Outputs of a finite network
#'
#' Evaluates \eqn{f(x)} for every row of `x` by the forward pass of
#' [mlp()] (NTK parametrisation), batched over the inputs with BLAS.
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
  if (missing(x) && !is.null(list(...)$newdata)) x <- list(...)$newdata
  x <- network_inputs(object, x)
  threads <- check_threads(threads)
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
  threads <- check_threads(threads)
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
