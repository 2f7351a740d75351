# Hyperparameters of a "gp_fit" (R/gp.R) by its evidence: the log marginal
# likelihood maximised over the architecture's scales (and the noise) with
# L-BFGS-B from several starts, depths compared by evidence, and anova().

#' Choose a GP's scales (and depth) by maximising the evidence
#'
#' Maximises the log marginal likelihood [logLik.gp_fit()] of a [gp_fit()]
#' over some of the scales \eqn{\sigma_w}, \eqn{\sigma_b}, \eqn{\kappa} of
#' its architecture and the noise variances, with [optim()] (L-BFGS-B on the
#' logarithms of the scales, inside bounds), from several starts; optionally
#' for several depths, which are then compared by their maximised evidence.
#'
#' @section Parametrisation:
#' \eqn{\sigma_w}, \eqn{\sigma_b} and \eqn{\kappa} are optimised on the log
#' scale. An optimised noise is parametrised by its ratio to the prior
#' variance: `noise` \eqn{= r\,\kappa^2 \bar v_f(\sigma_w, \sigma_b)} with
#' \eqn{\bar v_f} the mean prior variance of \eqn{f} at the training inputs
#' for \eqn{\kappa = 1} (a "nugget", as in kriging), and `dy_noise` likewise
#' relative to the mean prior variance of the gradients. So the bounds of the
#' noises are on \eqn{r}, and the smallest default
#' \eqn{r = 10^{-11} n} keeps the (unit-diagonal) covariance's condition number
#' below about 1e11, under the jitter threshold of [gp_fit()]: the evidence
#' stays smooth and needs no jitter. Exact data put the noise at this bound
#' (reported in `at_bound`). There the evidence itself carries rounding errors
#' of about 1e-5 relative, and L-BFGS-B may stop with
#' "ABNORMAL_TERMINATION_IN_LNSRCH" (convergence code 52) at the optimum, to
#' that accuracy: look at whether the starts agree. A larger bound
#' (`lower = c(noise = 1e-9 * n)`) gives cleaner convergence at the price of a
#' less exact interpolation. Results
#' (the fit and `$optimisation$table`) are on the natural scale.
#'
#' @section Gradient:
#' The gradient of the evidence \eqn{\ell} with respect to a log-parameter
#' \eqn{\theta} is \eqn{\frac12\mathrm{tr}((\alpha\alpha^\top - k A^{-1})\,
#' \partial A/\partial\theta)} with \eqn{A = K + D} and
#' \eqn{\alpha = A^{-1}z} (Rasmussen and Williams 2006, eq. 5.9, summed over
#' the \eqn{k} outputs). The derivatives in \eqn{\log\kappa} and in the noise
#' ratios are exact (\eqn{\kappa} enters every kernel as \eqn{\kappa^2});
#' \eqn{\partial K/\partial\log\sigma_w} and
#' \eqn{\partial K/\partial\log\sigma_b} are central differences of the
#' kernel with step \eqn{10^{-5}} in the logarithm (relative error about
#' 1e-10; the tests check the whole gradient against differences of the
#' evidence). A jitter (see [gp_fit()]) that a trial point needs (possible
#' when a noise is held fixed at 0) is part of the objective but not of its
#' gradient; such evaluations are counted (`jitter_evaluations`), and the final
#' fit reports its own jitter.
#'
#' @section Starts and agreement:
#' The first start is the fit's current values (a zero \eqn{\sigma_b} or
#' noise, or a value outside the bounds, is replaced by the centre of the
#' start box); the others are drawn log-uniformly (R's RNG, so `set.seed()`
#' reproduces them) from the start box \eqn{\sigma_w \in [0.5, 3]},
#' \eqn{\sigma_b \in [0.01, 1]}, \eqn{\kappa \in \kappa_0[1/3, 3]},
#' \eqn{r \in [10^{-6}, 0.1]}, where \eqn{\kappa_0} makes the mean prior
#' variance of \eqn{f} equal to the mean square of the observed values.
#' Default bounds: \eqn{\sigma_w \in [0.05, 20]},
#' \eqn{\sigma_b \in [10^{-4}, 20]}, \eqn{\kappa \in \kappa_0[10^{-3}, 10^3]},
#' \eqn{r \in [10^{-11} n, 10]} (\eqn{n} observations). Starts *agree* when
#' their maximised evidence is within `tol` (default 0.01, a Bayes factor
#' within 1 %) of the best; the result reports how many did and the largest
#' relative spread of their scales (large when a scale is not identified by
#' the data). Several local maxima are common (e.g. a nearly linear erf
#' network with a large \eqn{\kappa} against a saturating one), hence the
#' several starts.
#'
#' @param gp A [gp_fit()] (its data, kernel, activation and fixed scales are
#'   kept).
#' @param par Which scales to fit: any of `"sigma_w"`, `"sigma_b"`,
#'   `"kappa"`, `"noise"`, `"dy_noise"` (with gradient observations; while
#'   `dy_noise` was left at its default `noise` in [gp_fit()] and is not
#'   listed here, it stays equal to `noise`). `character(0)` evaluates the
#'   evidence at the current scales (useful with `depth`).
#' @param depth `NULL` (keep the fit's depth) or a vector of depths: each is
#'   fitted, and the one with the largest maximised evidence is returned,
#'   with the comparison in `$comparison`.
#' @param starts Number of starts, or a matrix (or data frame) of starting
#'   values on the natural scale (noises as variances) with one column per
#'   element of `par`.
#' @param lower,upper Named numeric vectors overriding the default bounds of
#'   some scales (positive; natural scale for `sigma_w`, `sigma_b`, `kappa`,
#'   ratios \eqn{r} to the prior variance for `noise` and `dy_noise`).
#' @param tol Evidence difference within which starts agree.
#' @param control Passed to [optim()] (default `maxit = 200`).
#' @param threads Number of threads for the kernels.
#' @return The [gp_fit()] at the best scales (and depth), with `df` the number
#'   of fitted scales and `$optimisation`: `par`, `table` (one row per start:
#'   start and final values, `logLik`, optim's `convergence` code and
#'   `message`, `evaluations`, `jitter_evaluations`, `at_bound`), `best`, `agree` (number
#'   of starts within `tol` of the best), `starts`, `spread` (largest relative
#'   spread of the agreeing starts' scales), `lower`, `upper`, `at_bound`
#'   (names of scales at a bound). With `depth`, `$comparison` is a data frame
#'   with one row per depth (`depth`, `logLik`, `df`, `AIC`, `BIC`,
#'   `log_bayes_factor` against the best, `agree`, and the fitted scales).
#' @references Rasmussen and Williams (2006), Gaussian Processes for Machine
#'   Learning, MIT Press, section 5.4.1.
#' @seealso [gp_fit()], [logLik.gp_fit()], [anova.gp_fit()].
#' @examples
#' net <- mlp(depth = 2, activation = "erf")
#' set.seed(1)
#' x <- matrix(runif(20, -2, 2), ncol = 2)
#' g <- gp_fit(net, x, sin(x[, 1]), noise = 1e-4)
#' go <- gp_optimise(g, par = c("sigma_w", "kappa", "noise"), starts = 3)
#' go
#' coef(go)
#' gd <- gp_optimise(g, par = c("kappa", "noise"), depth = 1:3, starts = 2)
#' gd$comparison
#' @export
gp_optimise <- function(gp, par = c("sigma_w", "sigma_b", "kappa", "noise"), depth = NULL,
                        starts = 5L, lower = NULL, upper = NULL, tol = 0.01,
                        control = list(), threads = gp$threads) {
  if (!inherits(gp, "gp_fit")) {
    jntk_abort(sprintf("`gp` must be a fit from `gp_fit()`, not %s.", describe_type(gp)),
               class = "jntk_error_argument")
  }
  gp_refuse_iterative(gp, "`gp_optimise()` (maximising the evidence)")
  all_par <- c("sigma_w", "sigma_b", "kappa", "noise", if (gp$gradients) "dy_noise")
  if (!is.character(par) || anyNA(par) || any(!par %in% all_par) || anyDuplicated(par)) {
    jntk_abort(sprintf("`par` must name distinct scales among %s%s.",
                       paste0("\"", all_par, "\"", collapse = ", "),
                       if (gp$gradients) "" else " (\"dy_noise\" needs gradient observations)"),
               class = "jntk_error_argument")
  }
  par <- all_par[all_par %in% par]
  tol <- check_number(tol, "tol", lower = 0, lower_open = TRUE)
  threads <- check_threads(threads)
  if (!is.list(control)) jntk_abort("`control` must be a list (see ?optim).", class = "jntk_error_argument")
  control <- utils::modifyList(list(maxit = 200L), control)
  depths <- if (is.null(depth)) gp$net$depth else gp_check_depths(depth)
  starts <- gp_check_starts(starts, par)
  fits <- lapply(depths, function(L) {
    gp_optimise_one(gp, gp_net_with(gp$net, depth = L), par, starts, lower, upper, tol,
                    control, threads)
  })
  ll <- vapply(fits, function(f) f$loglik, numeric(1))
  best <- which.max(ll)
  st <- fits[[best]]
  out <- gp_build(st$net, gp$data, gp$kernel, st$noise, st$dy_noise, st$tied, gp$solver, threads)
  out$df <- length(par)
  out$optimisation <- st$optimisation
  if (!is.null(depth)) {
    cmp <- data.frame(depth = depths, logLik = ll, df = length(par))
    cmp$AIC <- -2 * ll + 2 * length(par)
    cmp$BIC <- -2 * ll + log(nobs(out)) * length(par)
    cmp$log_bayes_factor <- ll - max(ll)
    cmp$agree <- vapply(fits, function(f) sprintf("%d/%d", f$optimisation$agree, f$optimisation$starts),
                        character(1))
    sc <- t(vapply(fits, function(f) f$scales, numeric(length(all_par))))
    out$comparison <- cbind(cmp, as.data.frame(sc))
  }
  out
}

