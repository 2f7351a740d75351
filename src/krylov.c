/* Matrix-free linear algebra on Jacobian kernels: the operator
 *
 *   A = Lambda^{1/2} (Theta + r I) Lambda^{1/2},  Lambda = diag(1 (N), lambda (N d)),
 *
 * of the Jacobian-regularised gradient flow (math.md section 5; Kim and Yang
 * 2024, Theorem 4.5) applied through the eight per-pair scalars of a
 * structured kernel (jacobian_matvec in jacobian_kernels.c, O(N^2 d) per
 * product, never the dense N(d+1) x N(d+1) matrix), or through an R function
 * (a dense or file-backed kernel whose product R streams in blocks); and the
 * preconditioned conjugate-gradient solve of A z = b.
 *
 * Preconditioner (issue 11's first try, measured in inst/bench/bench_scale.R):
 * the Jacobian-Jacobian block of Theta is F_p (x) I_d plus terms of rank two
 * per pair in span{x, x'} (math.md section 3), so
 *
 *   M = blockdiag(F + r I,  lambda (F_p + r I) (x) I_d),
 *
 * inverted through two N x N Cholesky factors (computed in R by chol(), passed
 * here as upper triangles U with U'U = the matrix): the f part by dpotrs, the
 * Jacobian part, stored d x N in the block-major layout, as Z = R (F_p + rI)^{-1}
 * by two triangular solves from the right. Cost O(N^2 d) per application, the
 * same order as one product. "two_level" adds to it a coarse correction on
 * the 2N directions (output at x_a, Jacobian at x_a along x_a) with the exact
 * Galerkin matrix Z'AZ (additive two-level Schwarz). A diagonal (Jacobi)
 * preconditioner and none are the alternatives.
 *
 * Everything runs on the main thread (R_alloc scratch, interrupts between
 * iterations); the scratch of every product is released at once
 * (vmaxget/vmaxset), so a thousand iterations do not accumulate memory. */
#include "jntk.h"
#include "kernels.h"
#include "calls_krylov.h"
#include <string.h>

typedef struct {
  const double *F, *x; /* structured: scalars N x N x 8, inputs N x d */
  double *rho;         /* structured: the N x N cosines, once per solve */
  int N, d;
  double lambda, ridge;
  SEXP fun, env;       /* otherwise: an R function of one vector */
  ptrdiff_t n;
  double *work;        /* n doubles */
  long products;
} kop;

typedef struct {
  int type;            /* 0 none, 1 diagonal, 2 block Cholesky, 3 block + coarse */
  const double *dinv;  /* type 1: n inverse diagonal entries */
  const double *Uf, *Uj; /* types 2-3: upper Cholesky factors, N x N */
  const double *Ue;    /* type 3: upper Cholesky factor of the 2N x 2N coarse matrix */
  const double *x;     /* type 3: inputs N x d */
  double *cw;          /* type 3: 2N scratch */
  int N, d;
  double lambda;
} kpre;

/* out = A v */
static void kop_apply(kop *op, const double *v, double *out) {
  ptrdiff_t n = op->n;
  if (op->F) {
    int N = op->N, d = op->d;
    double sl = sqrt(op->lambda), r = op->ridge, lam = op->lambda;
    double *w = op->work;
    for (ptrdiff_t i = 0; i < N; i++) w[i] = v[i];
    for (ptrdiff_t i = N; i < n; i++) w[i] = sl * v[i];
    const void *vmax = vmaxget();
    jacobian_matvec(op->F, op->x, op->x, N, N, d, w, 1, out, op->rho);
    vmaxset(vmax);
    for (ptrdiff_t i = 0; i < N; i++) out[i] += r * v[i];
    for (ptrdiff_t i = N; i < n; i++) out[i] = sl * out[i] + r * lam * v[i];
  } else {
    SEXP vv = PROTECT(Rf_allocVector(REALSXP, n));
    memcpy(REAL(vv), v, (size_t) n * sizeof(double));
    SEXP call = PROTECT(Rf_lang2(op->fun, vv));
    SEXP res = PROTECT(Rf_eval(call, op->env));
    if (!Rf_isReal(res) || XLENGTH(res) != n)
      Rf_error("the product function must return %.0f doubles", (double) n);
    const double *pr = REAL(res);
    for (ptrdiff_t i = 0; i < n; i++) {
      if (!R_FINITE(pr[i])) Rf_error("the product function returned a non-finite value");
      out[i] = pr[i];
    }
    UNPROTECT(3);
  }
  op->products++;
}

