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

/* ---- products of the finite networks ---------------------------------------
 * With R's reference BLAS the transposed forms (TN dot products) run up to
 * 1.5x slower than NN, so the finite networks transpose an operand
 * explicitly when that costs far less than the product (O(n^2) or O(N n)
 * against O(n^2 N)). An optimised BLAS packs its operands anyway: there the
 * explicit copies are pure cost and the BLAS reads them transposed. One
 * switch for the session (set from R by the BLAS's name, R/network.R),
 * read where scratch is planned, so every result is deterministic for a
 * given BLAS. */
extern int jntk_explicit_transposes;
/* Whether an explicit transpose pays for a product with `cols` columns
 * against it (below 8 columns the product is a few matrix-vector products,
 * cheaper than copying the operand). A function of the sizes alone. */
static inline int jntk_transposes_pay(double cols) {
  return jntk_explicit_transposes && cols >= 8;
}

/* C = alpha op(A) op(B) + beta C (C m x n, inner k), one thread. For NN with
 * A larger than the cache, C is computed in panels of rows whose slice of A
 * stays in cache (the reference BLAS streams all of A once per column of C):
 * each entry is still one sum over the full inner dimension. */
void jntk_gemm(char ta, char tb, int m, int n, int k, double alpha, const double *A, int lda,
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
/* Columns lo..hi-1 of C = alpha op(A) op(B) + beta C. */
void jntk_gemm_cols_range(char ta, char tb, int m, int lo, int hi, int k, double alpha,
                          const double *A, int lda, const double *B, int ldb, double beta,
                          double *C, int ldc);

/* C = alpha op(A) op(B) + beta C on up to nt threads over fixed column blocks
 * (its own parallel region). */
void jntk_gemm_cols(char ta, char tb, int m, int n, int k, double alpha, const double *A, int lda,
                    const double *B, int ldb, double beta, double *C, int ldc, int nt);
/* Upper triangle of C = X^T X (n x n) for X k x n; XT = X^T (n x k) is used
 * (NN form) when given, else X (TN form): diagonal
 * blocks by dsyrk, the blocks above them by dgemm, in fixed blocks balanced
 * by area (so the result does not depend on nt). The lower triangle of C is
 * not touched. */
void jntk_syrk_upper(int n, int k, const double *X, int ldx, const double *XT, int ldxt,
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
