/* Outputs and input Jacobians of a finite network (R/network.R): the forward
 * pass and, for the Jacobian, one reverse pass over the whole batch
 * (J^T = r^0 = a_1 W^{1T} g^1, src/mlp.h), whatever d. Also the outputs that
 * training records, from its flat parameter vector. */
#include "mlp.h"
#include "calls_network.h"

/* N x 1 (f) or N x (d + 1) (f, J) at the N x d inputs x; params is
 * list(weights, biases) or the flat theta (mlp_from_R). */
SEXP network_outputs(SEXP params, SEXP par, SEXP ipar, SEXP x, SEXP jac, SEXP threads) {
  mlp_net net;
  mlp_from_R(params, par, ipar, &net);
  const double *X;
  int N = mlp_inputs_from_R(x, &net, "x", &X);
  if (!Rf_isLogical(jac) || XLENGTH(jac) != 1 || LOGICAL(jac)[0] == NA_LOGICAL)
    Rf_error("'jac' must be TRUE or FALSE");
  int want_jac = LOGICAL(jac)[0];
  int nt = jntk_int_scalar(threads, "threads");
  int d = net.n[0];
  if (want_jac && (double) N * (d + 1) > R_XLEN_T_MAX) Rf_error("the result is too large");
  mlp_work w;
  mlp_work_alloc(&net, &w, N, 0, 0, want_jac ? MLP_REVERSE : 0);
  mlp_set_inputs(&net, &w, X);
  mlp_run(&net, &w, nt);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, N, want_jac ? d + 1 : 1));
  double *o = REAL(out);
  for (int j = 0; j < N; j++) o[j] = w.f[j];
  if (want_jac) jntk_transpose(d, 0, N, w.r[0], d, o + N, N); /* J = (r^0)^T */
  UNPROTECT(1);
  return out;
}
