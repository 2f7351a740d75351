#' Specify an infinite-width multilayer perceptron
#'
#' `mlp()` describes a fully connected network in the NTK parametrisation. It
#' holds no weights: its infinite-width kernels are computed by [nngp()],
#' [ntk()], [kernels()], [jacobian_nngp()] and [jntk()]; finite networks with
#' this architecture are drawn by `sample_mlp()`.
#'
#' @section Conventions:
#' Inputs `x` are in \eqn{R^d}, `depth` = \eqn{L} is the number of **hidden
#' layers**, all parameters are i.i.d. N(0, 1), and
#' \deqn{h^1 = \sigma_w/\sqrt{d}\, W^1 x + \sigma_b b^1,\quad
#'       h^{l+1} = \sigma_w/\sqrt{n_l}\, W^{l+1}\phi(h^l) + \sigma_b b^{l+1},\quad
#'       f(x) = \kappa\, h^{L+1}(x).}{h1 = sigma_w/sqrt(d) W1 x + sigma_b b1,
#'       h(l+1) = sigma_w/sqrt(n_l) W(l+1) phi(h_l) + sigma_b b(l+1),
#'       f(x) = kappa h(L+1)(x).}
#' The limiting kernels are, with \eqn{(u, v)} Gaussian with covariance
#' \eqn{[[a, c], [c, b]]}, \eqn{g = E[\phi(u)\phi(v)]} and
#' \eqn{\dot g = E[\phi'(u)\phi'(v)]}:
#' \eqn{\Sigma^1 = \sigma_w^2 x\cdot x'/d + \sigma_b^2 = \Theta^1},
#' \eqn{\Sigma^{l+1} = \sigma_w^2 g + \sigma_b^2},
#' \eqn{\Theta^{l+1} = \Sigma^{l+1} + \sigma_w^2 \dot g\, \Theta^l},
#' NNGP \eqn{= \kappa^2\Sigma^{L+1}}, NTK \eqn{= \kappa^2\Theta^{L+1}}.
#'
#' * Jacot et al. (2018) use \eqn{\sigma_w = 1}, \eqn{\sigma_b = \beta = 0.1},
#'   \eqn{\kappa = 1}; their "depth L = 4" (counting the output layer) is
#'   `depth = 3` here.
#' * Kim and Yang (2024) scale the output by \eqn{\kappa} (0.1 in their
#'   experiments); every kernel scales by \eqn{\kappa^2}.
#' * neural-tangents' `stax.Dense` defaults are `W_std = 1`, `b_std = None`, i.e.
#'   `sigma_w = 1, sigma_b = 0` here.
#' * Jacobian kernels list the outputs in block-major order: rows `1..N` are
#'   \eqn{f(x_1), \dots, f(x_N)}, then \eqn{\partial f/\partial x_1, \dots,
#'   \partial f/\partial x_d} at \eqn{x_1}, then at \eqn{x_2}, and so on.
#'
#' @section Accuracy:
#' Closed-form kernels are used for `"relu"`, `"leaky_relu"`, `"abs"`,
#' `"erf"`, `"gelu"` (\eqn{x\Phi(x)}), `"identity"`, `"sin"` and `"cos"`.
#' `"tanh"`, `"softplus"`, `"sigmoid"` and `"silu"` have none; for them every
#' moment \eqn{E[\phi^{(i)}(u)\phi^{(j)}(v)]} comes from one of two methods,
#' chosen per pair and layer, each with an error estimate:
#' * Mehler's formula \eqn{\sum_k A_k(a) B_k(b) \rho^k} with Hermite
#'   coefficients tabulated per point by Gauss-Hermite quadrature (128 to 1024
#'   nodes, more for larger variances), summed until an a-posteriori bound on
#'   the rest (Cauchy-Schwarz on the tails of the tables) is below
#'   `quadrature_tol / 1000`;
#' * where that bound cannot be met (large variances next to the diagonal), an
#'   exact representation: the logistic distribution is a normal scale
#'   mixture, so these activations are mixtures of Gaussian-smoothed relu,
#'   Heaviside and sign functions, whose kernels have closed forms; the mixing
#'   integral is a 16 x 16 Gauss rule (relative error about 1e-14).
#'
#' A pair whose estimated error exceeds `quadrature_tol / 10` stops the call
#' with an error of class `jntk_error_accuracy` that names the layer and the
#' variance. Measured against an independent high-precision reference
#' (nested adaptive quadrature; `tests/testthat/test-accuracy.R`), the
#' largest error relative to the largest entry of each matrix, over pairs
#' with \eqn{\rho \in \{-1, -0.9, 0, 0.5, 0.99, 1 - 10^{-12}, 1\}},
#' is:
#'
#' ACCURACY_TABLE
#'
#' At a zero-variance input (zero-norm input with `sigma_b = 0`) kinked
#' activations use the convention \eqn{\theta = \pi/2} (neural-tangents'
#' choice).
#'
#' @param depth Number of hidden layers \eqn{L} (a whole number >= 0; 0 gives the
#'   affine kernel \eqn{\sigma_w^2 x\cdot x'/d + \sigma_b^2}).
#' @param activation Name of the activation; see [activations()].
#' @param sigma_w Weight scale \eqn{\sigma_w > 0}.
#' @param sigma_b Bias scale \eqn{\sigma_b \ge 0}.
#' @param kappa Output scale \eqn{\kappa > 0}.
#' @param slope Negative-side slope of `"leaky_relu"` (ignored otherwise).
#' @param quadrature_tol Relative accuracy required of the kernels of
#'   activations without a closed form (default `1e-10`, between `1e-12` and
#'   `1e-2`; see Accuracy).
#' @param input_dim Optional input dimension \eqn{d}; when given, every input
#'   matrix must have this many columns.
#' @param quadrature_degree Deprecated and ignored (the number of terms is now
#'   chosen from the variance to meet `quadrature_tol`); giving it warns with
#'   class `jntk_warning_deprecated`.
#' @return An object of class `"mlp"`: a list with the arguments above.
#' @references Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel:
#'   Convergence and Generalization in Neural Networks, NeurIPS.
#'   Kim and Yang (2024), An Infinite-Width Analysis on the Jacobian-Regularised
#'   Training of a Neural Network, ICML.
#' @seealso [nngp()], [ntk()], [jacobian_nngp()], [jntk()], [activations()].
#' @examples
#' net <- mlp(depth = 3, activation = "relu", sigma_w = 1, sigma_b = 0.1)
#' net
#' @export
mlp <- function(depth, activation = "relu", sigma_w = 1, sigma_b = 0, kappa = 1,
                slope = 0.01, quadrature_tol = 1e-10, input_dim = NULL,
                quadrature_degree = NULL) {
  if (missing(depth)) {
    jntk_abort("`depth` (the number of hidden layers) is missing; e.g. `mlp(depth = 3)` for Jacot et al.'s L = 4.",
               class = "jntk_error_argument")
  }
  depth <- check_number(depth, "depth", lower = 0, integer = TRUE,
                        hint = "it counts hidden layers (Jacot et al.'s L = 4 is depth = 3)")
  code <- activation_code(activation)
  sigma_w <- check_number(sigma_w, "sigma_w", lower = 0, lower_open = TRUE)
  sigma_b <- check_number(sigma_b, "sigma_b", lower = 0)
  kappa <- check_number(kappa, "kappa", lower = 0, lower_open = TRUE)
  slope <- check_number(slope, "slope")
  if (!is.numeric(quadrature_tol) || length(quadrature_tol) != 1L || is.na(quadrature_tol) ||
      !(quadrature_tol >= 1e-12 && quadrature_tol <= 1e-2)) {
    jntk_abort(paste0("`quadrature_tol` (the relative accuracy of the series kernels) must be one ",
                      "number between 1e-12 and 1e-2; below 1e-12 double precision cannot certify it."),
               class = "jntk_error_argument")
  }
  quadrature_tol <- as.double(quadrature_tol)
  if (!is.null(quadrature_degree)) {
    check_number(quadrature_degree, "quadrature_degree", lower = 2, upper = 400, integer = TRUE)
    jntk_deprecate("quadrature_degree", "0.2.0", paste0(
      "The series kernels now choose their terms from the variance and certify ",
      "`quadrature_tol` (default 1e-10); the value is ignored. Use `quadrature_tol` instead."))
  }
  if (!is.null(input_dim)) {
    input_dim <- check_number(input_dim, "input_dim", lower = 1, integer = TRUE)
  }
  info <- .jntk_activations[.jntk_activations$code == code, ]
  structure(list(
    depth = depth, activation = activation, activation_code = code,
    sigma_w = sigma_w, sigma_b = sigma_b, kappa = kappa, slope = slope,
    quadrature_tol = quadrature_tol, input_dim = input_dim,
    closed_form = info$closed_form, smooth = info$smooth
  ), class = "mlp")
}

