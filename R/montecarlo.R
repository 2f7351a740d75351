# Monte Carlo estimates of the limiting kernels from sampled finite networks,
# and the convergence of finite-width kernels to their limits.

#' Monte Carlo estimates of the kernels
#'
#' Draws `n_samples` independent networks of the given `width` (all random
#' numbers from R's generator, so [set.seed()] makes the result reproducible)
#' and averages:
#' * `"nngp"`, `"jacobian_nngp"`: the sample second moment of the outputs
#'   \eqn{f(X)} (and of the stacked outputs and input Jacobians
#'   `c(f(X), t(J(X)))`, block-major order) -- their mean is zero, so this
#'   estimates the finite-width NNGP (Jacobian NNGP) covariance;
#' * `"ntk"`, `"jntk"`: the mean of [empirical_ntk()] ([empirical_jntk()]).
#'
#' For large widths these estimate [nngp()], [ntk()], [jacobian_nngp()],
#' [jntk()]; the difference has a bias of order 1/width and the sampling error
#' given by `std_error`.
#'
#' @section Parallel and reproducible:
#' The networks are drawn in chunks, each chunk a future on the current
#' [future::plan()] (`plan(multisession, workers = 4)`, a cluster, a
#' scheduler through future.batchtools; sequential without the `future`
#' package). Each network has its own L'Ecuyer-CMRG random stream
#' ([parallel::nextRNGStream()]), derived from R's generator by one draw (as
#' `future.seed = TRUE` does) and the chunks have a size fixed by `n_samples`
#' and are combined in order: after [set.seed()] the result is the same, to
#' the last bit, for a sequential and any parallel plan. `threads` are the
#' OpenMP threads of each worker: on machines with \eqn{c} cores use
#' \eqn{c} workers with `threads = 1`, or fewer workers with more threads.
#'
#' @param net An architecture from [mlp()].
#' @param x Inputs: a numeric matrix with one row per point.
#' @param width Hidden-layer width (one number, or one per hidden layer).
#' @param n_samples Number of networks to draw (at least 2).
#' @param kernel Which kernel: `"nngp"`, `"ntk"`, `"jacobian_nngp"` or `"jntk"`.
#' @param running `FALSE` (default), `TRUE` to also keep running estimates
#'   after about 50 geometrically spaced numbers of samples, or a vector of
#'   sample counts at which to keep them.
#' @param threads Number of OpenMP threads (results do not depend on it).
#' @return An object of class `"jntk_monte_carlo"`: a list with `estimate`
#'   (the mean), `std_error` (elementwise standard error of the mean),
#'   `n_samples`, `kernel`, `width`, `net` and, when asked, `running`: a list
#'   with `n` (sample counts) and `estimate` (an array, `length(n)` by the
#'   dimensions of `estimate`).
#' @seealso [kernel_convergence()], [empirical_ntk()].
#' @examples
#' set.seed(1)
#' net <- mlp(1, "erf")
#' x <- matrix(c(1, 0, 0.6, 0.8), 2, byrow = TRUE)
#' mc <- monte_carlo(net, x, width = 64, n_samples = 50, kernel = "jacobian_nngp")
#' mc
#' round(mc$estimate, 3)
#' @export
monte_carlo <- function(net, x, width, n_samples = 1000L,
                        kernel = c("nngp", "ntk", "jacobian_nngp", "jntk"),
                        running = FALSE, threads = default_threads()) {
  check_mlp(net)
  kernel <- check_choice(kernel, .jntk_kinds$name, "kernel")
  x <- as_input_matrix(x, "x", d = net_input_dim(net))
  widths <- check_widths(width, net$depth)
  n_samples <- check_number(n_samples, "n_samples", lower = 2, integer = TRUE,
                            hint = "the number of networks to draw")
  threads <- check_threads(threads)
  N <- nrow(x)
  d <- ncol(x)
  r <- if (kernel %in% c("jacobian_nngp", "jntk")) N * (d + 1) else N
  checkpoints <- running_points(running, n_samples)
  check_alloc(as.double(r)^2 * (4 + length(checkpoints)),
              sprintf("A Monte Carlo estimate of a %s x %s kernel (the %d point(s) of `x`)%s",
                      format(r, big.mark = ","), format(r, big.mark = ","), nrow(x),
                      if (length(checkpoints)) sprintf(" with %d running estimates", length(checkpoints)) else ""),
              "Use fewer inputs or fewer running estimates.")
  run <- if (length(checkpoints)) array(NA_real_, c(length(checkpoints), r, r)) else NULL
  # Networks in chunks of a size fixed by n_samples alone, each chunk a future
  # on the current plan, each network its own L'Ecuyer-CMRG stream: the same
  # numbers, to the last bit, for every plan. Chunks are combined in order
  # (Chan et al.'s pairwise update of Welford's sums).
  # The streams and the chunks' index ranges are made as the chunks are (in
  # order), not all up front: for 1e6 networks that would be seconds in
  # split() and nextRNGStream(), uninterruptible in part.
  next_seeds <- seed_stream()
  cs <- mc_chunk_size(n_samples)
  n_chunks <- ceiling(n_samples / cs)
  chunk <- function(k) ((k - 1) * cs + 1):min(k * cs, n_samples)
  est <- matrix(0, r, r); m2 <- matrix(0, r, r); n_done <- 0
  future_tasks(n_chunks, function(k) {
    ids <- chunk(k)
    list(net = net, widths = widths, x = x, kernel = kernel, threads = threads,
         seeds = next_seeds(length(ids)), at = match(checkpoints, ids))
  }, function(k, v) {
    ids <- chunk(k)
    nb <- length(ids); nt <- n_done + nb
    delta <- v$mean - est
    if (!is.null(run)) {
      w <- which(!is.na(match(checkpoints, ids)))
      for (i in seq_along(w)) {
        c <- v$running_n[i]
        run[w[i], , ] <<- est + (v$running[[i]] - est) * c / (n_done + c)
      }
    }
    est <<- est + delta * nb / nt
    m2 <<- m2 + v$m2 + delta^2 * n_done * nb / nt
    n_done <<- nt
  }, mc_chunk, what = sprintf("%d Monte Carlo networks", n_samples))
  se <- sqrt(m2 / (n_samples - 1) / n_samples)
  structure(list(
    estimate = est, std_error = se, n_samples = n_samples, kernel = kernel,
    width = widths, net = net,
    running = if (is.null(run)) NULL else list(n = checkpoints, estimate = run)
  ), class = "jntk_monte_carlo")
}

