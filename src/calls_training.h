/* Entry points of the training routines (training.c): prototypes and
 * registration rows (CALLDEF(name, arity),) used by init.c. */
#ifndef JNTK_CALLS_TRAINING_H
#define JNTK_CALLS_TRAINING_H

#include "jntk.h"

SEXP training_loss_grad(SEXP theta, SEXP widths, SEXP x, SEXP y, SEXP act,
                        SEXP slope, SEXP sigma_w, SEXP sigma_b, SEXP kappa,
                        SEXP lambda, SEXP want_grad, SEXP threads);
SEXP training_forward(SEXP theta, SEXP widths, SEXP x, SEXP act, SEXP slope,
                      SEXP sigma_w, SEXP sigma_b, SEXP kappa, SEXP threads);
SEXP training_gd(SEXP theta, SEXP widths, SEXP x, SEXP y, SEXP act, SEXP slope,
                 SEXP sigma_w, SEXP sigma_b, SEXP kappa, SEXP lambda, SEXP lr,
                 SEXP steps, SEXP threads);

#define CALLS_TRAINING                   \
  CALLDEF(training_loss_grad, 12),       \
  CALLDEF(training_forward, 9),          \
  CALLDEF(training_gd, 13),

#endif
