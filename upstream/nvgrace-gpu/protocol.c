/*
 * The nvgrace-gpu upstream target's protocol program (docs/conformance.md): drivers/vfio/pci/nvgrace-gpu/main.c
 * from a Linux tree, compiled unmodified against the shim (shim/), driven through its own entry points the way
 * the PCI core, the VFS and the VFIO core drive it:
 *   probe   -> the driver's pci_driver .probe with the firmware properties set, then the vfio device's
 *              .open_device (what the first open of the device file does)
 *   read, write, cfgRead, cfgWrite -> the VFS checks of read(2)/write(2) on the device file at
 *              VFIO_PCI_INDEX_TO_OFFSET(region) + offset (rw_verify_area, MAX_RW_COUNT), then .read / .write
 *   mmap    -> do_mmap's checks of the length and page offset, then .mmap with a VMA of that length
 *   reset   -> .ioctl(VFIO_DEVICE_RESET)
 * and, between runs, .close_device and the driver's .remove. Results are compared by the suite; the user
 * mappings the driver made (remap_pfn_range) are reported as state. An assertion a kernel service raised during
 * an operation is reported in the answer's "assertions" list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "shim/shim.h"

struct pci_driver *shim_module_pci_driver(void);

#define LOFF_MAX 0x7fffffffffffffffULL
#define MAX_RW_COUNT 0x7ffff000ULL
#define READ_DATA_MAX 64ULL
/* The address the VMA of an mmap starts at (when the length leaves room for it). */
#define VMA_START 0x7f0000000000UL

static struct pci_dev pdev;
static struct vfio_device *vdev;

/*
 * GPUMEM_UPSTREAM_MASK=known (npm run upstream -- conform --mask-known): operations that meet a known difference
 * (docs/upstream.md, nvgrace-gpu findings 1 to 3) are answered {"unsupported":true}, so that the rest of the
 * driver's behaviour can be conformed for a long run; conform counts them. A masked probe is not sent to the
 * driver (the specification refuses it, so no device exists on either side); a masked read or write is
 * executed (its effect on device memory and on the kernel mapping is the specification's) and only its result
 * is not compared.
 */
static bool mask_known;

/* Finding 2 (roundup_pow_of_two of 0 or of more than 2^63) and finding 3 (an unaligned base). */
static bool probe_is_known_difference(u64 memphys, u64 memlength)
{
	return memlength == SZ_1G || memlength > (1ULL << 63) + SZ_1G || (memphys & (PAGE_SIZE - 1)) != 0;
}

/* The BAR size and the device memory of a fake BAR, as VFIO_DEVICE_GET_REGION_INFO reports them. */
static bool region_info(unsigned index, u64 *bar_size, u64 *memlength)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };
	struct vfio_info_cap caps = { 0 };
	bool ok = false;

	if (!vdev->ops->get_region_info_caps || vdev->ops->get_region_info_caps(vdev, &info, &caps))
		return false;
	if (caps.buf && caps.size >= sizeof(struct vfio_region_info_cap_sparse_mmap) + sizeof(struct vfio_region_sparse_mmap_area) &&
	    caps.buf->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
		struct vfio_region_info_cap_sparse_mmap *sparse = (void *)caps.buf;
		*bar_size = info.size;
		*memlength = sparse->areas[0].size;
		ok = sparse->nr_areas == 1;
	}
	free(caps.buf);
	return ok;
}

/* Finding 1: a resmem read or write whose clipped count reaches past the end of device memory. */
static bool access_is_known_difference(u64 pos, u64 count)
{
	u64 offset = pos & VFIO_PCI_OFFSET_MASK, bar_size, memlength, clipped;
	if (VFIO_PCI_OFFSET_TO_INDEX(pos) != VFIO_PCI_BAR2_REGION_INDEX || !region_info(VFIO_PCI_BAR2_REGION_INDEX, &bar_size, &memlength))
		return false;
	if (offset >= bar_size || offset >= memlength)
		return false;
	clipped = count < bar_size - offset ? count : bar_size - offset;
	return clipped > memlength - offset;
}

