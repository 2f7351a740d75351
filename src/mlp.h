/* THE finite network: one multilayer perceptron, its parameters read once
 * from R, and its batched passes (forward, reverse, tangent,
 * forward-over-reverse), used by network.c (outputs, input Jacobians),
 * empirical.c (empirical kernels) and training.c (loss, gradient, descent).
 *
 * Letters and indices are those of docs/math.md §1: layers l = 1..L1 with
 * L1 = depth + 1 weight layers, widths n_0 = d, n_1..n_L, n_{L1} = 1,
 *
 *   h^l = a_l W^l z^{l-1} + beta b^l,   z^0 = x,   z^l = phi(h^l)   (l < L1),
 *   f   = kappa h^{L1},
 *
 * with the weight scale a_l and bias scale beta of the parametrisation:
 *   "ntk"      a_l = sigma_w / sqrt(n_{l-1}),  beta = sigma_b,
 *              every parameter N(0, 1);
 *   "standard" a_l = 1, beta = 1 if sigma_b > 0 else 0 (no bias),
 *              W^l ~ N(0, sigma_w^2 / n_{l-1}), b^l ~ N(0, sigma_b^2)
 *              (neural-tangents' Dense(parameterization = "standard"),
 *              s = (1, 1)).
 * Set in one place: mlp_from_R().
 *
 * Batches: a per-layer quantity of N inputs is an n_l x N column-major
 * matrix, column a for input a. Tangents carry k directions per input:
 * n_l x (N k), column a k + i for direction i at input a (k = d with the unit
 * directions e_i gives the package's block-major Jacobian order, math.md §3;
 * k = 1 with one direction per input is what training needs).
 *
 * Passes (all on a block of inputs lo..hi-1, BLAS products in NN form):
 *   forward  h^l, z^l, phi'(h^l) = d1^l, phi''(h^l) = d2^l, f;
 *   reverse  g^{L1} = kappa, r^{l-1} = a_l W^{lT} g^l = df/dz^{l-1},
 *            g^l = d1^l * r^l = df/dh^l; r^0 = df/dx = J^T (d x N);
 *   tangent  u^0 = the directions, t^l = a_l W^l u^{l-1} (tangent of h^l),
 *            u^l = d1^l * t^l (tangent of z^l);
 *   forward-over-reverse (tangent of g):
 *            gam^{L1} = seed (0 for the empirical JNTK),
 *            gam^l = d2^l * t^l * r^l + d1^l * (a_{l+1} W^{(l+1)T} gam^{l+1}).
 * Training's adjoint is gam with the seed kappa (f - y)/N along the
 * directions V = (lambda/N) J (src/training.c). */
#ifndef JNTK_MLP_H
#define JNTK_MLP_H

#include "jntk.h"
#include "linalg.h"

enum mlp_param { MLP_NTK = 0, MLP_STANDARD = 1 };

typedef struct {
  int L1;              /* weight layers l = 1..L1 */
  const int *n;        /* n[0..L1]: n[0] = d, n[L1] = 1 */
  int act;             /* activation code (activation.h); ACT_USER: an R function */
  SEXP user;           /* ACT_USER: its evaluator (mlp_user.c), else R_NilValue */
  int user_nfun;       /* ACT_USER: how many of phi, phi', phi'' the user gave */
  int param;           /* MLP_NTK or MLP_STANDARD */
  double slope;        /* leaky_relu slope */
  const double *ap;    /* the activation's parameters (activation.h) */
  double kappa;        /* output scale */
  double sw, sb;       /* sigma_w, sigma_b (the variances of the parameters) */
  double beta;         /* bias scale */
  double *a;           /* a[1..L1]: weight scales */
  const double **W;    /* W[1..L1]: n[l] x n[l-1] */
  const double **b;    /* b[1..L1]: n[l] */
  ptrdiff_t *woff, *boff; /* offsets of W^l, b^l in the flat theta */
  ptrdiff_t npar;      /* number of parameters */
} mlp_net;

/* Scratch of one batch of N inputs. Which buffers exist depends on the
 * caller (mlp_work_alloc's flags, or training's own layout); a NULL buffer is
 * not computed. */
typedef struct {
  int N;               /* inputs */
  int k;               /* tangent directions per input (0: none) */
  int unit;            /* tangent directions are the unit vectors e_1..e_d */
  double *f;           /* N outputs */
  double **z;          /* z[0] = x^T (d x N), z[l] = phi(h^l), l < L1 */
  double **d1, **d2;   /* phi'(h^l), phi''(h^l), l < L1 */
  double **g;          /* g[l] = df/dh^l, l = 1..L1 (g[L1] = kappa) */
  double **r;          /* r[l] = df/dz^l, l = 0..L1-1 (r[0] = J^T) */
  double **t, **u;     /* tangents of h^l and z^l (u[0]: directions) */
  double **gam;        /* tangents of g^l, l = 1..L1 */
  double **WT;         /* WT[l] = W^{lT} (n[l-1] x n[l]), l = 1..L1 */
} mlp_work;

