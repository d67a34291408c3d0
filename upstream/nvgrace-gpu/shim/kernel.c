/*
 * gpumem-spec kernel shim for the nvgrace-gpu upstream target: userspace implementations of the kernel services
 * declared in include/gpumem_kernel.h. Written for this project; see upstream/nvgrace-gpu/README.md for what
 * each service does and which rule of it the shim checks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "shim.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SHIM_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define SHIM_HAVE_ASAN 1
#endif
#endif

/* ================================================================ assertions */

#define SHIM_MAX_ASSERTIONS 16
static char assertions[SHIM_MAX_ASSERTIONS][320];
static size_t nassertions;

void shim_assertion(const char *file, int line, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	const char *base = strrchr(file, '/');

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(stderr, "gpumem-shim: assertion: %s (%s:%d)\n", text, base ? base + 1 : file, line);
	if (nassertions < SHIM_MAX_ASSERTIONS)
		snprintf(assertions[nassertions++], sizeof(assertions[0]), "%s (%s:%d)", text, base ? base + 1 : file, line);
}

size_t shim_assertion_count(void) { return nassertions; }
const char *shim_assertion_text(size_t i) { return i < nassertions ? assertions[i] : ""; }
void shim_clear_assertions(void) { nassertions = 0; }

/*
 * An access outside what a window (device memory, BAR0, the user buffer) covers: reported as a real
 * AddressSanitizer error, with the driver's frames in its stack, by reading a poisoned guard byte.
 */
static char guard[64] __attribute__((aligned(64)));
/* Read through a pointer the compiler cannot follow, so that the access is instrumented. */
static char *volatile guard_ptr = guard;

static void __attribute__((noinline, noreturn)) bad_access(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gpumem-shim: invalid access: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
#ifdef SHIM_HAVE_ASAN
	__asan_poison_memory_region(guard, sizeof(guard));
	{
		volatile char *g = guard_ptr;
		char c = g[0];
		(void)c;
	}
#endif
	abort();
}

/* ================================================================ allocation */

static size_t live_allocations;

void *kmalloc(size_t size, gfp_t flags)
{
	void *p = (flags & __GFP_ZERO) ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
	if (p)
		live_allocations++;
	return p;
}
void *kzalloc(size_t size, gfp_t flags) { return kmalloc(size, flags | __GFP_ZERO); }
void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	return kzalloc(total, flags);
}
void kfree(const void *ptr)
{
	if (!ptr)
		return;
	if (live_allocations == 0)
		shim_assertion(__FILE__, __LINE__, "kfree of %p with no allocation live", ptr);
	else
		live_allocations--;
	free((void *)ptr);
}
size_t shim_live_allocations(void) { return live_allocations; }

/* ================================================================ mutexes */

void shim_mutex_init(struct mutex *m, const char *file, int line)
{
	(void)file, (void)line;
	m->magic = SHIM_MUTEX_MAGIC;
	m->locked = 0;
}
void shim_mutex_lock(struct mutex *m, const char *file, int line)
{
	if (m->magic != SHIM_MUTEX_MAGIC)
		shim_assertion(file, line, "mutex_lock of a mutex that was never initialised or was destroyed");
	if (m->locked)
		shim_assertion(file, line, "mutex_lock of a mutex already held (a deadlock)");
	m->locked = 1;
}
void shim_mutex_unlock(struct mutex *m, const char *file, int line)
{
	if (!m->locked)
		shim_assertion(file, line, "mutex_unlock of a mutex that is not held");
	m->locked = 0;
}
void shim_mutex_destroy(struct mutex *m, const char *file, int line)
{
	if (m->locked)
		shim_assertion(file, line, "mutex_destroy of a held mutex");
	m->magic = 0;
}

/* ================================================================ time */

/* INITIAL_JIFFIES: five minutes before the 32-bit wrap, as the kernel starts it. */
#define SHIM_INITIAL_JIFFIES ((unsigned long)(unsigned int)(-300 * HZ))
unsigned long volatile jiffies = SHIM_INITIAL_JIFFIES;
void msleep(unsigned int msecs) { jiffies += msecs_to_jiffies(msecs) + 1; }
void usleep_range(unsigned long min, unsigned long max) { (void)max; jiffies += min / 1000 + 1; }
void udelay(unsigned long usecs) { (void)usecs; }

