# Structured Jacobian kernels: the eight per-pair scalars of a Jacobian
# kernel (math.md §3) behaving like the dense matrix without storing it.
# One representation, the S4 class "jntk_structured" (S4 because `%*%`
# dispatches only on S4 objects in R 4.2), with its methods throughout.

#' Structured Jacobian kernels
#'
#' Objects of class `"jntk_structured"` hold, for every pair of inputs, the
#' eight scalars \eqn{(K, P, Q, R, S, T_q, T_r, U)} of a
#' Jacobian kernel in polar variables (see Structure in [jacobian_nngp()]). They behave like the dense
#' \eqn{N1(d+1) \times N2(d+1)} matrix without storing it.
#'
#' @slot F Array `N1 x N2 x 8` of the scalars (already \eqn{\kappa^2}-scaled).
#' @slot x1,x2 The inputs (one point per row).
#' @slot kind `"jacobian_nngp"` or `"jntk"`.
#' @slot net The architecture's parameters.
#' @slot symmetric Whether `x2` is `x1`.
#' @slot cache An environment where the first product `S %*% v` keeps the
#'   `N1 x N2` cosines of the input pairs for the following ones (an eighth of
#'   the memory of `F`; one `N1 x N2 x d` matrix product fewer per product).
#' @param x,object A `"jntk_structured"` object.
#' @param y A numeric vector or matrix.
#' @param ... Unused.
#' @param threads Threads for the dense assembly.
#' @param nrow,ncol Unused (part of the `diag()` generic).
#' @param names Whether `diag()` names its result by the row labels.
#' @return `as.matrix()`: the dense matrix with dimnames; `dim()`: its
#'   dimensions; `%*%`: the product, a matrix; `diag()`: the diagonal; `t()`:
#'   the structured transpose (kernel of `x2` with `x1`).
#' @name jntk_structured-class
#' @aliases jntk_structured
#' @examples
#' S <- jacobian_nngp(mlp(2, "erf"), matrix(rnorm(6), 3), as = "structured")
#' dim(S); diag(S)
#' max(abs(t(S) %*% diag(9) - t(as.matrix(S))))
#' @exportClass jntk_structured
#' @importFrom methods Ops Math Summary
setClass("jntk_structured",
         representation(F = "array", x1 = "matrix", x2 = "matrix", kind = "character",
                        net = "list", symmetric = "logical", cache = "environment"))

# A new structured kernel with an empty cache (see structured_cosines()).
new_structured <- function(F, x1, x2, kind, net, symmetric) {
  methods::new("jntk_structured", F = F, x1 = x1, x2 = x2, kind = kind, net = net,
               symmetric = symmetric, cache = new.env(parent = emptyenv()))
}

# The N1 x N2 cosines of the input pairs that every product uses: computed on
# the first product (one N1 x N2 x d matrix product) and kept in the object's
# cache for the following ones (N1 N2 doubles, an eighth of the scalars).
structured_cosines <- function(S) {
  if (!methods::.hasSlot(S, "cache")) return(NULL) # an object saved by jntk < 0.2
  rho <- S@cache$rho
  if (is.null(rho)) {
    rho <- .Call(C_kernels_cosines, S@x1, S@x2)
    assign("rho", rho, envir = S@cache)
  }
  rho
}

#' @rdname jntk_structured-class
#' @method as.matrix jntk_structured
#' @export
as.matrix.jntk_structured <- function(x, ..., threads = default_threads()) {
  d <- ncol(x@x1)
  threads <- check_threads(threads)
  check_dense(nrow(x@x1), nrow(x@x2), d)
  K <- .Call(C_kernels_assemble, x@F, x@x1, x@x2, threads)
  dimnames(K) <- structured_dimnames(x)
  K
}

#' @rdname jntk_structured-class
#' @export
setMethod("as.matrix", "jntk_structured", as.matrix.jntk_structured)

structured_dimnames <- function(x) {
  d <- ncol(x@x1)
  list(jacobian_labels(x@x1, d), jacobian_labels(x@x2, d))
}

