/* Empirical (finite-width) NTK, JNTK, NNGP and Jacobian NNGP without
 * per-parameter gradients, on top of the passes of src/mlp.h.
 *
 * Weight layer l enters f only through h^l = a_l W^l z^{l-1} + beta b^l, so
 *     df/dW^l = a_l g^l z^{l-1 T},        df/db^l = beta g^l,
 * and differentiating in x_i (parameters fixed, phi smooth)
 *     d/dx_i df/dW^l = a_l (gam^l_i z^{l-1 T} + g^l u^{l-1 T}_i),
 *     d/dx_i df/db^l = beta gam^l_i,
 * with gam^l_i = dg^l/dx_i and u^{l-1}_i = dz^{l-1}/dx_i (u^0_i = e_i).
 * Every parameter gradient of an output or a Jacobian entry is, per layer, a
 * sum of at most two outer products, and <p q^T, r s^T>_F = (p.r)(q.s), so
 * the layer-l contribution to the Gram matrix of the gradients (math.md §4:
 * Theta_ab(x,x') = <grad D_a f(x), grad D_b f(x')>) is, with s = a_l^2 and
 * t = beta^2 (primes at x'),
 *
 *   f-f  : s (g.g')(z.z') + t (g.g')
 *   Jx-f : s [(gam_i.g')(z.z') + (g.g')(u_i.z')] + t (gam_i.g')
 *   f-Jx': s [(g.gam'_j)(z.z') + (g.g')(z.u'_j)] + t (g.gam'_j)
 *   J-J  : s [(gam_i.gam'_j)(z.z') + (gam_i.g')(z.u'_j) + (g.gam'_j)(u_i.z')
 *             + (g.g')(u_i.u'_j)] + t (gam_i.gam'_j).
 *
 * All dot products over all inputs at once are Gram matrices, one NN-form
 * product each (the left factor transposed explicitly, O(N d n)), by dsyrk
 * when x' = x (then (g.gam') is the transpose of (gam.g') and is not
 * computed again, and only the upper triangle of the result is assembled).
 * Layer 1 has u^0_i = e_i: (u.u') = delta_ij, (u_i.z') = x'_i, (z.u'_j) =
 * x_j without any product. The output layer has g = kappa, gam = 0. Memory:
 * O(N (d+1) width) for the passes plus a few result-sized Gram matrices
 * reused across layers, never the N (d+1) x P gradient matrix.
 *
 * The empirical NTK keeps only the f-f terms. The empirical (Jacobian) NNGP
 * is the covariance of (f, J) over the output layer given the hidden layers,
 * kappa^2 (sigma_w^2 / n_L z^L.z^L' + sigma_b^2) and its input derivatives:
 * in the NTK parametrisation the output-layer term of the above; in the
 * standard one the same covariance, but not that term (whose gradients are
 * those of the actual parameters). */
#include <string.h>
#include "mlp.h"
#include "calls_network.h"

/* B = A^T (A m x n) on nt threads, by columns of A */
static void par_transpose(int m, int n, const double *A, double *B, int nt) {
  nt = jntk_threads(nt, (double) m * n, JNTK_GRAIN_ELEMENTS * 16);
JNTK_OMP(parallel num_threads(nt))
  {
    int j0, j1;
    jntk_thread_blocks(n, jntk_thread_id(), nt, &j0, &j1);
    jntk_transpose(m, j0, j1, A, m, B, n);
  }
}

/* C (N1 x N2) = X1^T X2 with X1 k x N1, X2 k x N2: NN with XT1 = X1^T when
 * the transposes are explicit (linalg.h), else TN; the upper triangle only,
 * by dsyrk, when same (X2 = X1). */
static void gram(int N1, int N2, int k, const double *X1, const double *XT1, const double *X2,
                 double *C, int same, int nt) {
  if (same) jntk_syrk_upper(N1, k, X1, k, XT1, N1, C, N1, nt);
  else if (XT1) jntk_gemm_cols('N', 'N', N1, N2, k, 1.0, XT1, N1, X2, k, 0.0, C, N1, nt);
  else jntk_gemm_cols('T', 'N', N1, N2, k, 1.0, X1, k, X2, k, 0.0, C, N1, nt);
}

/* X1^T (k x N1 -> N1 x k) into XT when the transposes are explicit; NULL
 * (the BLAS reads X1 transposed) otherwise */
static const double *left(int k, int N1, const double *X1, double *XT, int nt) {
  if (!XT) return NULL;
  par_transpose(k, N1, X1, XT, nt);
  return XT;
}

typedef struct {
  int N1, N2, d, jac, same;
  double *GG, *ZZ, *GmG, *GGm, *GmGm, *UZ, *ZU, *UU; /* NULL: not present */
} grams;

/* element (c, q) of an N1 x N2d matrix stored directly or, when same, as the
 * transpose of an N1d x N2 one */
