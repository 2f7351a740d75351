/* Finite networks whose activation is an R function (mlp(activation = f),
 * R/network.R): the hook of mlp.c's forward pass for activation code
 * ACT_USER.
 *
 * R cannot be called inside a parallel region, nor from any thread but the
 * main one. So the forward pass goes layer by layer: the pre-activations of
 * all inputs in parallel over the fixed input blocks (the same dgemm calls
 * as for a built-in activation, so the same numbers whatever the thread
 * count), then, on the main thread and outside any parallel region, ONE call
 * of R per needed quantity on the whole layer's n_l N values. The rest of
 * the passes (reverse, tangent, forward-over-reverse, training's adjoint)
 * only read phi'(h^l), phi''(h^l) and run in parallel as before.
 *
 * The evaluator is an R closure fun(x, o) made by R/network.R: it returns
 * phi^(o)(x) from the user's functions (o < nfun) and raises a classed error
 * naming the activation when the user's function fails or returns something
 * that is not a finite double vector as long as x. The result is checked
 * here again (type, length, finiteness), so C never reads garbage.
 *
 * Derivatives the user did not give: fourth-order central differences on
 * one stencil x +- h, x +- 2h per value, h = eps^(1/6) max(1, |x|)
 * (about 2.5e-3 max(1, |x|)), evaluated by one call on the 4 n_l N stencil
 * points:
 *   phi'  = (F_-2 - 8 F_-1 + 8 F_1 - F_2) / (12 h),       error h^4 phi^(5)/30 + ~1.5 eps |phi| / h,
 *   phi'' = (-F_-2 + 16 F_-1 - 30 F_0 + 16 F_1 - F_2) / (12 h^2),
 *                                                          error h^4 phi^(6)/90 + ~5 eps |phi| / h^2.
 * The step balances the second formula's truncation and rounding (h^6 ~
 * eps); for a smooth phi of unit scale (tanh) phi' is then good to about
 * 1e-11 and phi'' to about 1e-9 (measured in tests/testthat/test-mlp_user.R).
 * With the user's phi' but not phi'', phi'' is the first formula applied
 * to phi'. Complex steps are not available for an R function.
 *
 * Memory: every buffer is R-allocated (R_alloc or PROTECTed vectors), so an
 * error or an interrupt inside the user's function (a long jump out of this
 * file) leaks nothing: R releases both when the .Call unwinds. */
#include <string.h>
#include "mlp.h"

void mlp_user_from_R(SEXP par, mlp_net *net) {
  SEXP u = Rf_getAttrib(par, Rf_install("user"));
  if (!Rf_isNewList(u) || XLENGTH(u) != 2 || !Rf_isFunction(VECTOR_ELT(u, 0)) ||
      !Rf_isInteger(VECTOR_ELT(u, 1)) || XLENGTH(VECTOR_ELT(u, 1)) != 1)
    Rf_error("an R-function activation needs attr(par, \"user\") = list(evaluator, nfun)");
  int nf = INTEGER(VECTOR_ELT(u, 1))[0];
  if (nf < 1 || nf > 5) Rf_error("'nfun' must be 1..5");
  net->user = VECTOR_ELT(u, 0); /* protected through par, an argument of the .Call */
  net->user_nfun = nf;
}

/* phi^(o) at the n values x, by the evaluator, into y */
static void user_eval(const mlp_net *net, int o, const double *x, ptrdiff_t n, double *y) {
  SEXP xv = PROTECT(Rf_allocVector(REALSXP, n));
  memcpy(REAL(xv), x, n * sizeof(double));
  SEXP ov = PROTECT(Rf_ScalarInteger(o));
  SEXP call = PROTECT(Rf_lang3(net->user, xv, ov));
  SEXP res = PROTECT(Rf_eval(call, R_GlobalEnv));
  if (!Rf_isReal(res) || XLENGTH(res) != n)
    Rf_error("the activation's evaluator returned no double vector of length %.0f", (double) n);
  const double *r = REAL(res);
  for (ptrdiff_t i = 0; i < n; i++) {
    if (!R_FINITE(r[i])) Rf_error("the activation returned a non-finite value at %g", x[i]);
    y[i] = r[i];
  }
  UNPROTECT(4);
}

