/* Registration of jntk's native routines (.Call, exact arities).
 * Each concept lists its entry points in its own calls_<concept>.h, as
 * prototypes plus a CALLS_<CONCEPT> macro of R_CallMethodDef rows, so the
 * concepts can grow independently. */
#include "jntk.h"
#include <R_ext/Rdynload.h>
#include <R_ext/Visibility.h>
#include "calls_kernels.h"
#include "calls_network.h"
#include "calls_training.h"
#include "calls_dynamics.h"
#include "calls_krylov.h"

#define CALLDEF(name, n) {#name, (DL_FUNC) &name, n}

static const R_CallMethodDef CallEntries[] = {
  CALLS_KERNELS
  CALLS_NETWORK
  CALLS_TRAINING
  CALLS_DYNAMICS
  CALLS_KRYLOV
  {NULL, NULL, 0}
};

void attribute_visible R_init_jntk(DllInfo *dll) {
  R_registerRoutines(dll, NULL, CallEntries, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
