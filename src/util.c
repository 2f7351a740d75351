/* Argument checks for the .Call entry points: R validates and explains; these
 * make a direct .Call with garbage an error instead of a crash. */
#include "jntk.h"

double *jntk_real_matrix(SEXP x, const char *name, int *nrow, int *ncol) {
  if (!Rf_isReal(x)) Rf_error("'%s' must be a double matrix", name);
  SEXP dim = Rf_getAttrib(x, R_DimSymbol);
  if (Rf_isNull(dim) || LENGTH(dim) != 2)
    Rf_error("'%s' must be a matrix", name);
  *nrow = INTEGER(dim)[0];
  *ncol = INTEGER(dim)[1];
  double *p = REAL(x);
  R_xlen_t n = XLENGTH(x);
  for (R_xlen_t i = 0; i < n; i++)
    if (!R_FINITE(p[i])) Rf_error("'%s' has a non-finite value", name);
  return p;
}

double jntk_real_scalar(SEXP x, const char *name) {
  if (!Rf_isReal(x) || XLENGTH(x) != 1 || !R_FINITE(REAL(x)[0]))
    Rf_error("'%s' must be one finite double", name);
  return REAL(x)[0];
}

int jntk_int_scalar(SEXP x, const char *name) {
  if (!Rf_isInteger(x) || XLENGTH(x) != 1 || INTEGER(x)[0] == NA_INTEGER)
    Rf_error("'%s' must be one integer", name);
  return INTEGER(x)[0];
}
