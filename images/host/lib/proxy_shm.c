/* lib/proxy_shm.c - the PSA Proxy's shared-memory reservation in the Host image.
 *
 * TF-M puts the proxy's shared_mem object into input section PSA_PROXY_SHARED_MEMORY_SECTION
 * and links it into a NOLOAD output section .PSA_PROXY_SHARED_MEMORY at
 * PSA_PROXY_SHARED_MEMORY_BASE (0x1A408000, Code SRAM, Secure) of PSA_PROXY_SHARED_MEMORY_SIZE
 * (0x78000) bytes. The proxy itself is modelled by the emulator, which checks this reservation
 * against its configuration; the Host firmware never touches the memory. */
#include <stdint.h>

#define PSA_PROXY_SHARED_MEMORY_SIZE    0x78000u

__attribute__((section("PSA_PROXY_SHARED_MEMORY_SECTION"), used, aligned(8)))
uint8_t psa_proxy_shared_memory[PSA_PROXY_SHARED_MEMORY_SIZE];
