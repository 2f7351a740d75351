# Spectra of kernel Gram matrices: the smallest eigenvalue of the NTK and
# JNTK against depth (Kim and Yang 2024, Assumption 4.4 and Section 5) and
# plots of spectra.

#' Smallest eigenvalue of the NTK or JNTK Gram matrix
#'
#' The smallest eigenvalue of the \eqn{\kappa^2}-scaled limiting NTK
#' (\eqn{N \times N}) or JNTK (\eqn{N(d+1) \times N(d+1)}) Gram matrix on the
#' inputs `x`: Kim and Yang's Assumption 4.4 (a positive smallest eigenvalue)
#' decides whether Jacobian-regularised training converges to the kernel
#' regressor.
#'
#' **What is certified.** Each row gives the computed smallest eigenvalue
#' and an interval `[lower, upper]` that contains the smallest eigenvalue of
#' the *exact* kernel matrix, by Weyl's inequality
#' \eqn{|\lambda_{\min}(K + E) - \lambda_{\min}(K)| \le \|E\|_2}: the
#' half-width is `kernel_error + solver_error`. `kernel_error` bounds the
#' spectral norm of the kernel's own error by \eqn{n \max_{ij}|E_{ij}|}
#' (which also bounds the Frobenius norm), with the entrywise bound
#' `entry_error` from the forward error analysis of the layer recursion
#' (exact arithmetic for closed forms up to rounding; for series activations
#' the quadrature error, at most `quadrature_tol` relative, see [mlp()]).
#' `solver_error` is the eigensolver's: for `method = "dense"` LAPACK
#' `dsyevr` is backward stable, its eigenvalues exact for a matrix within
#' \eqn{n\,\varepsilon\,\lambda_{\max}} (column `tolerance`); for
#' `"iterative"` that plus the Ritz residual (column `residual`). `status`
#' says `"positive"` when `lower > 0` (the kernel is certified positive
#' definite), `"negative"` when `upper < 0`, and `"not resolvable"` when the
#' interval contains 0: the kernel may be singular or positive definite, and
#' float64 at this accuracy cannot tell. The bounds are worst-case (maxima
#' over entries, \eqn{n} times the largest), so `"not resolvable"` is
#' conservative; a Ritz residual bounds the distance to *an* eigenvalue, so
#' the iterative interval also assumes Lanczos found the smallest one (it
#' does unless the start vector misses its eigenvector).
#'
#' `method = "dense"` uses LAPACK `dsyevr` on the dense matrix. It cannot be
#' interrupted, so above a size whose
#' estimated time exceeds `getOption("jntk.max_dense_eigen_minutes", 30)`
#' minutes it is refused with the estimate. `method = "iterative"` never forms
#' the matrix: the JNTK stays structured (8 scalars per pair, products in
#' \eqn{O(N^2 d)}); the largest eigenvalue comes from Lanczos on the operator,
#' the smallest from Lanczos on its inverse (shift-and-invert at 0), each
#' inverse product a conjugate-gradient solve with the two-level preconditioner
#' of [solve-structured]. Both use RSpectra's `eigs_sym()` when it is installed
#' and the package's own Lanczos (full reorthogonalisation) otherwise. A
#' singular kernel (the solves do not converge) falls back to Lanczos for the
#' smallest eigenvalue of the operator itself, whose accuracy the `residual`
#' column states. Both are interruptible and print their progress in
#' interactive sessions. `"auto"` is dense up to \eqn{n = 4000}.
#'
#' @param net An architecture from [mlp()].
#' @param x Inputs, an \eqn{N \times d} matrix.
#' @param kernel `"ntk"` or `"jntk"` (or both, for a table).
#' @param depth `NULL` to use `net$depth`, or a vector of depths (the other
#'   settings of `net` are kept) for a depth study.
#' @param method `"auto"`, `"dense"` or `"iterative"` (see Details).
#' @param tol Relative accuracy of the iterative eigenvalues.
#' @param threads Number of threads for the kernels.
#' @return With one depth and one kernel (and `depth = NULL`), a number;
#'   otherwise a data frame with columns `depth`, `kernel`, `activation`,
#'   `min_eigenvalue`, `max_eigenvalue`, `tolerance` (the solver's rounding
#'   bound `n * eps * max_eigenvalue`), `method`, `residual` (the Ritz
#'   residual of the iterative smallest eigenvalue; 0 for dense),
#'   `entry_error` (the bound on the largest entrywise error of the kernel
#'   matrix), `kernel_error` (`n * entry_error`, a bound on its spectral
#'   norm), `solver_error` (`tolerance + residual`), `lower` and `upper` (the
#'   certified interval `min_eigenvalue -+ (kernel_error + solver_error)`)
#'   and `status` (`"positive"`, `"not resolvable"` or `"negative"`), ready
#'   for [plot_min_eigenvalue()].
#' @seealso [plot_min_eigenvalue()], [solve-structured], [gradient_flow()].
#' @examples
#' x <- rbind(c(1, 0), c(0.6, 0.8), c(-0.8, 0.6))
#' min_eigenvalue(mlp(2, "erf"), x)
#' ev <- min_eigenvalue(mlp(1, "erf"), x, kernel = c("ntk", "jntk"), depth = 1:3)
#' ev[, c("depth", "kernel", "min_eigenvalue", "lower", "upper", "status")]
#' min_eigenvalue(mlp(3, "erf"), x, kernel = "jntk", method = "iterative")
#' @export
min_eigenvalue <- function(net, x, kernel = c("ntk", "jntk"), depth = NULL,
                           method = c("auto", "dense", "iterative"), tol = 1e-10,
                           threads = default_threads()) {
  check_mlp(net)
  x <- as_input_matrix(x, "x", net_input_dim(net))
  kernel <- if (missing(kernel)) "ntk" else spectrum_kernels(kernel)
  method <- check_choice(method, c("auto", "dense", "iterative"), "method")
  tol <- check_number(tol, "tol", lower = 0, lower_open = TRUE, upper = 1e-2)
  threads <- check_threads(threads)
  single <- is.null(depth) && length(kernel) == 1L
  if (is.null(depth)) depth <- net$depth
  if (!is.numeric(depth) || !length(depth) || any(!is.finite(depth)) || any(depth < 0) ||
      any(depth != round(depth)) || any(depth > 1000)) {
    jntk_abort("`depth` must be NULL or a vector of whole numbers from 0 to 1000 (numbers of hidden layers).",
               class = "jntk_error_argument")
  }
  rows <- list()
  for (L in depth) {
    netL <- net
    netL$depth <- as.integer(L)
    if (length(net$widths) > 1L && length(net$widths) != L) {
      jntk_abort(sprintf(paste0("`net` has %d per-layer widths, so it has no depth-%d version: ",
                                "give `mlp(..., widths = )` one number for a depth study."),
                         length(net$widths), L), class = "jntk_error_argument")
    }
    for (kn in kernel) {
      n <- if (kn == "ntk") nrow(x) else nrow(x) * (ncol(x) + 1)
      m <- if (method == "auto") (if (n <= 4000) "dense" else "iterative") else method
      ev <- if (m == "dense") spectrum_dense(netL, x, kn, n, threads) else
        spectrum_iterative(netL, x, kn, n, tol, threads)
      rows[[length(rows) + 1L]] <- spectrum_row(netL, x, kn, n, m, ev)
    }
  }
  out <- do.call(rbind, rows)
  if (single) return(out$min_eigenvalue)
  out
}

