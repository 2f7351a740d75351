/* .Call entry points of the analytic kernels: check arguments, allocate the
 * results, hand plain pointers to the workers in kernels.c and
 * jacobian_kernels.c. R (R/kernels.R) has already validated and explained;
 * these make a direct .Call with garbage an error, not a crash. Failures to
 * reach the requested accuracy come back as a fifth element `fail` =
 * c(failed, layer, variance, estimate, overflow) for R to raise as a classed
 * condition. */
#include "jntk.h"
#include "kernels.h"
#include "linalg.h"
#include "series.h"
#include "dual.h"
#include "plain.h"

/* par = c(sigma_w, sigma_b, kappa, slope, tol), ipar = c(activation, depth,
 * series terms) for the NTK parametrisation or c(activation, depth, series
 * terms, 1, n_1, ..., n_L) for the standard one, rule = list(V, wV, Vc, wVc) (the 16-node mixture rule and
 * the 32-node one for Hermite coefficients; NULL for closed forms) */
#include "jet.h"

#define EPS 2.220446049250313e-16

static void fill_kpar(kpar *kp, SEXP par, SEXP ipar, SEXP rule, int d) {
  if (!Rf_isReal(par) || XLENGTH(par) < 5 || XLENGTH(par) > 5 + ACT_MAX_PAR)
    Rf_error("'par' must be c(sigma_w, sigma_b, kappa, slope, tol, activation parameters)");
  if (!Rf_isInteger(ipar) || XLENGTH(ipar) < 3)
    Rf_error("'ipar' must be c(activation code, depth, series terms[, 1, widths])");
  const double *p = REAL(par);
  for (R_xlen_t k = 0; k < XLENGTH(par); k++)
    if (!R_FINITE(p[k])) Rf_error("'par' must be finite");
  if (!(p[0] > 0) || p[1] < 0 || !(p[2] > 0)) Rf_error("need sigma_w > 0, sigma_b >= 0, kappa > 0");
  if (!(p[4] >= 1e-13 && p[4] <= 0.1)) Rf_error("'tol' must be in [1e-13, 0.1]");
  const int *ip = INTEGER(ipar);
  kp->act = ip[0];
  kp->depth = ip[1];
  if ((kp->act < 0 || kp->act >= ACT_COUNT) && kp->act != ACT_USER)
    Rf_error("unknown activation code %d", kp->act);
  if (kp->depth < 0 || kp->depth == NA_INTEGER) Rf_error("depth must be >= 0");
  kp->std = 0;
  kp->wd = NULL;
  kp->bt = p[1] > 0 ? 1.0 : 0.0;
  if (XLENGTH(ipar) != 3) {
    if (XLENGTH(ipar) != 4 + (R_xlen_t) kp->depth || ip[3] != 1)
      Rf_error("'ipar' of the standard parametrisation must be c(activation code, depth, "
               "series terms, 1, n_1, ..., n_depth)");
    double *wd = (double *) R_alloc(kp->depth > 0 ? kp->depth : 1, sizeof(double));
    for (int l = 0; l < kp->depth; l++) {
      if (ip[4 + l] == NA_INTEGER || ip[4 + l] < 1) Rf_error("widths must be positive");
      wd[l] = ip[4 + l];
    }
    kp->std = 1;
    kp->wd = wd;
  }
  kp->sw2 = p[0] * p[0];
  kp->sb2 = p[1] * p[1];
  kp->k2 = p[2] * p[2];
  kp->slope = p[3];
  kp->tol = p[4];
  kp->ap = p + 5;
  kp->nap = (int) XLENGTH(par) - 5;
  const char *bad = act_par_check(kp->act, kp->ap, kp->nap);
  if (bad) Rf_error("activation parameters: %s", bad);
  dual_kink_coefs(kp->act, kp->slope, kp->ap, &kp->A1, &kp->B1);
  kp->d = d;
  kp->nthreads = 1;
  kp->sr = NULL;
  if (dual_is_series(kp->act)) {
    if (!Rf_isNewList(rule) || XLENGTH(rule) != (kp->act == ACT_USER ? 6 : 4))
      Rf_error("'rule' must be list(nodes, weights, nodes, weights) of the two mixture rules");
    for (int r = 0; r < 4; r += 2) {
      SEXP V = VECTOR_ELT(rule, r), wV = VECTOR_ELT(rule, r + 1);
      int mx = r == 0 ? SERIES_MMAX : SERIES_MCOEF;
      if (!Rf_isReal(V) || !Rf_isReal(wV) || XLENGTH(V) != XLENGTH(wV) || XLENGTH(V) < 1 ||
          XLENGTH(V) > mx)
        Rf_error("'rule' must hold pairs of double vectors of equal length 1..%d", mx);
      for (R_xlen_t k = 0; k < XLENGTH(V); k++)
        if (!(REAL(V)[k] > 0) || !(REAL(wV)[k] > 0) || !R_FINITE(REAL(V)[k]))
          Rf_error("'rule' nodes and weights must be positive and finite");
    }
    SEXP V = VECTOR_ELT(rule, 0), wV = VECTOR_ELT(rule, 1), Vc = VECTOR_ELT(rule, 2),
         wVc = VECTOR_ELT(rule, 3);
    if (ip[2] == NA_INTEGER || ip[2] < 8 || ip[2] > 128) Rf_error("series terms must be in 8..128");
    kp->sr = (series_rule *) R_alloc(1, sizeof(series_rule));
    series_rule_init(kp->sr, kp->act, kp->slope, REAL(V), REAL(wV), (int) XLENGTH(V), REAL(Vc),
                     REAL(wVc), (int) XLENGTH(Vc), ip[2], kp->tol);
    if (kp->act == ACT_USER)
      series_user_attach(kp->sr, VECTOR_ELT(rule, 4), Rf_asInteger(VECTOR_ELT(rule, 5)));
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
  if ((double) *n1 * *n2 > R_XLEN_T_MAX / 16.0) Rf_error("too many pairs");
}

/* Checked inputs, parameters and squared norms of one kernel call. */
typedef struct {
  double *x1, *x2, *q1, *q2;
  int n1, n2, d, nt;
  kpar kp;
  kside s1, s2;
} kcall;

static void kcall_setup(kcall *k, SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP rule,
                        SEXP threads) {
  get_inputs(x1, x2, &k->x1, &k->x2, &k->n1, &k->n2, &k->d);
  fill_kpar(&k->kp, par, ipar, rule, k->d);
  k->nt = jntk_int_scalar(threads, "threads");
  k->kp.nthreads = k->nt;
  k->q1 = (double *) R_alloc(k->n1, sizeof(double));
  k->q2 = k->x2 ? (double *) R_alloc(k->n2, sizeof(double)) : k->q1;
  k->s1.x = k->x1;
  k->s1.q = k->q1;
  k->s1.n = k->n1;
  k->s2.x = k->x2 ? k->x2 : k->x1;
  k->s2.q = k->q2;
  k->s2.n = k->n2;
}

static SEXP fail_vector(const kfail *f) {
  SEXP v = PROTECT(Rf_allocVector(REALSXP, 5));
  REAL(v)[0] = f->failed;
  REAL(v)[1] = f->layer;
  REAL(v)[2] = f->variance;
  REAL(v)[3] = f->estimate;
  REAL(v)[4] = f->overflow;
  UNPROTECT(1);
  return v;
}

SEXP kernels_plain(SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP rule, SEXP what,
                   SEXP threads) {
  kcall k;
  kcall_setup(&k, x1, x2, par, ipar, rule, threads);
  int n1 = k.n1, n2 = k.n2;
  if (!Rf_isLogical(what) || XLENGTH(what) != 2) Rf_error("'what' must be two logicals");
  int want_nngp = LOGICAL(what)[0] == TRUE, want_ntk = LOGICAL(what)[1] == TRUE;
  if (!want_nngp && !want_ntk) Rf_error("'what' must request at least one kernel");
  SEXP res = PROTECT(Rf_allocVector(VECSXP, 3));
  /* the Gram matrix is computed into the covariance state and overwritten
   * layer by layer */
  SEXP K0 = want_nngp ? Rf_allocMatrix(REALSXP, n1, n2) : R_NilValue;
  PROTECT(K0);
  SEXP K1 = want_ntk ? Rf_allocMatrix(REALSXP, n1, n2) : R_NilValue;
  PROTECT(K1);
  double *c = want_nngp ? REAL(K0) : (double *) R_alloc((size_t) n1 * n2, sizeof(double));
  kfail fail = {0, 0, 0.0, 0.0, 0};
  /* plain.c (vectorised) where it handles the architecture, else kernels.c */
  if (plain_fast_handles(&k.kp, n1)) {
    plain_fast_kernel(&k.kp, &k.s1, &k.s2, k.x2 == NULL, c, want_ntk ? REAL(K1) : NULL, &fail,
                      k.nt);
  } else {
    jntk_gram(k.x1, k.x2, n1, n2, k.d, c, k.q1, k.q2, k.nt);
    kernel_plain_worker(&k.kp, &k.s1, &k.s2, k.x2 == NULL, c, want_ntk ? REAL(K1) : NULL,
                        &fail, k.nt);
  }
  SET_VECTOR_ELT(res, 0, K0);
  SET_VECTOR_ELT(res, 1, K1);
  SET_VECTOR_ELT(res, 2, fail_vector(&fail));
  UNPROTECT(3);
  return res;
}

static SEXP scalar_array(int n1, int n2) {
  SEXP F = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n1 * n2 * 8));
  SEXP dim = PROTECT(Rf_allocVector(INTSXP, 3));
  INTEGER(dim)[0] = n1;
  INTEGER(dim)[1] = n2;
  INTEGER(dim)[2] = 8;
  Rf_setAttrib(F, R_DimSymbol, dim);
  UNPROTECT(2);
  return F;
}

