# Jacot, Gabriel and Hongler (2018), Figure 3: convergence along the second
# kernel principal component, and the kernel spectrum behind early stopping.
#
# Paper: N = 512 MNIST digits (28 x 28), relu, depth 3 here (their L = 4),
# sigma_b = 0.1; goal f* = f_0 + 0.5 f^(2) with f^(2) the 2nd eigenfunction
# of Theta / N on the batch; widths 100, 1000, 10,000, two networks each;
# ||g_t|| (along f^(2)) against 0.5 exp(-lambda_2 t), and the orthogonal part
# ||h_t||, which is 0 in the limit.
# Here: MNIST is not available on this machine, so the first 512 images of
# the Fashion-MNIST training set (Debian package dataset-fashion-mnist, read
# with read_idx(); grey levels / 255), or, where that package is missing,
# the first 512 of the shipped fashion_mnist_1k (said in the result).
# Learning rate 5 (the flow depends on lr and steps only through t = lr
# steps; 5 is below 2 / lambda_1 with room for the narrow networks' inflated
# kernel), 120 steps: t = 600, where exp(-lambda_2 t) is about 0.03.
# Width 10,000 costs about 6e11 flops per step (2 x 1e8 weights x 512 inputs
# x 3 passes); when it does not fit, `probe_widths` times a few steps at that
# width and the result gives the extrapolated time of the full setting.
#
# Run: Rscript inst/experiments/jacot2018-fig3.R [--size=small] [--cache=DIR]
#      [--set=widths=100,1000,3000]
#      or, in R, jntk::run_experiment("jacot2018-fig3")
# Writes inst/extdata/jacot2018-fig3.rds (paper size).

