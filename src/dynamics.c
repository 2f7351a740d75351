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
 * Layers: .Call entry points (dynamics_*) check every SEXP and allocate the
 * results before any BLAS call or parallel region; the workers (flow_*, eig_*)
 * take pointers and sizes and know nothing of R but R_alloc and
 * R_CheckUserInterrupt, both called outside parallel regions only.
 *
 * Interrupts: every long computation is cut into pieces of at most
 * DYN_CHUNK_WORK multiply-adds (about 0.05-0.1 s of one core with R's
 * reference BLAS) with an interrupt check between them, so Ctrl-C returns
 * within a second: the eigendecomposition runs LAPACK's own algorithm one
 * panel / block of columns at a time, the assembly cuts one time's products
 * into blocks of rows or of the inner dimension. Pieces are cut by the sizes
 * of the problem only, never by the thread count, so results do not depend on
 * it (with R's reference BLAS the assembly's pieces give the same numbers as
 * uncut calls; the eigendecomposition agrees with dsyevr to rounding). */
#include "jntk.h"
#include "calls_dynamics.h"
#include "linalg.h"
#include <float.h>
#include <limits.h>
#include <string.h>

/* Multiply-adds between two interrupt checks (about 0.05 s at the ~1e9/s of
 * the reference BLAS; a loaded machine may take a few times longer). */
#define DYN_CHUNK_WORK 5e7
/* The eigendecomposition's panels: LAPACK's block size 32 as long as a panel
 * costs at most this (n up to ~1250), narrower panels beyond. */
#define DYN_CHUNK_EIGEN 1e8
/* Spectral filter values between two interrupt checks (each an expm1, or a
 * log1p and an expm1, and a division: ~20-50 ns). */
#define DYN_CHUNK_FILTERS 2e6
/* LAPACK's block size of dsytrd (ILAENV(1, 'DSYTRD')): also its crossover to
 * the unblocked dsytd2 for the last columns. */
#define DYN_SYTRD_NB 32

/* LAPACK's MRRR tridiagonal eigensolver, the one dsyevr uses; not declared in
 * R_ext/Lapack.h (it is part of every LAPACK that has dsyevr). */
extern void F77_NAME(dstemr)(const char *jobz, const char *range, const int *n, double *d,
                             double *e, const double *vl, const double *vu, const int *il,
                             const int *iu, int *m, double *w, double *z, const int *ldz,
                             const int *nzc, int *isuppz, int *tryrac, double *work,
                             const int *lwork, int *iwork, const int *liwork, int *info
                             FCLEN FCLEN);

/* Items per piece when one item costs `cost` multiply-adds and a piece may
 * cost `budget`: in [1, max(total, 1)]. */
static int chunk_items(double budget, double cost, int total) {
  double c = cost > 0 ? floor(budget / cost) : (double) total;
  if (c > total) c = total;
  if (c < 1) c = 1;
  return (int) c;
}

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

/* ------------------------------------------------------ mean and covariance */

/* One time's mean and covariance, cut into steps of bounded work:
 *   mean (m x k) = G (diag(h) P)            row blocks of one dgemm;
 *   cov  (m x m) = Sxx + R Q' + Q R',  Q = G diag(h),  R = Q M / 2 - C,
 * the prep step (Q, R and cov = Sxx), row blocks of the dsymm, blocks of the
 * inner dimension of the dsyr2k (each entry accumulates in the same order as
 * in one call), then the mirror of the upper triangle, so the covariance is
 * symmetric by construction. */
typedef struct {
  const double *G, *P, *H, *C, *M, *Sxx;
  double *mean, *cov;
  int m, n, k, want_cov;
  int rows_mean, rows_symm, cols_syr2k; /* sizes of the pieces */
  int n_mean, n_cov, n_symm, n_syr2k;   /* numbers of steps of each kind */
  int steps;                            /* steps per time */
  double work;                          /* multiply-adds per time */
  size_t per;                           /* scratch doubles per time in flight */
} flow_plan;

