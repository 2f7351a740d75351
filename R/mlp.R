#' Specify an infinite-width multilayer perceptron
#'
#' `mlp()` describes a fully connected network, in the NTK parametrisation
#' (default) or the standard one (section Standard parametrisation). It
#' holds no weights: its infinite-width kernels are computed by [nngp()],
#' [ntk()], [kernels()], [jacobian_nngp()] and [jntk()]; finite networks with
#' this architecture are drawn by `sample_mlp()`.
#'
#' @section Conventions:
#' Inputs `x` are in \eqn{R^d}, `depth` = \eqn{L} is the number of **hidden
#' layers**, and in the NTK parametrisation (the default; see Standard
#' parametrisation for the other) all parameters are i.i.d. N(0, 1) and
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
#' @section Standard parametrisation:
#' `parametrisation = "standard"` is neural-tangents'
#' `stax.Dense(out_dim, W_std = sigma_w, b_std = sigma_b, parameterization =
#' "standard")` (with its default `s = (1, 1)`) in every layer, the output
#' layer included: the parameters are the actual weights and biases,
#' \eqn{W^l_{ij} \sim N(0, \sigma_w^2/n_{l-1})} (the first layer too, with
#' \eqn{n_0 = d}, the input dimension) and \eqn{b^l_i \sim N(0, \sigma_b^2)},
#' and the forward pass is \eqn{h^l = W^l z^{l-1} + b^l} without scalings,
#' \eqn{f = \kappa h^{L+1}}. `sigma_b = 0` means a network without biases
#' (neural-tangents' `b_std = None`); with \eqn{\sigma_b > 0} the biases are
#' trained. (neural-tangents' `b_std = 0`, trainable biases that start at zero,
#' has no counterpart here.)
#'
#' At initialisation the two parametrisations are the same random function, so
#' the NNGP and the Jacobian NNGP do not depend on it (nor on the widths). The
#' NTK does: the gradient with respect to a weight of layer \eqn{l} is not
#' scaled by \eqn{\sigma_w/\sqrt{n_{l-1}}}, so each layer adds
#' \eqn{n_{l-1}} times its input kernel, and a bias adds 1 (neural-tangents'
#' `ntk = input_width * nngp + W_std^2 * ntk (+ 1)`):
#' \deqn{\Theta^1 = x\cdot x' + 1_{\sigma_b > 0},\quad
#'   \Theta^{l+1} = n_l\, g + 1_{\sigma_b > 0} + \sigma_w^2 \dot g\, \Theta^l,
#'   \quad NTK = \kappa^2\Theta^{L+1},}{Theta1 = x.x' + 1[sigma_b > 0],
#'   Theta(l+1) = n_l g + 1[sigma_b > 0] + sigma_w^2 gdot Theta_l,
#'   NTK = kappa^2 Theta(L+1),}
#' with \eqn{g, \dot g} at the layer's \eqn{\Sigma^l} as above. Note the first
#' layer: \eqn{x\cdot x'}, not \eqn{x\cdot x'/d}, so the NTK grows with the
#' input dimension and with every hidden width \eqn{n_l} (the last hidden
#' width enters through the output layer); it is the NTK of gradient descent
#' on the actual parameters, whose stable learning rates are of order
#' \eqn{1/n}. The NTK and the JNTK (its mixed input derivatives) therefore
#' need `widths`; finite networks drawn by [sample_mlp()] use them by default,
#' and the empirical kernels of wide networks approach these limits.
#'
#' @section Accuracy:
#' Closed-form kernels are used for `"relu"`, `"leaky_relu"`, `"abs"`,
#' `"erf"`, `"gelu"` (\eqn{x\Phi(x)}), `"identity"`, `"sin"` and `"cos"`, the
#' other closed forms of [activations()] and the parametrised ones
#' (`"abrelu"`, `"erf"` with `act_par`, `"relu_power"`, `"polynomial"`).
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
#' largest error relative to the largest entry of each matrix (full kernels
#' on three points of \eqn{R^2} at depth 1-5, \eqn{\sigma_w} 1-3,
#' pre-activation variances up to about 100; the moments themselves are
#' tested at \eqn{\rho \in \{-1, -0.9, 0, 0.5, 0.99, 1 - 10^{-12}, 1\}} and
#' variances \eqn{10^{-6}} to 100) is:
#'
#' | activation | NNGP | NTK | Jacobian NNGP | JNTK |
#' |:--|--:|--:|--:|--:|
#' | `tanh` | 6.6e-15 | 8.0e-14 | 4.3e-14 | 2.1e-13 |
#' | `softplus` | 3.1e-15 | 5.1e-15 | 3.3e-15 | 1.8e-13 |
#' | `sigmoid` | 1.2e-15 | 9.8e-15 | 6.7e-16 | 6.0e-16 |
#' | `silu` | 1.7e-15 | 8.2e-15 | 2.0e-14 | 2.9e-13 |
#' | `erf` | 9.9e-16 | 2.2e-15 | 1.4e-13 | 9.3e-14 |
#' | `gelu` (depth 1-3) | 7.8e-16 | 1.3e-15 | 1.1e-15 | 3.7e-15 |
#' | `relu`, `leaky_relu`, `abs` | < 1e-12 | < 1e-12 | < 1e-12 | refused |
#'
#' The series rows are guaranteed to `quadrature_tol` (1e-10 by default) by
#' the method's own estimate; the closed forms are exact up to rounding,
#' which grows with depth and, for the Jacobian kernels, with the size of
#' the inputs. For the kinked activations the bound is the one tested next
#' to the diagonal (\eqn{1 - \rho = 10^{-14}} and \eqn{x' = x(1 + 10^{-7})},
#' against 300-bit Rmpfr). `identity`, `sin` and `cos` are closed forms
#' without such a cancellation and were not measured separately. The
#' parametrised closed forms agree with x-space quadrature of their
#' definitions to a few units of rounding (at most 2.2e-15 relative to the
#' largest entry, all four kernels at depth 2;
#' `tests/testthat/test-activations-param.R`); `"relu_power"` keeps absolute
#' rather than relative digits next to \eqn{\rho = -1}, where its kernel is a
#' small fraction of the diagonal's, and the rounding of a `"polynomial"` grows
#' with the sizes of its terms when they cancel. An upper
#' bound on the error of a given kernel matrix is what [min_eigenvalue()]
#' uses to certify its intervals.
#'
#' At a zero-variance input (zero-norm input with `sigma_b = 0`) kinked
#' activations use the convention \eqn{\theta = \pi/2} (neural-tangents'
#' choice).
#'
#' @section Activations given as R functions:
#' `mlp(activation = f)` gives all four infinite-width kernels of any smooth
#' activation by the series method above (Mehler's formula, the same
#' tolerance and error contract): \eqn{\phi} is evaluated by R once per layer
#' and Gauss-Hermite rule, for all points at once, on the nodes
#' \eqn{\sqrt{a}\,z_m} of rules of 256, 512, 1024 and 2048 nodes; each
#' point's Hermite coefficients come from the smallest rule that agrees with
#' the next one to rounding, and their difference is the coefficients' error
#' estimate. The coefficients of \eqn{\phi'}, \eqn{\phi''}, ... (up to the
#' fourth derivative, which the JNTK needs) follow from those of the highest
#' derivative supplied by Gaussian integration by parts,
#' \eqn{E[\phi'(\sqrt a z) h_k(z)] = \sqrt{(k+1)/a}\, E[\phi(\sqrt a z)
#' h_{k+1}(z)]}, whose division by \eqn{\sqrt a} is carried into the error
#' estimate; supply `dphi` (and `d2phi`) when the variances are small, and
#' always when a pre-activation variance can be 0 (a zero input with
#' `sigma_b = 0`), where a derivative cannot be had from \eqn{\phi}.
#' Up to 256 Mehler terms are summed (there is no second method for large
#' variances), so the certified range is narrower than the built-in
#' series activations': for `tanh` as an R function, 1e-10 is certified up
#' to pre-activation variances of about 1.2 for the JNTK, 1.6 for the
#' Jacobian NNGP and 2.5 for the NNGP and NTK (at every layer); beyond, or for an activation with a jump
#' or a kink (whose Hermite coefficients decay slowly), the call stops with
#' an error of class `jntk_error_accuracy` (loosen `quadrature_tol` or scale
#' the inputs down). The function must be finite on the real line; it is
#' evaluated at pre-activations of up to about 90 standard deviations
#' (the largest node of the 2048-node rule).
#' Finite networks ([sample_mlp()], [train_mlp()], the empirical kernels,
#' [monte_carlo()]) accept it too, calling R once per layer; see [sample_mlp()],
#' section "Activations given as R functions", for how and how accurately
#' their derivatives are taken.
#'
#' @param depth Number of hidden layers \eqn{L} (a whole number >= 0; 0 gives the
#'   affine kernel \eqn{\sigma_w^2 x\cdot x'/d + \sigma_b^2}).
#' @param activation Name of the activation (see [activations()]), or an R
#'   function \eqn{\phi} (vectorised: a numeric vector in, one of the same
#'   length out), or a list of \eqn{\phi} and up to four of its derivatives in
#'   order, `list(phi, dphi, d2phi, ...)`; see "Activations given as R
#'   functions".
#' @param dphi,d2phi Optional first and second derivatives of an activation
#'   given as an R function (vectorised R functions); they improve the
#'   accuracy at small pre-activation variances.
#' @param sigma_w Weight scale \eqn{\sigma_w > 0}.
#' @param sigma_b Bias scale \eqn{\sigma_b \ge 0}.
#' @param kappa Output scale \eqn{\kappa > 0}.
#' @param slope Negative-side slope of `"leaky_relu"` (ignored otherwise;
#'   `act_par = list(slope = )` is the same).
#' @param act_par Parameters of a parametrised activation, as a named list
#'   (see the column `parameters` of [activations()]; absent ones take their
#'   defaults): `"erf"`: `a`, `b`, `c` for \eqn{a\,\mathrm{erf}(bx) + c}
#'   (neural-tangents' `Erf(a, b, c)`; defaults 1, 1, 0); `"abrelu"`: `a`,
#'   `b` for \eqn{a\min(x,0) + b\max(x,0)} (`ABRelu(a, b)`; defaults 0, 1,
#'   i.e. relu); `"polynomial"`: `coef`, the coefficients \eqn{c_0, \dots,
#'   c_K} of \eqn{\sum_k c_k x^k} (1 to 16 of them; default `c(0, 1)`, the
#'   identity); `"relu_power"`: `k`, the power of \eqn{\max(x, 0)^k} (a whole
#'   number from 1 to 8, default 2); `"leaky_relu"`: `slope`. Unknown names, values that are not
#'   one finite number, and parameters of an activation without any are
#'   errors of class `jntk_error_argument`.
#' @param quadrature_tol Relative accuracy required of the kernels of
#'   activations without a closed form (default `1e-10`, between `1e-12` and
#'   `1e-2`; see Accuracy).
#' @param input_dim Optional input dimension \eqn{d}; when given, every input
#'   matrix must have this many columns.
#' @param parametrisation `"ntk"` (default) or `"standard"` (neural-tangents'
#'   `parameterization = "standard"`); see the sections Conventions and
#'   Standard parametrisation.
#' @param widths `NULL`, or the hidden-layer widths \eqn{n_1, \dots, n_L}: one
#'   positive whole number for every hidden layer or `depth` of them. The
#'   standard parametrisation's NTK and JNTK depend on them (its NNGP does
#'   not); in either parametrisation they are the default `width` of
#'   [sample_mlp()].
#' @param quadrature_degree Deprecated and ignored (the number of terms is now
#'   chosen from the variance to meet `quadrature_tol`); giving it warns with
#'   class `jntk_warning_deprecated`.
#' @return An object of class `"mlp"`: a list with the arguments above
#'   (`widths` as given, `NULL` when not).
#' @references Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel:
#'   Convergence and Generalization in Neural Networks, NeurIPS.
#'   Kim and Yang (2024), An Infinite-Width Analysis on the Jacobian-Regularised
#'   Training of a Neural Network, ICML.
#' @seealso [nngp()], [ntk()], [jacobian_nngp()], [jntk()], [activations()].
#' @examples
#' net <- mlp(depth = 3, activation = "relu", sigma_w = 1, sigma_b = 0.1)
#' net
#' # neural-tangents' Dense(512, parameterization = "standard") stack
#' std <- mlp(2, "erf", sigma_b = 0.1, parametrisation = "standard", widths = 512)
#' std
#' x <- matrix(c(1, 0, 0.6, 0.8), 2, byrow = TRUE)
#' all.equal(nngp(std, x), nngp(mlp(2, "erf", sigma_b = 0.1), x))  # same NNGP
#' ntk(std, x)                                                     # ~512 times larger NTK
#' # parametrised activations (neural-tangents' Erf(a, b, c) and ABRelu(a, b))
#' nngp(mlp(2, "erf", act_par = list(a = 2, b = 0.5, c = 0.1)), x)
#' mlp(2, "abrelu", act_par = list(a = -0.2, b = 1))
#' # any smooth activation, given as an R function
#' bump <- mlp(depth = 2, activation = function(x) exp(-x^2 / 2), sigma_b = 0.1)
#' nngp(bump, rbind(c(1, 0), c(0.6, 0.8)))
#' @export
mlp <- function(depth, activation = "relu", sigma_w = 1, sigma_b = 0, kappa = 1,
                slope = 0.01, quadrature_tol = 1e-10, input_dim = NULL,
                quadrature_degree = NULL, parametrisation = c("ntk", "standard"),
                widths = NULL, dphi = NULL, d2phi = NULL, act_par = NULL) {
  if (missing(depth)) {
    jntk_abort("`depth` (the number of hidden layers) is missing; e.g. `mlp(depth = 3)` for Jacot et al.'s L = 4.",
               class = "jntk_error_argument")
  }
  if (is.numeric(depth) && length(depth) > 1L) {
    jntk_abort(paste0("`depth` is one number, the count of hidden layers (e.g. `mlp(depth = 2)`); ",
                      "layer widths such as c(512, 512) go to `sample_mlp(net, width = )` or, for the ",
                      "standard parametrisation, to `mlp(..., widths = )`."),
               class = "jntk_error_argument")
  }
  slope_given <- !missing(slope)
  depth <- check_number(depth, "depth", lower = 0, integer = TRUE,
                        hint = "it counts hidden layers (Jacot et al.'s L = 4 is depth = 3)")
  act <- activation_spec(activation, dphi, d2phi,
                         label = if (is.name(substitute(activation))) deparse(substitute(activation)) else "function")
  code <- act$code
  sigma_w <- check_number(sigma_w, "sigma_w", lower = 0, lower_open = TRUE)
  sigma_b <- check_number(sigma_b, "sigma_b", lower = 0)
  kappa <- check_number(kappa, "kappa", lower = 0, lower_open = TRUE)
  slope <- check_number(slope, "slope")
  ap <- if (is.null(act$funs)) activation_params(act$name, code, act_par, slope, slope_given) else {
    if (!is.null(act_par)) {
      jntk_abort("`act_par` is for a built-in parametrised activation (see `activations()`); an R function takes its parameters in its own closure.",
                 class = "jntk_error_argument")
    }
    NULL
  }
  if (!is.null(ap)) {
    code <- ap$code
    if (act$name == "leaky_relu") slope <- ap$par[["slope"]]
  }
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
  parametrisation <- check_parametrisation(parametrisation)
  widths <- check_mlp_widths(widths, depth)
  info <- if (is.null(act$funs)) {
    list(closed_form = .jntk_activations$closed_form[match(act$name, .jntk_activations$name)],
         smooth = ap$smooth)
  } else list(closed_form = FALSE, smooth = TRUE) # smoothness shows in the accuracy check
  structure(c(list(
    depth = depth, activation = act$name, activation_code = code,
    sigma_w = sigma_w, sigma_b = sigma_b, kappa = kappa, slope = slope,
    quadrature_tol = quadrature_tol, input_dim = input_dim,
    closed_form = info$closed_form, smooth = info$smooth,
    parametrisation = parametrisation, widths = widths
  ), if (!is.null(ap) && (code %in% 17:20 || act$name == "relu_power")) list(act_par = ap$par),
  if (!is.null(act$funs)) list(activation_fun = act$funs, activation_label = act$label)),
  class = "mlp")
}

