# Matrix-free linear algebra on Jacobian kernels (issue 11): the operator
# A = Lambda^{1/2} (Theta + r I) Lambda^{1/2} applied through the per-pair
# scalars of a structured kernel (src/krylov.c on top of jacobian_matvec), or
# through an R function for dense and file-backed kernels; preconditioned
# conjugate gradients in C; Lanczos (in R, every product in C) for matrix
# functions and extreme eigenvalues.

#' Solve a linear system with a structured Jacobian kernel
#'
#' Solves \eqn{(S + rI) z = b} for a symmetric structured Jacobian kernel
#' \eqn{S} (from `jntk(net, x, as = "structured")` or
#' `jacobian_nngp(net, x, as = "structured")`) by preconditioned conjugate
#' gradients, without ever forming the dense \eqn{N(d+1) \times N(d+1)}
#' matrix: each iteration is one product in \eqn{O(N^2 d)} (a 785,000-unknown
#' system on 1,000 MNIST-sized images needs 64 MB for the kernel instead of
#' 4.9 TB).
#'
#' The preconditioner uses the structure (math.md section 3): the
#' Jacobian-Jacobian block of \eqn{S} is \eqn{F_p \otimes I_d} plus a rank-two
#' term per pair, so `"block"` uses
#' \eqn{M = \mathrm{blockdiag}(F + rI, (F_p + rI) \otimes I_d)}, inverted from two
#' \eqn{N \times N} Cholesky factors (\eqn{O(N^3)} once, \eqn{O(N^2 d)} per
#' iteration). `"two_level"` (the default) adds an exact coarse correction on
#' the \eqn{2N} directions "output at \eqn{x_a}" and "Jacobian at \eqn{x_a}
#' along \eqn{x_a}", through which \eqn{f} and its Jacobian are most strongly
#' coupled (its \eqn{2N \times 2N} Galerkin matrix comes from the scalars;
#' one more Cholesky factor). `"diagonal"` (Jacobi) and `"none"` are there to
#' compare.
#' A dense matrix or a file-backed `big.matrix` (from [ntk()]`(..., file = )`)
#' is solved the same way, its product streamed in column blocks.
#'
#' @param a A symmetric `"jntk_structured"` kernel (inputs `x1 = x2`), a
#'   symmetric numeric matrix or a file-backed `bigmemory::big.matrix`.
#' @param b Right-hand side: a vector of length `nrow(a)` or a matrix with
#'   that many rows (each column solved in turn).
#' @param ridge Absolute diagonal term \eqn{r \ge 0}.
#' @param tol Relative residual \eqn{\|b - (S + rI)z\|/\|b\|} to reach (checked
#'   on the true residual, not only CG's recurrence).
#' @param maxit Maximum iterations per column (default `min(10 n, 2000)`).
#' @param preconditioner `"two_level"` (default for structured kernels), `"block"`,
#'   `"diagonal"` (default for matrices) or `"none"`.
#' @param verbose Print the residual every 10 iterations (default: in
#'   interactive sessions).
#' @param ... Unused.
#' @return The solution \eqn{z} (a vector, or a matrix for a matrix `b`) with
#'   attributes `iterations` (per column), `residual` (final relative
#'   residuals), `time` (seconds elapsed), `products` (operator products) and
#'   `preconditioner`. A solve that does not reach `tol` is an error of class
#'   `jntk_error_convergence` carrying the residual reached.
#' @seealso [gradient_flow()] (`solver = "iterative"`), [min_eigenvalue()],
#'   [jntk_structured-class].
#' @examples
#' net <- mlp(2, "erf", sigma_b = 0.1)
#' x <- matrix(rnorm(12), 6, 2)
#' S <- jntk(net, x, as = "structured")
#' b <- rnorm(nrow(S))
#' z <- solve(S, b, ridge = 1e-6)
#' attr(z, "iterations"); attr(z, "residual")
#' max(abs(as.matrix(S) %*% z + 1e-6 * z - b))
#' @name solve-structured
NULL

