/* compute/work.c - the workload's four kernels and their checksum (see work.h). */
#include "work.h"

struct node {
    uint32_t key;
    uint32_t val;
    struct node *next;
};

enum { ST_START, ST_SIGN, ST_INT, ST_FRAC, ST_EXP, ST_BAD };
enum { CL_DIGIT, CL_SIGN, CL_DOT, CL_SEP, CL_E };

static struct node nodes[COMPUTE_LIST_N];
static int32_t mat_a[COMPUTE_MAT_N][COMPUTE_MAT_N], mat_b[COMPUTE_MAT_N][COMPUTE_MAT_N];
static uint8_t text[COMPUTE_TEXT_N];
static const char alphabet[16] = "0123456789+-. ,e";

static uint32_t lcg(uint32_t *x)
{
    *x = *x * 1664525u + 1013904223u;
    return *x;
}

/* FNV-1a style word mix: every kernel result goes through it. */
static uint32_t mix(uint32_t acc, uint32_t v)
{
    return (acc ^ v) * 16777619u;
}

/* Build the list from the LCG, insertion-sort it by key (stable), then look up keys. */
static uint32_t list_kernel(uint32_t *x, uint32_t acc)
{
    struct node *head = 0;
    for (uint32_t i = 0; i < COMPUTE_LIST_N; i++) {
        struct node *n = &nodes[i];
        n->key = lcg(x) >> 22;                  /* 10-bit keys: duplicates happen */
        n->val = i;
        struct node **at = &head;               /* after every node with key <= n->key */
        while (*at && (*at)->key <= n->key) {
            at = &(*at)->next;
        }
        n->next = *at;
        *at = n;
    }
    for (uint32_t f = 0; f < COMPUTE_FINDS; f++) {
        uint32_t want = lcg(x) >> 22;
        const struct node *n = head;
        while (n && n->key < want) {
            n = n->next;
        }
        acc = mix(acc, n ? n->val : 0xFFFFu);
    }
    for (const struct node *n = head; n; n = n->next) {
        acc = mix(acc, n->val);
    }
    return acc;
}

static uint32_t matrix_kernel(uint32_t *x, uint32_t acc)
{
    for (uint32_t i = 0; i < COMPUTE_MAT_N; i++) {
        for (uint32_t j = 0; j < COMPUTE_MAT_N; j++) {
            mat_a[i][j] = (int32_t)(lcg(x) >> 24) - 128;
            mat_b[i][j] = (int32_t)(lcg(x) >> 24) - 128;
        }
    }
    for (uint32_t i = 0; i < COMPUTE_MAT_N; i++) {
        for (uint32_t j = 0; j < COMPUTE_MAT_N; j++) {
            int32_t sum = 0;
            for (uint32_t k = 0; k < COMPUTE_MAT_N; k++) {
                sum += mat_a[i][k] * mat_b[k][j];
            }
            acc = mix(acc, (uint32_t)sum);
        }
    }
    return acc;
}

static unsigned char_class(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return CL_DIGIT;
    }
    if (c == '+' || c == '-') {
        return CL_SIGN;
    }
    if (c == '.') {
        return CL_DOT;
    }
    return c == 'e' ? CL_E : CL_SEP;
}

/* Classify separator-delimited tokens as integers, decimals (with fraction or exponent) or bad. */
static uint32_t state_kernel(uint32_t *x, uint32_t acc)
{
    uint32_t ints = 0, decimals = 0, bad = 0, changes = 0;
    unsigned st = ST_START;
    for (uint32_t i = 0; i < COMPUTE_TEXT_N; i++) {
        text[i] = (uint8_t)alphabet[lcg(x) >> 28];
    }
    for (uint32_t i = 0; i <= COMPUTE_TEXT_N; i++) {
        unsigned cl = i < COMPUTE_TEXT_N ? char_class(text[i]) : CL_SEP;
        unsigned next = ST_BAD;
        if (cl == CL_SEP) {
            ints += st == ST_INT;
            decimals += st == ST_FRAC || st == ST_EXP;
            bad += st == ST_SIGN || st == ST_BAD;
            next = ST_START;
        } else {
            switch (st) {
            case ST_START:
                next = cl == CL_DIGIT ? ST_INT : cl == CL_SIGN ? ST_SIGN : cl == CL_DOT ? ST_FRAC : ST_BAD;
                break;
            case ST_SIGN:
                next = cl == CL_DIGIT ? ST_INT : cl == CL_DOT ? ST_FRAC : ST_BAD;
                break;
            case ST_INT:
                next = cl == CL_DIGIT ? ST_INT : cl == CL_DOT ? ST_FRAC : cl == CL_E ? ST_EXP : ST_BAD;
                break;
            case ST_FRAC:
                next = cl == CL_DIGIT ? ST_FRAC : cl == CL_E ? ST_EXP : ST_BAD;
                break;
            case ST_EXP:
                next = cl == CL_DIGIT || cl == CL_SIGN ? ST_EXP : ST_BAD;
                break;
            default:
                break;
            }
        }
        changes += next != st;
        st = next;
    }
    acc = mix(acc, ints);
    acc = mix(acc, decimals);
    acc = mix(acc, bad);
    return mix(acc, changes);
}

/* CRC-16/XMODEM form of CCITT (polynomial 0x1021, not reflected), bit by bit, init 0xFFFF. */
static uint32_t crc_kernel(uint32_t acc)
{
    uint32_t crc = 0xFFFFu;
    for (uint32_t i = 0; i < COMPUTE_TEXT_N; i++) {
        crc ^= (uint32_t)text[i] << 8;
        for (unsigned b = 0; b < 8u; b++) {
            crc = (crc & 0x8000u) ? ((crc << 1) ^ 0x1021u) & 0xFFFFu : (crc << 1) & 0xFFFFu;
        }
    }
    return mix(acc, crc);
}

uint32_t compute_run(uint32_t iterations)
{
    uint32_t acc = 2166136261u;
    for (uint32_t it = 0; it < iterations; it++) {
        uint32_t x = (it + 1u) * 0x9E3779B9u;
        acc = list_kernel(&x, acc);
        acc = matrix_kernel(&x, acc);
        acc = state_kernel(&x, acc);
        acc = crc_kernel(acc);
    }
    return acc;
}
