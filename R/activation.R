# The activation registry. Codes match src/activation.h.
.jntk_activations <- data.frame(
  name = c("identity", "relu", "leaky_relu", "abs", "erf", "gelu", "sin", "cos",
           "tanh", "softplus", "sigmoid", "silu"),
  code = 0:11,
  # kernel by closed form (TRUE) or by Gauss-Hermite quadrature (FALSE)
  closed_form = c(rep(TRUE, 8), rep(FALSE, 4)),
  # phi has a continuous second derivative (needed by the JNTK)
  smooth = c(TRUE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE),
  formula = c("x", "max(x, 0)", "max(x, slope * x)", "|x|", "erf(x)",
              "x * pnorm(x)", "sin(x)", "cos(x)", "tanh(x)", "log(1 + exp(x))",
              "1 / (1 + exp(-x))", "x / (1 + exp(-x))"),
  stringsAsFactors = FALSE
)

#' Supported activation functions
#'
#' Lists the activations understood by [mlp()], whether their kernels have
#' closed forms or use Gauss-Hermite quadrature, and whether they are smooth
#' enough (continuous second derivative) for the JNTK.
#'
#' @return A data frame with columns `name`, `formula`, `closed_form` and
#'   `smooth`.
#' @examples
#' activations()
#' @export
activations <- function() {
  a <- .jntk_activations[, c("name", "formula", "closed_form", "smooth")]
  rownames(a) <- NULL
  a
}

activation_code <- function(name) {
  if (!is.character(name) || length(name) != 1L || is.na(name)) {
    jntk_abort("`activation` must be one string naming an activation, one of: ",
               paste(.jntk_activations$name, collapse = ", "), ".",
               class = "jntk_error_argument")
  }
  i <- match(name, .jntk_activations$name)
  if (is.na(i)) {
    alt <- c(ReLU = "relu", Relu = "relu", Erf = "erf", GELU = "gelu", Gelu = "gelu",
             Tanh = "tanh", swish = "silu", logistic = "sigmoid", linear = "identity",
             leakyrelu = "leaky_relu", LeakyRelu = "leaky_relu")
    hint <- if (!is.na(alt[name])) sprintf(" Did you mean \"%s\"?", alt[name]) else ""
    jntk_abort(sprintf("Unknown activation \"%s\".%s Supported activations: %s.",
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

# Quadrature data for activations without a closed form (Mehler series, see
# src/kernels.c): K orthonormal Hermite polynomials h_k = He_k / sqrt(k!)
# tabulated at 2K Gauss-Hermite nodes, cached per K.
.jntk_cache <- new.env(parent = emptyenv())

hermite_rule <- function(K) {
  key <- paste0("hermite", K)
  if (!is.null(.jntk_cache[[key]])) return(.jntk_cache[[key]])
  gh <- gauss_hermite(2L * K)
  z <- gh$nodes
  H <- matrix(0, length(z), K)
  H[, 1] <- 1
  if (K > 1) H[, 2] <- z
  if (K > 2) for (k in 2:(K - 1)) H[, k + 1] <- (z * H[, k] - sqrt(k - 1) * H[, k - 1]) / sqrt(k)
  rule <- list(nodes = z, weights = gh$weights, hermite = H)
  .jntk_cache[[key]] <- rule
  rule
}