/* ================================================================ faults */

struct fault_plan *shim_faults;
bool shim_plan_fault_site(const char *site)
{
	(void)site;
	return shim_faults != NULL && fault_fails(shim_faults);
}
bool (*shim_fault_site)(const char *site) = shim_plan_fault_site;

/* ================================================================ windows: device memory, BAR0, the user buffer */

enum window_kind { WIN_FREE, WIN_MEMREMAP, WIN_IOREMAP_WC, WIN_BAR0 };
struct window {
	enum window_kind kind;
	u64 base;      /* the address handed out */
	u64 phys;      /* the physical address it maps */
	u64 length;
	unsigned salt;
};
#define SHIM_MAX_WINDOWS 16
#define SHIM_WINDOW_BASE 0x4000000000000000ULL
#define SHIM_WINDOW_STRIDE (1ULL << 58)
#define SHIM_BAR0_BASE 0x3000000000000000ULL
#define SHIM_BAR0_LENGTH (16ULL << 20)
#define SHIM_USER_SPAN (1ULL << 56)
static struct window windows[SHIM_MAX_WINDOWS];

static struct window *window_at(u64 addr)
{
	for (size_t i = 0; i < SHIM_MAX_WINDOWS; i++) {
		struct window *w = &windows[i];
		if (w->kind != WIN_FREE && addr >= w->base && addr - w->base < SHIM_WINDOW_STRIDE)
			return w;
	}
	return NULL;
}

static bool in_window_space(u64 addr)
{
	return (addr >= SHIM_WINDOW_BASE && addr < SHIM_WINDOW_BASE + SHIM_MAX_WINDOWS * SHIM_WINDOW_STRIDE) ||
	       (addr >= SHIM_BAR0_BASE && addr < SHIM_BAR0_BASE + SHIM_WINDOW_STRIDE);
}

static struct window *new_window(enum window_kind kind, u64 phys, u64 length, unsigned salt)
{
	for (size_t i = 0; i < SHIM_MAX_WINDOWS; i++) {
		struct window *w = &windows[i];
		if (w->kind == WIN_FREE) {
			w->kind = kind;
			w->base = kind == WIN_BAR0 ? SHIM_BAR0_BASE : SHIM_WINDOW_BASE + i * SHIM_WINDOW_STRIDE;
			w->phys = phys;
			w->length = length;
			w->salt = salt;
			return w;
		}
	}
	shim_assertion(__FILE__, __LINE__, "more than %d kernel mappings live at once", SHIM_MAX_WINDOWS);
	return NULL;
}

size_t shim_live_windows(void)
{
	size_t n = 0;
	for (size_t i = 0; i < SHIM_MAX_WINDOWS; i++)
		n += windows[i].kind != WIN_FREE;
	return n;
}

/* The offset of [addr, addr + n) inside a device-memory window; an AddressSanitizer error when outside. */
static struct window *device_range(const void *ptr, u64 n, u64 *offset, const char *what)
{
	u64 addr = (u64)(uintptr_t)ptr;
	struct window *w = window_at(addr);
	if (!w || w->kind == WIN_BAR0)
		bad_access("%s: %#llx is not a kernel mapping of device memory", what, (unsigned long long)addr);
	*offset = addr - w->base;
	if (*offset > w->length || n > w->length - *offset)
		bad_access("%s: %llu bytes at offset %#llx of a %#llx-byte mapping of device memory at %#llx (past its end)", what,
			   (unsigned long long)n, (unsigned long long)*offset, (unsigned long long)w->length,
			   (unsigned long long)w->phys);
	return w;
}

/* ---------------------------------------------------------------- device memory contents */

struct extent {
	u64 start, end; /* physical addresses */
	unsigned seed;
};
static struct extent *extents;
static size_t nextents, extents_capacity;

/* Device memory given by the firmware properties (what memremap / ioremap_wc may map). */
static bool have_device_memory;
static u64 device_phys, device_length;

static void add_extent(u64 start, u64 end, unsigned seed)
{
	if (start == end)
		return;
	if (nextents == extents_capacity) {
		size_t cap = extents_capacity ? extents_capacity * 2 : 16;
		struct extent *grown = realloc(extents, cap * sizeof(*grown));
		if (!grown)
			abort();
		extents = grown;
		extents_capacity = cap;
	}
	extents[nextents++] = (struct extent){ start, end, seed & 0xff };
}

