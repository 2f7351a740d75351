/* The plain kernels (NNGP, NTK) of the closed-form activations that dominate
 * use, the kinked family (relu, leaky relu, abs, identity) and erf, as
 * branchless loops the compiler vectorises (math.md §2-3; the general path
 * for every activation is kernels.c).
 *
 * Loop order: columns j outer (split over threads), then layers, then rows
 * i inner, so a column's state (covariance, tangent kernel, angle code)
 * stays in cache through all layers while the row loop runs in SIMD lanes.
 * The per-point variances of every layer are computed first (O(n depth)).
 *
 * The only transcendental is one arcsine per pair and layer, of an argument
 * in [0, 1/sqrt 2]: with t = |cos theta| and u = sin theta (or the other
 * way round, whichever is smaller), asin(t) = pi/4 + asin((t - u)/sqrt 2)
 * above 1/2, and the arcsine of an argument below 1/2 is fdlibm's rational
 * approximation (error below 2^-58.75 relative). No branch depends on the
 * data: both sides of every choice are computed and selected.
 *
 * The kinked family keeps the digits of near-parallel and near-antiparallel
 * pairs as kernels.c does (dual_kink_next()): each pair carries, besides its
 * covariance, the smaller of 1 - cos theta and 1 + cos theta, encoded in one
 * number w (w = 1 - cos theta >= 0 when cos theta >= 0, else
 * w = -(1 + cos theta) < 0, never -0), and the next layer's pair comes from
 * the same sums of non-negative terms; the first layer's from the inputs
 * (|x^ -/+ x^'|^2 / 2 where |rho0| > 1 - 1e-4).
 *
 * Each number is computed by the same operations whatever the thread count
 * (a column is one thread's, rows are never split), so results do not
 * depend on it. Floating-point contraction is off in this file so that the
 * SIMD body and the scalar remainder of a row loop round alike. */
#if defined(__GNUC__) && !defined(__clang__)
/* sqrt without errno and selects over divisions need these to vectorise */
#pragma GCC optimize("no-math-errno", "no-trapping-math", "fp-contract=off", "vect-cost-model=dynamic")
#elif defined(__clang__)
#pragma clang fp contract(off)
#endif
#include <float.h>
#include <string.h>
#include "jntk.h"
#include "dual.h"
#include "kernels.h"
#include "plain.h"
#include "linalg.h"
#include "plain_math.h"

/* pairs x layers between interrupt checks (a few milliseconds) */
#define PLAIN_CHUNK 1048576.0
#define PLAIN_MAX_DEPTH 64

const char *plain_simd_level(void) {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
  __builtin_cpu_init();
#ifdef PLAIN_HAS_CLONES
  if (__builtin_cpu_supports("avx512f")) return "AVX-512 (function multi-versioning)";
  if (__builtin_cpu_supports("avx2")) return "AVX2 (function multi-versioning)";
#endif
  return "SSE2";
#elif defined(__x86_64__) || defined(_M_X64)
  return "SSE2";
#elif defined(__aarch64__)
  return "NEON";
#else
  return "the compiler's default";
#endif
}

int plain_fast_handles(const kpar *kp, int n1) {
  /* the NTK parametrisation only (the standard one's NTK weight terms carry
   * the widths: kernels.c); per point and layer data stay small, and one
   * column of all layers stays within the work between two interrupt
   * checks; else kernels.c's layer-by-layer sweep */
  int act = kp->act, depth = kp->depth;
  return !kp->std && (dual_is_kinked(act) || act == ACT_ERF) && depth >= 1 &&
         depth <= PLAIN_MAX_DEPTH && (double) n1 * (depth + 1) <= PLAIN_CHUNK;
}

/* Per-point data of one side: norms and, per layer l = 0..L, the variance
 * entering hidden layer l + 1 (v[l]) and its square root. */
typedef struct {
  double *nrm, *v, *r, *q; /* q: 1 / sqrt(1 + 2 v) (erf), 1 / sqrt(v) (kinked) */
  int n;
} pside;