# A chunk of networks on a worker: Welford's mean and sums of squares, and
# the running means at the checkpoints inside the chunk.
mc_chunk <- function(spec) {
  r <- if (spec$kernel %in% c("jacobian_nngp", "jntk")) nrow(spec$x) * (ncol(spec$x) + 1L) else nrow(spec$x)
  est <- matrix(0, r, r); m2 <- matrix(0, r, r)
  running <- list(); running_n <- integer(0)
  for (s in seq_along(spec$seeds)) {
    k <- with_stream(spec$seeds[[s]], {
      nw <- sample_mlp(spec$net, spec$widths, input_dim = ncol(spec$x))
      one_sample(nw, spec$x, spec$kernel, spec$threads)
    })
    delta <- k - est
    est <- est + delta / s
    m2 <- m2 + delta * (k - est)
    if (s %in% spec$at) {
      running[[length(running) + 1L]] <- est
      running_n <- c(running_n, s)
    }
  }
  list(mean = est, m2 = m2, running = running, running_n = running_n)
}

# Networks per chunk: a function of n_samples only (never of the plan), so
# that the summation order, hence every bit of the result, is the same.
mc_chunk_size <- function(n_samples) max(1L, min(50L, ceiling(n_samples / 40)))

# One Monte Carlo sample of the chosen kernel at the inputs x.
one_sample <- function(nw, x, kernel, threads) {
  switch(kernel,
    nngp = {
      f <- network_outputs(nw, x, FALSE, threads)[, 1]
      tcrossprod(f)
    },
    jacobian_nngp = {
      fj <- network_outputs(nw, x, TRUE, threads)
      v <- c(fj[, 1], t(fj[, -1, drop = FALSE])) # block-major: f, then J by point
      tcrossprod(v)
    },
    ntk = empirical_ntk(nw, x, threads = threads),
    jntk = empirical_jntk(nw, x, threads = threads)
  )
}

running_points <- function(running, n) {
  if (isFALSE(running)) return(integer(0))
  if (isTRUE(running)) {
    return(as.integer(unique(pmin(n, round(exp(seq(0, log(n), length.out = 50)))))))
  }
  if (!is.numeric(running) || anyNA(running) || any(running < 1) || any(running > n) ||
      any(running != round(running))) {
    jntk_abort(sprintf("`running` must be TRUE, FALSE or whole numbers of samples between 1 and `n_samples` = %d.", n),
               class = "jntk_error_argument")
  }
  sort(unique(as.integer(running)))
}

# Progress bars only in interactive sessions.
progress_start <- function(n) {
  if (interactive() && n > 1) utils::txtProgressBar(min = 0, max = n, style = 3) else NULL
}
progress_step <- function(pb, i) if (!is.null(pb)) utils::setTxtProgressBar(pb, i)
progress_end <- function(pb) if (!is.null(pb)) close(pb)

