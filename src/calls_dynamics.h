/* Entry points of the dynamics routines: prototypes and registration rows
 * (CALLDEF(name, arity),) used by init.c. */
#ifndef JNTK_CALLS_DYNAMICS_H
#define JNTK_CALLS_DYNAMICS_H

#define CALLS_DYNAMICS

#endif
