/* mailbox.h - the Host<->SE mailbox: MHU doorbell words and the layout of the NS mailbox queue
 * the Host keeps in shared memory (TF-M v1.3 multi-core mailbox, NUM_MAILBOX_QUEUE_SLOT = 1).
 *
 *   queue (Host-owned, in NS memory, 4-aligned, 60 bytes):
 *     0x00 empty_slots    Host: bit set = slot free
 *     0x04 pend_slots     Host sets bit i when slot i holds a request; the SE clears it
 *     0x08 replied_slots  the SE sets bit i when the reply is written; the Host clears it
 *     0x0C slot[0].msg    call_type u32, params 24 B, client_id i32         (32 B)
 *     0x2C slot[0].reply  return_val i32 (the only field the SE writes), owner, reply, woken
 */
#ifndef SE_MAILBOX_H
#define SE_MAILBOX_H

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

#define MB_NUM_SLOTS                    1u

struct mb_msg {
    uint32_t call_type;
    uint32_t params[6];         /* psa_client_params_t union, read as words (see below) */
    int32_t client_id;          /* ignored: always -1 from the proxy */
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

/* Boot handshake and mailbox set-up (main.c calls it; returns once S_MAILBOX_READY is sent). */
void mailbox_boot(void);
/* SE address of the Host's queue as received in the handshake. */
extern uint32_t mailbox_queue_addr;

#endif /* SE_MAILBOX_H */