static void pside_fill(const kpar *kp, const kside *s, pside *p) {
  int n = s->n, L = kp->depth;
  p->n = n;
  p->nrm = (double *) R_alloc(n, sizeof(double));
  p->v = (double *) R_alloc((size_t) n * (L + 1), sizeof(double));
  p->r = (double *) R_alloc((size_t) n * (L + 1), sizeof(double));
  p->q = (double *) R_alloc((size_t) n * (L + 1), sizeof(double));
  int erf = kp->act == ACT_ERF;
  double al0 = kp->sw2 / kp->d;
  for (int i = 0; i < n; i++) {
    p->nrm[i] = sqrt(s->q[i]);
    double a = al0 * s->q[i] + kp->sb2;
    for (int l = 0; l <= L; l++) {
      p->v[i + (ptrdiff_t) l * n] = a;
      p->r[i + (ptrdiff_t) l * n] = sqrt(a);
      p->q[i + (ptrdiff_t) l * n] = erf ? 1.0 / sqrt(1.0 + 2.0 * a) : 1.0 / sqrt(a);
      double g, dg;
      dual_diag(kp, a, &g, &dg);
      a = kp->sw2 * g + kp->sb2;
    }
  }
}

/* First layer of column j: c holds the Gram column on entry and the
 * covariance on exit; w the angle code; th (if any) the tangent kernel. */
JNTK_INLINE void first_rows_t(const int has_th, int n, double al0, double be,
                              const double *restrict nrm, const double *restrict ra, double m,
                              double rb, const double *restrict gr, double *restrict c,
                              double *restrict w, double *restrict th) {
  for (int i = 0; i < n; i++) {
    double nn = nrm[i], nm = nn * m, p = gr[i], S = ra[i] * rb;
    /* |x||x'| (1 -/+ cos theta0) = |x||x'| -/+ <x, x'>: no division */
    double dn = nn - m, e = S > 0 ? al0 * be * dn * dn / (S + al0 * nm + be) : 0.0;
    double gap = e + al0 * (nm - p), anti = e + al0 * (nm + p) + 2.0 * be;
    gap = gap > 0 ? gap : 0.0;
    anti = anti > 0 ? anti : 0.0;
    double tot = gap + anti;
    int okt = (S > 0) & (tot > 0);
    double it = 2.0 / tot, omc = okt ? gap * it : 1.0, opc = okt ? anti * it : 1.0;
    double cv = al0 * p + be;
    w[i] = w_encode(omc, opc);
    c[i] = cv;
    if (has_th) th[i] = cv;
  }
}

static PLAIN_CLONES void first_rows(int n, double al0, double be, const double *nrm,
                                    const double *ra, double m, double rb, const double *gr,
                                    double *c, double *w, double *th) {
  if (th)
    first_rows_t(1, n, al0, be, nrm, ra, m, rb, gr, c, w, th);
  else
    first_rows_t(0, n, al0, be, nrm, ra, m, rb, gr, c, w, th);
}

/* Rows 0..n-1 of columns j..j+nc-1 (nc <= PLAIN_GW) of the Gram matrix,
 * g[i + c n1] = sum_k x1[i, k] x2[j + c, k], each summed in the order
 * k = 0..d-1 from 0 (as sq_norms() sums the squared norms, so a point's Gram
 * entry with itself is its squared norm exactly). Register-blocked: for 8
 * rows at a time the PLAIN_GW sums stay in registers through the k loop, one
 * load of x1 serving PLAIN_GW products. */
