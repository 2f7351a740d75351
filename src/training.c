/* Full-batch gradient descent for a finite MLP with a Jacobian-norm
 * regulariser (Kim & Yang 2024, "robust training"; math.md section 5):
 *
 *   L(theta) = 1/(2N) sum_a [ (f(x_a) - y_a)^2 + lambda |grad_x f(x_a)|^2 ].
 *
 * The gradient of the lambda term is exact, by hand-written double backprop,
 * and batched over the N inputs so that every step is a handful of dgemm
 * calls per layer (no loop over inputs, no loop over input dimensions).
 *
 * Notation (0-based layers k = 0..L, L = depth = number of hidden layers;
 * widths n_0 = d, n_1..n_L, n_{L+1} = 1; c_k = sigma_w / sqrt(n_k)):
 *
 *   Z_k  = c_k W_k A_{k-1} + sigma_b b_k 1^T        (n_{k+1} x N; A_{-1} = X^T)
 *   A_k  = phi(Z_k), D1_k = phi'(Z_k), D2_k = phi''(Z_k)     (k < L)
 *   f    = kappa Z_L                                          (1 x N)
 *
 * Reverse mode for the input Jacobian (one backward pass for all d inputs):
 *   delta_L = kappa 1^T,  G_k = c_{k+1} W_{k+1}^T delta_{k+1},
 *   delta_k = D1_k (.) G_k,                 J = c_0 W_0^T delta_0  (d x N);
 * delta_k[:, a] = df(x_a)/dZ_k[:, a], so column a of J is grad_x f(x_a).
 *
 * Gradient of the data term, with e_a = (f_a - y_a)/N: the usual backprop,
 * whose backward vectors are delta_k (.) e (column scaling):
 *   P_k = delta_k diag(e),  dW_k = c_k P_k A_{k-1}^T,  db_k = sigma_b P_k 1.
 *
 * Gradient of R = lambda/(2N) sum_a |J_a|^2 (double backprop). With
 * V = dR/dJ = (lambda/N) J held fixed, dR/dtheta = d/dtheta S with
 * S = sum_a V_a . J_a = sum_a (directional derivative of f at x_a along V_a).
 * That directional derivative is one forward tangent sweep:
 *   Hd_0 = c_0 W_0 V,  Ad_k = D1_k (.) Hd_k,  Hd_{k+1} = c_{k+1} W_{k+1} Ad_k,
 *   S = kappa 1^T Hd_L 1.
 * Now reverse through (primal, tangent) together. The adjoint of Hd_k is
 * delta_k again (the tangent sweep is the same linear map as the Jacobian's
 * backward pass, transposed). Ad_k = D1_k (.) Hd_k depends on Z_k through
 * D1_k = phi'(Z_k), so the adjoint of Z_k picks up D2_k (.) Hd_k (.) G_k
 * (the adjoint of Ad_k is G_k); this is the only place phi'' enters.
 * Adding the data term (adjoint kappa e^T at the output) the total adjoint of
 * Z_k obeys the backward recursion
 *   P_L = kappa e^T,
 *   P_k = D1_k (.) (c_{k+1} W_{k+1}^T P_{k+1}) + D2_k (.) Hd_k (.) G_k,
 * and the parameter gradient is (W_k enters the primal with input A_{k-1}
 * and the tangent with input Ad_{k-1}, Ad_{-1} = V; biases only the primal)
 *   dW_k = c_k (P_k A_{k-1}^T + delta_k Ad_{k-1}^T)
 *        = c_k [P_k delta_k] [A_{k-1} Ad_{k-1}]^T      (one dgemm, inner 2N),
 *   db_k = sigma_b P_k 1.
 *
 * Cost per layer of width n (inner layers, N inputs): forward n^2 N, delta
 * backward n^2 N, tangent n^2 N, P backward n^2 N, weight gradient 2 n^2 N
 * multiply-adds: 6 n^2 N against 3 n^2 N for lambda = 0 (forward, delta
 * backward, weight gradient; P_k = delta_k diag(e) costs no product). The
 * input dimension d only enters the first layer (Z_0, J, Hd_0, dW_0).
 * Kinked activations (relu, leaky_relu, abs) have phi'' = 0 almost everywhere,
 * which is what automatic differentiation uses too.
 *
 * Parameters travel as one flat vector theta: for k = 0..L, vec(W_k)
 * (column-major n_{k+1} x n_k) followed by b_k. */
