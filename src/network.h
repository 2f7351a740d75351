/* Finite-width MLPs (NTK parametrisation, docs/math.md §1): batched forward,
 * backward and tangent passes shared by network.c (outputs, input Jacobians)
 * and empirical.c (empirical NTK / JNTK / NNGP).
 *
 * Layout: every per-layer quantity is a column-major n_l x N matrix with one
 * column per input ("column a is input a"); Jacobian-direction quantities are
 * n_l x (N d) with column a*d + i for direction i at input a (0-based), which
 * is the package's block-major order of Jacobian rows (math.md §3). */
#ifndef JNTK_NETWORK_H
#define JNTK_NETWORK_H

#include "jntk.h"
#include "linalg.h"

typedef struct {
  int L1;            /* number of weight layers = depth + 1 */
  int *n;            /* n[0..L1]: n[0] = d, n[L1] = 1 */
  const double **W;  /* W[1..L1], W[l] is n[l] x n[l-1] (W[0] unused) */
  const double **b;  /* b[1..L1] */
  double sw, sb, kappa, slope;
  int act;
} mlp_net;

/* Everything one batch of N inputs needs; which fields are filled depends on
 * the level passed to mlp_pass_run():
 *   level 0: Z (forward values) and f;
 *   level 1: also D1 = phi'(H) and the backward vectors G;
 *   level 2: also D2 = phi''(H), tangents T, U = phi'(H) * T and the
 *            directional derivatives Gam of the backward vectors;
 *   level 3: Z, f, D1, T and U only (no backward pass).
 * G[L1] = kappa is always set. */
typedef struct {
  int N;
  double *f;      /* N outputs */
  double **Z;     /* Z[0] = X (d x N), Z[l] = phi(H_l), l = 1..L1-1 */
  double **D1;    /* D1[l] = phi'(H_l), l = 1..L1-1 */
  double **D2;    /* D2[l] = phi''(H_l), l = 1..L1-1 */
  double **G;     /* G[l] = df/dH_l, l = 1..L1 (G[L1] = kappa) */
  double **T;     /* T[l] = dH_l/dx_i, n_l x (N d), l = 1..L1-1 */
  double **U;     /* U[l] = dZ_l/dx_i = D1[l] * T[l], l = 1..L1-1 */
  double **Gam;   /* Gam[l] = d G[l] / dx_i, n_l x (N d), l = 1..L1-1 (Gam[L1] = 0) */
} mlp_pass;

/* Read and check an mlp_network's parameters (errors on garbage). */
void mlp_net_from_R(SEXP weights, SEXP biases, SEXP act, SEXP par, mlp_net *net);
/* Check an input matrix given transposed (d x N) against net; returns N. */
int mlp_inputs_from_R(SEXP xt, const mlp_net *net, const char *name);
/* Run the passes up to `level` on the d x N inputs X (scratch from R_alloc). */
void mlp_pass_run(const mlp_net *net, const double *X, int N, int level,
                  mlp_pass *p, int nt);
/* Weight scale of weight layer l (1-based): sigma_w / sqrt(n_{l-1}). */
static inline double mlp_scale(const mlp_net *net, int l) {
  return net->sw / sqrt((double) net->n[l - 1]);
}

#endif