gp_check_depths <- function(depth) {
  check_whole_numbers(depth, "depth", distinct = TRUE, what = "numbers of hidden layers; or NULL")
}

gp_check_starts <- function(starts, par) {
  if (is.data.frame(starts)) starts <- as.matrix(starts)
  if (is.matrix(starts)) {
    if (!is.numeric(starts) || !all(par %in% colnames(starts)) || any(!is.finite(starts)) ||
        any(starts <= 0) || nrow(starts) < 1L) {
      jntk_abort(sprintf("A matrix of `starts` needs one row per start and positive finite columns named %s.",
                         paste0("\"", par, "\"", collapse = ", ")), class = "jntk_error_argument")
    }
    return(starts[, par, drop = FALSE])
  }
  check_number(starts, "starts", lower = 1, upper = 1000, integer = TRUE,
               hint = "a number of starts, or a matrix of starting values")
}

# The architecture with some scales changed. The fields are set directly
# (not through mlp(), whose arguments may grow) because the kernels read
# exactly these fields.
gp_net_with <- function(net, sigma_w = net$sigma_w, sigma_b = net$sigma_b,
                        kappa = net$kappa, depth = net$depth) {
  net$sigma_w <- unname(sigma_w); net$sigma_b <- unname(sigma_b)
  net$kappa <- unname(kappa); net$depth <- as.integer(depth)
  net
}