#include "jntk.h"
#include "calls_training.h"

typedef struct {
  int L;          /* hidden layers */
  const int *n;   /* widths n[0..L+1] */
  int N;          /* inputs */
  int act;
  double slope, sw, sb, kappa, lambda;
  int nt;         /* threads */
  ptrdiff_t *woff, *boff; /* offsets of W_k and b_k in theta */
  ptrdiff_t npar;
} tr_net;

typedef struct {
  double **AA;    /* per hidden layer: n x 2N, [A | Ad] */
  double **PD;    /* per layer k = 0..L: n_{k+1} x 2N, [P | delta] */
  double **D1, **D2, **G, **Hd; /* per hidden layer: n x N */
  double *XV;     /* 2N x d: [X ; V^T] (rows: inputs) */
  double *Jt;     /* N x d: J^T */
  double *f;      /* N */
  double *e;      /* N: scaled residuals (f - y)/N */
  double *r2, *j2; /* N: (f_a - y_a)^2 and |J_a|^2, summed serially later */
} tr_work;

/* ---- dgemm over row panels: the reference BLAS streams the whole of op(A)
 * once per column of C, so when op(A) is larger than the cache (widths above
 * ~1000) C is computed in panels of rows whose slice of op(A) (about 4 MB)
 * stays in cache: ~30% faster at width 2048 with the reference BLAS. Each
 * entry of C is still computed by one dgemm over the full inner dimension,
 * exactly as without panels. */
#define TR_PANEL_BYTES (4.0 * 1024 * 1024)

static void tr_gemm_panels(char ta, char tb, int m, int n, int k, double alpha,
                           const double *A, int lda, const double *B, int ldb,
                           double beta, double *C, int ldc) {
  int mb = m;
  if ((double) m * k * sizeof(double) > 2 * TR_PANEL_BYTES) {
    mb = (int) (TR_PANEL_BYTES / ((double) k * sizeof(double)));
    if (mb < 64) mb = 64;
  }
  for (int lo = 0; lo < m; lo += mb) {
    int cnt = m - lo < mb ? m - lo : mb;
    const double *Ap = (ta == 'N') ? A + lo : A + (ptrdiff_t) lo * lda;
    F77_CALL(dgemm)(&ta, &tb, &cnt, &n, &k, &alpha, Ap, &lda, B, &ldb, &beta, C + lo,
                    &ldc FCONE FCONE);
  }
}

/* ---- threads. A step is one parallel region (few barriers, which matters on
 * a busy machine): phase 1 (forward, Jacobian backward, tangent and adjoint
 * sweeps) splits the batch into column blocks, one per thread, since every
 * column (input) is independent there; phase 2 (parameter gradient) splits the
 * outputs of each gradient product. No inner sum is ever split, so every
 * number is computed by the same operations whatever the thread count (with
 * the reference BLAS the results are bitwise identical). */
static void tr_part(int len, int tid, int nt, int *lo, int *hi) {
  *lo = (int) ((long long) len * tid / nt);
  *hi = (int) ((long long) len * (tid + 1) / nt);
}

/* Thread tid's share of C = alpha op(A) op(B) (m x n, inner k): split the
 * longer side of C; small products are done by thread 0 alone. */
