# Plain-R references for the finite-network tests, written straight from the
# definitions in docs/math.md §1-4, one input at a time and without BLAS
# tricks, so that they share no code with the C implementation.

nref_phi <- function(act, h, slope = 0.01) {
  switch(act,
    identity = h, relu = pmax(h, 0), leaky_relu = ifelse(h > 0, h, slope * h),
    abs = abs(h), erf = 2 * pnorm(h * sqrt(2)) - 1, gelu = h * pnorm(h),
    tanh = tanh(h), sin = sin(h), cos = cos(h), softplus = log1p(exp(h)),
    sigmoid = 1 / (1 + exp(-h)), silu = h / (1 + exp(-h)),
    stop("no reference for ", act))
}

# phi' written out by hand (a.e. derivatives for the kinked ones).
nref_dphi <- function(act, h, slope = 0.01) {
  switch(act,
    identity = rep(1, length(h)), relu = as.numeric(h > 0),
    leaky_relu = ifelse(h > 0, 1, slope), abs = sign(h),
    erf = 2 / sqrt(pi) * exp(-h^2), gelu = pnorm(h) + h * dnorm(h),
    tanh = 1 - tanh(h)^2, sin = cos(h), cos = -sin(h),
    softplus = 1 / (1 + exp(-h)), sigmoid = exp(-h) / (1 + exp(-h))^2,
    silu = 1 / (1 + exp(-h)) + h * exp(-h) / (1 + exp(-h))^2,
    stop("no reference for ", act))
}

# Weight and bias scales of a layer with n_in inputs: the NTK
# parametrisation applies sigma_w / sqrt(n_in) and sigma_b in the forward
# pass; the standard one (neural-tangents' Dense(parameterization =
# "standard")) keeps them in the parameters, and sigma_b = 0 means no bias.
nref_scales <- function(net, n_in) {
  if (identical(net$parametrisation, "standard")) {
    c(a = 1, beta = if (net$sigma_b > 0) 1 else 0)
  } else {
    c(a = net$sigma_w / sqrt(n_in), beta = net$sigma_b)
  }
}

# f(x) for one input, layer by layer.
nref_forward_one <- function(nw, x) {
  net <- nw$net
  L1 <- length(nw$weights)
  z <- x
  for (l in seq_len(L1)) {
    sc <- nref_scales(net, length(z))
    h <- sc[["a"]] * drop(nw$weights[[l]] %*% z) + sc[["beta"]] * nw$biases[[l]]
    z <- if (l < L1) nref_phi(net$activation, h, net$slope) else h
  }
  net$kappa * z
}
nref_predict <- function(nw, x) apply(x, 1, function(xi) nref_forward_one(nw, xi))

# Gradient of f(x) with respect to all parameters, in the order
# W1 (column-major), b1, W2, b2, ...: backpropagation written out per input.
nref_param_grad <- function(nw, x) {
  net <- nw$net
  L1 <- length(nw$weights)
  zs <- list(x)
  hs <- list()
  for (l in seq_len(L1)) {
    z <- zs[[l]]
    sc <- nref_scales(net, length(z))
    hs[[l]] <- sc[["a"]] * drop(nw$weights[[l]] %*% z) + sc[["beta"]] * nw$biases[[l]]
    zs[[l + 1]] <- nref_phi(net$activation, hs[[l]], net$slope)
  }
  g <- net$kappa # df/dh_{L+1}
  grads <- vector("list", L1)
  for (l in L1:1) {
    z <- zs[[l]]
    sc <- nref_scales(net, length(z))
    a <- sc[["a"]]
    grads[[l]] <- c(a * outer(g, z), sc[["beta"]] * g)
    if (l > 1) {
      g <- drop(crossprod(nw$weights[[l]], g)) * a * nref_dphi(net$activation, hs[[l - 1]], net$slope)
    }
  }
  unlist(grads)
}
# Brute force: the N x P matrix of parameter gradients and its Gram matrix.
nref_grad_matrix <- function(nw, x) t(apply(x, 1, function(xi) nref_param_grad(nw, xi)))
nref_empirical_ntk <- function(nw, x1, x2 = x1) tcrossprod(nref_grad_matrix(nw, x1), nref_grad_matrix(nw, x2))

# Parameter gradients of f and of every Jacobian entry (block-major rows),
# the latter by central differences in x of the parameter gradient
# (h = 1e-5: truncation ~1e-10, rounding ~1e-11 relative).
nref_jacobian_grad_matrix <- function(nw, x, h = 1e-5) {
  d <- ncol(x)
  G <- nref_grad_matrix(nw, x)
  J <- do.call(rbind, lapply(seq_len(nrow(x)), function(a) {
    t(vapply(seq_len(d), function(i) {
      e <- replace(numeric(d), i, h)
      (nref_param_grad(nw, x[a, ] + e) - nref_param_grad(nw, x[a, ] - e)) / (2 * h)
    }, numeric(ncol(G))))
  }))
  rbind(G, J)
}