# One row of the min_eigenvalue() table: the computed extremes, and the
# certified interval for the exact smallest eigenvalue of the exact kernel.
# Weyl: |lambda_min(K + E) - lambda_min(K)| <= ||E||_2, and
# ||E||_2 <= ||E||_F <= n max|E_ij| (the entrywise kernel_error_bound()).
# The solver's own error: dense dsyevr is backward stable (the computed
# eigenvalues are exact for K + F, ||F||_2 <= p(n) eps ||K||_2; we take
# p(n) = n, the old `tolerance`); a Krylov method adds its Ritz residual
# (bounding the distance to the nearest eigenvalue) to the rounding of its
# products (again n eps lambda_max).
spectrum_row <- function(net, x, kn, n, method, ev) {
  entry <- kernel_error_bound(net, x, kind = kn)
  tolerance <- n * .Machine$double.eps * abs(ev$max)
  kernel_error <- n * entry
  solver_error <- tolerance + ev$residual
  half <- kernel_error + solver_error
  data.frame(
    depth = as.integer(net$depth), kernel = kn, activation = net$activation,
    min_eigenvalue = ev$min, max_eigenvalue = ev$max, tolerance = tolerance,
    method = method, residual = ev$residual, entry_error = entry,
    kernel_error = kernel_error, solver_error = solver_error,
    lower = ev$min - half, upper = ev$min + half,
    status = spectrum_status(ev$min - half, ev$min + half), stringsAsFactors = FALSE)
}