#' @export
print.mlp <- function(x, ...) {
  act <- activation_label(x)
  how <- if (x$closed_form) "closed-form kernels" else
    sprintf("series kernels, relative accuracy %g", x$quadrature_tol %||% 1e-10)
  if (!is.null(x$activation_fun)) {
    nf <- length(x$activation_fun)
    act <- sprintf("R function `%s`", x$activation_label)
    how <- paste0(how, "; ", if (nf == 1L) "derivatives" else
      paste(paste(vapply(seq_len(nf - 1L), function(k) paste0("phi", strrep("'", k)), ""),
                  collapse = ", "), "given, higher derivatives"),
      " by Gaussian integration by parts",
      if (nf < 3L) "; finite networks differentiate it numerically" else "")
  }
  std <- net_parametrisation(x) == "standard"
  cat(sprintf("<mlp> infinite-width MLP, %s parametrisation\n", if (std) "standard" else "NTK"))
  cat(sprintf("  hidden layers : %d (%d weight layers incl. the output layer)\n",
              x$depth, x$depth + 1L))
  cat(sprintf("  activation    : %s (%s)\n", act, how))
  cat(sprintf("  sigma_w = %g, sigma_b = %g, kappa = %g\n", x$sigma_w, x$sigma_b, x$kappa))
  if (!is.null(x$input_dim)) cat(sprintf("  input_dim     : %d\n", x$input_dim))
  if (!is.null(x$widths) && x$depth > 0) {
    cat(sprintf("  widths        : %s\n", paste(rep_len(x$widths, x$depth), collapse = ", ")))
  }
  if (std) {
    cat("  h(l) = W(l) z(l-1) + b(l), W ~ N(0, sigma_w^2/n_(l-1)), b ~ N(0, sigma_b^2) (n_0 = d);\n")
    cat(sprintf("  f = kappa h(L+1); kernels scale by kappa^2; the NTK grows with d and the widths%s\n",
                if (is.null(x$widths) && x$depth > 0) " (not set: NNGP only)" else ""))
  } else {
    cat("  h1 = sigma_w/sqrt(d) W1 x + sigma_b b1; h(l+1) = sigma_w/sqrt(n_l) W phi(h_l) + sigma_b b;\n")
    cat("  f = kappa h(L+1); kernels scale by kappa^2\n")
  }
  invisible(x)
}

