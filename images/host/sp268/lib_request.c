/* sp268/lib_request.c - partition 268's own copy of psa/request.c (renamed symbols, linked into
 * .tfm_sp.268 so that its SVCs are attributed to the partition). */
#include "sp268_rename.h"
#include "../psa/request.c"
