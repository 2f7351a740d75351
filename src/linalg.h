/* Dense linear algebra shared by every concept (linalg.c). */
#ifndef JNTK_LINALG_H
#define JNTK_LINALG_H

#include <stddef.h>

/* Gram matrix x1 x2^T into G (n1 x n2) and squared row norms q1, q2; when x2
 * is NULL only the upper triangle of x1 x1^T, with q1 from its diagonal. */
void jntk_gram(const double *x1, const double *x2, int n1, int n2, int d,
               double *G, double *q1, double *q2, int nthreads);
/* dst[i, j] = src[j, i] for i > j (n x n): the lower triangle from the upper
 * one, in cache-sized tiles; dst may be src. */
void jntk_mirror_upper(double *dst, const double *src, int n, int nt);

/* ---- products of the finite networks (all NN form: the reference BLAS runs
 * its transposed forms up to 1.5x slower, so an operand is transposed
 * explicitly when that costs far less than the product) ---- */

/* C = alpha A B + beta C (A m x k, B k x n), one thread. When A is larger
 * than the cache, C is computed in panels of rows whose slice of A stays in
 * cache (the reference BLAS streams all of A once per column of C): each
 * entry is still one sum over the full inner dimension. */
void jntk_dgemm_nn(int m, int n, int k, double alpha, const double *A, int lda,
                   const double *B, int ldb, double beta, double *C, int ldc);

/* Fixed column blocks: a product's columns are split into nb blocks decided
 * by the sizes alone (never by the thread count), so every entry is computed
 * by the same BLAS call whatever the number of threads, with any BLAS. */
int jntk_col_blocks(int n, double flops_per_col);
static inline void jntk_block_range(int n, int nb, int b, int *lo, int *hi) {
  *lo = (int) (((ptrdiff_t) n * b) / nb);
  *hi = (int) (((ptrdiff_t) n * (b + 1)) / nb);
}
/* Thread tid's blocks [b0, b1) of nb shared by nt threads. */
static inline void jntk_thread_blocks(int nb, int tid, int nt, int *b0, int *b1) {
  *b0 = (int) (((ptrdiff_t) nb * tid) / nt);
  *b1 = (int) (((ptrdiff_t) nb * (tid + 1)) / nt);
}

/* Thread tid's share (of nt) of C = alpha A B + beta C over fixed column
 * blocks; call from inside a parallel region (or with tid = 0, nt = 1). */
void jntk_dgemm_part(int m, int n, int k, double alpha, const double *A, int lda,
                     const double *B, int ldb, double beta, double *C, int ldc,
                     int tid, int nt);
/* The same product on up to nt threads (its own parallel region). */
void jntk_dgemm_cols(int m, int n, int k, double alpha, const double *A, int lda,
                     const double *B, int ldb, double beta, double *C, int ldc, int nt);
/* Upper triangle of C = At At^T (n x n) where At is n x k and A = At^T is
 * k x n (both given): diagonal blocks by dsyrk, the blocks above them by NN
 * dgemm, in fixed blocks balanced by area (so the result does not depend on
 * nt). The lower triangle of C is not touched. */
void jntk_syrk_upper(int n, int k, const double *At, int ldat, const double *A, int lda,
                     double *C, int ldc, int nt);
/* B = A^T for A m x n (lda), B n x m (ldb), in cache-sized tiles; columns
 * j0..j1-1 of A only (rows j0..j1-1 of B). */
void jntk_transpose(int m, int j0, int j1, const double *A, int lda, double *B, int ldb);

/* ---- the BLAS floor of a computation (for the benchmarks): while the log is
 * open, the products above record every BLAS call they make; replaying the
 * log repeats exactly those calls alone, on the same operands. One thread
 * only (the log is not shared between threads). */
void jntk_blas_log_open(void);
void jntk_blas_log_close(void);
void jntk_blas_replay(int reps);

#endif
