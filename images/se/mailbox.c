/* mailbox.c - the SE end of the Host<->SE mailbox: boot handshake, the MHU doorbell interrupt
 * and the secure mailbox in PendSV.
 *
 * Handshake (MHU channel 0, one 32-bit word per message):
 *   SE -> Host  host_boot_vector (Host address)
 *   Host -> SE  IPC_SYNC_MAGIC          (other words are reported and ignored)
 *   SE -> Host  NS_MAILBOX_INIT_ENABLE
 *   Host -> SE  queue address (SE view)
 *   SE -> Host  S_MAILBOX_READY
 * During it the SE polls the NVIC pending bit of IRQ 24 (disabled), sleeping in WFE with
 * SCR.SEVONPEND between polls. Afterwards IRQ 24 is enabled: a PSA_CLIENT_CALL_REQ_MAGIC
 * doorbell pends PendSV, which handles every pending slot and replies to each
 * (return_val, replied_slots bit, MHU PSA_CLIENT_CALL_REPLY_MAGIC).
 *
 * Slot count: TF-M fixes NUM_MAILBOX_QUEUE_SLOT (1..32) at build time on both cores, and the
 * queue header carries no count. This firmware is built for MB_MAX_SLOTS and reads the count
 * the Host uses from its platform configuration block (mailbox_slots, written by the emulator
 * with the Host's setting; 1 = TF-M v1.3 as shipped). A doorbell arriving while PendSV runs
 * pends it again, so slots the Host fills meanwhile are served on the next pass.
 *
 * Differences from TF-M v1.3 (deliberate): the queue pointer and every message are validated
 * and nothing fails silently: an unknown call_type is answered PSA_ERROR_NOT_SUPPORTED, a CALL
 * with pointers outside NS memory PSA_ERROR_PROGRAMMER_ERROR; a queue outside NS memory (where
 * no reply can be written) and stray doorbells are reported on the console. */
#include <stdbool.h>
#include <stdint.h>

#include "board_se.h"
#include "cpu.h"
#include "mailbox.h"
#include "mhuv2.h"
#include "platform_config.h"
#include "print.h"
#include "regs.h"
#include "scs.h"
#include "spm.h"
#include "spm_internal.h"

/* 1: print one line per mailbox message (UART output costs emulation time). */
#ifndef SE_TRACE
#define SE_TRACE 0
#endif

#define SCB_ICSR_PENDSVSET      (1u << 28)

#define MB_IRQ                  SE_IRQ_MHU_FROM_HOST_MSG0
#define MB_IRQ_PRIORITY         0x80u
#define PENDSV_PRIORITY         0xC0u       /* lowest: the doorbell IRQ may preempt it */

uint32_t mailbox_queue_addr;

/* The queue as the SE indexes it: the header of struct mb_queue and up to MB_MAX_SLOTS slots
 * (slot i is at the same offset whatever the count). */
struct mb_queue_view {
    uint32_t empty_slots;
    uint32_t pend_slots;
    uint32_t replied_slots;
    struct mb_slot slot[MB_MAX_SLOTS];
};

/* The Host's slot count (configuration block); an out-of-range value counts as 1. */
static uint32_t queue_slots(void)
{
    uint32_t n = se_platform_cfg()->mailbox_slots;
    return (n >= 1u && n <= MB_MAX_SLOTS) ? n : 1u;
}

static void send_word(uint32_t word)
{
    cpu_dsb();                              /* shared-memory writes before the doorbell */
    if (mhu_send(SE_MHU_TO_HOST_SENDER, 0, word) != MHU_OK) {
        print_str("se: mhu send timeout word=0x");
        print_hex32(word);
        print_nl();
    }
}

/* Handshake receive: the next nonzero channel-0 word (IRQ 24 is disabled; poll its pending
 * bit and sleep in WFE: SEVONPEND makes the pending transition an event). The channel status
 * is polled too, so a word that arrived before this core came out of reset (no new edge on
 * the level line) is not missed. */
static uint32_t wait_word(void)
{
    for (;;) {
        if (nvic_is_pending_irq(MB_IRQ) || mhu_recv_status(SE_MHU_FROM_HOST_RECV, 0) != 0u) {
            uint32_t v = mhu_recv_status(SE_MHU_FROM_HOST_RECV, 0);
            mhu_recv_clear(SE_MHU_FROM_HOST_RECV, 0);
            nvic_clear_pending_irq(MB_IRQ);
            if (v != 0u) {
                return v;
            }
            continue;
        }
        cpu_wfe();
    }
}

static bool queue_ok(uint32_t q)
{
    uint32_t size = 12u + queue_slots() * (uint32_t)sizeof(struct mb_slot);
    return (q & 3u) == 0u && ns_mem_ok(q, size, true);
}

