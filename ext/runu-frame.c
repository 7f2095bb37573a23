#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-frame.h"

int buffer_append(struct buffer *b, const void *data, size_t len)
{
	if (!len)
		return 0;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *grown;

		while (cap < b->len + len)
			cap *= 2;
		if (!(grown = realloc(b->data, cap)))
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void buffer_consume(struct buffer *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

int frame_append(struct buffer *b, uint32_t session, uint16_t type, const void *payload, size_t len)
{
	unsigned char header[RUNU_AGENT_HEADER] = { 0 };
	uint32_t l = htole32(len);
	uint16_t t = htole16(type);

	frame_set_session(header, session);
	memcpy(header + 4, &t, 2);
	memcpy(header + 8, &l, 4);
	if (buffer_append(b, header, sizeof(header)) < 0)
		return -1;
	if (buffer_append(b, payload, len) < 0) {
		b->len -= sizeof(header);
		return -1;
	}
	return 0;
}

uint32_t le32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

uint16_t le16_at(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

uint32_t frame_session(const unsigned char *header)
{
	return le32_at(header);
}

uint16_t frame_type(const unsigned char *header)
{
	return le16_at(header + 4);
}

uint16_t frame_zero(const unsigned char *header)
{
	return le16_at(header + 6);
}

uint32_t frame_length(const unsigned char *header)
{
	return le32_at(header + 8);
}

void frame_set_session(unsigned char *header, uint32_t session)
{
	uint32_t s = htole32(session);

	memcpy(header, &s, 4);
}

size_t frame_read(struct frame_reader *r, int fd, frame_taker take, void *ctx)
{
	ssize_t n = read(fd, r->data + r->len, sizeof(r->data) - r->len);
	size_t at = 0, dropped = 0;

	if (n <= 0)
		return 0;
	r->len += n;
	while (r->len - at >= RUNU_AGENT_HEADER) {
		unsigned char *h = r->data + at;
		uint32_t len = frame_length(h);

		if (frame_zero(h) != 0 || len > RUNU_AGENT_MAX_PAYLOAD) {
			dropped = r->len - at;
			at = r->len;
			break;
		}
		if (r->len - at < RUNU_AGENT_HEADER + len)
			break;
		take(h, h + RUNU_AGENT_HEADER, ctx);
		at += RUNU_AGENT_HEADER + len;
	}
	memmove(r->data, r->data + at, r->len - at);
	r->len -= at;
	return dropped;
}
