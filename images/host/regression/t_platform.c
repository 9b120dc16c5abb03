/* regression/t_platform.c - suites "platform" and "secure". */
#include "psa/client.h"
#include "sp268.h"
#include "test.h"
#include "tfm_platform_api.h"

/* The SE's platform HAL supports no ioctl request: TFM_PLATFORM_ERR_NOT_SUPPORTED (3). */
void suite_platform(void)
{
    uint8_t in_buf[4] = {1u, 2u, 3u, 4u};
    uint8_t out_buf[4] = {0u, 0u, 0u, 0u};
    psa_invec input = {in_buf, sizeof(in_buf)};
    psa_outvec output = {out_buf, sizeof(out_buf)};
    struct sp268_result res = {0, 0u, 0u};

    t_one_status("platform", "ioctl_not_supported", "tfm_platform_ioctl(0, 4-byte in, 4-byte out)",
                 (int32_t)tfm_platform_ioctl(TFM_PLATFORM_IOCTL_PIN_SERVICE, &input, &output),
                 TFM_PLATFORM_ERR_NOT_SUPPORTED);
    t_one_status("platform", "ioctl_no_buffers", "tfm_platform_ioctl(0, NULL, NULL)",
                 (int32_t)tfm_platform_ioctl(TFM_PLATFORM_IOCTL_PIN_SERVICE, NULL, NULL),
                 TFM_PLATFORM_ERR_NOT_SUPPORTED);
    /* Partition 268 reads NV counter 0 as a secure client. The Host SPM lets it connect to
     * 0x42, but the SE sees every forwarded request as non-secure and refuses the connection
     * (-130); the client library maps a failed connect to TFM_PLATFORM_ERR_SYSTEM_ERROR (1). */
    t_one_status("platform", "nv_counter_read_secure",
                 "tfm_platform_nv_counter_read(0) from partition 268",
                 sp268_nv_counter_read0(&res), TFM_PLATFORM_ERR_SYSTEM_ERROR);
}

/* ---------------------------------------------------------------- secure */

/* Partition 268 stores, reads back, checks and removes an ITS asset as a secure client. */
static void t_secure_its_roundtrip(void)
{
    static const char *const steps[] = {
        "ok", "set", "get", "get length", "data compare", "get_info", "get_info fields", "remove",
    };
    struct sp268_result res = {0, 0xFFu, 0u};

    t_begin("secure", "its_roundtrip");
    int32_t rc = sp268_its_roundtrip(&res);
    if (res.step >= sizeof(steps) / sizeof(steps[0])) {
        t_expect_size("failing step", res.step, 0u);
    } else if (res.status != PSA_SUCCESS) {
        t_expect_status(steps[res.step], res.status, PSA_SUCCESS);
    } else if (res.step == 3u) {
        t_expect_size("get length", res.value, SP268_ITS_LEN);
    } else if (res.step == 4u) {
        t_expect_true(t_label("data compare: first difference at byte ", res.value, ""), 0);
    } else if (res.step == 6u) {
        t_expect_size("get_info size", res.value, SP268_ITS_LEN);
        t_expect_true("get_info flags", 0);
    }
    t_expect_status("sp268_its_roundtrip", rc, 0);
    t_end();
}

void suite_secure(void)
{
    t_secure_its_roundtrip();
}