/* Buffers for mlp_work_alloc */
#define MLP_D1 1        /* phi' (reverse, tangent) */
#define MLP_D2 2        /* phi'' (forward-over-reverse) */
#define MLP_REVERSE 4   /* g, r and the transposed weights */
#define MLP_TANGENT 8   /* t, u along the k directions per input */
#define MLP_FOR 16      /* gam (forward-over-reverse) */

/* Read an architecture and its parameters: par = c(sigma_w, sigma_b, kappa,
 * slope, the activation's parameters (act_par, activation.h)), ipar = c(activation, parametrisation, d, n_1, ..., n_L, 1), params
 * either list(weights, biases) (lists of L1 matrices / vectors) or the flat
 * theta (vec(W^1), b^1, vec(W^2), b^2, ...). Every parameter is checked
 * finite here, once per call. Errors (never crashes) on garbage. */
void mlp_from_R(SEXP params, SEXP par, SEXP ipar, mlp_net *net);
/* Point the layers at a flat theta laid out as mlp_from_R's. */
void mlp_set_theta(mlp_net *net, const double *theta);
/* An N x d input matrix from R, checked against the network: returns N. */
int mlp_inputs_from_R(SEXP x, const mlp_net *net, const char *name, const double **X);
/* Largest number of tangent columns any pass allocates, checked against
 * the BLAS integer range (errors when too large). */
void mlp_check_sizes(const mlp_net *net, int N, int k);

/* R_alloc'ed scratch of n doubles (refused above R's vector limit), and an
 * array of n NULL pointers. */
double *mlp_alloc(double n);
double **mlp_ptrs(int n);
/* The frame of a batch: sizes, outputs f and the empty per-layer arrays
 * (the caller points them at its buffers). */
void mlp_work_init(const mlp_net *net, mlp_work *w, int N, int k, int unit);
/* Scratch (R_alloc) for N inputs with k tangent directions per input. */
void mlp_work_alloc(const mlp_net *net, mlp_work *w, int N, int k, int unit, int flags);
/* v = inputs lo..lo+n-1 of w (pointers into w's buffers). */
void mlp_work_view(const mlp_net *net, const mlp_work *w, int lo, int n, mlp_work *v);
/* w->z[0] = X^T from the N x d matrix X. */
void mlp_set_inputs(const mlp_net *net, mlp_work *w, const double *X);
/* w->WT[l] = W^{lT} for the layers' columns in the share of thread tid. */
void mlp_transpose_weights(const mlp_net *net, mlp_work *w, int tid, int nt);

/* The passes on inputs lo..hi-1 (single-threaded BLAS; call them from
 * inside a parallel region with disjoint blocks). */
void mlp_forward(const mlp_net *net, mlp_work *w, int lo, int hi);
void mlp_reverse(const mlp_net *net, mlp_work *w, int lo, int hi);
void mlp_tangent(const mlp_net *net, mlp_work *w, int lo, int hi);
void mlp_fwd_over_rev(const mlp_net *net, mlp_work *w, const double *seed, int lo, int hi);

/* The forward pass of layer l (1..L1) on inputs lo..hi-1 up to the
 * pre-activation: z[l] = a_l W^l z^{l-1} without the bias (l < L1), or the
 * outputs f (l = L1, bias and kappa included). */
void mlp_forward_pre(const mlp_net *net, mlp_work *w, int l, int lo, int hi);

/* ---- activations given as R functions (mlp_user.c) ----
 * Read the evaluator that R attached to `par` (attribute "user": list(fun,
 * nfun), R/network.R) for activation code ACT_USER. */
void mlp_user_from_R(SEXP par, mlp_net *net);
/* The whole forward pass of all N inputs of w for an ACT_USER network: per
 * layer the pre-activations in parallel over the fixed input blocks (nt
 * threads), then one call of the R function on the layer's n_l N values
 * on this (the main) thread, outside any parallel region; phi' and phi''
 * (when w has the buffers) by the user's functions or by finite
 * differences (mlp_user.c). */
void mlp_user_forward(const mlp_net *net, mlp_work *w, int nt);

/* All requested passes (by w's buffers) on all N inputs, nt threads: the
 * inputs are split in blocks fixed by N alone, so that every number is the
 * same whatever nt. */
void mlp_run(const mlp_net *net, mlp_work *w, int nt);

/* Fixed input blocks: block b of nb covers inputs [lo, hi). */
int mlp_input_blocks(int N);
void mlp_block(int N, int nb, int b, int *lo, int *hi);

#endif
