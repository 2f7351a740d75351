/* The four kernel kinds, one vocabulary for C and R (R/kinds.R holds the
 * same codes): the plain kernels of the outputs and the Jacobian kernels of
 * the outputs and their input Jacobians (math.md §2-4). */
#ifndef JNTK_KINDS_H
#define JNTK_KINDS_H

enum jntk_kind {
  KIND_NNGP = 0,          /* kappa^2 Sigma^{L+1} */
  KIND_NTK = 1,           /* kappa^2 Theta^{L+1} */
  KIND_JACOBIAN_NNGP = 2, /* mixed input derivatives of the NNGP */
  KIND_JNTK = 3,          /* mixed input derivatives of the NTK */
  KIND_COUNT = 4
};

static inline int kind_is_jacobian(int kind) {
  return kind == KIND_JACOBIAN_NNGP || kind == KIND_JNTK;
}
static inline int kind_is_tangent(int kind) { /* an NTK, not an NNGP */
  return kind == KIND_NTK || kind == KIND_JNTK;
}

#endif
