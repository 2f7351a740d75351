# Gaussian-process regression at large N without the Cholesky factor
# (?gp_fit, section Large N): the posterior mean through preconditioned
# conjugate gradients on K + D (issue 11's matrix-free solver, src/krylov.c),
# with gradient observations through the structured Jacobian kernel (O(N^2 d)
# per product, never the dense N(d+1) x N(d+1) matrix), and variances at a
# few test points by one solve each.

# Training sizes n (N, or N(d + 1) with gradients) up to this use the dense
# Cholesky under solver = "auto" (its 3 n^2 doubles must also fit the memory
# budget): at n = 10,000 the factorisation is ~3e11 flops, a minute or two
# with R's reference BLAS.
gp_dense_max <- function() {
  v <- getOption("jntk.gp_dense_max", 10000)
  if (!is.numeric(v) || length(v) != 1L || is.na(v) || v < 1) {
    jntk_abort("The option `jntk.gp_dense_max` must be one positive number (the largest n solved densely by solver = \"auto\").",
               class = "jntk_error_argument")
  }
  v
}

gp_auto_solver <- function(n, N, grad) {
  fits <- 3 * as.double(n)^2 * 8 / 1e9 <= max_memory_gb()
  if (fits && n <= gp_dense_max()) return("dense")
  # neither fits: the dense solver's size error says what to do
  if (gp_iterative_fits(N, n, grad)) "iterative" else "dense"
}

# Doubles the iterative solver keeps: the structured training kernel (8 N^2
# scalars, and as much again while it is computed) and a few n-vectors per
# output, or the dense N x N kernel without gradients.
gp_iterative_doubles <- function(N, n, grad) {
  if (grad) 16 * as.double(N)^2 + 8 * as.double(n) else 2 * as.double(N)^2
}
gp_iterative_fits <- function(N, n, grad) {
  gp_iterative_doubles(N, n, grad) * 8 / 1e9 <= max_memory_gb()
}

# Most test rows whose variances predict() computes for an iterative fit
# (one CG solve each).
gp_max_var_rows <- 200L

# The training system K + D as an operator with its preconditioner:
# gradients -> the structured Jacobian kernel (the two-level block
# preconditioner of ?solve-structured when noise = dy_noise, where K + D =
# S + noise I is the operator src/krylov.c knows; a diagonal one otherwise,
# with the structured product called from C); values only -> the dense N x N
# kernel (no factor) with a diagonal preconditioner.
gp_iterative_system <- function(net, kernel, x, grad, add, tied_noise, threads) {
  N <- nrow(x); d <- ncol(x)
  if (grad) {
    S <- gp_structured(net, kernel, x, NULL, threads)
    if (!is.null(tied_noise)) {
      op <- krylov_operator(S, lambda = 1, ridge = tied_noise)
      return(list(op = op, pre = krylov_preconditioner(S, op, "two_level"),
                  preconditioner = "two_level", S = S))
    }
    fun <- function(v) as.vector(structured_times(S, v)) + add * v
    return(list(op = list(fun = fun, n = as.double(N * (d + 1))),
                pre = list(1 / pmax(diag(S, names = FALSE) + add, .Machine$double.xmin)),
                preconditioner = "diagonal", S = S))
  }
  check_alloc(gp_iterative_doubles(N, N, FALSE),
              sprintf("The %s x %s training covariance of the GP (kept dense without gradients) for the %s points of `x`",
                      format(N, big.mark = ","), format(N, big.mark = ","), format(N, big.mark = ",")),
              "Use fewer training points.")
  K <- gp_prior(net, kernel, x, FALSE, threads)
  mo <- matrix_operator(K, 0)
  fun <- function(v) as.vector(K %*% v) + add * v
  list(op = list(fun = fun, n = as.double(N)),
       pre = list(1 / pmax(mo$diag + add, .Machine$double.xmin)),
       preconditioner = "diagonal", K = K)
}

# (K + D)^{-1} B by CG, every column to the relative residual tol; a solve
# that does not converge says what to do in GP terms.
gp_cg <- function(sys, B, tol) {
  n <- krylov_n(sys$op)
  tryCatch(krylov_cg(sys$op, sys$pre, B, tol = tol, maxit = as.integer(min(10 * n, 5000)),
                     verbose = interactive()),
    jntk_error_convergence = function(e) {
      jntk_abort(sprintf(paste0(
        "The GP's conjugate-gradient solve did not converge: relative residual %.3g after %d ",
        "iteration(s) (tol = %.3g). The training covariance is (close to) singular: add observation ",
        "`noise` (e.g. 1e-6 x the prior variance), remove duplicated inputs, loosen `tol`, or use ",
        "solver = \"dense\" (which adds a reported jitter) if it fits."),
        max(e$residual), as.integer(max(e$iterations)), tol),
        class = "jntk_error_convergence",
        data = list(residual = e$residual, iterations = e$iterations))
    })
}

