/* Jacobian kernels from the eight per-pair scalars (math.md §3).
 *
 * A kernel K(x, x') = H(rho, n, m), rho = x^.x^', n = |x|, m = |x'|,
 * x^ = x/n, is stored per pair as
 *   K, P = H_rho/(nm), Q = H_n, R = H_m, S = H_rhorho/(nm),
 *   Tq = H_rhon/m, Tr = H_rhom/n, U = H_nm
 * (P equals dK/d(x.x')). With the small vectors e = x^' - rho x^ and
 * e' = x^ - rho x^' (grad_x rho = e/n), the chain rule gives
 *   d/dx_i K        = P m e_i + Q x^_i
 *   d/dx'_j K       = P n e'_j + R x^'_j
 *   d2/dx_i dx'_j K = P delta_ij + S e_i e'_j + (Tq - P) x^_i e'_j
 *                     + Tr e_i x^'_j + U x^_i x^'_j - P x^'_i x^'_j.
 * Every term has the size of the result: the angular curvature S, which is
 * large next to the diagonal (like 1/theta for relu, like |x|^2 for erf at
 * large |x|), only ever multiplies e e'^T ~ theta^2. In the (x.x', |x|^2,
 * |x'|^2) partials the same numbers cancel, terms of size |x|^2 F giving an
 * asymmetric, indefinite K(x, x) at large |x| (issue 17 #6).
 *
 * At a zero norm x^ = 0 and rho = 0, and the scalars are the limits
 * (kernels.c, jet_scalars()). Swapping x and x' swaps Q <-> R and
 * Tq <-> Tr. */
#include <string.h>
#include "jntk.h"
#include "kernels.h"

int pair_cartesian(double n, double m) { return !(n > 1e-140 && m > 1e-140); }

/* The stored scalars from a kappa^2-scaled jet in the polar variables, or
 * in the cartesian ones (x.x', n, m) where a norm vanishes (jet.h); then the
 * limits at x^ = 0, rho = 0 follow from
 *   Q = F_n + F_p rho m, S = nm F_pp, Tq = F_p + n (rho m F_pp + F_pn),
 *   U = F_nm + rho (F_p + m F_pm + n F_pn) + rho^2 nm F_pp. */
void jacobian_scalars_from_jet(jet F, double n, double m, double rho, double *o, ptrdiff_t ix,
                               ptrdiff_t S) {
  double K = F.v, P, Q, R, Sv, Tq, Tr, U;
  if (pair_cartesian(n, m)) { /* F in (p, n, m) */
    P = F.w;
    Q = F.n + F.w * rho * m;
    R = F.m + F.w * rho * n;
    Sv = (n * F.ww) * m;
    Tq = F.w + n * (rho * m * F.ww + F.wn);
    Tr = F.w + m * (rho * n * F.ww + F.wm);
    U = F.nm + rho * (F.w + m * F.wm + n * F.wn) + rho * rho * (n * F.ww) * m;
  } else {
    double inm = 1.0 / n / m;
    P = F.w * inm;
    Q = F.n;
    R = F.m;
    Sv = F.ww * inm;
    Tq = F.wn / m;
    Tr = F.wm / n;
    U = F.nm;
  }
  o[ix] = K; o[ix + S] = P; o[ix + 2 * S] = Q; o[ix + 3 * S] = R;
  o[ix + 4 * S] = Sv; o[ix + 5 * S] = Tq; o[ix + 6 * S] = Tr; o[ix + 7 * S] = U;
}


/* Unit rows U (n x d) of x and the norms nr; zero rows stay zero. */
static void unit_rows(const double *x, int n, int d, double *U, double *nr) {
  for (int a = 0; a < n; a++) {
    double s = 0.0;
    for (int i = 0; i < d; i++) s += x[a + (ptrdiff_t) i * n] * x[a + (ptrdiff_t) i * n];
    nr[a] = sqrt(s);
    double inv = nr[a] > 0 ? 1.0 / nr[a] : 0.0;
    for (int i = 0; i < d; i++) U[a + (ptrdiff_t) i * n] = x[a + (ptrdiff_t) i * n] * inv;
  }
}