#define PLAIN_GW 4
#define PLAIN_GR 8
static PLAIN_CLONES void gram_cols(int n, int d, const double *restrict x1, int ld1,
                                   const double *restrict y, int ldy, int nc,
                                   double *restrict g, int ldg) {
  double yk[PLAIN_GW];
  int i0 = 0;
  if (nc == PLAIN_GW) {
    for (; i0 + PLAIN_GR <= n; i0 += PLAIN_GR) {
      double a0[PLAIN_GR] = {0}, a1[PLAIN_GR] = {0}, a2[PLAIN_GR] = {0}, a3[PLAIN_GR] = {0};
      for (int k = 0; k < d; k++) {
        const double *xk = x1 + (ptrdiff_t) k * ld1 + i0;
        const double y0 = y[(ptrdiff_t) k * ldy], y1 = y[(ptrdiff_t) k * ldy + 1],
                     y2 = y[(ptrdiff_t) k * ldy + 2], y3 = y[(ptrdiff_t) k * ldy + 3];
        for (int r = 0; r < PLAIN_GR; r++) {
          double xv = xk[r];
          a0[r] += xv * y0;
          a1[r] += xv * y1;
          a2[r] += xv * y2;
          a3[r] += xv * y3;
        }
      }
      for (int r = 0; r < PLAIN_GR; r++) {
        g[i0 + r] = a0[r];
        g[i0 + r + ldg] = a1[r];
        g[i0 + r + 2 * (ptrdiff_t) ldg] = a2[r];
        g[i0 + r + 3 * (ptrdiff_t) ldg] = a3[r];
      }
    }
  }
  for (int c = 0; c < nc; c++) {
    double *gc = g + (ptrdiff_t) c * ldg;
    for (int i = i0; i < n; i++) gc[i] = 0.0;
    for (int k = 0; k < d; k++) {
      const double *xk = x1 + (ptrdiff_t) k * ld1;
      yk[0] = y[(ptrdiff_t) k * ldy + c];
      for (int i = i0; i < n; i++) gc[i] += xk[i] * yk[0];
    }
  }
}

/* kappa^2 times rows 0..n-1; whether one is not finite. */
static PLAIN_CLONES int scale_rows(int n, double k2, double *restrict c) {
  int bad = 0;
  for (int i = 0; i < n; i++) {
    double v = c[i] * k2;
    c[i] = v;
    bad |= !(fabs(v) <= DBL_MAX);
  }
  return bad;
}

/* Whether a row of the column may have |rho0| > 1 - 1e-4 (a vectorised scan
 * without divisions, with a margin; first_fix() decides exactly). */
static PLAIN_CLONES int near_parallel(int n, const double *restrict nrm, double m,
                                      const double *restrict gram) {
  int any = 0;
  for (int i = 0; i < n; i++) any |= fabs(gram[i]) > (1.0 - 2e-4) * (nrm[i] * m);
  return any;
}

/* The first layer's near-parallel pairs from the inputs (rare: a scan, then
 * O(d) for each such pair). */
static void first_fix(const kpar *kp, const kside *s1, const kside *s2, const pside *p1,
                      const pside *p2, int j, int n, const double *gram, double *w) {
  if (!s1->x || !s2->x) return;
  double m = p2->nrm[j], al0 = kp->sw2 / kp->d, be = kp->sb2;
  if (!(m > 0) || !near_parallel(n, p1->nrm, m, gram)) return;
  for (int i = 0; i < n; i++) {
    double nn = p1->nrm[i];
    /* near_parallel()'s test first: no division for the many rows it excludes */
    if (!(nn > 0) || !(fabs(gram[i]) > (1.0 - 2e-4) * (nn * m))) continue;
    double rho = (gram[i] / nn) / m;
    if (!(fabs(rho) > 1.0 - 1e-4)) continue;
    double sm = 0.0, sp = 0.0, in = 1.0 / nn, im = 1.0 / m;
    for (int k = 0; k < kp->d; k++) {
      double u = s1->x[i + (ptrdiff_t) k * s1->n] * in, v = s2->x[j + (ptrdiff_t) k * s2->n] * im;
      sm += (u - v) * (u - v);
      sp += (u + v) * (u + v);
    }
    double S = p1->r[i] * p2->r[j], nm = nn * m;
    if (!(S > 0)) continue;
    double dn = nn - m, e = al0 * be * dn * dn / (S + al0 * nm + be);
    double gap = e + al0 * nm * 0.5 * sm, anti = e + al0 * nm * 0.5 * sp + 2.0 * be;
    gap = gap > 0 ? gap : 0.0;
    anti = anti > 0 ? anti : 0.0;
    double tot = gap + anti;
    if (tot > 0) w[i] = w_encode(2.0 * gap / tot, 2.0 * anti / tot);
  }
}

/* Rows per block of the split row loops below. A layer's work per pair is
 * one long chain of dependent operations (a square root, two polynomials,
 * divisions); as one loop body it is too long for the processor to overlap
 * consecutive iterations, and the loop runs at the chain's latency. Split
 * into short loops over a block of rows, with the block's intermediate
 * values in small arrays, each loop's iterations are independent and run at
 * the throughput of the vector units. Every number is computed by the same
 * operations as in one loop. */
