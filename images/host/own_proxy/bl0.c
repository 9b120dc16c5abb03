/* bl0.c - the boot stage of own_proxy_host, doing what TF-M v1.3's Musca-B1 BL0 does
 * (sse_200/bl0/bl0_main.c:56-98 of TF-M v1.3.0): program the SE's boot remap windows in the SCC, release the SE
 * from reset, wait for the SE to send the Host image's vector table address on the SE->Host
 * MHU, and boot that image (MSP and PC from its first two words).
 *
 * It is this image's reset entry (common/startup_m33.c, vector table at 0x1A000000 in eFlash0,
 * where the Host boots). It returns (exit status 1) only when the SE sends something that is
 * not a vector table. */
#include <stdint.h>

#include "board_host.h"
#include "print.h"
#include "regs.h"
#include "se_link.h"

/* SE remap windows: SE ROM 0x00000000, CODE 0x38000000, SYS 0xA0000000 onto Host memory. */
#define AZ_VTOR_ROM             0x00u
#define AZ_VTOR_CODE            0x38u
#define AZ_VTOR_SYS             0xA0u
#define AZ_ROM_REMAP_OFFSET     0x1A020000u     /* SE MCUboot in Host eFlash0 */
#define AZ_ROM_REMAP_MASK       0x0001FFFFu
#define AZ_CODE_REMAP_OFFSET    0x1A200000u     /* eFlash1 and Code SRAM */
#define AZ_CODE_REMAP_MASK      0x003FFFFFu
#define AZ_SYS_REMAP_OFFSET     0x52000000u     /* Host peripherals the SE drives */
#define AZ_SYS_REMAP_MASK       0x00FFFFFFu

static void scc_release_se(void)
{
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CPU_VTOR) = AZ_VTOR_ROM | (AZ_VTOR_CODE << 8) | (AZ_VTOR_SYS << 16);
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_ROM_REMAP_OFFSET) = AZ_ROM_REMAP_OFFSET;
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_ROM_REMAP_MASK) = AZ_ROM_REMAP_MASK;
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CODE_REMAP_OFFSET) = AZ_CODE_REMAP_OFFSET;
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CODE_REMAP_MASK) = AZ_CODE_REMAP_MASK;
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_SYS_REMAP_OFFSET) = AZ_SYS_REMAP_OFFSET;
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_SYS_REMAP_MASK) = AZ_SYS_REMAP_MASK;
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CTRL) |= SCC_AZ_CTRL_BOOT_REMAP;
    REG32_OFF(HOST_SCC_BASE, SCC_AZ_CTRL) |= SCC_AZ_CTRL_DBGRESET_N | SCC_AZ_CTRL_HRESET_N;
}

/* Boot the image whose vector table is at vtor: MSP = word 0, jump to word 1. */
__attribute__((noreturn)) static void boot_image(uint32_t vtor)
{
    uint32_t msp = REG32(vtor);
    uint32_t pc = REG32(vtor + 4u);
    __asm__ volatile("msr msp, %0\n\t"
                     "bx  %1" :: "r"(msp), "r"(pc) : "memory");
    __builtin_unreachable();
}

int main(void)
{
    console_init(HOST_UART_BASE);
    se_link_init();                         /* listen before the SE can talk */
    scc_release_se();
    print_str("bl0: SE remapped and released; waiting for the Host boot vector\n");

    uint32_t vtor = se_link_wait();
    print_str("bl0: boot vector 0x");
    print_hex32(vtor);
    print_nl();
    if ((vtor & 0x7Fu) != 0u || (REG32(vtor + 4u) & 1u) == 0u) {
        print_str("bl0: not a vector table (unaligned, or a reset vector without the Thumb bit)\n");
        console_flush();
        return 1;
    }
    console_flush();
    boot_image(vtor);
}
