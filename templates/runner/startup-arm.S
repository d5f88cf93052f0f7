/* bnnc test-image startup for Cortex-M under QEMU: vector table, FPU enable, .bss clear, main, exit. */
    .syntax unified
    .thumb
    .section .vectors, "a"
    .global bnnc_vectors
bnnc_vectors:
    .word _estack
    .word reset_handler
    .rept 14
    .word fault_handler
    .endr

    .text
    .thumb_func
    .global reset_handler
reset_handler:
#ifdef __ARM_FP
    ldr r0, =0xE000ED88
    ldr r1, [r0]
    ldr r2, =0x00F00000
    orrs r1, r1, r2
    str r1, [r0]
    dsb
    isb
#endif
    ldr r0, =__data_start
    ldr r1, =__data_end
    ldr r2, =__data_load
5:  cmp r0, r1
    bhs 6f
    ldr r3, [r2]
    str r3, [r0]
    adds r0, r0, #4
    adds r2, r2, #4
    b 5b
6:  ldr r0, =__bss_start
    ldr r1, =__bss_end
    movs r2, #0
1:  cmp r0, r1
    bhs 2f
    str r2, [r0]
    adds r0, r0, #4
    b 1b
2:  bl main
    bl bnnc_exit
3:  b 3b

    .thumb_func
fault_handler:
    movs r0, #99
    bl bnnc_exit
4:  b 4b

    .thumb_func
    .global bnnc_semihost
bnnc_semihost:
    bkpt 0xab
    bx lr
