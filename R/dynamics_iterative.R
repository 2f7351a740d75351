# The gradient flow without the dense kernel (issue 11): the training kernel
# stays structured (8 scalars per pair, or a dense / file-backed matrix for
# the plain NTK) and every prediction is a few Krylov solves.
#
# With A = Lambda^{1/2} (Theta + r I) Lambda^{1/2} and b = Lambda^{1/2} (Y~ - U_0),
#   mean f_t(x) = Theta(x, X) Lambda^{1/2} h_t(A) b,  h_t(D) = -expm1(-D t/N)/D
# (Jacot et al. 2018, Section 5; Kim and Yang 2024, Theorem 4.5): h_t(A) b by
# Lanczos on A (krylov_lanczos_fun, one run for every finite t), h_inf(A) b =
# A^{-1} b by preconditioned CG (krylov_cg), and the product with Theta(x, X)
# through the structured cross kernel, (d + 1) times cheaper than its dense
# rows.

# Set up the iterative flow: the structured training kernel (or an operator
# over a given matrix), the preconditioner, and a short Lanczos run for the
# extreme eigenvalue estimates (lr's stability limit, plot time scales, the
# conditioning warning).
flow_iterative <- function(net, x, tg, lambda, ridge, kernel, threads, tol) {
  N <- nrow(x); d <- ncol(x)
  jac <- lambda > 0
  n <- if (jac) N * (d + 1) else N
  sl <- if (jac) sqrt(c(rep(1, N), rep(lambda, N * d))) else rep(1, N)
  S <- NULL
  if (!is.null(kernel)) {
    if (nrow(kernel) != n || ncol(kernel) != n) {
      jntk_abort(sprintf("`kernel` must be the %d x %d training %s on `x`, not %d x %d.",
                         n, n, if (jac) "JNTK" else "NTK", nrow(kernel), ncol(kernel)),
                 class = "jntk_error_input")
    }
    mo <- matrix_operator(kernel, ridge, scale = sl)
    op <- mo[c("fun", "n")]
    pre <- list(1 / pmax(mo$diag, .Machine$double.xmin))
    pre_type <- "diagonal"
  } else if (jac) {
    S <- jntk(net, x, as = "structured", threads = threads)
    op <- krylov_operator(S, lambda, ridge)
    pre <- krylov_preconditioner(S, op, "two_level")
    pre_type <- "two_level"
  } else {
    check_alloc(2 * as.double(N)^2,
                sprintf("The %s x %s training NTK of the %s points of `x` (kept dense for lambda = 0)",
                        format(N, big.mark = ","), format(N, big.mark = ","), format(N, big.mark = ",")),
                "Use fewer training points.")
    K <- dense_kernel(ntk(net, x, threads = threads))
    mo <- matrix_operator(K, ridge)
    op <- mo[c("fun", "n")]
    pre <- list(1 / pmax(mo$diag, .Machine$double.xmin))
    pre_type <- "diagonal"
  }
  ytil <- if (jac) rbind(tg$y, matrix(0, N * d, tg$k)) else tg$y
  # extreme eigenvalues: 20 Lanczos steps from the targets (the top of the
  # spectrum converges first; the smallest Ritz value is an upper bound of
  # the smallest eigenvalue)
  b1 <- sl * ytil[, 1]
  if (!any(b1 != 0)) b1 <- rep(1, n)
  lz <- krylov_lanczos_fun(function(v) krylov_apply(op, v), b1, function(th) matrix(0, length(th), 1),
                           tol = 0, maxit = min(20L, n), every = min(20L, n))
  list(solver = "iterative", op = op, pre = pre, preconditioner = pre_type, S = S,
       sqrt_lambda = sl, ytil = ytil, values = sort(pmax(lz$ritz, 0)), values_raw = sort(lz$ritz),
       lambda_max = lz$lambda_max, tol = tol, cache = new.env(parent = emptyenv()),
       has_kernel = !is.null(kernel))
}

