/*
 * A userspace port of the nvgrace-gpu VFIO variant driver's device-memory regions: the probe that carves device
 * memory into usemem and resmem, and read/write of the fake BARs that expose them, written from
 * ../shared/seeds/001_d5d5d944b120b211.txt (reads between the end of device memory and the end of the BAR
 * return ~0, writes there are dropped, accesses past the BAR are refused). Every offset and count is u64 and
 * every sum is checked the way the driver and the VFS in front of it check it.
 *
 * The region is chosen from the device file position, as the driver does (VFIO_PCI_OFFSET_TO_INDEX): an offset
 * of 2^40 or more past a BAR's region start names the next region index. The usemem BAR is sized from
 * memlength - 1 GiB before the MEMBLK_SIZE round-down (upstream since 6a9eb2d125ba).
 *
 * Device memory is emulated page by page: a page is materialised when read (the bytes last written there, or
 * the initial pattern), and writes are kept as extents. Only pages inside device memory exist: the page
 * holding the end of device memory has zeros after it, and there is no page past it.
 */
#ifndef GPUMEM_NVGRACE_REGION_H
#define GPUMEM_NVGRACE_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/jsonl.h"

#define NV_PAGE_SIZE 4096ULL
#define MEMBLK_SIZE (512ULL << 20)
#define RESMEM_SIZE (1ULL << 30)
#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_OFFSET_MASK ((1ULL << VFIO_PCI_OFFSET_SHIFT) - 1)
/* Region indices of the device file: resmem is BAR2, usemem BAR4; 7 is config space; there are 9 regions. */
#define RESMEM_REGION_INDEX 2
#define USEMEM_REGION_INDEX 4
#define CONFIG_REGION_INDEX 7
#define VFIO_PCI_NUM_REGIONS 9
#define LOFF_MAX ((uint64_t)INT64_MAX)
#define MAX_RW_COUNT 0x7ffff000ULL
/* Reads of at most this many bytes return their data; larger ones only how many bytes were read. */
#define MAX_READ_DATA 64ULL

struct extent {
	uint64_t start, end;
	unsigned seed;
};

struct mem_region {
	const char *name;     /* "usemem" or "resmem" */
	unsigned salt;        /* the initial pattern: byte at offset x is (salt + x) & 0xff */
	uint64_t memphys;
	uint64_t memlength;
	uint64_t bar_size;
	bool mapped;          /* memremap'ed / ioremap_wc'ed */
	struct extent *writes;
	size_t nwrites, capacity;
};

struct nvgrace_device {
	bool probed;
	bool core_only;       /* no device memory properties: plain vfio-pci-core */
	struct mem_region usemem, resmem;
};

struct access_result {
	int error;            /* 0 or a negative errno */
	bool unsupported;     /* the file position is in config space, which this port does not emulate */
	int core_index;       /* >= 0: handed to vfio_pci_core_read/write with this region index */
	uint64_t count;
	bool has_data;
	unsigned char data[MAX_READ_DATA];
};

void nvgrace_teardown(struct nvgrace_device *dev);
int nvgrace_probe(struct nvgrace_device *dev, uint64_t memphys, uint64_t memlength);
struct access_result nvgrace_read(struct nvgrace_device *dev, int bar, uint64_t offset, uint64_t count, struct fault_plan *faults);
struct access_result nvgrace_write(struct nvgrace_device *dev, int bar, uint64_t offset, uint64_t count, unsigned seed,
				   struct fault_plan *faults);

#endif