static void flow_plan_make(flow_plan *p) {
  int m = p->m, n = p->n, k = p->k;
  p->rows_mean = chunk_items(DYN_CHUNK_WORK, (double) n * k, m);
  p->n_mean = (m > 0 && k > 0) ? (m + p->rows_mean - 1) / p->rows_mean : 0;
  p->work = (double) m * n * k;
  p->n_cov = p->n_symm = p->n_syr2k = 0;
  p->rows_symm = p->cols_syr2k = 1;
  if (p->want_cov && m > 0) {
    if (n > 0) {
      p->rows_symm = chunk_items(DYN_CHUNK_WORK, (double) n * n, m);
      p->n_symm = (m + p->rows_symm - 1) / p->rows_symm;
      p->cols_syr2k = chunk_items(DYN_CHUNK_WORK, (double) m * m, n);
      p->n_syr2k = (n + p->cols_syr2k - 1) / p->cols_syr2k;
    }
    p->n_cov = 1 + p->n_symm + p->n_syr2k + 1;
    p->work += (double) m * n * (n + m + 2) + (double) m * m;
  }
  p->steps = p->n_mean + p->n_cov;
  p->per = (size_t) n * k + (p->want_cov ? 2 * (size_t) m * n : 0);
}

/* Step s of time j; w: p->per doubles kept between the steps of one time. */
static void flow_step(const flow_plan *p, int j, int s, double *w) {
  const int m = p->m, n = p->n, k = p->k;
  const double *h = p->H + (size_t) n * j;
  const double one = 1.0, zero = 0.0, half = 0.5, mone = -1.0;
  double *hp = w, *Q = w + (size_t) n * k, *R = Q + (size_t) m * n;
  if (s < p->n_mean) {
    double *out = p->mean + (size_t) m * k * j;
    int r0 = s * p->rows_mean, mr = m - r0 < p->rows_mean ? m - r0 : p->rows_mean;
    if (n == 0) {
      for (int c = 0; c < k; c++)
        for (int i = r0; i < r0 + mr; i++) out[i + (size_t) m * c] = 0;
      return;
    }
    if (s == 0)
      for (int c = 0; c < k; c++)
        for (int i = 0; i < n; i++) hp[i + (size_t) n * c] = h[i] * p->P[i + (size_t) n * c];
    F77_CALL(dgemm)("N", "N", &mr, &k, &n, &one, p->G + r0, &m, hp, &n, &zero, out + r0, &m
                    FCONE FCONE);
    return;
  }
  s -= p->n_mean;
  double *out = p->cov + (size_t) m * m * j;
  if (s == 0) {
    for (int c = 0; c < n; c++)
      for (int i = 0; i < m; i++) {
        size_t ic = i + (size_t) m * c;
        Q[ic] = p->G[ic] * h[c];
        R[ic] = p->C[ic];
      }
    memcpy(out, p->Sxx, sizeof(double) * (size_t) m * m);
    return;
  }
  s -= 1;
  if (s < p->n_symm) { /* rows r0.. of R := Q M / 2 - R */
    int r0 = s * p->rows_symm, mr = m - r0 < p->rows_symm ? m - r0 : p->rows_symm;
    F77_CALL(dsymm)("R", "U", &mr, &n, &half, p->M, &n, Q + r0, &m, &mone, R + r0, &m
                    FCONE FCONE);
    return;
  }
  s -= p->n_symm;
  if (s < p->n_syr2k) { /* cov += R Q' + Q R' over inner indices l0.. (upper) */
    int l0 = s * p->cols_syr2k, lc = n - l0 < p->cols_syr2k ? n - l0 : p->cols_syr2k;
    F77_CALL(dsyr2k)("U", "N", &m, &lc, &one, R + (size_t) m * l0, &m, Q + (size_t) m * l0, &m,
                     &one, out, &m FCONE FCONE);
    return;
  }
  jntk_mirror_upper(out, out, m, 1);
}

/* Every time of the plan on nt threads, with an interrupt check at most every
 * DYN_CHUNK_WORK multiply-adds per thread. Cheap times: blocks of whole times
 * (each thread its own scratch). Expensive times: nt times at once, one step
 * of each per parallel region (each time its own scratch). */
static void flow_run(const flow_plan *p, int T, int nt, double *scratch) {
  if (p->steps == 0) return;
  if (p->work <= DYN_CHUNK_WORK) {
    double per_thread = floor(DYN_CHUNK_WORK / (p->work > 1 ? p->work : 1));
    double b = per_thread * nt;
    int block = b < T ? (int) b : T;
    for (int j0 = 0; j0 < T; j0 += block) {
      int j1 = T - j0 > block ? j0 + block : T;
JNTK_OMP(parallel for num_threads(nt) schedule(static))
      for (int j = j0; j < j1; j++) {
        double *w = scratch + (size_t) jntk_thread_id() * p->per;
        for (int s = 0; s < p->steps; s++) flow_step(p, j, s, w);
      }
      R_CheckUserInterrupt();
    }
    return;
  }
  for (int j0 = 0; j0 < T; j0 += nt) {
    int j1 = T - j0 > nt ? j0 + nt : T;
    for (int s = 0; s < p->steps; s++) {
JNTK_OMP(parallel for num_threads(nt) schedule(static))
      for (int j = j0; j < j1; j++) flow_step(p, j, s, scratch + (size_t) (j - j0) * p->per);
      R_CheckUserInterrupt();
    }
  }
}

