/* A hostile capsule against capsulectl -C NAME bus: it puts its own
 * socket in place of the capsule's bus, with a full backlog, so root's
 * connect() blocks in the thread that holds the capsule's UID; then it
 * tries to ptrace that thread and to read its memory. Prints one line:
 * "tried TID attach=ERR vmread=ERR" ("ok" where it got in). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char real[200];
	snprintf(a.sun_path, sizeof a.sun_path, "%s/bus", dir);
	snprintf(real, sizeof real, "%s/bus.real", dir);
	if (rename(a.sun_path, real) < 0) {
		perror("rename");
		return 1;
	}
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 0) < 0) {
		perror("listen");
		return 1;
	}
	/* One pending connection fills a backlog of 0: the next connect() blocks. */
	int fill = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(fill, (struct sockaddr *)&a, sizeof a);
	char ready[220];
	snprintf(ready, sizeof ready, "%s/bc-ready", dir);
	close(open(ready, O_CREAT | O_WRONLY, 0644));

	/* The capsule's /proc hides root's processes (hidepid=invisible), but
	 * a TID can be guessed; the test hands over the one it saw, in
	 * bc-go, to keep this quick. */
	char gop[220];
	snprintf(gop, sizeof gop, "%s/bc-go", dir);
	pid_t tid = 0;
	for (int i = 0; i < 2000 && tid <= 0; i++) {
		FILE *f = fopen(gop, "r");
		if (f) {
			if (fscanf(f, "%d", &tid) != 1)
				tid = 0;
			fclose(f);
		}
		if (tid <= 0) {
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (tid <= 0) {
		printf("notid\n");
	} else {
		const char *attach = "ok", *vm = "ok";
		if (ptrace(PTRACE_ATTACH, tid, 0, 0) < 0) {
			attach = strerrorname_np(errno);
		} else {
			waitpid(tid, NULL, __WALL);
			ptrace(PTRACE_DETACH, tid, 0, 0);
		}
		char buf[16];
		struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
		if (process_vm_readv(tid, &local, 1, &remote, 1, 0) < 0 && errno != EFAULT)
			vm = strerrorname_np(errno);
		printf("tried %d attach=%s vmread=%s\n", tid, attach, vm);
	}
	fflush(stdout);
	/* Let capsulectl go: take the connections and hang up. */
	close(fill);
	close(l);
	unlink(a.sun_path);
	unlink(ready);
	unlink(gop);
	rename(real, a.sun_path);
	return 0;
}
