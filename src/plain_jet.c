/* The jets of the Jacobian kernels (kernels.c's jet_pair(), math.md §3) of
 * erf and (the Jacobian NNGP of) the kinked family, as branchless loops the
 * compiler vectorises, in the loop order of plain.c: columns j outer (split
 * over threads), then blocks of PJ_BLOCK rows, each block taken through all
 * layers with its pair state (the
 * covariance jet and, for the JNTK, the tangent jet: 8 or 16 numbers per
 * pair) in stack arrays, and only the final eight scalars per pair written.
 * kernels.c's layer-outer sweep reads and writes that state in n1 x n2
 * slices at every layer.
 *
 * The arithmetic is that of first_pair(), first_jet(), erf_partials(),
 * kinked_jet(), jcompose3_pair() and jmul() (dual.c, jet.h, kernels.c) term
 * by term, the kinked family's angle carried as plain.c carries it, with
 * the arcsine of plain.c (plain_math.h) and reciprocals formed once per
 * point where kernels.c divides per pair: the results agree with kernels.c's
 * to rounding (tests/testthat/test-plain-jet.R).
 *
 * Each number is computed by the same operations whatever the thread count
 * (a column is one thread's), so results do not depend on it. */
#if defined(__GNUC__) && !defined(__clang__)
/* sqrt without errno and selects over divisions need these to vectorise */
#pragma GCC optimize("no-math-errno", "no-trapping-math", "fp-contract=off", "vect-cost-model=dynamic")
#elif defined(__clang__)
#pragma clang fp contract(off)
#endif
#include <float.h>
#include "jntk.h"
#include "dual.h"
#include "kernels.h"
#include "plain.h"
#include "plain_jet.h"
#include "plain_math.h"

/* rows per block: the 16 state and ~10 scratch arrays of a block stay in L1 */
#define PJ_BLOCK 64
/* pairs x layers between interrupt checks (a few milliseconds) */
#define PJ_CHUNK 131072.0
#define FOUR_OVER_PI (2.0 * TWO_OVER_PI)
#define SIN_PI 1.2246467991473532e-16 /* sin(M_PI) in double precision */

int plain_jet_handles(const kpar *kp, int n1, int tangent) {
  /* The kinked family's JNTK is refused (its gd jump makes it infinite):
   * kernels.c keeps the clipped form of kinked_jet() for it. Even members
   * (A1 = 0: abs) stay there too: an exactly antiparallel pair becomes
   * exactly parallel at the next layer, where the two paths' J'' of the
   * degenerate pair differ by more than rounding (1e-9 of max |K|). */
  int kinked = dual_is_kinked(kp->act) && !tangent && kp->A1 != 0.0;
  return plain_fast_handles(kp, n1) && (kp->act == ACT_ERF || kinked);
}

/* Per-point data of one side: norms, their reciprocals (0 at 0), and per
 * layer l = 0..L (n each) the variance entering hidden layer l + 1, its
 * derivative in the norm (side_layer()), its root, and (erf)
 * 1/sqrt(1 + 2v), 1/(1 + 2v) or (kinked family) 1/sqrt(v), v_n / (2v). */
typedef struct {
  double *nrm, *inv, *v, *dv, *r, *q, *iu;
  int n;
} jside;

static void jside_fill(const kpar *kp, const kside *s, jside *p) {
  int n = s->n, L = kp->depth, erf = kp->act == ACT_ERF;
  size_t nl = (size_t) n * (L + 1);
  p->n = n;
  p->nrm = (double *) R_alloc(n, sizeof(double));
  p->inv = (double *) R_alloc(n, sizeof(double));
  p->v = (double *) R_alloc(nl, sizeof(double));
  p->dv = (double *) R_alloc(nl, sizeof(double));
  p->r = (double *) R_alloc(nl, sizeof(double));
  p->q = (double *) R_alloc(nl, sizeof(double));
  p->iu = (double *) R_alloc(nl, sizeof(double));
  double al0 = kp->sw2 / kp->d;
  for (int i = 0; i < n; i++) {
    double nm = sqrt(s->q[i]), a = al0 * s->q[i] + kp->sb2, da = 2.0 * al0 * nm;
    p->nrm[i] = nm;
    p->inv[i] = nm > 0 ? 1.0 / nm : 0.0;
    for (int l = 0; l <= L; l++) {
      ptrdiff_t o = i + (ptrdiff_t) l * n;
      double u = 1.0 + 2.0 * a, g, dg;
      p->v[o] = a;
      p->dv[o] = da;
      p->r[o] = sqrt(a);
      p->q[o] = erf ? 1.0 / sqrt(u) : 1.0 / sqrt(a);
      p->iu[o] = erf ? 1.0 / u : 0.5 * da / a;
      dual_diag(kp, a, &g, &dg);
      da = kp->sw2 * dg * da;
      a = kp->sw2 * g + kp->sb2;
    }
  }
}