static void tr_gemm_part(char ta, char tb, int m, int n, int k, double alpha,
                         const double *A, int lda, const double *B, int ldb,
                         double *C, int ldc, int tid, int nt) {
  if (nt < 2 || (double) m * n * k < 1e5) {
    if (tid == 0) tr_gemm_panels(ta, tb, m, n, k, alpha, A, lda, B, ldb, 0.0, C, ldc);
    return;
  }
  int lo, hi;
  if (n >= m) {
    tr_part(n, tid, nt, &lo, &hi);
    if (hi <= lo) return;
    const double *Bp = (tb == 'N') ? B + (ptrdiff_t) lo * ldb : B + lo;
    tr_gemm_panels(ta, tb, m, hi - lo, k, alpha, A, lda, Bp, ldb, 0.0,
                   C + (ptrdiff_t) lo * ldc, ldc);
  } else {
    tr_part(m, tid, nt, &lo, &hi);
    if (hi <= lo) return;
    const double *Ap = (ta == 'N') ? A + lo : A + (ptrdiff_t) lo * lda;
    tr_gemm_panels(ta, tb, hi - lo, n, k, alpha, Ap, lda, B, ldb, 0.0, C + lo, ldc);
  }
}

static void tr_setup(tr_net *net) {
  int L = net->L;
  net->woff = (ptrdiff_t *) R_alloc(L + 1, sizeof(ptrdiff_t));
  net->boff = (ptrdiff_t *) R_alloc(L + 1, sizeof(ptrdiff_t));
  ptrdiff_t o = 0;
  for (int k = 0; k <= L; k++) {
    net->woff[k] = o;
    o += (ptrdiff_t) net->n[k + 1] * net->n[k];
    net->boff[k] = o;
    o += net->n[k + 1];
  }
  net->npar = o;
}

static double *tr_alloc(ptrdiff_t len) {
  return (double *) R_alloc(len > 0 ? len : 1, sizeof(double));
}

static void tr_work_alloc(const tr_net *net, tr_work *w, int want_grad) {
  int L = net->L, N = net->N, d = net->n[0];
  w->AA = (double **) R_alloc(L + 1, sizeof(double *));
  w->PD = (double **) R_alloc(L + 1, sizeof(double *));
  w->D1 = (double **) R_alloc(L + 1, sizeof(double *));
  w->D2 = (double **) R_alloc(L + 1, sizeof(double *));
  w->G = (double **) R_alloc(L + 1, sizeof(double *));
  w->Hd = (double **) R_alloc(L + 1, sizeof(double *));
  int tangent = want_grad && net->lambda > 0;
  for (int k = 0; k <= L; k++) {
    ptrdiff_t nn = (ptrdiff_t) net->n[k + 1] * N;
    w->PD[k] = tr_alloc(2 * nn);
    if (k == L) continue;
    w->AA[k] = tr_alloc(tangent ? 2 * nn : nn);
    w->D1[k] = tr_alloc(nn);
    w->G[k] = tr_alloc(nn);
    w->D2[k] = tangent ? tr_alloc(nn) : NULL;
    w->Hd[k] = tangent ? tr_alloc(nn) : NULL;
  }
  w->XV = tr_alloc(2 * (ptrdiff_t) N * d);
  w->Jt = tr_alloc((ptrdiff_t) N * d);
  w->f = tr_alloc(N);
  w->e = tr_alloc(N);
  w->r2 = tr_alloc(N);
  w->j2 = tr_alloc(N);
}

/* Copy the N x d input matrix into the top half of XV (leading dim 2N). */
static void tr_set_inputs(const tr_net *net, tr_work *w, const double *X) {
  int N = net->N, d = net->n[0];
  for (int i = 0; i < d; i++)
    for (int a = 0; a < N; a++) w->XV[(ptrdiff_t) i * 2 * N + a] = X[(ptrdiff_t) i * N + a];
}

/* Phase 1 for the inputs (columns) lo..hi-1. want: 0 = outputs f only,
 * 1 = also the Jacobian (w->Jt) and the per-input loss pieces r2, j2,
 * 2 = also the adjoints P_k (and delta_k, Ad_k) that phase 2 turns into the
 * gradient. Touches only columns lo..hi-1 of every buffer. */
