/* mailbox_abi.h - the Host<->SE mailbox as both ends see it (TF-M v1.3 multi-core mailbox,
 * NUM_MAILBOX_QUEUE_SLOT = 1): the MHU channel-0 words, the call types and the layout of the NS
 * mailbox queue the Host keeps in shared memory (TF-M v1.3.0 tfm_mailbox.h:30-133,
 * musca_b1 secure_enclave/mailbox/platform_multicore.h:14-22).
 * The SE firmware (se/mailbox.c) is the secure end; host/own_proxy/ is a Host-side NS end.
 *   queue (Host-owned, in NS memory, 4-aligned, 60 bytes):
 *     0x00 empty_slots    Host: bit set = slot free
 *     0x04 pend_slots     Host sets bit i when slot i holds a request; the SE clears it
 *     0x08 replied_slots  the SE sets bit i when the reply is written; the Host clears it
 *     0x0C slot[0].msg    call_type u32, params 24 B, client_id i32         (32 B)
 *     0x2C slot[0].reply  return_val i32 (the only field the SE writes), owner, reply, woken
 */
#ifndef IMAGES_MAILBOX_ABI_H
#define IMAGES_MAILBOX_ABI_H

#include <stdint.h>

/* MHU channel 0 words. */
#define IPC_SYNC_MAGIC                  0x7DADE011u     /* Host -> SE: Host firmware is up */
#define NS_MAILBOX_INIT_ENABLE          0x000000AEu     /* SE -> Host: send the queue address */
#define S_MAILBOX_READY                 0x000000C3u     /* SE -> Host: SE mailbox ready */
#define PSA_CLIENT_CALL_REQ_MAGIC       0xA5CF50C6u     /* Host -> SE: a slot is pending */
#define PSA_CLIENT_CALL_REPLY_MAGIC     0xC605FC5Au     /* SE -> Host: a slot was replied */

/* call_type values */
#define MAILBOX_PSA_FRAMEWORK_VERSION   1u
#define MAILBOX_PSA_VERSION             2u
#define MAILBOX_PSA_CONNECT             3u
#define MAILBOX_PSA_CALL                4u
#define MAILBOX_PSA_CLOSE               5u

/* Results of the NS end's mailbox calls (TF-M's tfm_mailbox.h values; not on the wire). */
#define MAILBOX_SUCCESS                 ((int32_t)0)
#define MAILBOX_QUEUE_FULL              ((int32_t)(INT32_MIN + 1))
#define MAILBOX_INVAL_PARAMS            ((int32_t)(INT32_MIN + 2))
#define MAILBOX_CHAN_BUSY               ((int32_t)(INT32_MIN + 5))
#define MAILBOX_INIT_ERROR              ((int32_t)(INT32_MIN + 7))
#define MAILBOX_GENERIC_ERROR           ((int32_t)(INT32_MIN + 8))

#define MB_NUM_SLOTS                    1u

struct mb_msg {
    uint32_t call_type;
    uint32_t params[6];         /* psa_client_params_t union, read as words (see below) */
    int32_t client_id;          /* -1 from a TF-M v1.3 proxy; the caller's id when forwarded */
};

/* params[] by call_type:
 *   VERSION  [0] sid
 *   CONNECT  [0] sid, [1] version
 *   CALL     [0] handle, [1] type, [2] in_vec, [3] in_len, [4] out_vec, [5] out_len
 *            (in_vec/out_vec: SE addresses of psa_invec/psa_outvec arrays, 8 bytes/entry)
 *   CLOSE    [0] handle */

struct mb_reply {
    int32_t return_val;
    uint32_t owner;
    uint32_t reply;
    uint32_t woken;
};

struct mb_slot {
    struct mb_msg msg;
    struct mb_reply reply;
};

struct mb_queue {
    uint32_t empty_slots;
    uint32_t pend_slots;
    uint32_t replied_slots;
    struct mb_slot slot[MB_NUM_SLOTS];
};

_Static_assert(sizeof(struct mb_msg) == 32, "mailbox_msg_t");
_Static_assert(sizeof(struct mb_reply) == 16, "mailbox_reply_t");
_Static_assert(sizeof(struct mb_queue) == 60, "ns_mailbox_queue_t with one slot");

/* NUM_MAILBOX_QUEUE_SLOT's upper bound (TF-M: 1..32): the SE firmware is built for this many
 * slots and serves the count its platform configuration block names (mailbox_slots). */
#define MB_MAX_SLOTS                    32u

#endif /* IMAGES_MAILBOX_ABI_H */
