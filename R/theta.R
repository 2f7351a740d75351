# The R side of the flat parameter vector theta that the finite-network C
# routines take (src/mlp.h): for each weight layer l = 1..L+1, vec(W^l)
# (column-major, n_l x n_{l-1}) followed by b^l. Training keeps its state in
# theta; networks keep lists of weights and biases.

# theta of a network (its weights and biases in the C layout).
network_theta <- function(network) {
  unlist(lapply(seq_along(network$weights), function(l) {
    c(as.double(network$weights[[l]]), as.double(network$biases[[l]]))
  }), use.names = FALSE)
}

# Weights and biases (lists shaped like the network's) from a theta laid out
# for `widths`.
theta_layers <- function(theta, widths) {
  L1 <- length(widths) - 1L
  weights <- vector("list", L1)
  biases <- weights
  o <- 0
  for (l in seq_len(L1)) {
    nw <- as.double(widths[l + 1L]) * widths[l]
    weights[[l]] <- matrix(theta[o + seq_len(nw)], widths[l + 1L], widths[l])
    o <- o + nw
    biases[[l]] <- theta[o + seq_len(widths[l + 1L])]
    o <- o + widths[l + 1L]
  }
  list(weights = weights, biases = biases)
}

# The network with parameters theta (which came from C, finite and of the
# right length: no re-validation).
theta_network <- function(theta, network) {
  p <- theta_layers(theta, network$widths)
  new_mlp_network(network$net, p$weights, p$biases)
}

# Names of theta's entries: "W2[3,1]" is row 3, column 1 of W^2; "b1[4]".
theta_names <- function(widths) {
  unlist(lapply(seq_len(length(widths) - 1L), function(l) {
    m <- widths[l + 1L]
    k <- widths[l]
    c(sprintf("W%d[%d,%d]", l, rep(seq_len(m), times = k), rep(seq_len(k), each = m)),
      sprintf("b%d[%d]", l, seq_len(m)))
  }), use.names = FALSE)
}