# "positive" when the certified interval lies above 0, "negative" below,
# "not resolvable" (in float64, at the kernels' accuracy) when it contains 0.
spectrum_status <- function(lower, upper) {
  ifelse(lower > 0, "positive", ifelse(upper < 0, "negative", "not resolvable"))
}

# Refuse, before any kernel is computed, a Gram matrix of `x` that does not
# fit in memory, naming `x` (the kernels' own checks would name `x1`).
# Doubles held at the peak: dense, K, its transpose, their mean and dsyevr's
# copy (4 n^2); iterative NTK, the dense kernel and the operator's copy
# (2 N^2); iterative JNTK, the 8 per-pair scalars of the structured kernel
# (8 N^2).
spectrum_check_alloc <- function(N, n, kn, method) {
  doubles <- if (method == "dense") 4 * as.double(n)^2 else if (kn == "ntk") 2 * as.double(N)^2 else
    8 * as.double(N)^2
  check_alloc(doubles,
              sprintf("The smallest eigenvalue of the %s Gram matrix of the %s points of `x` (%s, %s x %s)",
                      toupper(kn), format(N, big.mark = ","), method, format(n, big.mark = ","),
                      format(n, big.mark = ",")),
              "Use fewer points (a random subset of rows of `x` gives an upper bound on the smallest eigenvalue of the whole).")
}

# Extreme eigenvalues from one dense dsyevr, refused above a size by its
# time estimate (reference LAPACK, eigenvalues only: about 1.3e-9 n^3 s here).
spectrum_dense <- function(net, x, kn, n, threads) {
  check_dense_eigen(n, sprintf("%s Gram matrix", toupper(kn)), vectors = FALSE,
                    sprintf("Use `method = \"iterative\"` (Lanczos on the %s operator, O(N^2 d) per product)",
                            if (kn == "jntk") "structured" else "kernel"))
  spectrum_check_alloc(nrow(x), n, kn, "dense")
  K <- if (kn == "ntk") dense_kernel(ntk(net, x, threads = threads)) else
    dense_kernel(jntk(net, x, threads = threads))
  ev <- .Call(C_dynamics_eigen, (K + t(K)) / 2, 0L)$values
  list(min = min(ev), max = max(ev), residual = 0)
}

# Refuse an uninterruptible dense dsyevr whose estimated time (reference
# LAPACK: about 1.3e-9 n^3 s for the eigenvalues, 4x that with vectors, as
# measured here) exceeds getOption("jntk.max_dense_eigen_minutes", 30).
check_dense_eigen <- function(n, what, vectors, instead) {
  minutes <- (if (vectors) 5.2e-9 else 1.3e-9) * as.double(n)^3 / 60
  lim <- getOption("jntk.max_dense_eigen_minutes", 30)
  if (minutes > lim) {
    jntk_abort(sprintf(paste0(
      "A dense eigendecomposition of the %s x %s %s would take about %s (and %.3g GB) ",
      "and cannot be interrupted. %s, or raise option `jntk.max_dense_eigen_minutes` (now %g)."),
      format(n, big.mark = ","), format(n, big.mark = ","), what, format_minutes(minutes),
      8 * (if (vectors) 6 else 2) * as.double(n)^2 / 1e9, instead, lim),
      class = "jntk_error_size")
  }
  invisible(minutes)
}

format_minutes <- function(m) {
  if (m < 1) sprintf("%.2g seconds", 60 * m) else if (m < 120) sprintf("%.0f minutes", m) else if (m < 48 * 60) sprintf("%.1f hours", m / 60) else
    sprintf("%.1f days", m / 1440)
}

