/* Infinite-width training dynamics (math.md section 5).
 *
 * Under gradient flow on L = 1/(2N) sum_i [(f(x_i) - y_i)^2 + lambda |grad_x f(x_i)|^2]
 * with the constant limiting kernel Theta (JNTK, or NTK when lambda = 0),
 *
 *   f_t(x) = f_0(x) + Theta(x, X) Theta^{-1} (I - exp(-Theta Lambda t / N)) (Y~ - U_0),
 *   Theta^{-1} (I - exp(-Theta Lambda t/N)) = Lambda^{1/2} V diag(h(t)) V' Lambda^{1/2},
 *   h_k(t) = -expm1(-D_k t/N) / D_k,   S = Lambda^{1/2} Theta Lambda^{1/2} = V D V'.
 *
 * One symmetric eigendecomposition (LAPACK dsyevr) serves every time; per time
 * only the diagonal filter h(t) changes. With G = Theta(x, X) Lambda^{1/2} V,
 * C = Sigma(x, X) Lambda^{1/2} V, M = V' Lambda^{1/2} Sigma(X, X) Lambda^{1/2} V
 * and P = V' Lambda^{1/2} (Y~ - E U_0), the Gaussian law of f_t over random
 * initialisation has
 *
 *   mean_t = G diag(h) P,
 *   cov_t  = Sigma(x, x) - Q C' - C Q' + Q M Q',   Q = G diag(h).
 *
 * Layers: .Call entry points (dynamics_*) check SEXPs and allocate results;
 * the workers (flow_*) take pointers and sizes and know nothing of R. */
#include "jntk.h"
#include "calls_dynamics.h"

/* ---------------------------------------------------------------- workers */

/* Gradient flow: h = -expm1(-D tau)/D with tau = t/N, finite as D -> 0
 * (limit tau). Negative D (rounding noise of a PSD matrix) is treated as 0.
 * t = +Inf gives 1/D; returns 0 when that needs D <= 0.
 *
 * Gradient descent with learning rate lr > 0 (s = t/lr steps, the linearised
 * network of train_mlp()): U_s - Y~ = (I - lr Theta Lambda/N)^s (U_0 - Y~), so
 * h = (1 - (1 - x)^s)/D with x = lr D/N, which tends to s lr/N = t/N as
 * D -> 0 and to 1/D as s -> Inf when 0 < x < 2 (the caller checks x < 2). */
static int flow_filter(const double *D, int n, double t, double N, double lr, double *h) {
  if (!R_FINITE(t)) {
    for (int k = 0; k < n; k++) {
      if (!(D[k] > 0)) return 0;
      h[k] = 1.0 / D[k];
    }
    return 1;
  }
  double tau = t / N;
  for (int k = 0; k < n; k++) {
    double d = D[k] > 0 ? D[k] : 0.0;
    if (lr > 0) {
      double x = lr * d / N, s = floor(t / lr + 0.5);   /* whole number of steps */
      if (x == 0) h[k] = tau;
      else if (x < 1) h[k] = -expm1(s * log1p(-x)) / d;   /* accurate for small x */
      else h[k] = (1.0 - pow(1.0 - x, s)) / d;             /* 1 <= x < 2: oscillating */
    } else {
      double x = d * tau;
      /* -expm1(-x)/x = 1 - x/2 + x^2/6 - ...; expm1 is accurate for small x,
       * only x == 0 needs the limit. */
      h[k] = (x == 0) ? tau : -expm1(-x) / d;
    }
  }
  return 1;
}

/* Mean at one time: out (m x k) = G (diag(h) P), G m x n, P n x k.
 * work: n*k doubles. */
static void flow_mean_one(const double *G, int m, int n, const double *P, int k,
                          const double *h, double *out, double *work) {
  for (int c = 0; c < k; c++)
    for (int j = 0; j < n; j++) work[j + (size_t) n * c] = h[j] * P[j + (size_t) n * c];
  const double one = 1.0, zero = 0.0;
  if (m == 0 || k == 0) return;
  if (n == 0) {
    for (size_t i = 0; i < (size_t) m * k; i++) out[i] = 0;
    return;
  }
  F77_CALL(dgemm)("N", "N", &m, &k, &n, &one, G, &m, work, &n, &zero, out, &m FCONE FCONE);
}

/* Covariance at one time:
 *   out (m x m) = Sxx - Q C' - C Q' + Q M Q',  Q = G diag(h).
 * Written as Sxx + R Q' + Q R' with R = Q M / 2 - C (one dsymm, one dsyr2k),
 * so the result is symmetric by construction.
 * work: 2*m*n doubles. */
