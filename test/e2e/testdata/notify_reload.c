/* A Type=notify-reload service: READY=1 at start; on SIGUSR2 it announces a
 * reload of its own (RELOADING=1 only); on its reload signal
 * (SIGHUP, SIGUSR1) it prints "reload-by-SIG", sends RELOADING=1 with
 * MONOTONIC_USEC= (argv[1] "stale": a time from before the signal), waits
 * 100 ms and sends READY=1. With argv[1] "ignore" it never answers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_signal(int sig) { got = sig; }

static void notify(const char *msg) {
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;
	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
}

static unsigned long long mono_usec(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned long long start = mono_usec();
	char msg[128];
	sigset_t block, old;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Blocked but while waiting, so a signal that comes before the
	 * wait is not lost. */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGHUP, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	notify("READY=1");
	for (;;) {
		while (!got)
			sigsuspend(&old);
		if (got == SIGUSR2) {
			/* A reload of its own: announced, finished by the
			 * next reload signal's READY=1. */
			got = 0;
			snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu", mono_usec());
			notify(msg);
			printf("self-reload\n");
			continue;
		}
		printf("reload-by-%s\n", got == SIGHUP ? "HUP" : "USR1");
		got = 0;
		if (!strcmp(mode, "ignore"))
			continue;
		snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
			 !strcmp(mode, "stale") ? start : mono_usec());
		notify(msg);
		usleep(100000);
		notify("READY=1");
	}
}
