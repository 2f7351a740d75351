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
