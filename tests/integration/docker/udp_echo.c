/* udp-echo PORT: answer every datagram with its own bytes. busybox-static has no UDP server,
 * and the published-port test needs one inside the guest. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	addr.sin_port = htons(argc > 1 ? atoi(argv[1]) : 9000);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("udp-echo");
		return 1;
	}
	puts("listening");
	fflush(stdout);
	for (;;) {
		char buf[2048];
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);

		if (n >= 0)
			sendto(fd, buf, n, 0, (struct sockaddr *)&peer, len);
	}
}