typedef struct {
  const kpar *kp;
  const kside *s1, *s2;
  const jside *p1, *p2;
  const double *gram;
  double *out0, *out1;
  int n1, kink;
  ptrdiff_t S;
  kink_consts kc; /* kinked family: A1^2, B1^2, sigma_w^2, sigma_b^2, sigma_w^2 (A + B) */
} pjctx;

/* A block's jets: 8 arrays of PJ_BLOCK (value, w, n, m, ww, wn, wm, nm). */
typedef double jblock[8][PJ_BLOCK];

/* Row i of a block into the locals v0..v7 and back (written out, so that
 * the row loops have no inner loop and vectorise over the rows); ww is
 * the value stored in slot 4. */
#define PJ_LOAD8(v, A, i)                                                                    \
  double v##0 = A[0][i], v##1 = A[1][i], v##2 = A[2][i], v##3 = A[3][i], v##4 = A[4][i],     \
         v##5 = A[5][i], v##6 = A[6][i], v##7 = A[7][i]
#define PJ_STORE8(A, i, v, ww)                                                               \
  do {                                                                                       \
    A[0][i] = v##0; A[1][i] = v##1; A[2][i] = v##2; A[3][i] = v##3;                          \
    A[4][i] = ww; A[5][i] = v##5; A[6][i] = v##6; A[7][i] = v##7;                            \
  } while (0)

/* First layer, phase 1: the Gram entries, the input correlation (0 at a
 * zero norm, as first_pair()) and 1 -/+ rho; whether a row may need the
 * inputs (|rho| > 1 - 1e-4). */
JNTK_INLINE int first_rho_t(int m, const double *restrict gram, const double *restrict nrm,
                            double mj, double *restrict pb, double *restrict rhob,
                            double *restrict omcb, double *restrict opcb) {
  int near = 0;
  for (int i = 0; i < m; i++) {
    double p = gram[i], nn = nrm[i], r = (p / nn) / mj;
    r = r > 1 ? 1.0 : (r < -1 ? -1.0 : r);
    int ok = (nn > 0) & (mj > 0);
    double rho = ok ? r : 0.0;
    pb[i] = p;
    rhob[i] = rho;
    omcb[i] = 1.0 - rho;
    opcb[i] = 1.0 + rho;
    near |= fabs(rho) > 1.0 - 1e-4;
  }
  return near;
}

/* First layer, phase 2 (rare rows): 1 -/+ cos theta0 = |x^ -/+ x^'|^2 / 2
 * from the inputs where the Gram matrix cancels (first_pair()). */
static void first_kahan(const pjctx *x, int i0, int m, int j, const double *rhob, double *omcb,
                        double *opcb) {
  const kside *s1 = x->s1, *s2 = x->s2;
  if (!s1->x || !s2->x) return;
  double im = x->p2->inv[j];
  for (int r = 0; r < m; r++) {
    if (!(fabs(rhob[r]) > 1.0 - 1e-4)) continue;
    int i = i0 + r;
    double sm = 0.0, sp = 0.0, in = 1.0 / x->p1->nrm[i];
    for (int k = 0; k < x->kp->d; k++) {
      double u = s1->x[i + (ptrdiff_t) k * s1->n] * in, w = s2->x[j + (ptrdiff_t) k * s2->n] * im;
      sm += (u - w) * (u - w);
      sp += (u + w) * (u + w);
    }
    omcb[r] = 0.5 * sm;
    opcb[r] = 0.5 * sp;
  }
}

