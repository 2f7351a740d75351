# Empirical (finite-width) kernels of a sampled network, computed from
# per-layer Gram matrices of backward vectors, activations and tangents
# (derivation in src/empirical.c, on the finite-network core src/mlp.c),
# never from the N x P matrix of parameter gradients.

#' Empirical neural tangent kernels of a finite network
#'
#' `empirical_ntk()` is the Gram matrix of the parameter gradients of the
#' outputs, \eqn{\hat\Theta(x, x') = \langle \nabla_\theta f(x), \nabla_\theta
#' f(x')\rangle}; `empirical_jntk()` is the Gram matrix of the parameter
#' gradients of the outputs and of all input-Jacobian entries, in the same
#' block-major order as [jntk()]: rows `1..N1` are \eqn{f(x_1), \dots,
#' f(x_{N_1})} and row \eqn{N_1 + (a-1)d + i} is \eqn{\partial f/\partial x_i}
#' at \eqn{x_a}. As the widths grow they converge (at rate about
#' \eqn{n^{-1/2}}) to [ntk()] and [jntk()].
#'
#' Both are computed without forming per-parameter gradients: in weight layer
#' \eqn{l} the gradient of \eqn{f(x)} is \eqn{a_{l-1} g_l z_{l-1}^\top} and that
#' of \eqn{\partial_i f(x)} is \eqn{a_{l-1}(\gamma_l^i z_{l-1}^\top + g_l
#' u_{l-1}^{i\top})} (backward vectors \eqn{g}, their input derivatives
#' \eqn{\gamma}, activations \eqn{z} and their tangents \eqn{u}), so each layer
#' contributes Hadamard products of Gram matrices, each one matrix product.
#' Memory is \eqn{O(N(d+1)\,\mathrm{width})} plus the result.
#'
#' In the `"standard"` parametrisation (see [mlp()]) the
#' gradients are those of the actual weights and biases (neural-tangents'
#' convention): the kernels grow with the widths, and their mean over
#' networks approaches [ntk()] and [jntk()] of the standard-parametrised
#' architecture with the same `widths` (relative error of order
#' 1/width).
#'
#' The JNTK needs \eqn{\phi''}. For the kinked activations (`"relu"`,
#' `"leaky_relu"`, `"abs"`) the almost-everywhere convention \eqn{\phi'' = 0}
#' is used, which is what automatic differentiation computes; note that their
#' *limiting* JNTK does not exist (see [jntk()]), so these empirical values do
#' not settle as the width grows.
#'
#' @param object A finite network from [sample_mlp()] or [mlp_network()].
#' @param x1 Inputs: a numeric matrix with one row per point.
#' @param x2 Second set of inputs, or `NULL` (default) for `x1` (the result is
#'   then exactly symmetric).
#' @param threads Number of OpenMP threads (results do not depend on it).
#' @param block_size,file Compute the result in blocks as futures on the
#'   current [future::plan()], or into a file-backed matrix (see [kernel-blocks]).
#' @return `empirical_ntk()`: an `nrow(x1)` by `nrow(x2)` matrix.
#'   `empirical_jntk()`: an `nrow(x1) * (d + 1)` by `nrow(x2) * (d + 1)` matrix.
#' @seealso [ntk()], [jntk()], [monte_carlo()], [kernel_convergence()].
#' @examples
#' set.seed(1)
#' nw <- sample_mlp(mlp(2, "erf"), width = 256, input_dim = 3)
#' x <- matrix(rnorm(6), 2, 3)
#' empirical_ntk(nw, x)
#' dim(empirical_jntk(nw, x))  # 8 x 8
#' @export
empirical_ntk <- function(object, x1, x2 = NULL, threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("empirical_ntk", object, x1, x2, block_size, file, threads))
  empirical_kernel(object, x1, x2, kind = "ntk", threads = threads)
}

#' @rdname empirical_ntk
#' @export
empirical_jntk <- function(object, x1, x2 = NULL, threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("empirical_jntk", object, x1, x2, block_size, file, threads))
  empirical_kernel(object, x1, x2, kind = "jntk", threads = threads)
}

#' Empirical NNGP kernels of a finite network
#'
#' The covariance of the output (and of its input Jacobian) over the
#' output-layer parameters, the hidden layers held fixed:
#' \eqn{\kappa^2(\sigma_w^2 z_L(x)\cdot z_L(x')/n_L + \sigma_b^2)} and its
#' mixed input derivatives. Averaged over hidden layers it is the finite-width
#' NNGP, in either parametrisation (in the standard one the output layer's
#' weights have variance \eqn{\sigma_w^2/n_L}, which gives the same number);
#' as the widths grow it converges (at rate about \eqn{n^{-1/2}}) to
#' [nngp()] (or [jacobian_nngp()] when `jacobian = TRUE`, in the same
#' block-major order). It is what [kernel_convergence()] compares for the NNGP
#' kinds by default.
#'
#' @inheritParams empirical_ntk
#' @param jacobian `FALSE` for the NNGP of the outputs (`N1` by `N2`), `TRUE`
#'   for the Jacobian NNGP (`N1 (d+1)` by `N2 (d+1)`).
#' @return A numeric matrix.
#' @examples
#' set.seed(1)
#' nw <- sample_mlp(mlp(2, "erf"), width = 256, input_dim = 3)
#' empirical_nngp(nw, matrix(rnorm(6), 2, 3))
#' @export
empirical_nngp <- function(object, x1, x2 = NULL, jacobian = FALSE,
                           threads = default_threads(), block_size = NULL, file = NULL) {
  if (!is.null(block_size) || !is.null(file)) return(blocked_kernel("empirical_nngp", object, x1, x2, block_size, file, threads, jacobian = jacobian))
  if (!isTRUE(jacobian) && !isFALSE(jacobian)) {
    jntk_abort("`jacobian` must be TRUE or FALSE.", class = "jntk_error_argument")
  }
  empirical_kernel(object, x1, x2, kind = if (jacobian) "jacobian_nngp" else "nngp", threads = threads)
}

empirical_kernel <- function(object, x1, x2, kind, threads, params = network_params(object)) {
  check_network(object)
  x1 <- network_inputs(object, x1, "x1")
  if (!is.null(x2)) x2 <- network_inputs(object, x2, "x2")
  threads <- check_network_threads(threads)
  jac <- kind_is_jacobian(kind)
  d <- object$widths[1]
  n_hidden <- sum(as.double(object$widths[-c(1, length(object$widths))]))
  N1 <- nrow(x1)
  N2 <- if (is.null(x2)) N1 else nrow(x2)
  r1 <- if (jac) as.double(N1) * (d + 1) else N1
  r2 <- if (jac) as.double(N2) * (d + 1) else N2
  # passes: per set about 5 N width (NTK) or 5 N d width more (JNTK); Gram
  # matrices: up to 5 result-sized ones, reused by every layer, plus the result
  n_pass <- (as.double(N1) + N2) * (n_hidden + d + 1) * (if (jac) 5 + 5 * d else 4)
  what <- paste("empirical", kind_label(kind))
  check_alloc(n_pass + 6 * r1 * r2,
              sprintf("The %s of %d x %d inputs (d = %d, hidden units %s)", what, N1, N2, d,
                      format(n_hidden)),
              "Use fewer inputs (split `x1` / `x2` into blocks) or narrower networks.")
  a <- network_arch(object$net, object$widths)
  .Call(C_empirical_kernel, params, a$par, a$ipar, x1, x2, kind_code(kind), threads)
}