static u8 device_byte(const struct window *w, u64 offset)
{
	u64 phys = w->phys + offset;
	for (size_t i = nextents; i-- > 0;)
		if (phys >= extents[i].start && phys < extents[i].end)
			return (u8)((extents[i].seed + (phys - extents[i].start)) & 0xff);
	return (u8)((offset + w->salt) & 0xff);
}

bool shim_device_bytes(u64 phys, u8 *out, size_t n)
{
	for (size_t i = 0; i < SHIM_MAX_WINDOWS; i++) {
		struct window *w = &windows[i];
		if ((w->kind == WIN_MEMREMAP || w->kind == WIN_IOREMAP_WC) && phys >= w->phys && phys - w->phys <= w->length &&
		    n <= w->length - (phys - w->phys)) {
			for (size_t k = 0; k < n; k++)
				out[k] = device_byte(w, phys - w->phys + k);
			return true;
		}
	}
	return false;
}

void shim_set_device_memory(u64 memphys, u64 memlength)
{
	have_device_memory = true;
	device_phys = memphys;
	device_length = memlength;
}
void shim_clear_properties(void) { have_device_memory = false; }

static void *map_device(enum window_kind kind, u64 phys, u64 size, const char *what)
{
	u64 last;
	struct window *w;

	if (shim_fault_site(what))
		return NULL;
	if (size == 0) {
		shim_assertion(__FILE__, __LINE__, "%s of 0 bytes", what);
		return NULL;
	}
	/* Device memory may end at the top of the physical address space: compare last bytes, not ends. */
	if (!have_device_memory || device_length == 0 || phys < device_phys || __builtin_add_overflow(phys, size - 1, &last) ||
	    last - device_phys > device_length - 1)
		shim_assertion(__FILE__, __LINE__, "%s of [%#llx, +%#llx) outside device memory [%#llx, +%#llx)", what,
			       (unsigned long long)phys, (unsigned long long)size, (unsigned long long)device_phys,
			       (unsigned long long)device_length);
	w = new_window(kind, phys, size, kind == WIN_MEMREMAP ? SHIM_SALT_MEMREMAP : SHIM_SALT_IOREMAP_WC);
	return w ? (void *)(uintptr_t)w->base : NULL;
}

static void unmap_device(enum window_kind kind, const volatile void *addr, const char *what)
{
	struct window *w = window_at((u64)(uintptr_t)addr);
	if (!w || w->kind != kind || w->base != (u64)(uintptr_t)addr) {
		shim_assertion(__FILE__, __LINE__, "%s of %p, which is not an address it mapped", what, (const void *)addr);
		return;
	}
	w->kind = WIN_FREE;
}

void *memremap(resource_size_t offset, size_t size, unsigned long flags)
{
	if (flags != MEMREMAP_WB)
		shim_assertion(__FILE__, __LINE__, "memremap with flags %#lx: only MEMREMAP_WB is emulated", flags);
	return map_device(WIN_MEMREMAP, offset, size, "memremap");
}
void memunmap(void *addr) { unmap_device(WIN_MEMREMAP, addr, "memunmap"); }
void __iomem *ioremap_wc(phys_addr_t offset, size_t size) { return map_device(WIN_IOREMAP_WC, offset, size, "ioremap_wc"); }
void __iomem *ioremap(phys_addr_t offset, size_t size) { return map_device(WIN_IOREMAP_WC, offset, size, "ioremap"); }
void iounmap(volatile void __iomem *addr)
{
	struct window *w = window_at((u64)(uintptr_t)addr);
	unmap_device(w && w->kind == WIN_BAR0 ? WIN_BAR0 : WIN_IOREMAP_WC, addr, "iounmap");
}

