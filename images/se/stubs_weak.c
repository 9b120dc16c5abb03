/* stubs_weak.c - weak fallbacks for the service and storage functions other SE files define
 * (its.c, ps.c, crypto_service.c, attest_service.c, the NV counter storage). A strong
 * definition anywhere in the image replaces the stub at link time; until then the service
 * answers PSA_ERROR_NOT_SUPPORTED and the NV counter functions fail. */
#include <stdint.h>

#include "spm.h"
#include "storage.h"

#define WEAK __attribute__((weak))

#define STUB_SERVICE(fn) \
    WEAK psa_status_t fn(se_msg_t *m) { (void)m; return PSA_ERROR_NOT_SUPPORTED; }

STUB_SERVICE(its_set)
STUB_SERVICE(its_get)
STUB_SERVICE(its_get_info)
STUB_SERVICE(its_remove)
STUB_SERVICE(ps_set)
STUB_SERVICE(ps_get)
STUB_SERVICE(ps_get_info)
STUB_SERVICE(ps_remove)
STUB_SERVICE(ps_get_support)
STUB_SERVICE(crypto_call)
STUB_SERVICE(attest_get_token)
STUB_SERVICE(attest_get_token_size)
STUB_SERVICE(attest_get_public_key)

WEAK int nv_counter_read(uint32_t id, uint32_t *value)
{
    (void)id;
    (void)value;
    return -1;
}

WEAK int nv_counter_increment(uint32_t id)
{
    (void)id;
    return -1;
}