/* phi(x), phi'(x), phi''(x) at the m values x (d1, d2 may be NULL) */
static void user_layer(const mlp_net *net, double *x, ptrdiff_t m, double *d1, double *d2) {
  const int nf = net->user_nfun;
  int num1 = d1 && nf < 2, num2 = d2 && nf < 3;
  if (d1 && !num1) user_eval(net, 1, x, m, d1);
  if (d2 && !num2) user_eval(net, 2, x, m, d2);
  if (num1 || num2) {
    /* the stencil for phi (num1) or for phi' (only phi'' numerical) */
    int o = num1 ? 0 : 1;
    double *h = (double *) R_alloc(m, sizeof(double));
    double *S = (double *) R_alloc(4 * m, sizeof(double)), *F = (double *) R_alloc(4 * m, sizeof(double));
    const double step = pow(DBL_EPSILON, 1.0 / 6.0);
    for (ptrdiff_t i = 0; i < m; i++) {
      double ax = fabs(x[i]), hi = step * (ax > 1 ? ax : 1), t = x[i] + hi;
      hi = t - x[i]; /* a step that x + h represents exactly */
      h[i] = hi;
      S[i] = x[i] - 2 * hi;
      S[m + i] = x[i] - hi;
      S[2 * m + i] = t;
      S[3 * m + i] = x[i] + 2 * hi;
    }
    user_eval(net, o, S, 4 * m, F);
    const double *Fm2 = F, *Fm1 = F + m, *Fp1 = F + 2 * m, *Fp2 = F + 3 * m;
    if (num1) { /* phi' and, when wanted and not given, phi'' from phi */
      double *F0 = d2 && num2 ? (double *) R_alloc(m, sizeof(double)) : NULL;
      if (F0) user_eval(net, 0, x, m, F0);
      for (ptrdiff_t i = 0; i < m; i++) {
        d1[i] = (Fm2[i] - 8 * Fm1[i] + 8 * Fp1[i] - Fp2[i]) / (12 * h[i]);
        if (F0)
          d2[i] = (-Fm2[i] + 16 * Fm1[i] - 30 * F0[i] + 16 * Fp1[i] - Fp2[i]) / (12 * h[i] * h[i]);
      }
    } else { /* phi'' as the derivative of the user's phi' */
      for (ptrdiff_t i = 0; i < m; i++)
        d2[i] = (Fm2[i] - 8 * Fm1[i] + 8 * Fp1[i] - Fp2[i]) / (12 * h[i]);
    }
  }
  /* phi last: x is overwritten by z */
  user_eval(net, 0, x, m, x);
}

void mlp_user_forward(const mlp_net *net, mlp_work *w, int nt) {
  const int N = w->N, nb = mlp_input_blocks(N), L1 = net->L1;
  for (int l = 1; l <= L1; l++) {
JNTK_OMP(parallel for num_threads(nt) schedule(static, 1))
    for (int b = 0; b < nb; b++) {
      int lo, hi;
      mlp_block(N, nb, b, &lo, &hi);
      mlp_forward_pre(net, w, l, lo, hi);
    }
    if (l == L1) break;
    /* h = a W z + beta b, then the R calls on the whole layer */
    const int nl = net->n[l];
    double *H = w->z[l];
    const double *bl = net->b[l];
    for (int a = 0; a < N; a++)
      for (int i = 0; i < nl; i++) H[(ptrdiff_t) a * nl + i] += net->beta * bl[i];
    user_layer(net, H, (ptrdiff_t) nl * N, w->d1[l], w->d2[l]);
    R_CheckUserInterrupt();
  }
}