static const char *errno_name(long error)
{
	static char text[32];
	switch (error) {
	case -EINVAL: return "-EINVAL";
	case -EOVERFLOW: return "-EOVERFLOW";
	case -ENOMEM: return "-ENOMEM";
	case -EFAULT: return "-EFAULT";
	case -ENOTTY: return "-ENOTTY";
	case -EBUSY: return "-EBUSY";
	case -ETIME: return "-ETIME";
	case -ENODEV: return "-ENODEV";
	case -EIO: return "-EIO";
	case -EPERM: return "-EPERM";
	}
	snprintf(text, sizeof(text), "%ld", error);
	return text;
}

static void teardown(void)
{
	struct pci_driver *driver = shim_module_pci_driver();
	if (vdev) {
		if (vdev->ops->close_device)
			vdev->ops->close_device(vdev);
		driver->remove(&pdev);
		vdev = NULL;
	}
	shim_reset();
	shim_clear_assertions();
	memset(&pdev, 0, sizeof(pdev));
}

static void reset(void) { teardown(); }

static void answer_error(struct out *out, long error)
{
	out_printf(out, "{\"result\":{\"ok\":false,\"error\":\"%s\"}", errno_name(error));
}

static const struct pci_device_id *matching_id(const struct pci_driver *driver)
{
	for (const struct pci_device_id *id = driver->id_table; id && (id->vendor || id->device); id++)
		if (id->vendor == pdev.vendor && id->device == pdev.device)
			return id;
	return NULL;
}

/* A Grace Hopper GH200 function: NVIDIA 0x2342, PCI Express config space. */
static void probe(u64 memphys, u64 memlength, struct out *out)
{
	struct pci_driver *driver = shim_module_pci_driver();
	const struct pci_device_id *id;
	int ret;

	pdev.vendor = PCI_VENDOR_ID_NVIDIA;
	pdev.device = 0x2342;
	pdev.cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	id = matching_id(driver);
	if (!id) {
		shim_assertion(__FILE__, __LINE__, "the driver's id table has no entry for %04x:%04x", pdev.vendor, pdev.device);
		answer_error(out, -ENODEV);
		return;
	}
	shim_set_device_memory(memphys, memlength);
	ret = driver->probe(&pdev, id);
	if (ret) {
		answer_error(out, ret);
		return;
	}
	vdev = &((struct vfio_pci_core_device *)dev_get_drvdata(&pdev.dev))->vdev;
	if (vdev->ops->open_device) {
		ret = vdev->ops->open_device(vdev);
		if (ret) {
			shim_assertion(__FILE__, __LINE__, "open_device failed with %d", ret);
			answer_error(out, ret);
			return;
		}
	}
	/* Without the device memory properties the driver registers the plain vfio-pci-core ops. */
	out_printf(out, "{\"result\":{\"ok\":true,\"value\":\"%s\"}",
		   vdev->ops->read == vfio_pci_core_read ? "vfio-pci-core" : "nvgrace");
}

/*
 * The device file position of a region offset; false when it is not a valid loff_t (the exact sum exceeds
 * LLONG_MAX: rw_verify_area refuses it).
 */
static bool file_position(unsigned index, u64 offset, u64 *pos)
{
	u64 base = VFIO_PCI_INDEX_TO_OFFSET(index);
	if (offset > LOFF_MAX - base)
		return false;
	*pos = base + offset;
	return true;
}

/* rw_verify_area and the MAX_RW_COUNT clamp of vfs_read / vfs_write; -EINVAL or 0. */
static long vfs_checks(u64 pos, u64 *count)
{
	u64 end;
	if (*count > LOFF_MAX)
		return -EINVAL;
	if (pos > LOFF_MAX || __builtin_add_overflow(pos, *count, &end) || end > LOFF_MAX)
		return -EINVAL;
	if (*count > MAX_RW_COUNT)
		*count = MAX_RW_COUNT;
	return 0;
}

