/* Example firmware for the bnnc examples: runs the generated network on one embedded Fashion-MNIST test
 * image and prints the class. Copy it next to the generated bnn_model.c/.h (any example, any target):
 *
 *     bnnc examples/mlp/mlp.onnx --target cortex-m4 -o out/ --input-scale 1/255
 *     cc ... out/bnn_model.c examples/firmware/main.c -I out -I examples/firmware
 *
 * On a board, printing goes through printf (retarget it to your UART). Built with -DBNNC_SEMIHOSTING it
 * prints through Arm / RISC-V semihosting instead (on Xtensa, bnnc's test image maps the call onto simcall),
 * which is how the test suite runs it under QEMU (test/examples/examples.test.ts). The exit status is 0 when
 * the class matches the image's label. */
#include <stdint.h>
#include "bnn_model.h"
#include "test_image.h"

static const char *const CLASSES[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

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

static float scores[BNN_MODEL_OUTPUT_COUNT];

int main(void)
{
    char digit[2];
    int best = 0;
    int c;

    bnn_model_run(test_image, scores);
    for (c = 1; c < BNN_MODEL_OUTPUT_COUNT; c++) {
        if (scores[c] > scores[best]) best = c;
    }
    digit[0] = (char)('0' + best);
    digit[1] = '\0';
    put("class ");
    put(digit);
    put(": ");
    put(CLASSES[best]);
    put("\n");
    return best == TEST_IMAGE_LABEL ? 0 : 1;
}