/* kind: the Jacobian kinds wanted (KIND_JACOBIAN_NNGP and/or KIND_JNTK);
 * returns list(jacobian_nngp, jntk, fail), NULL where not requested. */
SEXP kernels_scalars(SEXP x1, SEXP x2, SEXP par, SEXP ipar, SEXP rule, SEXP kind,
                     SEXP threads) {
  kcall k;
  kcall_setup(&k, x1, x2, par, ipar, rule, threads);
  int n1 = k.n1, n2 = k.n2, want[2] = {0, 0};
  if (!Rf_isInteger(kind) || XLENGTH(kind) < 1 || XLENGTH(kind) > 2)
    Rf_error("'kind' must be one or two Jacobian kernel kinds (2, 3)");
  for (R_xlen_t t = 0; t < XLENGTH(kind); t++) {
    int kd = INTEGER(kind)[t];
    if (!kind_is_jacobian(kd)) Rf_error("'kind' must be a Jacobian kernel kind (2 or 3)");
    want[kind_is_tangent(kd)] = 1;
  }
  SEXP res = PROTECT(Rf_allocVector(VECSXP, 3));
  SEXP F0 = want[0] ? scalar_array(n1, n2) : R_NilValue;
  PROTECT(F0);
  SEXP F1 = want[1] ? scalar_array(n1, n2) : R_NilValue;
  PROTECT(F1);
  double *gram = (double *) R_alloc((size_t) n1 * n2, sizeof(double));
  jntk_gram(k.x1, k.x2, n1, n2, k.d, gram, k.q1, k.q2, k.nt);
  kfail fail = {0, 0, 0.0, 0.0, 0};
  kernel_jet_worker(&k.kp, &k.s1, &k.s2, k.x2 == NULL, gram, want[0] ? REAL(F0) : NULL,
                    want[1] ? REAL(F1) : NULL, &fail, k.nt);
  SET_VECTOR_ELT(res, 0, F0);
  SET_VECTOR_ELT(res, 1, F1);
  SET_VECTOR_ELT(res, 2, fail_vector(&fail));
  UNPROTECT(3);
  return res;
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
  if (n1 < 1 || n2 < 1 || d < 1) Rf_error("inputs must have at least one row and one column");
  const double *pF = check_scalars(F, n1, n2);
  int nt = jntk_int_scalar(threads, "threads");
  double r = (double) n1 * (d + 1), c = (double) n2 * (d + 1);
  if (r > INT_MAX || c > INT_MAX || r * c > R_XLEN_T_MAX)
    Rf_error("the dense Jacobian kernel would be too large");
  SEXP K = PROTECT(Rf_allocMatrix(REALSXP, (int) r, (int) c));
  jacobian_assemble(pF, px1, px2, n1, n2, d, REAL(K), nt);
  UNPROTECT(1);
  return K;
}

