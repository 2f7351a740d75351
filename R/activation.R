# The activation registry. Codes match src/activation.h.
.jntk_activations <- data.frame(
  name = c("identity", "relu", "leaky_relu", "abs", "erf", "gelu", "sin", "cos",
           "tanh", "softplus", "sigmoid", "silu", "sign", "step", "exp", "gaussian", "rbf",
           "abrelu", "polynomial", "relu_power"),
  code = 0:19,
  # kernel by closed form (TRUE) or by Gauss-Hermite quadrature (FALSE)
  closed_form = c(rep(TRUE, 8), rep(FALSE, 4), rep(TRUE, 8)),
  # phi has a continuous second derivative (needed by the JNTK); for a
  # parametrised activation, at its default parameters (activation_params())
  smooth = c(TRUE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE,
             FALSE, FALSE, TRUE, TRUE, TRUE, FALSE, TRUE, FALSE),
  # the kernels that are finite: phi with a jump has an infinite NTK (its
  # derivative is a delta function), so only its NNGP exists
  kernels = c("all", rep("no JNTK", 3), rep("all", 8), "NNGP only", "NNGP only",
              rep("all", 3), "no JNTK", "all", "no JNTK"),
  formula = c("x", "max(x, 0)", "max(x, slope * x)", "|x|", "a * erf(b * x) + c",
              "x * pnorm(x)", "sin(x)", "cos(x)", "tanh(x)", "log(1 + exp(x))",
              "1 / (1 + exp(-x))", "x / (1 + exp(-x))", "sign(x)", "x > 0 (relu^0)",
              "exp(x)", "exp(-x^2)", "sqrt(2) * sin(sqrt(2) * x + pi / 4)",
              "a * min(x, 0) + b * max(x, 0)", "sum(coef * x^(0:K))", "max(x, 0)^k"),
  stringsAsFactors = FALSE
)

# The parameters of the parametrised activations (mlp(act_par = )): names,
# defaults, and the code of the parametrised C implementation when the values
# differ from those of a plain built-in (erf(1, 1, 0) is "erf" itself).
.jntk_act_params <- list(
  leaky_relu = list(par = c(slope = 0.01)),
  erf = list(par = c(a = 1, b = 1, c = 0), code = 18L),
  abrelu = list(par = c(a = 0, b = 1), code = 17L),
  polynomial = list(par = list(coef = c(0, 1)), code = 19L),
  relu_power = list(par = c(k = 2), code = 20L)
)

act_param_text <- function(name) {
  p <- .jntk_act_params[[name]]$par
  if (is.null(p)) return("")
  if (is.list(p)) return(sprintf("coef = c(%s)", paste(sprintf("%g", p$coef), collapse = ", ")))
  paste(sprintf("%s = %g", names(p), p), collapse = ", ")
}