check_mlp <- function(net, arg = "net") {
  if (!inherits(net, "mlp")) {
    jntk_abort(sprintf("`%s` must be an architecture from `mlp()`, not %s.", arg,
                       describe_type(net)), class = "jntk_error_argument")
  }
  net
}

check_parametrisation <- function(parametrisation) {
  if (identical(parametrisation, c("ntk", "standard"))) return("ntk")
  if (!is.character(parametrisation) || length(parametrisation) != 1L || is.na(parametrisation) ||
      !(parametrisation %in% c("ntk", "standard"))) {
    jntk_abort(paste0("`parametrisation` must be \"ntk\" (sigma_w/sqrt(n) in the forward pass) or ",
                      "\"standard\" (neural-tangents' parameterization = \"standard\")."),
               class = "jntk_error_argument")
  }
  parametrisation
}

# `widths` of mlp(): NULL, or one positive whole number or `depth` of them,
# kept as given (one number stays one, for every depth).
check_mlp_widths <- function(widths, depth) {
  if (is.null(widths)) return(NULL)
  if (depth == 0L && is.numeric(widths) && length(widths) <= 1L && !anyNA(widths)) return(integer(0))
  if (!is.numeric(widths) || !(length(widths) %in% c(1L, depth)) || anyNA(widths) ||
      any(widths < 1) || any(widths != round(widths))) {
    jntk_abort(sprintf(paste0(
      "`widths` must be NULL or the hidden-layer widths: one positive whole number for %s",
      "(e.g. `widths = 512`)."),
      if (depth > 1L) sprintf("all %d hidden layers or %d of them ", depth, depth) else "the hidden layer "),
      class = "jntk_error_argument")
  }
  if (any(widths > .Machine$integer.max)) {
    jntk_abort(sprintf("`widths` has a width of %s units; at most %s are supported.",
                       format(max(widths)), format(.Machine$integer.max)),
               class = "jntk_error_size")
  }
  as.integer(widths)
}

