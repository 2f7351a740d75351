# Plain-R references for the training tests, written straight from the
# definitions (math.md sections 1 and 5), sharing no code with src/training.c:
# per-input loops, the input Jacobian by forward tangents (one per input
# coordinate) instead of reverse mode, and the parameter gradient of the loss
# by forward-mode differentiation in every parameter at once (the derivative
# of h, dh/dx and of every tangent with respect to theta is propagated through
# the layers), instead of double backprop.

tref_activation <- function(name, slope = 0.01) {
  s <- stats::plogis
  switch(name,
    identity = list(f = function(x) x, d1 = function(x) 1 + 0 * x, d2 = function(x) 0 * x),
    relu = list(f = function(x) pmax(x, 0), d1 = function(x) as.double(x > 0),
                d2 = function(x) 0 * x),
    leaky_relu = list(f = function(x) ifelse(x > 0, x, slope * x),
                      d1 = function(x) ifelse(x > 0, 1, slope), d2 = function(x) 0 * x),
    abs = list(f = abs, d1 = sign, d2 = function(x) 0 * x),
    erf = list(f = function(x) 2 * stats::pnorm(x * sqrt(2)) - 1,
               d1 = function(x) 2 / sqrt(pi) * exp(-x^2),
               d2 = function(x) -4 * x / sqrt(pi) * exp(-x^2)),
    gelu = list(f = function(x) x * stats::pnorm(x),
                d1 = function(x) stats::pnorm(x) + x * stats::dnorm(x),
                d2 = function(x) stats::dnorm(x) * (2 - x^2)),
    sin = list(f = sin, d1 = cos, d2 = function(x) -sin(x)),
    cos = list(f = cos, d1 = function(x) -sin(x), d2 = function(x) -cos(x)),
    tanh = list(f = tanh, d1 = function(x) 1 - tanh(x)^2,
                d2 = function(x) -2 * tanh(x) * (1 - tanh(x)^2)),
    softplus = list(f = function(x) log1p(exp(x)), d1 = s,
                    d2 = function(x) s(x) * (1 - s(x))),
    sigmoid = list(f = s, d1 = function(x) s(x) * (1 - s(x)),
                   d2 = function(x) s(x) * (1 - s(x)) * (1 - 2 * s(x))),
    silu = list(f = function(x) x * s(x), d1 = function(x) s(x) + x * s(x) * (1 - s(x)),
                d2 = function(x) 2 * s(x) * (1 - s(x)) + x * s(x) * (1 - s(x)) * (1 - 2 * s(x))),
    stop("no reference for activation ", name)
  )
}

# Weight scale c and bias scale of a layer with k inputs: NTK
# parametrisation sigma_w / sqrt(k) and sigma_b; standard parametrisation 1
# and 1 (0 without biases, sigma_b = 0).
tref_c <- function(net, k) {
  if (identical(net$parametrisation, "standard")) 1 else net$sigma_w / sqrt(k)
}
tref_beta <- function(net) {
  if (identical(net$parametrisation, "standard")) as.numeric(net$sigma_b > 0) else net$sigma_b
}

# f(x) and grad_x f(x) at one input x (a vector), by the forward pass and one
# forward tangent per input coordinate.
tref_point <- function(nw, x) {
  net <- nw$net
  phi <- tref_activation(net$activation, net$slope)
  L1 <- length(nw$weights)
  d <- length(x)
  z <- x
  dz <- diag(d) # column i: dz/dx_i
  for (l in seq_len(L1)) {
    W <- nw$weights[[l]]
    c <- tref_c(net, ncol(W))
    h <- numeric(nrow(W))
    for (r in seq_len(nrow(W))) h[r] <- c * sum(W[r, ] * z) + tref_beta(net) * nw$biases[[l]][r]
    dh <- matrix(0, nrow(W), d)
    for (i in seq_len(d)) dh[, i] <- c * (W %*% dz[, i])
    if (l == L1) return(list(f = net$kappa * h, J = net$kappa * dh[1, ]))
    z <- phi$f(h)
    dz <- phi$d1(h) * dh
  }
}

tref_loss <- function(nw, x, y, lambda) {
  N <- nrow(x)
  fit <- 0
  pen <- 0
  for (a in seq_len(N)) {
    p <- tref_point(nw, x[a, ])
    fit <- fit + (p$f - y[a])^2
    pen <- pen + sum(p$J^2)
  }
  list(loss = (fit + lambda * pen) / (2 * N), fit_loss = fit / (2 * N), penalty = lambda * pen / (2 * N))
}

# Flat parameter vector in the layout vec(W_1), b_1, vec(W_2), b_2, ...
tref_pack <- function(nw) {
  unlist(lapply(seq_along(nw$weights), function(l) c(nw$weights[[l]], nw$biases[[l]])))
}

