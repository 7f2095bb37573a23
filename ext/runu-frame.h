/*
 * Agent frames (runu-abi.h) and the byte buffers they queue in: shared by the
 * guest's agent (runu-agent.c) and the host's hub (runu-agenthub.c).
 */
#ifndef RUNU_FRAME_H
#define RUNU_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX (RUNU_AGENT_HEADER + RUNU_AGENT_MAX_PAYLOAD)

struct buffer {
	unsigned char *data;
	size_t len, cap;
};

/* Append `len` bytes; -1 (the buffer unchanged) when memory runs out. */
int buffer_append(struct buffer *b, const void *data, size_t len);
/* Drop the first `n` bytes. */
void buffer_consume(struct buffer *b, size_t n);
/* Append a whole frame, or nothing (-1) when memory runs out. */
int frame_append(struct buffer *b, uint32_t session, uint16_t type, const void *payload, size_t len);

/* A byte stream of frames, read as it comes. */
struct frame_reader {
	unsigned char data[FRAME_MAX];
	size_t len;
};

typedef void (*frame_taker)(const unsigned char *header, unsigned char *payload, void *ctx);

/*
 * Read what `fd` has and hand each whole frame to `take`. A header that cannot
 * be one (a nonzero zero field, a length over the maximum) leaves no way to
 * find the next frame: what is buffered is dropped and the count returned, else 0.
 */
size_t frame_read(struct frame_reader *r, int fd, frame_taker take, void *ctx);

/* A header's fields, from its bytes. */
uint32_t frame_session(const unsigned char *header);
uint16_t frame_type(const unsigned char *header);
uint16_t frame_zero(const unsigned char *header);
uint32_t frame_length(const unsigned char *header);
void frame_set_session(unsigned char *header, uint32_t session);

uint32_t le32_at(const unsigned char *p);
uint16_t le16_at(const unsigned char *p);

#endif
