/* sp268/lib_its.c - partition 268's own copy of psa/its.c (renamed symbols, linked into
 * .tfm_sp.268 so that its SVCs are attributed to the partition). */
#include "sp268_rename.h"
#include "../psa/its.c"