# The activation parameters of mlp(): `act_par` (NULL or a named list or
# named numeric vector) checked against the activation's parameters, with the
# leaky relu's `slope` argument as an alternative spelling. Returns the code
# (the parametrised implementation when the values differ from the plain
# built-in's), the full named parameter vector (NULL for an activation
# without parameters) and whether phi'' is continuous.
activation_params <- function(name, code, act_par, slope, slope_given) {
  spec <- .jntk_act_params[[name]]
  row <- .jntk_activations[.jntk_activations$code == code, ]
  if (is.null(spec)) {
    if (!is.null(act_par) && length(act_par) > 0L) {
      with_par <- paste0("\"", names(.jntk_act_params), "\"", collapse = ", ")
      jntk_abort(sprintf(paste0("`act_par`: the activation \"%s\" has no parameters; ",
                                "the parametrised activations are %s (see `activations()`)."),
                         name, with_par), class = "jntk_error_argument")
    }
    return(list(code = code, par = NULL, smooth = row$smooth, kernels = row$kernels))
  }
  def <- spec$par
  if (is.null(act_par)) act_par <- list()
  if (!(is.list(act_par) || is.numeric(act_par)) || (length(act_par) > 0L &&
      (is.null(names(act_par)) || any(!nzchar(names(act_par))) || anyDuplicated(names(act_par))))) {
    jntk_abort(sprintf(paste0("`act_par` must be a named list of the parameters of \"%s\" ",
                              "(%s), e.g. `act_par = list(%s = %g)`, not %s."),
                       name, act_param_text(name), names(def)[1], def[1], describe_type(act_par)),
               class = "jntk_error_argument")
  }
  extra <- setdiff(names(act_par), names(def))
  if (name == "polynomial") return(polynomial_params(act_par, extra, spec))
  if (length(extra)) {
    jntk_abort(sprintf("`act_par`: \"%s\" has no parameter %s; its parameters are %s.",
                       name, paste0("`", extra, "`", collapse = ", "), act_param_text(name)),
               class = "jntk_error_argument")
  }
  par <- def
  for (nm in names(act_par)) {
    v <- act_par[[nm]]
    if (!is.numeric(v) || length(v) != 1L || !is.finite(v)) {
      what <- if (!is.numeric(v)) describe_type(v) else if (length(v) != 1L)
        sprintf("%d numbers", length(v)) else format(v)
      jntk_abort(sprintf("`act_par$%s` of \"%s\" must be one finite number, not %s.",
                         nm, name, what), class = "jntk_error_argument")
    }
    par[[nm]] <- as.double(v)
  }
  if (name == "leaky_relu") {
    if (slope_given && "slope" %in% names(act_par)) {
      jntk_abort("The leaky relu's slope is given twice (`slope` and `act_par$slope`); give it once.",
                 class = "jntk_error_argument")
    }
    if (!"slope" %in% names(act_par)) par[["slope"]] <- slope
    return(list(code = code, par = par, smooth = FALSE, kernels = row$kernels))
  }
  same <- isTRUE(all(par == def))
  if (name == "erf") {
    if (par[["a"]] == 0 || par[["b"]] == 0) {
      jntk_abort(sprintf(paste0("`act_par` of \"erf\": a = %g and b = %g make phi the constant %g; ",
                                "give a and b non-zero (a constant activation has no use)."),
                         par[["a"]], par[["b"]], par[["c"]]), class = "jntk_error_argument")
    }
    return(list(code = if (same) code else spec$code, par = par, smooth = TRUE, kernels = "all"))
  }
  if (name == "relu_power") {
    k <- par[["k"]]
    if (k != round(k) || k < 1 || k > 8) {
      jntk_abort(sprintf(paste0("`act_par$k` of \"relu_power\" must be a whole number from 1 to 8, ",
                                "not %g (k = 0 is \"step\"; beyond 8 the variances grow like ",
                                "a^k per layer and overflow)."), k), class = "jntk_error_argument")
    }
    # k = 1 is relu, by relu's own code (its Jacobian NNGP needs the angle
    # carried between layers); the JNTK needs phi'' continuous: k >= 3
    return(list(code = if (k == 1) 1L else spec$code, par = par, smooth = k >= 3,
                kernels = if (k >= 3) "all" else "no JNTK"))
  }
  # abrelu: smooth (a multiple of the identity) only when a == b
  lin <- par[["a"]] == par[["b"]]
  list(code = spec$code, par = par, smooth = lin, kernels = if (lin) "all" else "no JNTK")
}