/* K is n1(d+1) x n2(d+1), column-major. F is n1 x n2 x 8. */
void jacobian_assemble(const double *F, const double *x1, const double *x2,
                       int n1, int n2, int d, double *K, int nthreads) {
  ptrdiff_t S = (ptrdiff_t) n1 * n2, Rr = (ptrdiff_t) n1 * (d + 1);
  const double *F0 = F, *Fp = F + S, *Fq = F + 2 * S, *Fr = F + 3 * S, *Fs = F + 4 * S,
               *Ftq = F + 5 * S, *Ftr = F + 6 * S, *Fu = F + 7 * S;
  double *U1 = (double *) R_alloc((size_t) n1 * d, sizeof(double));
  double *U2 = (double *) R_alloc((size_t) n2 * d, sizeof(double));
  double *nr1 = (double *) R_alloc(n1, sizeof(double)), *nr2 = (double *) R_alloc(n2, sizeof(double));
  unit_rows(x1, n1, d, U1, nr1);
  unit_rows(x2, n2, d, U2, nr2);
  int nt = jntk_threads(nthreads, n2, JNTK_GRAIN_ONE);
  /* per-thread scratch: x^_a, x^'_b, e, e' */
  double *scr = (double *) R_alloc((size_t) 4 * d * nt, sizeof(double));
JNTK_OMP(parallel for num_threads(nt) schedule(static))
  for (int b = 0; b < n2; b++) {
    double *xh = scr + (ptrdiff_t) 4 * d * jntk_thread_id(), *yh = xh + d, *e = yh + d,
           *ep = e + d;
    for (int i = 0; i < d; i++) yh[i] = U2[b + (ptrdiff_t) i * n2];
    double *col = K + (ptrdiff_t) b * Rr;
    for (int a = 0; a < n1; a++) {
      ptrdiff_t ab = a + (ptrdiff_t) b * n1;
      double rho = 0.0;
      for (int i = 0; i < d; i++) {
        xh[i] = U1[a + (ptrdiff_t) i * n1];
        rho += xh[i] * yh[i];
      }
      rho = rho > 1 ? 1 : (rho < -1 ? -1 : rho);
      for (int i = 0; i < d; i++) {
        e[i] = yh[i] - rho * xh[i];
        ep[i] = xh[i] - rho * yh[i];
      }
      double P = Fp[ab], n = nr1[a], m = nr2[b];
      /* column f(x'_b): rows f(x_a) and d f(x_a)/dx_i */
      col[a] = F0[ab];
      double *cj = col + n1 + (ptrdiff_t) a * d;
      for (int i = 0; i < d; i++) cj[i] = P * m * e[i] + Fq[ab] * xh[i];
      /* columns d f(x'_b)/dx'_j */
      for (int j = 0; j < d; j++) {
        double *cc = K + (ptrdiff_t) (n2 + (ptrdiff_t) b * d + j) * Rr;
        cc[a] = P * n * ep[j] + Fr[ab] * yh[j];
        double cE = Fs[ab] * ep[j] + Ftr[ab] * yh[j];
        double cX = (Ftq[ab] - P) * ep[j] + Fu[ab] * yh[j];
        double cY = -P * yh[j];
        double *cr = cc + n1 + (ptrdiff_t) a * d;
        for (int i = 0; i < d; i++) cr[i] = cE * e[i] + cX * xh[i] + cY * yh[i];
        cr[j] += P;
      }
    }
  }
}

/* B (c x r) = A^T for A (r x c), both column-major. */
static void transpose(const double *A, int r, int c, double *B) {
  const int T = 32;
  for (int i0 = 0; i0 < r; i0 += T)
    for (int j0 = 0; j0 < c; j0 += T) {
      int i1 = i0 + T < r ? i0 + T : r, j1 = j0 + T < c ? j0 + T : c;
      for (int i = i0; i < i1; i++)
        for (int j = j0; j < j1; j++) B[j + (ptrdiff_t) i * c] = A[i + (ptrdiff_t) j * r];
    }
}

/* out (n1(d+1) x ncol) = K v for v (n2(d+1) x ncol), in O(n1 n2 d) per column
 * with matrix products. With Rh = X^1 X^2^T (the rho of every pair),
 * XV = X^1 V^T (x^_a . V_b), W_b = x^'_b . V_b and E = XV - Rh o W (e'.V_b):
 *   f rows:  sum_b K v0 + P n_a E + R W
 *   J rows:  sum_b C1_ab x^'_b + (sum_b C2_ab) x^_a + sum_b P_ab V_b,
 *     C1 = P m v0 + S E + Tr W - P W,
 *     C2 = Q v0 + (Tq - P) E + U W - rho (P m v0 + S E + Tr W),
 * where V (n2 x d) holds the Jacobian part of v, stored transposed (d x n2)
 * in v's own block-major layout, and likewise the output's J part (d x n1).
 * Every product is an NN-form dgemm (the reference BLAS runs its transposed
 * forms at half the speed or less): the operands X^2^T and V are transposed
 * explicitly (O(n d)), and the J part is formed as its transpose
 * C1 X^2 + P V (n1 x d), transposed back in O(n1 d). */
/* The unit rows of both sides (U1 n1 x d, U2 n2 x d and its transpose U2t)
 * and the norms, R_alloc'ed. */
typedef struct {
  double *U1, *U2, *U2t, *nr1, *nr2;
} unit_pair;

static unit_pair unit_pair_fill(const double *x1, const double *x2, int n1, int n2, int d) {
  unit_pair u;
  u.U1 = (double *) R_alloc((size_t) n1 * d, sizeof(double));
  u.U2 = (double *) R_alloc((size_t) n2 * d, sizeof(double));
  u.U2t = (double *) R_alloc((size_t) n2 * d, sizeof(double));
  u.nr1 = (double *) R_alloc(n1, sizeof(double));
  u.nr2 = (double *) R_alloc(n2, sizeof(double));
  unit_rows(x1, n1, d, u.U1, u.nr1);
  unit_rows(x2, n2, d, u.U2, u.nr2);
  transpose(u.U2, n2, d, u.U2t);
  return u;
}