# Mixed input derivatives of a kernel function k(x1, x2) -> matrix, by
# central differences, laid out block-major: the "Jacobian kernel" of k.
nref_jacobian_kernel <- function(kfun, x1, x2 = x1, h = 1e-4) {
  N1 <- nrow(x1); N2 <- nrow(x2); d <- ncol(x1)
  K <- matrix(0, N1 * (d + 1), N2 * (d + 1))
  K[1:N1, 1:N2] <- kfun(x1, x2)
  sh <- function(x, a, i, s) { x[a, i] <- x[a, i] + s; x }
  for (a in seq_len(N1)) for (i in seq_len(d)) {
    r <- N1 + (a - 1) * d + i
    K[r, 1:N2] <- ((kfun(sh(x1, a, i, h), x2) - kfun(sh(x1, a, i, -h), x2)) / (2 * h))[a, ]
  }
  for (b in seq_len(N2)) for (j in seq_len(d)) {
    cc <- N2 + (b - 1) * d + j
    K[1:N1, cc] <- ((kfun(x1, sh(x2, b, j, h)) - kfun(x1, sh(x2, b, j, -h))) / (2 * h))[, b]
  }
  for (a in seq_len(N1)) for (i in seq_len(d)) for (b in seq_len(N2)) for (j in seq_len(d)) {
    r <- N1 + (a - 1) * d + i
    cc <- N2 + (b - 1) * d + j
    pp <- kfun(sh(x1, a, i, h), sh(x2, b, j, h))[a, b]
    pm <- kfun(sh(x1, a, i, h), sh(x2, b, j, -h))[a, b]
    mp <- kfun(sh(x1, a, i, -h), sh(x2, b, j, h))[a, b]
    mm <- kfun(sh(x1, a, i, -h), sh(x2, b, j, -h))[a, b]
    K[r, cc] <- (pp - pm - mp + mm) / (4 * h^2)
  }
  K
}

# Gauss-Hermite rule for the standard normal (probabilists' Hermite), by
# Golub-Welsch: the nodes are the eigenvalues of the Jacobi matrix with
# off-diagonal sqrt(1..n-1), the weights the squared first components of its
# unit eigenvectors (they sum to 1).
nref_gauss_hermite <- function(n) {
  J <- matrix(0, n, n)
  off <- sqrt(seq_len(n - 1))
  J[cbind(1:(n - 1), 2:n)] <- off
  J[cbind(2:n, 1:(n - 1))] <- off
  e <- eigen(J, symmetric = TRUE)
  list(nodes = e$values, weights = e$vectors[1, ]^2)
}

