// uring_suid tries to create set-user-ID and set-group-ID files through
// io_uring, where a seccomp filter on open(2) and mkdir(2) never looks:
//
//   uring_suid FILE DIR
//
// submits IORING_OP_OPENAT(FILE, O_CREAT|O_WRONLY, 04755) and
// IORING_OP_MKDIRAT(DIR, 02755) with raw system calls (no liburing) and
// prints one line per step: "setup: ok" or "setup: errno N", then
// "openat: N" and "mkdirat: N" with the completion's result (>= 0 or
// -errno). It exits 0 whatever happened; the caller judges the output.
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int submit(int ring, struct io_uring_params *p, void *sq, void *cq,
		  struct io_uring_sqe *sqes, const struct io_uring_sqe *sqe)
{
	unsigned *sq_tail = (unsigned *)((char *)sq + p->sq_off.tail);
	unsigned *sq_mask = (unsigned *)((char *)sq + p->sq_off.ring_mask);
	unsigned *sq_array = (unsigned *)((char *)sq + p->sq_off.array);
	unsigned *cq_head = (unsigned *)((char *)cq + p->cq_off.head);
	unsigned *cq_tail = (unsigned *)((char *)cq + p->cq_off.tail);
	unsigned *cq_mask = (unsigned *)((char *)cq + p->cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)((char *)cq + p->cq_off.cqes);

	unsigned tail = __atomic_load_n(sq_tail, __ATOMIC_ACQUIRE);
	unsigned idx = tail & *sq_mask;
	sqes[idx] = *sqe;
	sq_array[idx] = idx;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	unsigned head = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	int res = cqes[head & *cq_mask].res;
	__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: uring_suid FILE DIR\n");
		return 2;
	}
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	int ring = syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		printf("setup: errno %d\n", errno);
		return 0;
	}
	printf("setup: ok\n");
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	void *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	void *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
					 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("mmap: errno %d\n", errno);
		return 0;
	}

	struct io_uring_sqe sqe;
	memset(&sqe, 0, sizeof sqe);
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)argv[1];
	sqe.len = 04755;
	sqe.open_flags = O_CREAT | O_WRONLY | O_CLOEXEC;
	printf("openat: %d\n", submit(ring, &p, sq, cq, sqes, &sqe));

	memset(&sqe, 0, sizeof sqe);
	sqe.opcode = IORING_OP_MKDIRAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)argv[2];
	sqe.len = 02755;
	printf("mkdirat: %d\n", submit(ring, &p, sq, cq, sqes, &sqe));
	return 0;
}
