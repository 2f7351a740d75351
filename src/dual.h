/* Closed-form dual functions of each activation (math.md §2): with
 * (u, v) ~ N(0, [[a, c], [c, b]]), g = E[phi(u) phi(v)] and
 * gd = E[phi'(u) phi'(v)], as plain scalars (inline here: they run in the
 * pair loops) and as jets (dual.c). Activations without a closed form are in
 * series.c.
 *
 * A pair enters as its variances a, b, covariance c, the gap D = ab - c^2
 * (>= 0; accurate where the caller knows it, see kernels.c) and, for the
 * kinked family (relu, leaky relu, abs, identity), the angle theta between
 * the two feature vectors, carried accurately from layer to layer so that
 * 1 - rho ~ 1e-14 keeps its digits (dual_kink_next()). */
#ifndef JNTK_DUAL_H
#define JNTK_DUAL_H

#include "jntk.h"
#include "jet.h"
#include "kernels.h"

#define TWO_OVER_PI 0.636619772367581343075535053490

typedef struct {
  double a, b, c; /* variances and covariance */
  double D;       /* ab - c^2 >= 0 */
  double th;      /* angle in [0, pi] (kinked family only) */
  double hs, hc;  /* sin(th/2), cos(th/2) (kinked family only) */
  double ra, rb;  /* sqrt(a), sqrt(b) (kinked family only) */
} pairval;

/* The half-angle sines of a kinked pair's angle (one sincos per pair and
 * layer: sin th = 2 hs hc, 1 - cos th = 2 hs^2, 1 + cos th = 2 hc^2). */
JNTK_INLINE void pair_half_angle(pairval *pv) {
  pv->hs = sin(0.5 * pv->th);
  pv->hc = cos(0.5 * pv->th);
}

JNTK_INLINE int dual_is_kinked(int act) {
  return act == ACT_IDENTITY || act == ACT_RELU || act == ACT_LEAKY_RELU || act == ACT_ABS ||
         act == ACT_ABRELU;
}
JNTK_INLINE int dual_is_series(int act) {
  return act == ACT_TANH || act == ACT_SOFTPLUS || act == ACT_SIGMOID || act == ACT_SILU ||
         act == ACT_USER;
}

/* Piecewise-linear family phi(x) = a min(x, 0) + b max(x, 0) = A1 x + B1 |x|
 * with A1 = (a + b)/2, B1 = (b - a)/2 (neural-tangents' ABRelu(a, b)): relu
 * is (0, 1), abs (-1, 1), identity (1, 1), leaky relu (slope, 1). With
 * A = A1^2, B = B1^2 (the cross terms E[u |v|] vanish by symmetry) and
 * J(theta) = sin(theta) + (pi/2 - theta) cos(theta):
 *   g  = A c + B (2/pi) sqrt(ab) J(theta),   gd = A + B (1 - 2 theta/pi),
 * the arc-cosine kernel (sqrt(ab - c^2) + (pi - theta) c)/(2 pi) for relu.
 * theta = pi/2 when a or b is 0 (neural-tangents' convention). A1 and B1 of
 * an activation code, its leaky-relu slope and its parameters (abrelu: a,
 * b); 0 for the other activations. */
void dual_kink_coefs(int act, double slope, const double *ap, double *A1, double *B1);

/* asin(rho) for rho = c/s, s = sqrt(ab), sD = sqrt(ab - c^2), accurate to
 * rounding everywhere: asin where |rho| <= 0.7, else from the complementary
 * angle asin(sD/s); 0 when s = 0. */
JNTK_INLINE double asin_rho(double c, double sD, double s) {
  if (!(s > 0)) return 0.0;
  double rho = c / s;
  if (fabs(rho) <= 0.7) return asin(rho);
  double t = sD / s;
  if (t > 1) t = 1;
  return rho > 0 ? M_PI_2 - asin(t) : asin(t) - M_PI_2;
}

/* E[sin u sin v] = e^{-(a+b)/2} sinh c and E[cos u cos v] = e^{-(a+b)/2} cosh c
 * with |c| <= sqrt(ab) <= (a+b)/2 clamped, written as
 *   e^{|c|-h} (1 -/+ e^{-2|c|}) / 2,
 * which neither overflows nor cancels (1 - e^{-2|c|} = -expm1(-2|c|)). */
JNTK_INLINE void sincos_dual(double a, double b, double c, double *S, double *C) {
  double s = sqrt(a * b);
  if (c > s) c = s;
  if (c < -s) c = -s;
  double h = 0.5 * (a + b), ac = fabs(c), e = 0.5 * exp(ac - h);
  double sh = -e * expm1(-2.0 * ac), ch = e * (1.0 + exp(-2.0 * ac));
  *S = c < 0 ? -sh : sh;
  *C = ch;
}

/* a + b - 2c >= 0 for the rbf dual, accurate also for c close to sqrt(ab):
 * (sqrt a - sqrt b)^2 + 2 D / (sqrt(ab) + c) when c > 0. */