# Everything the evidence needs, for one depth, with kappa = 1 in the kernel.
gp_evidence_setup <- function(gp, net, par, threads) {
  cf <- coef(gp)
  cf["sigma_w"] <- net$sigma_w; cf["sigma_b"] <- net$sigma_b; cf["kappa"] <- net$kappa
  fr <- seq_len(gp$N)
  list(net = gp_net_with(net, kappa = 1), kernel = gp$kernel, x = gp$x, grad = gp$gradients,
       z = gp$z, N = gp$N, d = gp$d, k = gp$k, n = gp$n, fr = fr,
       jr = setdiff(seq_len(gp$n), fr), par = par, fixed = cf,
       tied = gp$gradients && gp$tied && !("dy_noise" %in% par), threads = threads)
}

# The kernel at kappa = 1 and given sigma_w, sigma_b.
gp_evidence_kernel <- function(st, sw, sb) {
  gp_prior(gp_net_with(st$net, sigma_w = sw, sigma_b = sb), st$kernel, st$x, st$grad, st$threads)
}

# Mean prior variance (kappa = 1) of the value rows and of the gradient rows.
gp_mean_var <- function(st, dK) {
  c(f = mean(dK[st$fr]), j = if (st$grad) mean(dK[st$jr]) else NA_real_)
}

