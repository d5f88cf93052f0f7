/* The libgcc routines Debian's xtensa-lx106-elf-gcc leaves out because the ESP8266's ROM holds them (its SDK
 * links them from there): single-precision add, subtract, multiply and int <-> float conversions, and
 * 32-bit division; built into the lx106 stand-in's test images only (an ESP32's own libgcc has them all, and
 * its FPU does the float ones). IEEE 754 binary32 with round to nearest, ties to even, subnormals kept,
 * the default NaN 0x7fc00000: what float32 arithmetic gives everywhere else, so the C stays bit-exact with
 * the reference interpreter (Math.fround). No float operator is used here: all is integer work on the bits.
 *
 * Working form: a magnitude m with its leading (implicit) bit at bit 26 and three more bits below the 24
 * kept ones (guard, round, sticky), and a biased exponent e >= 1 (a subnormal has e = 1 and bit 26 clear).
 * round_pack rounds the three low bits away (ties to even) and encodes; right shifts on the way OR what they
 * drop into the sticky bit, so a result is rounded once, from the exact value's bits. */
#include <stdint.h>

float __addsf3(float a, float b);
float __subsf3(float a, float b);
float __mulsf3(float a, float b);
float __floatsisf(int32_t i);
float __floatunsisf(uint32_t u);
uint32_t __fixunssfsi(float a);
uint32_t __udivsi3(uint32_t n, uint32_t d);
uint32_t __umodsi3(uint32_t n, uint32_t d);
int32_t __divsi3(int32_t n, int32_t d);

typedef union { float f; uint32_t u; } bits32;

#define SIGN 0x80000000u
#define QNAN 0x7fc00000u
#define INF 0x7f800000u
#define LEAD (1u << 26)

static uint32_t u_of(float f) { bits32 b; b.f = f; return b.u; }
static float f_of(uint32_t u) { bits32 b; b.u = u; return b.f; }
static int is_nan(uint32_t u) { return (u & 0x7fffffffu) > INF; }

/* m >> s, with every bit shifted out ORed into bit 0 */
static uint32_t shift_sticky(uint32_t m, uint32_t s)
{
    if (s == 0u) return m;
    if (s >= 32u) return m != 0u;
    return (m >> s) | ((m & ((1u << s) - 1u)) != 0u);
}

/* sign | the working form (m, e) rounded to 24 bits and encoded; e beyond the range: infinity */
static float round_pack(uint32_t sign, int32_t e, uint32_t m)
{
    uint32_t low = m & 7u;
    m >>= 3;
    if (low > 4u || (low == 4u && (m & 1u))) m++;
    if (m == (1u << 24)) {
        m >>= 1;
        e++;
    }
    if (e >= 255) return f_of(sign | INF);
    /* a value below 2^-126 keeps e = 1 with bit 23 clear: exponent field 0, a subnormal */
    return f_of(sign | ((m & (1u << 23)) ? (uint32_t)e << 23 : 0u) | (m & 0x7fffffu));
}

/* the working form of a finite nonzero magnitude's bits */
static uint32_t unpack(uint32_t u, int32_t *e)
{
    uint32_t ef = (u >> 23) & 0xffu, m = u & 0x7fffffu;
    *e = ef ? (int32_t)ef : 1;
    return (ef ? m | (1u << 23) : m) << 3;
}

float __addsf3(float fa, float fb)
{
    uint32_t a = u_of(fa), b = u_of(fb), ma, mb, m, sign;
    int32_t ea, eb;
    if (is_nan(a) || is_nan(b)) return f_of(QNAN);
    if ((a & 0x7fffffffu) == INF) return ((b & 0x7fffffffu) == INF && a != b) ? f_of(QNAN) : fa;
    if ((b & 0x7fffffffu) == INF) return fb;
    if ((a & 0x7fffffffu) == 0u) return (b & 0x7fffffffu) ? fb : f_of(a & b); /* -0 only for -0 + -0 */
    if ((b & 0x7fffffffu) == 0u) return fa;
    if ((a & 0x7fffffffu) < (b & 0x7fffffffu)) { /* |a| >= |b| from here */
        uint32_t t = a;
        a = b;
        b = t;
    }
    sign = a & SIGN;
    ma = unpack(a, &ea);
    mb = shift_sticky(unpack(b, &eb), (uint32_t)(ea - eb));
    if ((a ^ b) & SIGN) {
        m = ma - mb;
        if (m == 0u) return f_of(0u); /* x + (-x) = +0 */
        while (!(m & LEAD) && ea > 1) { /* at most one position unless the shift above was exact */
            m <<= 1;
            ea--;
        }
    } else {
        m = ma + mb;
        if (m & (LEAD << 1)) {
            m = shift_sticky(m, 1u);
            ea++;
        }
    }
    return round_pack(sign, ea, m);
}

