/* .Call entry points of the analytic kernels: check arguments, allocate the
 * results, hand plain pointers to the workers in kernels.c and
 * jacobian_kernels.c. R (R/kernels.R) has already validated and explained. */
#include "jntk.h"
#include "kernels.h"

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

/* Gram matrix into G (n1 x n2) and squared row norms; when x2 is NULL only
 * the upper triangle of x1 x1^T, with q taken from its diagonal so that
 * identical points give exactly p = q = r. One thread: dsyrk / dgemm. More:
 * blocks of columns, each its own dgemm on a disjoint part of G (balanced by
 * area for the triangle); every entry is the same sum in the same order. */
static void gram(const double *x1, const double *x2, int n1, int n2, int d,
                 double *G, double *q1, double *q2, int nthreads) {
  double one = 1.0, zero = 0.0;
  nthreads = jntk_threads_grain(nthreads, (double) n1 * n2 * d, 4e6);
  int nb = nthreads > 1 ? 4 * nthreads : 1;
  if (nb > n2) nb = n2;
  int nt = jntk_threads(nthreads, nb);
  if (!x2 && nb == 1) {
    F77_CALL(dsyrk)("U", "N", &n1, &d, &one, x1, &n1, &zero, G, &n1 FCONE FCONE);
  } else if (nb == 1) {
    F77_CALL(dgemm)("N", "T", &n1, &n2, &d, &one, x1, &n1, x2, &n2, &zero, G, &n1 FCONE FCONE);
  } else {
    int *cut = (int *) R_alloc(nb + 1, sizeof(int));
    for (int b = 0; b <= nb; b++)
      cut[b] = x2 ? (int) ((double) n2 * b / nb) : (int) (n2 * sqrt((double) b / nb));
    cut[nb] = n2;
    (void) nt;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (int b = 0; b < nb; b++) {
      int j0 = cut[b], jb = cut[b + 1] - cut[b];
      if (jb <= 0) continue;
      if (x2) {
        F77_CALL(dgemm)("N", "T", &n1, &jb, &d, &one, x1, &n1, x2 + j0, &n2, &zero,
                        G + (ptrdiff_t) j0 * n1, &n1 FCONE FCONE);
      } else {
        int rows = cut[b + 1]; /* rows 0..j1-1 cover the upper triangle */
        F77_CALL(dgemm)("N", "T", &rows, &jb, &d, &one, x1, &n1, x1 + j0, &n1, &zero,
                        G + (ptrdiff_t) j0 * n1, &n1 FCONE FCONE);
      }
    }
  }
  if (!x2) {
    for (int i = 0; i < n1; i++) q1[i] = G[i + (ptrdiff_t) i * n1];
    return;
  }
  for (int i = 0; i < n1; i++) {
    double s = 0;
    for (int k = 0; k < d; k++) s += x1[i + (ptrdiff_t) k * n1] * x1[i + (ptrdiff_t) k * n1];
    q1[i] = s;
  }
  for (int i = 0; i < n2; i++) {
    double s = 0;
    for (int k = 0; k < d; k++) s += x2[i + (ptrdiff_t) k * n2] * x2[i + (ptrdiff_t) k * n2];
    q2[i] = s;
  }
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
  gram(k.x1, k.x2, n1, n2, k.d, REAL(K0), k.q1, k.q2, k.nt);
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
  SEXP F = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n1 * n2 * 8));
  SEXP dim = PROTECT(Rf_allocVector(INTSXP, 3));
  INTEGER(dim)[0] = n1; INTEGER(dim)[1] = n2; INTEGER(dim)[2] = 8;
  Rf_setAttrib(F, R_DimSymbol, dim);
  gram(k.x1, k.x2, n1, n2, k.d, REAL(F), k.q1, k.q2, k.nt);
  kernel_jet_worker(&k.kp, k.q1, k.q2, n1, n2, k.x2 == NULL, kd != 0, REAL(F), k.nt);
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

/* Test hooks: activation derivatives and dual functions. */
SEXP kernels_activation(SEXP code, SEXP slope, SEXP x, SEXP nd) {
  int c = jntk_int_scalar(code, "code"), k = jntk_int_scalar(nd, "nd");
  double s = jntk_real_scalar(slope, "slope");
  if (c < 0 || c >= ACT_COUNT) Rf_error("unknown activation code");
  if (k < 0 || k > 4) Rf_error("nd must be 0..4");
  if (!Rf_isReal(x)) Rf_error("'x' must be double");
  R_xlen_t n = XLENGTH(x);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int) n, k + 1));
  double o[5];
  for (R_xlen_t i = 0; i < n; i++) {
    act_derivs(c, s, REAL(x)[i], k, o);
    for (int e = 0; e <= k; e++) REAL(out)[i + e * n] = o[e];
  }
  UNPROTECT(1);
  return out;
}

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