static void tr_phase1(const tr_net *net, const double *theta, const double *y,
                      int want, tr_work *w, int lo, int hi) {
  const int L = net->L, N = net->N, d = net->n[0];
  const int *n = net->n;
  const double sb = net->sb, kappa = net->kappa, lambda = net->lambda;
  const int tangent = want >= 2 && lambda > 0;
  const int N2 = 2 * N, cols = hi - lo;
  if (cols <= 0) return;

  /* ---- forward: Z_k into G_k (scratch), then A_k, D1_k, D2_k */
  for (int k = 0; k <= L; k++) {
    const double *W = theta + net->woff[k], *b = theta + net->boff[k];
    int m = n[k + 1], kk = n[k];
    double c = net->sw / sqrt((double) kk);
    if (k < L) {
      double *Z = w->G[k] + (ptrdiff_t) lo * m;
      if (k == 0) {
        tr_gemm_panels('N', 'T', m, cols, kk, c, W, m, w->XV + lo, N2, 0.0, Z, m);
      } else {
        tr_gemm_panels('N', 'N', m, cols, kk, c, W, m, w->AA[k - 1] + (ptrdiff_t) lo * kk, kk,
                       0.0, Z, m);
      }
      double *A = w->AA[k] + (ptrdiff_t) lo * m, *D1 = w->D1[k] + (ptrdiff_t) lo * m;
      double *D2 = tangent ? w->D2[k] + (ptrdiff_t) lo * m : NULL;
      for (int a = 0; a < cols; a++) {
        ptrdiff_t o = (ptrdiff_t) a * m;
        for (int i = 0; i < m; i++) Z[o + i] += sb * b[i];
        act_apply(net->act, net->slope, Z + o, m, A + o, D1 + o, D2 ? D2 + o : NULL);
      }
    } else {
      double *f = w->f + lo;
      if (k == 0) {
        tr_gemm_panels('N', 'T', 1, cols, kk, c, W, 1, w->XV + lo, N2, 0.0, f, 1);
      } else {
        tr_gemm_panels('N', 'N', 1, cols, kk, c, W, 1, w->AA[k - 1] + (ptrdiff_t) lo * kk, kk,
                       0.0, f, 1);
      }
      for (int a = 0; a < cols; a++) f[a] = kappa * (f[a] + sb * b[0]);
    }
  }
  if (want == 0) return;

  /* ---- backward for the Jacobian: delta_L = kappa, G_k, delta_k */
  for (int a = lo; a < hi; a++) w->PD[L][N + a] = kappa;
  for (int k = L - 1; k >= 0; k--) {
    int m = n[k + 1], mo = n[k + 2];
    double c = net->sw / sqrt((double) m);
    const double *W = theta + net->woff[k + 1];
    const double *dn = w->PD[k + 1] + (ptrdiff_t) (N + lo) * mo;
    double *G = w->G[k] + (ptrdiff_t) lo * m, *D1 = w->D1[k] + (ptrdiff_t) lo * m;
    double *dk = w->PD[k] + (ptrdiff_t) (N + lo) * m;
    tr_gemm_panels('T', 'N', m, cols, mo, c, W, mo, dn, mo, 0.0, G, m);
    ptrdiff_t len = (ptrdiff_t) m * cols;
    for (ptrdiff_t i = 0; i < len; i++) dk[i] = D1[i] * G[i];
  }
  {
    int m = n[1];
    double c = net->sw / sqrt((double) d);
    const double *d0 = w->PD[0] + (ptrdiff_t) (N + lo) * m;
    tr_gemm_panels('T', 'N', cols, d, m, c, d0, m, theta + net->woff[0], m, 0.0, w->Jt + lo, N);
  }
  /* per-input loss pieces; summed over inputs serially in tr_sum_loss() */
  for (int a = lo; a < hi; a++) {
    double r = w->f[a] - y[a], sj = 0.0;
    w->r2[a] = r * r;
    for (int i = 0; i < d; i++) sj += w->Jt[(ptrdiff_t) i * N + a] * w->Jt[(ptrdiff_t) i * N + a];
    w->j2[a] = sj;
  }
  if (want < 2) return;

  /* ---- data-term adjoint at the output: P_L = kappa e, e = (f - y)/N */
  for (int a = lo; a < hi; a++) {
    w->e[a] = (w->f[a] - y[a]) / N;
    w->PD[L][a] = kappa * w->e[a];
  }
  if (!tangent) {
    /* lambda = 0: P_k = delta_k diag(e), no further products */
    for (int k = 0; k < L; k++) {
      int m = n[k + 1];
      double *P = w->PD[k], *dk = w->PD[k] + (ptrdiff_t) m * N;
      for (int a = lo; a < hi; a++)
        for (int i = 0; i < m; i++)
          P[(ptrdiff_t) a * m + i] = dk[(ptrdiff_t) a * m + i] * w->e[a];
    }
    return;
  }
  /* V = (lambda/N) J into the bottom half of XV */
  for (int i = 0; i < d; i++)
    for (int a = lo; a < hi; a++)
      w->XV[(ptrdiff_t) i * N2 + N + a] = lambda / N * w->Jt[(ptrdiff_t) i * N + a];
  /* tangent sweep: Hd_k, Ad_k (Ad_k in the second half of AA_k) */
  for (int k = 0; k < L; k++) {
    int m = n[k + 1], kk = n[k];
    double c = net->sw / sqrt((double) kk);
    const double *W = theta + net->woff[k];
    double *Hd = w->Hd[k] + (ptrdiff_t) lo * m;
    if (k == 0) {
      tr_gemm_panels('N', 'T', m, cols, kk, c, W, m, w->XV + N + lo, N2, 0.0, Hd, m);
    } else {
      tr_gemm_panels('N', 'N', m, cols, kk, c, W, m, w->AA[k - 1] + (ptrdiff_t) (N + lo) * kk,
                     kk, 0.0, Hd, m);
    }
    double *Ad = w->AA[k] + (ptrdiff_t) (N + lo) * m, *D1 = w->D1[k] + (ptrdiff_t) lo * m;
    ptrdiff_t len = (ptrdiff_t) m * cols;
    for (ptrdiff_t i = 0; i < len; i++) Ad[i] = D1[i] * Hd[i];
  }
  /* total adjoint P_k = D1 (.) (c W^T P_{k+1}) + D2 (.) Hd (.) G */
  for (int k = L - 1; k >= 0; k--) {
    int m = n[k + 1], mo = n[k + 2];
    double c = net->sw / sqrt((double) m);
    const double *W = theta + net->woff[k + 1];
    double *P = w->PD[k] + (ptrdiff_t) lo * m;
    tr_gemm_panels('T', 'N', m, cols, mo, c, W, mo, w->PD[k + 1] + (ptrdiff_t) lo * mo, mo,
                   0.0, P, m);
    ptrdiff_t o = (ptrdiff_t) lo * m, len = (ptrdiff_t) m * cols;
    const double *D1 = w->D1[k] + o, *D2 = w->D2[k] + o, *Hd = w->Hd[k] + o, *G = w->G[k] + o;
    for (ptrdiff_t i = 0; i < len; i++) P[i] = D1[i] * P[i] + D2[i] * Hd[i] * G[i];
  }
}

