/* Dense linear algebra shared by every concept: the threaded Gram matrix of
 * the analytic kernels, the tiled mirror of symmetric results, and the
 * products of the finite networks (fixed column blocks, the BLAS form chosen
 * per session, dsyrk for symmetric Gram matrices, tiled transposes) with a
 * log that lets the benchmarks replay a computation's BLAS calls alone.
 * Plain C: no R API but R_alloc, errors and interrupt checks, all outside
 * parallel regions; BLAS through F77_CALL. */
#include "jntk.h"
#include "linalg.h"

/* Gram matrix into G (n1 x n2) and squared row norms; when x2 is NULL only
 * the upper triangle of x1 x1^T, with q taken from its diagonal so that
 * identical points give exactly p = q = r. One thread: dsyrk / dgemm. More:
 * blocks of columns, each its own dgemm on a disjoint part of G (balanced by
 * area for the triangle); every entry is the same sum in the same order. */
void jntk_gram(const double *x1, const double *x2, int n1, int n2, int d,
                 double *G, double *q1, double *q2, int nthreads) {
  double one = 1.0, zero = 0.0;
  nthreads = jntk_threads(nthreads, (double) n1 * n2 * d, JNTK_GRAIN_FLOPS);
  int nb = nthreads > 1 ? 4 * nthreads : 1;
  if (nb > n2) nb = n2;
  int nt = jntk_threads(nthreads, nb, JNTK_GRAIN_ONE);
  if (!x2 && nb == 1) {
    F77_CALL(dsyrk)("U", "N", &n1, &d, &one, x1, &n1, &zero, G, &n1 FCONE FCONE);
  } else if (nb == 1) {
    F77_CALL(dgemm)("N", "T", &n1, &n2, &d, &one, x1, &n1, x2, &n2, &zero, G, &n1 FCONE FCONE);
  } else {
    int *cut = (int *) R_alloc(nb + 1, sizeof(int));
    for (int b = 0; b <= nb; b++)
      cut[b] = x2 ? (int) ((double) n2 * b / nb) : (int) (n2 * sqrt((double) b / nb));
    cut[nb] = n2;
JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1))
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

/* dst[i, j] = src[j, i] for i > j (n x n, column-major): the lower triangle
 * from an upper one, in cache-sized tiles (a plain loop reads src with
 * stride n); dst may be src. */
void jntk_mirror_upper(double *dst, const double *src, int n, int nt) {
  const int T = 64;
JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1))
  for (int jb = 0; jb < n; jb += T) {
    int je = jb + T < n ? jb + T : n;
    for (int ib = jb; ib < n; ib += T) {
      int ie = ib + T < n ? ib + T : n;
      for (int j = jb; j < je; j++) {
        int i0 = ib > j + 1 ? ib : j + 1;
        for (int i = i0; i < ie; i++)
          dst[i + (ptrdiff_t) j * n] = src[j + (ptrdiff_t) i * n];
      }
    }
  }
}

/* ---- products of the finite networks ---------------------------------- */

int jntk_explicit_transposes = 1;

/* ---- the BLAS log --------------------------------------------------------- */

typedef struct {
  char kind, ta, tb; /* kind: 'g' dgemm, 's' dsyrk (upper; ta its trans) */
  int m, n, k, lda, ldb, ldc;
  double alpha, beta;
  const double *A, *B;
  double *C;
} blas_call;

/* Static storage (untouched unless a benchmark opens the log), so that an
 * error or interrupt between open and close leaves nothing dangling: the log
 * then just fills up, harmlessly, until the next open. */
#define BLAS_LOG_CAP 65536
static blas_call blas_log[BLAS_LOG_CAP];
static int blas_log_len = 0, blas_log_cap = 0, blas_log_over = 0;

void jntk_blas_log_open(void) {
  blas_log_cap = BLAS_LOG_CAP;
  blas_log_len = 0;
  blas_log_over = 0;
}