# h_t(A) B for every column of B and every time: an n x ncol(B) x T array.
# Finite times by Lanczos (one run per column serves all of them), t = Inf
# by CG. lr > 0: the gradient-descent filter of dynamics_filters.
flow_apply_filter <- function(fl, B, t, lr, threads) {
  n <- fl$n; nT <- length(t)
  out <- array(0, c(n, ncol(B), nT))
  fin <- which(is.finite(t) & t > 0)
  inf <- which(is.infinite(t))
  apply_op <- function(v) krylov_apply(fl$op, v)
  for (c in seq_len(ncol(B))) {
    if (length(fin)) {
      tf <- as.double(t[fin])
      lz <- krylov_lanczos_fun(apply_op, B[, c],
                               function(th) .Call(C_dynamics_filters, pmax(th, 0), tf, as.double(fl$N),
                                                  as.double(lr), 1L),
                               tol = fl$tol, maxit = min(n, 1000L), verbose = interactive())
      if (!lz$converged) {
        jntk_abort(sprintf(paste0("Lanczos for the flow's filter at t = %s did not converge: error estimate %.3g after %d steps. ",
                                  "Use smaller times, a ridge, or solver = \"dense\" if the kernel fits."),
                           paste(format(tf), collapse = ", "), lz$error, lz$iterations),
                   class = "jntk_error_convergence", data = list(residual = lz$error))
      }
      out[, c, fin] <- lz$value
      krylov_log(fl, data.frame(method = "lanczos", column = c, iterations = lz$iterations,
                                accuracy = lz$error, time = NA_real_))
    }
  }
  if (length(inf)) {
    res <- krylov_cg(fl$op, fl$pre, B, tol = fl$tol, maxit = as.integer(min(10 * n, 5000)),
                     verbose = interactive())
    for (j in inf) out[, , j] <- res$x
    krylov_log(fl, data.frame(method = "cg", column = seq_len(ncol(B)), iterations = res$iterations,
                              accuracy = res$residual, time = res$time / ncol(B)))
  }
  out
}

# A record of the Krylov runs of an iterative flow (fl$cache$log): method,
# right-hand side, iterations, accuracy reached (CG relative residual, Lanczos
# error estimate) and time; predict() returns the rows of its own call.
krylov_log <- function(fl, row) {
  assign("log", rbind(fl$cache[["log"]], row), envir = fl$cache)
}

# Coefficients a_t = Lambda^{1/2} h_t(A) Lambda^{1/2} (Y~ - U_0): n x k x T,
# cached on the flow for the targets (robustness() asks for them per step).
flow_coefficients <- function(fl, t, lr, U0 = NULL, threads) {
  key <- paste(c(format(t, digits = 17), lr), collapse = "|")
  if (is.null(U0) && !is.null(fl$cache[[key]])) return(fl$cache[[key]])
  R <- fl$ytil
  if (!is.null(U0)) R <- R - as.vector(U0)
  W <- flow_apply_filter(fl, fl$sqrt_lambda * R, t, lr, threads)
  a <- array(fl$sqrt_lambda * as.vector(W), dim(W))
  if (is.null(U0)) assign(key, a, envir = fl$cache)
  a
}

# Products of the cross kernel Theta(xn, X) (rows: f, then Jacobian rows when
# asked) with the columns of A (n x ncol): structured for the JNTK, dense rows
# for the plain NTK.
flow_cross_times <- function(fl, xn, A, jacobian, threads, kind = "jntk") {
  net <- fl$net; m <- nrow(xn); N <- fl$N
  if (fl$kernel == "jntk") {
    Sx <- if (kind == "jntk") jntk(net, xn, fl$x, as = "structured", threads = threads) else
      jacobian_nngp(net, xn, fl$x, as = "structured", threads = threads)
    out <- Sx %*% A
    return(if (jacobian) out else out[seq_len(m), , drop = FALSE])
  }
  plain <- if (kind == "jntk") ntk else nngp
  f <- dense_kernel(plain(net, xn, fl$x, threads = threads)) %*% A
  if (!jacobian) return(f)
  if (net$smooth) {
    Sx <- if (kind == "jntk") jntk(net, xn, fl$x, as = "structured", threads = threads) else
      jacobian_nngp(net, xn, fl$x, as = "structured", threads = threads)
    Af <- rbind(A, matrix(0, N * fl$d, ncol(A)))
    return((Sx %*% Af))
  }
  rbind(f, fd_kernel_rows(function(z) dense_kernel(plain(net, z, fl$x, threads = threads)), xn) %*% A)
}

