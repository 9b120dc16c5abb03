/* psa/platform_secure.c - TF-M platform service client, the NV counter calls (secure
 * partitions only: SID 0x42 refuses non-secure clients). The function is chosen by the
 * psa_call type (1010 read, 1011 increment). Result mapping in psa/platform_request.h. */
#include "psa/client.h"
#include "psa_host_sids.h"
#include "platform_request.h"

enum tfm_platform_err_t tfm_platform_nv_counter_increment(uint32_t counter_id)
{
    const psa_invec in_vec[1] = { psa_in(&counter_id, sizeof(counter_id)) };

    return platform_request(SID_PLATFORM_NV_COUNTER, TFM_PLATFORM_API_ID_NV_INCREMENT,
                            in_vec, 1u, NULL, 0u);
}

enum tfm_platform_err_t tfm_platform_nv_counter_read(uint32_t counter_id, uint32_t size,
                                                     uint8_t *val)
{
    const psa_invec in_vec[1] = { psa_in(&counter_id, sizeof(counter_id)) };
    psa_outvec out_vec[1] = { psa_out(val, size) };

    return platform_request(SID_PLATFORM_NV_COUNTER, TFM_PLATFORM_API_ID_NV_READ,
                            in_vec, 1u, out_vec, 1u);
}