structured_solve <- function(a, b, ridge = 0, tol = 1e-10, maxit = NULL,
                             preconditioner = c("two_level", "block", "diagonal", "none"),
                             verbose = interactive(), ...) {
  S <- a
  if (!isTRUE(S@symmetric)) {
    jntk_abort("`solve()` needs a symmetric structured kernel: the kernel of `x` with itself (`jntk(net, x, as = \"structured\")`), not a cross kernel.",
               class = "jntk_error_unsupported")
  }
  preconditioner <- check_choice(preconditioner, c("two_level", "block", "diagonal", "none"),
                                 "preconditioner")
  op <- krylov_operator(S, lambda = 1, ridge = check_number(ridge, "ridge", lower = 0))
  pre <- krylov_preconditioner(S, op, preconditioner)
  krylov_solve_user(op, pre, b, tol, maxit, verbose, preconditioner)
}

# Dense or file-backed matrices (S3 so that bigmemory stays in Suggests:
# a big.matrix is an S4 object whose class attribute S3 dispatch reads).
#' @rdname solve-structured
#' @method solve big.matrix
#' @export
solve.big.matrix <- function(a, b, ridge = 0, tol = 1e-10, maxit = NULL,
                             preconditioner = c("diagonal", "none"),
                             verbose = interactive(), ...) {
  preconditioner <- check_choice(preconditioner, c("diagonal", "none"), "preconditioner")
  ridge <- check_number(ridge, "ridge", lower = 0)
  op <- matrix_operator(a, ridge)
  pre <- if (preconditioner == "diagonal") list(1 / pmax(op$diag, .Machine$double.xmin)) else NULL
  krylov_solve_user(op[c("fun", "n")], pre, b, tol, maxit, verbose, preconditioner)
}

krylov_solve_user <- function(op, pre, b, tol, maxit, verbose, preconditioner) {
  n <- krylov_n(op)
  vec <- is.null(dim(b))
  if (!is.numeric(b) || (vec && length(b) != n) || (!vec && nrow(b) != n) || any(!is.finite(b))) {
    jntk_abort(sprintf("`b` must be a finite numeric vector of length %d (or a matrix with %d rows), the size of the kernel.",
                       n, n), class = "jntk_error_input")
  }
  tol <- check_number(tol, "tol", lower = 0, lower_open = TRUE)
  maxit <- if (is.null(maxit)) as.integer(min(10 * n, 2000)) else
    check_number(maxit, "maxit", lower = 1, integer = TRUE)
  verbose <- check_flag(verbose, "verbose")
  B <- if (vec) matrix(as.double(b), ncol = 1L) else { storage.mode(b) <- "double"; b }
  res <- krylov_cg(op, pre, B, tol = tol, maxit = maxit, verbose = verbose)
  z <- if (vec) as.vector(res$x) else res$x
  attr(z, "iterations") <- res$iterations
  attr(z, "residual") <- res$residual
  attr(z, "time") <- res$time
  attr(z, "products") <- res$products
  attr(z, "preconditioner") <- preconditioner
  z
}

# ------------------------------------------------------------- operators

# The operator list for C: a symmetric structured kernel with the weights
# Lambda = diag(1 (N), lambda (N d)) and a ridge.
krylov_operator <- function(S, lambda, ridge) {
  list(F = S@F, x = S@x1, lambda = as.double(lambda), ridge = as.double(ridge))
}

krylov_n <- function(op) {
  if (!is.null(op$F)) nrow(op$x) * (ncol(op$x) + 1L) else as.integer(op$n)
}