# Natural scales from log-parameters theta and the mean prior variances v:
# optimised noises are ratios to the prior variance (see ?gp_optimise).
gp_natural <- function(theta, st, v) {
  p <- st$fixed
  sc <- intersect(st$par, c("sigma_w", "sigma_b", "kappa"))
  p[sc] <- exp(theta[sc])
  kap2 <- p[["kappa"]]^2
  if ("noise" %in% st$par) p["noise"] <- exp(theta[["noise"]]) * kap2 * v[["f"]]
  if ("dy_noise" %in% st$par) p["dy_noise"] <- exp(theta[["dy_noise"]]) * kap2 * v[["j"]]
  if (st$tied) p["dy_noise"] <- p["noise"]
  p
}

# Log-parameters of natural scales p (the inverse of gp_natural()).
gp_theta <- function(p, st) {
  th <- log(p[st$par])
  if (any(c("noise", "dy_noise") %in% st$par)) {
    v <- gp_mean_var(st, gp_prior_diag(gp_net_with(st$net, sigma_w = p[["sigma_w"]],
                                                   sigma_b = p[["sigma_b"]]),
                                       st$kernel, st$x, st$grad, st$threads))
    kap2 <- p[["kappa"]]^2
    if ("noise" %in% st$par) th["noise"] <- log(p[["noise"]] / (kap2 * v[["f"]]))
    if ("dy_noise" %in% st$par) th["dy_noise"] <- log(p[["dy_noise"]] / (kap2 * v[["j"]]))
  }
  th
}

# Log evidence at log-parameters theta (named by st$par), with its gradient
# (?gp_optimise, section Gradient). The noise of the value rows is
# n_f = r kappa^2 v_f(sigma) when optimised (r = exp(theta["noise"])), and
# likewise n_j on the gradient rows; d log n / d theta enters the gradient.
gp_evidence <- function(theta, st, gradient = TRUE) {
  p0 <- st$fixed
  p0[intersect(st$par, c("sigma_w", "sigma_b"))] <- exp(theta[intersect(st$par, c("sigma_w", "sigma_b"))])
  sw <- p0[["sigma_w"]]; sb <- p0[["sigma_b"]]
  K1 <- gp_evidence_kernel(st, sw, sb)
  v <- gp_mean_var(st, diag(K1))
  p <- gp_natural(theta, st, v)
  kap2 <- p[["kappa"]]^2
  nf <- p[["noise"]]; nj <- if (st$grad) p[["dy_noise"]] else 0
  A <- kap2 * K1
  diag(A) <- diag(A) + gp_noise_diag(st$N, st$d, st$grad, nf, nj)
  ch <- gp_chol(A)
  alpha <- backsolve(ch$R, backsolve(ch$R, st$z, transpose = TRUE))
  out <- list(value = gp_loglik(ch$R, st$z, alpha), jitter = ch$jitter, par = p)
  if (!gradient || !length(st$par)) return(out)
  W <- tcrossprod(alpha) - st$k * chol2inv(ch$R)
  wf <- sum(diag(W)[st$fr]); wj <- if (st$grad) sum(diag(W)[st$jr]) else 0
  rel_f <- "noise" %in% st$par
  rel_j <- "dy_noise" %in% st$par
  h <- 1e-5    # truncation h^2 ~ 1e-10 against rounding eps / h ~ 2e-11 (relative)
  # d log n_f / d theta and d log n_j / d theta for one parameter.
  dlog_noise <- function(nm, dlv) {
    df <- if (!rel_f) 0 else switch(nm, noise = 1, kappa = 2, sigma_w = , sigma_b = dlv[["f"]], 0)
    dj <- if (st$tied) df else if (!rel_j) 0 else switch(nm, dy_noise = 1, kappa = 2, sigma_w = , sigma_b = dlv[["j"]], 0)
    c(df, dj)
  }
  g <- vapply(st$par, function(nm) {
    dlv <- c(f = 0, j = 0)
    tr_dK <- 0
    if (nm %in% c("sigma_w", "sigma_b")) {
      Kp <- if (nm == "sigma_w") gp_evidence_kernel(st, sw * exp(h), sb) else gp_evidence_kernel(st, sw, sb * exp(h))
      Km <- if (nm == "sigma_w") gp_evidence_kernel(st, sw * exp(-h), sb) else gp_evidence_kernel(st, sw, sb * exp(-h))
      tr_dK <- kap2 * sum(W * (Kp - Km)) / (2 * h)
      dlv <- (log(gp_mean_var(st, diag(Kp))) - log(gp_mean_var(st, diag(Km)))) / (2 * h)
    } else if (nm == "kappa") {
      tr_dK <- 2 * kap2 * sum(W * K1)
    }
    dn <- dlog_noise(nm, dlv)
    0.5 * (tr_dK + nf * dn[1] * wf + nj * dn[2] * wj)
  }, numeric(1))
  out$gradient <- g
  out
}