# Extreme eigenvalues of the operator by Krylov methods (see ?min_eigenvalue).
spectrum_iterative <- function(net, x, kn, n, tol, threads) {
  spectrum_check_alloc(nrow(x), n, kn, "iterative")
  verbose <- interactive()
  if (kn == "jntk") {
    S <- jntk(net, x, as = "structured", threads = threads)
    op <- krylov_operator(S, 1, 0)
    pre <- krylov_preconditioner(S, op, "two_level")
  } else {
    mo <- matrix_operator(dense_kernel(ntk(net, x, threads = threads)))
    op <- mo[c("fun", "n")]
    pre <- list(1 / pmax(mo$diag, .Machine$double.xmin))
  }
  if (n <= 2L) {
    # Krylov methods need n > 2 (RSpectra: k < n - 1); a 2 x 2 matrix is dense anyway
    K <- krylov_apply(op, diag(n))
    ev <- eigen((K + t(K)) / 2, symmetric = TRUE, only.values = TRUE)$values
    return(list(min = min(ev), max = max(ev), residual = 0))
  }
  times <- function(v) as.vector(krylov_apply(op, v))
  top <- spectrum_extreme(times, n, tol, verbose)
  # inverse products by CG to 1e-11 (an inner residual e perturbs the
  # eigenvalues of the inverse by about e relative; rounding limits CG to
  # about cond * eps); a first solve tells whether the kernel is definite
  # enough for shift-and-invert at all
  itol <- 1e-11; imax <- as.integer(min(10 * n, 3000))
  probe <- krylov_cg(op, pre, matrix(rep(1, n)), tol = itol, maxit = imax, error = FALSE)
  low <- NULL
  if (probe$residual <= 1e-9) {
    inv <- function(v) {
      r <- krylov_cg(op, pre, matrix(v), tol = itol, maxit = imax, error = FALSE)
      if (!(r$residual <= 1e-9)) stop("inner solve failed")
      as.vector(r$x)
    }
    low <- tryCatch(spectrum_extreme(inv, n, tol, verbose), error = function(e) NULL)
  }
  if (!is.null(low) && low$value > 0) {
    # residual of the Ritz pair of A^{-1}: |A^{-1} u - mu u| <= res, so
    # |lambda_min - 1/mu| <= res / mu^2 to first order
    return(list(min = 1 / low$value, max = top$value, residual = low$residual / low$value^2))
  }
  # singular to the solver: Lanczos for the smallest eigenvalue of A itself
  # (slow for clustered small eigenvalues; its Ritz residual says how good)
  neg <- spectrum_extreme(function(v) -times(v) + top$value * v, n, tol, verbose, maxit = min(n, 1000L))
  list(min = top$value - neg$value, max = top$value, residual = neg$residual)
}

# Largest eigenvalue of a symmetric operator: RSpectra's eigs_sym when
# installed, the package's Lanczos otherwise. list(value, residual).
spectrum_extreme <- function(f, n, tol, verbose, maxit = 1000L) {
  if (requireNamespace("RSpectra", quietly = TRUE) && n > 3L) {
    e <- RSpectra::eigs_sym(function(v, args) f(v), k = 1L, which = "LA", n = n,
                            opts = list(tol = tol, maxitr = maxit, retvec = TRUE,
                                        ncv = min(n, 20L)))
    if (length(e$values) == 1L) {
      u <- as.vector(e$vectors)
      return(list(value = e$values, residual = sqrt(sum((f(u) - e$values * u)^2))))
    }
  }
  lz <- krylov_lanczos_extreme(f, n, tol = tol, maxit = min(n, maxit), verbose = verbose)
  list(value = lz$value, residual = lz$residual)
}

spectrum_kernels <- function(kernel) {
  if (!is.character(kernel) || !length(kernel) || anyNA(kernel) ||
      !all(kernel %in% c("ntk", "jntk"))) {
    jntk_abort("`kernel` must be \"ntk\", \"jntk\" or both.", class = "jntk_error_argument")
  }
  unique(kernel)
}

