/* tz/host.c - Armv8-M Security Extension transitions on the Host (Cortex-M33), checked from the
 * Secure side against the Armv8-M Architecture Reference Manual:
 *
 *   Secure main: SCB_NS->VTOR and MSP_NS (MSR/MRS MSP_NS), then BLXNS to the Non-secure reset
 *   code (bit 0 clear: Non-secure state; return address + partial RETPSR pushed on the Secure
 *   stack, LR = FNC_RETURN).
 *   Non-secure code: records its MSP/CONTROL/LR, calls the Secure gateway (SG; the Secure side
 *   sees LR bit 0 clear and returns with BXNS LR), takes SVC #5 through the Non-secure vector
 *   table (EXC_RETURN with S = 0, ES = 0), arms the Secure SysTick through a second gateway and
 *   waits in Non-secure state until the Secure SysTick handler has run (a Secure exception taken
 *   from Non-secure state: frame on the Non-secure stack, EXC_RETURN S = 0, ES = 1), reads a
 *   Secure variable (a SecureFault: SFSR.AUVIOL with the address in SFAR, D1.2.225-226; the
 *   Secure handler reads and clears them, write-one-to-clear, and resumes the Non-secure code
 *   after the load with r1 = 0x5AFE), then returns to Secure state through FNC_RETURN.
 *
 * The Non-secure part writes what it saw to Non-secure SRAM (NS_RES); the Secure part checks it.
 * The exit status (semihosting) is the number of failed checks. */
#include <stdint.h>

#include "../exc/check.h"
#include "board_host.h"
#include "print.h"
#include "regs.h"

#define SCB_NS_VTOR   0xE002ED08u
#define NS_MSP_TOP    0x20042000u
#define NS_RES        ((volatile uint32_t *)0x20043000u)
#define FNC_RETURN    0xFEFFFFFFu

#define SYST_CSR      0xE000E010u
#define SYST_RVR      0xE000E014u
#define SYST_CVR      0xE000E018u
#define SCB_SHCSR     0xE000ED24u
#define SHCSR_SECUREFAULTENA (1u << 19)
#define SCB_CFSR      0xE000ED28u
#define SAU_SFSR      0xE000EDE4u
#define SAU_SFAR      0xE000EDE8u
#define SFSR_AUVIOL    (1u << 3)
#define SFSR_SFARVALID (1u << 6)
#define SF_RESUMED    0x5AFEu

enum { R_MSP, R_CONTROL, R_LR, R_CALL, R_SVC_IPSR, R_SVC_EXCRET, R_SVC_MSP, R_AFTER_SVC, R_TICK, R_AFTER_FAULT,
       R_COUNT };

/* Secure data the Non-secure code reads (a SecureFault). */
volatile uint32_t tz_secret = 0x5EC4E7u;

void ns_reset(void);
void ns_svc_handler(void);
void ns_default_handler(void);
void s_gateway(void);
void s_arm_tick(void);
uint32_t s_service(uint32_t x, uint32_t lr, uint32_t sp);

/* Non-secure vector table: initial MSP_NS, reset, ..., SVCall (11). */
__attribute__((section(".ns_vectors"), used))
void (*const ns_vectors[16])(void) = {
    (void (*)(void))NS_MSP_TOP, ns_reset,
    ns_default_handler, ns_default_handler, ns_default_handler, ns_default_handler, ns_default_handler,
    ns_default_handler, 0, 0, 0, ns_svc_handler, ns_default_handler, 0, ns_default_handler,
    ns_default_handler,
};