/* First layer, phase 3: the gap D1 = a1 b1 sin^2 theta1 and the angle code
 * of theta1 (from sqrt(a1 b1) -/+ c1, kernels.c's header; pi/2 where a
 * variance vanishes, as first_pair()) and the covariance jet of
 * al0 x.x' + be (first_jet()); the tangent jet is the same (NTK
 * parametrisation). */
JNTK_INLINE void first_jets_t(const int has_th, int m, double al0, double be,
                              const double *restrict nrm, const double *restrict r0, double mj,
                              double rbj, const double *restrict pb,
                              const double *restrict rhob, const double *restrict omcb,
                              const double *restrict opcb, double *restrict Db,
                              double *restrict Wb, jblock C, jblock T) {
  for (int i = 0; i < m; i++) {
    double nn = nrm[i], nm = nn * mj, S = r0[i] * rbj, rho = rhob[i];
    double dn = nn - mj, e = S > 0 ? al0 * be * dn * dn / (S + al0 * nm + be) : 0.0;
    double gap = e + al0 * nm * omcb[i], anti = e + al0 * nm * opcb[i] + 2.0 * be;
    gap = gap > 0 ? gap : 0.0;
    anti = anti > 0 ? anti : 0.0;
    double tot = gap + anti, it = 2.0 / tot;
    int okt = (S > 0) & (tot > 0);
    double omc = okt ? gap * it : 1.0, opc = okt ? anti * it : 1.0; /* 1 -/+ cos theta1 */
    Db[i] = S > 0 ? S * S * (omc * opc) : 0.0;
    Wb[i] = w_encode(omc, opc);
    int cart = !((nn > 1e-140) & (mj > 1e-140));
    double z0 = al0 * pb[i] + be, z1 = cart ? al0 : al0 * nn * mj,
           z2 = cart ? 0.0 : al0 * rho * mj, z3 = cart ? 0.0 : al0 * rho * nn,
           z5 = cart ? 0.0 : al0 * mj, z6 = cart ? 0.0 : al0 * nn, z7 = cart ? 0.0 : al0 * rho;
    PJ_STORE8(C, i, z, 0.0);
    if (has_th) PJ_STORE8(T, i, z, 0.0);
  }
}

/* erf, phase 1: R = 1 + 2(a + b) + 4D, 1/sqrt(R), rho = 2c/sqrt(uw) and
 * t = sqrt(R/(uw)) (clamped), with u = 1 + 2a, w = 1 + 2b (erf_partials()). */
JNTK_INLINE void erf_args_jt(const int first, int m, const double *restrict va, double b,
                             const double *restrict qa, double qb, const double *restrict Db,
                             const double *restrict c, double *restrict rhob,
                             double *restrict tb, double *restrict r1b) {
  for (int i = 0; i < m; i++) {
    double a = va[i], ci = c[i], D;
    if (first) {
      D = Db[i];
    } else {
      D = a * b - ci * ci;
      D = D > 0 ? D : 0.0;
    }
    double R = 1.0 + 2.0 * (a + b) + 4.0 * D, den = sqrt(R), iq = qa[i] * qb, t = den * iq;
    rhob[i] = 2.0 * ci * iq;
    tb[i] = t < 1 ? t : 1.0;
    r1b[i] = 1.0 / den;
  }
}

/* erf, phase 2: g = (2/pi) asin(rho). */
JNTK_INLINE void erf_g_jt(int m, const double *restrict rhob, const double *restrict tb,
                          double *restrict gb) {
  for (int i = 0; i < m; i++) {
    double rho = rhob[i], as = asin_pair(fabs(rho), tb[i]);
    gb[i] = TWO_OVER_PI * (rho < 0 ? -as : as);
  }
}

/* z0..z7 = G(a, b, c) as a jet from the partials {g, ga, gb, gc, gcc, gac,
 * gbc, gab} in P0..P7 and the jet c0..c7 of c (jcompose3_pair()). */