#' @export
print.jntk_monte_carlo <- function(x, ...) {
  r <- nrow(x$estimate)
  cat(sprintf("<jntk_monte_carlo> %s estimated from %d networks of width %s\n",
              x$kernel, x$n_samples, paste(unique(x$width), collapse = "/")))
  cat(sprintf("  estimate      : %d x %d matrix (%s, %s)\n", r, r, x$net$activation,
              sprintf("depth %d", x$net$depth)))
  rel <- max(x$std_error) / max(abs(x$estimate))
  cat(sprintf("  std. error    : max %.3g (%.2g%% of max |estimate|)\n",
              max(x$std_error), 100 * rel))
  if (!is.null(x$running)) {
    cat(sprintf("  running       : %d estimates from n = %d to %d\n", length(x$running$n),
                min(x$running$n), max(x$running$n)))
  }
  invisible(x)
}

#' Convergence of finite-width kernels to their infinite-width limits
#'
#' For each width and each of `n_rep` repetitions draws a network, computes
#' its finite-width kernel at the inputs `x` and records the max-norm error
#' against the analytic limit, divided by \eqn{\kappa^2} (as Kim and Yang,
#' 2024, Figures 1-2). The finite-width kernel is [empirical_ntk()] or
#' [empirical_jntk()] for `"ntk"` / `"jntk"`. For `"nngp"` /
#' `"jacobian_nngp"` it is, by default (`nngp_method = "empirical"`),
#' [empirical_nngp()]: the covariance over the output layer given the sampled
#' hidden layers (a Monte Carlo estimate with the output layer integrated out
#' exactly); `nngp_method = "monte_carlo"` uses [monte_carlo()] with
#' `n_samples` networks instead, whose error levels off at its sampling error
#' (about `n_samples^(-1/2)`) rather than shrinking with the width.
#'
#' Bootstrap 95% intervals of the mean error per width resample the
#' repetitions (`n_boot` times, percentile intervals); the slope is the
#' least-squares fit of log(error) on log(width) over all repetitions, with
#' its standard error. The theory predicts a slope of about -1/2.
#'
#' @inheritParams monte_carlo
#' @param widths Widths to try (each used for every hidden layer).
#' @param n_rep Repetitions (networks) per width.
#' @param kernel Which kernel: `"jntk"`, `"ntk"`, `"nngp"` or
#'   `"jacobian_nngp"`.
#' @param nngp_method For the NNGP kinds: `"empirical"` or `"monte_carlo"`.
#' @param n_samples Networks per Monte Carlo estimate when
#'   `nngp_method = "monte_carlo"`.
#' @param n_boot Bootstrap resamples for the intervals.
#' @return An object of class `"jntk_convergence"`: a list with `errors` (data
#'   frame of `width`, `rep`, `error`), `summary` (data frame of `width`,
#'   `mean`, `lower`, `upper`), `slope`, `slope_se`, `intercept`, `kernel`,
#'   `nngp_method`, `n_samples` (Monte Carlo only), `net`, `n_rep`,
#'   `n_inputs`.
#' @seealso [plot.jntk_convergence()], [monte_carlo()].
#' @examples
#' set.seed(1)
#' net <- mlp(1, "erf")
#' x <- matrix(c(1, 0, 0.6, 0.8), 2, byrow = TRUE)
#' cv <- kernel_convergence(net, x, widths = c(16, 64, 256), n_rep = 3, kernel = "ntk")
#' cv
#' plot(cv)
#' @export
kernel_convergence <- function(net, x, widths = 2^(6:13), n_rep = 10L,
                               kernel = c("jntk", "ntk", "nngp", "jacobian_nngp"),
                               nngp_method = c("empirical", "monte_carlo"),
                               n_samples = 100L, n_boot = 2000L,
                               threads = default_threads()) {
  check_mlp(net)
  kernel <- check_choice(kernel, c("jntk", "ntk", "nngp", "jacobian_nngp"), "kernel")
  check_width_limit(net, kernel, "kernel_convergence")
  nngp_method <- check_choice(nngp_method, c("empirical", "monte_carlo"), "nngp_method")
  x <- as_input_matrix(x, "x", d = net_input_dim(net))
  if (!is.numeric(widths) || length(widths) < 2L) {
    jntk_abort("`widths` must be at least two different positive whole numbers, e.g. `2^(6:13)`.",
               class = "jntk_error_argument")
  }
  widths <- sort(check_whole_numbers(widths, "widths", lower = 1, distinct = TRUE,
                                     what = "at least two, e.g. `2^(6:13)`"))
  check_network_alloc(c(ncol(x), rep(max(widths), net$depth), 1), "widths")
  n_rep <- check_number(n_rep, "n_rep", lower = 2, integer = TRUE,
                        hint = "at least 2 repetitions are needed for intervals")
  n_samples <- check_number(n_samples, "n_samples", lower = 2, integer = TRUE)
  n_boot <- check_number(n_boot, "n_boot", lower = 100, integer = TRUE)
  threads <- check_threads(threads)
  d <- ncol(x)
  limit <- analytic_kernel(net, x, kind = kernel, threads = threads)
  k2 <- net$kappa^2
  errs <- data.frame(width = rep(widths, each = n_rep), rep = rep(seq_len(n_rep), length(widths)),
                     error = NA_real_)
  # one network (or Monte Carlo estimate) per row, each a future with its own
  # random stream (see ?monte_carlo: the same numbers for every plan)
  seeds <- parallel_seeds(nrow(errs))
  future_tasks(nrow(errs), function(i) {
    list(net = net, x = x, width = errs$width[i], kernel = kernel, nngp_method = nngp_method,
         n_samples = n_samples, threads = threads, limit = limit, k2 = k2)
  }, function(i, v) errs$error[i] <<- v, convergence_error, seeds = seeds,
  what = sprintf("%d finite-width kernels", nrow(errs)))
  summ <- do.call(rbind, lapply(widths, function(w) {
    e <- errs$error[errs$width == w]
    # n_boot resamples of the repetitions, one per row
    boot <- rowMeans(matrix(sample(e, n_boot * length(e), replace = TRUE), n_boot, byrow = TRUE))
    q <- stats::quantile(boot, c(0.025, 0.975), names = FALSE)
    data.frame(width = w, mean = mean(e), lower = q[1], upper = q[2])
  }))
  fit_ok <- all(errs$error > 0)
  if (fit_ok) {
    fit <- stats::lm(log(error) ~ log(width), data = errs)
    co <- summary(fit)$coefficients
    slope <- co[2, 1]
    slope_se <- co[2, 2]
    intercept <- co[1, 1]
  } else {
    slope <- slope_se <- intercept <- NA_real_
  }
  structure(list(errors = errs, summary = summ, slope = slope, slope_se = slope_se,
                 intercept = intercept, kernel = kernel, nngp_method = nngp_method,
                 n_samples = if (nngp_method == "monte_carlo") n_samples else NULL,
                 net = net, n_rep = n_rep, n_inputs = nrow(x)),
            class = "jntk_convergence")
}