spectrum_values <- function(x, name) {
  what <- "give a square kernel (Gram) matrix or a vector of eigenvalues"
  if (length(dim(x)) > 2L) {
    jntk_abort(sprintf("`%s` is an array with %d dimensions; %s.", name, length(dim(x)), what),
               class = "jntk_error_argument")
  }
  if (!is.numeric(x) || is.object(x)) {
    jntk_abort(sprintf("`%s` must be numeric, not %s; %s.", name, describe_type(x), what),
               class = "jntk_error_argument")
  }
  if (!length(x)) {
    jntk_abort(sprintf("`%s` is empty; %s.", name, what), class = "jntk_error_argument")
  }
  if (any(!is.finite(x))) {
    jntk_abort(sprintf("`%s` has %d non-finite value(s) (NA, NaN or Inf); a spectrum is drawn from finite numbers only.",
                       name, sum(!is.finite(x))), class = "jntk_error_argument")
  }
  if (is.matrix(x)) {
    if (nrow(x) != ncol(x)) {
      jntk_abort(sprintf("`%s` is a %d x %d matrix; %s.", name, nrow(x), ncol(x), what),
                 class = "jntk_error_argument")
    }
    # before anything of the size of `x` is allocated
    check_dense_eigen(nrow(x), sprintf("kernel matrix `%s`", name), vectors = FALSE,
                      "Give its eigenvalues instead (e.g. the leading ones from `RSpectra::eigs_sym()`)")
    asym <- max(abs(x - t(x))) / max(1e-300, max(abs(x)))
    if (asym > 1e-8) {
      jntk_abort(sprintf("`%s` is not symmetric (relative asymmetry %.2g); a kernel matrix is.", name, asym),
                 class = "jntk_error_argument")
    }
    return(eigen((x + t(x)) / 2, symmetric = TRUE, only.values = TRUE)$values)
  }
  sort(as.double(x), decreasing = TRUE)
}