# A dense matrix or a file-backed big.matrix as an operator: list(fun, n,
# diag). The big.matrix product streams column blocks of about 64 MB (the
# file is column-major, so a column block is one contiguous read).
matrix_operator <- function(K, ridge = 0, scale = NULL) {
  n <- nrow(K)
  if (is.null(n) || ncol(K) != n) {
    jntk_abort("The kernel matrix must be square.", class = "jntk_error_input")
  }
  sc <- if (is.null(scale)) rep(1, n) else scale
  if (inherits(K, "big.matrix")) {
    bs <- max(1L, floor(8e6 / n))
    starts <- seq(1L, n, by = bs)
    dg <- numeric(n)
    for (s in starts) {
      cols <- s:min(n, s + bs - 1L)
      dg[cols] <- K[cbind(cols, cols)]
    }
    fun <- function(v) {
      w <- sc * v
      out <- numeric(n)
      for (s in starts) {
        cols <- s:min(n, s + bs - 1L)
        out <- out + as.vector(K[, cols, drop = FALSE] %*% w[cols])
      }
      sc * out + ridge * sc^2 * v
    }
  } else {
    if (!is.numeric(K) || any(!is.finite(K))) {
      jntk_abort("The kernel matrix must be finite and numeric.", class = "jntk_error_input")
    }
    K <- unclass(K); attributes(K) <- list(dim = dim(K))
    dg <- diag(K)
    fun <- function(v) sc * as.vector(K %*% (sc * v)) + ridge * sc^2 * v
  }
  list(fun = fun, n = as.double(n), diag = sc^2 * (dg + ridge))
}

# Preconditioner for the structured operator: list(Uf, Uj, lambda) (block),
# list(dinv) (diagonal) or NULL. Cholesky factors of F + rI and F_p + rI; a
# factor that fails (F_p need not be definite) is retried with a jitter of
# 1e-12, 1e-10, ... times its mean diagonal: only the preconditioner changes,
# never the system solved.
krylov_preconditioner <- function(S, op, type) {
  if (type == "none") return(NULL)
  N <- nrow(S@x1); d <- ncol(S@x1)
  if (type == "diagonal") {
    dg <- diag(S)
    sl2 <- c(rep(1, N), rep(op$lambda, N * d))
    return(list(1 / pmax(sl2 * (dg + op$ridge), .Machine$double.xmin)))
  }
  F0 <- S@F[, , 1]; Fp <- S@F[, , 2]
  pre <- list(robust_chol(F0 + diag(op$ridge, N)), robust_chol(Fp + diag(op$ridge, N)), op$lambda)
  if (type == "two_level") pre[[4]] <- robust_chol(coarse_matrix(S, op$lambda, op$ridge))
  pre
}

# Galerkin matrix Z'AZ of the coarse directions (output at x_a; Jacobian at
# x_a along x_a), from the polar scalars (K, P, Q, R, S, T_q, T_r, U) of
# ?jacobian_nngp (Structure) contracted with x_a = n_a x^_a and x_b = m_b x^_b:
# x^'.e' = 0 and x^.e = 0 leave
#   f-f: K;  f-radial: sqrt(lambda) R m_b;  radial-radial: lambda n_a m_b U
# (ridge: r on f, lambda r |x_a|^2 on radial).
coarse_matrix <- function(S, lambda, ridge) {
  F <- S@F; x <- S@x1; N <- nrow(x)
  q <- rowSums(x^2); nrm <- sqrt(q)
  sl <- sqrt(lambda)
  Efr <- sl * matrix(F[, , 4], N, N) * rep(nrm, each = N)
  Err <- lambda * matrix(F[, , 8], N, N) * tcrossprod(nrm)
  E <- rbind(cbind(matrix(F[, , 1], N, N), Efr), cbind(t(Efr), Err))
  E <- (E + t(E)) / 2
  diag(E) <- diag(E) + ridge * c(rep(1, N), lambda * q)
  E
}

robust_chol <- function(A) {
  A <- (A + t(A)) / 2
  s <- mean(abs(diag(A)))
  if (!(s > 0)) s <- 1
  for (j in c(0, 10^seq(-12, 0, by = 2))) {
    U <- tryCatch(chol(A + diag(j * s, nrow(A))), error = function(e) NULL)
    if (!is.null(U)) return(U)
  }
  diag(sqrt(s), nrow(A))
}