# The hidden widths n_1..n_L of the standard parametrisation's NTK (`what`
# names the kernel for the error).
net_widths <- function(net, what = "NTK") {
  w <- net$widths
  if (net$depth == 0L) return(integer(0))
  if (is.null(w)) {
    jntk_abort(sprintf(paste0(
      "The %s of the standard parametrisation grows with the hidden-layer widths, and this ",
      "architecture has none: give them, e.g. `mlp(..., parametrisation = \"standard\", ",
      "widths = 512)` (the NNGP and the Jacobian NNGP need none)."), what),
      class = "jntk_error_argument")
  }
  if (!(length(w) %in% c(1L, net$depth))) {
    jntk_abort(sprintf("The architecture has %d widths for %d hidden layers; give one or %d.",
                       length(w), net$depth, net$depth), class = "jntk_error_argument")
  }
  rep_len(as.integer(w), net$depth)
}

# Studies that compare finite widths with one limit (`fun`, for the error)
# have none for the standard parametrisation's NTK kinds, which grow with
# the widths.
check_width_limit <- function(net, kind, fun) {
  if (net_parametrisation(net) == "standard" && kind %in% c("ntk", "jntk")) {
    jntk_abort(sprintf(paste0(
      "`%s()` compares several widths with one infinite-width limit, but the %s of the ",
      "standard parametrisation grows with the widths and has none. Use the NTK ",
      "parametrisation (the same networks at initialisation), or compare one width: ",
      "`monte_carlo()` against `%s()` of an `mlp()` with those `widths`."),
      fun, kind_label(kind), kind), class = "jntk_error_unsupported")
  }
  invisible(net)
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