/* ---------------------------------------------------- symmetric eigensolver */

/* All eigenpairs of a symmetric matrix (lower triangle of a, n x n,
 * destroyed) by the path LAPACK's dsyevr takes for them: scale into range,
 * tridiagonalise (dsytrd), then dstemr (with eigenvectors) or dsterf (without)
 * and the back-transformation dormtr. dsytrd's panel loop is written out
 * (dlatrd on nb columns, dsyr2k on the trailing matrix, dsytd2 for the last
 * ones) and dormtr is applied to blocks of eigenvector columns, with an
 * interrupt check after each piece. w: n values (ascending), z: n x n vectors
 * or NULL. Returns 0, or the failing routine's info (the caller then falls
 * back to dsyevr). */
static int eig_pieces(int n, double *a, double *w, double *z) {
  const double one = 1.0, mone = -1.0;
  int info = 0;
  /* dsyevr's scaling: the largest |entry| into [rmin, rmax] */
  double dummy = 0, smlnum = DBL_MIN / DBL_EPSILON;
  double rmin = sqrt(smlnum), rmax = fmin(sqrt(1 / smlnum), 1 / sqrt(sqrt(DBL_MIN)));
  double anrm = F77_CALL(dlansy)("M", "L", &n, a, &n, &dummy FCONE FCONE), sigma = 1;
  if (anrm > 0 && anrm < rmin) sigma = rmin / anrm;
  else if (anrm > rmax) sigma = rmax / anrm;
  if (sigma != 1)
    for (int j = 0; j < n; j++)
      for (int i = j; i < n; i++) a[i + (size_t) n * j] *= sigma;

  double *d = (double *) R_alloc((size_t) n, sizeof(double));
  double *e = (double *) R_alloc((size_t) n, sizeof(double)); /* dstemr: n */
  double *tau = (double *) R_alloc((size_t) n, sizeof(double));
  double *pw = (double *) R_alloc((size_t) n * DYN_SYTRD_NB, sizeof(double));
  int nx = n > DYN_SYTRD_NB ? DYN_SYTRD_NB : n, i = 0;
  while (i < n - nx) {
    int r = n - i;
    int nb = chunk_items(DYN_CHUNK_EIGEN, 2.0 * r * r, DYN_SYTRD_NB), rest = r - nb;
    double *aii = a + i + (size_t) n * i;
    F77_CALL(dlatrd)("L", &r, &nb, aii, &n, e + i, tau + i, pw, &n FCONE);
    F77_CALL(dsyr2k)("L", "N", &rest, &nb, &mone, aii + nb, &n, pw + nb, &n, &one,
                     aii + nb + (size_t) n * nb, &n FCONE FCONE);
    for (int j = i; j < i + nb; j++) {
      a[j + 1 + (size_t) n * j] = e[j];
      d[j] = a[j + (size_t) n * j];
    }
    i += nb;
    R_CheckUserInterrupt();
  }
  int r = n - i;
  F77_CALL(dsytd2)("L", &r, a + i + (size_t) n * i, &n, d + i, e + i, tau + i, &info FCONE);
  if (info != 0) return info;

  if (!z) {
    F77_CALL(dsterf)(&n, d, e, &info);
    if (info != 0) return info;
    memcpy(w, d, sizeof(double) * (size_t) n);
  } else {
    int m = 0, il = 1, iu = n, tryrac = 1, lwork = 18 * n, liwork = 10 * n;
    double vl = 0, vu = 0;
    double *work = (double *) R_alloc((size_t) lwork, sizeof(double));
    int *iwork = (int *) R_alloc((size_t) liwork, sizeof(int));
    int *isuppz = (int *) R_alloc(2 * (size_t) n, sizeof(int));
    F77_CALL(dstemr)("V", "A", &n, d, e, &vl, &vu, &il, &iu, &m, w, z, &n, &n, isuppz, &tryrac,
                     work, &lwork, iwork, &liwork, &info FCONE FCONE);
    if (info != 0 || m != n) return info != 0 ? info : -1;
    R_CheckUserInterrupt();
    int nc = chunk_items(DYN_CHUNK_WORK, (double) n * n, n), lq = -1;
    double wq = 0;
    F77_CALL(dormtr)("L", "L", "N", &n, &nc, a, &n, tau, z, &n, &wq, &lq, &info
                     FCONE FCONE FCONE);
    if (info != 0) return info;
    lq = (int) wq;
    double *wk = (double *) R_alloc((size_t) (lq > 1 ? lq : 1), sizeof(double));
    for (int j0 = 0; j0 < n; j0 += nc) {
      int c = n - j0 < nc ? n - j0 : nc;
      F77_CALL(dormtr)("L", "L", "N", &n, &c, a, &n, tau, z + (size_t) n * j0, &n, wk, &lq,
                       &info FCONE FCONE FCONE);
      if (info != 0) return info;
      R_CheckUserInterrupt();
    }
  }
  if (sigma != 1)
    for (int k = 0; k < n; k++) w[k] *= 1 / sigma;
  return 0;
}