#' @rdname jntk_structured-class
#' @export
setMethod("dimnames", "jntk_structured", function(x) structured_dimnames(x))

#' @rdname jntk_structured-class
#' @export
setMethod("dim", "jntk_structured", function(x) {
  d1 <- ncol(x@x1) + 1L
  c(nrow(x@x1) * d1, nrow(x@x2) * d1)
})

structured_times <- function(S, v) {
  if (is.data.frame(v)) v <- as.matrix(v)
  if (!is.numeric(v) && !is.logical(v)) {
    jntk_abort(sprintf("Cannot multiply a structured kernel by %s; use a numeric vector or matrix.",
                       describe_type(v)), class = "jntk_error_input")
  }
  vec <- is.null(dim(v))
  v <- if (vec) matrix(as.double(v), ncol = 1L) else { storage.mode(v) <- "double"; v }
  nc <- dim(S)[2]
  if (nrow(v) != nc) {
    jntk_abort(sprintf("Non-conformable: the structured kernel has %d columns but `y` has %d %s.",
                       nc, nrow(v), if (vec) "elements" else "rows"), class = "jntk_error_input")
  }
  if (any(!is.finite(v))) {
    jntk_abort("`y` has non-finite values.", class = "jntk_error_input")
  }
  .Call(C_kernels_matvec, S@F, S@x1, S@x2, v, structured_cosines(S))
}

#' @rdname jntk_structured-class
#' @export
setMethod("%*%", signature("jntk_structured", "ANY"), function(x, y) structured_times(x, y))

#' @rdname jntk_structured-class
#' @export
setMethod("%*%", signature("ANY", "jntk_structured"), function(x, y) {
  if (is.null(dim(x))) x <- matrix(x, nrow = 1L)
  t(structured_times(t(y), t(x)))
})

#' @rdname jntk_structured-class
#' @export
setMethod("%*%", signature("jntk_structured", "jntk_structured"), function(x, y) {
  jntk_abort("The product of two structured kernels is not structured; use `as.matrix()` on one of them.",
             class = "jntk_error_unsupported")
})

#' @rdname jntk_structured-class
#' @method t jntk_structured
#' @export
t.jntk_structured <- function(x) {
  # K(x', x) = K(x, x')^T: swap the inputs; F_q <-> F_r and F_pq <-> F_pr
  F <- aperm(x@F, c(2L, 1L, 3L))[, , c(1, 2, 4, 3, 5, 7, 6, 8), drop = FALSE]
  new_structured(F = F, x1 = x@x2, x2 = x@x1, kind = x@kind, net = x@net,
                 symmetric = x@symmetric)
}

#' @rdname jntk_structured-class
#' @export
setMethod("t", "jntk_structured", t.jntk_structured)

#' @rdname jntk_structured-class
#' @export
setMethod("diag", "jntk_structured", function(x, nrow, ncol, names = TRUE) {
  n1 <- base::nrow(x@x1); n2 <- base::nrow(x@x2); d <- base::ncol(x@x1)
  k <- seq_len(min(dim(x)))
  out <- dense_entries(x@F, x@x1, x@x2, k, k, n1, n2, d)
  if (isTRUE(names)) names(out) <- jacobian_labels(x@x1, d)[k]
  out
})

# Entries (row[t], col[t]) of the dense Jacobian kernel from the scalars.
dense_entries <- function(F, x1, x2, row, col, n1, n2, d) {
  jacobian_entries(F, x1, x2, row, col, n1, n2, d) # representation: see ?jacobian_nngp
}