JNTK_INLINE double dual_rbf_exponent(double a, double b, double c, double D) {
  if (!(c > 0)) return a + b - 2.0 * c;
  double ra = sqrt(a), rb = sqrt(b), d = ra - rb;
  return d * d + 2.0 * D / (ra * rb + c);
}

/* erf: g = (2/pi) asin(2c / sqrt((1+2a)(1+2b))), gd = (4/pi)/sqrt(R) with
 * R = (1+2a)(1+2b) - 4c^2 = 1 + 2a + 2b + 4D: no cancellation */
JNTK_INLINE void dual_erf(double a, double b, double c, double D, double *g, double *gd) {
  double R = 1.0 + 2.0 * (a + b) + 4.0 * D;
  double den = sqrt(R), sQ = sqrt((1.0 + 2.0 * a) * (1.0 + 2.0 * b));
  *g = TWO_OVER_PI * asin_rho(2.0 * c, den, sQ);
  if (gd) *gd = 2.0 * TWO_OVER_PI / den;
}

/* A polynomial phi = sum_j c_j x^j (kp->ap = c(K + 1, c_0, ..., c_K)): with
 * M_k(a) = E[phi^(k)(u)], u ~ N(0, a) (a polynomial in a), Price's theorem
 * makes g a finite Taylor series in c,
 *   g = sum_m c^m / m! M_m(a) M_m(b),
 * and every partial d^p/da^p d^q/db^q d^r/dc^r g is
 *   2^-(p+q) sum_m c^m / m! M_{m+r+2p}(a) M_{m+r+2q}(b)
 * (each a-derivative puts two derivatives on u's factor): exact to rounding;
 * gd = g_c. */
void dual_poly(const kpar *kp, double a, double b, double c, double *g, double *gd);

/* relu^k (Cho and Saul's arc-cosine kernel of order k):
 *   g = (ab)^(k/2) J_k(theta) / (2 pi),   gd = k^2 (ab)^((k-1)/2) J_{k-1}(theta) / (2 pi),
 * J_0 = pi - theta, J_1 = sin theta + (pi - theta) cos theta,
 * J_n = (2n - 1) cos theta J_{n-1} + (n - 1)^2 sin^2 theta J_{n-2} (n >= 2);
 * theta = atan2(sqrt(D), c); 0 when a or b is 0 (phi(0) = 0). */
void dual_relu_power(const kpar *kp, const pairval *pv, double *g, double *gd);

/* Activations whose NTK (and Jacobian kernels) are infinite: NNGP only. */
JNTK_INLINE int dual_is_nngp_only(int act) { return act == ACT_SIGN || act == ACT_STEP; }

/* The plain dual of a closed-form activation; always inlined so that the
 * pair loops, specialised per activation, fold the dispatch away. */