/* K v for a structured kernel; rho: NULL or the n1 x n2 cosines of
 * kernels_cosines() (cached by the caller). */
SEXP kernels_matvec(SEXP F, SEXP x1, SEXP x2, SEXP v, SEXP rho) {
  int n1, n2, d, d2, vr, vc;
  double *px1 = jntk_real_matrix(x1, "x1", &n1, &d);
  double *px2 = jntk_real_matrix(x2, "x2", &n2, &d2);
  if (d != d2) Rf_error("x1 and x2 must have the same number of columns");
  if (n1 < 1 || n2 < 1 || d < 1) Rf_error("inputs must have at least one row and one column");
  const double *pF = check_scalars(F, n1, n2);
  double *pv = jntk_real_matrix(v, "v", &vr, &vc);
  if ((double) vr != (double) n2 * (d + 1)) Rf_error("'v' must have n2 (d + 1) rows");
  if ((double) n1 * (d + 1) > INT_MAX) Rf_error("the product would be too large");
  const double *pr = NULL;
  if (!Rf_isNull(rho)) {
    int r1, r2;
    pr = jntk_real_matrix(rho, "rho", &r1, &r2);
    if (r1 != n1 || r2 != n2) Rf_error("'rho' must be n1 x n2");
  }
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, n1 * (d + 1), vc));
  if (vc > 0) jacobian_matvec(pF, px1, px2, n1, n2, d, pv, vc, REAL(out), pr);
  UNPROTECT(1);
  return out;
}