#define PLAIN_BLOCK 128

/* The layer's covariance and tangent kernel, and the terms of the next
 * layer's angle (phase 2). */
JNTK_INLINE void kink_values_t(const int has_th, int n, const kink_consts *kc,
                               const double *restrict va, const double *restrict ra, double b,
                               double rb, const double *restrict w, const double *restrict thb,
                               const double *restrict snb, double *restrict c,
                               double *restrict th, double *restrict Gb, double *restrict Jb) {
  const double A = kc->A, B = kc->B, sw2 = kc->sw2, be = kc->sb2;
  for (int i = 0; i < n; i++) {
    double ci = c[i], wi = w[i], s = ra[i] * rb, thv = thb[i], sn = snb[i];
    int ok = va[i] * b > 0;
    int pos = wi >= 0;
    double omc = pos ? wi : 2.0 + wi, cs = pos ? 1.0 - omc : -wi - 1.0;
    double asr = PIO2 - thv; /* asin(rho) */
    double g = ok ? A * ci + B * TWO_OVER_PI * (s * sn + asr * ci) : A * ci;
    double gd = ok ? A + B * (1.0 - TWO_OVER_PI * thv) : A;
    double cn = sw2 * g + be;
    if (has_th) th[i] = cn + sw2 * gd * th[i];
    c[i] = cn;
    /* sin - theta cos; kink_small_t() redoes the rows with theta <= 1/2 */
    double G = omc - TWO_OVER_PI * (sn - thv * cs);
    Gb[i] = G > 0 ? G : 0.0;
    Jb[i] = sn + asr * cs;
  }
}

/* One hidden layer of the kinked family over rows 0..n-1 of a column (the
 * arc-cosine recursion of dual_closed() and dual_kink_next() in the
 * variables 1 -/+ cos theta), in blocks of PLAIN_BLOCK rows. */
JNTK_INLINE void kink_rows_t(const int has_th, int n, const kink_consts *kc,
                             const double *restrict va, const double *restrict ra,
                             const double *restrict ra1, const double *restrict qa, double b,
                             double rb, double rb1, double qb, double *restrict c,
                             double *restrict w, double *restrict th) {
  double thb[PLAIN_BLOCK], snb[PLAIN_BLOCK], Gb[PLAIN_BLOCK], Jb[PLAIN_BLOCK];
  for (int i0 = 0; i0 < n; i0 += PLAIN_BLOCK) {
    int m = n - i0 < PLAIN_BLOCK ? n - i0 : PLAIN_BLOCK;
    int small = kink_angle_t(m, w + i0, thb, snb);
    kink_values_t(has_th, m, kc, va + i0, ra + i0, b, rb, w + i0, thb, snb, c + i0,
                  has_th ? th + i0 : NULL, Gb, Jb);
    if (small) kink_small_t(m, w + i0, thb, snb, Gb);
    kink_next_t(m, kc, va + i0, ra1 + i0, qa + i0, b, qb, rb1, Gb, Jb, w + i0);
  }
}

static PLAIN_CLONES void kink_rows(int n, const kink_consts *kc, const double *va,
                                   const double *ra, const double *ra1, const double *qa,
                                   double b, double rb, double rb1, double qb, double *c,
                                   double *w, double *th) {
  if (th)
    kink_rows_t(1, n, kc, va, ra, ra1, qa, b, rb, rb1, qb, c, w, th);
  else
    kink_rows_t(0, n, kc, va, ra, ra1, qa, b, rb, rb1, qb, c, w, th);
}

/* erf, phase 1: rho = 2 c / sqrt((1 + 2a)(1 + 2b)) and t = sqrt(1 - rho^2)
 * (clamped) of each row, and the derivative's 4/pi / sqrt(R), R = 1 + 2(a + b)
 * + 4D: one square root and one division per pair, the per-point
 * 1/sqrt(1 + 2a) (qa) and 1/sqrt(1 + 2b) (qb) computed once per point. */