#' Blocks of a Jacobian kernel
#'
#' @param x A `"jntk_structured"` object or a dense Jacobian kernel matrix.
#' @param which `"ff"` (outputs with outputs, \eqn{N1 \times N2}), `"fj"`
#'   (outputs with Jacobians, \eqn{N1 \times N2 d}), `"jf"` or `"jj"`.
#' @param n1,n2 Number of points, needed only for a dense matrix without
#'   jntk dimnames.
#' @return The dense block, with dimnames. For a structured kernel only the
#'   block is computed (from the per-pair scalars), never the whole matrix.
#' @seealso [jacobian_nngp()], [jntk()], [jntk_structured-class].
#' @examples
#' S <- jacobian_nngp(mlp(1, "relu"), matrix(c(1, 0, 0, 1), 2), as = "structured")
#' block(S, "jj")
#' @export
block <- function(x, which = c("ff", "fj", "jf", "jj"), n1 = NULL, n2 = NULL) {
  which <- check_choice(which, c("ff", "fj", "jf", "jj"), "which",
                        "f for outputs, j for Jacobians, rows first")
  if (methods::is(x, "jntk_structured")) return(structured_block(x, which))
  if (!is.matrix(x) && !is.data.frame(x)) {
    jntk_abort(sprintf("`x` must be a structured Jacobian kernel or a dense Jacobian kernel matrix, not %s.",
                       describe_type(x)), class = "jntk_error_argument")
  }
  x <- check_kernel_matrix(x, "x", what = "a Jacobian kernel matrix")
  n1 <- if (is.null(n1)) sum(startsWith(rownames(x) %||% "", "f(")) else
    check_number(n1, "n1", lower = 1, upper = nrow(x), integer = TRUE)
  n2 <- if (is.null(n2)) sum(startsWith(colnames(x) %||% "", "f(")) else
    check_number(n2, "n2", lower = 1, upper = ncol(x), integer = TRUE)
  if (n1 < 1 || n2 < 1) {
    jntk_abort("`x` has no \"f(...)\" row and column names, so the number of points is unknown: give `n1` and `n2`.",
               class = "jntk_error_argument")
  }
  if (nrow(x) %% n1 || ncol(x) %% n2 || nrow(x) %/% n1 != ncol(x) %/% n2) jntk_abort(sprintf("`x` is %d x %d, which is not N1(d + 1) x N2(d + 1) for `n1` = %d and `n2` = %d points; give the numbers of points of its rows and columns.", nrow(x), ncol(x), n1, n2), class = "jntk_error_input")
  r <- if (which %in% c("ff", "fj")) seq_len(n1) else seq_len(nrow(x))[-seq_len(n1)]
  c <- if (which %in% c("ff", "jf")) seq_len(n2) else seq_len(ncol(x))[-seq_len(n2)]
  x[r, c, drop = FALSE]
}

# One block of a structured kernel from the scalars (the polar form of
# ?jacobian_nngp, Structure), by whole-vector arithmetic in the block's own
# layout: Jacobian rows are (point a, coordinate i) with i fastest, i.e. row
# (a - 1) d + i.
structured_block <- function(S, which) {
  n1 <- nrow(S@x1); n2 <- nrow(S@x2); d <- ncol(S@x1)
  dn <- structured_dimnames(S)
  rows <- if (which %in% c("ff", "fj")) seq_len(n1) else n1 + seq_len(n1 * d)
  cols <- if (which %in% c("ff", "jf")) seq_len(n2) else n2 + seq_len(n2 * d)
  check_alloc(4 * as.double(length(rows)) * length(cols),
              sprintf("The \"%s\" block (%s x %s) of the structured kernel", which,
                      format(length(rows), big.mark = ","), format(length(cols), big.mark = ",")),
              "Multiply by the structured kernel (`S %*% v`) instead, or take entries with `S[i, j]`.")
  Fk <- function(k) matrix(S@F[, , k], n1, n2)
  K <- switch(which,
    ff = Fk(1),
    jf = jf_block(Fk(2), Fk(3), S@x1, S@x2),
    fj = t(jf_block(t(Fk(2)), t(Fk(4)), S@x2, S@x1)),
    jj = jj_block(S@F, S@x1, S@x2))
  dim(K) <- c(length(rows), length(cols))
  dimnames(K) <- list(dn[[1]][rows], dn[[2]][cols])
  K
}

# Unit rows (a zero row stays zero), norms, and the clipped cosines.
polar_inputs <- function(x1, x2) {
  n <- sqrt(rowSums(x1^2)); m <- sqrt(rowSums(x2^2))
  u1 <- x1 / ifelse(n > 0, n, 1); u2 <- x2 / ifelse(m > 0, m, 1)
  list(u1 = u1, u2 = u2, n = n, m = m, rho = pmin(pmax(tcrossprod(u1, u2), -1), 1))
}