# Default bounds and start box, see ?gp_optimise: natural scale for sigma_w,
# sigma_b and kappa, ratios to the prior variance for the noises.
gp_boxes <- function(st, lower, upper) {
  fr <- st$fr
  s2 <- mean(st$z[fr, ]^2)
  if (!(s2 > 0)) s2 <- 1
  pv <- mean(gp_prior_diag(gp_net_with(st$net, sigma_w = st$fixed[["sigma_w"]],
                                       sigma_b = st$fixed[["sigma_b"]]),
                           st$kernel, st$x, FALSE, st$threads))
  k0 <- sqrt(s2 / max(pv, .Machine$double.xmin))
  rlo <- 1e-11 * st$n
  lo <- c(sigma_w = 0.05, sigma_b = 1e-4, kappa = 1e-3 * k0, noise = rlo, dy_noise = rlo)
  up <- c(sigma_w = 20, sigma_b = 20, kappa = 1e3 * k0, noise = 10, dy_noise = 10)
  slo <- c(sigma_w = 0.5, sigma_b = 0.01, kappa = k0 / 3, noise = 1e-6, dy_noise = 1e-6)
  sup <- c(sigma_w = 3, sigma_b = 1, kappa = 3 * k0, noise = 0.1, dy_noise = 0.1)
  over <- function(b, user, arg) {
    if (is.null(user)) return(b)
    if (!is.numeric(user) || is.null(names(user)) || any(!names(user) %in% names(b)) ||
        any(!is.finite(user)) || any(user <= 0)) {
      jntk_abort(sprintf("`%s` must be a named vector of positive bounds for some of %s.", arg,
                         paste0("\"", names(b), "\"", collapse = ", ")), class = "jntk_error_argument")
    }
    b[names(user)] <- user
    b
  }
  lo <- over(lo, lower, "lower"); up <- over(up, upper, "upper")
  if (any(lo[st$par] >= up[st$par])) {
    bad <- st$par[lo[st$par] >= up[st$par]][1]
    jntk_abort(sprintf("The lower bound of %s (%g) is not below its upper bound (%g).", bad,
                       lo[[bad]], up[[bad]]), class = "jntk_error_argument")
  }
  slo <- pmin(pmax(slo, lo), up); sup <- pmax(pmin(sup, up), lo)
  list(lower = lo[st$par], upper = up[st$par], slo = slo[st$par], sup = sup[st$par])
}

