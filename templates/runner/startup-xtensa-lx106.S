/* bnnc test-image startup for QEMU's Xtensa lx106 core (`-M sim -cpu lx106`, call0 ABI): vector table, stack,
 * .data copy, .bss clear, main, exit; and bnnc_simcall, QEMU's Xtensa semihosting call (a2 = call number,
 * a3..a5 = arguments; a2 = result). The table sits at the ROM's origin, which is both lx106's reset vector
 * (0x50000000, where QEMU starts whatever the ELF's entry) and VECBASE once set: offset 0 is free on a core
 * without register windows, so it holds the jump to the reset code, and every exception vector of lx106's
 * layout (debug 0x10, NMI 0x20, kernel 0x30, user 0x50, double 0x70) goes to the fault exit (99). */
    .section .vectors, "ax"
    .begin no-transform
    .global _start
_start:
    j reset
    .org 0x10
    j fault
    .org 0x20
    j fault
    .org 0x30
    j fault
    .org 0x50
    j fault
    .org 0x70
    j fault
    .end no-transform

    .balign 4
.Lvectors:   .word _start
.Lestack:    .word _estack
.Ldata:      .word __data_start
.Ldata_end:  .word __data_end
.Ldata_load: .word __data_load
.Lbss:       .word __bss_start
.Lbss_end:   .word __bss_end
.Lmain:      .word main
.Lexit:      .word bnnc_exit

reset:
    l32r a2, .Lvectors
    wsr a2, vecbase
    isync
    l32r a1, .Lestack
    l32r a2, .Ldata
    l32r a3, .Ldata_end
    l32r a4, .Ldata_load
1:  bgeu a2, a3, 2f
    l32i a5, a4, 0
    s32i a5, a2, 0
    addi a2, a2, 4
    addi a4, a4, 4
    j 1b
2:  l32r a2, .Lbss
    l32r a3, .Lbss_end
    movi a4, 0
3:  bgeu a2, a3, 4f
    s32i a4, a2, 0
    addi a2, a2, 4
    j 3b
4:  l32r a0, .Lmain
    callx0 a0
    l32r a0, .Lexit
    callx0 a0
5:  j 5b

fault:
    movi a2, 1
    movi a3, 99
    simcall
6:  j 6b

    .text
    .global bnnc_simcall
    .balign 4
bnnc_simcall:
    simcall
    ret
