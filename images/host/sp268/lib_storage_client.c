/* sp268/lib_storage_client.c - partition 268's own copy of psa/storage_client.c (renamed symbols, linked into
 * .tfm_sp.268 so that its SVCs are attributed to the partition). */
#include "sp268_rename.h"
#include "../psa/storage_client.c"