static void region_rw(unsigned index, u64 offset, u64 count, bool is_write, unsigned seed, struct out *out)
{
	u64 pos;
	loff_t ppos;
	ssize_t ret;
	long error;

	if (!file_position(index, offset, &pos)) {
		answer_error(out, -EINVAL);
		return;
	}
	error = vfs_checks(pos, &count);
	if (error) {
		answer_error(out, error);
		return;
	}
	ppos = (loff_t)pos;
	if (is_write) {
		char __user *buf = shim_user_buffer(count, seed, NULL);
		ret = vdev->ops->write(vdev, buf, count, &ppos);
	} else {
		char __user *buf = shim_user_buffer(count, 0, NULL);
		ret = vdev->ops->read(vdev, buf, count, &ppos);
	}
	if (ret < 0) {
		answer_error(out, ret);
		return;
	}
	if (mask_known && shim_core_region < 0 && access_is_known_difference(pos, count)) {
		out_printf(out, "{\"unsupported\":true");
		return;
	}
	if (shim_core_region >= 0) {
		/* Handed to vfio-pci-core: a zero count returns 0 there before any region is looked at. */
		if (ret == 0)
			out_printf(out, "{\"result\":{\"ok\":true,\"value\":{\"count\":\"0x0\"}}");
		else
			out_printf(out, "{\"result\":{\"ok\":true,\"value\":{\"vfioPciCore\":%d}}", shim_core_region);
		return;
	}
	out_printf(out, "{\"result\":{\"ok\":true,\"value\":{\"count\":");
	out_u64(out, (u64)ret);
	if (!is_write && (u64)ret <= READ_DATA_MAX) {
		const u8 *data = shim_user_bytes();
		out_printf(out, ",\"data\":\"");
		for (ssize_t i = 0; i < ret; i++)
			out_printf(out, "%02x", data[i]);
		out_printf(out, "\"");
	}
	out_printf(out, "}}");
}

static void config_rw(u64 offset, u64 count, bool is_write, u64 value, struct out *out)
{
	u64 pos;
	loff_t ppos;
	ssize_t ret;
	long error;
	u8 bytes[8];

	if (!file_position(VFIO_PCI_CONFIG_REGION_INDEX, offset, &pos)) {
		answer_error(out, -EINVAL);
		return;
	}
	error = vfs_checks(pos, &count);
	if (error || count > 8) {
		answer_error(out, error ? error : -EINVAL);
		return;
	}
	ppos = (loff_t)pos;
	for (int i = 0; i < 8; i++)
		bytes[i] = (u8)(value >> (8 * i));
	if (is_write)
		ret = vdev->ops->write(vdev, shim_user_buffer(count, 0, bytes), count, &ppos);
	else
		ret = vdev->ops->read(vdev, shim_user_buffer(count, 0, NULL), count, &ppos);
	if (ret < 0) {
		answer_error(out, ret);
		return;
	}
	if (is_write) {
		out_printf(out, "{\"result\":{\"ok\":true,\"value\":%lld}", (long long)ret);
	} else {
		const u8 *data = shim_user_bytes();
		u64 v = 0;
		for (ssize_t i = 0; i < ret && i < 8; i++)
			v |= (u64)data[i] << (8 * i);
		out_printf(out, "{\"result\":{\"ok\":true,\"value\":");
		out_u64(out, v);
		out_printf(out, "}");
	}
}

/* do_mmap's checks (length 0, page-aligned length wraps, file page offset + pages wraps), then .mmap. */
static void mmap_region(unsigned index, u64 pgoff, u64 length, struct out *out)
{
	struct vm_area_struct vma;
	u64 len, file_pgoff, last;
	int ret;

	if (length == 0) {
		answer_error(out, -EINVAL);
		return;
	}
	len = (length + PAGE_SIZE - 1) & PAGE_MASK;
	if (len == 0) {
		answer_error(out, -ENOMEM);
		return;
	}
	if (__builtin_add_overflow((u64)index << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT), pgoff, &file_pgoff) ||
	    __builtin_add_overflow(file_pgoff, len >> PAGE_SHIFT, &last)) {
		answer_error(out, -EOVERFLOW);
		return;
	}
	memset(&vma, 0, sizeof(vma));
	vma.vm_start = len <= ~0UL - VMA_START ? VMA_START : 0;
	vma.vm_end = vma.vm_start + len;
	vma.vm_pgoff = file_pgoff;
	vma.vm_flags = VM_READ | VM_WRITE | VM_SHARED;
	vma.vm_page_prot = __pgprot(SHIM_PROT_MT_NORMAL);
	ret = vdev->ops->mmap(vdev, &vma);
	if (ret) {
		answer_error(out, ret);
		return;
	}
	if (shim_core_region >= 0)
		out_printf(out, "{\"result\":{\"ok\":true,\"value\":{\"vfioPciCore\":%d}}", shim_core_region);
	else
		out_printf(out, "{\"result\":{\"ok\":true}");
}