/* Phase 2, thread tid's share: the parameter gradient from the adjoints
 *   dW_k = c_k [P_k delta_k] [A_{k-1} Ad_{k-1}]^T   (inner 2N; N if lambda = 0),
 *   db_k = sigma_b P_k 1   (rows split over threads, each summed in order). */
static void tr_phase2(const tr_net *net, tr_work *w, double *grad, int tid, int nt) {
  const int L = net->L, N = net->N, N2 = 2 * N;
  const int *n = net->n;
  const int tangent = net->lambda > 0;
  const int inner = tangent ? N2 : N;
  for (int k = 0; k <= L; k++) {
    int m = n[k + 1], kk = n[k];
    double c = net->sw / sqrt((double) kk);
    double *gW = grad + net->woff[k], *gb = grad + net->boff[k];
    const double *PDk = w->PD[k];
    /* [P | delta] is m x 2N; for k = 0 the right factor is [X ; V^T]
     * (2N x d), otherwise [A | Ad]^T with [A | Ad] kk x 2N */
    if (k == 0) {
      tr_gemm_part('N', 'N', m, kk, inner, c, PDk, m, w->XV, N2, gW, m, tid, nt);
    } else {
      tr_gemm_part('N', 'T', m, kk, inner, c, PDk, m, w->AA[k - 1], kk, gW, m, tid, nt);
    }
    int lo, hi;
    tr_part(m, tid, nt, &lo, &hi);
    for (int i = lo; i < hi; i++) {
      double s = 0.0;
      for (int a = 0; a < N; a++) s += PDk[(ptrdiff_t) a * m + i];
      gb[i] = net->sb * s;
    }
  }
}