/* BAR0 of a Grace GPU whose C2C link and HBM training report ready: every register reads 0xff. */
u32 ioread32(const void __iomem *addr)
{
	u64 a = (u64)(uintptr_t)addr;
	struct window *w = window_at(a);
	if (!w)
		bad_access("ioread32 of %#llx, which is not an I/O mapping", (unsigned long long)a);
	if (w->kind != WIN_BAR0)
		return (u32)device_byte(w, a - w->base) * 0x01010101u;
	if (a - w->base > w->length - 4 || (a & 3))
		bad_access("ioread32 at offset %#llx of BAR0 (%#llx bytes)", (unsigned long long)(a - w->base),
			   (unsigned long long)w->length);
	return 0xff;
}
void iowrite32(u32 value, void __iomem *addr)
{
	(void)value;
	(void)ioread32(addr);
}

/* ---------------------------------------------------------------- the user buffer */

u64 shim_user_length;
static struct {
	u64 length;
	unsigned seed;
	bool has_bytes;
	u8 bytes[SHIM_USER_CAPTURE];
	u8 captured[SHIM_USER_CAPTURE];
} user;

char __user *shim_user_buffer(u64 length, unsigned seed, const u8 *bytes)
{
	user.length = length;
	shim_user_length = length;
	user.seed = seed & 0xff;
	user.has_bytes = bytes != NULL;
	memset(user.bytes, 0, sizeof(user.bytes));
	memset(user.captured, 0, sizeof(user.captured));
	if (bytes)
		memcpy(user.bytes, bytes, length < SHIM_USER_CAPTURE ? length : SHIM_USER_CAPTURE);
	return (char __user *)(uintptr_t)SHIM_USER_BASE;
}
const u8 *shim_user_bytes(void) { return user.captured; }

static bool is_user(u64 addr) { return addr >= SHIM_USER_BASE && addr < SHIM_USER_BASE + SHIM_USER_SPAN; }

static u64 user_range(const void __user *ptr, u64 n, const char *what)
{
	u64 addr = (u64)(uintptr_t)ptr;
	u64 off;
	if (!is_user(addr))
		bad_access("%s: %#llx is not a user address", what, (unsigned long long)addr);
	off = addr - SHIM_USER_BASE;
	if (off > user.length || n > user.length - off)
		bad_access("%s: %llu bytes at offset %#llx of the caller's %#llx-byte buffer (past its end)", what,
			   (unsigned long long)n, (unsigned long long)off, (unsigned long long)user.length);
	return off;
}

static u8 user_byte(u64 off)
{
	if (user.has_bytes)
		return off < SHIM_USER_CAPTURE ? user.bytes[off] : 0;
	return (u8)((user.seed + off) & 0xff);
}

unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	u64 uoff = user_range(to, n, "copy_to_user");
	u64 src = (u64)(uintptr_t)from;

	if (in_window_space(src) || is_user(src)) {
		u64 doff;
		struct window *w = device_range(from, n, &doff, "copy_to_user source");
		for (u64 i = 0; uoff + i < SHIM_USER_CAPTURE && i < n; i++)
			user.captured[uoff + i] = device_byte(w, doff + i);
	} else {
		const volatile u8 *p = from;
		for (u64 i = 0; i < n; i++) {
			u8 b = p[i];
			if (uoff + i < SHIM_USER_CAPTURE)
				user.captured[uoff + i] = b;
		}
	}
	return 0;
}

unsigned long copy_from_user(void *to, const void __user *from, unsigned long n)
{
	u64 uoff = user_range(from, n, "copy_from_user");
	u64 dst = (u64)(uintptr_t)to;

	if (in_window_space(dst) || is_user(dst)) {
		u64 doff;
		struct window *w = device_range(to, n, &doff, "copy_from_user destination");
		if (user.has_bytes) {
			for (u64 i = 0; i < n; i++)
				add_extent(w->phys + doff + i, w->phys + doff + i + 1, user_byte(uoff + i));
		} else {
			add_extent(w->phys + doff, w->phys + doff + n, (unsigned)((user.seed + uoff) & 0xff));
		}
	} else {
		volatile u8 *p = to;
		for (u64 i = 0; i < n; i++)
			p[i] = user_byte(uoff + i);
	}
	return 0;
}

/* ================================================================ firmware properties, PCI */

