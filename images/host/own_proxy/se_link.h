/* se_link.h - the Host end of the SE MHU pair as the boot code and the NS mailbox use it: one
 * 32-bit word per message on channel 0 of each direction (TF-M v1.3.0 musca_b1
 * mhu_v2_x.c:33-87, sse_200/mailbox/platform_multicore.c:26-57).
 * Receiving does not rely on an enabled interrupt (TF-M's Host enables none): the receiver's
 * channel status is read directly, and between reads the core sleeps in WFE with SCR.SEVONPEND
 * set, so the SE->Host lines (IRQ 87 msg0, 89 combined; both stay disabled) going pending
 * wake it. Both pending bits are cleared with the channel, so the next word is a new edge. */
#ifndef OWN_PROXY_SE_LINK_H
#define OWN_PROXY_SE_LINK_H

#include <stdint.h>

#include "board_host.h"
#include "cpu.h"
#include "mhuv2.h"
#include "regs.h"
#include "scs.h"

/* Unmask receiver channel 0 and make pending interrupts WFE wake-up events. */
static inline void se_link_init(void)
{
    mhu_recv_unmask(HOST_MHU_FROM_SE_RECV, 0);
    REG32(SCB_SCR) |= SCB_SCR_SEVONPEND;
}

/* Send one word to the SE (memory writes first). Returns MHU_OK or MHU_ERR_TIMEOUT. */
static inline int se_link_send(uint32_t word)
{
    cpu_dsb();
    return mhu_send(HOST_MHU_TO_SE_SENDER, 0, word);
}

/* The word the SE has sent, or 0 when none is there; the channel and both lines are cleared. */
static inline uint32_t se_link_take(void)
{
    uint32_t v = mhu_recv_status(HOST_MHU_FROM_SE_RECV, 0);
    if (v != 0u) {
        mhu_recv_clear(HOST_MHU_FROM_SE_RECV, 0);
    }
    nvic_clear_pending_irq(HOST_IRQ_MHU_FROM_SE_MSG0);
    nvic_clear_pending_irq(HOST_IRQ_MHU_FROM_SE_COMB);
    return v;
}

/* Sleep until the SE sends a word, and take it. A word that arrives between the read and the
 * WFE has already set the event register, so WFE then returns at once. */
static inline uint32_t se_link_wait(void)
{
    for (;;) {
        uint32_t v = se_link_take();
        if (v != 0u) {
            return v;
        }
        cpu_wfe();
    }
}

#endif /* OWN_PROXY_SE_LINK_H */