# Products and preconditioned CG (C); the R function of a dense or
# file-backed operator is called from C.
krylov_apply <- function(op, V) {
  V <- if (is.null(dim(V))) matrix(as.double(V), ncol = 1L) else V
  .Call(C_krylov_apply, op, V, environment())
}

krylov_cg <- function(op, pre, B, X0 = NULL, tol, maxit, verbose = FALSE, error = TRUE) {
  t0 <- proc.time()[["elapsed"]]
  res <- .Call(C_krylov_cg, op, pre, B, X0, as.double(tol), as.integer(maxit),
               as.integer(isTRUE(verbose)), environment())
  res$time <- proc.time()[["elapsed"]] - t0
  bad <- !(res$residual <= tol)
  res$converged <- !any(bad)
  if (any(bad) && error) {
    k <- which(bad)[1]
    dg <- if (!is.null(op$F)) mean(op$F[, , 1][cbind(seq_len(nrow(op$x)), seq_len(nrow(op$x)))]) else NA
    jntk_abort(sprintf(paste0(
      "Conjugate gradients did not converge: relative residual %.3g after %d iteration(s) ",
      "(tol = %.3g, maxit = %d)%s. The kernel is probably (close to) singular: add a ridge%s, ",
      "loosen `tol`, or raise `maxit`."),
      res$residual[k], res$iterations[k], tol, maxit,
      if (ncol(B) > 1L) sprintf(" for column %d", k) else "",
      if (is.finite(dg)) sprintf(" (e.g. `ridge = %.2g`, 1e-6 of the mean diagonal)", 1e-6 * dg) else ""),
      class = "jntk_error_convergence",
      data = list(residual = res$residual, iterations = res$iterations))
  }
  res
}

# ------------------------------------------------------------- Lanczos

# Lanczos with full reorthogonalisation for the matrix functions
# f_j(A) b (j = 1..T) of a symmetric positive semi-definite operator:
# f_j(A) b ~ |b| V_k f_j(T_k) e_1 in the Krylov basis V_k. fun(theta) gives the
# k x T matrix f_j(theta_i) at the Ritz values. Stopping rule (a posteriori):
# every `every` steps the coefficients of the approximation are compared with
# those `every` steps earlier; the change, relative to the approximation, is
# the error estimate (Lanczos for analytic functions converges
# superlinearly, so the change bounds the error from the later iterate).
# Returns list(value (n x T), iterations, error, ritz, lambda_max).
krylov_lanczos_fun <- function(apply, b, fun, tol = 1e-11, maxit = 500L, every = 4L,
                               verbose = FALSE) {
  n <- length(b)
  nb <- sqrt(sum(b^2))
  if (nb == 0) {
    T0 <- ncol(fun(1))
    return(list(value = matrix(0, n, T0), iterations = 0L, error = 0, ritz = numeric(0)))
  }
  maxit <- min(maxit, n)
  check_alloc(as.double(n) * (maxit + 2),
              sprintf("The Lanczos basis (%s x %d)", format(n, big.mark = ","), maxit),
              "Use fewer iterations (`maxit`), or predict at smaller times.")
  V <- matrix(0, n, min(maxit, 64L) + 1L)
  V[, 1] <- b / nb
  alpha <- numeric(0); beta <- numeric(0)
  prev <- NULL; err <- Inf; k <- 0L
  coef_at <- function(k) {
    Tk <- diag(alpha[seq_len(k)], k)
    if (k > 1L) { Tk[cbind(2:k, 1:(k - 1))] <- beta[1:(k - 1)]; Tk[cbind(1:(k - 1), 2:k)] <- beta[1:(k - 1)] }
    e <- eigen(Tk, symmetric = TRUE)
    h <- fun(e$values)
    list(coef = nb * e$vectors %*% (h * e$vectors[1, ]), ritz = e$values, last = e$vectors[k, ])
  }
  cur <- NULL
  repeat {
    k <- k + 1L
    if (k + 1L > ncol(V)) V <- cbind(V, matrix(0, n, min(ncol(V), maxit + 1L - ncol(V))))
    w <- as.vector(apply(V[, k]))
    a <- sum(w * V[, k])
    alpha[k] <- a
    # full reorthogonalisation (twice is enough, Parlett's "twice is enough")
    Vk <- V[, seq_len(k), drop = FALSE]
    w <- w - Vk %*% crossprod(Vk, w)
    w <- as.vector(w - Vk %*% crossprod(Vk, w))
    bk <- sqrt(sum(w^2))
    beta[k] <- bk
    breakdown <- bk <= 1e-14 * max(abs(alpha))
    if (verbose) {
      cat(sprintf("\r  Lanczos step %d, error estimate %.3g   ", k, err))
      utils::flush.console()
    }
    if (breakdown || k %% every == 0L || k >= maxit) {
      cur <- coef_at(k)
      if (breakdown) { err <- 0; break }
      if (!is.null(prev)) {
        pc <- rbind(prev$coef, matrix(0, k - nrow(prev$coef), ncol(prev$coef)))
        err <- max(sqrt(colSums((cur$coef - pc)^2)) / pmax(sqrt(colSums(cur$coef^2)), 1e-300))
        if (err <= tol) break
      }
      prev <- cur
      if (k >= maxit) break
    }
    V[, k + 1L] <- w / bk
  }
  if (verbose) cat("\n")
  value <- V[, seq_len(k), drop = FALSE] %*% cur$coef
  list(value = value, iterations = k, error = err, ritz = cur$ritz,
       lambda_max = max(cur$ritz) + abs(beta[k] * cur$last[which.max(cur$ritz)]),
       converged = err <= tol)
}

