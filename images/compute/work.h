/* compute/work.h - a CoreMark-style compute workload written for psaemu's benchmarks: linked-list
 * sort and search, a small integer matrix multiply, a number-syntax state machine over a string
 * and CRC-16. No I/O and no board access, so the same objects run on any Cortex-M33 memory map. */
#ifndef COMPUTE_WORK_H
#define COMPUTE_WORK_H

#include <stdint.h>

#define COMPUTE_LIST_N   48u   /* list nodes per iteration */
#define COMPUTE_FINDS    8u    /* searches in the sorted list per iteration */
#define COMPUTE_MAT_N    8u    /* matrices are MAT_N x MAT_N */
#define COMPUTE_TEXT_N   96u   /* characters scanned by the state machine */

/* The checksum of `iterations` rounds (bench/README.md "Compute" gives the exact definition;
 * tests/platform/test_benchcmd.py re-implements it in Python). */
uint32_t compute_run(uint32_t iterations);

#endif /* COMPUTE_WORK_H */
