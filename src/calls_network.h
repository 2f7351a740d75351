/* Entry points of the finite networks: prototypes and registration rows
 * (CALLDEF(name, arity),) used by init.c. Every one takes an architecture
 * and its parameters in one format (src/mlp.h, mlp_from_R): params
 * (list(weights, biases) or the flat theta), par = c(sigma_w, sigma_b,
 * kappa, slope), ipar = c(activation, parametrisation, d, n_1, ..., 1). */
#ifndef JNTK_CALLS_NETWORK_H
#define JNTK_CALLS_NETWORK_H

#include "jntk.h"

/* network.c: outputs and input Jacobians */
SEXP network_outputs(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP jac, SEXP threads);
/* empirical.c: empirical NNGP / NTK / Jacobian NNGP / JNTK (kinds.h) */
SEXP empirical_kernel(SEXP params, SEXP par, SEXP ipar, SEXP x1, SEXP x2, SEXP kind,
                      SEXP threads);
SEXP empirical_blas_floor(SEXP params, SEXP par, SEXP ipar, SEXP x1, SEXP x2, SEXP kind,
                          SEXP reps);
/* linalg.c: the session's choice of explicit transposes (linalg.h) */
SEXP linalg_set_transposes(SEXP explicit_);

#define CALLS_NETWORK \
  CALLDEF(network_outputs, 6), \
  CALLDEF(empirical_kernel, 7), \
  CALLDEF(empirical_blas_floor, 7), \
  CALLDEF(linalg_set_transposes, 1),

#endif