# polynomial: `coef` = c(c_0, ..., c_K), 1 to 16 finite numbers.
polynomial_params <- function(act_par, extra, spec) {
  if (length(extra)) {
    jntk_abort(sprintf("`act_par`: \"polynomial\" has no parameter %s; its one parameter is `coef`, the coefficients c(c_0, c_1, ..., c_K) of c_0 + c_1 x + ... + c_K x^K.",
                       paste0("`", extra, "`", collapse = ", ")), class = "jntk_error_argument")
  }
  coef <- if (is.null(act_par$coef)) spec$par$coef else act_par$coef
  if (!is.numeric(coef) || length(coef) < 1L || length(coef) > 16L || !all(is.finite(coef))) {
    jntk_abort(sprintf(paste0("`act_par$coef` of \"polynomial\" must be 1 to 16 finite numbers, ",
                              "the coefficients c(c_0, c_1, ..., c_K) of c_0 + c_1 x + ... + c_K x^K ",
                              "(degree K <= 15), not %s."),
                       if (is.numeric(coef)) sprintf("%d numbers%s", length(coef),
                                                     if (any(!is.finite(coef))) " with NA/Inf" else "")
                       else describe_type(coef)), class = "jntk_error_argument")
  }
  coef <- as.double(coef)
  # the kernels are exact for any coefficients; a constant phi is allowed
  list(code = spec$code, par = list(coef = coef), smooth = TRUE, kernels = "all")
}

# The activation parameters as the C routines read them (after c(sigma_w,
# sigma_b, kappa, slope[, tol])): those of the parametrised implementations,
# none for the others (and for objects made before `act_par` existed).
act_par_vector <- function(net) {
  code <- net$activation_code
  if (is.null(net$act_par) || !(code %in% 17:20)) return(numeric(0))
  if (code == 19L) return(c(length(net$act_par$coef), net$act_par$coef))
  as.double(unlist(net$act_par))
}

# "abrelu (a = -0.2, b = 1)" for print methods.
activation_label <- function(net) {
  act <- net$activation
  if (!is.null(net$act_par)) {
    p <- net$act_par
    act <- if (is.list(p)) sprintf("%s (coef = c(%s))", act, paste(sprintf("%g", p$coef), collapse = ", ")) else
      sprintf("%s (%s)", act, paste(sprintf("%s = %g", names(p), p), collapse = ", "))
  } else if (identical(act, "leaky_relu")) {
    act <- sprintf("leaky_relu (slope %g)", net$slope)
  }
  act
}