#define PJ_COMPOSE(z, P, an, bm, c)                                                          \
  double z##0 = P##0, z##1 = P##3 * c##1, z##2 = P##1 * an + P##3 * c##2,                    \
         z##3 = P##2 * bm + P##3 * c##3, z##4 = P##3 * c##4 + P##4 * c##1 * c##1,            \
         z##5 = P##3 * c##5 + P##4 * c##1 * c##2 + P##5 * an * c##1,                         \
         z##6 = P##3 * c##6 + P##4 * c##1 * c##3 + P##6 * bm * c##1,                         \
         z##7 = P##3 * c##7 + P##4 * c##2 * c##3 + P##5 * an * c##3 + P##6 * bm * c##2 +     \
                P##7 * an * bm

/* erf, phase 3: the partials of g and gd (erf_partials()), the new
 * covariance jet sw2 G + sb2 and tangent jet (sw2 G + sb2) + sw2 Gd T. */
JNTK_INLINE void erf_jets_jt(const int has_th, int m, double sw2, double be,
                             const double *restrict va, double b, const double *restrict dva,
                             double bm, const double *restrict iua, double iub,
                             const double *restrict gb, const double *restrict r1b, jblock C,
                             jblock T) {
  const double k = FOUR_OVER_PI, w = 1.0 + 2.0 * b;
  for (int i = 0; i < m; i++) {
    PJ_LOAD8(c, C, i);
    double a = va[i], u = 1.0 + 2.0 * a, an = dva[i], cv = c0;
    double r1 = r1b[i], r2 = r1 * r1, r3 = r2 * r1, gc = k * r1;
    double P0 = gb[i], P1 = -(gc * cv) * iua[i], P2 = -(gc * cv) * iub, P3 = gc,
           P4 = 4.0 * k * cv * r3, P5 = -k * w * r3, P6 = -k * u * r3, P7 = k * cv * r3;
    PJ_COMPOSE(G, P, an, bm, c);
    G0 = sw2 * G0 + be;
    G1 *= sw2; G2 *= sw2; G3 *= sw2; G4 *= sw2; G5 *= sw2; G6 *= sw2; G7 *= sw2;
    if (has_th) {
      PJ_LOAD8(t, T, i);
      double r5 = r3 * r2;
      double Q0 = gc, Q1 = P5, Q2 = P6, Q3 = P4, Q4 = 4.0 * k * r3 + 48.0 * k * cv * cv * r5,
             Q5 = -12.0 * k * cv * w * r5, Q6 = -12.0 * k * cv * u * r5,
             Q7 = -2.0 * k * r3 + 3.0 * k * u * w * r5;
      PJ_COMPOSE(D, Q, an, bm, c);
      /* (sw2 G + sb2) + sw2 jmul(Gd, t) */
      double y0 = G0 + sw2 * (D0 * t0), y1 = G1 + sw2 * (D1 * t0 + D0 * t1),
             y2 = G2 + sw2 * (D2 * t0 + D0 * t2), y3 = G3 + sw2 * (D3 * t0 + D0 * t3),
             y4 = G4 + sw2 * (D4 * t0 + 2.0 * D1 * t1 + D0 * t4),
             y5 = G5 + sw2 * (D5 * t0 + D1 * t2 + D2 * t1 + D0 * t5),
             y6 = G6 + sw2 * (D6 * t0 + D1 * t3 + D3 * t1 + D0 * t6),
             y7 = G7 + sw2 * (D7 * t0 + D2 * t3 + D3 * t2 + D0 * t7);
      PJ_STORE8(T, i, y, y4);
    }
    PJ_STORE8(C, i, G, G4);
  }
}

/* Kinked family: the covariance jet sw2 G + sb2 with G = A c + B (2/pi)
 * s J(rho) (kinked_jet(): rho = c / s as a jet through the relative
 * derivatives v_n / (2v) of the roots, J' = pi/2 - theta, J'' = 1/sin theta),
 * and the terms of the next layer's angle (plain.c's kink_values_t()). */
