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
    jntk_abort(sprintf("`width` must be one positive whole number or %d of them (one per hidden layer).",
                       depth), class = "jntk_error_argument")
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