# Extreme eigenvalue ("largest" or, of a positive definite operator through
# `apply` = its inverse, the largest of the inverse) by Lanczos with full
# reorthogonalisation from a fixed pseudo-random start (reproducible, and not
# drawn from R's generator); stops when the Ritz residual |beta_k s_k| is
# below tol times the Ritz value. Returns list(value, residual, iterations).
krylov_lanczos_extreme <- function(apply, n, tol = 1e-10, maxit = 300L, verbose = FALSE) {
  v <- sin(seq_len(n) * 1.618034) + 0.5
  v <- v / sqrt(sum(v^2))
  maxit <- min(maxit, n)
  V <- matrix(0, n, maxit + 1L); V[, 1] <- v
  alpha <- numeric(0); beta <- numeric(0)
  for (k in seq_len(maxit)) {
    w <- as.vector(apply(V[, k]))
    alpha[k] <- sum(w * V[, k])
    Vk <- V[, seq_len(k), drop = FALSE]
    w <- w - Vk %*% crossprod(Vk, w)
    w <- as.vector(w - Vk %*% crossprod(Vk, w))
    beta[k] <- sqrt(sum(w^2))
    Tk <- diag(alpha, k)
    if (k > 1L) { Tk[cbind(2:k, 1:(k - 1))] <- beta[1:(k - 1)]; Tk[cbind(1:(k - 1), 2:k)] <- beta[1:(k - 1)] }
    e <- eigen(Tk, symmetric = TRUE)
    res <- abs(beta[k] * e$vectors[k, 1])
    if (verbose) {
      cat(sprintf("\r  Lanczos step %d, Ritz residual %.3g   ", k, res / abs(e$values[1])))
      utils::flush.console()
    }
    if (res <= tol * abs(e$values[1]) || beta[k] <= 1e-14 * abs(e$values[1]) || k == maxit) break
    V[, k + 1L] <- w / beta[k]
  }
  if (verbose) cat("\n")
  list(value = e$values[1], residual = res, iterations = k)
}