static void flow_cov_one(const double *G, const double *C, const double *M,
                         const double *Sxx, int m, int n, const double *h,
                         double *out, double *work) {
  double *Q = work, *R = work + (size_t) m * n;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      size_t ij = i + (size_t) m * j;
      Q[ij] = G[ij] * h[j];
      R[ij] = C[ij];
    }
  for (size_t i = 0; i < (size_t) m * m; i++) out[i] = Sxx[i];
  if (n > 0) {
    const double half = 0.5, mone = -1.0, one = 1.0;
    /* R := 0.5 * Q M - R */
    F77_CALL(dsymm)("R", "U", &m, &n, &half, M, &n, Q, &m, &mone, R, &m FCONE FCONE);
    /* out := R Q' + Q R' + out (upper triangle) */
    F77_CALL(dsyr2k)("U", "N", &m, &n, &one, R, &m, Q, &m, &one, out, &m FCONE FCONE);
  }
  for (int j = 0; j < m; j++)
    for (int i = j + 1; i < m; i++) out[i + (size_t) m * j] = out[j + (size_t) m * i];
}

/* ------------------------------------------------------------ entry points */

/* Symmetric eigendecomposition S = V diag(values) V' by LAPACK dsyevr
 * (all eigenpairs, ascending order). vectors: 1 = also the eigenvectors. */
SEXP dynamics_eigen(SEXP S, SEXP vectors) {
  int n, nc;
  double *s = jntk_real_matrix(S, "S", &n, &nc);
  if (n != nc) Rf_error("'S' must be a square matrix");
  int want = jntk_int_scalar(vectors, "vectors");
  const char *jobz = want ? "V" : "N";
  SEXP res = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, 2));
  SET_STRING_ELT(nms, 0, Rf_mkChar("values"));
  SET_STRING_ELT(nms, 1, Rf_mkChar("vectors"));
  Rf_setAttrib(res, R_NamesSymbol, nms);
  SEXP val = PROTECT(Rf_allocVector(REALSXP, n));
  SET_VECTOR_ELT(res, 0, val);
  SEXP vec = R_NilValue;
  if (want) {
    vec = PROTECT(Rf_allocMatrix(REALSXP, n, n));
    SET_VECTOR_ELT(res, 1, vec);
    UNPROTECT(1);
  }
  if (n == 0) {
    UNPROTECT(3);
    return res;
  }
  /* dsyevr overwrites its input: work on a copy. */
  double *a = (double *) R_alloc((size_t) n * n, sizeof(double));
  for (size_t i = 0; i < (size_t) n * n; i++) a[i] = s[i];
  int *isuppz = (int *) R_alloc(2 * (size_t) n, sizeof(int));
  int m = 0, info = 0, lwork = -1, liwork = -1, iwkopt = 0, il = 1, iu = n;
  double vl = 0, vu = 0, abstol = 0, wkopt = 0;
  double *z = want ? REAL(vec) : NULL;
  double zdummy = 0;
  int ldz = want ? n : 1;
  if (!want) z = &zdummy;
  F77_CALL(dsyevr)(jobz, "A", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m,
                   REAL(val), z, &ldz, isuppz, &wkopt, &lwork, &iwkopt, &liwork,
                   &info FCONE FCONE FCONE);
  if (info != 0) Rf_error("LAPACK dsyevr workspace query failed (info = %d)", info);
  lwork = (int) wkopt;
  liwork = iwkopt;
  double *work = (double *) R_alloc((size_t) lwork, sizeof(double));
  int *iwork = (int *) R_alloc((size_t) liwork, sizeof(int));
  F77_CALL(dsyevr)(jobz, "A", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m,
                   REAL(val), z, &ldz, isuppz, work, &lwork, iwork, &liwork,
                   &info FCONE FCONE FCONE);
  if (info < 0)
    Rf_error("LAPACK dsyevr: argument %d had an illegal value (a bug in jntk; please report it)", -info);
  if (info > 0)
    Rf_error("LAPACK dsyevr failed to converge (info = %d): the kernel matrix is too badly scaled; "
             "check the inputs for extreme values or add a `ridge`", info);
  if (m != n) Rf_error("LAPACK dsyevr returned %d of %d eigenvalues", m, n);
  UNPROTECT(3);
  return res;
}

/* Spectral filters h(t) for every time: an n x T matrix. lr = 0: gradient
 * flow; lr > 0: gradient descent with that learning rate (t = lr x steps). */