/* The n1 x n2 cosines of the input pairs, for kernels_matvec(). */
SEXP kernels_cosines(SEXP x1, SEXP x2) {
  int n1, n2, d, d2;
  double *px1 = jntk_real_matrix(x1, "x1", &n1, &d);
  double *px2 = jntk_real_matrix(x2, "x2", &n2, &d2);
  if (d != d2) Rf_error("x1 and x2 must have the same number of columns");
  if (n1 < 1 || n2 < 1 || d < 1) Rf_error("inputs must have at least one row and one column");
  if ((double) n1 * n2 > R_XLEN_T_MAX) Rf_error("the cosines would be too large");
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, n1, n2));
  jacobian_cosines(px1, px2, n1, n2, d, REAL(out));
  UNPROTECT(1);
  return out;
}

/* Exposed for the test hook kernels_dual(): g and gdot at (a, b, c). */
static void kernel_dual_scalar(const kpar *kp, double a, double b, double c, double *g,
                        double *gd) {
  double D = a * b - c * c;
  if (D < 0) D = 0;
  pairval pv = {a, b, c, D, dual_theta(sqrt(a * b) - c, sqrt(a * b) + c), 0.0, 1.0,
                sqrt(a), sqrt(b)};
  pair_half_angle(&pv);
  if (!kp->sr) {
    dual_closed(kp->act, kp, &pv, g, gd);
    return;
  }
  series_side s1, s2;
  double vn[1], dvn[1], d1[1] = {1.0};
  series_side_alloc(&s1, 1, 2, kp->sr->K);
  series_side_alloc(&s2, 1, 2, kp->sr->K);
  series_side_fill(kp, &a, d1, 0, 1, &s1, vn, dvn, 1);
  series_side_fill(kp, &b, d1, 0, 1, &s2, vn, dvn, 1);
  series_side_finish(&s1);
  series_side_finish(&s2);
  double mo[2];
  series_pair(kp->sr, &s1, 0, &s2, 0, a, b, c, D, 4.0 * EPS * a * b, 2, series_plain_ij, mo);
  *g = mo[0];
  *gd = mo[1];
}

