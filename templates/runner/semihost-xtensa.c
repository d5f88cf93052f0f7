/* The Arm semihosting calls bnnc's runners make (bnnc_semihost(op, block)), carried out with QEMU's Xtensa
 * semihosting (target/xtensa/xtensa-semi.c: simcall, the POSIX-like calls of Tensilica's simulator), for an
 * image built with startup-xtensa-lx106.S. Only the calls the runners use: SYS_OPEN, SYS_CLOSE, SYS_WRITE0,
 * SYS_WRITE, SYS_READ and SYS_EXIT_EXTENDED. */
#include <stdint.h>

int bnnc_simcall(int call, uint32_t a, uint32_t b, uint32_t c);
int bnnc_semihost(int op, void *arg);

enum { XT_EXIT = 1, XT_READ = 3, XT_WRITE = 4, XT_OPEN = 5, XT_CLOSE = 6 };

/* open() flags for writing, O_WRONLY | O_CREAT | O_TRUNC in both numberings QEMU has used: Linux's own
 * (0x241: QEMU 7.2 hands the flags to the host's open unchanged) and the GDB File-I/O protocol's (0x601:
 * later QEMUs translate from those). Each reading ignores or tolerates the other's bits: Linux reads 0x400
 * as O_APPEND, which changes nothing on a file just truncated. Reading: 0 in both. */
#define OPEN_WRITE 0x641u
#define OPEN_MODE 0644u

int bnnc_semihost(int op, void *arg)
{
    const uint32_t *a = arg;
    switch (op) {
    case 0x01: /* SYS_OPEN {name, mode, length}: Arm modes 0-3 read, 4-7 write (truncate), 8-11 append */
        return bnnc_simcall(XT_OPEN, a[0], a[1] >= 4u ? OPEN_WRITE : 0u, OPEN_MODE);
    case 0x02: /* SYS_CLOSE {fd} */
        return bnnc_simcall(XT_CLOSE, a[0], 0u, 0u);
    case 0x04: { /* SYS_WRITE0: a string to the console (QEMU's stderr) */
        const char *s = arg;
        uint32_t n = 0;
        while (s[n] != 0) n++;
        (void)bnnc_simcall(XT_WRITE, 2u, (uint32_t)(uintptr_t)s, n);
        return 0;
    }
    case 0x05: /* SYS_WRITE {fd, buffer, length} and SYS_READ: Arm returns the bytes NOT transferred */
    case 0x06: {
        int done = bnnc_simcall(op == 0x05 ? XT_WRITE : XT_READ, a[0], a[1], a[2]);
        return done < 0 ? (int)a[2] : (int)(a[2] - (uint32_t)done);
    }
    case 0x20: /* SYS_EXIT_EXTENDED {reason, code}: QEMU exits with the code */
        (void)bnnc_simcall(XT_EXIT, a[1], 0u, 0u);
        break;
    default:
        break;
    }
    return -1;
}
