# Helpers for test-experiments.R: run one cell of an experiment script at a
# tiny size, and plain-R references for what the cells compute, written from
# the definitions (docs/math.md sections 1-5). The per-parameter gradients and
# the plain gradient descent are those of helper-network.R and
# helper-training.R (nref_*, tref_*).

# One cell of `name` with the small settings changed by `set`: the spec, the
# settings, the cell (with its seed), the shared data and the cell's output.
xref_cell <- function(name, set, row = 1L, seed = 101L) {
  spec <- jntk:::load_experiment(name)
  s <- utils::modifyList(spec$settings("small"), set)
  s$threads <- 1L
  cells <- spec$cells(s)
  cell <- cells[row, , drop = FALSE]
  cell$seed <- as.integer(seed)
  cell$id <- "test"
  shared <- if (is.function(spec$shared)) spec$shared(s) else NULL
  out <- jntk:::run_cell(spec, cell, s, shared)
  list(spec = spec, s = s, cell = cell, shared = shared, out = out$value, time = out$time)
}

# The network a cell drew first (every cell draws it right after its seed).
xref_network <- function(cell, net, width, d) {
  set.seed(cell$seed, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  sample_mlp(net, width, input_dim = d)
}

# Last hidden layer z_L(x) and its input derivatives dz_L/dx (n_L x d) for
# one input, by the forward pass with one tangent per input coordinate.
xref_hidden <- function(nw, x) {
  net <- nw$net
  z <- x
  dz <- diag(length(x))
  for (l in seq_len(length(nw$weights) - 1L)) {
    W <- nw$weights[[l]]
    c <- net$sigma_w / sqrt(ncol(W))
    h <- c * drop(W %*% z) + net$sigma_b * nw$biases[[l]]
    dh <- c * (W %*% dz)
    z <- nref_phi(net$activation, h, net$slope)
    dz <- nref_dphi(net$activation, h, net$slope) * dh
  }
  list(z = z, dz = dz)
}

# The finite-width Jacobian NNGP by its definition: the covariance of
# (f, grad f) over the output layer's weights and bias given the hidden
# layers, in block-major order.
xref_empirical_jacobian_nngp <- function(nw, x) {
  net <- nw$net
  N <- nrow(x); d <- ncol(x)
  hid <- lapply(seq_len(N), function(a) xref_hidden(nw, x[a, ]))
  n <- length(hid[[1]]$z)
  V <- rbind(t(vapply(hid, `[[`, numeric(n), "z")),
             do.call(rbind, lapply(hid, function(h) t(h$dz))))
  K <- net$kappa^2 * net$sigma_w^2 / n * tcrossprod(V)
  K[1:N, 1:N] <- K[1:N, 1:N] + net$kappa^2 * net$sigma_b^2
  K
}

# The t = infinity Gaussian of plain NTK training written out: mean
# Theta(x, X) Theta^-1 Y and covariance
# Sigma(x, x) - B Sigma(X, x) - Sigma(x, X) B' + B Sigma(X, X) B', B = Theta(x, X) Theta^-1
# (Jacot et al. 2018, Section 5; math.md section 5).
xref_limit_gaussian <- function(net, X, y, xn) {
  B <- ntk(net, xn, X) %*% solve(ntk(net, X))
  S_nX <- nngp(net, xn, X)
  cov <- nngp(net, xn) - B %*% t(S_nX) - S_nX %*% t(B) + B %*% nngp(net, X) %*% t(B)
  list(mean = drop(B %*% y), sd = sqrt(pmax(diag(cov), 0)))
}

# Plain gradient descent on the least-squares loss (lambda = 0) by
# backpropagation per input, theta <- theta - lr / N sum_i (f(x_i) - y_i) grad f(x_i):
# no input tangents, so it is cheap at d = 784.
xref_train_plain <- function(nw, x, y, lr, steps) {
  theta <- tref_pack(nw)
  for (s in seq_len(steps)) {
    cur <- tref_unpack(theta, nw)
    r <- nref_predict(cur, x) - y
    theta <- theta - lr * drop(crossprod(nref_grad_matrix(cur, x), r)) / nrow(x)
  }
  tref_unpack(theta, nw)
}

# What each vignette draws from the result.
check_shipped_data <- function(nm, r) {
  s <- r$settings; d <- r$data; fin <- r$cells[r$cells$finished, ]
  switch(nm,
    "jacot2018-fig1" = {
      expect_identical(s$widths, c(500, 10000))
      expect_identical(c(s$depth, s$steps, s$n_train), c(3L, 200L, 4L))
      expect_identical(dim(d$kernel_0), c(nrow(fin), s$n_angles))
      expect_identical(dim(d$kernel_t), dim(d$kernel_0))
      expect_length(d$limit, s$n_angles)
      expect_true(all(d$summary$width %in% s$widths))
    },
    "jacot2018-fig2" = {
      expect_identical(s$widths, c(50, 1000))
      expect_identical(dim(d$outputs), c(s$n_angles, nrow(fin)))
      expect_true(all(d$limit$q10 <= d$limit$q50 & d$limit$q50 <= d$limit$q90))
      expect_true(all(d$summary$inside >= 0 & d$summary$inside <= 1))
    },
    "jacot2018-fig3" = {
      expect_identical(s$n_images, 512L)
      expect_match(d$source, "Fashion-MNIST")
      expect_true(all(diff(d$eigenvalues) <= 0))
      expect_identical(d$lambda2, d$eigenvalues[2])
      expect_true(all(d$paths$width %in% fin$width))
      expect_identical(d$paper_training_cpu$width, c(100, 1000, 10000))
    },
    "kimyang2024-fig1" = , "kimyang2024-fig2" = {
      expect_identical(c(s$n_points, s$d), c(256L, 4L))
      # the paper's widths, or those of them that fit the time budget
      expect_true(all(s$widths %in% 2^(6:13)) && length(s$widths) >= 5L)
      expect_identical(r$paper$widths, 2^(6:13))
      expect_gt(d$paper_cpu, 0)
      expect_identical(dim(d$x), c(256L, 4L))
      expect_length(d$studies, length(s$activations) * length(s$depths))
      for (cv in d$studies) {
        expect_s3_class(cv, "jntk_convergence")
        expect_identical(cv$kernel, if (nm == "kimyang2024-fig1") "jacobian_nngp" else "jntk")
        expect_true(all(is.finite(cv$errors$error) & cv$errors$error > 0))
        expect_true(all(cv$summary$lower <= cv$summary$mean & cv$summary$mean <= cv$summary$upper))
      }
    },
    "kimyang2024-fig3" = {
      expect_identical(c(s$lambda, s$kappa, s$lr), c(0.01, 0.1, 1))
      expect_identical(s$record_every, 100L)
      expect_true(all(d$deviation$step %% s$record_every == 0 | d$deviation$step == s$steps))
      expect_true(all(d$deviation$deviation > 0))
      expect_identical(d$paper_training_cpu$width, 2^(6:13))
    },
    "kimyang2024-fig4" = {
      expect_true(all(c("activation", "lambda", "eigenvalue") %in% names(d$features)))
      expect_setequal(unique(d$features$lambda), s$lambdas)
      expect_true(all(d$correlations$pearson >= -1 & d$correlations$pearson <= 1))
    },
    "kimyang2024-fig5" = {
      expect_true(all(c("activation", "lambda", "t", "eps", "accuracy", "grad_norm") %in% names(d$curves)))
      expect_setequal(unique(d$curves$eps), s$eps)
    },
    "kimyang2024-fig6" = {
      expect_identical(s$n_points, 256L)
      expect_true(all(c("depth", "kernel", "activation", "min_eigenvalue") %in% names(d$eigenvalues)))
      expect_setequal(unique(d$eigenvalues$depth), s$depths)
    })
}