tref_unpack <- function(theta, nw) {
  o <- 0
  for (l in seq_along(nw$weights)) {
    m <- nrow(nw$weights[[l]])
    k <- ncol(nw$weights[[l]])
    nw$weights[[l]] <- matrix(theta[o + seq_len(m * k)], m, k)
    o <- o + m * k
    nw$biases[[l]] <- theta[o + seq_len(m)]
    o <- o + m
  }
  nw
}

# Exact gradient of the loss in every parameter by forward-mode
# differentiation: per input, propagate h, its parameter derivatives Hth
# (n x P), the input tangents T (n x d) and their parameter derivatives
# Tth[[i]] (n x P).
tref_gradient <- function(nw, x, y, lambda) {
  net <- nw$net
  phi <- tref_activation(net$activation, net$slope)
  L1 <- length(nw$weights)
  P <- length(tref_pack(nw))
  N <- nrow(x)
  d <- ncol(x)
  off <- 0
  offs <- integer(L1)
  for (l in seq_len(L1)) {
    offs[l] <- off
    off <- off + length(nw$weights[[l]]) + length(nw$biases[[l]])
  }
  grad <- numeric(P)
  for (a in seq_len(N)) {
    z <- x[a, ]
    Zth <- matrix(0, d, P)
    U <- diag(d)
    Uth <- rep(list(matrix(0, d, P)), d)
    for (l in seq_len(L1)) {
      W <- nw$weights[[l]]
      m <- nrow(W)
      k <- ncol(W)
      c <- tref_c(net, k)
      h <- c * drop(W %*% z) + tref_beta(net) * nw$biases[[l]]
      cols <- offs[l] + seq_len(m * k)
      bcols <- offs[l] + m * k + seq_len(m)
      Hth <- c * W %*% Zth
      Hth[, cols] <- Hth[, cols] + c * kronecker(t(z), diag(m))
      Hth[, bcols] <- Hth[, bcols] + tref_beta(net) * diag(m)
      T <- c * W %*% U
      Tth <- vector("list", d)
      for (i in seq_len(d)) {
        Tth[[i]] <- c * W %*% Uth[[i]]
        Tth[[i]][, cols] <- Tth[[i]][, cols] + c * kronecker(t(U[, i]), diag(m))
      }
      if (l < L1) {
        p1 <- phi$d1(h)
        p2 <- phi$d2(h)
        z <- phi$f(h)
        Zth <- p1 * Hth
        Unew <- p1 * T
        for (i in seq_len(d)) Uth[[i]] <- p2 * T[, i] * Hth + p1 * Tth[[i]]
        U <- Unew
      }
    }
    f <- net$kappa * h
    grad <- grad + (f - y[a]) * net$kappa * Hth[1, ]
    for (i in seq_len(d)) grad <- grad + lambda * (net$kappa * T[1, i]) * net$kappa * Tth[[i]][1, ]
  }
  grad / N
}

# Plain gradient descent with the reference gradient.
tref_train <- function(nw, x, y, lambda, lr, steps) {
  theta <- tref_pack(nw)
  for (s in seq_len(steps)) theta <- theta - lr * tref_gradient(tref_unpack(theta, nw), x, y, lambda)
  tref_unpack(theta, nw)
}

# Central finite differences of a scalar function of the flat parameters.
tref_fd_gradient <- function(fun, theta, h = 1e-5) {
  vapply(seq_along(theta), function(p) {
    e <- numeric(length(theta))
    e[p] <- h
    (fun(theta + e) - fun(theta - e)) / (2 * h)
  }, numeric(1))
}

# A small network with every weight and bias drawn, for the gradient checks.
tref_small_net <- function(activation, depth = 2, width = c(4, 3), d = 3, sigma_b = 0.3,
                      kappa = 0.7, sigma_w = 1.2, parametrisation = "ntk") {
  net <- mlp(depth, activation, sigma_w = sigma_w, sigma_b = sigma_b, kappa = kappa)
  if (parametrisation == "standard") net$parametrisation <- "standard"
  sample_mlp(net, width = width[seq_len(depth)], input_dim = d)
}

# The C gradient (double backprop) against the forward-mode reference: two
# exact methods, so rounding only (1e-12 relative).
tref_expect_gradient <- function(nw, x, y, lambda) {
  g <- training_gradient(nw, x, y, lambda)
  gc <- unlist(mapply(function(W, b) c(W, b), g$weights, g$biases))
  gr <- tref_gradient(nw, x, y, lambda)
  testthat::expect_lt(max(abs(gc - gr)), 1e-12 * max(1, abs(gr)))
}