/* Rh (n1 x n2) = U1 U2^T clamped to [-1, 1]. */
static void cosines_of(const unit_pair *u, int n1, int n2, int d, double *Rh) {
  double one = 1.0, zero = 0.0;
  F77_CALL(dgemm)("N", "N", &n1, &n2, &d, &one, u->U1, &n1, u->U2t, &d, &zero, Rh, &n1 FCONE FCONE);
  ptrdiff_t S = (ptrdiff_t) n1 * n2;
  for (ptrdiff_t t = 0; t < S; t++) Rh[t] = Rh[t] > 1 ? 1 : (Rh[t] < -1 ? -1 : Rh[t]);
}

/* Rh (n1 x n2) = the cosines x^_a . x^'_b of every pair, clamped to [-1, 1],
 * as jacobian_matvec() uses them (it computes them itself when not given). */
void jacobian_cosines(const double *x1, const double *x2, int n1, int n2, int d, double *Rh) {
  unit_pair u = unit_pair_fill(x1, x2, n1, n2, d);
  cosines_of(&u, n1, n2, d, Rh);
}

void jacobian_matvec(const double *F, const double *x1, const double *x2,
                     int n1, int n2, int d, const double *v, int ncol,
                     double *out, const double *rho) {
  ptrdiff_t S = (ptrdiff_t) n1 * n2;
  const double *F0 = F, *Fp = F + S, *Fq = F + 2 * S, *Fr = F + 3 * S, *Fs = F + 4 * S,
               *Ftq = F + 5 * S, *Ftr = F + 6 * S, *Fu = F + 7 * S;
  unit_pair u = unit_pair_fill(x1, x2, n1, n2, d);
  const double *U1 = u.U1, *U2 = u.U2, *U2t = u.U2t, *nr1 = u.nr1, *nr2 = u.nr2;
  double *V = (double *) R_alloc((size_t) n2 * d, sizeof(double));
  double *RtT = (double *) R_alloc((size_t) n1 * d, sizeof(double));
  /* the cosines: given (cached by the caller: one product of n1 n2 d fewer
   * per call), or computed here as jacobian_cosines() does */
  const double *Rh = rho;
  if (!Rh) {
    double *R0 = (double *) R_alloc(S, sizeof(double));
    cosines_of(&u, n1, n2, d, R0);
    Rh = R0;
  }
  double *XV = (double *) R_alloc(S, sizeof(double));
  double *C1 = (double *) R_alloc(S, sizeof(double));
  double *W = (double *) R_alloc(n2, sizeof(double));
  double *s = (double *) R_alloc(n1, sizeof(double));
  double one = 1.0, zero = 0.0;
  for (int k = 0; k < ncol; k++) {
    const double *v0 = v + (ptrdiff_t) k * n2 * (d + 1), *Vt = v0 + n2;
    double *o0 = out + (ptrdiff_t) k * n1 * (d + 1), *Rt = o0 + n1;
    F77_CALL(dgemm)("N", "N", &n1, &n2, &d, &one, U1, &n1, Vt, &d, &zero, XV, &n1 FCONE FCONE);
    for (int b = 0; b < n2; b++) {
      double w = 0;
      for (int j = 0; j < d; j++) w += U2t[j + (ptrdiff_t) b * d] * Vt[j + (ptrdiff_t) b * d];
      W[b] = w;
    }
    for (int a = 0; a < n1; a++) { o0[a] = 0; s[a] = 0; }
    for (int b = 0; b < n2; b++) {
      double vb = v0[b], wb = W[b], m = nr2[b];
      for (int a = 0; a < n1; a++) {
        ptrdiff_t ab = a + (ptrdiff_t) b * n1;
        double P = Fp[ab], rho = Rh[ab], E = XV[ab] - rho * wb;
        o0[a] += F0[ab] * vb + P * nr1[a] * E + Fr[ab] * wb;
        double c1 = P * m * vb + Fs[ab] * E + Ftr[ab] * wb;
        C1[ab] = c1 - P * wb;
        s[a] += Fq[ab] * vb + (Ftq[ab] - P) * E + Fu[ab] * wb - rho * c1;
      }
    }
    /* Rt^T = C1 X^2 + P V (n1 x d), then Rt = its transpose + x^_a s_a */
    transpose(Vt, d, n2, V);
    F77_CALL(dgemm)("N", "N", &n1, &d, &n2, &one, C1, &n1, U2, &n2, &zero, RtT, &n1 FCONE FCONE);
    F77_CALL(dgemm)("N", "N", &n1, &d, &n2, &one, Fp, &n1, V, &n2, &one, RtT, &n1 FCONE FCONE);
    for (int a = 0; a < n1; a++)
      for (int i = 0; i < d; i++)
        Rt[i + (ptrdiff_t) a * d] = RtT[a + (ptrdiff_t) i * n1] + s[a] * U1[a + (ptrdiff_t) i * n1];
  }
}