# Dense cross-kernel rows (mr x n) for the covariance.
flow_cross_dense <- function(fl, xn, jacobian, kind, threads) {
  net <- fl$net; m <- nrow(xn)
  if (fl$kernel == "jntk" || (jacobian && net$smooth)) {
    K <- dense_kernel(if (kind == "jntk") jntk(net, xn, fl$x, threads = threads) else
      jacobian_nngp(net, xn, fl$x, threads = threads))
    if (fl$kernel == "ntk") K <- K[, seq_len(fl$N), drop = FALSE]
    return(if (jacobian) K else K[seq_len(m), , drop = FALSE])
  }
  plain <- if (kind == "jntk") ntk else nngp
  K <- dense_kernel(plain(net, xn, fl$x, threads = threads))
  if (jacobian) K <- rbind(K, fd_kernel_rows(function(z) dense_kernel(plain(net, z, fl$x, threads = threads)), xn))
  K
}

predict_iterative <- function(fl, xn, t, cov, jacobian, nw, lr, threads) {
  n_log <- NROW(fl$cache[["log"]])
  m <- nrow(xn); k <- fl$k; nT <- length(t)
  mr <- if (jacobian) m * (fl$d + 1) else m
  U0 <- if (is.null(nw)) NULL else flow_network_state(nw, fl$x, jacobian = fl$kernel == "jntk")
  a <- flow_coefficients(fl, t, lr, U0, threads)
  mean_rows <- array(flow_cross_times(fl, xn, matrix(a, fl$n, k * nT), jacobian, threads),
                     c(mr, k, nT))
  covs <- NULL
  if (cov) {
    # C_t = Lambda^{1/2} h_t(A) Lambda^{1/2} Theta(X, x) (n x mr per time);
    # cov_t = Sigma(x, x) - C_t' Sigma(X, x) - Sigma(x, X) C_t + C_t' Sigma(X, X) C_t
    Th <- flow_cross_dense(fl, xn, jacobian, "jntk", threads)   # mr x n
    Sg <- flow_cross_dense(fl, xn, jacobian, "sigma", threads)  # mr x n
    sxx <- if (jacobian) dense_kernel(jacobian_nngp(fl$net, xn, threads = threads)) else
      dense_kernel(nngp(fl$net, xn, threads = threads))
    sxx <- (sxx + t(sxx)) / 2
    W <- flow_apply_filter(fl, fl$sqrt_lambda * t(Th), t, lr, threads)
    covs <- array(0, c(mr, mr, nT))
    for (j in seq_len(nT)) {
      Ct <- fl$sqrt_lambda * W[, , j]
      SC <- flow_sigma_times(fl, Ct, threads)
      Q <- Sg %*% Ct
      cv <- sxx - t(Q) - Q + crossprod(Ct, SC)
      covs[, , j] <- (cv + t(cv)) / 2
    }
  }
  lg <- fl$cache[["log"]]
  runs <- if (NROW(lg) > n_log) lg[seq(n_log + 1L, NROW(lg)), , drop = FALSE] else NULL
  list(mean = mean_rows, cov = covs, krylov = runs)
}

# Sigma(X, X) %*% C on the training set (structured Jacobian NNGP, computed
# once and cached; the NNGP for plain flows).
flow_sigma_times <- function(fl, C, threads) {
  Sg <- fl$cache[["sigma"]]
  if (is.null(Sg)) {
    Sg <- if (fl$kernel == "jntk") jacobian_nngp(fl$net, fl$x, as = "structured", threads = threads) else
      dense_kernel(nngp(fl$net, fl$x, threads = threads))
    assign("sigma", Sg, envir = fl$cache)
  }
  if (is.matrix(Sg)) Sg %*% C else Sg %*% C
}

# The k largest eigenpairs of A = Lambda^{1/2}(Theta + rI)Lambda^{1/2} of an
# iterative flow (for eigenfeatures on the top of the spectrum): RSpectra's
# eigs_sym on the operator when installed, else lanczos_top().
# list(values (decreasing), vectors n x k).
flow_top_eigen <- function(fl, k, tol = 1e-10, spectra = requireNamespace("RSpectra", quietly = TRUE)) {
  n <- fl$n
  k <- as.integer(min(k, n - 2L))
  f <- function(v) as.vector(krylov_apply(fl$op, v))
  if (k < 1L) return(list(values = numeric(0), vectors = matrix(0, n, 0)))
  if (spectra) {
    e <- RSpectra::eigs_sym(function(v, args) f(v), k = k, which = "LA", n = n,
                            opts = list(tol = tol, ncv = min(n, max(2L * k + 1L, 20L))))
    return(list(values = e$values, vectors = e$vectors))
  }
  lanczos_top(f, n, k, tol = tol)
}