# Starting log-parameters, one row per start (see ?gp_optimise).
gp_start_values <- function(st, box, starts) {
  lo <- log(box$lower); up <- log(box$upper)
  clamp <- function(th) pmin(pmax(th, lo), up)
  if (is.matrix(starts)) {
    return(t(apply(starts, 1, function(r) {
      p <- st$fixed; p[st$par] <- r
      clamp(gp_theta(p, st))
    })))
  }
  centre <- (log(box$slo) + log(box$sup)) / 2
  p <- st$fixed
  first <- gp_theta(p, st)                       # -Inf for a zero sigma_b or noise
  bad <- !is.finite(first) | first < lo | first > up
  first[bad] <- centre[bad]
  S <- matrix(first, 1L, length(st$par), dimnames = list(NULL, st$par))
  if (starts > 1L) {
    u <- matrix(stats::runif((starts - 1L) * length(st$par)), starts - 1L)
    S <- rbind(S, sweep(sweep(u, 2, log(box$sup) - log(box$slo), `*`), 2, log(box$slo), `+`))
  }
  S
}

# Optimise the evidence for one architecture (one depth).
gp_optimise_one <- function(gp, net, par, starts, lower, upper, tol, control, threads) {
  st <- gp_evidence_setup(gp, net, par, threads)
  if (!length(par)) {
    e <- gp_evidence(numeric(0), st, gradient = FALSE)
    return(gp_optimum(st, e$par, e$value, list(par = par, table = NULL, best = NA, agree = 1L,
                                               starts = 1L, spread = 0, at_bound = character(0))))
  }
  box <- gp_boxes(st, lower, upper)
  S <- gp_start_values(st, box, starts)
  cache <- new.env(parent = emptyenv())
  eval_at <- function(th) {
    if (!identical(cache$theta, th)) {
      cache$theta <- th
      cache$e <- gp_evidence(stats::setNames(th, par), st)
      if (cache$e$jitter > 0) cache$jittered <- cache$jittered + 1L
    }
    cache$e
  }
  nat <- function(th) gp_evidence(stats::setNames(th, par), st, gradient = FALSE)$par[par]
  rows <- lapply(seq_len(nrow(S)), function(i) {
    cache$jittered <- 0L
    cache$theta <- NULL
    th0 <- S[i, ]
    r <- tryCatch(stats::optim(th0, function(th) -eval_at(th)$value, function(th) -eval_at(th)$gradient,
                               method = "L-BFGS-B", lower = log(box$lower), upper = log(box$upper),
                               control = control),
                  error = function(e) e)
    failed <- inherits(r, "error")
    fin <- if (failed) rep(NA_real_, length(par)) else r$par
    data.frame(as.list(stats::setNames(nat(th0), paste0("start_", par))),
               as.list(stats::setNames(if (failed) fin else nat(fin), par)),
               logLik = if (failed) NA_real_ else -r$value,
               convergence = if (failed) NA_integer_ else r$convergence,
               message = if (failed) conditionMessage(r) else r$message %||% "",
               evaluations = if (failed) NA_integer_ else unname(r$counts[1]),
               jitter_evaluations = cache$jittered,
               at_bound = if (failed) "" else
                 paste(par[abs(fin - log(box$lower)) < 1e-6 | abs(fin - log(box$upper)) < 1e-6],
                       collapse = ","),
               check.names = FALSE, stringsAsFactors = FALSE)
  })
  tab <- do.call(rbind, rows)
  if (all(is.na(tab$logLik))) {
    jntk_abort(sprintf("The evidence optimisation failed from every start (first error: %s).",
                       tab$message[1]), class = "jntk_error_singular")
  }
  best <- which.max(tab$logLik)
  agree <- which(!is.na(tab$logLik) & tab$logLik >= tab$logLik[best] - tol)
  vals <- as.matrix(tab[agree, par, drop = FALSE])
  spread <- max(apply(vals, 2, function(v) max(v) / min(v) - 1))
  p <- st$fixed
  p[par] <- unlist(tab[best, par])
  if (st$tied) p["dy_noise"] <- p["noise"]
  gp_optimum(st, p, tab$logLik[best],
             list(par = par, table = tab, best = best, agree = length(agree), starts = nrow(tab),
                  spread = spread, lower = box$lower, upper = box$upper,
                  at_bound = strsplit(tab$at_bound[best], ",", fixed = TRUE)[[1]]))
}