float __subsf3(float a, float b)
{
    uint32_t ub = u_of(b);
    return __addsf3(a, is_nan(ub) ? b : f_of(ub ^ SIGN));
}

/* the 48-bit product of two 24-bit magnitudes, as hi:lo (no 64-bit multiply: lx106 has no MULUH, and this
 * libgcc no __muldi3) */
static void mul24(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint32_t a1 = a >> 16, a0 = a & 0xffffu, b1 = b >> 16, b0 = b & 0xffffu;
    uint32_t mid = a1 * b0 + a0 * b1; /* < 2^25 */
    uint32_t l = a0 * b0, h = a1 * b1;
    uint32_t t = l + (mid << 16);
    h += (mid >> 16) + (t < l);
    *hi = h;
    *lo = t;
}

float __mulsf3(float fa, float fb)
{
    uint32_t a = u_of(fa), b = u_of(fb), sign = (a ^ b) & SIGN, ma, mb, hi, lo, m;
    int32_t ea, eb, e;
    int az = (a & 0x7fffffffu) == 0u, bz = (b & 0x7fffffffu) == 0u;
    int ai = (a & 0x7fffffffu) == INF, bi = (b & 0x7fffffffu) == INF;
    if (is_nan(a) || is_nan(b) || (ai && bz) || (bi && az)) return f_of(QNAN);
    if (ai || bi) return f_of(sign | INF);
    if (az || bz) return f_of(sign);
    ma = unpack(a, &ea) >> 3;
    mb = unpack(b, &eb) >> 3;
    while (!(ma & (1u << 23))) { ma <<= 1; ea--; }
    while (!(mb & (1u << 23))) { mb <<= 1; eb--; }
    mul24(ma, mb, &hi, &lo); /* in [2^46, 2^48): bits 47..0 as hi (bits 63..32) : lo */
    e = ea + eb - 127;
    if (hi & (1u << 15)) { /* bit 47: keep bits 47..21 */
        m = (hi << 11) | (lo >> 21) | ((lo & 0x1fffffu) != 0u);
        e++;
    } else { /* bit 46: keep bits 46..20 */
        m = (hi << 12) | (lo >> 20) | ((lo & 0xfffffu) != 0u);
    }
    if (e < 1) { /* below the normal range: denormalize before the one rounding */
        m = shift_sticky(m, (uint32_t)(1 - e));
        e = 1;
    }
    return round_pack(sign, e, m);
}

float __floatunsisf(uint32_t u)
{
    int32_t n = 31;
    if (u == 0u) return f_of(0u);
    while (!(u & (1u << n))) n--;
    /* n + 1 significant bits, placed with the leading one at bit 26 */
    return round_pack(0u, 127 + n, n <= 26 ? u << (26 - n) : shift_sticky(u, (uint32_t)(n - 26)));
}

float __floatsisf(int32_t i)
{
    uint32_t u = i < 0 ? 0u - (uint32_t)i : (uint32_t)i;
    return f_of(u_of(__floatunsisf(u)) | (i < 0 ? SIGN : 0u));
}

/* toward zero; negative values and NaN give 0, values of 2^32 and beyond 0xffffffff */
uint32_t __fixunssfsi(float fa)
{
    uint32_t a = u_of(fa), m;
    int32_t e = (int32_t)((a >> 23) & 0xffu) - 127;
    if ((a & SIGN) || is_nan(a) || e < 0) return 0u;
    if (e >= 32) return 0xffffffffu;
    m = (a & 0x7fffffu) | (1u << 23);
    return e >= 23 ? m << (e - 23) : m >> (23 - e);
}

/* restoring division, one quotient bit per step; d = 0 gives all ones, as a divider without a trap would */
static uint32_t divmod(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0u, r = 0u;
    int32_t i;
    if (d == 0u) {
        *rem = n;
        return 0xffffffffu;
    }
    for (i = 31; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1u << i;
        }
    }
    *rem = r;
    return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    return divmod(n, d, &r);
}

uint32_t __umodsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    (void)divmod(n, d, &r);
    return r;
}

int32_t __divsi3(int32_t n, int32_t d)
{
    uint32_t r, un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n, ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    uint32_t q = divmod(un, ud, &r);
    return (int32_t)((n < 0) != (d < 0) ? 0u - q : q);
}