# The k largest eigenpairs of a symmetric operator f on R^n without RSpectra:
# Lanczos with full reorthogonalisation (twice), the basis doubled until the
# k leading Ritz pairs have residuals |beta_m s_mi| <= tol |theta_1|. One
# Krylov space holds one vector of a repeated eigenvalue, so the pairs found
# are checked by a second run on the operator deflated by them (P f P, with
# P the projector off their span, from a new fixed start each time): a Ritz
# value there above the k-th value is a missed copy, which joins the set,
# and the check repeats.
lanczos_top <- function(f, n, k, tol = 1e-10) {
  run <- function(apply, start, k) {
    m <- min(n, max(2L * k + 20L, 40L))
    repeat {
      check_alloc(as.double(n) * (m + 1), sprintf("The Lanczos basis (%s x %d)", format(n, big.mark = ","), m),
                  "Install RSpectra, or ask for fewer eigenpairs.")
      V <- matrix(0, n, m + 1L)
      V[, 1] <- start / sqrt(sum(start^2))
      al <- numeric(m); be <- numeric(m)
      steps <- m
      for (j in seq_len(m)) {
        w <- apply(V[, j])
        al[j] <- sum(w * V[, j])
        for (pass in 1:2) w <- w - V[, 1:j, drop = FALSE] %*% crossprod(V[, 1:j, drop = FALSE], w)
        be[j] <- sqrt(sum(w^2))
        if (be[j] <= 1e-14 * max(abs(al[1:j]))) { steps <- j; be[j] <- 0; break } # invariant subspace
        V[, j + 1L] <- w / be[j]
      }
      T <- diag(al[1:steps], steps)
      if (steps > 1L) T[cbind(2:steps, 1:(steps - 1L))] <- T[cbind(1:(steps - 1L), 2:steps)] <- be[1:(steps - 1L)]
      e <- eigen(T, symmetric = TRUE)
      kk <- min(k, steps)
      res <- abs(be[steps] * e$vectors[steps, seq_len(kk)])
      if (all(res <= tol * max(abs(e$values[1]), .Machine$double.xmin)) || steps < m || m == n) {
        return(list(values = e$values[seq_len(kk)],
                    vectors = V[, 1:steps, drop = FALSE] %*% e$vectors[, seq_len(kk), drop = FALSE]))
      }
      m <- min(n, 2L * m)
    }
  }
  # a fixed start, not orthogonal to any eigenvector in general (no RNG)
  start <- cos(seq_len(n) * 2.399963229728653) + 0.5
  found <- run(f, start, k)
  for (it in seq_len(n)) {
    if (ncol(found$vectors) >= n) break
    Q <- found$vectors
    proj <- function(v) v - Q %*% crossprod(Q, v)
    defl <- function(v) as.vector(proj(f(as.vector(proj(v)))))
    # a new start each time: the last one's part in a repeated eigenspace is spent
    s0 <- as.vector(proj(cos(seq_len(n) * (2.399963229728653 + 0.61803398875 * it)) + 0.5))
    if (sqrt(sum(s0^2)) <= 1e-12 * sqrt(sum(start^2))) break
    more <- run(defl, s0, 1L)
    kth <- found$values[min(k, length(found$values))]
    if (!length(more$values)) break
    if (length(found$values) >= k && more$values[1] <= kth + tol * abs(found$values[1])) break
    # a missed copy (or, short of k pairs, the next one): add it, keep the k largest
    vals <- c(found$values, more$values[1])
    vecs <- cbind(Q, as.vector(proj(more$vectors[, 1])))
    ord <- order(vals, decreasing = TRUE)
    qv <- qr.Q(qr(vecs[, ord, drop = FALSE]))
    found <- list(values = vals[ord], vectors = qv)
    if (length(found$values) > k) {
      found$values <- found$values[seq_len(k)]
      found$vectors <- found$vectors[, seq_len(k), drop = FALSE]
    }
  }
  # Rayleigh-Ritz on the final span (values and vectors consistent after merges)
  Q <- found$vectors
  AQ <- apply(Q, 2L, f)
  e <- eigen(crossprod(Q, AQ), symmetric = TRUE)
  list(values = e$values, vectors = Q %*% e$vectors)
}
