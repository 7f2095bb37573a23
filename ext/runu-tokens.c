#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runu-fail.h"
#include "runu-tokens.h"

int tokens_load(struct tokens *t, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !(t->buf = malloc(st.st_size + 1))) {
		close(fd);
		return -1;
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, t->buf + got, st.st_size - got);

		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	t->buf[got] = '\0';
	t->pos = t->buf;
	t->end = t->buf + got;
	return 0;
}

const char *tokens_next(struct tokens *t)
{
	char *tok = t->pos;
	char *nul;

	if (tok >= t->end)
		return NULL;
	nul = memchr(tok, '\0', t->end - tok);
	if (!nul)
		return NULL;
	t->pos = nul + 1;
	return tok;
}

const char *tokens_need(struct tokens *t)
{
	const char *tok = tokens_next(t);

	if (!tok)
		die(126, "truncated sandbox description");
	return tok;
}
