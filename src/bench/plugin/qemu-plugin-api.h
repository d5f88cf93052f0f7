/* The part of the QEMU TCG plugin API (version 1, as exported by QEMU 7.2) that insn_count.c uses.
 * Debian's qemu-system-* packages export these symbols but ship no header, so we declare our own.
 * Signatures and enum values follow QEMU 7.2's include/qemu/qemu-plugin.h; the symbols resolve against
 * the QEMU executable when it dlopen()s the plugin (link with -shared and leave them undefined). */
#ifndef BNNC_QEMU_PLUGIN_API_H
#define BNNC_QEMU_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

/* QEMU reads this symbol before calling qemu_plugin_install and refuses the plugin unless
 * min <= qemu_plugin_version <= cur (7.2: min 0, cur 1). */
#define QEMU_PLUGIN_VERSION 1
extern QEMU_PLUGIN_EXPORT int qemu_plugin_version;

typedef uint64_t qemu_plugin_id_t;

/* We read no field of it, so it stays incomplete (its layout is QEMU's business). */
typedef struct qemu_info_t qemu_info_t;

struct qemu_plugin_tb;   /* opaque: a translation block being translated */
struct qemu_plugin_insn; /* opaque: one instruction of that block */

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS = 0, /* the callback reads no CPU register */
    QEMU_PLUGIN_CB_R_REGS = 1,
    QEMU_PLUGIN_CB_RW_REGS = 2,
};

enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64 = 0, /* *(uint64_t *)ptr += imm, emitted as TCG code (no call) */
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

void qemu_plugin_outs(const char *string);

#endif