static int region_of(const struct json *args)
{
	const struct json *bar = json_get(args, "bar");
	return json_is(bar, "BAR2") ? VFIO_PCI_BAR2_REGION_INDEX : json_is(bar, "BAR4") ? VFIO_PCI_BAR4_REGION_INDEX : -1;
}

static void finish(struct out *out)
{
	size_t n = shim_assertion_count();
	if (n) {
		out_printf(out, ",\"assertions\":[");
		for (size_t i = 0; i < n; i++) {
			const char *text = shim_assertion_text(i);
			out_printf(out, "%s\"", i ? "," : "");
			for (const char *c = text; *c; c++)
				out_printf(out, (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
			out_printf(out, "\"");
		}
		out_printf(out, "]");
		shim_clear_assertions();
	}
	out_printf(out, "}");
}

static void apply(const char *op, const struct json *args, struct out *out)
{
	struct fault_plan faults;
	u64 a = 0, b = 0;
	long long n = 0;
	int region = region_of(args);

	fault_plan_load(&faults, args);
	shim_faults = &faults;
	shim_core_region = -1;
	shim_clear_assertions();
	if (strcmp(op, "probe") == 0 && json_u64(json_get(args, "memphys"), &a) && json_u64(json_get(args, "memlength"), &b)) {
		if (mask_known && probe_is_known_difference(a, b)) {
			out_printf(out, "{\"unsupported\":true}");
			shim_faults = NULL;
			return;
		}
		probe(a, b, out);
	} else if (vdev == NULL) {
		out_printf(out, "{\"unsupported\":true}");
		shim_faults = NULL;
		return;
	} else if (strcmp(op, "read") == 0 && region > 0 && json_u64(json_get(args, "offset"), &a) &&
		   json_u64(json_get(args, "count"), &b)) {
		region_rw((unsigned)region, a, b, false, 0, out);
	} else if (strcmp(op, "write") == 0 && region > 0 && json_u64(json_get(args, "offset"), &a) &&
		   json_u64(json_get(args, "count"), &b) && json_int(json_get(args, "seed"), &n)) {
		region_rw((unsigned)region, a, b, true, (unsigned)n, out);
	} else if (strcmp(op, "cfgRead") == 0 && json_u64(json_get(args, "offset"), &a) && json_u64(json_get(args, "count"), &b)) {
		config_rw(a, b, false, 0, out);
	} else if (strcmp(op, "cfgWrite") == 0 && json_u64(json_get(args, "offset"), &a) &&
		   json_u64(json_get(args, "count"), &b)) {
		u64 value = 0;
		json_u64(json_get(args, "value"), &value);
		config_rw(a, b, true, value, out);
	} else if (strcmp(op, "mmap") == 0 && region > 0 && json_u64(json_get(args, "pgoff"), &a) &&
		   json_u64(json_get(args, "length"), &b)) {
		mmap_region((unsigned)region, a, b, out);
	} else if (strcmp(op, "reset") == 0) {
		long ret = vdev->ops->ioctl(vdev, VFIO_DEVICE_RESET, 0);
		if (ret)
			answer_error(out, ret);
		else
			out_printf(out, "{\"result\":{\"ok\":true}");
	} else {
		out_printf(out, "{\"unsupported\":true}");
		shim_faults = NULL;
		return;
	}
	shim_faults = NULL;
	finish(out);
}

int main(void)
{
	const char *mask = getenv("GPUMEM_UPSTREAM_MASK");
	mask_known = mask != NULL && strcmp(mask, "known") == 0;
	jsonl_serve(reset, apply);
	teardown();
	return 0;
}