JNTK_INLINE void erf_args_t(const int has_w, int n, const double *restrict va, double b,
                            double rb, double qb, const double *restrict ra,
                            const double *restrict qa, const double *restrict w,
                            const double *restrict c, double *restrict rhob,
                            double *restrict tb, double *restrict gdb) {
  for (int i = 0; i < n; i++) {
    double a = va[i], ci = c[i], D;
    if (has_w) {
      double wi = w[i];
      int pos = wi >= 0;
      double omc = pos ? wi : 2.0 + wi, opc = pos ? 2.0 - wi : -wi, s = ra[i] * rb;
      D = s * s * (omc * opc);
    } else {
      D = a * b - ci * ci;
      D = D > 0 ? D : 0.0;
    }
    double R = 1.0 + 2.0 * (a + b) + 4.0 * D, den = sqrt(R), iq = qa[i] * qb;
    double t = den * iq;
    rhob[i] = 2.0 * ci * iq; /* the sign is taken again in phase 2 */
    tb[i] = t < 1 ? t : 1.0;
    gdb[i] = 2.0 * TWO_OVER_PI / den;
  }
}

/* erf, phase 2: the layer's covariance and tangent kernel. */
JNTK_INLINE void erf_values_t(const int has_th, int n, double sw2, double be,
                              const double *restrict rhob, const double *restrict tb,
                              const double *restrict gdb, double *restrict c,
                              double *restrict th) {
  for (int i = 0; i < n; i++) {
    double rho = rhob[i], ar = fabs(rho);
    double as = asin_pair(ar, tb[i]);
    double g = TWO_OVER_PI * (rho < 0 ? -as : as);
    double cn = sw2 * g + be;
    if (has_th) th[i] = cn + sw2 * gdb[i] * th[i];
    c[i] = cn;
  }
}

/* One hidden layer of erf over rows 0..n-1 (dual_closed()): the gap
 * D = ab - c^2 from the angle code on the first layer (w non-NULL), from
 * the covariances after; in blocks of PLAIN_BLOCK rows. */
JNTK_INLINE void erf_rows_t(const int has_th, const int has_w, int n, double sw2, double be,
                            const double *restrict va, double b, double rb, double qb,
                            const double *restrict ra, const double *restrict qa,
                            const double *restrict w, double *restrict c, double *restrict th) {
  double rhob[PLAIN_BLOCK], tb[PLAIN_BLOCK], gdb[PLAIN_BLOCK];
  for (int i0 = 0; i0 < n; i0 += PLAIN_BLOCK) {
    int m = n - i0 < PLAIN_BLOCK ? n - i0 : PLAIN_BLOCK;
    erf_args_t(has_w, m, va + i0, b, rb, qb, ra + i0, qa + i0, has_w ? w + i0 : NULL, c + i0, rhob,
               tb, gdb);
    erf_values_t(has_th, m, sw2, be, rhob, tb, gdb, c + i0, has_th ? th + i0 : NULL);
  }
}

static PLAIN_CLONES void erf_rows(int n, double sw2, double be, const double *va, double b,
                                  double rb, double qb, const double *ra, const double *qa,
                                  const double *w, double *c, double *th) {
  if (th && w)
    erf_rows_t(1, 1, n, sw2, be, va, b, rb, qb, ra, qa, w, c, th);
  else if (th)
    erf_rows_t(1, 0, n, sw2, be, va, b, rb, qb, ra, qa, w, c, th);
  else if (w)
    erf_rows_t(0, 1, n, sw2, be, va, b, rb, qb, ra, qa, w, c, th);
  else
    erf_rows_t(0, 0, n, sw2, be, va, b, rb, qb, ra, qa, w, c, th);
}