JNTK_INLINE void kink_jets_jt(int m, const kink_consts *kc, const double *restrict va, double b,
                              const double *restrict ra, double rb, const double *restrict qa,
                              double qb, const double *restrict hra, double hrb,
                              const double *restrict w, const double *restrict thb,
                              const double *restrict snb, jblock C, double *restrict Gb,
                              double *restrict Jb) {
  const double A = kc->A, B2 = kc->B * TWO_OVER_PI, sw2 = kc->sw2, be = kc->sb2;
  const int kinked = kc->B != 0.0;
  for (int i = 0; i < m; i++) {
    PJ_LOAD8(c, C, i);
    double wi = w[i], thv = thb[i], sn = snb[i];
    int pos = wi >= 0, ok = (va[i] * b > 0) & kinked;
    double omc = pos ? wi : 2.0 + wi, cs = pos ? 1.0 - omc : -wi - 1.0;
    double s = ra[i] * rb, is = qa[i] * qb, rx = hra[i], ry = hrb;
    /* rho = jmul(c, 1/s) */
    double h0 = c0 * is, h1 = c1 * is, h2 = c2 * is + c0 * (-is * rx),
           h3 = c3 * is + c0 * (-is * ry), h4 = c4 * is, h5 = c5 * is + c1 * (-is * rx),
           h6 = c6 * is + c1 * (-is * ry),
           h7 = c7 * is + c2 * (-is * ry) + c3 * (-is * rx) + c0 * (is * rx * ry);
    (void) h0;
    /* J'' = 1/sin theta as kernels.c has it: its angle pi of an exactly
     * antiparallel pair has sin(pi) = 1.22e-16 in floating point, where the
     * angle code has sin theta ~ 1e-154 */
    double snj = pos | (sn > SIN_PI) ? sn : SIN_PI;
    double J1 = PIO2 - thv, J0 = sn + J1 * cs, J2 = snj > 1e-200 ? 1.0 / snj : 0.0;
    /* J(rho) (junary()) */
    double j1 = J1 * h1, j2 = J1 * h2, j3 = J1 * h3, j4 = J1 * h4 + J2 * h1 * h1,
           j5 = J1 * h5 + J2 * h1 * h2, j6 = J1 * h6 + J2 * h1 * h3, j7 = J1 * h7 + J2 * h2 * h3;
    /* s J (jmul() of the jet of s and J) */
    double sx = s * rx, sy = s * ry;
    double P0 = s * J0, P1 = s * j1, P2 = sx * J0 + s * j2, P3 = sy * J0 + s * j3, P4 = s * j4,
           P5 = sx * j1 + s * j5, P6 = sy * j1 + s * j6,
           P7 = (sx * ry) * J0 + sx * j3 + sy * j2 + s * j7;
    double G0 = A * c0 + (ok ? B2 * P0 : 0.0), G1 = A * c1 + (ok ? B2 * P1 : 0.0),
           G2 = A * c2 + (ok ? B2 * P2 : 0.0), G3 = A * c3 + (ok ? B2 * P3 : 0.0),
           G4 = A * c4 + (ok ? B2 * P4 : 0.0), G5 = A * c5 + (ok ? B2 * P5 : 0.0),
           G6 = A * c6 + (ok ? B2 * P6 : 0.0), G7 = A * c7 + (ok ? B2 * P7 : 0.0);
    G0 = sw2 * G0 + be;
    G1 *= sw2; G2 *= sw2; G3 *= sw2; G4 *= sw2; G5 *= sw2; G6 *= sw2; G7 *= sw2;
    PJ_STORE8(C, i, G, G4);
    /* sin - theta cos; kink_small_t() redoes the rows with theta <= 1/2 */
    double Gv = omc - TWO_OVER_PI * (sn - thv * cs);
    Gb[i] = Gv > 0 ? Gv : 0.0;
    Jb[i] = J0;
  }
}

/* The stored scalars of kappa^2 J (jacobian_scalars_from_jet(), with the
 * reciprocal norms of the points) into Z. */
JNTK_INLINE void scalars_jt(int m, double k2, const double *restrict nrm,
                            const double *restrict inv, double mj, double imj,
                            const double *restrict rhob, jblock J, jblock Z) {
  for (int i = 0; i < m; i++) {
    PJ_LOAD8(F, J, i);
    F0 *= k2; F1 *= k2; F2 *= k2; F3 *= k2; F4 *= k2; F5 *= k2; F6 *= k2; F7 *= k2;
    double n = nrm[i], rho = rhob[i], inm = inv[i] * imj, mF = (n * F4) * mj;
    int cart = !((n > 1e-140) & (mj > 1e-140));
    double z0 = F0, z1 = cart ? F1 : F1 * inm, z2 = cart ? F2 + F1 * rho * mj : F2,
           z3 = cart ? F3 + F1 * rho * n : F3, z4 = cart ? mF : F4 * inm,
           z5 = cart ? F1 + n * (rho * mj * F4 + F5) : F5 * imj,
           z6 = cart ? F1 + mj * (rho * n * F4 + F6) : F6 * inv[i],
           z7 = cart ? F7 + rho * (F1 + mj * F6 + n * F5) + rho * rho * mF : F7;
    PJ_STORE8(Z, i, z, z4);
  }
}

