/* Dense linear algebra shared by every concept (linalg.c). */
#ifndef JNTK_LINALG_H
#define JNTK_LINALG_H

/* Gram matrix x1 x2^T into G (n1 x n2) and squared row norms q1, q2; when x2
 * is NULL only the upper triangle of x1 x1^T, with q1 from its diagonal. */
void jntk_gram(const double *x1, const double *x2, int n1, int n2, int d,
               double *G, double *q1, double *q2, int nthreads);
/* dst[i, j] = src[j, i] for i > j (n x n): the lower triangle from the upper
 * one, in cache-sized tiles; dst may be src. */
void jntk_mirror_upper(double *dst, const double *src, int n, int nt);
/* C = alpha op(A) B + beta C with B not transposed, the columns of C split
 * over nt threads (each block one dgemm call, so with a reference BLAS the
 * result does not depend on nt). */
void jntk_dgemm_cols(const char *transa, int m, int n, int k, double alpha,
                     const double *A, int lda, const double *B, int ldb,
                     double beta, double *C, int ldc, int nt);

#endif
