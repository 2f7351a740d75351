# The four kernel kinds: one vocabulary for R and C (codes match
# src/kinds.h). Every function that takes a `kernel = ` name, and every
# mapping from a kind to the function that computes it, goes through here.
.jntk_kinds <- data.frame(
  name = c("nngp", "ntk", "jacobian_nngp", "jntk"),
  code = 0:3,
  jacobian = c(FALSE, FALSE, TRUE, TRUE),
  tangent = c(FALSE, TRUE, FALSE, TRUE),
  label = c("NNGP", "NTK", "Jacobian NNGP", "JNTK"),
  stringsAsFactors = FALSE
)

kind_code <- function(kind) .jntk_kinds$code[match(kind, .jntk_kinds$name)]
kind_is_jacobian <- function(kind) .jntk_kinds$jacobian[match(kind, .jntk_kinds$name)]
kind_label <- function(kind) .jntk_kinds$label[match(kind, .jntk_kinds$name)]

# The infinite-width kernel of `kind` (a dense matrix).
analytic_kernel <- function(net, x1, x2 = NULL, kind, threads = default_threads()) {
  switch(kind,
    nngp = nngp(net, x1, x2, threads = threads),
    ntk = ntk(net, x1, x2, threads = threads),
    jacobian_nngp = jacobian_nngp(net, x1, x2, as = "matrix", threads = threads),
    jntk = jntk(net, x1, x2, as = "matrix", threads = threads))
}