/* Non-secure code: entered by BLXNS with LR = FNC_RETURN. */
__attribute__((naked, section(".ns_text"))) void ns_reset(void)
{
    __asm volatile(
        "ldr   r3, =0x20043000\n"
        "mrs   r0, msp\n"
        "str   r0, [r3, #0]\n"
        "mrs   r0, control\n"
        "str   r0, [r3, #4]\n"
        "str   lr, [r3, #8]\n"
        "push  {r3, lr}\n"
        "movs  r0, #41\n"
        "ldr   r1, =s_gateway\n"
        "blx   r1\n"                      /* into Secure code at its SG */
        "ldr   r3, =0x20043000\n"
        "str   r0, [r3, #12]\n"
        "svc   #5\n"
        "ldr   r3, =0x20043000\n"
        "movs  r0, #1\n"
        "str   r0, [r3, #28]\n"
        "ldr   r1, =s_arm_tick\n"
        "blx   r1\n"                      /* second gateway: Secure SysTick armed */
        "ldr   r3, =0x20043000\n"
        "1: ldr r0, [r3, #32]\n"          /* until the Secure SysTick handler has run */
        "cmp   r0, #1\n"
        "bne   1b\n"
        "ldr   r0, =tz_secret\n"
        "movs  r1, #0\n"
        "ldr   r1, [r0]\n"                /* Secure memory: SecureFault; the handler skips this load */
        "str   r1, [r3, #36]\n"
        "pop   {r1, r3}\n"
        "bx    r3\n"                      /* FNC_RETURN: back to Secure state */
        ".ltorg\n");
}

__attribute__((naked, section(".ns_text"))) void ns_svc_handler(void)
{
    __asm volatile(
        "ldr   r3, =0x20043000\n"
        "mrs   r0, ipsr\n"
        "str   r0, [r3, #16]\n"
        "str   lr, [r3, #20]\n"
        "mrs   r0, msp\n"
        "str   r0, [r3, #24]\n"
        "bx    lr\n"
        ".ltorg\n");
}

__attribute__((naked, section(".ns_text"))) void ns_default_handler(void)
{
    __asm volatile("b .\n");
}

/* Secure gateway: SG, then the service with the caller's LR and the Secure SP; BXNS LR back. */
__attribute__((naked)) void s_gateway(void)
{
    __asm volatile(
        "sg\n"
        "mov   r1, lr\n"
        "mov   r2, sp\n"
        "push  {r4, lr}\n"
        "bl    s_service\n"
        "pop   {r4, lr}\n"
        "bxns  lr\n");
}

/* Second gateway: arm the Secure SysTick (it fires while the caller runs Non-secure). */
__attribute__((naked)) void s_arm_tick(void)
{
    __asm volatile(
        "sg\n"
        "ldr   r0, =0xE000E010\n"
        "movs  r1, #0\n"
        "str   r1, [r0, #8]\n"           /* SYST_CVR */
        "movw  r1, #200\n"
        "str   r1, [r0, #4]\n"           /* SYST_RVR */
        "movs  r1, #7\n"
        "str   r1, [r0, #0]\n"           /* SYST_CSR: ENABLE | TICKINT | CLKSOURCE */
        "bxns  lr\n"
        ".ltorg\n");
}

static volatile uint32_t tick_ipsr, tick_excret, tick_msp, tick_ns_msp;

/* Secure SysTick (the Secure vector table): taken from Non-secure state. */
__attribute__((naked)) void SysTick_Handler(void)
{
    __asm volatile(
        "ldr   r3, =tick_ipsr\n"
        "mrs   r0, ipsr\n"
        "str   r0, [r3]\n"
        "ldr   r3, =tick_excret\n"
        "str   lr, [r3]\n"
        "ldr   r3, =tick_msp\n"
        "mrs   r0, msp\n"
        "str   r0, [r3]\n"
        "ldr   r3, =tick_ns_msp\n"
        "mrs   r0, msp_ns\n"
        "str   r0, [r3]\n"
        "ldr   r3, =0xE000E010\n"
        "movs  r0, #0\n"
        "str   r0, [r3]\n"               /* SysTick off */
        "ldr   r3, =0x20043000\n"
        "movs  r0, #1\n"
        "str   r0, [r3, #32]\n"
        "bx    lr\n"
        ".ltorg\n");
}

static volatile uint32_t sf_sfsr, sf_sfar, sf_sfsr_after, sf_cfsr, sf_excret, sf_pc;

/* Secure SecureFault handler: the cause (SFSR) and address (SFAR), cleared by writing the set bits
 * back; the faulting load (16-bit) is skipped and its result replaced in the stacked r1. */
__attribute__((noinline, used)) void s_securefault(uint32_t excret, uint32_t *frame)
{
    sf_sfsr = REG32(SAU_SFSR);
    sf_sfar = REG32(SAU_SFAR);
    sf_cfsr = REG32(SCB_CFSR);
    REG32(SAU_SFSR) = sf_sfsr;
    sf_sfsr_after = REG32(SAU_SFSR);
    sf_excret = excret;
    sf_pc = frame[6];
    frame[1] = SF_RESUMED;
    frame[6] += 2;
}