#' Supported activation functions
#'
#' Lists the activations understood by [mlp()], whether their kernels have
#' closed forms or use Gauss-Hermite quadrature, whether they are smooth
#' enough (continuous second derivative) for the JNTK, and which kernels are
#' finite.
#'
#' The closed forms beyond the classic ones follow neural-tangents' `stax`
#' activations at their default parameters: `"sign"` (`Sign()`) and `"step"`
#' (the Heaviside function, `RectifiedMonomial(0)`), whose NNGPs are the
#' arc-sine kernels \eqn{(2/\pi)\arcsin\rho} and \eqn{1/4 +
#' \arcsin(\rho)/(2\pi)} and whose NTK and Jacobian kernels are infinite
#' (refused with class `jntk_error_unsupported`); `"exp"` (`Exp(1, 1)`,
#' \eqn{E = e^{(a+b)/2+c}}); `"gaussian"` (`Gaussian(1, -1)`,
#' \eqn{e^{-x^2}}, \eqn{E = ((1+2a)(1+2b)-4c^2)^{-1/2}}); and `"rbf"`
#' (`Rbf(1)`, random Fourier features of the squared-exponential kernel,
#' \eqn{E = e^{-(a+b-2c)}}, so that a one-layer NNGP with `sigma_b = 0` is
#' \eqn{\sigma_w^2 e^{-\sigma_w^2 |x-x'|^2/d}}). Here \eqn{E = E[\phi(u)\phi(v)]}
#' for \eqn{(u, v)} Gaussian with covariance \eqn{[[a, c], [c, b]]}. Besides these names,
#' [mlp()] accepts any smooth activation as a vectorised R function (with
#' optional derivatives), for the infinite-width kernels only; see "Activations
#' given as R functions" in [mlp()].
#'
#' Parametrised activations take their parameters from `mlp(act_par = )`
#' (column `parameters`, with the defaults): `"erf"` is neural-tangents'
#' `Erf(a, b, c)`, \eqn{a\,\mathrm{erf}(bx) + c}, whose kernels are erf's at
#' \eqn{b^2\Sigma}, scaled by \eqn{a^2}, plus \eqn{c^2} for the NNGP;
#' `"abrelu"` is `ABRelu(a, b)`, \eqn{a\min(x, 0) + b\max(x, 0) = A_1 x +
#' B_1|x|} with \eqn{A_1 = (a+b)/2}, \eqn{B_1 = (b-a)/2}, the family of relu
#' (0, 1), abs (-1, 1), leaky relu (slope, 1) and the identity (1, 1), all
#' computed by one code path (\eqn{g = A_1^2 c + B_1^2 E|u||v|}); its JNTK is
#' infinite unless \eqn{a = b}; `"polynomial"` is \eqn{\sum_{k=0}^K c_k x^k}
#' (`coef = c(c_0, ..., c_K)`, degree at most 15; a monomial is one non-zero
#' coefficient), whose kernels are exact finite sums: with \eqn{M_k(a) =
#' E[\phi^{(k)}(u)]}, \eqn{u \sim N(0, a)}, Price's theorem gives \eqn{g =
#' \sum_m c^m M_m(a) M_m(b) / m!} and every partial derivative likewise.
#' `"relu_power"` is neural-tangents' `RectifiedMonomial(k)`, \eqn{\max(x,
#' 0)^k} for a whole \eqn{k} from 1 to 8 (`"step"` is \eqn{k = 0}, and
#' \eqn{k = 1} is `"relu"`, computed by relu's code), with Cho and Saul's
#' arc-cosine kernels of order \eqn{k}, \eqn{g = (ab)^{k/2} J_k(\theta)/(2\pi)},
#' \eqn{\dot g = k^2 (ab)^{(k-1)/2} J_{k-1}(\theta)/(2\pi)} (\eqn{J_k} by its
#' three-term recursion); its JNTK needs \eqn{\phi''} continuous, i.e. \eqn{k
#' \ge 3}, and is refused for \eqn{k \le 2}.
#' `smooth` and `kernels` are those at the defaults.
#'
#' @return A data frame with columns `name`, `formula`, `parameters` (the
#'   names and defaults of `mlp(act_par = )`, `""` for none), `closed_form`,
#'   `smooth` and `kernels` (`"all"`, `"no JNTK"` or `"NNGP only"`).
#' @seealso [mlp()].
#' @examples
#' activations()
#' nngp(mlp(2, "abrelu", act_par = list(a = -0.2, b = 1)), diag(2))
#' @export
activations <- function() {
  a <- .jntk_activations[, c("name", "formula", "closed_form", "smooth", "kernels")]
  a$parameters <- vapply(a$name, act_param_text, "", USE.NAMES = FALSE)
  a <- a[, c("name", "formula", "parameters", "closed_form", "smooth", "kernels")]
  rownames(a) <- NULL
  a
}

activation_code <- function(name) {
  if (!is.character(name) || length(name) != 1L || is.na(name)) {
    jntk_abort("`activation` must be one string naming an activation, one of: ",
               paste(.jntk_activations$name, collapse = ", "),
               "; or an R function (see ?mlp, \"Activations given as R functions\").",
               class = "jntk_error_argument")
  }
  i <- match(name, .jntk_activations$name)
  if (is.na(i)) {
    alt <- c(ReLU = "relu", Relu = "relu", Erf = "erf", GELU = "gelu", Gelu = "gelu",
             Tanh = "tanh", swish = "silu", logistic = "sigmoid", linear = "identity",
             leakyrelu = "leaky_relu", LeakyRelu = "leaky_relu")
    hint <- if (!is.na(alt[name])) sprintf(" Did you mean \"%s\"?", alt[name]) else ""
    jntk_abort(sprintf("`activation`: unknown activation \"%s\".%s Supported activations: %s.",
                       name, hint, paste(.jntk_activations$name, collapse = ", ")),
               class = "jntk_error_activation")
  }
  .jntk_activations$code[i]
}

