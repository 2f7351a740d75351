/* Entry points of the dynamics routines (dynamics.c): prototypes and
 * registration rows (CALLDEF(name, arity),) used by init.c. */
#ifndef JNTK_CALLS_DYNAMICS_H
#define JNTK_CALLS_DYNAMICS_H

#include <Rinternals.h>

SEXP dynamics_eigen(SEXP S, SEXP vectors);
SEXP dynamics_filters(SEXP D, SEXP t, SEXP N, SEXP lr, SEXP threads);
SEXP dynamics_assemble(SEXP G, SEXP P, SEXP H, SEXP C, SEXP M, SEXP Sxx, SEXP threads);

#define CALLS_DYNAMICS \
  CALLDEF(dynamics_eigen, 2), \
  CALLDEF(dynamics_filters, 5), \
  CALLDEF(dynamics_assemble, 7),

#endif
