/*
 * Stdin framing between the host and the guest init.
 *
 * UML drops input that arrives together with end-of-file on a console line
 * (it hangs the line up before pushing the bytes), so end-of-file must not
 * reach UML at all. A host relay frames stdin and marks its end in-band; it
 * keeps the line open until the kernel exits. The guest decodes the frames
 * into a pipe that the container's process reads.
 *   byte FF -> FF FF        end of input -> FF 00
 * UML only reads a host fd after a SIGIO, and input already waiting when the
 * guest opens the line raises none: the relay starts sending only once the
 * guest's decoder has written one byte back on the line.
 */
#ifndef RUNU_STDIN_H
#define RUNU_STDIN_H

#define STDIN_ESCAPE 0xff
#define STDIN_END 0x00

/*
 * Host side: make fd 0 a pipe fed by a relay child reading the real stdin,
 * the go-ahead coming back on RUNU_FD_STDIN_ACK; with `one_socket`, fd 0 is a
 * socket carrying both (for an emulator, whose channel takes one descriptor).
 * Framed for pipes; plain for a terminal, which never ends by itself and
 * only needs the go-ahead (input typed early would otherwise wait unseen).
 */
void stdin_relay_start(int framed, int one_socket);
/* Guest side: a child decodes `line` into a pipe; returns the pipe's read end. */
int stdin_decoder_start(int line);

#endif
