/* QEMU TCG plugin: counts every executed guest instruction exactly, records the count each time the
 * marker function starts, and can stop a runaway guest. Built by src/bench/plugin.ts with the host gcc.
 *
 * Arguments (-plugin insn_count.so,mark=0x1234,limit=N,out=/path):
 *   mark=ADDR   address of the marker function's first instruction (bit 0, Thumb's flag, is ignored)
 *   limit=N     once N instructions have run, write the report, say so on stderr, exit QEMU with code 124
 *   pcs=PATH    also count executions per instruction address and write them there at exit, one
 *               "ADDR COUNT" line (hex address, decimal count) per address executed, ascending: the input
 *               of the cycle estimate (docs/benchmarks-method.md). Costs a second inline add per instruction.
 *   out=PATH    where the report goes (default: stderr). One line each, in order:
 *                 mark C      per execution of the marker: instructions executed before its first instruction
 *                 total C     instructions executed in all
 *                 tb_total C  the same counted per translation block (a cross-check, see below)
 *                 limit_hit 0|1
 *
 * Exactness: an inline add (TCG code, no call) precedes every instruction, so an instruction is counted
 * once each time it starts. Interrupts are taken only between translation blocks, so they split nothing;
 * an exception raised by an instruction (semihosting BKPT / EBREAK, a fault) ends the block there, so the
 * instructions after it in the block are not counted, as they did not run. The per-block count (add the
 * block's length at its start) differs from the exact one exactly when a block was left early, which is
 * why both are reported: for our freestanding programs they agree, and a difference points at a fault.
 * The mark callback runs before the marked instruction's own add (QEMU emits call-backs ahead of inline
 * ops), so `mark` counts the instructions strictly before the marker; test/bench/plugin.test.ts checks it.
 * One vCPU is assumed (our machines have one): the counters are plain, unlocked memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu-plugin-api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define LIMIT_EXIT_CODE 124

static uint64_t insn_count; /* exact: +1 before each instruction */
static uint64_t tb_count;   /* per block: +length at the start of each block */
static uint64_t mark_addr;
static int have_mark;
static uint64_t limit;
static const char *out_path;
static uint64_t *marks;
static size_t n_marks, cap_marks;
static int reported;

/* Per-address counters for pcs=: slots live in fixed chunks (an inline op holds a slot's address for as
 * long as its block lives, so a slot never moves); an open-addressing table of pointers finds them. */
struct pc_slot {
    uint64_t pc;
    uint64_t count;
};
#define CHUNK_SLOTS 4096
static const char *pcs_path;
static struct pc_slot *chunk;
static size_t chunk_used = CHUNK_SLOTS;
static struct pc_slot **table;
static size_t table_cap, table_used;

static void *xalloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        fputs("bnnc insn_count: out of memory\n", stderr);
        _exit(LIMIT_EXIT_CODE + 1);
    }
    return p;
}

static size_t slot_index(uint64_t pc, size_t cap)
{
    return (size_t)((pc >> 1) * 0x9E3779B97F4A7C15ull) & (cap - 1);
}

static struct pc_slot *pc_slot(uint64_t pc)
{
    size_t i;
    struct pc_slot *s;
    if (2 * (table_used + 1) > table_cap) {
        size_t cap = table_cap ? 2 * table_cap : 4096, j;
        struct pc_slot **t = xalloc(cap * sizeof *t);
        for (j = 0; j < table_cap; j++) {
            if (!table[j]) continue;
            for (i = slot_index(table[j]->pc, cap); t[i]; i = (i + 1) & (cap - 1)) {
            }
            t[i] = table[j];
        }
        free(table);
        table = t;
        table_cap = cap;
    }
    for (i = slot_index(pc, table_cap); table[i]; i = (i + 1) & (table_cap - 1))
        if (table[i]->pc == pc) return table[i];
    if (chunk_used == CHUNK_SLOTS) {
        chunk = xalloc(CHUNK_SLOTS * sizeof *chunk);
        chunk_used = 0;
    }
    s = &chunk[chunk_used++];
    s->pc = pc;
    table[i] = s;
    table_used++;
    return s;
}