/* z = M^{-1} r */
static void kpre_apply(const kpre *p, const double *r, double *z, ptrdiff_t n) {
  if (p->type == 0) {
    memcpy(z, r, (size_t) n * sizeof(double));
    return;
  }
  if (p->type == 1) {
    for (ptrdiff_t i = 0; i < n; i++) z[i] = p->dinv[i] * r[i];
    return;
  }
  int N = p->N, d = p->d, one = 1, info = 0;
  double done = 1.0;
  memcpy(z, r, (size_t) n * sizeof(double));
  F77_CALL(dpotrs)("U", &N, &one, p->Uf, &N, z, &N, &info FCONE);
  if (info != 0) Rf_error("dpotrs failed (info = %d)", info);
  if (d > 0 && n > N) {
    double *Z = z + N; /* d x N: column b is the Jacobian part at point b */
    /* Z := Z U^{-1}, then Z := Z U^{-T}: Z (U'U)^{-1} */
    F77_CALL(dtrsm)("R", "U", "N", "N", &d, &N, &done, p->Uj, &N, Z, &d FCONE FCONE FCONE FCONE);
    F77_CALL(dtrsm)("R", "U", "T", "N", &d, &N, &done, p->Uj, &N, Z, &d FCONE FCONE FCONE FCONE);
    double s = 1.0 / p->lambda;
    for (ptrdiff_t i = N; i < n; i++) z[i] *= s;
  }
  if (p->type == 3) {
    /* additive coarse correction z += Z E^{-1} Z' r on the 2N directions
     * "output at point a" and "Jacobian at point a along x_a" (the radial
     * direction, through which f and its Jacobian are most strongly coupled:
     * Euler's relation for kernels of x.x'), E = Z' A Z computed in R from the
     * scalars */
    double *c = p->cw;
    const double *x = p->x;
    int N2 = 2 * N;
    for (int a = 0; a < N; a++) {
      c[a] = r[a];
      double s = 0;
      const double *ra = r + N + (ptrdiff_t) a * d;
      for (int i = 0; i < d; i++) s += x[a + (ptrdiff_t) i * N] * ra[i];
      c[N + a] = s;
    }
    F77_CALL(dpotrs)("U", &N2, &one, p->Ue, &N2, c, &N2, &info FCONE);
    if (info != 0) Rf_error("dpotrs failed (info = %d)", info);
    for (int a = 0; a < N; a++) {
      z[a] += c[a];
      double *za = z + N + (ptrdiff_t) a * d;
      for (int i = 0; i < d; i++) za[i] += c[N + a] * x[a + (ptrdiff_t) i * N];
    }
  }
}