#' @export
print.jntk_convergence <- function(x, ...) {
  cat(sprintf("<jntk_convergence> %s of a depth-%d %s network at %d inputs, %d networks per width\n",
              x$kernel, x$net$depth, x$net$activation, x$n_inputs, x$n_rep))
  if (x$kernel %in% c("nngp", "jacobian_nngp")) {
    cat(if (x$nngp_method == "monte_carlo") {
      sprintf("  finite-width kernel: Monte Carlo over %d networks per estimate\n", x$n_samples)
    } else {
      "  finite-width kernel: empirical NNGP (covariance given the hidden layers)\n"
    })
  }
  cat("  max-norm error / kappa^2 (mean, bootstrap 95% interval):\n")
  s <- x$summary
  tab <- data.frame(width = s$width, mean = signif(s$mean, 3),
                    `95% interval` = sprintf("[%.3g, %.3g]", s$lower, s$upper),
                    check.names = FALSE)
  print(tab, row.names = FALSE)
  cat(sprintf("  log-log slope: %.3f (s.e. %.3f); theory about -0.5\n", x$slope, x$slope_se))
  invisible(x)
}

# Max-norm error / kappa^2 of one finite-width kernel (on a worker).
convergence_error <- function(spec) {
  kernel <- spec$kernel; x <- spec$x; w <- spec$width; threads <- spec$threads
  est <- if (kernel %in% c("nngp", "jacobian_nngp") && spec$nngp_method == "monte_carlo") {
    monte_carlo(spec$net, x, w, spec$n_samples, kernel, threads = threads)$estimate
  } else {
    nw <- sample_mlp(spec$net, w, input_dim = ncol(x))
    switch(kernel,
      ntk = empirical_ntk(nw, x, threads = threads),
      jntk = empirical_jntk(nw, x, threads = threads),
      nngp = empirical_nngp(nw, x, jacobian = FALSE, threads = threads),
      jacobian_nngp = empirical_nngp(nw, x, jacobian = TRUE, threads = threads))
  }
  max(abs(est - spec$limit)) / spec$k2
}
