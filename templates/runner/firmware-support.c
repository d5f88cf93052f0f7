/* Bare-metal support for running a user's firmware under QEMU with bnnc's startup code: the exit the
 * startup calls after main (semihosting SYS_EXIT_EXTENDED, so QEMU returns main's status), and the
 * memcpy/memset the compiler may emit calls to in a program built without a C library. */
#include <stddef.h>
#include <stdint.h>

int bnnc_semihost(int op, void *arg);
void bnnc_exit(int code);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void bnnc_exit(int code)
{
    uint32_t block[2];
    block[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
    block[1] = (uint32_t)code;
    bnnc_semihost(0x20, block); /* SYS_EXIT_EXTENDED */
    for (;;) {
    }
}

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}
