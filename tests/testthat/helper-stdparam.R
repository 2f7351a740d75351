# Plain-R references for the standard parametrisation's infinite-width
# kernels, written from neural-tangents' stax kernel functions
# (neural_tangents/_src/stax/linear.py, Dense.kernel_fn;
# elementwise.py for the nonlinearities), layer by layer and pair by pair:
#   input:        nngp = x.x'/d, ntk = 0 (the inputs have no parameters)
#   Dense, "standard": ntk <- n_in * nngp + W_std^2 * ntk (+ 1 with a bias),
#                      nngp <- W_std^2 * nngp + b_std^2    (n_in = d first)
#   nonlinearity: nngp <- E[phi(u) phi(v)], ntk <- ntk * E[phi'(u) phi'(v)]
# and kappa^2 on the output (ours). No code is shared with src/kernels.c.

# The tensor product of helper-network.R's Gauss-Hermite rule, cached per
# node count.
sref_cache <- new.env(parent = emptyenv())
sref_gh2 <- function(n) {
  key <- as.character(n)
  if (is.null(sref_cache[[key]])) {
    gh <- nref_gauss_hermite(n)
    sref_cache[[key]] <- list(z1 = rep(gh$nodes, times = n), z2 = rep(gh$nodes, each = n),
                              w = rep(gh$weights, times = n) * rep(gh$weights, each = n))
  }
  sref_cache[[key]]
}

# E[phi(u) phi(v)] and E[phi'(u) phi'(v)] for (u, v) ~ N(0, [[a, c], [c, b]]):
# neural-tangents' closed forms for relu (arc-cosine) and erf, identity
# exactly; any other smooth activation by a 2-D Gauss-Hermite rule of
# `nodes`^2 points (exponentially convergent for these entire or
# strip-analytic functions at the variances of the tests).
sref_dual <- function(act, a, b, c, nodes = 120) {
  if (act == "identity") return(c(g = c, gd = 1))
  if (act == "relu") {
    s <- sqrt(a * b)
    cosang <- max(-1, min(1, c / s))
    th <- acos(cosang)
    return(c(g = s * (sin(th) + (pi - th) * cos(th)) / (2 * pi), gd = (pi - th) / (2 * pi)))
  }
  if (act == "erf") {
    return(c(g = 2 / pi * asin(2 * c / sqrt((1 + 2 * a) * (1 + 2 * b))),
             gd = 4 / pi / sqrt((1 + 2 * a) * (1 + 2 * b) - 4 * c^2)))
  }
  phi <- switch(act, tanh = tanh, gelu = function(h) h * pnorm(h), sin = sin, cos = cos,
                softplus = function(h) log1p(exp(h)), stop("no reference for ", act))
  dphi <- switch(act, tanh = function(h) 1 - tanh(h)^2,
                 gelu = function(h) pnorm(h) + h * dnorm(h), sin = cos, cos = function(h) -sin(h),
                 softplus = function(h) 1 / (1 + exp(-h)))
  r <- sref_gh2(nodes)
  z1 <- r$z1; z2 <- r$z2; w <- r$w
  u <- sqrt(a) * z1
  v <- c / sqrt(a) * z1 + sqrt(max(b - c^2 / a, 0)) * z2
  c(g = sum(w * phi(u) * phi(v)), gd = sum(w * dphi(u) * dphi(v)))
}

# The stax recursion for one pair (x, y): list(nngp, ntk).
sref_stax_pair <- function(act, depth, sigma_w, sigma_b, kappa, widths, x, y, nodes = 120) {
  d <- length(x)
  bias <- sigma_b > 0                       # b_std = None when sigma_b = 0
  n_in <- c(d, rep_len(widths, depth))      # input width of each Dense layer
  k11 <- sum(x * x) / d; k22 <- sum(y * y) / d; k12 <- sum(x * y) / d
  ntk <- 0
  for (l in seq_len(depth + 1)) {
    ntk <- n_in[l] * k12 + sigma_w^2 * ntk + bias
    k11 <- sigma_w^2 * k11 + sigma_b^2
    k22 <- sigma_w^2 * k22 + sigma_b^2
    k12 <- sigma_w^2 * k12 + sigma_b^2
    if (l > depth) break
    g12 <- sref_dual(act, k11, k22, k12, nodes)
    k11 <- sref_dual(act, k11, k11, k11, nodes)[["g"]]
    k22 <- sref_dual(act, k22, k22, k22, nodes)[["g"]]
    ntk <- ntk * g12[["gd"]]
    k12 <- g12[["g"]]
  }
  list(nngp = kappa^2 * k12, ntk = kappa^2 * ntk)
}

sref_stax <- function(net, x1, x2 = x1, widths = net$widths, what = "ntk", nodes = 120) {
  outer(seq_len(nrow(x1)), seq_len(nrow(x2)), Vectorize(function(i, j)
    sref_stax_pair(net$activation, net$depth, net$sigma_w, net$sigma_b, net$kappa, widths,
                   x1[i, ], x2[j, ], nodes)[[what]]))
}

# The standard-parametrised NTK rebuilt from the package's NTK-parametrised
# kernels at depths 0..L (which give every layer's dual functions on the
# pairs: g^l = (Sigma^{l+1} - sigma_b^2) / sigma_w^2 and
# gdot^l = (Theta^{l+1} - Sigma^{l+1}) / (sigma_w^2 Theta^l)), then
# neural-tangents' recursion Theta^1 = x.x' + 1[bias],
# Theta^{l+1} = n_l g^l + 1[bias] + sigma_w^2 gdot^l Theta^l.
# Works for every activation that has an NTK; relative error a few eps times
# the depth (the divisions lose nothing; Theta^{l+1} - Sigma^{l+1} is a sum of
# positive terms minus one of them).
sref_rebuild <- function(net, x1, x2 = x1, widths = net$widths) {
  sw2 <- net$sigma_w^2; sb2 <- net$sigma_b^2
  bias <- as.numeric(net$sigma_b > 0)
  wd <- rep_len(widths, net$depth)
  at <- function(depth) {
    n0 <- net
    n0$depth <- as.integer(depth); n0$parametrisation <- "ntk"; n0$kappa <- 1
    unname(kernels(n0, x1, x2))
  }
  th <- x1 %*% t(x2) + bias
  prev <- at(0)
  for (l in seq_len(net$depth)) {
    nxt <- at(l)
    g <- (nxt[[1]] - sb2) / sw2
    gd <- (nxt[[2]] - nxt[[1]]) / (sw2 * prev[[2]])
    th <- wd[l] * g + bias + sw2 * gd * th
    prev <- nxt
  }
  net$kappa^2 * th
}
