/* tfm_platform_api.h - TF-M platform service client API (v1.3).
 * System reset and ioctl are open to non-secure clients; the NV counter calls are for secure
 * partitions only (SID 0x42 does not accept non-secure clients). */
#ifndef HOST_TFM_PLATFORM_API_H
#define HOST_TFM_PLATFORM_API_H

#include <stddef.h>
#include <stdint.h>

#include "psa/client.h"

#define TFM_PLATFORM_API_VERSION_MAJOR  0
#define TFM_PLATFORM_API_VERSION_MINOR  3

/* psa_call types of the NV counter service */
#define TFM_PLATFORM_API_ID_NV_READ         1010
#define TFM_PLATFORM_API_ID_NV_INCREMENT    1011

enum tfm_platform_err_t {
    TFM_PLATFORM_ERR_SUCCESS = 0,
    TFM_PLATFORM_ERR_SYSTEM_ERROR = 1,
    TFM_PLATFORM_ERR_INVALID_PARAM = 2,
    TFM_PLATFORM_ERR_NOT_SUPPORTED = 3,
    TFM_PLATFORM_ERR_FORCE_INT_SIZE = INT32_MAX
};

typedef int32_t tfm_platform_ioctl_req_t;

/* Musca-B1 (SSE-200) ioctl requests; the SE platform service supports none of them. */
#define TFM_PLATFORM_IOCTL_PIN_SERVICE      0
#define TFM_PLATFORM_IOCTL_GPIO_SERVICE     1

enum tfm_platform_err_t tfm_platform_system_reset(void);
/* input (optional) becomes in_vec[1]; output (optional) is passed as out_vec[0] itself, so its
 * len is updated with the number of bytes the service wrote. */
enum tfm_platform_err_t tfm_platform_ioctl(tfm_platform_ioctl_req_t request,
                                           psa_invec *input, psa_outvec *output);

/* Secure clients only. */
enum tfm_platform_err_t tfm_platform_nv_counter_increment(uint32_t counter_id);
enum tfm_platform_err_t tfm_platform_nv_counter_read(uint32_t counter_id, uint32_t size,
                                                     uint8_t *val);

#endif /* HOST_TFM_PLATFORM_API_H */