void jntk_blas_log_close(void) {
  blas_log_cap = 0;
  if (blas_log_over) Rf_error("the computation made more BLAS calls than the log holds");
}

static void blas_call_run(const blas_call *c) {
  char ta = c->ta, tb = c->tb;
  if (c->kind == 's')
    F77_CALL(dsyrk)("U", &ta, &c->m, &c->k, &c->alpha, c->A, &c->lda, &c->beta, c->C,
                    &c->ldc FCONE FCONE);
  else
    F77_CALL(dgemm)(&ta, &tb, &c->m, &c->n, &c->k, &c->alpha, c->A, &c->lda, c->B, &c->ldb,
                    &c->beta, c->C, &c->ldc FCONE FCONE);
}

static void blas_do(blas_call c) {
  if (blas_log_cap) {
    if (blas_log_len < blas_log_cap) blas_log[blas_log_len++] = c;
    else blas_log_over = 1;
  }
  blas_call_run(&c);
}

void jntk_blas_replay(int reps) {
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < blas_log_len; i++) blas_call_run(blas_log + i);
}

/* ---- products of the finite networks ---------------------------------- */

/* Row panels of about 4 MB of A (NN, A larger than 8 MB): ~30% faster at
 * width 2048 with the reference BLAS. */
#define JNTK_PANEL_BYTES (4.0 * 1024 * 1024)

void jntk_gemm(char ta, char tb, int m, int n, int k, double alpha, const double *A, int lda,
               const double *B, int ldb, double beta, double *C, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (ptrdiff_t j = 0; j < n; j++)
      for (ptrdiff_t i = 0; i < m; i++)
        C[i + j * ldc] = beta == 0.0 ? 0.0 : beta * C[i + j * ldc];
    return;
  }
  int mb = m;
  if (ta == 'N' && (double) m * k * sizeof(double) > 2 * JNTK_PANEL_BYTES) {
    mb = (int) (JNTK_PANEL_BYTES / ((double) k * sizeof(double)));
    if (mb < 64) mb = 64;
  }
  for (int lo = 0; lo < m; lo += mb) {
    int cnt = m - lo < mb ? m - lo : mb;
    blas_call c = {'g', ta, tb, cnt, n, k, lda, ldb, ldc, alpha, beta, A + lo, B, C + lo};
    blas_do(c);
  }
}

/* At least 64 columns per block (an optimised BLAS repacks A for every call,
 * which costs ~5% at 64 columns), at most 64 blocks, and no block below the
 * grain of a threaded product. */
#define JNTK_BLOCK_COLS 64
#define JNTK_MAX_BLOCKS 64

int jntk_col_blocks(int n, double flops_per_col) {
  double nb = n / JNTK_BLOCK_COLS;
  double by_work = (double) n * flops_per_col / JNTK_GRAIN_FLOPS;
  if (by_work < nb) nb = by_work;
  if (nb > JNTK_MAX_BLOCKS) nb = JNTK_MAX_BLOCKS;
  return nb < 1 ? 1 : (int) nb;
}

void jntk_gemm_cols_range(char ta, char tb, int m, int lo, int hi, int k, double alpha,
                          const double *A, int lda, const double *B, int ldb, double beta,
                          double *C, int ldc) {
  const double *Bb = tb == 'N' ? B + (ptrdiff_t) lo * ldb : B + lo;
  jntk_gemm(ta, tb, m, hi - lo, k, alpha, A, lda, Bb, ldb, beta, C + (ptrdiff_t) lo * ldc, ldc);
}

