/* .Call entry points of the analytic kernels: check arguments, allocate the
 * results, hand plain pointers to the workers in kernels.c and
 * jacobian_kernels.c. R (R/kernels.R) has already validated and explained. */
#include "jntk.h"
#include "kernels.h"
#include "linalg.h"

static void fill_kpar(kpar *kp, SEXP par, SEXP ipar, SEXP gh, int d) {
  if (!Rf_isReal(par) || XLENGTH(par) != 4) Rf_error("'par' must be c(sigma_w, sigma_b, kappa, slope)");
  if (!Rf_isInteger(ipar) || XLENGTH(ipar) != 2) Rf_error("'ipar' must be c(activation code, depth)");
  if (!Rf_isNewList(gh) || XLENGTH(gh) != 3) Rf_error("'gh' must be list(nodes, weights, hermite)");
  SEXP gz = VECTOR_ELT(gh, 0), gw = VECTOR_ELT(gh, 1), H = VECTOR_ELT(gh, 2);
  if (!Rf_isReal(gz) || !Rf_isReal(gw) || XLENGTH(gz) != XLENGTH(gw) || XLENGTH(gz) < 1)
    Rf_error("'gh' must hold two double vectors of equal length");
  int hr, hc;
  jntk_real_matrix(H, "hermite", &hr, &hc);
  if (hr != XLENGTH(gz) || hc < 1) Rf_error("'hermite' must have one row per node");
  const double *p = REAL(par);
  for (int k = 0; k < 4; k++)
    if (!R_FINITE(p[k])) Rf_error("'par' must be finite");
  if (!(p[0] > 0) || p[1] < 0 || !(p[2] > 0)) Rf_error("need sigma_w > 0, sigma_b >= 0, kappa > 0");
  kp->act = INTEGER(ipar)[0];
  kp->depth = INTEGER(ipar)[1];
  if (kp->act < 0 || kp->act >= ACT_COUNT) Rf_error("unknown activation code %d", kp->act);
  if (kp->depth < 0 || kp->depth == NA_INTEGER) Rf_error("depth must be >= 0");
  kp->sw2 = p[0] * p[0];
  kp->sb2 = p[1] * p[1];
  kp->k2 = p[2] * p[2];
  kp->slope = p[3];
  kp->d = d;
  kp->nq = (int) XLENGTH(gz);
  kp->gz = REAL(gz);
  kp->gw = REAL(gw);
  kp->K = hc;
  kp->H = REAL(H);
  kp->nthreads = 1;
}

static void get_inputs(SEXP x1, SEXP x2, double **px1, double **px2, int *n1,
                       int *n2, int *d) {
  int d2;
  *px1 = jntk_real_matrix(x1, "x1", n1, d);
  if (Rf_isNull(x2)) {
    *px2 = NULL;
    *n2 = *n1;
  } else {
    *px2 = jntk_real_matrix(x2, "x2", n2, &d2);
    if (d2 != *d) Rf_error("x1 has %d columns but x2 has %d", *d, d2);
  }
  if (*n1 < 1 || *n2 < 1 || *d < 1) Rf_error("inputs must have at least one row and one column");
}

/* Checked inputs, parameters and squared norms of one kernel call. */
typedef struct {
  double *x1, *x2, *q1, *q2;
  int n1, n2, d, nt;
  kpar kp;
} kcall;

static void kcall_setup(kcall *k, SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP gh,
                        SEXP threads) {
  get_inputs(x1, x2, &k->x1, &k->x2, &k->n1, &k->n2, &k->d);
  fill_kpar(&k->kp, par, ipar, gh, k->d);
  k->nt = jntk_int_scalar(threads, "threads");
  k->kp.nthreads = k->nt;
  k->q1 = (double *) R_alloc(k->n1, sizeof(double));
  k->q2 = k->x2 ? (double *) R_alloc(k->n2, sizeof(double)) : k->q1;
}