/* Z's rows to the output slices o + e S; whether a value is not finite. */
JNTK_INLINE int store_jt(int m, jblock Z, double *restrict o, ptrdiff_t S) {
  int bad = 0;
  for (int e = 0; e < 8; e++) {
    double *restrict oe = o + e * S;
    const double *restrict ze = Z[e];
    for (int i = 0; i < m; i++) {
      oe[i] = ze[i];
      bad |= !(fabs(ze[i]) <= DBL_MAX);
    }
  }
  return bad;
}

/* The first layer of rows i0..i0+m-1 of column j: the input correlations
 * (rho0), the first gap (Db) and angle code (Wb), the jets C (and T). */
JNTK_INLINE void first_block_t(const int has_th, const pjctx *x, int j, int i0, int m,
                               double *restrict rho0, double *restrict Db, double *restrict Wb,
                               jblock C, jblock T) {
  const kpar *kp = x->kp;
  const jside *p1 = x->p1, *p2 = x->p2;
  double pb[PJ_BLOCK], omcb[PJ_BLOCK], opcb[PJ_BLOCK], mj = p2->nrm[j];
  if (first_rho_t(m, x->gram + i0 + (ptrdiff_t) j * x->n1, p1->nrm + i0, mj, pb, rho0, omcb,
                  opcb))
    first_kahan(x, i0, m, j, rho0, omcb, opcb);
  first_jets_t(has_th, m, kp->sw2 / kp->d, kp->sb2, p1->nrm + i0, p1->r + i0, mj, p2->r[j], pb,
               rho0, omcb, opcb, Db, Wb, C, T);
}

/* Writes the scalars of the jets J of rows i0..i0+m-1 of column j to o;
 * whether a value overflowed. */
JNTK_INLINE int block_out_t(const pjctx *x, int j, int i0, int m, const double *restrict rho0,
                            jblock J, double *o) {
  const jside *p1 = x->p1, *p2 = x->p2;
  jblock Z;
  scalars_jt(m, x->kp->k2, p1->nrm + i0, p1->inv + i0, p2->nrm[j], p2->inv[j], rho0, J, Z);
  return store_jt(m, Z, o + i0 + (ptrdiff_t) j * x->n1, x->S);
}

/* Rows i0..i0+m-1 of column j through all layers (erf); whether a value
 * overflowed. */
JNTK_INLINE int erf_block_t(const int has_th, const pjctx *x, int j, int i0, int m) {
  const kpar *kp = x->kp;
  const jside *p1 = x->p1, *p2 = x->p2;
  int n1 = x->n1, n2 = p2->n, L = kp->depth, bad = 0;
  jblock C, T;
  double rho0[PJ_BLOCK], Db[PJ_BLOCK], Wb[PJ_BLOCK];
  double rhob[PJ_BLOCK], tb[PJ_BLOCK], r1b[PJ_BLOCK], gb[PJ_BLOCK];
  first_block_t(has_th, x, j, i0, m, rho0, Db, Wb, C, T);
  for (int l = 0; l < L; l++) {
    ptrdiff_t lo = (ptrdiff_t) l * n1 + i0, lj = (ptrdiff_t) l * n2 + j;
    const double *va = p1->v + lo, b = p2->v[lj];
    if (l == 0)
      erf_args_jt(1, m, va, b, p1->q + lo, p2->q[lj], Db, C[0], rhob, tb, r1b);
    else
      erf_args_jt(0, m, va, b, p1->q + lo, p2->q[lj], Db, C[0], rhob, tb, r1b);
    erf_g_jt(m, rhob, tb, gb);
    erf_jets_jt(has_th, m, kp->sw2, kp->sb2, va, b, p1->dv + lo, p2->dv[lj], p1->iu + lo,
                p2->iu[lj], gb, r1b, C, T);
  }
  if (x->out0) bad |= block_out_t(x, j, i0, m, rho0, C, x->out0);
  if (has_th) bad |= block_out_t(x, j, i0, m, rho0, T, x->out1);
  return bad;
}

