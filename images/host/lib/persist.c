/* lib/persist.c - report the persistent ITS asset (uid 0x5EED). */
#include "host_ns.h"

#include "print.h"
#include "psa/internal_trusted_storage.h"

psa_status_t its_persist_report(void)
{
    static uint8_t buf[ITS_PERSIST_MAX];
    size_t len = 0u;

    psa_status_t status = psa_its_get(ITS_PERSIST_UID, 0u, sizeof(buf), buf, &len);
    print_str("DATA its_persist ");
    if (status == PSA_SUCCESS && len <= sizeof(buf)) {
        print_hex_bytes(buf, len);
    } else {
        print_str("MISSING");
    }
    print_nl();
    return status;
}