# d/dx_i K at rows (a, i), column b: P m e_i + Q x^_i with e = x^' - rho x^.
jf_block <- function(P, Q, x1, x2) {
  n1 <- nrow(x1); n2 <- nrow(x2); d <- ncol(x1)
  g <- polar_inputs(x1, x2)
  xp <- as.vector(t(g$u2)[, rep(seq_len(n2), each = n1), drop = FALSE])  # x^'_{b,i}
  xa <- rep(as.vector(t(g$u1)), n2)                                      # x^_{a,i}
  each <- function(M) rep(as.vector(M), each = d)
  v <- each(P) * rep(rep(g$m, each = n1), each = d) * (xp - each(g$rho) * xa) + each(Q) * xa
  matrix(v, n1 * d, n2)
}

# d2/dx_i dx'_j K at rows (a, i), columns (b, j), with e' = x^ - rho x^':
#   P d_ij + S e_i e'_j + (T_q - P) x^_i e'_j + T_r e_i x^'_j + U x^_i x^'_j - P x^'_i x^'_j,
# one column block (b) at a time, each O(n1 d^2).
jj_block <- function(F, x1, x2) {
  n1 <- nrow(x1); n2 <- nrow(x2); d <- ncol(x1)
  g <- polar_inputs(x1, x2)
  K <- matrix(0, n1 * d, n2 * d)
  ra <- rep(seq_len(n1), each = d)                 # point of each row
  xi <- as.vector(t(g$u1))                         # x^_{a,i} of each row
  U1r <- g$u1[ra, , drop = FALSE]                  # x^_{a,j} by row, column j
  diag_rows <- cbind(seq_len(n1 * d), rep(seq_len(d), n1))
  for (b in seq_len(n2)) {
    u <- g$u2[b, ]
    P <- F[ra, b, 2]; S <- F[ra, b, 5]; Tq <- F[ra, b, 6]; Tr <- F[ra, b, 7]; U <- F[ra, b, 8]
    rho <- g$rho[ra, b]
    ui <- rep(u, n1)                               # x^'_{b,i} by row
    e <- ui - rho * xi
    Ep <- U1r - outer(rho, u)                      # e'_j by row, column j
    B <- (S * e + (Tq - P) * xi) * Ep + outer(Tr * e + U * xi - P * ui, u)
    B[diag_rows] <- B[diag_rows] + P
    K[, (b - 1L) * d + seq_len(d)] <- B
  }
  K
}

# Index vectors of `[` in the dense layout (numeric, negative, logical, names).
structured_index <- function(i, n, labels, arg) {
  if (missing(i) || is.null(i)) return(seq_len(n))
  if (is.character(i)) {
    k <- match(i, labels)
    if (anyNA(k)) {
      jntk_abort(sprintf("`%s` names rows/columns that are not in the kernel (first: \"%s\"); labels read like \"f(1)\" and \"d2 f(1)\".",
                         arg, i[is.na(k)][1]), class = "jntk_error_input")
    }
    return(k)
  }
  if (is.logical(i)) return(which(rep_len(i, n)))
  if (!is.numeric(i) || anyNA(i)) {
    jntk_abort(sprintf("`%s` must be numeric, logical or character indices without NA.", arg),
               class = "jntk_error_input")
  }
  k <- seq_len(n)[i]
  if (anyNA(k)) {
    jntk_abort(sprintf("`%s` indexes beyond the kernel's %d rows/columns.", arg, n),
               class = "jntk_error_input")
  }
  k
}