# Limiting NNGP / NTK of math.md §2 for one pair of inputs, with
# g = E[phi(u) phi(v)] and gdot = E[phi'(u) phi'(v)] by a 2-D Gauss-Hermite
# rule of 48 nodes per axis (smooth activations: error far below the Monte
# Carlo tolerances), plus the closed form for erf.
nref_pair_kernel <- function(net, x, y, what = c("nngp", "ntk")) {
  what <- match.arg(what)
  gh <- nref_gauss_hermite(48)
  z1 <- rep(gh$nodes, times = 48); z2 <- rep(gh$nodes, each = 48)
  w <- rep(gh$weights, times = 48) * rep(gh$weights, each = 48)
  d <- length(x)
  sw2 <- net$sigma_w^2; sb2 <- net$sigma_b^2
  a <- sw2 * sum(x * x) / d + sb2; b <- sw2 * sum(y * y) / d + sb2; c <- sw2 * sum(x * y) / d + sb2
  th <- c
  for (l in seq_len(net$depth)) {
    u <- sqrt(a) * z1
    v <- c / sqrt(a) * z1 + sqrt(max(b - c^2 / a, 0)) * z2
    if (net$activation == "erf") {
      g <- 2 / pi * asin(2 * c / sqrt((1 + 2 * a) * (1 + 2 * b)))
      gd <- 4 / pi / sqrt((1 + 2 * a) * (1 + 2 * b) - 4 * c^2)
    } else {
      g <- sum(w * nref_phi(net$activation, u) * nref_phi(net$activation, v))
      gd <- sum(w * nref_dphi(net$activation, u) * nref_dphi(net$activation, v))
    }
    ga <- sum(gh$weights * nref_phi(net$activation, sqrt(a) * gh$nodes)^2)
    gb <- sum(gh$weights * nref_phi(net$activation, sqrt(b) * gh$nodes)^2)
    if (net$activation == "erf") {
      ga <- 2 / pi * asin(2 * a / (1 + 2 * a)); gb <- 2 / pi * asin(2 * b / (1 + 2 * b))
    }
    th <- sw2 * g + sb2 + sw2 * gd * th
    c <- sw2 * g + sb2
    a <- sw2 * ga + sb2
    b <- sw2 * gb + sb2
  }
  net$kappa^2 * if (what == "nngp") c else th
}
# The same limits for the standard parametrisation of finite widths
# `widths` (n_1..n_L), from neural-tangents' stax.Dense(parameterization =
# "standard") kernel_fn (neural_tangents/_src/stax/linear.py):
#   ntk' = n_in * nngp_in + W_std^2 * ntk_in + 1[bias],  nngp' = W_std^2 nngp_in + b_std^2,
# with nngp_in = x.x'/d at the input and E[phi(u) phi(v)] after an
# activation, whose ntk_in is Theta * E[phi'(u) phi'(v)]. In our letters:
#   Theta^1 = x.x' + 1[sigma_b > 0],
#   Theta^{l+1} = n_l g + 1[sigma_b > 0] + sigma_w^2 gdot Theta^l,
# NTK = kappa^2 Theta^{L+1}; the NNGP is the NTK-parametrised one.
nref_pair_kernel_standard <- function(net, x, y, widths, what = c("nngp", "ntk")) {
  what <- match.arg(what)
  net_ntk <- net
  net_ntk$parametrisation <- NULL
  bias <- if (net$sigma_b > 0) 1 else 0
  d <- length(x)
  sw2 <- net$sigma_w^2; sb2 <- net$sigma_b^2
  a <- sw2 * sum(x * x) / d + sb2; b <- sw2 * sum(y * y) / d + sb2; c <- sw2 * sum(x * y) / d + sb2
  th <- sum(x * y) + bias
  gh <- nref_gauss_hermite(48)
  z1 <- rep(gh$nodes, times = 48); z2 <- rep(gh$nodes, each = 48)
  w <- rep(gh$weights, times = 48) * rep(gh$weights, each = 48)
  for (l in seq_len(net$depth)) {
    if (net$activation == "erf") {
      g <- 2 / pi * asin(2 * c / sqrt((1 + 2 * a) * (1 + 2 * b)))
      gd <- 4 / pi / sqrt((1 + 2 * a) * (1 + 2 * b) - 4 * c^2)
      ga <- 2 / pi * asin(2 * a / (1 + 2 * a)); gb <- 2 / pi * asin(2 * b / (1 + 2 * b))
    } else {
      u <- sqrt(a) * z1
      v <- c / sqrt(a) * z1 + sqrt(max(b - c^2 / a, 0)) * z2
      g <- sum(w * nref_phi(net$activation, u) * nref_phi(net$activation, v))
      gd <- sum(w * nref_dphi(net$activation, u) * nref_dphi(net$activation, v))
      ga <- sum(gh$weights * nref_phi(net$activation, sqrt(a) * gh$nodes)^2)
      gb <- sum(gh$weights * nref_phi(net$activation, sqrt(b) * gh$nodes)^2)
    }
    th <- widths[l] * g + bias + sw2 * gd * th
    c <- sw2 * g + sb2
    a <- sw2 * ga + sb2
    b <- sw2 * gb + sb2
  }
  net$kappa^2 * if (what == "nngp") c else th
}
nref_kernel_standard <- function(net, x1, x2 = x1, widths, what = "ntk") {
  outer(seq_len(nrow(x1)), seq_len(nrow(x2)), Vectorize(function(i, j)
    nref_pair_kernel_standard(net, x1[i, ], x2[j, ], widths, what)))
}

nref_kernel <- function(net, x1, x2 = x1, what = "nngp") {
  outer(seq_len(nrow(x1)), seq_len(nrow(x2)), Vectorize(function(i, j)
    nref_pair_kernel(net, x1[i, ], x2[j, ], what)))
}
# Limiting kernels: the package's analytic routine when it exists (the lead's
# R/kernels.R), otherwise the plain-R reference above (with its Jacobian
# version by finite differences).
nref_limit_kernel <- function(net, x, kind, use_package = TRUE) {
  ns <- asNamespace("jntk")
  if (use_package && exists(kind, envir = ns, inherits = FALSE)) {
    fun <- get(kind, envir = ns)
    if (kind %in% c("jacobian_nngp", "jntk")) return(fun(net, x, as = "matrix"))
    return(fun(net, x))
  }
  switch(kind,
    nngp = nref_kernel(net, x, x, "nngp"),
    ntk = nref_kernel(net, x, x, "ntk"),
    jacobian_nngp = nref_jacobian_kernel(function(a, b) nref_kernel(net, a, b, "nngp"), x),
    jntk = nref_jacobian_kernel(function(a, b) nref_kernel(net, a, b, "ntk"), x))
}

# Central differences of predict() in every input coordinate (h = 1e-5:
# truncation ~ h^2 |f'| ~ 1e-10, rounding ~ 1e-16 / h ~ 1e-11 relative).
nref_fd_jacobian <- function(nw, x, h = 1e-5) {
  d <- ncol(x)
  vapply(seq_len(d), function(i) {
    e <- replace(numeric(d), i, h)
    (predict(nw, sweep(x, 2, e, "+")) - predict(nw, sweep(x, 2, e, "-"))) / (2 * h)
  }, numeric(nrow(x)))
}

# A small network, its C arguments and inputs, for the garbage-.Call tests.
nref_call_setup <- function(seed) {
  set.seed(seed)
  nw <- sample_mlp(mlp(1, "erf"), 3, input_dim = 2)
  list(nw = nw, a = jntk:::network_arch(nw$net, nw$widths), p = list(nw$weights, nw$biases),
       x = matrix(1, 2, 2))
}