/* The same for the kinked family (the Jacobian NNGP alone): the angle code
 * carried as in plain.c's kink_rows_t(). */
JNTK_INLINE int kink_block_t(const pjctx *x, int j, int i0, int m) {
  const kpar *kp = x->kp;
  const jside *p1 = x->p1, *p2 = x->p2;
  int n1 = x->n1, n2 = p2->n, L = kp->depth;
  jblock C;
  double rho0[PJ_BLOCK], Db[PJ_BLOCK], Wb[PJ_BLOCK];
  double thb[PJ_BLOCK], snb[PJ_BLOCK], Gb[PJ_BLOCK], Jb[PJ_BLOCK];
  first_block_t(0, x, j, i0, m, rho0, Db, Wb, C, C);
  for (int l = 0; l < L; l++) {
    ptrdiff_t lo = (ptrdiff_t) l * n1 + i0, lj = (ptrdiff_t) l * n2 + j;
    const double *va = p1->v + lo, b = p2->v[lj];
    int small = kink_angle_t(m, Wb, thb, snb);
    kink_jets_jt(m, &x->kc, va, b, p1->r + lo, p2->r[lj], p1->q + lo, p2->q[lj], p1->iu + lo,
                 p2->iu[lj], Wb, thb, snb, C, Gb, Jb);
    if (small) kink_small_t(m, Wb, thb, snb, Gb);
    kink_next_t(m, &x->kc, va, p1->r + lo + n1, p1->q + lo, b, p2->q[lj], p2->r[lj + n2], Gb, Jb,
                Wb);
  }
  return block_out_t(x, j, i0, m, rho0, C, x->out0);
}

static PLAIN_CLONES int jet_block(const pjctx *x, int j, int i0, int m) {
  if (x->kink) return kink_block_t(x, j, i0, m);
  return x->out1 ? erf_block_t(1, x, j, i0, m) : erf_block_t(0, x, j, i0, m);
}

void plain_jet_kernel(const kpar *kp, const kside *s1, const kside *s2, int sym,
                      const double *gram, double *out0, double *out1, kfail *fail,
                      int nthreads) {
  int n1 = s1->n, n2 = s2->n, L = kp->depth;
  jside p1, p2;
  jside_fill(kp, s1, &p1);
  if (sym)
    p2 = p1;
  else
    jside_fill(kp, s2, &p2);
  double A = kp->A1 * kp->A1, B = kp->B1 * kp->B1; /* dual_kink_coefs() */
  pjctx x = {kp, s1, s2, &p1, &p2, gram, out0, out1, n1, dual_is_kinked(kp->act),
             (ptrdiff_t) n1 * n2, {A, B, kp->sw2, kp->sb2, kp->sw2 * (A + B)}};
  double per_col = (double) n1 * (L + 1) * (out1 ? 2 : 1);
  int nt = jntk_threads(nthreads, per_col * n2 * (sym ? 0.5 : 1.0), JNTK_GRAIN_PAIR_LAYERS);
  double chunk = PJ_CHUNK * (nt > 1 ? nt : 1);
  int j0 = 0, over = 0;
  while (j0 < n2) {
    int j1 = j0;
    double acc = 0;
    while (j1 < n2 && acc < chunk) {
      acc += sym ? per_col * (j1 + 1) / n1 : per_col;
      j1++;
    }
    JNTK_OMP(parallel for num_threads(nt) schedule(dynamic, 1) reduction(| : over))
    for (int j = j0; j < j1; j++) {
      int n = sym ? j + 1 : n1;
      for (int i0 = 0; i0 < n; i0 += PJ_BLOCK)
        over |= jet_block(&x, j, i0, n - i0 < PJ_BLOCK ? n - i0 : PJ_BLOCK);
    }
    j0 = j1;
    if (j0 < n2) R_CheckUserInterrupt();
  }
  if (over) fail->overflow = 1;
}
