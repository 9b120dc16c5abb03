/* psa/protected_storage.h - PS client API (TF-M v1.3: connect/call/close per call). */
#ifndef HOST_PSA_PROTECTED_STORAGE_H
#define HOST_PSA_PROTECTED_STORAGE_H

#include "psa/storage_common.h"

#define PSA_PS_API_VERSION_MAJOR    1
#define PSA_PS_API_VERSION_MINOR    0

psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void *p_data,
                        psa_storage_create_flags_t create_flags);
psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size,
                        void *p_data, size_t *p_data_length);
psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info);
psa_status_t psa_ps_remove(psa_storage_uid_t uid);
/* Not supported by TF-M v1.3: PSA_ERROR_NOT_SUPPORTED, nothing is sent. */
psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags);
psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                                 const void *p_data);
/* The optional-feature flags; 0 when the service cannot be reached. */
uint32_t psa_ps_get_support(void);

#endif /* HOST_PSA_PROTECTED_STORAGE_H */