# Probabilists' Gauss-Hermite rule (weight exp(-z^2/2)/sqrt(2 pi)), by
# Golub-Welsch: nodes are the eigenvalues of the Jacobi matrix of He_k.
gauss_hermite <- function(n) {
  if (n == 1L) return(list(nodes = 0, weights = 1))
  J <- matrix(0, n, n)
  off <- sqrt(seq_len(n - 1L))
  J[cbind(1:(n - 1L), 2:n)] <- off
  J[cbind(2:n, 1:(n - 1L))] <- off
  e <- eigen(J, symmetric = TRUE)
  o <- order(e$values)
  z <- e$values[o]
  z[abs(z) < 1e-14] <- 0
  z <- (z - rev(z)) / 2 # exact symmetry
  w <- e$vectors[1L, o]^2
  w <- (w + rev(w)) / 2
  list(nodes = z, weights = w / sum(w))
}

# Gauss rule for the mixing law of the series activations (src/series.h):
# the logistic distribution is the normal scale mixture L = 2 V e, V
# Kolmogorov-Smirnov distributed, so tanh, sigmoid, softplus and silu are
# mixtures of Gaussian-smoothed relu, Heaviside and sign functions whose
# kernels have closed forms. The rule is Gaussian in t = log V (nodes and
# weights by the Stieltjes-Lanczos procedure on a 2000-point composite
# Gauss-Legendre discretisation of [log 0.04, log 6], which holds all but
# 1e-31 of the mass); M = 16 nodes give 1e-14 relative accuracy for every
# moment the kernels need (tests/testthat/test-accuracy.R).
.jntk_cache <- new.env(parent = emptyenv())

ks_density <- function(v) {
  # Kolmogorov-Smirnov density: the theta-function form below 1, the
  # alternating series above (each converges fast on its side)
  vapply(v, function(x) {
    if (x < 1) {
      k <- 1:20
      m <- (2 * k - 1)^2 * pi^2 / 8
      sqrt(2 * pi) * sum(exp(-m / x^2) * (2 * m / x^4 - 1 / x^2))
    } else {
      k <- 1:100
      8 * x * sum((-1)^(k - 1) * k^2 * exp(-2 * k^2 * x^2))
    }
  }, numeric(1))
}

gauss_legendre <- function(n) {
  i <- seq_len(n - 1L)
  J <- matrix(0, n, n)
  J[cbind(i, i + 1L)] <- J[cbind(i + 1L, i)] <- i / sqrt(4 * i^2 - 1)
  e <- eigen(J, symmetric = TRUE)
  list(nodes = e$values, weights = 2 * e$vectors[1L, ]^2)
}

# M-point Gauss rule for a discrete measure (y, w), by the Stieltjes
# procedure (orthonormal three-term recurrence) and Golub-Welsch.
gauss_discrete <- function(y, w, M) {
  al <- be <- numeric(M)
  p0 <- numeric(length(y))
  p1 <- rep(1 / sqrt(sum(w)), length(y))
  for (k in seq_len(M)) {
    al[k] <- sum(w * y * p1^2)
    q <- (y - al[k]) * p1 - (if (k > 1L) be[k] * p0 else 0)
    if (k < M) {
      be[k + 1L] <- sqrt(sum(w * q^2))
      p0 <- p1
      p1 <- q / be[k + 1L]
    }
  }
  J <- diag(al, M)
  if (M > 1L) J[cbind(1:(M - 1L), 2:M)] <- J[cbind(2:M, 1:(M - 1L))] <- be[2:M]
  e <- eigen(J, symmetric = TRUE)
  list(nodes = e$values, weights = sum(w) * e$vectors[1L, ]^2)
}

