/* mhuv2.c - minimal Arm MHUv2 doorbell driver. */
#include "mhuv2.h"
#include "regs.h"

#define CH_REG(base, ch, off)  REG32_OFF((base), (uintptr_t)(ch) * MHU_CH_STRIDE + (off))

int mhu_send(uintptr_t sender_base, unsigned ch, uint32_t value)
{
    uint32_t spins = 0u;

    REG32_OFF(sender_base, MHU_SND_ACCESS_REQUEST) = 1u;
    while (REG32_OFF(sender_base, MHU_SND_ACCESS_READY) == 0u) {
        if (++spins >= MHU_ACCESS_SPIN_LIMIT) {
            REG32_OFF(sender_base, MHU_SND_ACCESS_REQUEST) = 0u;
            return MHU_ERR_TIMEOUT;
        }
    }
    CH_REG(sender_base, ch, MHU_SND_CH_SET) = value;
    REG32_OFF(sender_base, MHU_SND_ACCESS_REQUEST) = 0u;
    return MHU_OK;
}

void mhu_recv_unmask(uintptr_t receiver_base, unsigned ch)
{
    CH_REG(receiver_base, ch, MHU_RCV_CH_MSK_CLR) = 0xFFFFFFFFu;
}

uint32_t mhu_recv_status(uintptr_t receiver_base, unsigned ch)
{
    return CH_REG(receiver_base, ch, MHU_RCV_CH_ST);
}

void mhu_recv_clear(uintptr_t receiver_base, unsigned ch)
{
    CH_REG(receiver_base, ch, MHU_RCV_CH_CLR) = 0xFFFFFFFFu;
}