/* Taken from Non-secure Thread mode on the Non-secure MSP: frame there (EXC_RETURN SPSEL = 0). */
__attribute__((naked)) void SecureFault_Handler(void)
{
    __asm volatile(
        "mov   r0, lr\n"
        "mrs   r1, msp_ns\n"
        "b     s_securefault\n");
}

static volatile uint32_t gw_lr, gw_sp, gw_arg;

__attribute__((noinline, used)) uint32_t s_service(uint32_t x, uint32_t lr, uint32_t sp)
{
    gw_arg = x;
    gw_lr = lr;
    gw_sp = sp;
    return x + 1;
}

static uint32_t read_msp(void)
{
    uint32_t v;
    __asm volatile("mrs %0, msp" : "=r"(v));
    return v;
}

int main(void)
{
    uint32_t v, msp_before, msp_after;

    console_init(HOST_UART_BASE);
    for (int i = 0; i < R_COUNT; i++)
        NS_RES[i] = 0xDEADBEEFu;
    check_begin("banked");
    REG32(SCB_NS_VTOR) = (uint32_t)ns_vectors;
    __asm volatile("msr msp_ns, %0" : : "r"(NS_MSP_TOP));
    __asm volatile("mrs %0, msp_ns" : "=r"(v));
    expect_eq("msp_ns", v, NS_MSP_TOP);
    expect_eq("vtor_ns", REG32(SCB_NS_VTOR), 0x0A2A0000u);
    check_end();
    REG32(SCB_SHCSR) |= SHCSR_SECUREFAULTENA;

    msp_before = read_msp();
    __asm volatile("blxns %0" : : "r"((uint32_t)ns_reset & ~1u)
                   : "r0", "r1", "r2", "r3", "r12", "lr", "memory", "cc");
    msp_after = read_msp();

    check_begin("blxns");
    expect_eq("ns msp at entry", NS_RES[R_MSP], NS_MSP_TOP);
    expect_eq("ns control at entry", NS_RES[R_CONTROL], 0);
    expect_eq("ns lr at entry", NS_RES[R_LR], FNC_RETURN);
    expect_eq("secure msp restored", msp_after, msp_before);
    check_end();

    check_begin("sg");
    expect_eq("argument", gw_arg, 41);
    expect_eq("result", NS_RES[R_CALL], 42);
    expect_eq("lr bit0 clear", gw_lr & 1u, 0);
    expect_true("lr in ns code", (gw_lr & 0xFFF00000u) == 0x0A200000u);
    expect_eq("secure sp (BLXNS frame below)", gw_sp, msp_before - 8);
    check_end();

    check_begin("ns svc");
    expect_eq("ipsr", NS_RES[R_SVC_IPSR], 11);
    expect_eq("exc_return", NS_RES[R_SVC_EXCRET], 0xFFFFFFB8u);
    expect_eq("ns msp in handler", NS_RES[R_SVC_MSP], NS_MSP_TOP - 8 - 32);
    expect_eq("returned", NS_RES[R_AFTER_SVC], 1);
    check_end();

    check_begin("secure exception from ns");
    expect_eq("ipsr", tick_ipsr, 15);
    expect_eq("exc_return", tick_excret, 0xFFFFFFB9u);
    expect_eq("secure msp in handler", tick_msp, msp_before - 8);
    expect_eq("frame on ns msp", tick_ns_msp, NS_MSP_TOP - 8 - 32);
    expect_eq("ns resumed", NS_RES[R_TICK], 1);
    check_end();

    check_begin("securefault");
    expect_eq("sfsr", sf_sfsr, SFSR_AUVIOL | SFSR_SFARVALID);
    expect_eq("sfar", sf_sfar, (uint32_t)&tz_secret);
    expect_eq("sfsr cleared (write one to clear)", sf_sfsr_after, 0);
    expect_eq("cfsr", sf_cfsr, 0);
    expect_eq("exc_return", sf_excret, 0xFFFFFFB9u);
    expect_true("stacked pc in ns code", (sf_pc & 0xFFF00000u) == 0x0A200000u);
    expect_eq("ns resumed after the load", NS_RES[R_AFTER_FAULT], SF_RESUMED);
    check_end();
    return check_summary("tz_host");
}
