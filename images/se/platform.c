/* platform.c - the platform RoT service (SIDs 0x40 system reset, 0x41 ioctl, 0x42 NV counters)
 * with the TF-M v1.3 platform partition's rules and the Musca-B1 SE HAL behaviour
 * (ioctl always unsupported; reset = NVIC system reset of the SE alone, never answered). */
#include <stdint.h>

#include "print.h"
#include "regs.h"
#include "scs.h"
#include "spm.h"
#include "storage.h"

void *memset(void *dst, int c, size_t n);

/* enum tfm_platform_err_t, sent as positive psa_status_t values */
#define TFM_PLATFORM_ERR_SUCCESS        0
#define TFM_PLATFORM_ERR_SYSTEM_ERROR   1
#define TFM_PLATFORM_ERR_INVALID_PARAM  2
#define TFM_PLATFORM_ERR_NOT_SUPPORTED  3

#define TFM_PLATFORM_API_ID_NV_READ      1010
#define TFM_PLATFORM_API_ID_NV_INCREMENT 1011

#define IOCTL_INPUT_BUFFER_SIZE   64u
#define IOCTL_OUTPUT_BUFFER_SIZE  64u

#define NV_COUNTER_SIZE           4u
#define NV_COUNTER_PS_LAST        2u      /* ids 0..2 belong to PS */
#define TFM_SP_PS                 256     /* the only client allowed to use them */

#define AIRCR_SYSRESET            0x05FA0004u   /* VECTKEY | SYSRESETREQ */

/* The platform partition takes PSA_IPC_CALL, 1010 and 1011 on every SID; any other type
 * would make TF-M panic the partition: report it and refuse the call instead. */
static int type_accepted(const se_msg_t *m)
{
    if (m->type == PSA_IPC_CALL || m->type == TFM_PLATFORM_API_ID_NV_READ ||
        m->type == TFM_PLATFORM_API_ID_NV_INCREMENT) {
        return 1;
    }
    print_str("se: platform: type ");
    print_udec((uint32_t)m->type);
    print_str(" not accepted on sid 0x");
    print_hex32(m->sid);
    print_nl();
    return 0;
}

/* Number of vectors once trailing empty ones are dropped. */
static uint32_t trimmed(const uint32_t size[4])
{
    uint32_t n = PSA_MAX_IOVEC;
    while (n != 0u && size[n - 1u] == 0u) {
        n--;
    }
    return n;
}

psa_status_t platform_system_reset(se_msg_t *m)
{
    if (!type_accepted(m)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    print_str("se: system reset\n");
    console_flush();
    __asm__ volatile("dsb sy" ::: "memory");
    REG32(SCB_AIRCR) = AIRCR_SYSRESET;
    __asm__ volatile("dsb sy" ::: "memory");
    for (;;) {
        __asm__ volatile("wfi" ::: "memory");
    }
}

psa_status_t platform_ioctl(se_msg_t *m)
{
    uint8_t input[IOCTL_INPUT_BUFFER_SIZE];
    uint8_t output[IOCTL_OUTPUT_BUFFER_SIZE];
    int32_t request;

    if (!type_accepted(m)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uint32_t num_in = trimmed(m->in_size);
    uint32_t num_out = trimmed(m->out_size);
    if (num_in < 1u || num_in > 2u || num_out > 1u) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    if (se_read(m, 0, &request, sizeof(request)) != sizeof(request)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (num_in > 1u) {
        if (m->in_size[1] > IOCTL_INPUT_BUFFER_SIZE) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        (void)se_read(m, 1, input, m->in_size[1]);
    }
    uint32_t out_len = 0u;
    if (num_out > 0u) {
        if (m->out_size[0] > IOCTL_OUTPUT_BUFFER_SIZE) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        out_len = m->out_size[0];
    }

    /* SE HAL: no ioctl request is supported. The output buffer is sent whatever the result. */
    (void)request;
    memset(output, 0, sizeof(output));
    psa_status_t result = TFM_PLATFORM_ERR_NOT_SUPPORTED;
    if (num_out > 0u) {
        (void)se_write(m, 0, output, out_len);
    }
    return result;
}

psa_status_t platform_nv_counter(se_msg_t *m)
{
    uint32_t id = 0u;

    if (!type_accepted(m)) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    if (m->type != TFM_PLATFORM_API_ID_NV_READ && m->type != TFM_PLATFORM_API_ID_NV_INCREMENT) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    uint32_t num_in = trimmed(m->in_size);
    uint32_t num_out = trimmed(m->out_size);
    uint32_t id_size = m->in_size[0];
    (void)se_read(m, 0, &id, sizeof(id));           /* read before the size check, like TF-M */
    if (id_size != sizeof(id) || num_in != 1u) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    /* Access map: counters 0..2 for the PS partition only (mailbox callers are always -1). */
    if (m->client_id != TFM_SP_PS || id > NV_COUNTER_PS_LAST) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }

    if (m->type == TFM_PLATFORM_API_ID_NV_INCREMENT) {
        if (num_out != 0u || nv_counter_increment(id) != 0) {
            return TFM_PLATFORM_ERR_SYSTEM_ERROR;
        }
        return TFM_PLATFORM_ERR_SUCCESS;
    }

    uint32_t value = 0u;
    if (num_out != 1u || m->out_size[0] != NV_COUNTER_SIZE || nv_counter_read(id, &value) != 0) {
        return TFM_PLATFORM_ERR_SYSTEM_ERROR;
    }
    uint8_t le[NV_COUNTER_SIZE] = {
        (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16), (uint8_t)(value >> 24)
    };
    if (se_write(m, 0, le, sizeof(le)) != PSA_SUCCESS) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    return TFM_PLATFORM_ERR_SUCCESS;
}
