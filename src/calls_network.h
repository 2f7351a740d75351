/* Entry points of the network routines: prototypes and registration rows
 * (CALLDEF(name, arity),) used by init.c. */
#ifndef JNTK_CALLS_NETWORK_H
#define JNTK_CALLS_NETWORK_H

/* network.c: outputs and input Jacobians of a finite network */
SEXP network_outputs(SEXP weights, SEXP biases, SEXP act, SEXP par, SEXP xt,
                     SEXP jac, SEXP threads);
/* empirical.c: empirical NTK / JNTK / NNGP / Jacobian NNGP */
SEXP empirical_kernel(SEXP weights, SEXP biases, SEXP act, SEXP par, SEXP x1t,
                      SEXP x2t, SEXP kind, SEXP threads);

#define CALLS_NETWORK \
  CALLDEF(network_outputs, 7), \
  CALLDEF(empirical_kernel, 8),

#endif