void jntk_gemm_cols(char ta, char tb, int m, int n, int k, double alpha, const double *A, int lda,
                    const double *B, int ldb, double beta, double *C, int ldc, int nt) {
  int nb = jntk_col_blocks(n, (double) m * k);
  nt = jntk_threads(nt, nb, JNTK_GRAIN_ONE);
  /* rounds of nt blocks, with a check for interrupts between rounds of a
   * large product (outside the parallel regions) */
  int round = (double) m * n * k > 1e9 ? nt : nb;
  for (int r0 = 0; r0 < nb; r0 += round) {
    int r1 = r0 + round < nb ? r0 + round : nb;
JNTK_OMP(parallel for num_threads(nt) schedule(static))
    for (int b = r0; b < r1; b++) {
      int lo, hi;
      jntk_block_range(n, nb, b, &lo, &hi);
      jntk_gemm_cols_range(ta, tb, m, lo, hi, k, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    if (r1 < nb) R_CheckUserInterrupt();
  }
}

void jntk_syrk_upper(int n, int k, const double *X, int ldx, const double *XT, int ldxt,
                     double *C, int ldc, int nt) {
  if (n <= 0) return;
  int ex = XT != NULL;
  /* blocks of columns [cut[b], cut[b+1]) with cut ~ n sqrt(b / nb): equal
   * areas of the triangle */
  int nb = jntk_col_blocks(n, 0.5 * (double) n * k);
  int *cut = (int *) R_alloc(nb + 1, sizeof(int));
  for (int b = 0; b <= nb; b++) cut[b] = (int) (n * sqrt((double) b / nb));
  cut[nb] = n;
  nt = jntk_threads(nt, nb, JNTK_GRAIN_ONE);
JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1))
  for (int b = 0; b < nb; b++) {
    int j0 = cut[b], jb = cut[b + 1] - cut[b];
    if (jb <= 0) continue;
    double *Cb = C + (ptrdiff_t) j0 * ldc;
    if (k <= 0) {
      for (int j = 0; j < jb; j++)
        for (int i = 0; i <= j0 + j; i++) Cb[i + (ptrdiff_t) j * ldc] = 0.0;
      continue;
    }
    /* rows 0..j0-1 of the block: X[, 0:j0]^T X[, j0:j1] */
    if (j0 > 0) {
      blas_call c = ex ? (blas_call){'g', 'N', 'N', j0, jb, k, ldxt, ldx, ldc, 1.0, 0.0, XT,
                                     X + (ptrdiff_t) j0 * ldx, Cb}
                       : (blas_call){'g', 'T', 'N', j0, jb, k, ldx, ldx, ldc, 1.0, 0.0, X,
                                     X + (ptrdiff_t) j0 * ldx, Cb};
      blas_do(c);
    }
    blas_call c = ex ? (blas_call){'s', 'N', 'N', jb, jb, k, ldxt, 0, ldc, 1.0, 0.0, XT + j0, NULL,
                                   Cb + j0}
                     : (blas_call){'s', 'T', 'N', jb, jb, k, ldx, 0, ldc, 1.0, 0.0,
                                   X + (ptrdiff_t) j0 * ldx, NULL, Cb + j0};
    blas_do(c);
  }
}

void jntk_transpose(int m, int j0, int j1, const double *A, int lda, double *B, int ldb) {
  /* 16 x 16 tiles written along B's columns: few cache sets at once even
   * when lda is a power of two */
  const int T = 16;
  for (int jb = j0; jb < j1; jb += T) {
    int je = jb + T < j1 ? jb + T : j1;
    for (int ib = 0; ib < m; ib += T) {
      int ie = ib + T < m ? ib + T : m;
      for (int i = ib; i < ie; i++) {
        double *b = B + (ptrdiff_t) i * ldb;
        const double *a = A + i;
        for (int j = jb; j < je; j++) b[j] = a[(ptrdiff_t) j * lda];
      }
    }
  }
}

/* The session's switch (R/network.R, from the BLAS's name). */
SEXP linalg_set_transposes(SEXP explicit_) {
  if (!Rf_isLogical(explicit_) || XLENGTH(explicit_) != 1 || LOGICAL(explicit_)[0] == NA_LOGICAL)
    Rf_error("'explicit' must be TRUE or FALSE");
  jntk_explicit_transposes = LOGICAL(explicit_)[0];
  return R_NilValue;
}