/* The same by one dsyevr call (not interruptible): only when eig_pieces
 * failed, which dsyevr handles by its bisection and inverse iteration. */
static void eig_dsyevr(int n, double *a, double *w, double *z) {
  const char *jobz = z ? "V" : "N";
  int *isuppz = (int *) R_alloc(2 * (size_t) n, sizeof(int));
  int m = 0, info = 0, lwork = -1, liwork = -1, iwkopt = 0, il = 1, iu = n;
  double vl = 0, vu = 0, abstol = 0, wkopt = 0, zdummy = 0;
  int ldz = z ? n : 1;
  if (!z) z = &zdummy;
  F77_CALL(dsyevr)(jobz, "A", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &ldz,
                   isuppz, &wkopt, &lwork, &iwkopt, &liwork, &info FCONE FCONE FCONE);
  if (info != 0) Rf_error("LAPACK dsyevr workspace query failed (info = %d)", info);
  lwork = (int) wkopt;
  liwork = iwkopt;
  double *work = (double *) R_alloc((size_t) lwork, sizeof(double));
  int *iwork = (int *) R_alloc((size_t) liwork, sizeof(int));
  F77_CALL(dsyevr)(jobz, "A", "L", &n, a, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &ldz,
                   isuppz, work, &lwork, iwork, &liwork, &info FCONE FCONE FCONE);
  if (info < 0)
    Rf_error("LAPACK dsyevr: argument %d had an illegal value (a bug in jntk; please report it)", -info);
  if (info > 0)
    Rf_error("LAPACK dsyevr failed to converge (info = %d): the kernel matrix is too badly scaled; "
             "check the inputs for extreme values or add a `ridge`", info);
  if (m != n) Rf_error("LAPACK dsyevr returned %d of %d eigenvalues", m, n);
}

/* ------------------------------------------------------------ entry points */

/* Symmetric eigendecomposition S = V diag(values) V' (all eigenpairs,
 * ascending order; only the lower triangle of S is read). vectors: 1 = also
 * the eigenvectors, 0 = values only. Interruptible (see eig_pieces). */
SEXP dynamics_eigen(SEXP S, SEXP vectors) {
  int n, nc;
  const double *s = jntk_real_matrix(S, "S", &n, &nc);
  if (n != nc) Rf_error("'S' must be a square matrix");
  int want = jntk_int_scalar(vectors, "vectors");
  if (want != 0 && want != 1) Rf_error("'vectors' must be 0 or 1");
  SEXP res = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, 2));
  SET_STRING_ELT(nms, 0, Rf_mkChar("values"));
  SET_STRING_ELT(nms, 1, Rf_mkChar("vectors"));
  Rf_setAttrib(res, R_NamesSymbol, nms);
  SEXP val = PROTECT(Rf_allocVector(REALSXP, n));
  SET_VECTOR_ELT(res, 0, val);
  double *z = NULL;
  if (want) {
    SEXP vec = PROTECT(Rf_allocMatrix(REALSXP, n, n));
    SET_VECTOR_ELT(res, 1, vec);
    z = REAL(vec);
    UNPROTECT(1);
  }
  if (n > 0) {
    /* LAPACK overwrites its input: work on a copy (twice if it must retry). */
    size_t nn = (size_t) n * n;
    double *a = (double *) R_alloc(nn, sizeof(double));
    memcpy(a, s, sizeof(double) * nn);
    if (eig_pieces(n, a, REAL(val), z) != 0) {
      memcpy(a, s, sizeof(double) * nn);
      eig_dsyevr(n, a, REAL(val), z);
    }
  }
  UNPROTECT(3);
  return res;
}

