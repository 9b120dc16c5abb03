/* host_ns.h - helpers shared by the non-secure Host test images (host/lib/). */
#ifndef HOST_HOST_NS_H
#define HOST_HOST_NS_H

#include <stddef.h>
#include <stdint.h>

#include "psa/storage_common.h"

/* Host UART1 through its Non-secure alias: these images run as a non-secure client. */
#define HOST_UART_NS_BASE   0x40102000u

/* Console on the Host UART, then release the SE from reset (SCC az_ctrl, read-modify-write).
 * The SE<->Host MHUs are left alone: the PSA Proxy owns them. */
void ns_board_init(void);

/* The ITS asset that survives across runs with the same SE flash file. */
#define ITS_PERSIST_UID     ((psa_storage_uid_t)0x5EEDu)
#define ITS_PERSIST_MAX     64u

/* Read uid 0x5EED and print "DATA its_persist <hex>" or "DATA its_persist MISSING".
 * Returns the psa_its_get status (PSA_ERROR_DOES_NOT_EXIST when missing). */
psa_status_t its_persist_report(void);

#endif /* HOST_HOST_NS_H */
