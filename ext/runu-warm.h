#ifndef RUNU_WARM_H
#define RUNU_WARM_H

/*
 * `runu create` (argv) served by a warm Python (runu/warm.py), started here when there is none:
 * 1 when served, create's exit status in `status`; 0 when the caller must run the Python CLI
 * `cli` itself (nothing was done: no server yet, another context, a request it does not serve).
 */
int warm_create(char **argv, const char *cli, int *status);

#endif
