/* ns_mailbox.c - the NS end of the Host<->SE mailbox as TF-M v1.3 links it into the PSA Proxy
 * (one slot, bare metal; tfm_ns_mailbox.c:97-307 of TF-M v1.3.0), and the Musca-B1 Host glue under
 * it (sse_200/mailbox/platform_ns_mailbox.c:13-55, platform_multicore.c:16-57).
 * Difference from TF-M: while waiting for a reply TF-M busy-polls replied_slots; this code
 * polls it too but sleeps in WFE between polls, consuming the SE's reply doorbell (which TF-M
 * leaves set in the receiver channel: mailbox_wait_reply, tfm_ns_mailbox.c:280). */
#include <stdint.h>

#include "board_se.h"
#include "cpu.h"
#include "own_proxy.h"
#include "print.h"
#include "se_link.h"

#define NON_SECURE_CLIENT_ID    (-1)

static volatile struct mb_queue *ns_queue;

void *translate_addr_from_host_to_se(void *addr)
{
    return (void *)((uintptr_t)addr + HOST_TO_SE_ADDR_OFFSET);
}

void *translate_addr_from_se_to_host(void *addr)
{
    return (void *)((uintptr_t)addr - HOST_TO_SE_ADDR_OFFSET);
}

int32_t tfm_platform_ns_wait_for_s_cpu_ready(void)
{
    se_link_init();
    return se_link_send(IPC_SYNC_MAGIC) == MHU_OK ? 0 : -1;
}

/* Take words from the SE until `want` arrives; others are reported and dropped. */
static void wait_for_word(uint32_t want)
{
    for (;;) {
        uint32_t v = se_link_wait();
        if (v == want) {
            return;
        }
        print_str("own_proxy: SE sent 0x");
        print_hex32(v);
        print_str(" while 0x");
        print_hex32(want);
        print_str(" was expected; ignored\n");
    }
}

int32_t tfm_ns_mailbox_hal_init(struct mb_queue *queue)
{
    if (queue == NULL) {
        return MAILBOX_INVAL_PARAMS;
    }
    wait_for_word(NS_MAILBOX_INIT_ENABLE);
    if (se_link_send((uint32_t)(uintptr_t)translate_addr_from_host_to_se(queue)) != MHU_OK) {
        return MAILBOX_CHAN_BUSY;
    }
    wait_for_word(S_MAILBOX_READY);
    return MAILBOX_SUCCESS;
}

int32_t tfm_ns_mailbox_hal_notify_peer(void)
{
    return se_link_send(PSA_CLIENT_CALL_REQ_MAGIC) == MHU_OK ? MAILBOX_SUCCESS : MAILBOX_CHAN_BUSY;
}

int32_t tfm_ns_mailbox_init(struct mb_queue *queue)
{
    if (queue == NULL) {
        return MAILBOX_INVAL_PARAMS;
    }
    volatile struct mb_queue *q = queue;
    volatile uint32_t *w = (volatile uint32_t *)q;
    for (unsigned i = 0; i < sizeof(*q) / 4u; i++) {
        w[i] = 0u;
    }
    q->empty_slots = (1u << MB_NUM_SLOTS) - 1u;
    ns_queue = q;
    return tfm_ns_mailbox_hal_init(queue);
}

int32_t tfm_ns_mailbox_client_call(uint32_t call_type, const struct psa_client_params_t *params,
                                   int32_t client_id, int32_t *reply)
{
    volatile struct mb_queue *q = ns_queue;
    if (q == NULL) {
        return MAILBOX_INIT_ERROR;
    }
    if (params == NULL || reply == NULL) {
        return MAILBOX_INVAL_PARAMS;
    }
    uint32_t empty = q->empty_slots;
    if (empty == 0u) {
        return MAILBOX_QUEUE_FULL;
    }
    uint32_t idx = (uint32_t)__builtin_ctz(empty);
    uint32_t bit = 1u << idx;
    q->empty_slots = empty & ~bit;

    volatile struct mb_slot *slot = &q->slot[idx];
    slot->msg.call_type = call_type;
    __builtin_memcpy((void *)slot->msg.params, params, sizeof(slot->msg.params));
    slot->msg.client_id = client_id;
    slot->reply.owner = 0u;
    cpu_dmb();                              /* the message before its pend bit */
    q->pend_slots |= bit;

    int32_t ret = tfm_ns_mailbox_hal_notify_peer();
    if (ret == MAILBOX_SUCCESS) {
        while ((q->replied_slots & bit) == 0u) {
            if (se_link_take() == 0u) {
                cpu_wfe();
            }
        }
        cpu_dmb();                          /* the replied bit before return_val */
        q->replied_slots &= ~bit;
        *reply = slot->reply.return_val;
    } else {
        q->pend_slots &= ~bit;
    }
    q->empty_slots |= bit;
    return ret;
}