int device_property_read_u64(const struct device *dev, const char *propname, u64 *val)
{
	(void)dev;
	if (!have_device_memory)
		return -EINVAL;
	if (strcmp(propname, "nvidia,gpu-mem-base-pa") == 0) {
		*val = device_phys;
		return 0;
	}
	if (strcmp(propname, "nvidia,gpu-mem-size") == 0) {
		*val = device_length;
		return 0;
	}
	return -EINVAL;
}
int device_property_read_u32(const struct device *dev, const char *propname, u32 *val)
{
	(void)dev, (void)propname, (void)val;
	return -EINVAL;
}

int pci_enable_device(struct pci_dev *dev)
{
	dev->enable_cnt++;
	return 0;
}
void pci_disable_device(struct pci_dev *dev)
{
	if (dev->enable_cnt <= 0)
		shim_assertion(__FILE__, __LINE__, "pci_disable_device of a device that is not enabled");
	else
		dev->enable_cnt--;
}
int pci_request_selected_regions(struct pci_dev *dev, int bars, const char *name)
{
	(void)name;
	if (dev->regions_requested & bars)
		return -EBUSY;
	dev->regions_requested |= bars;
	return 0;
}
void pci_release_selected_regions(struct pci_dev *dev, int bars)
{
	if ((dev->regions_requested & bars) != bars)
		shim_assertion(__FILE__, __LINE__, "pci_release_selected_regions of regions not requested");
	dev->regions_requested &= ~bars;
}
void __iomem *pci_iomap(struct pci_dev *dev, int bar, unsigned long maxlen)
{
	struct window *w;
	(void)maxlen;
	if (bar != 0)
		return NULL;
	if (!(dev->regions_requested & 1) || dev->enable_cnt <= 0)
		shim_assertion(__FILE__, __LINE__, "pci_iomap of BAR0 before pci_enable_device and its region request");
	w = new_window(WIN_BAR0, 0, SHIM_BAR0_LENGTH, 0);
	if (!w)
		return NULL;
	dev->iomaps++;
	return (void __iomem *)(uintptr_t)w->base;
}
void pci_iounmap(struct pci_dev *dev, void __iomem *addr)
{
	dev->iomaps--;
	unmap_device(WIN_BAR0, addr, "pci_iounmap");
}
/* Grace Hopper: no NVIDIA DVSEC advertising MIG with cached resmem (so the driver keeps the MIG workaround). */
u16 pci_find_dvsec_capability(struct pci_dev *dev, u16 vendor, u16 dvsec)
{
	(void)dev, (void)vendor, (void)dvsec;
	return 0;
}
int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val)
{
	if (where < 0 || where + 2 > dev->cfg_size)
		return -EINVAL;
	*val = (u16)(dev->config[where] | dev->config[where + 1] << 8);
	return 0;
}
int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val)
{
	u16 lo, hi;
	if (pci_read_config_word(dev, where, &lo) || pci_read_config_word(dev, where + 2, &hi))
		return -EINVAL;
	*val = lo | (u32)hi << 16;
	return 0;
}

/* ================================================================ user mappings */

struct shim_mapping shim_mappings[SHIM_MAX_MAPPINGS];
size_t shim_nmappings;

int remap_pfn_range(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn, unsigned long size, pgprot_t prot)
{
	unsigned long end;
	if (!PAGE_ALIGNED(addr) || !PAGE_ALIGNED(size) || size == 0 || __builtin_add_overflow(addr, size, &end) ||
	    addr < vma->vm_start || end > vma->vm_end) {
		shim_assertion(__FILE__, __LINE__, "remap_pfn_range of [%#lx, +%#lx) in a VMA [%#lx, %#lx)", addr, size,
			       vma->vm_start, vma->vm_end);
		return -EINVAL;
	}
	if (shim_nmappings < SHIM_MAX_MAPPINGS)
		shim_mappings[shim_nmappings++] = (struct shim_mapping){
			.vm_pgoff_at_call = vma->vm_pgoff,
			.pfn = pfn,
			.size = size,
			.memtype = pgprot_val(prot) & SHIM_PROT_MT_MASK,
			.allow_any_uncached = (vma->vm_flags & VM_ALLOW_ANY_UNCACHED) != 0,
		};
	return 0;
}

/* ================================================================ VFIO core and vfio-pci-core */

struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev, const struct vfio_device_ops *ops)
{
	struct vfio_device *device;
	int ret;

	if (size < sizeof(struct vfio_device)) {
		shim_assertion(__FILE__, __LINE__, "_vfio_alloc_device of %zu bytes", size);
		return ERR_PTR(-EINVAL);
	}
	device = kzalloc(size, GFP_KERNEL);
	if (!device)
		return ERR_PTR(-ENOMEM);
	device->dev = dev;
	device->ops = ops;
	device->refcount = 1;
	if (ops->init) {
		ret = ops->init(device);
		if (ret) {
			kfree(device);
			return ERR_PTR(ret);
		}
	}
	return device;
}

void vfio_put_device(struct vfio_device *device)
{
	if (device->refcount <= 0) {
		shim_assertion(__FILE__, __LINE__, "vfio_put_device of a device with no reference");
		return;
	}
	if (--device->refcount == 0) {
		if (device->ops->release)
			device->ops->release(device);
		kfree(device);
	}
}

int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = container_of(core_vdev, struct vfio_pci_core_device, vdev);
	vdev->pdev = to_pci_dev(core_vdev->dev);
	return 0;
}
void vfio_pci_core_release_dev(struct vfio_device *core_vdev) { (void)core_vdev; }
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	if (vdev->registered)
		shim_assertion(__FILE__, __LINE__, "vfio_pci_core_register_device twice");
	vdev->registered = true;
	return 0;
}
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	if (!vdev->registered)
		shim_assertion(__FILE__, __LINE__, "vfio_pci_core_unregister_device of a device not registered");
	vdev->registered = false;
}
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev)
{
	int ret = pci_enable_device(vdev->pdev);
	if (!ret)
		vdev->enabled = true;
	return ret;
}
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev)
{
	if (!vdev->enabled)
		shim_assertion(__FILE__, __LINE__, "vfio_pci_core_disable of a device not enabled");
	vdev->enabled = false;
	pci_disable_device(vdev->pdev);
}
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev) { (void)vdev; }
void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	vfio_pci_core_disable(container_of(core_vdev, struct vfio_pci_core_device, vdev));
}
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd, unsigned long arg)
{
	(void)core_vdev, (void)arg;
	return cmd == VFIO_DEVICE_RESET ? 0 : -ENOTTY;
}
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags, void __user *arg, size_t argsz)
{
	(void)device, (void)flags, (void)arg, (void)argsz;
	return -ENOTTY;
}
int vfio_pci_ioctl_get_region_info(struct vfio_device *core_vdev, struct vfio_region_info *info, struct vfio_info_cap *caps)
{
	(void)core_vdev, (void)info, (void)caps;
	return -EINVAL;
}
int vfio_info_add_capability(struct vfio_info_cap *caps, struct vfio_info_cap_header *cap, size_t size)
{
	void *grown = realloc(caps->buf, caps->size + size);
	if (!grown)
		return -ENOMEM;
	memcpy((char *)grown + caps->size, cap, size);
	caps->buf = grown;
	caps->size += size;
	return 0;
}
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset) { (void)caps, (void)offset; }

/*
 * vfio-pci-core's read, write and mmap. A zero count returns 0 at once; an index past the last region is -EINVAL;
 * config space is a plain 4 KiB byte store (accesses past cfg_size are -EFAULT). What the other regions (BAR0,
 * BAR3, BAR5, the ROM, VGA) do depends on the physical device, which is not emulated: the access is recorded as
 * handed to vfio-pci-core (shim_core_region), as the specification's result names it.
 */
int shim_core_region = -1;

