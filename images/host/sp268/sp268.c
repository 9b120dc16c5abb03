/* sp268/sp268.c - secure partition 268 of regression_host: secure-client PSA calls.
 *
 * Everything in host/sp268/ is linked into .tfm_sp.268 (code, rodata) and Secure SRAM (data,
 * stack) by host/regression.ld. The entry points switch to the partition's own stack, so the
 * control block psa_call() builds and every iovec array and buffer are in Secure memory. */
#include "sp268_rename.h"

#include <stddef.h>
#include <stdint.h>

#include "psa/client.h"
#include "psa/internal_trusted_storage.h"
#include "sp268.h"
#include "tfm_platform_api.h"

#define SP268_STACK_WORDS   512u        /* 2 KiB */

static uint64_t sp268_stack[SP268_STACK_WORDS / 2u];

typedef int32_t (*sp268_fn_t)(struct sp268_result *res);

/* Run fn(res) on the stack whose top is stack_top, then return to the caller's stack.
 * r0 = fn, r1 = res, r2 = stack_top (8-byte aligned). */
__attribute__((naked, noinline, noclone))
static int32_t sp268_on_own_stack(sp268_fn_t fn, struct sp268_result *res, void *stack_top)
{
    (void)fn;
    (void)res;
    (void)stack_top;
    __asm__ volatile(
        "push   {r4, lr}\n\t"
        "mov    r4, sp\n\t"
        "mov    sp, r2\n\t"
        "mov    r2, r0\n\t"
        "mov    r0, r1\n\t"
        "blx    r2\n\t"
        "mov    sp, r4\n\t"
        "pop    {r4, pc}");
}

static int32_t sp268_run(sp268_fn_t fn, struct sp268_result *res)
{
    return sp268_on_own_stack(fn, res, &sp268_stack[SP268_STACK_WORDS / 2u]);
}

/* ------------------------------------------------------------------ NV counter */

static uint8_t nv_value[4];

static int32_t nv_counter_read0(struct sp268_result *res)
{
    for (unsigned i = 0; i < sizeof(nv_value); i++) {
        nv_value[i] = 0xA5u;
    }
    enum tfm_platform_err_t err = tfm_platform_nv_counter_read(0u, sizeof(nv_value), nv_value);
    res->status = (int32_t)err;
    res->step = (err == TFM_PLATFORM_ERR_SUCCESS) ? 0u : 1u;
    res->value = (uint32_t)nv_value[0] | ((uint32_t)nv_value[1] << 8) |
                 ((uint32_t)nv_value[2] << 16) | ((uint32_t)nv_value[3] << 24);
    return (int32_t)err;
}

int32_t sp268_nv_counter_read0(struct sp268_result *res)
{
    return sp268_run(nv_counter_read0, res);
}

/* ------------------------------------------------------------------ ITS round trip */

static uint8_t its_wr[SP268_ITS_LEN];
static uint8_t its_rd[SP268_ITS_LEN + 8u];
static struct psa_storage_info_t its_info;

/* Steps: 1 set, 2 get, 3 get length, 4 data compare, 5 get_info, 6 info fields, 7 remove. */
static int32_t its_roundtrip(struct sp268_result *res)
{
    const psa_storage_uid_t uid = SP268_ITS_UID;
    size_t len = 0u;
    psa_status_t st;

    for (unsigned i = 0; i < sizeof(its_wr); i++) {
        its_wr[i] = (uint8_t)(0x68u + 13u * i);
    }
    for (unsigned i = 0; i < sizeof(its_rd); i++) {
        its_rd[i] = 0u;
    }
    res->value = 0u;

    st = psa_its_set(uid, sizeof(its_wr), its_wr, PSA_STORAGE_FLAG_NONE);
    res->step = 1u;
    if (st != PSA_SUCCESS) {
        goto out;
    }
    st = psa_its_get(uid, 0u, sizeof(its_rd), its_rd, &len);
    res->step = 2u;
    if (st != PSA_SUCCESS) {
        goto out;
    }
    res->step = 3u;
    res->value = (uint32_t)len;
    if (len != sizeof(its_wr)) {
        goto remove;
    }
    res->step = 4u;
    for (unsigned i = 0; i < sizeof(its_wr); i++) {
        if (its_rd[i] != its_wr[i]) {
            res->value = i;
            goto remove;
        }
    }
    st = psa_its_get_info(uid, &its_info);
    res->step = 5u;
    if (st != PSA_SUCCESS) {
        goto remove;
    }
    res->step = 6u;
    res->value = (uint32_t)its_info.size;
    if (its_info.size != sizeof(its_wr) || its_info.flags != PSA_STORAGE_FLAG_NONE) {
        goto remove;
    }
    st = psa_its_remove(uid);
    res->step = (st == PSA_SUCCESS) ? 0u : 7u;
    res->value = 0u;
    goto out;

remove:
    /* a check failed after a successful set: clean up, keep the failing step's report */
    (void)psa_its_remove(uid);
out:
    res->status = st;
    return (res->step == 0u) ? 0 : ((st != PSA_SUCCESS) ? st : -1);
}

int32_t sp268_its_roundtrip(struct sp268_result *res)
{
    return sp268_run(its_roundtrip, res);
}