gp_build_iterative <- function(net, data, kernel, noise, dy_noise, tied, threads, tol) {
  N <- nrow(data$x); d <- ncol(data$x); k <- ncol(data$y)
  grad <- !is.null(data$dy)
  n <- if (grad) N * (d + 1) else N
  z <- gp_stack(data$y, data$dy)
  add <- gp_noise_diag(N, d, grad, noise, dy_noise)
  sys <- gp_iterative_system(net, kernel, data$x, grad, add,
                             if (!grad || noise == dy_noise) noise else NULL, threads)
  res <- gp_cg(sys, z, tol)
  structure(list(
    net = net, kernel = kernel, x = data$x, y = data$y, dy = data$dy,
    levels = data$levels, target = data$target, data = data,
    N = N, d = d, k = k, n = n, gradients = grad, z = z,
    noise = noise, dy_noise = if (grad) dy_noise else NA_real_, tied = tied,
    added = add, jitter = 0, rcond = NA_real_, chol = NULL, alpha = res$x, loglik = NA_real_,
    df = 0L, solver = "iterative", threads = threads, optimisation = NULL,
    system = sys, tol = tol,
    cg = list(iterations = res$iterations, residual = res$residual, time = res$time,
              preconditioner = sys$preconditioner)
  ), class = "gp_fit")
}

# predict() for an iterative fit: the mean by products with the (structured)
# cross kernel; variances (and cov) by one CG solve per requested row.
gp_predict_iterative <- function(gp, xn, cov, jacobian, var, threads) {
  m <- nrow(xn); d <- gp$d; N <- gp$N
  mr <- if (jacobian) m * (d + 1) else m
  if (gp$gradients || jacobian) {
    Sx <- gp_structured(gp$net, gp$kernel, xn, gp$x, threads)
    A <- if (gp$gradients) gp$alpha else rbind(gp$alpha, matrix(0, N * d, gp$k))
    mean_rows <- structured_times(Sx, A)[seq_len(mr), , drop = FALSE]
    columns <- function() {
      E <- matrix(0, m * (d + 1), mr)
      E[cbind(seq_len(mr), seq_len(mr))] <- 1
      Kc <- structured_times(t(Sx), E)
      if (gp$gradients) Kc else Kc[seq_len(N), , drop = FALSE]
    }
  } else {
    Kx <- unname(as.matrix(analytic_kernel(gp$net, xn, gp$x, gp$kernel, threads)))
    mean_rows <- Kx %*% gp$alpha
    columns <- function() t(Kx)
  }
  if (!var) return(gp_prediction(gp, xn, mean_rows, rep(NA_real_, mr), NULL, jacobian))
  if (mr > gp_max_var_rows) {
    jntk_abort(sprintf(paste0(
      "The variances of an iterative GP fit cost one conjugate-gradient solve per predicted %s: ",
      "%d here, more than %d. Predict the mean alone (`var = FALSE`) or the variances at fewer ",
      "points."), if (jacobian) "value and gradient entry" else "value", mr, gp_max_var_rows),
      class = "jntk_error_size")
  }
  check_alloc(3 * as.double(gp$n) * mr,
              sprintf("The variances at %d input(s) (`newdata`) of an iterative GP fit", m),
              "Predict the variances at fewer points, or use var = FALSE.")
  Kc <- columns()                                   # n x mr: K(X, x_new)
  V <- gp_cg(gp$system, Kc, gp$tol)$x               # (K + D)^{-1} K(X, x_new)
  if (cov) {
    C <- gp_prior(gp$net, gp$kernel, xn, jacobian, threads) - crossprod(Kc, V)
    C <- (C + t(C)) / 2
    v <- diag(C)
  } else {
    C <- NULL
    v <- gp_prior_diag(gp$net, gp$kernel, xn, jacobian, threads) - colSums(Kc * V)
  }
  gp_prediction(gp, xn, mean_rows, pmax(v, 0), C, jacobian)
}

gp_refuse_iterative <- function(gp, what) {
  if (!identical(gp$solver, "iterative")) return(invisible(gp))
  jntk_abort(sprintf(paste0(
    "%s is not available for this fit, solved by conjugate gradients (solver = \"iterative\", ",
    "n = %s): they give (K + D)^{-1} z but not log det(K + D), which the log marginal likelihood ",
    "needs (nor the inverse covariance of leave-one-out). Refit with solver = \"dense\" where the ",
    "%s x %s Cholesky factor fits, or compare models by held-out predictions."), what,
    format(gp$n, big.mark = ","),
    format(gp$n, big.mark = ","), format(gp$n, big.mark = ",")),
    class = "jntk_error_unsupported")
}
