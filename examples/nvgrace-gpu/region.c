/* See region.h. Build with -DBUG_READ_PAST_END for the variant that reads one byte past device memory. */
#include "region.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* roundup_pow_of_two for 1 <= x <= 2^63 */
static uint64_t roundup_pow_of_two(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static void region_init(struct mem_region *r, const char *name, unsigned salt, uint64_t memphys, uint64_t memlength)
{
	free(r->writes);
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->salt = salt;
	r->memphys = memphys;
	r->memlength = memlength;
	r->bar_size = roundup_pow_of_two(memlength);
}

void nvgrace_teardown(struct nvgrace_device *dev)
{
	free(dev->usemem.writes);
	free(dev->resmem.writes);
	memset(dev, 0, sizeof(*dev));
}

/* nvgrace_gpu_probe -> nvgrace_gpu_init_nvdev_struct: usemem = round_down(memlength - 1 GiB, MEMBLK_SIZE) */
int nvgrace_probe(struct nvgrace_device *dev, uint64_t memphys, uint64_t memlength)
{
	uint64_t usemem, resmem, resmem_phys, usemem_bar_basis;

	if (memlength == 0) {
		dev->probed = true;
		dev->core_only = true;
		return 0;
	}
	if (memphys % NV_PAGE_SIZE != 0)
		return -EINVAL;
	if (memlength < RESMEM_SIZE)
		return -EOVERFLOW;
	usemem_bar_basis = memlength - RESMEM_SIZE; /* the BAR is sized before the round-down */
	usemem = usemem_bar_basis / MEMBLK_SIZE * MEMBLK_SIZE;
	if (usemem == 0)
		return -EINVAL;
	if (__builtin_add_overflow(memphys, usemem, &resmem_phys))
		return -EOVERFLOW;
	resmem = memlength - usemem;
	if (usemem_bar_basis > (1ULL << 63) || resmem > (1ULL << 63))
		return -EOVERFLOW;
	region_init(&dev->usemem, "usemem", 0x5a, memphys, usemem);
	dev->usemem.bar_size = roundup_pow_of_two(usemem_bar_basis);
	region_init(&dev->resmem, "resmem", 0xa5, resmem_phys, resmem);
	dev->probed = true;
	return 0;
}

/* nvgrace_gpu_memregion: the fake BAR region of a region index, or NULL */
static struct mem_region *memregion(struct nvgrace_device *dev, uint64_t index)
{
	if (index == USEMEM_REGION_INDEX)
		return &dev->usemem;
	if (index == RESMEM_REGION_INDEX && dev->resmem.memlength)
		return &dev->resmem;
	return NULL;
}

/*
 * rw_verify_area and the MAX_RW_COUNT clamp on the device file position (region start + offset, computed
 * without wrapping); on success *pos is the position.
 */
static int verify_area(int bar, uint64_t offset, uint64_t *count, uint64_t *pos)
{
	uint64_t start = (uint64_t)bar << VFIO_PCI_OFFSET_SHIFT;

	if (*count > LOFF_MAX)
		return -EINVAL;
	if (offset > LOFF_MAX - start)
		return -EINVAL;
	*pos = start + offset;
	if (*count > LOFF_MAX - *pos)
		return -EINVAL;
	if (*count > MAX_RW_COUNT)
		*count = MAX_RW_COUNT;
	return 0;
}

/*
 * A position outside the fake BARs: config space is not emulated by this port (answered unsupported); any
 * other region goes to vfio_pci_core_read/write, which returns 0 for a zero count and -EINVAL past the last
 * region. Returns true when the access was settled here.
 */
static bool other_region(uint64_t index, uint64_t count, struct access_result *res)
{
	if (index == CONFIG_REGION_INDEX) {
		res->unsupported = true;
		return true;
	}
	if (count == 0)
		return true;
	if (index >= VFIO_PCI_NUM_REGIONS)
		res->error = -EINVAL;
	else
		res->core_index = (int)index;
	return true;
}

/* nvgrace_gpu_map_device_mem: the first access that reaches device memory maps it */
static int map_device_mem(struct mem_region *r, struct fault_plan *faults)
{
	if (r->mapped)
		return 0;
	if (fault_fails(faults)) /* memremap (usemem) / ioremap_wc (resmem) */
		return -ENOMEM;
	r->mapped = true;
	return 0;
}

static unsigned char stored_byte(const struct mem_region *r, uint64_t offset)
{
	for (size_t i = r->nwrites; i-- > 0;) {
		const struct extent *w = &r->writes[i];
		if (offset >= w->start && offset < w->end)
			return (unsigned char)(w->seed + (offset - w->start));
	}
	return (unsigned char)(r->salt + offset);
}

/*
 * One page of emulated device memory, materialised for a read: the page's device bytes, then zeros up to the
 * page end (what lies after the end of device memory in its last page is not device memory). A page wholly
 * past the end of device memory is not mapped: it is a guard page, poisoned for AddressSanitizer.
 */
static unsigned char *page_map(const struct mem_region *r, uint64_t index)
{
	uint64_t start = index * NV_PAGE_SIZE;
	uint64_t valid = start >= r->memlength ? 0 : min_u64(NV_PAGE_SIZE, r->memlength - start);
	unsigned char *page = calloc(1, NV_PAGE_SIZE);

	if (!page)
		abort();
	for (uint64_t i = 0; i < valid; i++)
		page[i] = stored_byte(r, start + i);
	if (valid == 0)
		ASAN_POISON_MEMORY_REGION(page, NV_PAGE_SIZE);
	return page;
}

static void page_unmap(unsigned char *page)
{
	ASAN_UNPOISON_MEMORY_REGION(page, NV_PAGE_SIZE);
	free(page);
}

/* copy_to_user(buf, memaddr + offset, mem_count): page by page through the emulated linear mapping */
static void copy_from_device(const struct mem_region *r, uint64_t offset, uint64_t count, unsigned char *out)
{
	while (count > 0) {
		uint64_t in_page = offset % NV_PAGE_SIZE;
		uint64_t chunk = min_u64(count, NV_PAGE_SIZE - in_page);
		unsigned char *page = page_map(r, offset / NV_PAGE_SIZE);
		const unsigned char *src = page + in_page;

		for (uint64_t i = 0; i < chunk; i++)
			*out++ = *src++;
		page_unmap(page);
		offset += chunk;
		count -= chunk;
	}
}

/* mem_count: the bytes of [offset, offset + count) that are device memory */
static uint64_t device_count(const struct mem_region *r, uint64_t offset, uint64_t count)
{
	if (offset >= r->memlength)
		return 0;
#ifdef BUG_READ_PAST_END
	/* "up to and including the last byte": one byte too many */
	return min_u64(count, r->memlength - offset + 1);
#else
	return min_u64(count, r->memlength - offset);
#endif
}

/* nvgrace_gpu_read_mem */
struct access_result nvgrace_read(struct nvgrace_device *dev, int bar, uint64_t offset, uint64_t count, struct fault_plan *faults)
{
	struct access_result res = { .core_index = -1 };
	struct mem_region *r;
	uint64_t mem_count, pos;

	res.error = verify_area(bar, offset, &count, &pos);
	if (res.error)
		return res;
	r = memregion(dev, pos >> VFIO_PCI_OFFSET_SHIFT);
	if (!r && other_region(pos >> VFIO_PCI_OFFSET_SHIFT, count, &res))
		return res;
	offset = pos & VFIO_PCI_OFFSET_MASK;
	if (offset >= r->bar_size) {
		res.error = -EINVAL;
		return res;
	}
	count = min_u64(count, r->bar_size - offset);
	mem_count = device_count(r, offset, count);
	res.count = count;
	res.has_data = count <= MAX_READ_DATA;
	if (mem_count > 0) {
		res.error = map_device_mem(r, faults);
		if (res.error)
			return res;
		if (res.has_data)
			copy_from_device(r, offset, mem_count, res.data);
	}
	/* the BAR padding past the end of device memory reads as all ones */
	if (res.has_data)
		for (uint64_t i = mem_count; i < count; i++)
			res.data[i] = 0xff;
	return res;
}

/* nvgrace_gpu_write_mem: the part past device memory is dropped; the whole clipped count is reported */
struct access_result nvgrace_write(struct nvgrace_device *dev, int bar, uint64_t offset, uint64_t count, unsigned seed,
				   struct fault_plan *faults)
{
	struct access_result res = { .core_index = -1 };
	struct mem_region *r;
	uint64_t mem_count, pos;

	res.error = verify_area(bar, offset, &count, &pos);
	if (res.error)
		return res;
	r = memregion(dev, pos >> VFIO_PCI_OFFSET_SHIFT);
	if (!r && other_region(pos >> VFIO_PCI_OFFSET_SHIFT, count, &res))
		return res;
	offset = pos & VFIO_PCI_OFFSET_MASK;
	if (offset >= r->bar_size) {
		res.error = -EINVAL;
		return res;
	}
	count = min_u64(count, r->bar_size - offset);
	mem_count = offset >= r->memlength ? 0 : min_u64(count, r->memlength - offset);
	res.count = count;
	if (mem_count == 0)
		return res;
	res.error = map_device_mem(r, faults);
	if (res.error)
		return res;
	if (r->nwrites == r->capacity) {
		r->capacity = r->capacity ? 2 * r->capacity : 8;
		r->writes = realloc(r->writes, r->capacity * sizeof(*r->writes));
		if (!r->writes)
			abort();
	}
	r->writes[r->nwrites++] = (struct extent){ offset, offset + mem_count, seed & 0xff };
	return res;
}
