/* Entry points of the matrix-free linear algebra (krylov.c): prototypes and
 * registration rows (CALLDEF(name, arity),) used by init.c. */
#ifndef JNTK_CALLS_KRYLOV_H
#define JNTK_CALLS_KRYLOV_H

#include <Rinternals.h>

SEXP krylov_apply(SEXP op, SEXP V, SEXP env);
SEXP krylov_precondition(SEXP op, SEXP pre, SEXP V, SEXP env);
SEXP krylov_cg(SEXP op, SEXP pre, SEXP B, SEXP X0, SEXP tol, SEXP maxit, SEXP verbose,
               SEXP env);

#define CALLS_KRYLOV \
  CALLDEF(krylov_apply, 3), \
  CALLDEF(krylov_precondition, 4), \
  CALLDEF(krylov_cg, 8),

#endif