gp_optimum <- function(st, p, ll, optimisation) {
  list(net = gp_net_with(st$net, sigma_w = p[["sigma_w"]], sigma_b = p[["sigma_b"]],
                         kappa = p[["kappa"]]),
       noise = p[["noise"]], dy_noise = if (st$grad) p[["dy_noise"]] else p[["noise"]],
       tied = st$tied, loglik = ll, scales = p, optimisation = optimisation)
}

#' Compare Gaussian-process fits by their evidence
#'
#' A table of log marginal likelihoods of fits of the same data (e.g. several
#' depths, activations or kernels), with AIC, BIC and the log Bayes factor of
#' each against the best (with flat priors over the compared models).
#'
#' @param object A [gp_fit()].
#' @param ... More fits of the same data.
#' @return A data frame (class `"gp_anova"`, with a print method) with one row per fit: `kernel`,
#'   `activation`, `depth`, `df`, `logLik`, `AIC`, `BIC`, `log_bayes_factor`.
#' @seealso [gp_optimise()] (its `depth` argument fits and compares depths).
#' @examples
#' net <- mlp(depth = 1, activation = "relu", sigma_b = 0.1)
#' x <- matrix(seq(-1, 1, length.out = 8))
#' y <- abs(x[, 1])
#' anova(gp_fit(net, x, y, noise = 1e-3),
#'       gp_fit(mlp(3, "relu", sigma_b = 0.1), x, y, noise = 1e-3),
#'       gp_fit(mlp(3, "erf", sigma_b = 0.1), x, y, noise = 1e-3))
#' @export
anova.gp_fit <- function(object, ...) {
  fits <- c(list(object), list(...))
  ok <- vapply(fits, inherits, logical(1), what = "gp_fit")
  if (!all(ok)) {
    jntk_abort("Every argument of `anova()` must be a fit from `gp_fit()`.", class = "jntk_error_argument")
  }
  same <- vapply(fits, function(f) identical(f$x, object$x) && identical(f$z, object$z), logical(1))
  if (!all(same)) {
    jntk_abort(sprintf("Evidence compares fits of the same data, but fit(s) %s have other inputs or observations than the first.",
                       paste(which(!same), collapse = ", ")), class = "jntk_error_argument")
  }
  for (f in fits) gp_refuse_iterative(f, "`anova()` (comparing fits by evidence)")
  ll <- vapply(fits, function(f) f$loglik, numeric(1))
  df <- vapply(fits, function(f) as.integer(f$df), integer(1))
  tab <- data.frame(kernel = vapply(fits, function(f) f$kernel, ""),
                    activation = vapply(fits, function(f) f$net$activation, ""),
                    depth = vapply(fits, function(f) f$net$depth, 0L),
                    df = df, logLik = ll, AIC = -2 * ll + 2 * df,
                    BIC = -2 * ll + log(nobs(object)) * df, log_bayes_factor = ll - max(ll),
                    stringsAsFactors = FALSE)
  rownames(tab) <- paste("fit", seq_along(fits))
  structure(tab, nobs = nobs(object), class = c("gp_anova", "data.frame"))
}

#' @export
print.gp_anova <- function(x, digits = 6, ...) {
  digits <- check_number(digits, "digits", lower = 1, upper = 22, integer = TRUE,
                         hint = "the significant digits to print")
  cat(sprintf("Evidence of Gaussian-process fits of the same %d observation(s)\n", attr(x, "nobs")))
  y <- as.data.frame(unclass(x), stringsAsFactors = FALSE)
  attr(y, "nobs") <- NULL
  num <- c("logLik", "AIC", "BIC", "log_bayes_factor")
  y[num] <- lapply(y[num], signif, digits = digits)
  rownames(y) <- rownames(x)
  print(y)
  invisible(x)
}
