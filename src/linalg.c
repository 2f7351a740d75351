/* Dense linear algebra shared by every concept: the threaded Gram matrix of
 * the analytic kernels, the tiled mirror of symmetric results and the
 * column-split matrix product of the finite networks. Plain C (no R API but
 * R_alloc, outside parallel regions); BLAS through F77_CALL. */
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

void jntk_dgemm_cols(const char *transa, int m, int n, int k, double alpha,
               const double *A, int lda, const double *B, int ldb, double beta,
               double *C, int ldc, int nt) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (ptrdiff_t j = 0; j < n; j++)
      for (ptrdiff_t i = 0; i < m; i++)
        C[i + j * (ptrdiff_t) ldc] = beta == 0.0 ? 0.0 : beta * C[i + j * (ptrdiff_t) ldc];
    return;
  }
  /* at least 8 columns per block so that tiny products stay single calls */
  int nb = jntk_threads(nt, n, JNTK_GRAIN_COLUMNS);
JNTK_OMP(parallel for num_threads(nb) schedule(static))
  for (int t = 0; t < nb; t++) {
    int j0 = (int) (((ptrdiff_t) n * t) / nb), j1 = (int) (((ptrdiff_t) n * (t + 1)) / nb);
    int nc = j1 - j0;
    if (nc > 0)
      F77_CALL(dgemm)(transa, "N", &m, &nc, &k, &alpha, A, &lda,
                      B + (ptrdiff_t) j0 * ldb, &ldb, &beta,
                      C + (ptrdiff_t) j0 * ldc, &ldc FCONE FCONE);
  }
}

