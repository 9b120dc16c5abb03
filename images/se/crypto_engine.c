/* crypto_engine.c - SE crypto engine driver and the firmware-internal crypto API. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_engine.h"
#include "lib/memfuncs.h"

#define CE_REG(off)             (*(volatile uint32_t *)(CE_BASE + (off)))
#define CE_CTRL                 CE_REG(0x004u)
#define CE_DESC                 CE_REG(0x00Cu)
#define CE_RESULT               CE_REG(0x010u)
#define CE_ATTEST               CE_REG(0x020u)
#define CE_CTRL_START           (1u << 0)
#define CE_CTRL_RESET           (1u << 1)

static bool ce_ready;
static ce_desc_t ce_internal;           /* descriptor of the internal API */

void ce_init(void)
{
    if (!ce_ready) {
        CE_CTRL = CE_CTRL_RESET;
        ce_ready = true;
    }
}

void ce_begin(ce_desc_t *d, uint32_t cmd, uint32_t slot, uint32_t alg, uint32_t ctx)
{
    memset(d, 0, sizeof *d);
    d->cmd = cmd;
    d->slot = slot;
    d->alg = alg;
    d->ctx = ctx;
}

void ce_in(ce_desc_t *d, uint32_t i, const void *p, size_t n)
{
    d->in[i].addr = (uint32_t)(uintptr_t)p;
    d->in[i].len = (uint32_t)n;
}

void ce_out(ce_desc_t *d, uint32_t i, void *p, size_t size)
{
    d->out[i].addr = (uint32_t)(uintptr_t)p;
    d->out[i].len = (uint32_t)size;
}

psa_status_t ce_run(ce_desc_t *d)
{
    ce_init();
    CE_DESC = (uint32_t)(uintptr_t)d;
    CE_CTRL = CE_CTRL_START;
    return (psa_status_t)CE_RESULT;
}

/* Run the internal descriptor and report output 0's length. */
static psa_status_t ce_internal_run(size_t *out_len)
{
    psa_status_t st = ce_run(&ce_internal);

    if (out_len != NULL) {
        *out_len = st == PSA_SUCCESS ? ce_internal.out_len[0] : 0u;
    }
    return st;
}

psa_status_t se_crypto_hash(uint32_t alg, const void *a, size_t na, const void *b, size_t nb,
                            uint8_t *out, size_t size, size_t *out_len)
{
    ce_begin(&ce_internal, CE_HASH_COMPUTE, CE_NO_SLOT, alg, 0);
    ce_in(&ce_internal, 0, a, na);
    ce_in(&ce_internal, 1, b, nb);
    ce_out(&ce_internal, 0, out, size);
    return ce_internal_run(out_len);
}

psa_status_t se_crypto_builtin_import(uint32_t id, uint16_t type, const void *data, size_t n)
{
    psa_status_t st;

    if (id >= SE_BUILTIN_COUNT) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    ce_begin(&ce_internal, CE_KEY_IMPORT, CE_SLOT_BUILTIN(id), 0, 0);
    ce_internal.aux[0] = type;
    ce_in(&ce_internal, 0, data, n);
    st = ce_internal_run(NULL);
    return st == PSA_ERROR_ALREADY_EXISTS ? PSA_SUCCESS : st;
}

psa_status_t se_crypto_builtin_mac(uint32_t id, uint32_t alg, const void *a, size_t na,
                                   const void *b, size_t nb, uint8_t *mac, size_t size,
                                   size_t *mac_len)
{
    ce_begin(&ce_internal, CE_MAC_COMPUTE, CE_SLOT_BUILTIN(id), alg, 0);
    ce_in(&ce_internal, 0, a, na);
    ce_in(&ce_internal, 1, b, nb);
    ce_out(&ce_internal, 0, mac, size);
    return ce_internal_run(mac_len);
}

psa_status_t se_crypto_builtin_sign_hash(uint32_t id, uint32_t alg, const uint8_t *hash,
                                         size_t hash_len, uint8_t *sig, size_t size,
                                         size_t *sig_len)
{
    ce_begin(&ce_internal, CE_SIGN_HASH, CE_SLOT_BUILTIN(id), alg, 0);
    ce_in(&ce_internal, 0, hash, hash_len);
    ce_out(&ce_internal, 0, sig, size);
    return ce_internal_run(sig_len);
}

psa_status_t se_crypto_builtin_export_public(uint32_t id, uint8_t *out, size_t size,
                                             size_t *out_len)
{
    ce_begin(&ce_internal, CE_KEY_EXPORT_PUBLIC, CE_SLOT_BUILTIN(id), 0, 0);
    ce_out(&ce_internal, 0, out, size);
    return ce_internal_run(out_len);
}

uint32_t se_crypto_attestation_kind(void)
{
    return CE_ATTEST == SE_ATTEST_SYMMETRIC ? SE_ATTEST_SYMMETRIC : SE_ATTEST_ASYMMETRIC;
}