/* Loss terms from the per-input pieces, summed in input order:
 * fit_loss = sum (f - y)^2 / (2N); jac2 = sum |J_a|^2 / N (the penalty term
 * of the loss is lambda/2 * jac2). */
static void tr_sum_loss(const tr_net *net, const tr_work *w, double *fit_loss, double *jac2) {
  double sf = 0.0, sj = 0.0;
  for (int a = 0; a < net->N; a++) {
    sf += w->r2[a];
    sj += w->j2[a];
  }
  *fit_loss = sf / (2.0 * net->N);
  *jac2 = sj / net->N;
}

/* Outputs (want 0), plus Jacobian and loss (want 1), plus gradient (want 2)
 * at theta, on nt threads in one parallel region. */
static void tr_evaluate(const tr_net *net, const double *theta, const double *y, int want,
                        tr_work *w, double *grad, double *fit_loss, double *jac2) {
  int nt = jntk_threads(net->nt, net->N, JNTK_GRAIN_ONE);
JNTK_OMP(parallel num_threads(nt))
  {
    int tid = jntk_thread_id();
    int lo, hi;
    tr_part(net->N, tid, nt, &lo, &hi);
    tr_phase1(net, theta, y, want, w, lo, hi);
    if (want >= 2) {
JNTK_OMP(barrier)
      tr_phase2(net, w, grad, tid, nt);
    }
  }
  if (want >= 1) tr_sum_loss(net, w, fit_loss, jac2);
}

/* ---- .Call entry points ------------------------------------------------- */