static int by_pc(const void *a, const void *b)
{
    uint64_t x = (*(struct pc_slot *const *)a)->pc, y = (*(struct pc_slot *const *)b)->pc;
    return x < y ? -1 : x > y;
}

static void write_pcs(void)
{
    size_t i, n = 0;
    struct pc_slot **all;
    FILE *f = fopen(pcs_path, "w");
    if (!f) {
        fprintf(stderr, "bnnc insn_count: cannot write %s\n", pcs_path);
        return;
    }
    all = xalloc((table_used + 1) * sizeof *all);
    for (i = 0; i < table_cap; i++)
        if (table[i] && table[i]->count) all[n++] = table[i];
    qsort(all, n, sizeof *all, by_pc);
    for (i = 0; i < n; i++) fprintf(f, "%llx %llu\n", (unsigned long long)all[i]->pc, (unsigned long long)all[i]->count);
    free(all);
    fclose(f);
}

static void on_mark(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (n_marks == cap_marks) {
        size_t cap = cap_marks ? 2 * cap_marks : 256;
        uint64_t *m = realloc(marks, cap * sizeof *m);
        if (!m) {
            fputs("bnnc insn_count: out of memory for marks\n", stderr);
            _exit(LIMIT_EXIT_CODE + 1);
        }
        marks = m;
        cap_marks = cap;
    }
    marks[n_marks++] = insn_count;
}

static void report(int limit_hit)
{
    FILE *f;
    size_t i;
    if (reported) return;
    reported = 1;
    f = out_path ? fopen(out_path, "w") : stderr;
    if (!f) {
        fprintf(stderr, "bnnc insn_count: cannot write %s\n", out_path);
        return;
    }
    for (i = 0; i < n_marks; i++) fprintf(f, "mark %llu\n", (unsigned long long)marks[i]);
    fprintf(f, "total %llu\n", (unsigned long long)insn_count);
    fprintf(f, "tb_total %llu\n", (unsigned long long)tb_count);
    fprintf(f, "limit_hit %d\n", limit_hit);
    if (f != stderr) fclose(f);
    else fflush(f);
    if (pcs_path) write_pcs();
}

/* Runs at the start of every block when a limit is set: the block boundary is where we may stop. */
static void check_limit(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (insn_count < limit) return;
    report(1);
    fprintf(stderr, "bnnc insn_count: instruction limit %llu reached, guest stopped\n", (unsigned long long)limit);
    fflush(stderr);
    _exit(LIMIT_EXIT_CODE); /* the report is written; skip QEMU's teardown, we are inside a translated block */
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb), i;
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &tb_count, n);
    if (limit) qemu_plugin_register_vcpu_tb_exec_cb(tb, check_limit, QEMU_PLUGIN_CB_NO_REGS, NULL);
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        if (have_mark && pc == mark_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
        if (pcs_path)
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &pc_slot(pc)->count, 1);
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    report(0);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s) return 0;
    *v = strtoull(s, &end, 0);
    return *end == '\0';
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "mark=", 5) && parse_u64(a + 5, &mark_addr)) {
            mark_addr &= ~(uint64_t)1;
            have_mark = 1;
        } else if (!strncmp(a, "limit=", 6) && parse_u64(a + 6, &limit)) {
        } else if (!strncmp(a, "out=", 4) && a[4]) {
            out_path = a + 4;
        } else if (!strncmp(a, "pcs=", 4) && a[4]) {
            pcs_path = a + 4;
        } else {
            fprintf(stderr, "bnnc insn_count: bad argument '%s' (expected mark=ADDR, limit=N, out=PATH, pcs=PATH)\n", a);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