static double dot(const double *a, const double *b, ptrdiff_t n) {
  double s = 0;
  for (ptrdiff_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* Preconditioned CG for A x = b from x (initial guess, overwritten).
 * Stops when the recurrence residual is below tol |b|, then checks the true
 * residual b - A x (one more product) and goes on from it if rounding has
 * made the two drift apart. hist (maxit + 1) receives relative residuals.
 * Returns the iterations; *res the final true relative residual. */
static int pcg_solve(kop *op, const kpre *pre, const double *b, double *x, double tol,
                     int maxit, double *hist, int *nhist, double *res, int verbose) {
  ptrdiff_t n = op->n;
  double *r = (double *) R_alloc(n, sizeof(double));
  double *z = (double *) R_alloc(n, sizeof(double));
  double *p = (double *) R_alloc(n, sizeof(double));
  double *q = (double *) R_alloc(n, sizeof(double));
  double bn = sqrt(dot(b, b, n));
  *nhist = 0;
  if (bn == 0) {
    for (ptrdiff_t i = 0; i < n; i++) x[i] = 0;
    *res = 0;
    hist[(*nhist)++] = 0;
    return 0;
  }
  int it = 0;
  for (int restart = 0; restart < 5; restart++) {
    /* r = b - A x */
    kop_apply(op, x, q);
    for (ptrdiff_t i = 0; i < n; i++) r[i] = b[i] - q[i];
    double rel = sqrt(dot(r, r, n)) / bn;
    if (*nhist <= maxit) hist[(*nhist)++] = rel;
    if (rel <= tol || it >= maxit) {
      *res = rel;
      return it;
    }
    kpre_apply(pre, r, z, n);
    memcpy(p, z, (size_t) n * sizeof(double));
    double rz = dot(r, z, n);
    while (it < maxit) {
      R_CheckUserInterrupt();
      kop_apply(op, p, q);
      double pq = dot(p, q, n);
      if (!(pq > 0)) break; /* not positive definite (to rounding): stop, report */
      double alpha = rz / pq;
      for (ptrdiff_t i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * q[i];
      }
      it++;
      rel = sqrt(dot(r, r, n)) / bn;
      if (*nhist <= maxit) hist[(*nhist)++] = rel;
      if (verbose && (it % 10 == 0)) {
        Rprintf("\r  CG iteration %d, relative residual %.3e   ", it, rel);
        R_FlushConsole();
      }
      if (!R_FINITE(rel)) break;
      if (rel <= tol) break;
      kpre_apply(pre, r, z, n);
      double rz1 = dot(r, z, n);
      double beta = rz1 / rz;
      rz = rz1;
      for (ptrdiff_t i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    }
    if (!(rel <= tol)) {
      /* ran out of iterations or lost definiteness: the true residual */
      kop_apply(op, x, q);
      double s = 0;
      for (ptrdiff_t i = 0; i < n; i++) s += (b[i] - q[i]) * (b[i] - q[i]);
      *res = sqrt(s) / bn;
      if (verbose) Rprintf("\n");
      return it;
    }
  }
  kop_apply(op, x, q);
  double s = 0;
  for (ptrdiff_t i = 0; i < n; i++) s += (b[i] - q[i]) * (b[i] - q[i]);
  *res = sqrt(s) / bn;
  if (verbose) Rprintf("\n");
  return it;
}

/* ------------------------------------------------------------ entry points */

/* op: list(F, x, lambda, ridge) for a structured kernel, or list(fun, n) for
 * an R function computing A v. */
static void kop_setup(kop *op, SEXP opl, SEXP env) {
  if (!Rf_isNewList(opl)) Rf_error("'op' must be a list");
  memset(op, 0, sizeof(kop));
  if (XLENGTH(opl) == 4) {
    SEXP F = VECTOR_ELT(opl, 0), x = VECTOR_ELT(opl, 1);
    int N, d;
    op->x = jntk_real_matrix(x, "x", &N, &d);
    if (!Rf_isReal(F) || XLENGTH(F) != (R_xlen_t) N * N * 8)
      Rf_error("'F' must hold N x N x 8 doubles");
    op->F = REAL(F);
    op->N = N;
    op->d = d;
    op->lambda = jntk_real_scalar(VECTOR_ELT(opl, 2), "lambda");
    op->ridge = jntk_real_scalar(VECTOR_ELT(opl, 3), "ridge");
    if (!(op->lambda > 0) || op->ridge < 0) Rf_error("need lambda > 0 and ridge >= 0");
    op->n = (ptrdiff_t) N * (d + 1);
  } else if (XLENGTH(opl) == 2) {
    op->fun = VECTOR_ELT(opl, 0);
    if (!Rf_isFunction(op->fun)) Rf_error("'op$fun' must be a function");
    op->n = (ptrdiff_t) jntk_real_scalar(VECTOR_ELT(opl, 1), "n");
    if (op->n < 1) Rf_error("'n' must be positive");
    op->env = env;
  } else {
    Rf_error("'op' must be list(F, x, lambda, ridge) or list(fun, n)");
  }
  op->work = (double *) R_alloc(op->n, sizeof(double));
  if (op->F && op->N > 0 && op->d > 0) {
    op->rho = (double *) R_alloc((size_t) op->N * op->N, sizeof(double));
    jacobian_cosines(op->x, op->x, op->N, op->N, op->d, op->rho);
  }
}

/* pre: NULL, list(dinv), or list(Uf, Uj, lambda). */
static void kpre_setup(kpre *pre, SEXP prl, const kop *op) {
  memset(pre, 0, sizeof(kpre));
  if (Rf_isNull(prl)) return;
  if (!Rf_isNewList(prl)) Rf_error("'pre' must be NULL or a list");
  if (XLENGTH(prl) == 1) {
    SEXP dv = VECTOR_ELT(prl, 0);
    if (!Rf_isReal(dv) || XLENGTH(dv) != op->n) Rf_error("'dinv' must have n doubles");
    pre->type = 1;
    pre->dinv = REAL(dv);
    return;
  }
  if ((XLENGTH(prl) != 3 && XLENGTH(prl) != 4) || !op->F)
    Rf_error("a block preconditioner needs a structured operator");
  int r1, c1, r2, c2;
  pre->Uf = jntk_real_matrix(VECTOR_ELT(prl, 0), "Uf", &r1, &c1);
  pre->Uj = jntk_real_matrix(VECTOR_ELT(prl, 1), "Uj", &r2, &c2);
  if (r1 != op->N || c1 != op->N || r2 != op->N || c2 != op->N)
    Rf_error("the Cholesky factors must be N x N");
  pre->lambda = jntk_real_scalar(VECTOR_ELT(prl, 2), "lambda");
  if (!(pre->lambda > 0)) Rf_error("need lambda > 0");
  pre->type = 2;
  pre->N = op->N;
  pre->d = op->d;
  if (XLENGTH(prl) == 4) {
    pre->Ue = jntk_real_matrix(VECTOR_ELT(prl, 3), "Ue", &r1, &c1);
    if (r1 != 2 * op->N || c1 != 2 * op->N) Rf_error("the coarse factor must be 2N x 2N");
    pre->x = op->x;
    pre->cw = (double *) R_alloc(2 * (size_t) op->N, sizeof(double));
    pre->type = 3;
  }
}

SEXP krylov_apply(SEXP opl, SEXP V, SEXP env) {
  kop op;
  kop_setup(&op, opl, env);
  int nr, nc;
  const double *v = jntk_real_matrix(V, "V", &nr, &nc);
  if (nr != op.n) Rf_error("'V' must have %.0f rows", (double) op.n);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, nr, nc));
  for (int k = 0; k < nc; k++) {
    kop_apply(&op, v + (ptrdiff_t) k * nr, REAL(out) + (ptrdiff_t) k * nr);
    R_CheckUserInterrupt();
  }
  UNPROTECT(1);
  return out;
}

SEXP krylov_precondition(SEXP opl, SEXP prl, SEXP V, SEXP env) {
  kop op;
  kop_setup(&op, opl, env);
  kpre pre;
  kpre_setup(&pre, prl, &op);
  int nr, nc;
  const double *v = jntk_real_matrix(V, "V", &nr, &nc);
  if (nr != op.n) Rf_error("'V' must have %.0f rows", (double) op.n);
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, nr, nc));
  for (int k = 0; k < nc; k++)
    kpre_apply(&pre, v + (ptrdiff_t) k * nr, REAL(out) + (ptrdiff_t) k * nr, op.n);
  UNPROTECT(1);
  return out;
}