SEXP kernels_plain(SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP gh, SEXP what,
                   SEXP threads) {
  kcall k;
  kcall_setup(&k, x1, x2, par, ipar, gh, threads);
  int n1 = k.n1, n2 = k.n2;
  if (!Rf_isLogical(what) || XLENGTH(what) != 2) Rf_error("'what' must be two logicals");
  int want_nngp = LOGICAL(what)[0] == TRUE, want_ntk = LOGICAL(what)[1] == TRUE;
  SEXP res = PROTECT(Rf_allocVector(VECSXP, 2));
  /* the Gram matrix is computed into the first requested result and
   * overwritten pair by pair: no other n1 x n2 buffer */
  SEXP K0 = PROTECT(Rf_allocMatrix(REALSXP, n1, n2));
  SEXP K1 = R_NilValue;
  if (want_nngp && want_ntk) K1 = Rf_allocMatrix(REALSXP, n1, n2);
  PROTECT(K1);
  jntk_gram(k.x1, k.x2, n1, n2, k.d, REAL(K0), k.q1, k.q2, k.nt);
  double *nngp = want_nngp ? REAL(K0) : NULL;
  double *ntk = want_ntk ? (want_nngp ? REAL(K1) : REAL(K0)) : NULL;
  kernel_plain_worker(&k.kp, REAL(K0), k.q1, k.q2, n1, n2, k.x2 == NULL, nngp, ntk, k.nt);
  if (want_nngp) SET_VECTOR_ELT(res, 0, K0);
  if (want_ntk) SET_VECTOR_ELT(res, 1, want_nngp ? K1 : K0);
  UNPROTECT(3);
  return res;
}

SEXP kernels_scalars(SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP gh, SEXP kind,
                     SEXP threads) {
  kcall k;
  kcall_setup(&k, x1, x2, par, ipar, gh, threads);
  int n1 = k.n1, n2 = k.n2, kd = jntk_int_scalar(kind, "kind");
  if (!kind_is_jacobian(kd)) Rf_error("'kind' must be a Jacobian kernel kind (2 or 3)");
  SEXP F = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n1 * n2 * 8));
  SEXP dim = PROTECT(Rf_allocVector(INTSXP, 3));
  INTEGER(dim)[0] = n1; INTEGER(dim)[1] = n2; INTEGER(dim)[2] = 8;
  Rf_setAttrib(F, R_DimSymbol, dim);
  jntk_gram(k.x1, k.x2, n1, n2, k.d, REAL(F), k.q1, k.q2, k.nt);
  kernel_jet_worker(&k.kp, k.q1, k.q2, n1, n2, k.x2 == NULL, kind_is_tangent(kd), REAL(F), k.nt);
  UNPROTECT(2);
  return F;
}

static const double *check_scalars(SEXP F, int n1, int n2) {
  if (!Rf_isReal(F) || XLENGTH(F) != (R_xlen_t) n1 * n2 * 8)
    Rf_error("'F' must hold n1 x n2 x 8 doubles");
  return REAL(F);
}

SEXP kernels_assemble(SEXP F, SEXP x1, SEXP x2, SEXP threads) {
  int n1, n2, d, d2;
  double *px1 = jntk_real_matrix(x1, "x1", &n1, &d);
  double *px2 = jntk_real_matrix(x2, "x2", &n2, &d2);
  if (d != d2) Rf_error("x1 and x2 must have the same number of columns");
  const double *pF = check_scalars(F, n1, n2);
  int nt = jntk_int_scalar(threads, "threads");
  SEXP K = PROTECT(Rf_allocMatrix(REALSXP, n1 * (d + 1), n2 * (d + 1)));
  jacobian_assemble(pF, px1, px2, n1, n2, d, REAL(K), nt);
  UNPROTECT(1);
  return K;
}

SEXP kernels_matvec(SEXP F, SEXP x1, SEXP x2, SEXP v) {
  int n1, n2, d, d2, vr, vc;
  double *px1 = jntk_real_matrix(x1, "x1", &n1, &d);
  double *px2 = jntk_real_matrix(x2, "x2", &n2, &d2);
  if (d != d2) Rf_error("x1 and x2 must have the same number of columns");
  const double *pF = check_scalars(F, n1, n2);
  double *pv = jntk_real_matrix(v, "v", &vr, &vc);
  if (vr != n2 * (d + 1)) Rf_error("'v' must have n2 (d + 1) = %d rows", n2 * (d + 1));
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, n1 * (d + 1), vc));
  jacobian_matvec(pF, px1, px2, n1, n2, d, pv, vc, REAL(out));
  UNPROTECT(1);
  return out;
}

/* Test hook: the dual functions g and gdot at (a, b, c). */
SEXP kernels_dual(SEXP par, SEXP ipar, SEXP gh, SEXP abc) {
  int n, k;
  double *p = jntk_real_matrix(abc, "abc", &n, &k);
  if (k != 3) Rf_error("'abc' must have 3 columns (a, b, c)");
  kpar kp;
  fill_kpar(&kp, par, ipar, gh, 1);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, n, 2));
  for (int i = 0; i < n; i++)
    kernel_dual_scalar(&kp, p[i], p[i + n], p[i + 2 * (ptrdiff_t) n], REAL(out) + i,
                       REAL(out) + i + n);
  UNPROTECT(1);
  return out;
}
