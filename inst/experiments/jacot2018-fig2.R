# Jacot, Gabriel and Hongler (2018), Figure 2: networks trained to
# convergence against the 10 %, 50 % and 90 % quantiles of the
# infinite-width Gaussian at t = infinity.
#
# Paper: relu, depth 3 here (their L = 4), sigma_b = 0.1, widths 50 and 1000,
# 10 networks each, trained for 1000 steps with learning rate 1 on four points
# of the unit circle with targets f*(x) = x1 x2; the limit from Sigma and
# Theta (their Section 5).
# Here: the same; the four angles are -2.5, -1, 0.5 and 2 (the paper does
# not list them), the outputs are read at 201 angles on [-pi, pi], and the
# limit is gradient_flow(...) at t = Inf.
#
# Run: Rscript inst/experiments/jacot2018-fig2.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("jacot2018-fig2")
# Writes inst/extdata/jacot2018-fig2.rds (paper size).

experiment <- list(
  name = "jacot2018-fig2",
  title = "Trained networks against the t = infinity Gaussian, widths 50 and 1000 (Jacot et al. 2018, Fig. 2)",
  paper = list(depth = 3, activation = "relu", sigma_b = 0.1, widths = c(50, 1000), n_init = 10,
               steps = 1000, lr = 1, n_train = 4,
               claim = "even at width 50 the limiting Gaussian describes the trained networks (80 % inside the 10-90 % band)"),

  settings = function(size) {
    s <- list(depth = 3L, activation = "relu", sigma_w = 1, sigma_b = 0.1, kappa = 1,
              widths = c(50, 1000), n_init = 10L, steps = 1000L, lr = 1,
              train_angles = c(-2.5, -1, 0.5, 2), n_angles = 201L, seed = 20182L)
    if (size == "small") {
      s$widths <- c(50, 200); s$n_init <- 5L; s$steps <- 300L; s$n_angles <- 61L
    }
    s
  },

  cells = function(s) {
    g <- expand.grid(init = seq_len(s$n_init), width = s$widths)
    g[, c("width", "init")]
  },

  cost = function(cells, s) cells$width^2 + 1e4,

  run_cell = function(cell, s, shared) {
    tr <- circle_data(s)
    net <- jntk::mlp(s$depth, s$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa)
    nw <- jntk::sample_mlp(net, cell$width, input_dim = 2L)
    fit <- jntk::train_mlp(nw, tr$x, tr$y, lr = s$lr, steps = s$steps, record_every = s$steps,
                           threads = s$threads, progress = FALSE)
    list(f = as.vector(predict(fit$network, tr$circle)),
         f_init = as.vector(predict(nw, tr$circle)),
         loss = fit$history$loss[c(1L, s$steps + 1L)])
  },

  collate = function(cells, values, s, shared) {
    tr <- circle_data(s)
    net <- jntk::mlp(s$depth, s$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa)
    fl <- jntk::gradient_flow(net, tr$x, tr$y)
    p <- predict(fl, tr$circle, t = c(s$lr * s$steps, Inf), cov = TRUE)
    mean_inf <- p$mean[, 2]
    sd_inf <- sqrt(pmax(diag(p$cov[, , 2]), 0))
    sd_t <- sqrt(pmax(diag(p$cov[, , 1]), 0))
    q <- cbind(q10 = mean_inf + stats::qnorm(0.1) * sd_inf, q50 = mean_inf,
               q90 = mean_inf + stats::qnorm(0.9) * sd_inf)
    F <- do.call(cbind, lapply(values, `[[`, "f"))         # angles x networks
    summ <- do.call(rbind, lapply(sort(unique(cells$width)), function(w) {
      o <- F[, cells$width == w, drop = FALSE]
      inside <- o >= q[, 1] & o <= q[, 3]
      # networks are independent, angles are not: the standard error of the
      # share inside comes from the spread of the per-network shares
      per_net <- colMeans(inside)
      data.frame(width = w, n_networks = ncol(o), inside = mean(inside),
                 inside_se = stats::sd(per_net) / sqrt(length(per_net)),
                 sd_ratio = mean(apply(o, 1, stats::sd)) / mean(sd_inf),
                 mean_gap = mean(abs(rowMeans(o) - mean_inf)) / mean(sd_inf),
                 final_loss = mean(vapply(values[cells$width == w], function(v) v$loss[2], 0)))
    }))
    list(angle = tr$angle, train_angles = s$train_angles, x_train = tr$x, y_train = tr$y,
         limit = data.frame(angle = tr$angle, q, sd = sd_inf, mean_t = p$mean[, 1], sd_t = sd_t),
         networks = data.frame(width = cells$width, init = cells$init, seed = cells$seed),
         outputs = signif(F, 6), summary = summ)
  }
)

circle_data <- function(s) {
  x <- cbind(cos(s$train_angles), sin(s$train_angles))
  circle <- jntk::unit_circle(s$n_angles, range = c(-pi, pi), include_end = TRUE)
  list(x = x, y = x[, 1] * x[, 2], circle = circle, angle = attr(circle, "angle"))
}

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
