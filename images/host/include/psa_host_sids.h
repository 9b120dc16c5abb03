/* psa_host_sids.h - service IDs and versions the Host reaches through the PSA Proxy
 * (TF-M v1.3 proxy manifest: every service is connection-based, version 1, STRICT). */
#ifndef HOST_PSA_HOST_SIDS_H
#define HOST_PSA_HOST_SIDS_H

#define SID_CRYPTO                  0x00000080u
#define SID_ATTEST_GET_TOKEN        0x00000020u
#define SID_ATTEST_GET_TOKEN_SIZE   0x00000021u
#define SID_ATTEST_GET_PUBLIC_KEY   0x00000022u
#define SID_ITS_SET                 0x00000070u
#define SID_ITS_GET                 0x00000071u
#define SID_ITS_GET_INFO            0x00000072u
#define SID_ITS_REMOVE              0x00000073u
#define SID_PLATFORM_SYSTEM_RESET   0x00000040u
#define SID_PLATFORM_IOCTL          0x00000041u
#define SID_PLATFORM_NV_COUNTER     0x00000042u    /* secure clients only */
#define SID_PS_SET                  0x00000060u
#define SID_PS_GET                  0x00000061u
#define SID_PS_GET_INFO             0x00000062u
#define SID_PS_REMOVE               0x00000063u
#define SID_PS_GET_SUPPORT          0x00000064u

#define SID_VERSION                 1u      /* the version of every service above */

#endif /* HOST_PSA_HOST_SIDS_H */