/* Shared argument checking: fills net, returns theta and X pointers. */
static void tr_args(SEXP theta, SEXP widths, SEXP x, SEXP act, SEXP slope,
                    SEXP sigma_w, SEXP sigma_b, SEXP kappa, SEXP lambda,
                    SEXP threads, tr_net *net, const double **X) {
  if (!Rf_isInteger(widths) || XLENGTH(widths) < 2)
    Rf_error("'widths' must be an integer vector d, n_1, ..., n_L, 1");
  int nw = LENGTH(widths);
  const int *n = INTEGER(widths);
  for (int k = 0; k < nw; k++)
    if (n[k] == NA_INTEGER || n[k] < 1) Rf_error("'widths' must be positive");
  if (n[nw - 1] != 1) Rf_error("'widths' must end with 1 (scalar output)");
  net->L = nw - 2;
  net->n = n;
  int N, d;
  *X = jntk_real_matrix(x, "x", &N, &d);
  if (d != n[0]) Rf_error("'x' has %d columns but widths[1] is %d", d, n[0]);
  if (N < 1) Rf_error("'x' has no rows");
  net->N = N;
  net->act = jntk_int_scalar(act, "act");
  if (net->act < 0 || net->act >= ACT_COUNT) Rf_error("unknown activation code %d", net->act);
  net->slope = jntk_real_scalar(slope, "slope");
  net->sw = jntk_real_scalar(sigma_w, "sigma_w");
  net->sb = jntk_real_scalar(sigma_b, "sigma_b");
  net->kappa = jntk_real_scalar(kappa, "kappa");
  net->lambda = jntk_real_scalar(lambda, "lambda");
  if (net->lambda < 0) Rf_error("'lambda' must be >= 0");
  net->nt = jntk_int_scalar(threads, "threads");
  if (net->nt < 1) Rf_error("'threads' must be >= 1");
  tr_setup(net);
  if (!Rf_isReal(theta) || XLENGTH(theta) != net->npar)
    Rf_error("'theta' must be a double vector of length %lld", (long long) net->npar);
  const double *th = REAL(theta);
  for (ptrdiff_t p = 0; p < net->npar; p++)
    if (!R_FINITE(th[p])) Rf_error("'theta' has a non-finite value");
}

static const double *tr_targets(SEXP y, int N) {
  if (!Rf_isReal(y) || XLENGTH(y) != N) Rf_error("'y' must be a double vector of length %d", N);
  const double *yy = REAL(y);
  for (int a = 0; a < N; a++)
    if (!R_FINITE(yy[a])) Rf_error("'y' has a non-finite value");
  return yy;
}

/* Outputs, input Jacobian (N x d), loss terms and optionally the gradient at
 * theta: list(f, jacobian, fit_loss, jac2, gradient). */
SEXP training_loss_grad(SEXP theta, SEXP widths, SEXP x, SEXP y, SEXP act,
                        SEXP slope, SEXP sigma_w, SEXP sigma_b, SEXP kappa,
                        SEXP lambda, SEXP want_grad, SEXP threads) {
  tr_net net;
  const double *X;
  tr_args(theta, widths, x, act, slope, sigma_w, sigma_b, kappa, lambda, threads, &net, &X);
  const double *yy = tr_targets(y, net.N);
  int wg = jntk_int_scalar(want_grad, "want_grad");
  int N = net.N, d = net.n[0];
  tr_work w;
  tr_work_alloc(&net, &w, wg);
  tr_set_inputs(&net, &w, X);
  SEXP grad = PROTECT(Rf_allocVector(REALSXP, wg ? net.npar : 0));
  double fl = 0.0, j2 = 0.0;
  tr_evaluate(&net, REAL(theta), yy, wg ? 2 : 1, &w, wg ? REAL(grad) : NULL, &fl, &j2);
  SEXP fv = PROTECT(Rf_allocVector(REALSXP, N));
  SEXP J = PROTECT(Rf_allocMatrix(REALSXP, N, d));
  for (int a = 0; a < N; a++) REAL(fv)[a] = w.f[a];
  for (ptrdiff_t i = 0; i < (ptrdiff_t) N * d; i++) REAL(J)[i] = w.Jt[i];
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 5));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, 5));
  SET_VECTOR_ELT(out, 0, fv);
  SET_VECTOR_ELT(out, 1, J);
  SET_VECTOR_ELT(out, 2, Rf_ScalarReal(fl));
  SET_VECTOR_ELT(out, 3, Rf_ScalarReal(j2));
  SET_VECTOR_ELT(out, 4, grad);
  const char *nm[5] = {"f", "jacobian", "fit_loss", "jac2", "gradient"};
  for (int i = 0; i < 5; i++) SET_STRING_ELT(nms, i, Rf_mkChar(nm[i]));
  Rf_setAttrib(out, R_NamesSymbol, nms);
  UNPROTECT(5);
  return out;
}