experiment <- list(
  name = "jacot2018-fig3",
  title = "Convergence along the 2nd kernel principal component, 512 Fashion-MNIST images (Jacot et al. 2018, Fig. 3)",
  paper = list(data = "MNIST, N = 512", depth = 3, activation = "relu", sigma_b = 0.1,
               widths = c(100, 1000, 10000), trials = 2,
               eigenvalues = c(0.0457, 0.00108, 0.00078),
               claim = "the wider the network, the closer to the straight line (h_t = 0) and to 0.5 exp(-lambda_2 t)"),

  settings = function(size) {
    s <- list(n_images = 512L, depth = 3L, activation = "relu", sigma_w = 1, sigma_b = 0.1,
              kappa = 1, widths = c(100, 1000, 10000), trials = 2L, lr = 5, steps = 120L,
              record_every = 4L, probe_widths = numeric(0), probe_steps = 2L, n_eigen = 100L,
              seed = 20183L)
    if (size == "small") {
      s$n_images <- 64L; s$widths <- c(50, 200); s$steps <- 40L; s$n_eigen <- 20L
    }
    s
  },

  cells = function(s) {
    g <- expand.grid(trial = seq_len(s$trials), width = s$widths)
    g$kind <- "train"
    if (length(s$probe_widths)) {
      g <- rbind(g, data.frame(trial = 1L, width = s$probe_widths, kind = "probe"))
    }
    g[, c("kind", "width", "trial")]
  },

  cost = function(cells, s) {
    steps <- ifelse(cells$kind == "probe", s$probe_steps, s$steps)
    steps * (2 * cells$width^2 + 784 * cells$width)
  },

  shared = function(s) {
    img <- fig3_images(s$n_images)
    net <- fig3_net(s)
    e <- eigen(jntk::ntk(net, img$x, threads = s$threads) / nrow(img$x), symmetric = TRUE)
    list(x = img$x, source = img$source, values = e$values,
         constancy = abs(mean(e$vectors[, 1])) * sqrt(nrow(img$x)),   # 1: constant
         f2 = sqrt(nrow(img$x)) * e$vectors[, 2])        # unit norm in L2 of the batch
  },

  run_cell = function(cell, s, shared) {
    X <- shared$x; N <- nrow(X); f2 <- shared$f2
    nw <- jntk::sample_mlp(fig3_net(s), cell$width, input_dim = ncol(X))
    y <- as.vector(predict(nw, X, threads = s$threads)) + 0.5 * f2
    steps <- if (cell$kind == "probe") s$probe_steps else s$steps
    t0 <- proc.time()
    fit <- jntk::train_mlp(nw, X, y, lr = s$lr, steps = steps,
                           record_every = if (cell$kind == "probe") steps else s$record_every,
                           threads = s$threads, progress = FALSE)
    dt <- proc.time() - t0
    D <- fit$fitted - y                       # f_t - f* at the recorded steps
    g <- colSums(D * f2) / N                  # coordinate along f^(2)
    h <- sqrt(pmax(colMeans(D^2) - g^2, 0))   # norm of the orthogonal part
    list(path = data.frame(t = fit$record_times, g = abs(g), h = h),
         seconds_per_step = c(wall = dt[["elapsed"]], cpu = sum(dt[1:2])) / max(steps, 1))
  },

  collate = function(cells, values, s, shared) {
    sh <- shared
    lambda2 <- sh$values[2]
    train <- cells$kind == "train"
    paths <- do.call(rbind, lapply(which(train), function(i) {
      cbind(width = cells$width[i], trial = cells$trial[i], values[[i]]$path)
    }))
    summ <- if (is.null(paths)) NULL else do.call(rbind, lapply(sort(unique(paths$width)), function(w) {
      p <- paths[paths$width == w, ]
      data.frame(width = w, h_max = max(p$h),
                 g_gap_max = max(abs(p$g - 0.5 * exp(-lambda2 * p$t))),
                 g_final = mean(p$g[p$t == max(p$t)]))
    }))
    per_step <- do.call(rbind, lapply(seq_along(values), function(i) {
      data.frame(kind = cells$kind[i], width = cells$width[i],
                 wall = values[[i]]$seconds_per_step[["wall"]],
                 cpu = values[[i]]$seconds_per_step[["cpu"]])
    }))
    # the full setting's training time at every paper width, from the
    # measured CPU seconds per step of the widest cell measured at or above it
    paper_cpu <- vapply(experiment$paper$widths, function(w) {
      m <- per_step[per_step$width == w, ]
      if (!nrow(m)) {
        ref <- per_step[which.max(per_step$width), ]
        m <- data.frame(cpu = ref$cpu * (2 * w^2 + 784 * w) / (2 * ref$width^2 + 784 * ref$width))
      }
      mean(m$cpu) * s$steps * s$trials
    }, 0)
    list(source = sh$source, eigenvalues = sh$values[seq_len(min(s$n_eigen, length(sh$values)))],
         lambda2 = lambda2, first_component_constancy = sh$constancy,
         paths = paths, summary = summ, seconds_per_step = per_step,
         paper_training_cpu = data.frame(width = experiment$paper$widths, cpu_seconds = paper_cpu))
  }
)

fig3_net <- function(s) {
  jntk::mlp(s$depth, s$activation, sigma_w = s$sigma_w, sigma_b = s$sigma_b, kappa = s$kappa)
}

# The first n images of the Fashion-MNIST training set, grey levels / 255.
fig3_images <- function(n) {
  f <- "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
  if (file.exists(f)) {
    img <- jntk::read_idx(f, flatten = TRUE)
    return(list(x = img[seq_len(n), ] / 255,
                source = sprintf("Fashion-MNIST training set, first %d images (%s)", n, f)))
  }
  message("Fashion-MNIST files not found (Debian package dataset-fashion-mnist); using the shipped fashion_mnist_1k subset.")
  e <- new.env()
  utils::data("fashion_mnist_1k", package = "jntk", envir = e)
  list(x = e$fashion_mnist_1k$images[seq_len(n), ] / 255,
       source = sprintf("jntk's fashion_mnist_1k (Fashion-MNIST test set subset), first %d images", n))
}

if (sys.nframe() == 0L) jntk::run_experiment(experiment, args = commandArgs(trailingOnly = TRUE))
