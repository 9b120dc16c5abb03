/* psa/error.h - PSA status type and status codes (common/psa_common.h, shared with the SE). */
#ifndef HOST_PSA_ERROR_H
#define HOST_PSA_ERROR_H

#include "psa_common.h"

#endif /* HOST_PSA_ERROR_H */
