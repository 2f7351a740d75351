# Kim and Yang (2024), Figure 1: the finite-width Jacobian NNGP against its
# infinite-width limit.
#
# Paper: 256 points spread over the sphere S^3 in R^4, erf and gelu networks of
# depths 1-3 and widths 2^6 ... 2^13, 10 networks per width, max-norm error
# divided by kappa^2 (kappa = 0.1), bootstrap 95 % intervals.
# Here: the same. The finite-width Jacobian NNGP of one network is the
# covariance of (f, grad f) over the output layer given the sampled hidden
# layers (empirical_nngp(jacobian = TRUE)); sigma_w = 1, sigma_b = 0.1 are our
# reading of the paper's scales (see ?mlp).
#
# Run: Rscript inst/experiments/kimyang2024-fig1.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("kimyang2024-fig1")
# Writes inst/extdata/kimyang2024-fig1.rds (paper size).

experiment <- list(
  name = "kimyang2024-fig1",
  title = "Finite-width Jacobian NNGP vs its limit on 256 points of S^3 (Kim & Yang 2024, Fig. 1)",
  paper = list(n_points = 256, d = 4, widths = 2^(6:13), depths = 1:3, n_rep = 10,
               activations = c("erf", "gelu"), kappa = 0.1, interval = "bootstrap 95 %",
               claim = "error falls like width^(-1/2) (slope -0.5) at every depth"),
  kernel = "jacobian_nngp",

  settings = function(size) {
    s <- list(n_points = 256L, d = 4L, widths = 2^(6:13), depths = 1:3, n_rep = 10L,
              activations = c("erf", "gelu"), sigma_w = 1, sigma_b = 0.1, kappa = 0.1,
              n_boot = 2000L, seed = 20241L)
    if (size == "small") {
      s$n_points <- 32L; s$widths <- 2^(6:9); s$n_rep <- 3L; s$n_boot <- 500L
    }
    s
  },

  # widths ascending, so that a run stopped by its time budget has every
  # small width; each cell is one network
  cells = function(s) {
    g <- expand.grid(rep = seq_len(s$n_rep), depth = s$depths, activation = s$activations,
                     width = s$widths, stringsAsFactors = FALSE)
    g[, c("activation", "depth", "width", "rep")]
  },

  # relative cost of a cell: the hidden-to-hidden products dominate
  cost = function(cells, s) cells$width * (1 + (cells$depth - 1) * cells$width / 512),

  shared = function(s) {
    x <- jntk::sphere_points(s$n_points, s$d)
    limits <- list()
    for (a in s$activations) for (L in s$depths) {
      net <- jntk::mlp(L, a, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa)
      K <- if (experiment$kernel == "jntk") jntk::jntk(net, x, threads = s$threads) else
        jntk::jacobian_nngp(net, x, threads = s$threads)
      limits[[paste(a, L)]] <- as.matrix(K)
    }
    list(x = x, limits = limits)
  },

  run_cell = function(cell, s, shared) {
    net <- jntk::mlp(cell$depth, cell$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b,
                     kappa = s$kappa)
    nw <- jntk::sample_mlp(net, cell$width, input_dim = s$d)
    K <- if (experiment$kernel == "jntk") jntk::empirical_jntk(nw, shared$x, threads = s$threads) else
      jntk::empirical_nngp(nw, shared$x, jacobian = TRUE, threads = s$threads)
    E <- abs(K - shared$limits[[paste(cell$activation, cell$depth)]]) / s$kappa^2
    f <- seq_len(s$n_points)
    # the max-norm error and its value in each block (f-f, f-J, J-J)
    c(error = max(E), error_ff = max(E[f, f]), error_fj = max(E[f, -f]),
      error_jj = max(E[-f, -f]))
  },

  collate = function(cells, values, s, shared) {
    errors <- cbind(cells[, c("activation", "depth", "width", "rep", "seed")],
                    do.call(rbind, values))
    set.seed(s$seed)                       # the bootstrap resamples
    groups <- unique(errors[, c("activation", "depth")])
    studies <- lapply(seq_len(nrow(groups)), function(g) {
      e <- errors[errors$activation == groups$activation[g] & errors$depth == groups$depth[g], ]
      convergence_study(e, groups$activation[g], groups$depth[g], s, experiment$kernel)
    })
    names(studies) <- paste(groups$activation, "depth", groups$depth)
    slopes <- data.frame(activation = groups$activation, depth = groups$depth,
                         slope = vapply(studies, `[[`, 0, "slope"),
                         slope_se = vapply(studies, `[[`, 0, "slope_se"),
                         error_at_max_width = vapply(studies, function(cv) utils::tail(cv$summary$mean, 1), 0),
                         row.names = NULL)
    # CPU time of the paper's whole setting (all widths), from the measured
    # CPU seconds per unit of cost of the widest cells run
    wide <- cells$width == max(cells$width)
    rate <- sum(cells$cpu[wide]) / sum(experiment$cost(cells[wide, ], s))
    paper <- expand.grid(rep = seq_len(experiment$paper$n_rep), depth = experiment$paper$depths,
                         activation = experiment$paper$activations, width = experiment$paper$widths,
                         stringsAsFactors = FALSE)
    list(errors = errors, studies = studies, slopes = slopes, x = shared$x,
         paper_cpu = rate * sum(experiment$cost(paper, s)))
  }
)

# A "jntk_convergence" object (as from kernel_convergence(), so that plot()
# and summary() work) from one (activation, depth) group of cells: bootstrap
# 95 % percentile intervals of the mean error per width over the repetitions,
# least-squares slope of log(error) on log(width) over all repetitions.
convergence_study <- function(e, activation, depth, s, kernel) {
  summ <- do.call(rbind, lapply(sort(unique(e$width)), function(w) {
    v <- e$error[e$width == w]
    boot <- rowMeans(matrix(sample(v, s$n_boot * length(v), replace = TRUE), s$n_boot))
    q <- stats::quantile(boot, c(0.025, 0.975), names = FALSE)
    data.frame(width = w, mean = mean(v), lower = q[1], upper = q[2])
  }))
  fit <- if (length(unique(e$width)) >= 2L) summary(stats::lm(log(error) ~ log(width), data = e))$coefficients
  structure(list(
    errors = data.frame(width = as.integer(e$width), rep = e$rep, error = e$error),
    summary = summ,
    slope = if (is.null(fit)) NA_real_ else fit[2, 1],
    slope_se = if (is.null(fit)) NA_real_ else fit[2, 2],
    intercept = if (is.null(fit)) NA_real_ else fit[1, 1],
    kernel = kernel, nngp_method = "empirical", n_samples = NULL,
    net = jntk::mlp(depth, activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa),
    n_rep = max(e$rep), n_inputs = s$n_points), class = "jntk_convergence")
}

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
