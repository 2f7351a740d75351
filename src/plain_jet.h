/* The vectorised jets of the Jacobian kernels (plain_jet.c). */
#ifndef JNTK_PLAIN_JET_H
#define JNTK_PLAIN_JET_H

#include "kernels.h"

/* Whether plain_jet_kernel() computes this architecture's per-pair scalars
 * with n1 rows (the nets plain_fast_handles() takes whose jets it covers:
 * erf, and the Jacobian NNGP of relu, leaky relu, identity and abrelu with
 * a != -b; tangent: whether the JNTK is wanted). */
int plain_jet_handles(const kpar *kp, int n1, int tangent);
/* kernel_jet_worker()'s job for these nets: the eight kappa^2-scaled
 * scalars per pair of the Jacobian NNGP (out0) and/or the JNTK (out1), the
 * upper triangle only when sym (the caller mirrors), the overflow flag. */
void plain_jet_kernel(const kpar *kp, const kside *s1, const kside *s2, int sym,
                      const double *gram, double *out0, double *out1, kfail *fail,
                      int nthreads);

#endif