JNTK_INLINE void dual_closed(const int act, const kpar *kp, const pairval *pv,
                             double *g, double *gd) {
  double a = pv->a, b = pv->b, c = pv->c;
  switch (act) {
  case ACT_IDENTITY:
  case ACT_RELU:
  case ACT_LEAKY_RELU:
  case ACT_ABS:
  case ACT_ABRELU: {
    double A = kp->A1 * kp->A1, B = kp->B1 * kp->B1;
    if (B == 0.0 || !(a * b > 0)) {
      *g = A * c;
      if (gd) *gd = A;
      return;
    }
    double th = pv->th, s = pv->ra * pv->rb, J = 2.0 * pv->hs * pv->hc + (M_PI_2 - th) * c / s;
    *g = A * c + B * TWO_OVER_PI * s * J;
    if (gd) *gd = A + B * (1.0 - TWO_OVER_PI * th);
    return;
  }
  case ACT_ERF:
    dual_erf(a, b, c, pv->D, g, gd);
    return;
  case ACT_ERF_ABC: {
    /* phi = al erf(be x) + ga: the erf dual at be^2 (a, b, c), scaled by
     * al^2, plus ga^2 (E erf = 0); gd = al^2 be^2 erf's gd there */
    double al2 = kp->ap[0] * kp->ap[0], be2 = kp->ap[1] * kp->ap[1];
    dual_erf(be2 * a, be2 * b, be2 * c, be2 * be2 * pv->D, g, gd);
    *g = al2 * *g + kp->ap[2] * kp->ap[2];
    if (gd) *gd *= al2 * be2;
    return;
  }
  case ACT_GELU: {
    /* math.md §2; gd = dg/dc (as neural-tangents' Gelu) */
    double P = a * b, P1 = (1.0 + a) * (1.0 + b);
    double d2 = 1.0 + a + b + pv->D; /* = P1 - c^2, without the cancellation */
    double dl = sqrt(d2), al = atan2(c, dl);
    *g = 0.25 * c + ((c * c + P * d2) / (P1 * dl) + c * al) / (2.0 * M_PI);
    if (gd)
      *gd = 0.25 + al / (2.0 * M_PI) +
            c / (2.0 * M_PI * dl) * (1.0 / d2 + (1.0 - P) / P1 + 1.0);
    return;
  }
  case ACT_POLYNOMIAL:
    dual_poly(kp, a, b, c, g, gd);
    return;
  case ACT_RELU_POWER:
    dual_relu_power(kp, pv, g, gd);
    return;
  case ACT_SIN:
  case ACT_COS: {
    double S, C;
    sincos_dual(a, b, c, &S, &C);
    *g = act == ACT_SIN ? S : C;
    if (gd) *gd = act == ACT_SIN ? C : S;
    return;
  }
  case ACT_SIGN:
  case ACT_STEP: {
    /* sign: (2/pi) asin(rho); step: 1/4 + asin(rho)/(2 pi) (arc-cosine
     * kernel of order 0), 0 at a zero variance (phi(0) = 0). Their NTK is
     * infinite on the diagonal and refused in R; gd is the almost-everywhere
     * derivative's, 0, as the finite networks use. */
    double s = sqrt(a * b);
    if (!(s > 0)) *g = 0.0;
    else {
      double as = asin_rho(c, sqrt(pv->D), s);
      *g = act == ACT_SIGN ? TWO_OVER_PI * as : 0.25 + as / (2.0 * M_PI);
    }
    if (gd) *gd = 0.0;
    return;
  }
  case ACT_EXP: {
    /* E[e^u e^v] = e^{(a + b + 2c)/2} = gd */
    double e = exp(0.5 * (a + b) + c);
    *g = e;
    if (gd) *gd = e;
    return;
  }
  case ACT_GAUSSIAN: {
    /* E[e^{-u^2 - v^2}] = det(I + 2 Sigma)^{-1/2} = R^{-1/2} with R = 1 + 2a
     * + 2b + 4D; gd = dg/dc = 4c R^{-3/2} */
    double R = 1.0 + 2.0 * (a + b) + 4.0 * pv->D, r1 = 1.0 / sqrt(R);
    *g = r1;
    if (gd) *gd = 4.0 * c * r1 / R;
    return;
  }
  case ACT_RBF: {
    /* E[phi(u) phi(v)] = e^{-(a + b - 2c)} = e^{-E}, E = Var(u - v)/2 =
     * (sqrt a - sqrt b)^2 + 2 (sqrt(ab) - c), without the cancellation when
     * c > 0; gd = 2 g */
    double e = dual_rbf_exponent(a, b, c, pv->D);
    *g = exp(-e);
    if (gd) *gd = 2.0 * *g;
    return;
  }
  default:
    *g = NAN;
    if (gd) *gd = NAN;
  }
}

/* g(a, a, a) and its derivative along the diagonal, d/da g(a, a, a)
 * (= E[phi'^2] + E[phi phi''] by Price's theorem), of a closed form. */
void dual_diag(const kpar *kp, double a, double *g, double *dg);

/* The angle of the next layer from this layer's (a, b, theta) and the roots
 * ra1, rb1 of the next variances a1, b1 (kinked family): with alpha = sigma_w^2 (A + B),
 * beta = sigma_b^2, s = sqrt(ab), e = alpha beta (sqrt a - sqrt b)^2 /
 * (sqrt(a1 b1) + alpha s + beta),
 *   sqrt(a1 b1) - c1 = e + sigma_w^2 s [A (1 - cos th) + B G(th)],
 *   sqrt(a1 b1) + c1 = e + sigma_w^2 s [A (1 + cos th) + B (1 + (2/pi) J(th))] + 2 beta,
 *   G(th) = (1 - cos th) - (2/pi)(sin th - th cos th),
 * sums of non-negative terms, so 1 - rho1 and 1 + rho1 keep their relative
 * accuracy, and theta1 = 2 atan2(sqrt(gap), sqrt(antigap)) is accurate at
 * both ends. */
double dual_kink_next(const kpar *kp, const pairval *pv, double ra1, double rb1);
/* 2 atan2(sqrt(gap), sqrt(antigap)): the angle of a pair from
 * sqrt(ab) - c >= 0 and sqrt(ab) + c >= 0. */
double dual_theta(double gap, double antigap);

/* At the diagonal (a, a, a) of a closed form: E[phi^2], g_a = E[phi'' phi]/2,
 * E[phi'^2], E[phi''^2] and E[phi'''^2] (Price's theorem on the partials;
 * the kinked family's divergent E[phi''^2] is reported as 0, as its jets
 * drop it on the diagonal). */
void dual_diag_moments(const kpar *kp, double a, double *out5);

/* G = g and Gd = gd as jets, given a's derivative in n (an), b's in m (bm)
 * and the covariance jet c; Gd may be NULL. */
void dual_jet(const kpar *kp, const pairval *pv, double an, double bm, jet c, jet *G,
              jet *Gd);

#endif
