/* NUL-separated token files: how runu hands descriptions to the in-guest init. */
#ifndef RUNU_TOKENS_H
#define RUNU_TOKENS_H

struct tokens {
	char *buf, *pos, *end;
};

/* Read a whole file; -1 with errno set when it cannot be read. */
int tokens_load(struct tokens *t, const char *path);
/* The next token, or NULL at the end. */
const char *tokens_next(struct tokens *t);
/* The next token; a truncated file is fatal. */
const char *tokens_need(struct tokens *t);

#endif