SEXP dynamics_filters(SEXP D, SEXP t, SEXP N, SEXP lr, SEXP threads) {
  if (!Rf_isReal(D)) Rf_error("'D' must be a double vector");
  if (!Rf_isReal(t)) Rf_error("'t' must be a double vector");
  int n = LENGTH(D), T = LENGTH(t);
  double nn = jntk_real_scalar(N, "N");
  if (!(nn > 0)) Rf_error("'N' must be positive");
  double eta = jntk_real_scalar(lr, "lr");
  if (eta < 0) Rf_error("'lr' must be >= 0");
  /* threads only pay off for many filters: one per eigenvalue and time */
  int nt = jntk_threads(jntk_int_scalar(threads, "threads"), (double) n * T, JNTK_GRAIN_FILTERS);
  const double *d = REAL(D), *tt = REAL(t);
  for (int k = 0; k < n; k++) {
    if (ISNAN(d[k])) Rf_error("'D' has NA");
    if (eta > 0 && eta * d[k] / nn >= 2)
      Rf_error("'lr' is at or above the stability limit 2 N / max(D)");
  }
  for (int j = 0; j < T; j++)
    if (ISNAN(tt[j]) || tt[j] < 0) Rf_error("'t' must be non-negative, not NA");
  SEXP res = PROTECT(Rf_allocMatrix(REALSXP, n, T));
  double *h = REAL(res);
  int ok = 1;
JNTK_OMP(parallel for num_threads(nt) reduction(&& : ok))
  for (int j = 0; j < T; j++) ok = flow_filter(d, n, tt[j], nn, eta, h + (size_t) n * j) && ok;
  if (!ok) Rf_error("t = Inf needs every eigenvalue to be positive");
  UNPROTECT(1);
  return res;
}

/* Mean (m x k x T) and, when C is not NULL, covariance (m x m x T) of f_t for
 * every column of the filter matrix H (n x T). Nothing but the diagonal filter
 * is recomputed per time. */
SEXP dynamics_assemble(SEXP G, SEXP P, SEXP H, SEXP C, SEXP M, SEXP Sxx, SEXP threads) {
  int m, n, n2, k, T;
  const double *g = jntk_real_matrix(G, "G", &m, &n);
  const double *p = jntk_real_matrix(P, "P", &n2, &k);
  if (n2 != n) Rf_error("'P' must have as many rows as 'G' has columns");
  const double *h = jntk_real_matrix(H, "H", &n2, &T);
  if (n2 != n) Rf_error("'H' must have as many rows as 'G' has columns");
  int want_cov = !Rf_isNull(C);
  const double *c = NULL, *mm = NULL, *sxx = NULL;
  if (want_cov) {
    int r1, c1;
    c = jntk_real_matrix(C, "C", &r1, &c1);
    if (r1 != m || c1 != n) Rf_error("'C' must have the dimensions of 'G'");
    mm = jntk_real_matrix(M, "M", &r1, &c1);
    if (r1 != n || c1 != n) Rf_error("'M' must be n x n with n = ncol(G)");
    sxx = jntk_real_matrix(Sxx, "Sxx", &r1, &c1);
    if (r1 != m || c1 != m) Rf_error("'Sxx' must be m x m with m = nrow(G)");
  }
  int nt = jntk_threads(jntk_int_scalar(threads, "threads"), T, JNTK_GRAIN_ONE);

  SEXP res = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, 2));
  SET_STRING_ELT(nms, 0, Rf_mkChar("mean"));
  SET_STRING_ELT(nms, 1, Rf_mkChar("cov"));
  Rf_setAttrib(res, R_NamesSymbol, nms);
  SEXP mean = PROTECT(Rf_alloc3DArray(REALSXP, m, k, T));
  SET_VECTOR_ELT(res, 0, mean);
  double *mean_p = REAL(mean), *cov_p = NULL;
  if (want_cov) {
    SEXP cov = PROTECT(Rf_alloc3DArray(REALSXP, m, m, T));
    SET_VECTOR_ELT(res, 1, cov);
    cov_p = REAL(cov);
    UNPROTECT(1);
  }
  /* Scratch per thread, allocated before the parallel region. */
  size_t per = (size_t) n * k + (want_cov ? 2 * (size_t) m * n : 0);
  double *scratch = (double *) R_alloc((size_t) nt * (per > 0 ? per : 1), sizeof(double));

  /* Blocks of times between interrupt checks (outside the parallel region);
   * large enough that starting a parallel region is rare. */
  int block = 64 * nt;
  for (int j0 = 0; j0 < T; j0 += block) {
    int j1 = j0 + block < T ? j0 + block : T;
JNTK_OMP(parallel for num_threads(nt) schedule(static))
    for (int j = j0; j < j1; j++) {
      int tid = jntk_thread_id();
      double *w = scratch + (size_t) tid * per;
      const double *hj = h + (size_t) n * j;
      flow_mean_one(g, m, n, p, k, hj, mean_p + (size_t) m * k * j, w);
      if (want_cov)
        flow_cov_one(g, c, mm, sxx, m, n, hj, cov_p + (size_t) m * m * j, w + (size_t) n * k);
    }
    R_CheckUserInterrupt();
  }
  UNPROTECT(3);
  return res;
}
