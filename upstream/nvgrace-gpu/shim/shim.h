/*
 * The shim's side door for the project's own programs (the protocol program and the shim tests): what the
 * emulated machine looks like (device memory, firmware properties), the caller's user buffer, the fault plan of
 * the operation under way, and the assertions raised. The driver never sees this header.
 */
#ifndef GPUMEM_NVGRACE_SHIM_H
#define GPUMEM_NVGRACE_SHIM_H

#include "include/gpumem_kernel.h"

struct fault_plan;

/* The fault plan of the operation under way (NULL: nothing fails). memremap and ioremap_wc ask it, in order. */
extern struct fault_plan *shim_faults;
/* Asked at each fault site; the shim tests replace it to see the order the sites fire in. */
extern bool (*shim_fault_site)(const char *site);
/* The default: the next fallible step of shim_faults. */
bool shim_plan_fault_site(const char *site);

/* The firmware (ACPI _DSD) properties the probe reads, and the device memory they describe. */
void shim_set_device_memory(u64 memphys, u64 memlength);
void shim_clear_properties(void);

/*
 * Emulated device memory. Bytes no write reached read as (offset + salt) & 0xff, offset counted from the start
 * of the kernel mapping they are read through: salt 0x5a through memremap (usemem), 0xa5 through ioremap_wc
 * (resmem), as the specification's initial pattern. Writes are kept as extents of physical addresses.
 */
#define SHIM_SALT_MEMREMAP 0x5a
#define SHIM_SALT_IOREMAP_WC 0xa5

/*
 * The caller's user buffer for one access: `length` bytes at a user address. A buffer of at most
 * SHIM_USER_CAPTURE bytes keeps what the driver stores into it (read back with shim_user_bytes); the source of a
 * write is either `bytes` (at most SHIM_USER_CAPTURE of them) or, when bytes is NULL, the pattern
 * (seed + i) & 0xff. Any access outside [0, length) is an AddressSanitizer error.
 */
char __user *shim_user_buffer(u64 length, unsigned seed, const u8 *bytes);
const u8 *shim_user_bytes(void);

/* The region index a read, write or mmap was handed to vfio-pci-core for (-1: none), since it was last reset. */
extern int shim_core_region;

/* Assertions raised since the last call, as one string each; shim_take_assertions hands them over and clears. */
size_t shim_assertion_count(void);
const char *shim_assertion_text(size_t i);
void shim_clear_assertions(void);

/*
 * End of one run: checks that the driver gave back everything the services lent it (kernel mappings,
 * allocations, PCI enables, locks), raising an assertion for each thing left over, then forgets it all.
 */
void shim_reset(void);

/* For tests: how many memremap / ioremap_wc windows are live, and how many allocations. */
size_t shim_live_windows(void);
size_t shim_live_allocations(void);
/* Reads `n` bytes of emulated device memory at a physical address through the mapping that covers it. */
bool shim_device_bytes(u64 phys, u8 *out, size_t n);

#endif
