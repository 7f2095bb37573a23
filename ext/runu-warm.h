#ifndef RUNU_WARM_H
#define RUNU_WARM_H

/*
 * `runu create` served by a warm Python (runu/warm.py), started here when there is none. Exits
 * with create's status when served; returns when the caller must run the Python CLI `cli`
 * itself (nothing was done: no server yet, another context, a request it does not serve).
 */
void warm_create(char **argv, const char *cli);

#endif
