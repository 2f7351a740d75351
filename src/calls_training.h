/* Entry points of the training routines: prototypes and registration rows
 * (CALLDEF(name, arity),) used by init.c. */
#ifndef JNTK_CALLS_TRAINING_H
#define JNTK_CALLS_TRAINING_H

#define CALLS_TRAINING

#endif