void mailbox_boot(void)
{
    const volatile struct se_platform_config *cfg = se_platform_cfg();

    nvic_disable_irq(MB_IRQ);
    mhu_recv_unmask(SE_MHU_FROM_HOST_RECV, 0);
    REG32(SCB_SCR) |= SCB_SCR_SEVONPEND;

    send_word(cfg->host_boot_vector);

    for (;;) {
        uint32_t v = wait_word();
        if (v == IPC_SYNC_MAGIC) {
            break;
        }
        print_str("se: unexpected word 0x");
        print_hex32(v);
        print_str(" (waiting for IPC_SYNC_MAGIC)\n");
    }

    send_word(NS_MAILBOX_INIT_ENABLE);
    mailbox_queue_addr = wait_word();
    if (!queue_ok(mailbox_queue_addr)) {
        print_str("se: queue pointer 0x");
        print_hex32(mailbox_queue_addr);
        print_str(" is not a 4-aligned address in NS data memory; requests will not be served\n");
    }

    REG32(SCB_SCR) &= ~SCB_SCR_SEVONPEND;
    REG32(SCB_SHPR3) = (REG32(SCB_SHPR3) & ~(0xFFu << 16)) | (PENDSV_PRIORITY << 16);
    nvic_set_priority(MB_IRQ, MB_IRQ_PRIORITY);
    nvic_enable_irq(MB_IRQ);

    send_word(S_MAILBOX_READY);
    print_str("se: mailbox ready queue=0x");
    print_hex32(mailbox_queue_addr);
    print_nl();
}

/* Host -> SE doorbell (receiver channel 0; level: pending while CH_ST[0] != 0). */
void IRQ24_Handler(void)
{
    uint32_t v = mhu_recv_status(SE_MHU_FROM_HOST_RECV, 0);
    mhu_recv_clear(SE_MHU_FROM_HOST_RECV, 0);
    nvic_clear_pending_irq(MB_IRQ);
    if (v == PSA_CLIENT_CALL_REQ_MAGIC) {
        REG32(SCB_ICSR) = SCB_ICSR_PENDSVSET;
        return;
    }
    print_str("se: unexpected doorbell 0x");
    print_hex32(v);
    print_nl();
}

static void reply(volatile struct mb_queue_view *q, uint32_t idx, int32_t value)
{
    q->slot[idx].reply.return_val = value;
    cpu_dmb();                              /* return_val before the replied bit */
    q->replied_slots |= 1u << idx;
    send_word(PSA_CLIENT_CALL_REPLY_MAGIC);
}

#if SE_TRACE
static void trace(const struct mb_msg *m, int32_t ret, bool replied)
{
    print_str("se: mb type=");
    print_udec(m->call_type);
    print_str(" p0=0x");
    print_hex32(m->params[0]);
    print_str(" p1=0x");
    print_hex32(m->params[1]);
    print_str(replied ? " ret=0x" : " no reply 0x");
    print_hex32((uint32_t)ret);
    print_nl();
}
#endif

/* Handle one pending slot: copy the message into SE RAM, clear the pend bit, dispatch, reply. */
static void handle_slot(volatile struct mb_queue_view *q, uint32_t idx)
{
    struct mb_msg m;
    const volatile uint32_t *src = (const volatile uint32_t *)&q->slot[idx].msg;
    uint32_t *dst = (uint32_t *)&m;
    for (unsigned i = 0; i < sizeof(m) / 4u; i++) {
        dst[i] = src[i];
    }
    q->pend_slots &= ~(1u << idx);
    cpu_dmb();

    int32_t ret;
    switch (m.call_type) {
    case MAILBOX_PSA_FRAMEWORK_VERSION:
        ret = (int32_t)PSA_FRAMEWORK_VERSION;
        break;
    case MAILBOX_PSA_VERSION:
        ret = (int32_t)spm_version(m.params[0]);
        break;
    case MAILBOX_PSA_CONNECT:
        ret = spm_connect(m.params[0], m.params[1], m.client_id);
        break;
    case MAILBOX_PSA_CALL:
        ret = spm_call((int32_t)m.params[0], (int32_t)m.params[1], m.params[2], m.params[3],
                       m.params[4], m.params[5], m.client_id);
        break;
    case MAILBOX_PSA_CLOSE:
        spm_close((int32_t)m.params[0], m.client_id);
        ret = PSA_SUCCESS;
        break;
    default:
        print_str("se: bad call_type ");
        print_udec(m.call_type);
        print_nl();
        ret = PSA_ERROR_NOT_SUPPORTED;
        break;
    }
#if SE_TRACE
    trace(&m, ret, true);
#endif
    reply(q, idx, ret);
}

void PendSV_Handler(void)
{
    uint32_t qa = mailbox_queue_addr;
    if (!queue_ok(qa)) {
        print_str("se: request ignored: queue 0x");
        print_hex32(qa);
        print_str(" is not a 4-aligned address in NS data memory\n");
        return;
    }
    volatile struct mb_queue_view *q = (volatile struct mb_queue_view *)(uintptr_t)qa;
    uint32_t n = queue_slots();
    uint32_t valid = n == 32u ? 0xFFFFFFFFu : (1u << n) - 1u;
    uint32_t pend = q->pend_slots;
    cpu_dmb();                              /* pend bit before the slot contents */

    if ((pend & ~valid) != 0u) {
        print_str("se: bad pend_slots 0x");
        print_hex32(pend);
        print_nl();
    }
    bool any = false;
    for (uint32_t idx = 0; idx < n; idx++) {
        if (pend & (1u << idx)) {
            any = true;
            handle_slot(q, idx);
        }
    }
    if (!any) {
        print_str("se: doorbell without a pending slot\n");
    }
}