#' Plot eigenvalue spectra of kernel matrices
#'
#' Draws the eigenvalues of one or several kernel (Gram) matrices in decreasing
#' order on a logarithmic scale: how fast they decay says which functions
#' gradient descent fits quickly (Jacot et al. 2018, Section 5: convergence is
#' fastest along the leading kernel principal components) and how well
#' conditioned the Gram matrix is (Kim and Yang 2024, Assumption 4.4).
#'
#' Eigenvalues \eqn{\le 0} (a singular matrix, or rounding) cannot be drawn on
#' a log scale; they are left out and counted in the returned list and the
#' legend.
#'
#' @param x A symmetric kernel matrix, a vector of eigenvalues, or a named list
#'   of either (one spectrum per element).
#' @param normalise If `TRUE`, divide each spectrum by its sum (the trace), so
#'   that kernels of different scales can be compared.
#' @param n_max Draw at most this many leading eigenvalues per spectrum.
#' @param log Which axes are logarithmic: `"y"` (default) or `"xy"`.
#' @param legend `"auto"` (default: where it covers no data, above them if
#'   need be), a keyword of [graphics::legend()], or `NULL` for none.
#' @param ... Further graphical parameters passed to [graphics::plot()].
#' @return Invisibly, a named list of the eigenvalues of each spectrum in
#'   decreasing order (all of them, also the non-positive ones, before
#'   normalisation), with attribute `"n_nonpositive"`.
#' @seealso [eigen()], [plot_min_eigenvalue()].
#' @examples
#' x <- unit_circle(30)
#' K1 <- ntk(mlp(1, "relu", sigma_b = 0.1), x)
#' K3 <- ntk(mlp(3, "relu", sigma_b = 0.1), x)
#' ev <- plot_spectrum(list("depth 1" = K1, "depth 3" = K3), normalise = TRUE)
#' head(ev[["depth 3"]])
#' @export
plot_spectrum <- function(x, normalise = FALSE, n_max = Inf, log = "y", legend = "auto", ...) {
  normalise <- check_flag(normalise, "normalise")
  legend <- check_legend(legend)
  if (!identical(n_max, Inf)) n_max <- check_number(n_max, "n_max", lower = 1, integer = TRUE)
  if (!(identical(log, "y") || identical(log, "xy"))) {
    jntk_abort("`log` must be \"y\" or \"xy\".", class = "jntk_error_argument")
  }
  single <- !is.list(x)
  if (single) x <- list(spectrum = x)
  if (length(x) < 1L) {
    jntk_abort("`x` is an empty list; give at least one kernel matrix or vector of eigenvalues.",
               class = "jntk_error_argument")
  }
  if (is.null(names(x))) names(x) <- paste("spectrum", seq_along(x))
  nm <- names(x)
  nm[!nzchar(nm)] <- paste("spectrum", which(!nzchar(nm)))
  names(x) <- nm
  ev <- Map(spectrum_values, x, if (single) "x" else sprintf("x[[\"%s\"]]", nm))
  names(ev) <- nm
  n_nonpos <- vapply(ev, function(v) sum(v <= 0), integer(1))
  shown <- lapply(ev, function(v) {
    s <- if (normalise) v / sum(v) else v
    s <- s[seq_len(min(length(s), n_max))]
    idx <- seq_along(s)
    keep <- s > 0
    list(i = idx[keep], v = s[keep])
  })
  if (all(vapply(shown, function(s) length(s$v) == 0L, TRUE))) {
    jntk_abort(sprintf("`x` has no positive eigenvalue%s, so there is nothing to draw on a log scale; a kernel (Gram) matrix is positive semi-definite, so check how it was computed.",
                       if (single) "" else " in any of its spectra"),
               class = "jntk_error_argument")
  }
  cols <- jntk_palette(length(ev))
  pchs <- c(16, 17, 15, 18, 1, 2, 0, 5)[(seq_along(ev) - 1L) %% 8L + 1L]
  yr <- range(unlist(lapply(shown, `[[`, "v")))
  xr <- c(1, max(unlist(lapply(shown, `[[`, "i"))))
  few <- max(lengths(lapply(shown, `[[`, "v"))) <= 60L
  occ <- do.call(c, lapply(shown, function(s) occupied(s$i, s$v)))
  leg <- NULL
  if (!is.null(legend) && (length(ev) > 1L || any(n_nonpos > 0L))) {
    lab <- ifelse(n_nonpos > 0L, sprintf("%s (%d eigenvalue(s) <= 0 not shown)", nm, n_nonpos), nm)
    leg <- list(legend = lab, col = cols, lty = 1, pch = if (few) pchs else NA)
  }
  defaults <- list(x = xr, y = yr, type = "n", log = log, xlim = xr, ylim = yr,
                   xlab = expression("index" ~ k ~ "(eigenvalues in decreasing order)"),
                   ylab = if (normalise) expression(lambda[k] / tr(K)) else expression(lambda[k]),
                   main = "Kernel eigenvalue spectrum")
  draw_legend <- plot_panel(defaults, list(...), occ, leg, position = legend)
  for (j in seq_along(shown)) {
    s <- shown[[j]]
    if (!length(s$v)) next
    graphics::lines(s$i, s$v, col = cols[j])
    if (few) graphics::points(s$i, s$v, col = cols[j], pch = pchs[j], cex = 0.8)
  }
  draw_legend()
  attr(ev, "n_nonpositive") <- n_nonpos
  invisible(ev)
}

