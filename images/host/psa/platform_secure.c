/* psa/platform_secure.c - TF-M platform service client, the NV counter calls (secure
 * partitions only: SID 0x42 refuses non-secure clients). The function is chosen by the
 * psa_call type (1010 read, 1011 increment). Result mapping as in psa/platform.c. */
#include "psa/client.h"
#include "psa_host_sids.h"
#include "tfm_platform_api.h"

static enum tfm_platform_err_t nv_counter_call(int32_t type, const psa_invec *in_vec,
                                               psa_outvec *out_vec, size_t out_len)
{
    psa_handle_t h = psa_connect(SID_PLATFORM_NV_COUNTER, SID_VERSION);
    if (h <= 0) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    psa_status_t status = psa_call(h, type, in_vec, 1u, out_vec, out_len);
    psa_close(h);
    if (status < PSA_SUCCESS) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    return (enum tfm_platform_err_t)status;
}

enum tfm_platform_err_t tfm_platform_nv_counter_increment(uint32_t counter_id)
{
    psa_invec in_vec[1];

    in_vec[0].base = &counter_id;
    in_vec[0].len = sizeof(counter_id);
    return nv_counter_call(TFM_PLATFORM_API_ID_NV_INCREMENT, in_vec, NULL, 0u);
}

enum tfm_platform_err_t tfm_platform_nv_counter_read(uint32_t counter_id, uint32_t size,
                                                     uint8_t *val)
{
    psa_invec in_vec[1];
    psa_outvec out_vec[1];

    in_vec[0].base = &counter_id;
    in_vec[0].len = sizeof(counter_id);
    out_vec[0].base = val;
    out_vec[0].len = size;
    return nv_counter_call(TFM_PLATFORM_API_ID_NV_READ, in_vec, out_vec, 1u);
}