static ssize_t core_rw(struct vfio_device *core_vdev, char __user *buf, size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_pci_core_device *vdev = container_of(core_vdev, struct vfio_pci_core_device, vdev);
	u64 index = VFIO_PCI_OFFSET_TO_INDEX((u64)*ppos);
	u64 pos = (u64)*ppos & VFIO_PCI_OFFSET_MASK;

	if (count == 0) {
		if (index != VFIO_PCI_CONFIG_REGION_INDEX)
			shim_core_region = (int)min_t(u64, index, 0x7fffffff);
		return 0;
	}
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	if (index != VFIO_PCI_CONFIG_REGION_INDEX) {
		shim_core_region = (int)index;
		return (ssize_t)count;
	}
	if (pos >= (u64)vdev->pdev->cfg_size || count > (u64)vdev->pdev->cfg_size - pos)
		return -EFAULT;
	if (iswrite ? copy_from_user(vdev->pdev->config + pos, buf, count) : copy_to_user(buf, vdev->pdev->config + pos, count))
		return -EFAULT;
	*ppos += count;
	return count;
}
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf, size_t count, loff_t *ppos)
{
	return core_rw(core_vdev, buf, count, ppos, false);
}
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev, const char __user *buf, size_t count, loff_t *ppos)
{
	return core_rw(core_vdev, (char __user *)buf, count, ppos, true);
}
int vfio_pci_core_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	unsigned int index = vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	(void)core_vdev;
	if (index >= VFIO_PCI_ROM_REGION_INDEX)
		return -EINVAL;
	shim_core_region = (int)index;
	return 0;
}
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count) { (void)core_vdev, (void)count; }
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf) { (void)core_vdev, (void)buf; return 0; }
int vfio_pci_core_match_token_uuid(struct vfio_device *core_vdev, const uuid_t *uuid) { (void)core_vdev, (void)uuid; return 0; }
int vfio_iommufd_physical_bind(struct vfio_device *vdev, struct iommufd_ctx *ictx, u32 *out_device_id)
{
	(void)vdev, (void)ictx, (void)out_device_id;
	return 0;
}
void vfio_iommufd_physical_unbind(struct vfio_device *vdev) { (void)vdev; }
int vfio_iommufd_physical_attach_ioas(struct vfio_device *vdev, u32 *pt_id) { (void)vdev, (void)pt_id; return 0; }
void vfio_iommufd_physical_detach_ioas(struct vfio_device *vdev) { (void)vdev; }
const struct pci_error_handlers vfio_pci_core_err_handlers;

/*
 * vfio_pci_core_do_io_rw as vfio-pci-core defines it: moves `count` bytes between io + off and the user buffer
 * and returns how many it moved (all of them), or -EFAULT when the user copy fails.
 */
ssize_t vfio_pci_core_do_io_rw(struct vfio_pci_core_device *vdev, bool test_mem, void __iomem *io, char __user *buf,
			       loff_t off, size_t count, size_t x_start, size_t x_end, bool iswrite)
{
	char __iomem *at = (char __iomem *)io + off;
	(void)vdev, (void)test_mem;
	if (x_start != 0 || x_end != 0)
		shim_assertion(__FILE__, __LINE__, "vfio_pci_core_do_io_rw with an excluded range: not emulated");
	if (count == 0)
		return 0;
	if (iswrite ? copy_from_user(at, buf, count) : copy_to_user(buf, at, count))
		return -EFAULT;
	return (ssize_t)count;
}

bool vfio_pci_core_range_intersect_range(loff_t buf_start, size_t buf_cnt, loff_t reg_start, size_t reg_cnt,
					 loff_t *buf_offset, size_t *intersect_count, size_t *register_offset)
{
	if (buf_start <= reg_start && buf_start + (loff_t)buf_cnt > reg_start) {
		*buf_offset = reg_start - buf_start;
		*intersect_count = min_t(size_t, reg_cnt, buf_start + buf_cnt - reg_start);
		*register_offset = 0;
		return true;
	}
	if (buf_start > reg_start && buf_start < reg_start + (loff_t)reg_cnt) {
		*buf_offset = 0;
		*intersect_count = min_t(size_t, buf_cnt, reg_start + reg_cnt - buf_start);
		*register_offset = buf_start - reg_start;
		return true;
	}
	return false;
}

/* ================================================================ end of a run */

void shim_reset(void)
{
	for (size_t i = 0; i < SHIM_MAX_WINDOWS; i++) {
		struct window *w = &windows[i];
		if (w->kind != WIN_FREE)
			shim_assertion(__FILE__, __LINE__, "a kernel mapping of [%#llx, +%#llx) was never unmapped",
				       (unsigned long long)w->phys, (unsigned long long)w->length);
		w->kind = WIN_FREE;
	}
	if (live_allocations)
		shim_assertion(__FILE__, __LINE__, "%zu allocation(s) never freed", live_allocations);
	live_allocations = 0;
	nextents = 0;
	shim_nmappings = 0;
	have_device_memory = false;
	shim_faults = NULL;
	jiffies = SHIM_INITIAL_JIFFIES;
}