/* Test hook: the dual functions g and gdot at (a, b, c). */
SEXP kernels_dual(SEXP par, SEXP ipar, SEXP rule, SEXP abc) {
  int n, k;
  double *p = jntk_real_matrix(abc, "abc", &n, &k);
  if (k != 3) Rf_error("'abc' must have 3 columns (a, b, c)");
  kpar kp;
  fill_kpar(&kp, par, ipar, rule, 1);
  for (int i = 0; i < n; i++) {
    double a = p[i], b = p[i + n], c = p[i + 2 * (ptrdiff_t) n];
    if (a < 0 || b < 0 || c * c > a * b * (1 + 1e-12))
      Rf_error("row %d of 'abc' is not a covariance (need a, b >= 0, c^2 <= ab)", i + 1);
  }
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, n, 2));
  for (int i = 0; i < n; i++)
    kernel_dual_scalar(&kp, p[i], p[i + n], p[i + 2 * (ptrdiff_t) n], REAL(out) + i,
                       REAL(out) + i + n);
  UNPROTECT(1);
  return out;
}

/* Test hook: moments E[phi^(i)(u) phi^(j)(v)] by the method the kernels use
 * (method 0) or by the mixture alone (method 1), with the estimate:
 * an n x 11 matrix (10 jet moments, then the estimated relative error). */
SEXP kernels_moments(SEXP par, SEXP ipar, SEXP rule, SEXP abc, SEXP method) {
  int n, k;
  double *p = jntk_real_matrix(abc, "abc", &n, &k);
  if (k != 3) Rf_error("'abc' must have 3 columns (a, b, c)");
  int meth = jntk_int_scalar(method, "method");
  kpar kp;
  fill_kpar(&kp, par, ipar, rule, 1);
  if (!kp.sr) Rf_error("moments are for series activations");
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, n, SERIES_NMOM + 1));
  double *o = REAL(out);
  for (int i = 0; i < n; i++) {
    double a = p[i], b = p[i + n], c = p[i + 2 * (ptrdiff_t) n], mo[SERIES_NMOM], est;
    if (a < 0 || b < 0 || c * c > a * b * (1 + 1e-12))
      Rf_error("row %d of 'abc' is not a covariance (need a, b >= 0, c^2 <= ab)", i + 1);
    double D = a * b - c * c;
    if (D < 0) D = 0;
    if (meth == 1) {
      est = series_mixture(kp.sr, a, b, c, D, 0.0, SERIES_NMOM, series_jet_ij, mo, NULL, NULL);
    } else {
      series_side s1, s2;
      double vn[1], dvn[1], d1[1] = {1.0};
      series_side_alloc(&s1, 1, 5, kp.sr->K);
      series_side_alloc(&s2, 1, 5, kp.sr->K);
      series_side_fill(&kp, &a, d1, 0, 1, &s1, vn, dvn, 1);
      series_side_fill(&kp, &b, d1, 0, 1, &s2, vn, dvn, 1);
      series_side_finish(&s1);
      series_side_finish(&s2);
      est = series_pair(kp.sr, &s1, 0, &s2, 0, a, b, c, D, 0.0, SERIES_NMOM, series_jet_ij, mo);
    }
    for (int t = 0; t < SERIES_NMOM; t++) o[i + (ptrdiff_t) t * n] = mo[t];
    o[i + (ptrdiff_t) SERIES_NMOM * n] = est;
  }
  UNPROTECT(1);
  return out;
}

/* Per point and layer, the diagonal quantities that bound every pair by
 * Cauchy-Schwarz (for kernel_error_bound() in R): an n x (depth + 1) x 7
 * array of the variance a entering the layer, E[phi^2], g_a, E[phi'^2],
 * E[phi''^2], E[phi'''^2] at (a, a, a), and the estimated relative error of
 * the series moments (0 for closed forms). O(n depth). */