static inline double at_t(const double *Mx, int same, ptrdiff_t ld_direct, ptrdiff_t ld_t,
                          ptrdiff_t c, ptrdiff_t q) {
  return same ? Mx[q + c * ld_t] : Mx[c + q * ld_direct];
}

/* Add the Hadamard combinations of one layer to M (R1 x R2, block-major).
 * first: layer 1 (u^0 = e_i); has_gam: a hidden layer (gam != 0). */
static void assemble(const grams *G, double s, double t, int first, int has_gam,
                     const double *X1, const double *X2, double *M, ptrdiff_t R1, int nt) {
  const int N1 = G->N1, N2 = G->N2, d = G->d, same = G->same;
  const ptrdiff_t N1d = (ptrdiff_t) N1 * d, N2d = (ptrdiff_t) N2 * d;
  const double *GG = G->GG, *ZZ = G->ZZ, *GmG = G->GmG, *GmGm = G->GmGm, *UZ = G->UZ,
               *UU = G->UU;
  /* when same, GGm = GmG^T and ZU = UZ^T (views) */
  const double *GGm = same ? G->GmG : G->GGm, *ZU = same ? G->UZ : G->ZU;
  if (!G->jac) {
    int ntc = jntk_threads(nt, (double) N1 * N2, JNTK_GRAIN_ELEMENTS);
JNTK_OMP(parallel for num_threads(ntc) schedule(dynamic, 16))
    for (int b = 0; b < N2; b++) {
      int cmax = same ? b + 1 : N1;
      for (int c = 0; c < cmax; c++) {
        ptrdiff_t k = c + (ptrdiff_t) b * N1;
        M[k] += GG[k] * (s * ZZ[k] + t);
      }
    }
    return;
  }
  ptrdiff_t ncol = N2 + N2d;
  int ntc = jntk_threads(nt, (double) R1 * ncol, JNTK_GRAIN_ELEMENTS);
  /* one output column per iteration: column cb is f(x'_b) (cb < N2) or
   * d/dx'_j at x'_b (cb = N2 + b d + j); when same, rows up to cb only */
JNTK_OMP(parallel for num_threads(ntc) schedule(dynamic, 8))
  for (ptrdiff_t cb = 0; cb < ncol; cb++) {
    double *Mc = M + cb * R1;
    if (cb < N2) {
      int b = (int) cb;
      int cmax = same ? b + 1 : N1;
      for (int c = 0; c < cmax; c++) { /* f-f */
        ptrdiff_t k = c + (ptrdiff_t) b * N1;
        Mc[c] += GG[k] * (s * ZZ[k] + t);
      }
      if (same) continue; /* the Jx-f block is below the diagonal */
      for (int c = 0; c < N1; c++)   /* Jx-f */
        for (int i = 0; i < d; i++) {
          ptrdiff_t kab = c + (ptrdiff_t) b * N1, kib = (ptrdiff_t) c * d + i + (ptrdiff_t) b * N1d;
          double gmg = has_gam ? GmG[kib] : 0.0;
          double uz = first ? X2[i + (ptrdiff_t) b * d] : UZ[kib];
          Mc[N1 + (ptrdiff_t) c * d + i] += s * (gmg * ZZ[kab] + GG[kab] * uz) + t * gmg;
        }
    } else {
      ptrdiff_t q = cb - N2;
      int b = (int) (q / d), j = (int) (q % d);
      for (int c = 0; c < N1; c++) { /* f-Jx' */
        ptrdiff_t kab = c + (ptrdiff_t) b * N1;
        double ggm = has_gam ? at_t(GGm, same, N1, N1d, c, q) : 0.0;
        double zu = first ? X1[j + (ptrdiff_t) c * d] : at_t(ZU, same, N1, N1d, c, q);
        Mc[c] += s * (ggm * ZZ[kab] + GG[kab] * zu) + t * ggm;
      }
      ptrdiff_t rmax = same ? q + 1 : N1d;
      for (ptrdiff_t ri = 0; ri < rmax; ri++) { /* J-J */
        ptrdiff_t c = ri / d, i = ri % d;
        ptrdiff_t kab = c + (ptrdiff_t) b * N1;
        double ggm = has_gam ? at_t(GGm, same, N1, N1d, c, q) : 0.0;
        double zu = first ? X1[j + c * d] : at_t(ZU, same, N1, N1d, c, q);
        ptrdiff_t kib = ri + (ptrdiff_t) b * N1d, kij = ri + q * N1d;
        double gmg = has_gam ? GmG[kib] : 0.0, gmgm = has_gam ? GmGm[kij] : 0.0;
        double uz = first ? X2[i + (ptrdiff_t) b * d] : UZ[kib];
        double uu = first ? (i == j ? 1.0 : 0.0) : UU[kij];
        Mc[N1 + ri] += s * (gmgm * ZZ[kab] + gmg * zu + ggm * uz + GG[kab] * uu) + t * gmgm;
      }
    }
  }
}