#' Plot the smallest kernel eigenvalue against depth
#'
#' The smallest eigenvalue of the Gram matrix on the training set decides
#' whether the infinite-width training dynamics converge (Jacot et al. 2018,
#' Section 4; Kim and Yang 2024, Assumption 4.4: the JNTK Gram matrix must be
#' positive definite). Kim and Yang (2024, Section 5) draw it against depth
#' for erf and gelu networks, for the JNTK and the NTK.
#'
#' With the columns `lower` and `upper` of [min_eigenvalue()] each point
#' carries its certified interval (a vertical bar, clipped at `floor`) and its
#' `status`: a filled symbol is certified positive, an open symbol is not
#' resolvable in float64 (the interval contains 0), a cross is certified
#' negative. Without them, an optional `tolerance` column marks values at or
#' below it as open symbols (zero to rounding).
#'
#' @param data A data frame with a column `depth`, a column of smallest
#'   eigenvalues (the first of `min_eigenvalue`, `lambda_min`, `value` that is
#'   present), optional grouping columns `kernel` and `activation`, optional
#'   columns `lower` and `upper` (a certified interval; `status` is taken
#'   from them unless given) or else an optional column `tolerance`, e.g.
#'   the data frames of [min_eigenvalue()] for several activations bound
#'   together with [rbind()]. Other columns are ignored.
#' @param floor Eigenvalues (and interval ends) at or below `floor` are drawn
#'   at `floor`, since the axis is logarithmic. By default \eqn{10^{-3}}
#'   times the smallest positive value.
#' @param legend `"auto"` (default: where it covers no data, above them if
#'   need be), a keyword of [graphics::legend()], or `NULL` for none.
#' @param ... Further graphical parameters passed to [graphics::plot()].
#' @return Invisibly, `data` with the columns `group` (the curve each row
#'   belongs to), `shown` (the value drawn, after the floor), `status`
#'   (`"positive"`, `"not resolvable"` or `"negative"`; from the interval, or
#'   from `tolerance` or the floor without one) and `zero` (`TRUE` unless the
#'   status is `"positive"`).
#' @seealso [min_eigenvalue()], [plot_spectrum()].
#' @examples
#' x <- sphere_points(12, 3)
#' ev <- rbind(min_eigenvalue(mlp(1, "erf"), x, kernel = c("ntk", "jntk"), depth = 1:4),
#'             min_eigenvalue(mlp(1, "gelu"), x, kernel = c("ntk", "jntk"), depth = 1:4))
#' out <- plot_min_eigenvalue(ev)
#' out[, c("depth", "kernel", "activation", "min_eigenvalue", "lower", "status")]
#' @export
plot_min_eigenvalue <- function(data, floor = NULL, legend = "auto", ...) {
  legend <- check_legend(legend)
  if (!is.data.frame(data) || nrow(data) < 1L || !"depth" %in% names(data)) {
    jntk_abort(sprintf("`data` must be a data frame with a `depth` column and a column of smallest eigenvalues (`min_eigenvalue`), such as `min_eigenvalue(net, x, depth = 1:5)` returns, not %s.",
                       if (is.data.frame(data)) sprintf("a data frame with %d row(s) and columns %s", nrow(data),
                                                        paste0("`", names(data), "`", collapse = ", "))
                       else describe_type(data)),
               class = "jntk_error_argument")
  }
  vcol <- intersect(c("min_eigenvalue", "lambda_min", "value"), names(data))[1]
  if (is.na(vcol)) {
    jntk_abort(sprintf("`data` has no column of eigenvalues; name it `min_eigenvalue` (it has: %s).",
                       paste(names(data), collapse = ", ")), class = "jntk_error_argument")
  }
  val <- data[[vcol]]
  if (!is.numeric(val) || any(!is.finite(val)) || !is.numeric(data$depth) || any(!is.finite(data$depth))) {
    jntk_abort(sprintf("`data$depth` and `data$%s` must be finite numbers (no NA, NaN or Inf); drop the rows where the eigenvalue could not be computed.", vcol),
               class = "jntk_error_argument")
  }
  certified <- all(c("lower", "upper") %in% names(data))
  if (certified) {
    lo <- data$lower; hi <- data$upper
    if (!is.numeric(lo) || !is.numeric(hi) || any(!is.finite(lo)) || any(!is.finite(hi)) || any(lo > val | hi < val)) {
      jntk_abort(sprintf("`data$lower` and `data$upper` must be finite numbers with lower <= %s <= upper (the certified interval of `min_eigenvalue()`).", vcol),
                 class = "jntk_error_argument")
    }
    st <- c("positive", "not resolvable", "negative")
    if (is.factor(data[["status"]])) data[["status"]] <- as.character(data[["status"]])
    if (!is.null(data[["status"]]) && (!is.character(data[["status"]]) || !all(data[["status"]] %in% st))) {
      jntk_abort(sprintf("`data$status` must be %s in every row (or leave the column out to take it from `lower` and `upper`).",
                         choice_list(st)), class = "jntk_error_argument")
    }
  }
  tl <- data[["tolerance"]]
  if (!certified && !is.null(tl) && (!is.numeric(tl) || anyNA(tl))) {
    jntk_abort("`data$tolerance` must be numbers without NA (the rounding bound of `min_eigenvalue()`), or leave the column out.",
               class = "jntk_error_argument")
  }
  group <- min_eigenvalue_groups(data)
  pos <- c(val[val > 0], if (certified) lo[lo > 0])
  if (is.null(floor)) {
    floor <- if (length(pos)) min(pos) * 1e-3 else 1e-16
  } else {
    floor <- check_number(floor, "floor", lower = 0, lower_open = TRUE)
  }
  clipped <- val <= floor
  status <- if (certified) {
    if (is.character(data$status)) data$status else spectrum_status(lo, hi)
  } else {
    # below the numerical-rank threshold (a `tolerance` column), a computed
    # eigenvalue cannot be told from zero
    tol <- if (is.numeric(data$tolerance)) data$tolerance else rep(-Inf, nrow(data))
    ifelse(clipped | val <= tol, "not resolvable", "positive")
  }
  shown <- pmax(val, floor)
  bar_lo <- if (certified) pmax(lo, floor) else shown
  bar_hi <- if (certified) pmax(hi, floor) else shown
  u <- unique(group)
  cols <- jntk_palette(length(u))
  pchs <- c(16, 17, 15, 18, 16, 17, 15, 18)[(seq_along(u) - 1L) %% 8L + 1L]
  open <- c(1, 2, 0, 5, 1, 2, 0, 5)[(seq_along(u) - 1L) %% 8L + 1L]
  ltys <- c(1, 2, 1, 2, 3, 4, 3, 4)[(seq_along(u) - 1L) %% 8L + 1L]
  occ <- do.call(c, lapply(u, function(g) {
    k <- which(group == g)
    k <- k[order(data$depth[k])]
    occupied(data$depth[k], bar_lo[k], bar_hi[k], type = "points")
  }))
  if (any(clipped)) occ <- c(occ, occupied(range(data$depth), rep(floor, 2)))
  st <- c("positive", "not resolvable", "negative")
  st_lab <- c(positive = if (certified) "filled: certified positive" else "filled: above tolerance",
              `not resolvable` = if (certified) "open: not resolvable in float64 (interval contains 0)" else
                "open: zero to rounding (<= tolerance or floor)",
              negative = "cross: certified negative")
  st_pch <- c(positive = 16, `not resolvable` = 1, negative = 4)
  shown_st <- st[st %in% status & (st != "positive" | certified)]
  leg <- if (is.null(legend)) NULL else list(
    legend = c(u, st_lab[shown_st], if (certified) "bar: certified interval"),
    col = c(cols, rep("grey30", length(shown_st) + certified)),
    lty = c(ltys[seq_along(u)], rep(NA, length(shown_st)), if (certified) 1),
    pch = c(pchs[seq_along(u)], st_pch[shown_st], if (certified) NA))
  yr <- range(c(shown, bar_lo, bar_hi))
  defaults <- list(x = range(data$depth), y = yr, type = "n", log = "y",
                   xlim = range(data$depth), ylim = yr,
                   xlab = expression("depth" ~ L ~ "(number of hidden layers)"),
                   ylab = expression("smallest eigenvalue" ~ lambda[min]),
                   main = "Smallest eigenvalue of the Gram matrix")
  draw_legend <- plot_panel(defaults, list(...), occ, leg, position = legend)
  for (j in seq_along(u)) {
    k <- which(group == u[j])
    k <- k[order(data$depth[k])]
    graphics::lines(data$depth[k], shown[k], col = cols[j], lty = ltys[j])
    if (certified) {
      wide <- k[bar_hi[k] > bar_lo[k] * (1 + 1e-3)]
      if (length(wide)) graphics::segments(data$depth[wide], bar_lo[wide], data$depth[wide], bar_hi[wide],
                                           col = cols[j], lwd = 1.5)
    }
    graphics::points(data$depth[k], shown[k], col = cols[j],
                     pch = ifelse(status[k] == "positive", pchs[j],
                                  ifelse(status[k] == "negative", 4, open[j])))
  }
  if (any(clipped)) graphics::abline(h = floor, col = "grey60", lty = 3)
  draw_legend()
  data$group <- group
  data$shown <- shown
  data$status <- status
  data$zero <- status != "positive"
  invisible(data)
}

# One curve per kernel and activation (the columns that are present).
min_eigenvalue_groups <- function(data) {
  gcols <- intersect(c("kernel", "activation"), names(data))
  if (!length(gcols)) return(rep("smallest eigenvalue", nrow(data)))
  do.call(paste, c(lapply(gcols, function(g) {
    v <- as.character(data[[g]])
    if (g == "kernel") v <- ifelse(v %in% .jntk_kinds$name, kind_label(v), v)
    v
  }), sep = ", "))
}
