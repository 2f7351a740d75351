# Kim and Yang (2024), Figure 3: the empirical JNTK during Jacobian-regularised
# training against the infinite-width limit (Theorem 4.5: it stays constant).
#
# Paper: the Algerian forest-fires data (224 points, 11 features), erf
# networks, lambda = 0.01, kappa = 0.1, learning rate 1, widths up to 2^13,
# the JNTK recorded every 100 steps; its max-norm distance from the limit
# (/ kappa^2) shrinks with width at every step.
# Here: the Algerian forest-fires data are not available on this machine.
# We use the Pima Indians diabetes training set of MASS (MASS::Pima.tr: 200
# women, 7 numeric features standardised with their own mean and standard
# deviation, targets +1 diabetic / -1 not), a real tabular binary problem of
# similar size but fewer features. Depth 2 (the paper's depth could not be
# read), sigma_w = 1, sigma_b = 0.1, 1000 steps, full batch. One training
# step costs about 6 products with each hidden weight matrix over the batch,
# so width 2^13 (1000 steps) takes hours on two cores: run the widths that fit
# (e.g. --set=widths=64,128,256,512,1024,2048); the result gives the measured
# CPU seconds per step and the extrapolated time of every paper width.
#
# Run: Rscript inst/experiments/kimyang2024-fig3.R [--size=small] [--cache=DIR]
#      or, in R, jntk::run_experiment("kimyang2024-fig3")
# Writes inst/extdata/kimyang2024-fig3.rds (paper size).

experiment <- list(
  name = "kimyang2024-fig3",
  title = "Empirical JNTK during Jacobian-regularised training vs its limit, MASS::Pima.tr (Kim & Yang 2024, Fig. 3)",
  paper = list(data = "Algerian forest fires, 224 points x 11 features", activation = "erf",
               widths = 2^(6:13), lambda = 0.01, kappa = 0.1, lr = 1, record_every = 100,
               claim = "at every recorded step the JNTK of a wider network is closer to the limit"),

  settings = function(size) {
    s <- list(data = "MASS::Pima.tr", n_train = 200L, depth = 2L, activations = "erf",
              sigma_w = 1, sigma_b = 0.1, kappa = 0.1, widths = 2^(6:13), n_rep = 1L,
              lambda = 0.01, lr = 1, steps = 1000L, record_every = 100L, seed = 20243L)
    if (size == "small") {
      s$n_train <- 40L; s$widths <- c(64, 256, 1024); s$steps <- 100L; s$record_every <- 25L
    }
    s
  },

  cells = function(s) {
    g <- expand.grid(rep = seq_len(s$n_rep), activation = s$activations, width = s$widths,
                     stringsAsFactors = FALSE)
    g[, c("activation", "width", "rep")]
  },

  cost = function(cells, s) s$steps * (cells$width^2 * (s$depth - 1) + 20 * cells$width),

  shared = function(s) {
    d <- pima_data(s$n_train)
    limits <- lapply(stats::setNames(s$activations, s$activations), function(a) {
      as.matrix(jntk::jntk(fig3_arch(s, a), d$x, threads = s$threads))
    })
    c(d, list(limits = limits))
  },

  run_cell = function(cell, s, shared) {
    net <- fig3_arch(s, cell$activation)
    nw <- jntk::sample_mlp(net, cell$width, input_dim = ncol(shared$x))
    t0 <- proc.time()
    fit <- jntk::train_mlp(nw, shared$x, shared$y, lambda = s$lambda, lr = s$lr, steps = s$steps,
                           record_every = s$record_every, record_kernel = "jntk",
                           threads = s$threads, progress = FALSE)
    dt <- proc.time() - t0
    limit <- shared$limits[[cell$activation]]
    K0 <- fit$kernels[[1]]
    N <- nrow(shared$x)
    f <- seq_len(N)
    dev <- data.frame(
      step = fit$record_steps,
      deviation = vapply(fit$kernels, function(K) max(abs(K - limit)), 0) / s$kappa^2,
      deviation_ff = vapply(fit$kernels, function(K) max(abs(K[f, f] - limit[f, f])), 0) / s$kappa^2,
      # relative change since initialisation (Frobenius), as kernel_drift()
      drift = vapply(fit$kernels, function(K) sqrt(sum((K - K0)^2)), 0) / sqrt(sum(K0^2)),
      loss = fit$history$loss[fit$record_steps + 1L],
      fit_loss = fit$history$fit_loss[fit$record_steps + 1L])
    list(deviation = dev, cpu_per_step = sum(dt[1:2]) / max(s$steps, 1),
         train_accuracy = mean(sign(fit$fitted[, ncol(fit$fitted)]) == shared$y))
  },

  collate = function(cells, values, s, shared) {
    dev <- do.call(rbind, lapply(seq_along(values), function(i) {
      cbind(activation = cells$activation[i], width = cells$width[i], rep = cells$rep[i],
            values[[i]]$deviation, stringsAsFactors = FALSE)
    }))
    # is the deviation smaller for every wider network at every recorded step?
    ordered <- do.call(rbind, lapply(split(dev, list(dev$activation, dev$step), drop = TRUE), function(d) {
      m <- tapply(d$deviation, d$width, mean)
      data.frame(activation = d$activation[1], step = d$step[1],
                 decreasing = all(diff(m) < 0), n_widths = length(m))
    }))
    rownames(ordered) <- NULL
    slopes <- do.call(rbind, lapply(split(dev, list(dev$activation, dev$step), drop = TRUE), function(d) {
      if (length(unique(d$width)) < 2L) return(NULL)
      co <- summary(stats::lm(log(deviation) ~ log(width), data = d))$coefficients
      data.frame(activation = d$activation[1], step = d$step[1], slope = co[2, 1], slope_se = co[2, 2])
    }))
    rownames(slopes) <- NULL
    cps <- vapply(values, `[[`, 0, "cpu_per_step")
    ref <- which.max(cells$width)
    per_w <- function(w) (w^2 * (s$depth - 1) + 20 * w) / (cells$width[ref]^2 * (s$depth - 1) + 20 * cells$width[ref])
    paper_cpu <- vapply(experiment$paper$widths, function(w) {
      k <- cells$width == w
      (if (any(k)) mean(cps[k]) else cps[ref] * per_w(w)) * s$steps
    }, 0)
    list(data = s$data, n_train = nrow(shared$x), d = ncol(shared$x), deviation = dev,
         ordered = ordered, slopes = slopes,
         train_accuracy = data.frame(activation = cells$activation, width = cells$width,
                                     accuracy = vapply(values, `[[`, 0, "train_accuracy")),
         cpu_per_step = data.frame(activation = cells$activation, width = cells$width, cpu = cps),
         paper_training_cpu = data.frame(width = experiment$paper$widths, cpu_seconds = paper_cpu))
  }
)

fig3_arch <- function(s, activation) {
  jntk::mlp(s$depth, activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa)
}

sys.source(file.path(if (exists("experiment_file")) dirname(experiment_file) else
  dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
  "kimyang2024-data.R"), envir = environment())

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
