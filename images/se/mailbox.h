/* mailbox.h - the SE end of the Host<->SE mailbox (se/mailbox.c); the wire format both ends
 * share (MHU words, call types, queue layout) is in common/mailbox_abi.h. */
#ifndef SE_MAILBOX_H
#define SE_MAILBOX_H

#include <stdint.h>

#include "mailbox_abi.h"

/* Boot handshake and mailbox set-up (main.c calls it; returns once S_MAILBOX_READY is sent). */
void mailbox_boot(void);
/* SE address of the Host's queue as received in the handshake. */
extern uint32_t mailbox_queue_addr;

#endif /* SE_MAILBOX_H */