/* Solve A X = B column by column. Returns list(x, iterations, residual,
 * history (list of relative residuals per column), products). */
SEXP krylov_cg(SEXP opl, SEXP prl, SEXP B, SEXP X0, SEXP tol, SEXP maxit, SEXP verbose,
               SEXP env) {
  kop op;
  kop_setup(&op, opl, env);
  kpre pre;
  kpre_setup(&pre, prl, &op);
  int nr, nc, r0, c0;
  const double *b = jntk_real_matrix(B, "B", &nr, &nc);
  if (nr != op.n) Rf_error("'B' must have %.0f rows", (double) op.n);
  const double *x0 = NULL;
  if (!Rf_isNull(X0)) {
    x0 = jntk_real_matrix(X0, "X0", &r0, &c0);
    if (r0 != nr || c0 != nc) Rf_error("'X0' must have the dimensions of 'B'");
  }
  double tl = jntk_real_scalar(tol, "tol");
  int mi = jntk_int_scalar(maxit, "maxit"), vb = jntk_int_scalar(verbose, "verbose");
  if (!(tl > 0) || mi < 0) Rf_error("need tol > 0 and maxit >= 0");
  SEXP res = PROTECT(Rf_allocVector(VECSXP, 5));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, 5));
  const char *nm[] = {"x", "iterations", "residual", "history", "products"};
  for (int i = 0; i < 5; i++) SET_STRING_ELT(nms, i, Rf_mkChar(nm[i]));
  Rf_setAttrib(res, R_NamesSymbol, nms);
  SEXP X = PROTECT(Rf_allocMatrix(REALSXP, nr, nc));
  SEXP its = PROTECT(Rf_allocVector(INTSXP, nc));
  SEXP rr = PROTECT(Rf_allocVector(REALSXP, nc));
  SEXP hl = PROTECT(Rf_allocVector(VECSXP, nc));
  double *hist = (double *) R_alloc((size_t) mi + 8, sizeof(double));
  for (int k = 0; k < nc; k++) {
    double *xk = REAL(X) + (ptrdiff_t) k * nr;
    if (x0) memcpy(xk, x0 + (ptrdiff_t) k * nr, (size_t) nr * sizeof(double));
    else for (ptrdiff_t i = 0; i < nr; i++) xk[i] = 0;
    int nh = 0;
    const void *vmax = vmaxget();
    INTEGER(its)[k] = pcg_solve(&op, &pre, b + (ptrdiff_t) k * nr, xk, tl, mi, hist, &nh,
                                REAL(rr) + k, vb);
    SEXP h = PROTECT(Rf_allocVector(REALSXP, nh));
    memcpy(REAL(h), hist, (size_t) nh * sizeof(double));
    SET_VECTOR_ELT(hl, k, h);
    UNPROTECT(1);
    vmaxset(vmax);
  }
  SET_VECTOR_ELT(res, 0, X);
  SET_VECTOR_ELT(res, 1, its);
  SET_VECTOR_ELT(res, 2, rr);
  SET_VECTOR_ELT(res, 3, hl);
  SET_VECTOR_ELT(res, 4, Rf_ScalarReal((double) op.products));
  UNPROTECT(6);
  return res;
}