mixture_rule <- function(M = 16L) {
  key <- paste0("mixture", M)
  if (!is.null(.jntk_cache[[key]])) return(.jntk_cache[[key]])
  g <- gauss_legendre(20L)
  br <- seq(log(0.04), log(6), length.out = 101L)
  h <- diff(br) / 2
  t <- as.vector(outer(g$nodes, h) + rep((br[-1] + br[-101]) / 2, each = 20L))
  wt <- as.vector(outer(g$weights, h))
  V <- exp(t)
  r <- gauss_discrete(t, wt * ks_density(V) * V, M)
  o <- order(r$nodes)
  rule <- list(nodes = exp(r$nodes[o]), weights = r$weights[o] / sum(r$weights))
  .jntk_cache[[key]] <- rule
  rule
}

# ---- activations given as R functions -------------------------------------------

# The activation of mlp(): a name from the registry, or an R function phi
# (with optional derivatives: `dphi`, `d2phi`, or a list of phi and its first
# derivatives in order). Returns the code, the name stored in the network and,
# for a function, the list of functions.
activation_spec <- function(activation, dphi = NULL, d2phi = NULL, label = "function") {
  if (is.character(activation)) {
    if (!is.null(dphi) || !is.null(d2phi)) {
      jntk_abort("`dphi` and `d2phi` are for an activation given as an R function; a built-in activation has its own derivatives.",
                 class = "jntk_error_argument")
    }
    return(list(code = activation_code(activation), name = activation, funs = NULL))
  }
  funs <- if (is.function(activation)) list(activation) else activation
  if (!is.list(funs) || length(funs) < 1L || length(funs) > 5L ||
      !all(vapply(funs, is.function, NA))) {
    jntk_abort(paste0("`activation` must be one string naming an activation (see `activations()`), ",
                      "an R function phi, or a list of phi and up to four of its derivatives ",
                      "(list(phi, dphi, d2phi, ...)), not ", describe_type(activation), "."),
               class = "jntk_error_argument")
  }
  extra <- list(dphi, d2phi)
  for (k in 1:2) {
    if (is.null(extra[[k]])) next
    if (!is.function(extra[[k]])) {
      jntk_abort(sprintf("`%s` must be an R function (the %s derivative of the activation) or NULL.",
                         c("dphi", "d2phi")[k], c("first", "second")[k]), class = "jntk_error_argument")
    }
    if (length(funs) > k && !is.null(funs[[k + 1L]])) {
      jntk_abort(sprintf("The %s derivative is given twice (in the list `activation` and as `%s`); give it once.",
                         c("first", "second")[k], c("dphi", "d2phi")[k]), class = "jntk_error_argument")
    }
    if (length(funs) < k) {
      jntk_abort("`d2phi` needs `dphi` as well (the derivatives are used in order).",
                 class = "jntk_error_argument")
    }
    funs[[k + 1L]] <- extra[[k]]
  }
  probe <- c(-2, -0.5, 0, 0.5, 2)
  for (o in seq_along(funs)) activation_values(funs[[o]], probe, o - 1L, label)
  list(code = 100L, name = paste0("R:", label), funs = funs, label = label)
}

# phi^(o)(x) by the user's function, checked: a double vector as long as x,
# finite everywhere.
activation_values <- function(f, x, o, label) {
  what <- if (o == 0L) sprintf("The activation `%s`", label) else
    sprintf("The %s derivative of the activation `%s`", c("first", "second", "third", "fourth")[o], label)
  y <- tryCatch(f(x), error = function(e) {
    jntk_abort(sprintf("%s failed on a vector of %d values: %s", what, length(x), conditionMessage(e)),
               class = "jntk_error_activation")
  })
  if (!is.numeric(y) || length(y) != length(x)) {
    jntk_abort(sprintf(paste0("%s must be vectorised: given a numeric vector of %d values it returned ",
                              "%s of length %d (write it with vectorised operations, e.g. pmax() ",
                              "rather than max())."),
                       what, length(x), describe_type(y), length(y)), class = "jntk_error_activation")
  }
  y <- as.double(y)
  bad <- !is.finite(y)
  if (any(bad)) {
    jntk_abort(sprintf(paste0("%s returned %s at x = %.6g; it must be finite on the real line ",
                              "(the kernels evaluate it at pre-activations up to about 90 standard ",
                              "deviations)."), what, format(y[bad][1]), x[bad][1]),
               class = "jntk_error_activation")
  }
  y
}

