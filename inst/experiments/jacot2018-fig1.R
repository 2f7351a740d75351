# Jacot, Gabriel and Hongler (2018), Figure 1: the NTK of finite networks
# along the unit circle, at initialisation and after training, against the
# infinite-width limit.
#
# Paper: relu, L = 4 layers in their counting (depth = 3 hidden layers here),
# sigma_w = 1, beta = sigma_b = 0.1, widths 500 and 10,000, 10 networks each;
# Theta(x0, x) for x0 = (1, 0), x = (cos g, sin g); the same networks after
# 200 steps of gradient descent with learning rate 1 (t = 200) on
# f*(x) = x1 x2 at n = 4 training points.
# Here: the same; the 4 training inputs are drawn from N(0, I_2) (math.md
# section 6; recorded in the result), and the kernel is evaluated at 101
# angles on [0, 2 pi].
#
# Run: Rscript inst/experiments/jacot2018-fig1.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("jacot2018-fig1")
# Writes inst/extdata/jacot2018-fig1.rds (paper size).

experiment <- list(
  name = "jacot2018-fig1",
  title = "NTK along the unit circle at t = 0 and t = 200, widths 500 and 10,000 (Jacot et al. 2018, Fig. 1)",
  paper = list(depth = 3, activation = "relu", sigma_b = 0.1, widths = c(500, 10000), n_init = 10,
               n_train = 4, steps = 200, lr = 1,
               claim = paste("wider networks' NTK varies less between initialisations and stays",
                             "closer to the limit; during training the NTK inflates, much less when wide")),

  settings = function(size) {
    s <- list(depth = 3L, activation = "relu", sigma_w = 1, sigma_b = 0.1, kappa = 1,
              widths = c(500, 10000), n_init = 10L, n_train = 4L, steps = 200L, lr = 1,
              n_angles = 101L, seed = 20181L)
    if (size == "small") {
      s$widths <- c(50, 500); s$n_init <- 4L; s$n_angles <- 41L
    }
    s
  },

  cells = function(s) {
    g <- expand.grid(init = seq_len(s$n_init), width = s$widths)
    g[, c("width", "init")]
  },

  cost = function(cells, s) cells$width^2 * (s$depth - 1) + 1e4,

  shared = function(s) training_set(s),

  run_cell = function(cell, s, shared) {
    net <- jntk::mlp(s$depth, s$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa)
    circle <- jntk::unit_circle(s$n_angles, include_end = TRUE)
    x0 <- matrix(c(1, 0), 1L)
    nw <- jntk::sample_mlp(net, cell$width, input_dim = 2L)
    k0 <- as.vector(jntk::empirical_ntk(nw, x0, circle, threads = s$threads))
    fit <- jntk::train_mlp(nw, shared$x, shared$y, lr = s$lr, steps = s$steps,
                           record_every = s$steps, threads = s$threads, progress = FALSE)
    rm(nw)
    k1 <- as.vector(jntk::empirical_ntk(fit$network, x0, circle, threads = s$threads))
    list(kernel_0 = k0, kernel_t = k1, loss = fit$history$loss[c(1L, s$steps + 1L)])
  },

  collate = function(cells, values, s, shared) {
    net <- jntk::mlp(s$depth, s$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa)
    circle <- jntk::unit_circle(s$n_angles, include_end = TRUE)
    limit <- as.vector(jntk::ntk(net, matrix(c(1, 0), 1L), circle))
    K0 <- do.call(rbind, lapply(values, `[[`, "kernel_0"))
    Kt <- do.call(rbind, lapply(values, `[[`, "kernel_t"))
    # per width: spread over initialisations relative to the limit (mean over
    # angles), mean kernel against the limit, growth during training
    summ <- do.call(rbind, lapply(sort(unique(cells$width)), function(w) {
      k <- cells$width == w
      data.frame(width = w, n_networks = sum(k),
                 spread_0 = mean(apply(K0[k, , drop = FALSE], 2, stats::sd) / limit),
                 spread_t = mean(apply(Kt[k, , drop = FALSE], 2, stats::sd) / limit),
                 mean_vs_limit_0 = mean(abs(colMeans(K0[k, , drop = FALSE]) - limit) / limit),
                 inflation = mean(Kt[k, , drop = FALSE] / K0[k, , drop = FALSE]) - 1,
                 inflation_se = stats::sd(rowMeans(Kt[k, , drop = FALSE] / K0[k, , drop = FALSE])) / sqrt(sum(k)),
                 final_loss = mean(vapply(values[k], function(v) v$loss[2], 0)))
    }))
    list(angle = attr(circle, "angle"), limit = limit,
         networks = data.frame(width = cells$width, init = cells$init, seed = cells$seed),
         kernel_0 = signif(K0, 6), kernel_t = signif(Kt, 6), summary = summ,
         x_train = shared$x, y_train = shared$y)
  }
)

# The n_train inputs from N(0, I_2) and their targets x1 x2, from the base
# seed (the same in every run and every cell).
training_set <- function(s) {
  old <- if (exists(".Random.seed", globalenv())) get(".Random.seed", globalenv()) else NULL
  on.exit(if (!is.null(old)) assign(".Random.seed", old, globalenv()))
  set.seed(s$seed)
  x <- matrix(stats::rnorm(2 * s$n_train), ncol = 2)
  list(x = x, y = x[, 1] * x[, 2])
}

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
