/* Shared definitions of the analytic kernel code. */
#ifndef JNTK_KERNELS_H
#define JNTK_KERNELS_H

/* Parameters of one infinite-width MLP kernel computation. */
typedef struct {
  int act;          /* activation code (activation.h) */
  double slope;     /* leaky_relu slope */
  int depth;        /* hidden layers L */
  double sw2, sb2;  /* sigma_w^2, sigma_b^2 */
  double k2;        /* kappa^2 */
  int d;            /* input dimension */
  int nq;           /* Gauss-Hermite nodes for the Hermite coefficients */
  const double *gz, *gw; /* probabilists' Gauss-Hermite nodes, weights */
  int K;            /* Hermite (Mehler) series terms */
  const double *H;  /* nq x K: normalised Hermite polynomials He_k/sqrt(k!) at gz */
  int nthreads;     /* OpenMP threads for per-point work */
} kpar;

void kernel_dual_scalar(const kpar *kp, double a, double b, double c, double *g, double *gd);
int kernel_is_series(const kpar *kp);
void kernel_diagonal(const kpar *kp, const double *q, int n, double *dv, double *dq,
                     int nord, double *tab);
void kernel_plain_worker(const kpar *kp, const double *gram, const double *q1,
                         const double *q2, int n1, int n2, int sym,
                         double *nngp, double *ntk, int nthreads);
void kernel_jet_worker(const kpar *kp, const double *q1, const double *q2,
                       int n1, int n2, int sym, int kind, double *out,
                       int nthreads);
void jacobian_assemble(const double *F, const double *x1, const double *x2,
                       int n1, int n2, int d, double *K, int nthreads);
void jacobian_matvec(const double *F, const double *x1, const double *x2,
                     int n1, int n2, int d, const double *v, int ncol,
                     double *out);

#endif
