/* Empirical (finite-width) NTK, JNTK and NNGP without per-parameter gradients.
 *
 * Derivation (notation of network.c; a_{l-1} = sw/sqrt(n_{l-1}), Z_0 = x).
 * Weight layer l (l = 1..L+1) enters f only through H_l = a_{l-1} W_l Z_{l-1}
 * + sb b_l, hence
 *     df/dW_l = a_{l-1} g_l z_{l-1}^T,        df/db_l = sb g_l,
 * with g_l = df/dH_l (backward vector) and z_{l-1} the forward activation at
 * the same input. Differentiating in x_i (parameters fixed, phi smooth):
 *     d/dx_i df/dW_l = a_{l-1} (gam_l^i z_{l-1}^T + g_l u_{l-1}^{iT}),
 *     d/dx_i df/db_l = sb gam_l^i,
 * with gam_l^i = d g_l/dx_i and u_{l-1}^i = d z_{l-1}/dx_i (u_0^i = e_i).
 * So every parameter gradient of an output or a Jacobian entry is, per layer,
 * a sum of at most two outer products, and since <p q^T, r s^T>_F =
 * (p.r)(q.s), the layer-l contribution to the Gram matrix of the gradients
 * (math.md §4: Theta_{ab}(x,x') = <grad D_a f(x), grad D_b f(x')>) is
 *
 *   f-f  : a^2 (g.g')(z.z') + sb^2 (g.g')
 *   Jx-f : a^2 [(gam^i.g')(z.z') + (g.g')(u^i.z')] + sb^2 (gam^i.g')
 *   f-Jx': a^2 [(g.gam'^j)(z.z') + (g.g')(z.u'^j)] + sb^2 (g.gam'^j)
 *   J-J  : a^2 [(gam^i.gam'^j)(z.z') + (gam^i.g')(z.u'^j) + (g.gam'^j)(u^i.z')
 *               + (g.g')(u^i.u'^j)] + sb^2 (gam^i.gam'^j)
 *
 * (a = a_{l-1}; primes are at x'). All dot products over all inputs at once
 * are Gram matrices (one dgemm each): GG = G1^T G2, ZZ = Z1^T Z2, and the
 * direction-indexed ones; the kernel is the sum over layers of these Hadamard
 * combinations. Layer 1 has u_0^i = e_i, so (u.u') = delta_ij, (u^i.z') =
 * x'_i, (z.u'^j) = x_j without any product. The output layer has g = kappa,
 * gam = 0. Memory: O(N (d+1) width) for the passes plus the Gram matrices,
 * never the N (d+1) x P gradient matrix.
 *
 * The empirical NTK keeps only the f-f terms. The output-layer term alone,
 * kappa^2 (a_L^2 Zt1^T Zt2 + sb^2 [f-f]), is the covariance of (f, J) given
 * the hidden layers, i.e. the empirical (Jacobian) NNGP. */
#include "network.h"
#include "calls_network.h"

/* Add the layer-l contribution to M (R1 x R2, block-major order).
 * jac: 0 -> plain kernel (N1 x N2), 1 -> Jacobian kernel. */
