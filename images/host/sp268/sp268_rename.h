/* sp268_rename.h - give partition 268's copy of the PSA client library its own symbol names.
 * Included first by every file in host/sp268/, so the library sources compiled there (and the
 * partition code calling them) use sp268_* symbols, all linked into .tfm_sp.268. */
#ifndef HOST_SP268_RENAME_H
#define HOST_SP268_RENAME_H

#define psa_framework_version               sp268_psa_framework_version
#define psa_version                         sp268_psa_version
#define psa_connect                         sp268_psa_connect
#define psa_call                            sp268_psa_call
#define psa_call_param_pack                 sp268_psa_call_param_pack
#define psa_close                           sp268_psa_close
#define psa_request                         sp268_psa_request
#define psa_its_set                         sp268_psa_its_set
#define psa_its_get                         sp268_psa_its_get
#define psa_its_get_info                    sp268_psa_its_get_info
#define psa_its_remove                      sp268_psa_its_remove
#define storage_client_set                  sp268_storage_client_set
#define storage_client_get                  sp268_storage_client_get
#define storage_client_get_info             sp268_storage_client_get_info
#define storage_client_remove               sp268_storage_client_remove
#define tfm_platform_nv_counter_read        sp268_tfm_platform_nv_counter_read
#define tfm_platform_nv_counter_increment   sp268_tfm_platform_nv_counter_increment

#endif /* HOST_SP268_RENAME_H */