SEXP kernels_diag(SEXP x, SEXP par, SEXP ipar, SEXP rule) {
  int n, d;
  double *px = jntk_real_matrix(x, "x", &n, &d);
  if (n < 1 || d < 1) Rf_error("'x' must have at least one row and one column");
  kpar kp;
  fill_kpar(&kp, par, ipar, rule, d);
  int L = kp.depth;
  SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n * (L + 1) * 7));
  SEXP dim = PROTECT(Rf_allocVector(INTSXP, 3));
  INTEGER(dim)[0] = n;
  INTEGER(dim)[1] = L + 1;
  INTEGER(dim)[2] = 7;
  Rf_setAttrib(out, R_DimSymbol, dim);
  double *o = REAL(out);
  ptrdiff_t S = (ptrdiff_t) n * (L + 1);
  if (kp.sr) series_rule_prepare(kp.sr);
  for (int i = 0; i < n; i++) {
    double q = 0.0;
    for (int k = 0; k < d; k++) q += px[i + (ptrdiff_t) k * n] * px[i + (ptrdiff_t) k * n];
    double a = kp.sw2 * q / d + kp.sb2;
    for (int l = 0; l <= L; l++) {
      double m5[5] = {0, 0, 0, 0, 0}, est = 0.0;
      if (kp.sr) {
        /* the kernels' own diagonal: Gauss-Hermite on the tables' nodes at
         * small variances (the mixture cancels there), the mixture beyond */
        series_side sd;
        double vn[1], dvn[1], d1[1] = {1.0}, av = a > 0 ? a : 0.0;
        const void *vmax = vmaxget(); /* release the scratch of each point */
        series_side_alloc(&sd, 1, 5, 16);
        series_side_fill(&kp, &av, d1, 0, 1, &sd, vn, dvn, 1);
        for (int e = 0; e < 4; e++) m5[e + (e > 0)] = sd.nrm[e] * sd.nrm[e];
        m5[1] = 0.5 * (dvn[0] / kp.sw2 - m5[2]); /* E[phi phi'']/2 = (d/da E[phi^2] - E[phi'^2])/2 */
        if (sd.tabbed[0]) {
          est = kp.sr->eps_mehler;
        } else {
          double mo[SERIES_NMOM];
          est = series_mixture(kp.sr, av, av, av, 0.0, 0.0, SERIES_NMOM, series_jet_ij, mo, NULL,
                               NULL);
        }
        vmaxset(vmax);
      } else {
        dual_diag_moments(&kp, a, m5);
      }
      ptrdiff_t ix = i + (ptrdiff_t) l * n;
      o[ix] = a;
      for (int e = 0; e < 5; e++) o[ix + (e + 1) * S] = m5[e];
      o[ix + 6 * S] = est;
      a = kp.sw2 * m5[0] + kp.sb2;
    }
    if ((i & 255) == 255) R_CheckUserInterrupt();
  }
  UNPROTECT(2);
  return out;
}

/* For jntk_sitrep(): list(openmp, cores, max_threads, simd) - whether the
 * package was built with OpenMP, the cores OpenMP sees, its default thread
 * limit, and the instruction set the vectorised plain kernels run with.
 * `layout` is the version of this list the caller expects (1). */
SEXP kernels_build_info(SEXP layout) {
  if (jntk_int_scalar(layout, "layout") != 1) Rf_error("'layout' must be 1");
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 4));
#ifdef _OPENMP
  SET_VECTOR_ELT(out, 0, Rf_ScalarLogical(TRUE));
  SET_VECTOR_ELT(out, 2, Rf_ScalarInteger(omp_get_max_threads()));
#else
  SET_VECTOR_ELT(out, 0, Rf_ScalarLogical(FALSE));
  SET_VECTOR_ELT(out, 2, Rf_ScalarInteger(1));
#endif
  SET_VECTOR_ELT(out, 1, Rf_ScalarInteger(jntk_cores()));
  SET_VECTOR_ELT(out, 3, Rf_mkString(plain_simd_level()));
  UNPROTECT(1);
  return out;
}