/* Columns [j0, j1) of all layers; whether a value overflowed. */
static int plain_columns(const kpar *kp, const kside *s1, const kside *s2, const pside *p1,
                         const pside *p2, int sym, double *c, double *th, double *wbuf, int j0,
                         int j1, int nt) {
  int n1 = s1->n, n2 = s2->n, L = kp->depth, kink = dual_is_kinked(kp->act), over = 0;
  double al0 = kp->sw2 / kp->d;
  kink_consts kc = {0, 0, kp->sw2, kp->sb2, 0};
  if (kink) {
    double A1 = kp->A1, B1 = kp->B1; /* dual_kink_coefs(), set by fill_kpar() */
    kc.A = A1 * A1;
    kc.B = B1 * B1;
    kc.alpha = kp->sw2 * (kc.A + kc.B);
  }
  int ng = (j1 - j0 + PLAIN_GW - 1) / PLAIN_GW;
  JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1) reduction(| : over))
  for (int gi = 0; gi < ng; gi++) {
    int jg = j0 + gi * PLAIN_GW, nc = j1 - jg < PLAIN_GW ? j1 - jg : PLAIN_GW;
    double *w = wbuf + (ptrdiff_t) jntk_thread_id() * (PLAIN_GW + 1) * n1, *grams = w + n1;
    /* the group's Gram columns, rows 0..(last column) in the symmetric case */
    gram_cols(sym ? jg + nc : n1, kp->d, s1->x, n1, s2->x + jg, n2, nc, grams, n1);
    for (int jc = 0; jc < nc; jc++) {
      int j = jg + jc, n = sym ? j + 1 : n1;
      ptrdiff_t off = (ptrdiff_t) j * n1;
      double *cj = c + off, *tj = th ? th + off : NULL, *gram = grams + (ptrdiff_t) jc * n1;
      first_rows(n, al0, kp->sb2, p1->nrm, p1->r, p2->nrm[j], p2->r[j], gram, cj, w, tj);
      first_fix(kp, s1, s2, p1, p2, j, n, gram, w);
      for (int l = 0; l < L; l++) {
        ptrdiff_t lo = (ptrdiff_t) l * n1, lo2 = (ptrdiff_t) l * n2;
        if (kink)
          kink_rows(n, &kc, p1->v + lo, p1->r + lo, p1->r + lo + n1, p1->q + lo,
                    p2->v[j + lo2], p2->r[j + lo2], p2->r[j + lo2 + n2], p2->q[j + lo2], cj,
                    w, tj);
        else
          erf_rows(n, kp->sw2, kp->sb2, p1->v + lo, p2->v[j + lo2], p2->r[j + lo2],
                   p2->q[j + lo2], p1->r + lo, p1->q + lo, l == 0 ? w : NULL, cj, tj);
      }
      over |= scale_rows(n, kp->k2, cj);
      if (tj) over |= scale_rows(n, kp->k2, tj);
    }
  }
  return over;
}

/* Squared norms in the order of gram_cols(). */
static void sq_norms(const kside *s, int d, double *q) {
  for (int i = 0; i < s->n; i++) q[i] = 0.0;
  for (int k = 0; k < d; k++)
    for (int i = 0; i < s->n; i++) {
      double v = s->x[i + (ptrdiff_t) k * s->n];
      q[i] += v * v;
    }
}

void plain_fast_kernel(const kpar *kp, const kside *s1, const kside *s2, int sym, double *c,
                       double *th, kfail *fail, int nthreads) {
  int n1 = s1->n, n2 = s2->n, L = kp->depth;
  sq_norms(s1, kp->d, (double *) s1->q);
  if (!sym) sq_norms(s2, kp->d, (double *) s2->q);
  pside p1, p2;
  pside_fill(kp, s1, &p1);
  if (sym)
    p2 = p1;
  else
    pside_fill(kp, s2, &p2);
  double work = (double) n1 * n2 * (L + 0.02 * kp->d);
  int nt = jntk_threads(nthreads, work, JNTK_GRAIN_PAIR_LAYERS);
  double *wbuf = (double *) R_alloc((size_t) nt * (PLAIN_GW + 1) * n1, sizeof(double));
  double per_col = (double) n1 * (L + 1), chunk = PLAIN_CHUNK * (nt > 1 ? nt : 1);
  int j0 = 0, over = 0;
  while (j0 < n2) {
    int j1 = j0;
    double acc = 0;
    while (j1 < n2 && acc < chunk) {
      acc += sym ? (double) (j1 + 1) * (L + 1) : per_col;
      j1++;
    }
    over |= plain_columns(kp, s1, s2, &p1, &p2, sym, c, th, wbuf, j0, j1, nt);
    j0 = j1;
    if (j0 < n2) R_CheckUserInterrupt();
  }
  if (over) fail->overflow = 1;
  if (sym) {
    int ntm = jntk_threads(nthreads, (double) n1 * n1, JNTK_GRAIN_ELEMENTS);
    jntk_mirror_upper(c, c, n1, ntm);
    if (th) jntk_mirror_upper(th, th, n1, ntm);
  }
}
