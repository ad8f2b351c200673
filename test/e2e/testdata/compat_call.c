// compat_call makes system calls through the i386 ABI (int $0x80) from a
// 64-bit process, where a filter that only knows x86_64's numbers would
// not look:
//
//   compat_call
//
// prints "getppid: N" (the result of i386 getppid, 64, or -errno) and
// "getpid: N" (i386 getpid, 20). A filter that kills ends it there.
#include <stdio.h>

static long int80(long nr)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("getppid: %ld\n", int80(64));
	printf("getpid: %ld\n", int80(20));
	return 0;
}
