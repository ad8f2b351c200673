#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

/* Hostile actions of the escape tests, one per subcommand. */
int main(int argc, char **argv) {
	if (argc == 4 && !strcmp(argv[1], "msg-handover")) {
		/* msg-handover UID N: create N queues and give them to UID. */
		int n = atoi(argv[3]);
		for (int i = 0; i < n; i++) {
			int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
			struct msqid_ds ds;
			if (id < 0 || msgctl(id, IPC_STAT, &ds) < 0) { perror("msgget"); return 1; }
			ds.msg_perm.uid = ds.msg_perm.gid = (unsigned)atoi(argv[2]);
			if (msgctl(id, IPC_SET, &ds) < 0) { perror("IPC_SET"); return 1; }
			printf("%d\n", id);
		}
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "mq-create")) {
		/* mq-create NAME MESSAGE: leave a message in a new queue. */
		struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 64};
		mqd_t q = mq_open(argv[2], O_CREAT | O_EXCL | O_WRONLY, 0600, &a);
		if (q == (mqd_t)-1 || mq_send(q, argv[3], strlen(argv[3]), 0) < 0) { perror("mq"); return 1; }
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "mq-read")) {
		/* mq-read NAME: print the message, or the error opening it. */
		char buf[64] = {0};
		mqd_t q = mq_open(argv[2], O_RDONLY | O_NONBLOCK);
		if (q == (mqd_t)-1) { printf("open: %s\n", strerror(errno)); return 2; }
		if (mq_receive(q, buf, sizeof buf, NULL) < 0) { printf("receive: %s\n", strerror(errno)); return 3; }
		printf("%s\n", buf);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "mq-unlink"))
		return mq_unlink(argv[2]) < 0 ? 1 : 0;
	fprintf(stderr, "usage: msg-handover UID N | mq-create NAME MSG | mq-read NAME | mq-unlink NAME\n");
	return 64;
}