static void add_layer(const mlp_net *net, int l, const mlp_pass *p1, const mlp_pass *p2,
                      int jac, double *M, int nt) {
  int N1 = p1->N, N2 = p2->N, d = net->n[0], L1 = net->L1;
  int nl = net->n[l], np = net->n[l - 1];
  double a = mlp_scale(net, l), s = a * a, t = net->sb * net->sb;
  ptrdiff_t R1 = jac ? (ptrdiff_t) N1 * (d + 1) : N1;
  int N1d = N1 * d, N2d = N2 * d;

  double *GG = (double *) R_alloc((size_t) N1 * N2, sizeof(double));
  double *ZZ = (double *) R_alloc((size_t) N1 * N2, sizeof(double));
  jntk_dgemm_cols("T", N1, N2, nl, 1.0, p1->G[l], nl, p2->G[l], nl, 0.0, GG, N1, nt);
  jntk_dgemm_cols("T", N1, N2, np, 1.0, p1->Z[l - 1], np, p2->Z[l - 1], np, 0.0, ZZ, N1, nt);

  if (!jac) {
    int ntc = jntk_threads(nt, N2, JNTK_GRAIN_ONE);
JNTK_OMP(parallel for num_threads(ntc) schedule(static))
    for (int b = 0; b < N2; b++)
      for (int c = 0; c < N1; c++) {
        ptrdiff_t k = c + (ptrdiff_t) b * N1;
        M[k] += GG[k] * (s * ZZ[k] + t);
      }
    return;
  }

  int has_gam = l < L1, first = l == 1;
  double *GmG = NULL, *GGm = NULL, *GmGm = NULL, *UZ = NULL, *ZU = NULL, *UU = NULL;
  if (has_gam) {
    GmG = (double *) R_alloc((size_t) N1d * N2, sizeof(double));
    GGm = (double *) R_alloc((size_t) N1 * N2d, sizeof(double));
    GmGm = (double *) R_alloc((size_t) N1d * N2d, sizeof(double));
    jntk_dgemm_cols("T", N1d, N2, nl, 1.0, p1->Gam[l], nl, p2->G[l], nl, 0.0, GmG, N1d, nt);
    jntk_dgemm_cols("T", N1, N2d, nl, 1.0, p1->G[l], nl, p2->Gam[l], nl, 0.0, GGm, N1, nt);
    jntk_dgemm_cols("T", N1d, N2d, nl, 1.0, p1->Gam[l], nl, p2->Gam[l], nl, 0.0, GmGm, N1d, nt);
  }
  if (!first) {
    UZ = (double *) R_alloc((size_t) N1d * N2, sizeof(double));
    ZU = (double *) R_alloc((size_t) N1 * N2d, sizeof(double));
    UU = (double *) R_alloc((size_t) N1d * N2d, sizeof(double));
    jntk_dgemm_cols("T", N1d, N2, np, 1.0, p1->U[l - 1], np, p2->Z[l - 1], np, 0.0, UZ, N1d, nt);
    jntk_dgemm_cols("T", N1, N2d, np, 1.0, p1->Z[l - 1], np, p2->U[l - 1], np, 0.0, ZU, N1, nt);
    jntk_dgemm_cols("T", N1d, N2d, np, 1.0, p1->U[l - 1], np, p2->U[l - 1], np, 0.0, UU, N1d, nt);
  }
  const double *X1 = p1->Z[0], *X2 = p2->Z[0]; /* d x N */

  /* one output column per iteration: column cb is f(x'_b) (cb < N2) or
   * d/dx'_j at x'_b (cb = N2 + b d + j) */
  int ntc = jntk_threads(nt, (double) N2 * (d + 1), JNTK_GRAIN_ONE);
JNTK_OMP(parallel for num_threads(ntc) schedule(static))
  for (ptrdiff_t cb = 0; cb < (ptrdiff_t) N2 * (d + 1); cb++) {
    double *Mc = M + cb * R1;
    if (cb < N2) {
      int b = (int) cb;
      for (int c = 0; c < N1; c++) { /* f-f */
        ptrdiff_t k = c + (ptrdiff_t) b * N1;
        Mc[c] += GG[k] * (s * ZZ[k] + t);
      }
      for (int c = 0; c < N1; c++) /* Jx-f */
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
        ptrdiff_t kab = c + (ptrdiff_t) b * N1, kaj = c + q * N1;
        double ggm = has_gam ? GGm[kaj] : 0.0;
        double zu = first ? X1[j + (ptrdiff_t) c * d] : ZU[kaj];
        Mc[c] += s * (ggm * ZZ[kab] + GG[kab] * zu) + t * ggm;
      }
      for (int c = 0; c < N1; c++) { /* J-J */
        ptrdiff_t kab = c + (ptrdiff_t) b * N1, kaj = c + q * N1;
        double ggm = has_gam ? GGm[kaj] : 0.0;
        double zu = first ? X1[j + (ptrdiff_t) c * d] : ZU[kaj];
        for (int i = 0; i < d; i++) {
          ptrdiff_t ri = (ptrdiff_t) c * d + i;
          ptrdiff_t kib = ri + (ptrdiff_t) b * N1d, kij = ri + q * N1d;
          double gmg = has_gam ? GmG[kib] : 0.0, gmgm = has_gam ? GmGm[kij] : 0.0;
          double uz = first ? X2[i + (ptrdiff_t) b * d] : UZ[kib];
          double uu = first ? (i == j ? 1.0 : 0.0) : UU[kij];
          Mc[N1 + ri] += s * (gmgm * ZZ[kab] + gmg * zu + ggm * uz + GG[kab] * uu) + t * gmgm;
        }
      }
    }
  }
}

/* kind (kinds.h): the empirical NNGP (output-layer term), NTK, Jacobian
 * NNGP or JNTK. x2t may be NULL (then x2 = x1 and the
 * result is symmetrised exactly). */
SEXP empirical_kernel(SEXP weights, SEXP biases, SEXP act, SEXP par, SEXP x1t,
                      SEXP x2t, SEXP kind, SEXP threads) {
  mlp_net net;
  mlp_net_from_R(weights, biases, act, par, &net);
  int k = jntk_int_scalar(kind, "kind");
  if (k < 0 || k >= KIND_COUNT) Rf_error("'kind' must be 0..3");
  int nt = jntk_int_scalar(threads, "threads");
  int jac = kind_is_jacobian(k), nngp = !kind_is_tangent(k);
  int same = Rf_isNull(x2t);
  int N1 = mlp_inputs_from_R(x1t, &net, "x1t");
  int N2 = same ? N1 : mlp_inputs_from_R(x2t, &net, "x2t");
  int d = net.n[0], L1 = net.L1;
  /* levels: the NTK needs G (1); the JNTK G, Gam, U (2); the NNGPs only the
   * output layer's G = kappa, Z and, for the Jacobian one, U (0 and 3). */
  int level = nngp ? (jac ? 3 : 0) : (jac ? 2 : 1);
  mlp_pass p1, p2;
  mlp_pass_run(&net, REAL(x1t), N1, level, &p1, nt);
  if (same) p2 = p1;
  else mlp_pass_run(&net, REAL(x2t), N2, level, &p2, nt);
  ptrdiff_t R1 = jac ? (ptrdiff_t) N1 * (d + 1) : N1, R2 = jac ? (ptrdiff_t) N2 * (d + 1) : N2;
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int) R1, (int) R2));
  double *M = REAL(out);
  for (ptrdiff_t i = 0; i < R1 * R2; i++) M[i] = 0.0;
  for (int l = nngp ? L1 : 1; l <= L1; l++) {
    add_layer(&net, l, &p1, &p2, jac, M, nt);
    R_CheckUserInterrupt();
  }
  if (same) {
    for (ptrdiff_t j = 0; j < R2; j++)
      for (ptrdiff_t i = 0; i < j; i++) {
        double v = 0.5 * (M[i + j * R1] + M[j + i * R1]);
        M[i + j * R1] = M[j + i * R1] = v;
      }
  }
  UNPROTECT(1);
  return out;
}
