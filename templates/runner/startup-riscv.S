/* bnnc test-image startup for RISC-V under QEMU: trap vector, stack, .bss clear, main, exit. The
 * semihosting trap must be uncompressed: slli / ebreak / srai, aligned so it cannot straddle a page. */
    .section .text.start, "ax"
    .global _start
_start:
    la t0, trap
    .option push
    .option arch, +zicsr
    csrw mtvec, t0
    .option pop
    la sp, _estack
    la t0, __data_start
    la t1, __data_end
    la t2, __data_load
5:  bgeu t0, t1, 6f
    lw t3, 0(t2)
    sw t3, 0(t0)
    addi t0, t0, 4
    addi t2, t2, 4
    j 5b
6:  la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call main
    call bnnc_exit
3:  j 3b

    .balign 4
trap:
    li a0, 99
    call bnnc_exit
4:  j 4b

    .text
    .global bnnc_semihost
    .balign 16
    .option push
    .option norvc
bnnc_semihost:
    slli zero, zero, 0x1f
    ebreak
    srai zero, zero, 7
    ret
    .option pop