/* Outputs f(x) only (a forward pass). */
SEXP training_forward(SEXP theta, SEXP widths, SEXP x, SEXP act, SEXP slope,
                      SEXP sigma_w, SEXP sigma_b, SEXP kappa, SEXP threads) {
  tr_net net;
  const double *X;
  SEXP zero = PROTECT(Rf_ScalarReal(0.0));
  tr_args(theta, widths, x, act, slope, sigma_w, sigma_b, kappa, zero, threads, &net, &X);
  tr_work w;
  tr_work_alloc(&net, &w, 0);
  tr_set_inputs(&net, &w, X);
  tr_evaluate(&net, REAL(theta), NULL, 0, &w, NULL, NULL, NULL);
  SEXP fv = PROTECT(Rf_allocVector(REALSXP, net.N));
  for (int a = 0; a < net.N; a++) REAL(fv)[a] = w.f[a];
  UNPROTECT(2);
  return fv;
}

/* `steps` full-batch gradient-descent steps theta <- theta - lr grad L(theta).
 * Returns list(theta, fit_loss, jac2, status): fit_loss[s], jac2[s] are the
 * loss terms at the parameters before update s (s = 1..steps taken); status 0
 * means all steps were taken, 1 that the loss, the gradient or the updated
 * parameters became non-finite at the last recorded step (theta is then the
 * parameter vector at that step, before the failed update, so it is finite).
 * The input theta is not modified. */
SEXP training_gd(SEXP theta, SEXP widths, SEXP x, SEXP y, SEXP act, SEXP slope,
                 SEXP sigma_w, SEXP sigma_b, SEXP kappa, SEXP lambda, SEXP lr,
                 SEXP steps, SEXP threads) {
  tr_net net;
  const double *X;
  tr_args(theta, widths, x, act, slope, sigma_w, sigma_b, kappa, lambda, threads, &net, &X);
  const double *yy = tr_targets(y, net.N);
  double eta = jntk_real_scalar(lr, "lr");
  int ns = jntk_int_scalar(steps, "steps");
  if (ns < 0) Rf_error("'steps' must be >= 0");
  ptrdiff_t np = net.npar;
  tr_work w;
  tr_work_alloc(&net, &w, 1);
  tr_set_inputs(&net, &w, X);
  SEXP th = PROTECT(Rf_duplicate(theta));
  double *t = REAL(th), *g = tr_alloc(np);
  double *flb = tr_alloc(ns), *j2b = tr_alloc(ns);
  int status = 0, s;
  for (s = 0; s < ns; s++) {
    R_CheckUserInterrupt();
    tr_evaluate(&net, t, yy, 2, &w, g, flb + s, j2b + s);
    double loss = flb[s] + 0.5 * net.lambda * j2b[s];
    /* stop before an update that would leave theta non-finite */
    int ok = R_FINITE(loss);
    for (ptrdiff_t p = 0; ok && p < np; p++) ok = R_FINITE(t[p] - eta * g[p]);
    if (!ok) {
      status = 1;
      s++;
      break;
    }
    for (ptrdiff_t p = 0; p < np; p++) t[p] -= eta * g[p];
  }
  SEXP fl = PROTECT(Rf_allocVector(REALSXP, s));
  SEXP j2 = PROTECT(Rf_allocVector(REALSXP, s));
  for (int i = 0; i < s; i++) {
    REAL(fl)[i] = flb[i];
    REAL(j2)[i] = j2b[i];
  }
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 4));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, 4));
  SET_VECTOR_ELT(out, 0, th);
  SET_VECTOR_ELT(out, 1, fl);
  SET_VECTOR_ELT(out, 2, j2);
  SET_VECTOR_ELT(out, 3, Rf_ScalarInteger(status));
  const char *nm[4] = {"theta", "fit_loss", "jac2", "status"};
  for (int i = 0; i < 4; i++) SET_STRING_ELT(nms, i, Rf_mkChar(nm[i]));
  Rf_setAttrib(out, R_NamesSymbol, nms);
  UNPROTECT(5);
  return out;
}
