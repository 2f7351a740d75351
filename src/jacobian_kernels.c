/* Jacobian kernels from the eight per-pair scalars (math.md §3):
 *   d/dx_i K         = F_p x'_i + 2 F_q x_i
 *   d/dx'_j K        = F_p x_j  + 2 F_r x'_j
 *   d2/dx_i dx'_j K  = F_p delta_ij + F_pp x'_i x_j + 2 F_pr x'_i x'_j
 *                      + 2 F_pq x_i x_j + 4 F_qr x_i x'_j
 * Dense assembly in block-major order, and products with the structured
 * kernel that never form the dense matrix. */
#include "jntk.h"
#include "kernels.h"

/* K is n1(d+1) x n2(d+1), column-major. F is n1 x n2 x 8. */
void jacobian_assemble(const double *F, const double *x1, const double *x2,
                       int n1, int n2, int d, double *K, int nthreads) {
  ptrdiff_t S = (ptrdiff_t) n1 * n2, R = (ptrdiff_t) n1 * (d + 1);
  const double *F0 = F, *Fp = F + S, *Fq = F + 2 * S, *Fr = F + 3 * S,
               *Fpp = F + 4 * S, *Fpq = F + 5 * S, *Fpr = F + 6 * S,
               *Fqr = F + 7 * S;
  int nt = jntk_threads(nthreads, n2, JNTK_GRAIN_ONE);
JNTK_OMP(parallel for num_threads(nt) schedule(static))
  for (int b = 0; b < n2; b++) {
    /* column f(x'_b) */
    double *col = K + (ptrdiff_t) b * R;
    for (int a = 0; a < n1; a++) {
      ptrdiff_t ab = a + (ptrdiff_t) b * n1;
      col[a] = F0[ab];
      double *cj = col + n1 + (ptrdiff_t) a * d;
      for (int i = 0; i < d; i++)
        cj[i] = Fp[ab] * x2[b + (ptrdiff_t) i * n2] + 2.0 * Fq[ab] * x1[a + (ptrdiff_t) i * n1];
    }
    /* columns d f(x'_b) / dx'_j */
    for (int j = 0; j < d; j++) {
      double *cc = K + (ptrdiff_t) (n2 + (ptrdiff_t) b * d + j) * R;
      double xpj = x2[b + (ptrdiff_t) j * n2];
      for (int a = 0; a < n1; a++) {
        ptrdiff_t ab = a + (ptrdiff_t) b * n1;
        double xj = x1[a + (ptrdiff_t) j * n1];
        cc[a] = Fp[ab] * xj + 2.0 * Fr[ab] * xpj;
        /* row i: coefficient of x'_i and of x_i */
        double cxp = Fpp[ab] * xj + 2.0 * Fpr[ab] * xpj;
        double cx = 2.0 * Fpq[ab] * xj + 4.0 * Fqr[ab] * xpj;
        double *cr = cc + n1 + (ptrdiff_t) a * d;
        for (int i = 0; i < d; i++)
          cr[i] = cxp * x2[b + (ptrdiff_t) i * n2] + cx * x1[a + (ptrdiff_t) i * n1];
        cr[j] += Fp[ab];
      }
    }
  }
}

/* out (n1(d+1) x ncol) = K v for v (n2(d+1) x ncol), in O(n1 n2 d) per column
 * with three matrix products:
 *   XV = X1 V^T, W_b = x'_b . V_b,
 *   f rows:  F v0 + rowSums(F_p o XV) + 2 F_r W
 *   J rows:  (F_p o 1 v0^T + F_pp o XV + 2 F_pr o 1 W^T) X2 + F_p V
 *            + diag(2 F_q v0 + 2 rowSums(F_pq o XV) + 4 F_qr W) X1
 * where V (n2 x d) holds the Jacobian part of v, stored transposed (d x n2)
 * in v's own block-major layout, and likewise the output's J part (d x n1). */
void jacobian_matvec(const double *F, const double *x1, const double *x2,
                     int n1, int n2, int d, const double *v, int ncol,
                     double *out) {
  ptrdiff_t S = (ptrdiff_t) n1 * n2;
  const double *F0 = F, *Fp = F + S, *Fq = F + 2 * S, *Fr = F + 3 * S,
               *Fpp = F + 4 * S, *Fpq = F + 5 * S, *Fpr = F + 6 * S,
               *Fqr = F + 7 * S;
  double *XV = (double *) R_alloc(S, sizeof(double));
  double *M = (double *) R_alloc(S, sizeof(double));
  double *W = (double *) R_alloc(n2, sizeof(double));
  double *s = (double *) R_alloc(n1, sizeof(double));
  double one = 1.0, zero = 0.0;
  for (int k = 0; k < ncol; k++) {
    const double *v0 = v + (ptrdiff_t) k * n2 * (d + 1), *Vt = v0 + n2;
    double *o0 = out + (ptrdiff_t) k * n1 * (d + 1), *Rt = o0 + n1;
    F77_CALL(dgemm)("N", "N", &n1, &n2, &d, &one, x1, &n1, Vt, &d, &zero, XV, &n1 FCONE FCONE);
    for (int b = 0; b < n2; b++) {
      double w = 0;
      for (int j = 0; j < d; j++) w += x2[b + (ptrdiff_t) j * n2] * Vt[j + (ptrdiff_t) b * d];
      W[b] = w;
    }
    for (int a = 0; a < n1; a++) { o0[a] = 0; s[a] = 0; }
    for (int b = 0; b < n2; b++) {
      double vb = v0[b], wb = W[b];
      for (int a = 0; a < n1; a++) {
        ptrdiff_t ab = a + (ptrdiff_t) b * n1;
        double xv = XV[ab];
        o0[a] += F0[ab] * vb + Fp[ab] * xv + 2.0 * Fr[ab] * wb;
        M[ab] = Fp[ab] * vb + Fpp[ab] * xv + 2.0 * Fpr[ab] * wb;
        s[a] += 2.0 * Fq[ab] * vb + 2.0 * Fpq[ab] * xv + 4.0 * Fqr[ab] * wb;
      }
    }
    /* Rt = X2^T M^T + Vt Fp^T */
    F77_CALL(dgemm)("T", "T", &d, &n1, &n2, &one, x2, &n2, M, &n1, &zero, Rt, &d FCONE FCONE);
    F77_CALL(dgemm)("N", "T", &d, &n1, &n2, &one, Vt, &d, Fp, &n1, &one, Rt, &d FCONE FCONE);
    for (int a = 0; a < n1; a++)
      for (int i = 0; i < d; i++) Rt[i + (ptrdiff_t) a * d] += s[a] * x1[a + (ptrdiff_t) i * n1];
  }
}
