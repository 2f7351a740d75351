/* The vectorised plain kernels of the kinked family and erf (plain.c). */
#ifndef JNTK_PLAIN_H
#define JNTK_PLAIN_H

#include "kernels.h"

/* Whether plain_fast_layers() computes this activation. */
int plain_fast_handles(int act);
/* All hidden layers (depth >= 1) of the NNGP (c) and NTK (th, may be NULL):
 * on entry c holds x1 x2^T (upper triangle when sym), on exit both hold the
 * last layer's kernels before the kappa^2 scaling (the caller's). */
void plain_fast_layers(const kpar *kp, const kside *s1, const kside *s2, int sym, double *c,
                       double *th, int nthreads);

#endif
