/* The vectorised plain kernels of the kinked family and erf (plain.c). */
#ifndef JNTK_PLAIN_H
#define JNTK_PLAIN_H

#include "kernels.h"

/* Whether plain_fast_kernel() computes this architecture's kernels with n1
 * rows (the NTK parametrisation, the kinked family or erf, depth 1..64,
 * n1 (depth + 1) <= 2^20). */
int plain_fast_handles(const kpar *kp, int n1);
/* The NNGP (c) and NTK (th, may be NULL) for depth >= 1, kappa^2-scaled,
 * both sides' raw inputs given: computes the squared norms into s1->q and
 * s2->q, the Gram matrix column by column, every layer, the overflow flag,
 * and the lower triangle when sym (the whole of kernel_plain_worker()'s job
 * for these activations). */
void plain_fast_kernel(const kpar *kp, const kside *s1, const kside *s2, int sym, double *c,
                       double *th, kfail *fail, int nthreads);

/* The instruction set the row loops run with on this CPU (jntk_sitrep()). */
const char *plain_simd_level(void);

#endif