/* The kernel; floor_reps >= 0: on one thread, with the BLAS calls logged
 * and replayed floor_reps times alone afterwards (empirical_blas_floor). */
static SEXP empirical(SEXP params, SEXP par, SEXP ipar, SEXP x1, SEXP x2, SEXP kind, int nt,
                      int floor_reps) {
  mlp_net net;
  mlp_from_R(params, par, ipar, &net);
  int kd = jntk_int_scalar(kind, "kind");
  if (kd < 0 || kd >= KIND_COUNT) Rf_error("'kind' must be 0..3 (src/kinds.h)");
  int jac = kind_is_jacobian(kd), tangent_kind = kind_is_tangent(kd);
  int same = Rf_isNull(x2);
  const double *X1, *X2;
  int N1 = mlp_inputs_from_R(x1, &net, "x1", &X1);
  int N2 = same ? N1 : mlp_inputs_from_R(x2, &net, "x2", &X2);
  int d = net.n[0], L1 = net.L1;
  double R1d = jac ? (double) N1 * (d + 1) : N1, R2d = jac ? (double) N2 * (d + 1) : N2;
  if (R1d > INT_MAX || R2d > INT_MAX || R1d * R2d > (double) R_XLEN_T_MAX)
    Rf_error("the %.0f x %.0f result exceeds R's matrix size limits", R1d, R2d);
  ptrdiff_t R1 = (ptrdiff_t) R1d, R2 = (ptrdiff_t) R2d;

  /* passes: the NTK needs g; the JNTK g, gam, u; the NNGPs only the output
   * layer's z and, for the Jacobian one, u */
  int flags = tangent_kind ? (jac ? MLP_D2 | MLP_REVERSE | MLP_TANGENT | MLP_FOR : MLP_REVERSE)
                           : (jac ? MLP_TANGENT : 0);
  int k = jac ? d : 0;
  if (floor_reps >= 0) {
    nt = 1;
    jntk_blas_log_open();
  }
  /* one batch of passes over both sets of inputs (each weight matrix is read
   * by half as many BLAS calls), then a view of each set */
  mlp_work all, p1, p2;
  int Nall = same ? N1 : N1 + N2;
  const double *Xall = X1;
  if (!same) {
    double *Xc = mlp_alloc((double) Nall * d);
    for (int i = 0; i < d; i++) {
      memcpy(Xc + (ptrdiff_t) i * Nall, X1 + (ptrdiff_t) i * N1, N1 * sizeof(double));
      memcpy(Xc + (ptrdiff_t) i * Nall + N1, X2 + (ptrdiff_t) i * N2, N2 * sizeof(double));
    }
    Xall = Xc;
  }
  mlp_work_alloc(&net, &all, Nall, k, 1, flags);
  mlp_set_inputs(&net, &all, Xall);
  mlp_run(&net, &all, nt);
  mlp_work_view(&net, &all, 0, N1, &p1);
  if (same) p2 = p1;
  else mlp_work_view(&net, &all, N1, N2, &p2);
  R_CheckUserInterrupt();

  /* Gram buffers, reused by every layer; left factors transposed */
  ptrdiff_t N1d = (ptrdiff_t) N1 * d, N2d = (ptrdiff_t) N2 * d;
  int nmax = 1;
  for (int l = 0; l < L1; l++) nmax = net.n[l] > nmax ? net.n[l] : nmax;
  grams G = {N1, N2, d, jac, same, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
  G.GG = (double *) R_alloc((size_t) N1 * N2, sizeof(double));
  G.ZZ = (double *) R_alloc((size_t) N1 * N2, sizeof(double));
  int ex = jntk_transposes_pay(N2);
  double *gT = ex ? (double *) R_alloc((size_t) N1 * nmax, sizeof(double)) : NULL;
  double *zT = ex ? (double *) R_alloc((size_t) N1 * nmax, sizeof(double)) : NULL;
  double *gamT = NULL, *uT = NULL;
  int need_gam = jac && tangent_kind && L1 > 1, need_u = jac && L1 > 1;
  if (need_gam) {
    G.GmG = (double *) R_alloc((size_t) (N1d * N2), sizeof(double));
    if (!same) G.GGm = (double *) R_alloc((size_t) (N1 * N2d), sizeof(double));
    G.GmGm = (double *) R_alloc((size_t) (N1d * N2d), sizeof(double));
    if (ex) gamT = (double *) R_alloc((size_t) (N1d * nmax), sizeof(double));
  }
  if (need_u) {
    G.UZ = (double *) R_alloc((size_t) (N1d * N2), sizeof(double));
    if (!same) G.ZU = (double *) R_alloc((size_t) (N1 * N2d), sizeof(double));
    G.UU = (double *) R_alloc((size_t) (N1d * N2d), sizeof(double));
    if (ex) uT = (double *) R_alloc((size_t) (N1d * nmax), sizeof(double));
  }

  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int) R1, (int) R2));
  double *M = REAL(out);
  for (ptrdiff_t i = 0; i < R1 * R2; i++) M[i] = 0.0;
  const double *Xt1 = p1.z[0], *Xt2 = p2.z[0]; /* d x N */
  for (int l = tangent_kind ? 1 : L1; l <= L1; l++) {
    int nl = net.n[l], np = net.n[l - 1], first = l == 1, has_gam = l < L1 && tangent_kind;
    /* NTK kinds: the Gram of the gradients, a_l^2 and beta^2; NNGP kinds:
     * the covariance over the output layer, sigma_w^2 / n_L and sigma_b^2
     * (the same numbers in the NTK parametrisation) */
    int grad_gram = tangent_kind || net.param == MLP_NTK;
    double s = grad_gram ? net.a[l] * net.a[l] : net.sw * net.sw / np;
    double t = grad_gram ? net.beta * net.beta : net.sb * net.sb;
    /* (g.g'): g^{L1} = kappa at every input */
    if (l == L1) {
      double k2 = net.kappa * net.kappa;
      for (ptrdiff_t i = 0; i < (ptrdiff_t) N1 * N2; i++) G.GG[i] = k2;
    } else {
      const double *gt = left(nl, N1, p1.g[l], gT, nt);
      gram(N1, N2, nl, p1.g[l], gt, p2.g[l], G.GG, same, nt);
    }
    const double *zt = left(np, N1, p1.z[l - 1], zT, nt);
    gram(N1, N2, np, p1.z[l - 1], zt, p2.z[l - 1], G.ZZ, same, nt);
    if (same) { /* the f-Jx' block reads both triangles */
      int ntm = jntk_threads(nt, (double) N1 * N1, JNTK_GRAIN_ELEMENTS);
      jntk_mirror_upper(G.GG, G.GG, N1, ntm);
      jntk_mirror_upper(G.ZZ, G.ZZ, N1, ntm);
    }
    if (jac && has_gam) {
      const double *gamt = left(nl, (int) N1d, p1.gam[l], gamT, nt);
      gram((int) N1d, N2, nl, p1.gam[l], gamt, p2.g[l], G.GmG, 0, nt);
      if (!same) gram(N1, (int) N2d, nl, p1.g[l], ex ? gT : NULL, p2.gam[l], G.GGm, 0, nt);
      gram((int) N1d, (int) N2d, nl, p1.gam[l], gamt, p2.gam[l], G.GmGm, same, nt);
    }
    if (jac && !first) {
      const double *ut = left(np, (int) N1d, p1.u[l - 1], uT, nt);
      gram((int) N1d, N2, np, p1.u[l - 1], ut, p2.z[l - 1], G.UZ, 0, nt);
      if (!same) gram(N1, (int) N2d, np, p1.z[l - 1], zt, p2.u[l - 1], G.ZU, 0, nt);
      gram((int) N1d, (int) N2d, np, p1.u[l - 1], ut, p2.u[l - 1], G.UU, same, nt);
    }
    assemble(&G, s, t, first, has_gam, Xt1, Xt2, M, R1, nt);
    R_CheckUserInterrupt();
  }
  if (same) jntk_mirror_upper(M, M, (int) R1, jntk_threads(nt, (double) R1 * R1, JNTK_GRAIN_ELEMENTS));
  if (floor_reps >= 0) {
    jntk_blas_log_close();
    jntk_blas_replay(floor_reps);
  }
  UNPROTECT(1);
  return out;
}

/* kind (kinds.h): the empirical NNGP (output-layer term), NTK, Jacobian
 * NNGP or JNTK at the N1 x d and N2 x d inputs; x2 may be NULL (then x2 = x1
 * and the result is exactly symmetric). */
SEXP empirical_kernel(SEXP params, SEXP par, SEXP ipar, SEXP x1, SEXP x2, SEXP kind,
                      SEXP threads) {
  return empirical(params, par, ipar, x1, x2, kind, jntk_int_scalar(threads, "threads"), -1);
}

/* The BLAS floor of one kernel (benchmarks): the kernel on one thread, then
 * its BLAS calls alone `reps` more times. Returns the kernel; time from R. */
SEXP empirical_blas_floor(SEXP params, SEXP par, SEXP ipar, SEXP x1, SEXP x2, SEXP kind,
                          SEXP reps) {
  int r = jntk_int_scalar(reps, "reps");
  if (r < 0 || r > 10000) Rf_error("'reps' must be between 0 and 10000");
  return empirical(params, par, ipar, x1, x2, kind, 1, r);
}