#' @rdname jntk_structured-class
#' @param i,j Row and column indices of the dense layout (numeric, negative,
#'   logical or dimnames).
#' @param drop Whether to drop dimensions of extent one.
#' @export
setMethod("[", "jntk_structured", function(x, i, j, ..., drop = TRUE) {
  dm <- dim(x); dn <- structured_dimnames(x)
  r <- structured_index(if (missing(i)) NULL else i, dm[1], dn[[1]], "i")
  c <- structured_index(if (missing(j)) NULL else j, dm[2], dn[[2]], "j")
  check_alloc(8 * as.double(length(r)) * length(c),
              sprintf("The %s x %s sub-matrix of the structured kernel", format(length(r), big.mark = ","),
                      format(length(c), big.mark = ",")),
              "Take a smaller sub-matrix, a `block()`, or multiply (`S %*% v`).")
  n1 <- nrow(x@x1); n2 <- nrow(x@x2); d <- ncol(x@x1)
  g <- expand.grid(r = r, c = c)
  K <- matrix(dense_entries(x@F, x@x1, x@x2, g$r, g$c, n1, n2, d), length(r), length(c),
              dimnames = list(dn[[1]][r], dn[[2]][c]))
  if (drop) K <- K[, , drop = TRUE]
  K
})

# Everything else a dense matrix would do: a classed error naming what works.
structured_unsupported <- function(what) {
  jntk_abort(sprintf(paste0(
    "%s is not defined for a structured Jacobian kernel. Supported: `S %%*%% v` (and `v %%*%% S`), ",
    "`block(S, \"ff\"|\"fj\"|\"jf\"|\"jj\")`, `S[i, j]` (dense entries), `diag(S)`, `t(S)`, `dim(S)`, ",
    "and `as.matrix(S)` when the dense matrix fits in memory; smallest eigenvalues with `min_eigenvalue()`."),
    what), class = "jntk_error_unsupported")
}

#' @rdname jntk_structured-class
#' @param e1,e2 Operands of arithmetic (not supported: an error says what is).
#' @export
setMethod("Ops", signature("jntk_structured", "ANY"), function(e1, e2) {
  structured_unsupported(sprintf("`%s` (arithmetic)", .Generic))
})

#' @rdname jntk_structured-class
#' @export
setMethod("Ops", signature("ANY", "jntk_structured"), function(e1, e2) {
  structured_unsupported(sprintf("`%s` (arithmetic)", .Generic))
})

#' @rdname jntk_structured-class
#' @export
setMethod("Ops", signature("jntk_structured", "jntk_structured"), function(e1, e2) {
  structured_unsupported(sprintf("`%s` (arithmetic)", .Generic))
})

#' @rdname jntk_structured-class
#' @export
setMethod("Math", "jntk_structured", function(x) {
  structured_unsupported(sprintf("`%s()`", .Generic))
})

#' @rdname jntk_structured-class
#' @param na.rm Unused (part of the Summary group generics).
#' @export
setMethod("Summary", "jntk_structured", function(x, ..., na.rm = FALSE) {
  structured_unsupported(sprintf("`%s()`", .Generic))
})

#' @rdname solve-structured
#' @export
setMethod("solve", "jntk_structured", function(a, b, ...) structured_solve(a, b, ...))

#' @rdname jntk_structured-class
#' @export
setMethod("show", "jntk_structured", function(object) {
  n1 <- nrow(object@x1); n2 <- nrow(object@x2); d <- ncol(object@x1)
  nm <- if (object@kind == "jntk") "JNTK" else "Jacobian NNGP"
  cat(sprintf("<jntk_structured> %s, %d x %d points, d = %d (%s activation, depth %d)\n",
              nm, n1, n2, d, object@net$activation, object@net$depth))
  cat(sprintf("  acts as a %s x %s matrix (block-major: f rows first, then d f/dx_i per point)\n",
              format(n1 * (d + 1), big.mark = ","), format(n2 * (d + 1), big.mark = ",")))
  cat(sprintf("  stores 8 scalars per pair: %s vs %s for the dense matrix\n",
              format_bytes(8 * 8 * n1 * n2), format_bytes(8 * (d + 1)^2 * n1 * n2)))
  cat("  use %*%, block(S, \"ff\"|\"fj\"|\"jf\"|\"jj\"), S[i, j], diag(), t(), as.matrix()\n")
  invisible(object)
})

#' @rdname jntk_structured-class
#' @export
print.jntk_structured <- function(x, ...) {
  methods::show(x)
  invisible(x)
}