#' @export
print.mlp <- function(x, ...) {
  act <- x$activation
  if (act == "leaky_relu") act <- sprintf("leaky_relu (slope %g)", x$slope)
  how <- if (x$closed_form) "closed-form kernels" else
    sprintf("series kernels, relative accuracy %g", x$quadrature_tol %||% 1e-10)
  cat(sprintf("<mlp> infinite-width MLP, NTK parametrisation\n"))
  cat(sprintf("  hidden layers : %d (%d weight layers incl. the output layer)\n",
              x$depth, x$depth + 1L))
  cat(sprintf("  activation    : %s (%s)\n", act, how))
  cat(sprintf("  sigma_w = %g, sigma_b = %g, kappa = %g\n", x$sigma_w, x$sigma_b, x$kappa))
  if (!is.null(x$input_dim)) cat(sprintf("  input_dim     : %d\n", x$input_dim))
  cat("  h1 = sigma_w/sqrt(d) W1 x + sigma_b b1; h(l+1) = sigma_w/sqrt(n_l) W phi(h_l) + sigma_b b;\n")
  cat("  f = kappa h(L+1); kernels scale by kappa^2\n")
  invisible(x)
}

check_mlp <- function(net, arg = "net") {
  if (!inherits(net, "mlp")) {
    jntk_abort(sprintf("`%s` must be an architecture from `mlp()`, not %s.", arg,
                       describe_type(net)), class = "jntk_error_argument")
  }
  net
}

# Input dimension expected by `net` (NULL when free), with a reason for errors.
net_input_dim <- function(net) {
  if (is.null(net$input_dim)) return(NULL)
  structure(net$input_dim, why = "the network (`input_dim`)")
}

# checks: move to R/checks.R
# A deprecated argument: a warning of class jntk_warning_deprecated, worded
# like lifecycle's ("`x` is deprecated as of jntk 0.2.0.").
jntk_deprecate <- function(arg, version, details) {
  cnd <- structure(
    class = c("jntk_warning_deprecated", "warning", "condition"),
    list(message = sprintf("`%s` is deprecated as of jntk %s. %s", arg, version, details),
         call = NULL))
  warning(cnd)
}
