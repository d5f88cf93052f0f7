/* Example firmware for the bnnc examples: checks the board with the embedded self-test, then runs the
 * generated network on one embedded Fashion-MNIST test image and prints the class by its name. Compile an
 * example (any target) with the prefix, class names and self-test this file uses, next to it:
 *
 *     bnnc examples/mlp/mlp.onnx --target cortex-m4 --input-scale 1/255 --prefix bnn_model \
 *         --labels examples/firmware/labels.txt --selftest 4 -o out/
 *     cc ... out/bnn_model.c examples/firmware/main.c -I out -I examples/firmware
 *
 * On a board, printing goes through printf (retarget it to your UART). Built with -DBNNC_SEMIHOSTING it
 * prints through Arm / RISC-V semihosting instead (on Xtensa, bnnc's test image maps the call onto simcall),
 * which is how the test suite runs it under QEMU (test/examples/examples.test.ts). The exit status is 0 when
 * the self-test passes and the class matches the image's label. */
#include <stdint.h>
#include "bnn_model.h"
#include "test_image.h"

#ifdef BNNC_SEMIHOSTING
int bnnc_semihost(int op, void *arg);
static void put(const char *s)
{
    bnnc_semihost(0x04, (void *)(uintptr_t)s); /* SYS_WRITE0 */
}
#else
#include <stdio.h>
static void put(const char *s)
{
    fputs(s, stdout);
}
#endif

/* a small non-negative number in decimal, without printf */
static void put_uint(uint32_t v)
{
    char digits[11];
    int n = 10;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u && n > 0);
    put(&digits[n]);
}

static float scores[BNN_MODEL_OUTPUT_COUNT];

int main(void)
{
    /* 1. the board computes exactly what bnnc's reference does on the embedded golden vectors */
    int32_t bad = bnn_model_selftest();
    int32_t best;
    put("selftest: ");
    put_uint((uint32_t)bad);
    put(" of ");
    put_uint(BNN_MODEL_SELFTEST_VECTORS);
    put(" vectors differ\n");
    if (bad != 0) return 2;

    /* 2. classify the test image */
    if (bnn_model_run(test_image, scores) != BNN_MODEL_OK) return 3;
    best = bnn_model_argmax(scores);
    put("class ");
    put_uint((uint32_t)best);
    put(": ");
    put(bnn_model_labels[best]);
    put("\n");
    return best == TEST_IMAGE_LABEL ? 0 : 1;
}