# The evaluator the C series machinery calls (src/series_user.c): phi^(o)
# for o < G at x, as one double vector (G columns of length(x)).
activation_evaluator <- function(funs, label) {
  force(funs)
  force(label)
  function(x, G) {
    out <- numeric(length(x) * G)
    for (o in seq_len(G)) out[(o - 1L) * length(x) + seq_along(x)] <- activation_values(funs[[o]], x, o - 1L, label)
    out
  }
}

# The two extra elements of the kernels' `rule` for an R-function activation.
activation_user_rule <- function(net) {
  list(activation_evaluator(net$activation_fun, net$activation_label),
       length(net$activation_fun))
}

# NNGP-only activations (a jump: phi' is a delta function) refuse the NTK and
# the Jacobian kernels.
activation_jumps <- function(net) is.null(net$activation_fun) && net$activation %in% c("sign", "step")

check_activation_kind <- function(net, what) {
  if (what == "JNTK" && identical(net$activation, "relu_power") && !isTRUE(net$smooth)) {
    jntk_abort(sprintf(paste0(
      "The JNTK of \"relu_power\" with k = %g is not offered: it needs phi'' continuous ",
      "(math.md section 4), and max(x, 0)^k has a jump in phi'' for k = 2 (a kink in phi' ",
      "for k = 1). Use k >= 3, a smooth activation, or `jacobian_nngp()`, which is finite for ",
      "every k."), net$act_par[["k"]]), class = "jntk_error_unsupported")
  }
  if (activation_jumps(net) && what != "NNGP") {
    jntk_abort(sprintf(paste0(
      "The %s of \"%s\" is infinite: the activation jumps at 0, so its derivative is a delta ",
      "function and E[phi'(u) phi'(v)] diverges as x' -> x. Only its NNGP (nngp()) exists; use a ",
      "continuous activation (e.g. \"erf\" for \"sign\", \"relu\" or \"gelu\" for \"step\") ",
      "for the NTK and the Jacobian kernels."), what, net$activation),
      class = "jntk_error_unsupported")
  }
  invisible(net)
}

# kernel_error_bound() for the NNGP of sign and step, whose layer map
# f asin(rho) (f = 2/pi, 1/(2 pi)) is not Lipschitz at rho = +-1 but
# 1/2-Hoelder: |asin x - asin y| <= (pi / sqrt 2) sqrt|x - y| on [-1, 1]. An
# error e_c in the covariance and e_a in the variances (>= a_min) moves rho by
# at most (e_c + e_a) / a_min, plus the rounding of the gap ab - c^2 from which
# asin is taken near the ends (4 eps); the diagonal g(a, a, a) is a constant
# (1 or 1/2), so the variances carry only their rounding. Near-parallel inputs
# therefore keep about sqrt(eps) of relative accuracy from the second layer
# on, and this bound says so (it is ~1e-8 relative at every depth >= 1).
jump_error_bound <- function(net, Dg, e_c) {
  eps <- .Machine$double.eps
  sw2 <- net$sigma_w^2; sb2 <- net$sigma_b^2
  f <- if (net$activation == "sign") 2 / pi else 1 / (2 * pi)
  e_a <- e_c
  for (l in seq_len(net$depth)) {
    a <- Dg[, l, 1]
    if (!any(a > 0)) { e_c <- 2 * eps * sb2; e_a <- e_c; next }  # phi(0) = 0: exact
    drho <- (e_c + e_a) / min(a[a > 0]) + 4 * eps
    e_c <- sw2 * (f * (pi / sqrt(2)) * sqrt(drho) + 8 * eps) + 2 * eps * (sw2 + sb2)
    e_a <- 2 * eps * (sw2 + sb2)
  }
  net$kappa^2 * e_c * (1 + 2 * eps)
}
