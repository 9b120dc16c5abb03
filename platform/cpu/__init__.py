"""The CPU and exception model: one Cortex-M core on Unicorn, its NVIC, SCS, SysTick, faults and security attribution."""
