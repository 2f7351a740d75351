/* OpenMP shim and the package's one thread policy (after data.table's
 * openmp-utils): call sites write JNTK_OMP(parallel for ...) and
 * jntk_thread_id(), never #ifdef _OPENMP. Without OpenMP the directives
 * vanish, jntk_thread_id() is 0 and every policy answers 1.
 *
 * Rules for parallel regions (style.md): nothing of R's API inside (no
 * allocation, no error, no RNG, no interrupt check); every number is computed
 * by the same operations whatever the thread count, so results do not depend
 * on it. */
#ifndef JNTK_JNTK_OMP_H
#define JNTK_JNTK_OMP_H

#include <stddef.h>

#define JNTK_STR_(x) #x
#ifdef _OPENMP
#include <omp.h>
#define JNTK_OMP(directive) _Pragma(JNTK_STR_(omp directive))
static inline int jntk_thread_id(void) { return omp_get_thread_num(); }
static inline int jntk_cores(void) { return omp_get_num_procs(); }
#else
#define JNTK_OMP(directive)
static inline int jntk_thread_id(void) { return 0; }
static inline int jntk_cores(void) { return 1; }
#endif

/* Grains: the least work one thread should get before a second one pays
 * (a parallel region costs a barrier, and a time slice on a busy machine).
 * Units are named in each constant. */
#define JNTK_GRAIN_FLOPS 4e6          /* multiply-adds of a matrix product */
#define JNTK_GRAIN_TABLE_FLOPS 1e7    /* multiply-adds of Hermite tables */
#define JNTK_GRAIN_PAIR_LAYERS 131072 /* (pair, layer) steps of a plain kernel */
#define JNTK_GRAIN_JET_LAYERS 32768   /* (pair, layer) steps of a jet kernel */
#define JNTK_GRAIN_FILTERS 1e5        /* spectral filter values */
#define JNTK_GRAIN_ELEMENTS 4096      /* elementwise operations */
#define JNTK_GRAIN_COLUMNS 8          /* columns of a threaded matrix product */
#define JNTK_GRAIN_ONE 1              /* independent items (inputs, times) */

/* Threads for `work` units when each thread should get at least `grain`
 * units: in [1, requested], at most one per grain of work and at most the
 * cores the machine has (a request for 1e6 threads is not an error here: R
 * validates and says so; a direct .Call gets the cap). */
static inline int jntk_threads(int requested, double work, double grain) {
  int nt = requested < 1 ? 1 : requested;
  double w = grain > 0 ? work / grain : work;
  if (!(w >= 1)) w = 1; /* also NaN */
  if (w < nt) nt = (int) w;
  int cores = jntk_cores();
  if (nt > cores) nt = cores < 1 ? 1 : cores;
  return nt;
}

#endif