/* Spectral filters h(t) for every time: an n x T matrix. lr = 0: gradient
 * flow; lr > 0: gradient descent with that learning rate (t = lr x steps).
 * Blocks of times between interrupt checks. */
SEXP dynamics_filters(SEXP D, SEXP t, SEXP N, SEXP lr, SEXP threads) {
  if (!Rf_isReal(D)) Rf_error("'D' must be a double vector");
  if (!Rf_isReal(t)) Rf_error("'t' must be a double vector");
  if (XLENGTH(D) > INT_MAX || XLENGTH(t) > INT_MAX) Rf_error("'D' and 't' must be shorter than 2^31");
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
  double b = (double) chunk_items(DYN_CHUNK_FILTERS, n, INT_MAX) * nt;
  int block = b < T ? (int) b : (T > 0 ? T : 1);
  for (int j0 = 0; j0 < T; j0 += block) {
    int j1 = T - j0 > block ? j0 + block : T, ok = 1;
JNTK_OMP(parallel for num_threads(nt) reduction(&& : ok))
    for (int j = j0; j < j1; j++) ok = flow_filter(d, n, tt[j], nn, eta, h + (size_t) n * j) && ok;
    if (!ok) Rf_error("t = Inf needs every eigenvalue to be positive");
    R_CheckUserInterrupt();
  }
  UNPROTECT(1);
  return res;
}

/* Mean (m x k x T) and, when C is not NULL, covariance (m x m x T) of f_t for
 * every column of the filter matrix H (n x T). Nothing but the diagonal filter
 * is recomputed per time. Every argument is checked here, before any BLAS
 * call or parallel region (an illegal leading dimension would make BLAS raise
 * an R error on a worker thread). */
SEXP dynamics_assemble(SEXP G, SEXP P, SEXP H, SEXP C, SEXP M, SEXP Sxx, SEXP threads) {
  flow_plan p;
  int n2, T;
  p.G = jntk_real_matrix(G, "G", &p.m, &p.n);
  p.P = jntk_real_matrix(P, "P", &n2, &p.k);
  if (n2 != p.n) Rf_error("'P' must have as many rows as 'G' has columns");
  p.H = jntk_real_matrix(H, "H", &n2, &T);
  if (n2 != p.n) Rf_error("'H' must have as many rows as 'G' has columns");
  p.cov = NULL;
  p.C = p.M = p.Sxx = NULL;
  int want_cov = p.want_cov = !Rf_isNull(C);
  if (want_cov) {
    int r1, c1;
    p.C = jntk_real_matrix(C, "C", &r1, &c1);
    if (r1 != p.m || c1 != p.n) Rf_error("'C' must have the dimensions of 'G'");
    p.M = jntk_real_matrix(M, "M", &r1, &c1);
    if (r1 != p.n || c1 != p.n) Rf_error("'M' must be n x n with n = ncol(G)");
    p.Sxx = jntk_real_matrix(Sxx, "Sxx", &r1, &c1);
    if (r1 != p.m || c1 != p.m) Rf_error("'Sxx' must be m x m with m = nrow(G)");
  } else if (!Rf_isNull(M) || !Rf_isNull(Sxx)) {
    Rf_error("'M' and 'Sxx' must be NULL when 'C' is NULL");
  }
  int nt = jntk_threads(jntk_int_scalar(threads, "threads"), T, JNTK_GRAIN_ONE);

  SEXP res = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, 2));
  SET_STRING_ELT(nms, 0, Rf_mkChar("mean"));
  SET_STRING_ELT(nms, 1, Rf_mkChar("cov"));
  Rf_setAttrib(res, R_NamesSymbol, nms);
  SEXP mean = PROTECT(Rf_alloc3DArray(REALSXP, p.m, p.k, T));
  SET_VECTOR_ELT(res, 0, mean);
  p.mean = REAL(mean);
  if (want_cov) {
    SEXP cov = PROTECT(Rf_alloc3DArray(REALSXP, p.m, p.m, T));
    SET_VECTOR_ELT(res, 1, cov);
    p.cov = REAL(cov);
    UNPROTECT(1);
  }
  flow_plan_make(&p);
  /* Scratch for the nt times (or threads) in flight, allocated before any
   * parallel region. */
  double *scratch = (double *) R_alloc((size_t) nt * (p.per > 0 ? p.per : 1), sizeof(double));
  flow_run(&p, T, nt, scratch);
  UNPROTECT(3);
  return res;
}
