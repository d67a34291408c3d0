/*
 * gpumem-spec kernel shim for the nvgrace-gpu upstream target: the kernel services that
 * drivers/vfio/pci/nvgrace-gpu/main.c uses, written for userspace by this project. Every linux/<name>.h the driver
 * includes resolves to this one header (include/linux/<name>.h includes it), so the driver file is compiled
 * exactly as it is in the tree. The services behave as described in upstream/nvgrace-gpu/README.md:
 * - device memory is never real memory: memremap / ioremap_wc return windows (addresses that are never
 *   dereferenced) onto an emulated device memory; copy_to_user / copy_from_user / put_user /
 *   vfio_pci_core_do_io_rw move bytes between such windows, the caller's user buffer (also a window) and real
 *   kernel memory, and report any access outside a window as an AddressSanitizer error;
 * - memremap and ioremap_wc are the fault sites, asked in the order the driver reaches them;
 * - a broken rule of a kernel service (a mutex unlocked twice, an unmap of something never mapped, WARN_ON)
 *   is an assertion, reported on the conformance protocol's channel.
 */
#ifndef GPUMEM_KERNEL_SHIM_H
#define GPUMEM_KERNEL_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---------------------------------------------------------------- types and annotations */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;
typedef u64 phys_addr_t;
typedef u64 resource_size_t;
typedef unsigned int gfp_t;
typedef unsigned long vm_flags_t;
typedef struct { unsigned char b[16]; } uuid_t;

#define __user
#define __iomem
#define __force
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define __maybe_unused __attribute__((__unused__))
#define fallthrough __attribute__((__fallthrough__))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define KERN_ERR ""

/* ---------------------------------------------------------------- arithmetic helpers (linux/overflow.h, math.h) */
#define BIT(n) (1UL << (n))
#define SZ_4K 0x00001000UL
#define SZ_1M 0x00100000UL
#define SZ_256M 0x10000000UL
#define SZ_512M 0x20000000UL
#define SZ_1G 0x40000000UL
#define SZ_2G 0x80000000UL

#define is_signed_type(type) (((type)(-1)) < (type)1)
#define __type_half_max(type) ((type)1 << (8 * sizeof(type) - 1 - is_signed_type(type)))
#define type_max(T) ((T)((__type_half_max(T) - 1) + __type_half_max(T)))
#define type_min(T) ((T)((T)-type_max(T) - (T)1))
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d) __builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)
#define min(x, y) ({ __typeof__(x) _min1 = (x); __typeof__(y) _min2 = (y); (void)(&_min1 == &_min2); _min1 < _min2 ? _min1 : _min2; })
#define max(x, y) ({ __typeof__(x) _max1 = (x); __typeof__(y) _max2 = (y); (void)(&_max1 == &_max2); _max1 > _max2 ? _max1 : _max2; })
#define min_t(type, x, y) ({ type _mt1 = (x); type _mt2 = (y); _mt1 < _mt2 ? _mt1 : _mt2; })
#define max_t(type, x, y) ({ type _mt1 = (x); type _mt2 = (y); _mt1 > _mt2 ? _mt1 : _mt2; })
#define round_down(x, y) ((x) & ~((__typeof__(x))((y)-1)))
#define round_up(x, y) ((((x)-1) | ((__typeof__(x))((y)-1))) + 1)
#define ALIGN(x, a) (((x) + ((__typeof__(x))(a)-1)) & ~((__typeof__(x))(a)-1))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define offsetofend(TYPE, MEMBER) (offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#define struct_size(p, member, count) (sizeof(*(p)) + (size_t)(count) * sizeof((p)->member[0]))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int : (-!!(e)); })))
#define BUILD_BUG_ON(e) ((void)BUILD_BUG_ON_ZERO(e))
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* linux/bitops.h, linux/log2.h: as the kernel defines them for a 64-bit unsigned long (fls_long of 0 is 0, so
 * roundup_pow_of_two(0) and of anything above 2^63 shift by 64, which C leaves undefined: UBSan reports it). */
static inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static inline unsigned int fls_long(unsigned long l) { return (unsigned int)fls64(l); }
static inline unsigned long __roundup_pow_of_two(unsigned long n) { return 1UL << fls_long(n - 1); }
static inline unsigned long __rounddown_pow_of_two(unsigned long n) { return 1UL << (fls_long(n) - 1); }
#define roundup_pow_of_two(n) __roundup_pow_of_two(n)
#define rounddown_pow_of_two(n) __rounddown_pow_of_two(n)
static inline bool is_power_of_2(unsigned long n) { return n != 0 && ((n & (n - 1)) == 0); }

/* Little-endian host (x86-64, arm64): byte order helpers are the identity. */
#define le64_to_cpu(x) ((u64)(x))
#define cpu_to_le64(x) ((__le64)(x))
#define le32_to_cpu(x) ((u32)(x))
#define cpu_to_le32(x) ((__le32)(x))
#define le16_to_cpu(x) ((u16)(x))
#define cpu_to_le16(x) ((__le16)(x))

/* ---------------------------------------------------------------- errors (linux/err.h) */
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

/* ---------------------------------------------------------------- assertions: reported on the protocol channel */
void shim_assertion(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define WARN_ON(cond) ({ int _w = !!(cond); if (unlikely(_w)) shim_assertion(__FILE__, __LINE__, "WARN_ON(%s)", #cond); unlikely(_w); })
#define WARN_ON_ONCE(cond) WARN_ON(cond)
#define WARN(cond, ...) ({ int _w = !!(cond); if (unlikely(_w)) shim_assertion(__FILE__, __LINE__, __VA_ARGS__); unlikely(_w); })
#define WARN_ONCE(cond, ...) WARN(cond, __VA_ARGS__)
#define BUG_ON(cond) do { if (unlikely(cond)) shim_assertion(__FILE__, __LINE__, "BUG_ON(%s)", #cond); } while (0)
#define BUG() shim_assertion(__FILE__, __LINE__, "BUG()")
#define lockdep_assert_held(m) WARN_ON(!mutex_is_locked(m))
#define might_sleep() do { } while (0)
#define pr_err(...) ((void)0)
#define pr_warn(...) ((void)0)
#define pr_info(...) ((void)0)
#define pr_debug(...) ((void)0)
#define dev_err(dev, ...) ((void)(dev))
#define dev_warn(dev, ...) ((void)(dev))
#define dev_info(dev, ...) ((void)(dev))
#define dev_dbg(dev, ...) ((void)(dev))

/* ---------------------------------------------------------------- memory allocation (linux/slab.h) */
#define GFP_KERNEL 0x1u
#define GFP_KERNEL_ACCOUNT 0x3u
#define __GFP_ZERO 0x100u
void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void *kcalloc(size_t n, size_t size, gfp_t flags);
void kfree(const void *ptr);
#define kvzalloc(s, f) kzalloc(s, f)
#define kvfree(p) kfree(p)

/* ---------------------------------------------------------------- locking (linux/mutex.h) */
struct mutex {
	unsigned magic;  /* SHIM_MUTEX_MAGIC once mutex_init ran, 0 after mutex_destroy */
	int locked;
};
#define SHIM_MUTEX_MAGIC 0x6d757478u
#define mutex_init(m) shim_mutex_init(m, __FILE__, __LINE__)
#define mutex_lock(m) shim_mutex_lock(m, __FILE__, __LINE__)
#define mutex_unlock(m) shim_mutex_unlock(m, __FILE__, __LINE__)
#define mutex_destroy(m) shim_mutex_destroy(m, __FILE__, __LINE__)
void shim_mutex_init(struct mutex *m, const char *file, int line);
void shim_mutex_lock(struct mutex *m, const char *file, int line);
void shim_mutex_unlock(struct mutex *m, const char *file, int line);
void shim_mutex_destroy(struct mutex *m, const char *file, int line);
static inline bool mutex_is_locked(struct mutex *m) { return m->locked != 0; }

/* ---------------------------------------------------------------- time (linux/jiffies.h, linux/delay.h) */
#define HZ 1000
extern unsigned long volatile jiffies;
static inline unsigned long msecs_to_jiffies(unsigned int m) { return m; }
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
void msleep(unsigned int msecs);
void usleep_range(unsigned long min, unsigned long max);
void udelay(unsigned long usecs);

/* ---------------------------------------------------------------- pages and user mappings (linux/mm.h) */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) ALIGN(x, PAGE_SIZE)
#define PAGE_ALIGNED(x) (((unsigned long)(x) & (PAGE_SIZE - 1)) == 0)
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)

/* The memory type of a page protection, as arm64 encodes it in MAIR attribute indices (here the low bits). */
typedef struct { unsigned long pgprot; } pgprot_t;
#define __pgprot(x) ((pgprot_t){ (x) })
#define pgprot_val(x) ((x).pgprot)
#define SHIM_PROT_MT_MASK 0x7UL
#define SHIM_PROT_MT_NORMAL 0x0UL
#define SHIM_PROT_MT_NORMAL_NC 0x1UL
#define SHIM_PROT_MT_DEVICE_nGnRE 0x2UL
#define SHIM_PROT_MT_DEVICE_nGnRnE 0x3UL
#define pgprot_writecombine(p) __pgprot((pgprot_val(p) & ~SHIM_PROT_MT_MASK) | SHIM_PROT_MT_NORMAL_NC)
#define pgprot_noncached(p) __pgprot((pgprot_val(p) & ~SHIM_PROT_MT_MASK) | SHIM_PROT_MT_DEVICE_nGnRnE)
#define pgprot_device(p) __pgprot((pgprot_val(p) & ~SHIM_PROT_MT_MASK) | SHIM_PROT_MT_DEVICE_nGnRE)

#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_SHARED 0x00000008UL
#define VM_IO 0x00004000UL
#define VM_PFNMAP 0x00000400UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_DONTDUMP 0x04000000UL
#define VM_ALLOW_ANY_UNCACHED 0x100000000000000UL

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_pgoff;
	pgprot_t vm_page_prot;
	vm_flags_t vm_flags;
	void *vm_private_data;
};
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags) { vma->vm_flags |= flags; }
static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags) { vma->vm_flags &= ~flags; }
int remap_pfn_range(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn, unsigned long size, pgprot_t prot);
/* What remap_pfn_range recorded: the protocol reports it and the shim tests read it. */
struct shim_mapping {
	unsigned long vm_pgoff_at_call; /* the file page offset the VMA was created with */
	unsigned long pfn, size;
	unsigned long memtype;
	bool allow_any_uncached;
};
#define SHIM_MAX_MAPPINGS 256
extern struct shim_mapping shim_mappings[SHIM_MAX_MAPPINGS];
extern size_t shim_nmappings;

/* ---------------------------------------------------------------- kernel mappings of device memory (linux/io.h) */
#define MEMREMAP_WB 1UL
#define MEMREMAP_WT 2UL
#define MEMREMAP_WC 4UL
void *memremap(resource_size_t offset, size_t size, unsigned long flags);
void memunmap(void *addr);
void __iomem *ioremap_wc(phys_addr_t offset, size_t size);
void __iomem *ioremap(phys_addr_t offset, size_t size);
void iounmap(volatile void __iomem *addr);
u32 ioread32(const void __iomem *addr);
void iowrite32(u32 value, void __iomem *addr);

/* ---------------------------------------------------------------- user memory (linux/uaccess.h) */
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long copy_from_user(void *to, const void __user *from, unsigned long n);
/*
 * put_user: the driver fills a read's padding one byte at a time (up to MAX_RW_COUNT of them), so the common
 * case, a store into the caller's buffer past the bytes the shim keeps, is checked inline; anything else goes
 * through copy_to_user.
 */
#define SHIM_USER_BASE 0x2000000000000000ULL
#define SHIM_USER_CAPTURE 64
extern u64 shim_user_length;
static __always_inline int shim_put_user(const void __user *ptr, const void *val, unsigned long n)
{
	u64 off = (u64)(uintptr_t)ptr - SHIM_USER_BASE;
	if (likely(off >= SHIM_USER_CAPTURE && off < shim_user_length && n <= shim_user_length - off))
		return 0;
	return copy_to_user((void __user *)ptr, val, n) ? -EFAULT : 0;
}
#define put_user(x, ptr) ({ __typeof__(*(ptr)) _pu = (x); shim_put_user((ptr), &_pu, sizeof(_pu)); })
#define get_user(x, ptr) ({ __typeof__(*(ptr)) _gu; int _gr = copy_from_user(&_gu, (ptr), sizeof(_gu)) ? -EFAULT : 0; (x) = _gu; _gr; })

/* ---------------------------------------------------------------- devices and firmware properties */
struct device {
	void *driver_data;
	const char *init_name;
};
static inline void dev_set_drvdata(struct device *dev, void *data) { dev->driver_data = data; }
static inline void *dev_get_drvdata(const struct device *dev) { return dev->driver_data; }
int device_property_read_u64(const struct device *dev, const char *propname, u64 *val);
int device_property_read_u32(const struct device *dev, const char *propname, u32 *val);

/* ---------------------------------------------------------------- PCI (linux/pci.h) */
#define PCI_VENDOR_ID_NVIDIA 0x10de
#define PCI_ANY_ID (~0u)
#define PCI_ID_F_VFIO_DRIVER_OVERRIDE 1
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_1 0x14
#define PCI_BASE_ADDRESS_2 0x18
#define PCI_BASE_ADDRESS_3 0x1c
#define PCI_BASE_ADDRESS_4 0x20
#define PCI_BASE_ADDRESS_5 0x24
#define PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_BASE_ADDRESS_MEM_TYPE_32 0x00
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_CFG_SPACE_SIZE 256
#define PCI_CFG_SPACE_EXP_SIZE 4096

struct pci_device_id {
	u32 vendor, device;
	u32 subvendor, subdevice;
	u32 class, class_mask;
	unsigned long driver_data;
	u32 override_only;
};
#define PCI_DRIVER_OVERRIDE_DEVICE_VFIO(vend, dev) \
	.vendor = (vend), .device = (dev), .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID, \
	.override_only = PCI_ID_F_VFIO_DRIVER_OVERRIDE
#define PCI_DEVICE(vend, dev) .vendor = (vend), .device = (dev), .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID

struct pci_dev {
	struct device dev;
	unsigned short vendor, device;
	int cfg_size;
	u8 config[PCI_CFG_SPACE_EXP_SIZE]; /* the function's own config space, as the shim's vfio-pci-core shows it */
	int enable_cnt;
	int regions_requested;
	int iomaps;
};
#define to_pci_dev(d) container_of(d, struct pci_dev, dev)
struct pci_error_handlers { int unused; };
struct pci_driver {
	const char *name;
	const struct pci_device_id *id_table;
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *dev);
	const struct pci_error_handlers *err_handler;
	bool driver_managed_dma;
};
int pci_enable_device(struct pci_dev *dev);
void pci_disable_device(struct pci_dev *dev);
int pci_request_selected_regions(struct pci_dev *dev, int bars, const char *name);
void pci_release_selected_regions(struct pci_dev *dev, int bars);
void __iomem *pci_iomap(struct pci_dev *dev, int bar, unsigned long maxlen);
void pci_iounmap(struct pci_dev *dev, void __iomem *addr);
u16 pci_find_dvsec_capability(struct pci_dev *dev, u16 vendor, u16 dvsec);
int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val);
int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val);

/* module_pci_driver gives the project's protocol program the driver: the one entry point it starts from. */
#define module_pci_driver(drv) \
	struct pci_driver *shim_module_pci_driver(void); \
	struct pci_driver *shim_module_pci_driver(void) { return &(drv); }
#define MODULE_DEVICE_TABLE(type, name) extern int shim_module_device_table_unused
#define MODULE_LICENSE(x) extern int shim_module_license_unused
#define MODULE_AUTHOR(x) extern int shim_module_author_unused
#define MODULE_DESCRIPTION(x) extern int shim_module_description_unused
#define MODULE_IMPORT_NS(x) extern int shim_module_import_ns_unused
#define module_init(fn) extern int shim_module_init_unused
#define module_exit(fn) extern int shim_module_exit_unused
#define EXPORT_SYMBOL_GPL(x) extern int shim_export_unused

/* ---------------------------------------------------------------- VFIO uapi (linux/vfio.h) */
#define VFIO_TYPE (';')
#define VFIO_BASE 100
#define _IO(type, nr) (((type) << 8) | (nr))
#define VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)
#define VFIO_DEVICE_GET_REGION_INFO _IO(VFIO_TYPE, VFIO_BASE + 8)
#define VFIO_DEVICE_RESET _IO(VFIO_TYPE, VFIO_BASE + 11)
#define VFIO_DEVICE_IOEVENTFD _IO(VFIO_TYPE, VFIO_BASE + 16)

enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS = 9
};

struct vfio_info_cap_header {
	u16 id;
	u16 version;
	u32 next;
};
struct vfio_region_info {
	u32 argsz;
	u32 flags;
#define VFIO_REGION_INFO_FLAG_READ (1 << 0)
#define VFIO_REGION_INFO_FLAG_WRITE (1 << 1)
#define VFIO_REGION_INFO_FLAG_MMAP (1 << 2)
#define VFIO_REGION_INFO_FLAG_CAPS (1 << 3)
	u32 index;
	u32 cap_offset;
	u64 size;
	u64 offset;
};
#define VFIO_REGION_INFO_CAP_SPARSE_MMAP 1
struct vfio_region_sparse_mmap_area {
	u64 offset;
	u64 size;
};
struct vfio_region_info_cap_sparse_mmap {
	struct vfio_info_cap_header header;
	u32 nr_areas;
	u32 reserved;
	struct vfio_region_sparse_mmap_area areas[];
};
struct vfio_info_cap {
	struct vfio_info_cap_header *buf;
	size_t size;
};
int vfio_info_add_capability(struct vfio_info_cap *caps, struct vfio_info_cap_header *cap, size_t size);
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset);

/* ---------------------------------------------------------------- VFIO core and vfio-pci-core (linux/vfio_pci_core.h) */
#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_OFFSET_TO_INDEX(off) ((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_INDEX_TO_OFFSET(index) ((u64)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK (((u64)(1) << VFIO_PCI_OFFSET_SHIFT) - 1)

struct iommufd_ctx;
struct vfio_device;
struct vfio_device_ops {
	char *name;
	int (*init)(struct vfio_device *vdev);
	void (*release)(struct vfio_device *vdev);
	int (*bind_iommufd)(struct vfio_device *vdev, struct iommufd_ctx *ictx, u32 *out_device_id);
	void (*unbind_iommufd)(struct vfio_device *vdev);
	int (*attach_ioas)(struct vfio_device *vdev, u32 *pt_id);
	void (*detach_ioas)(struct vfio_device *vdev);
	int (*open_device)(struct vfio_device *vdev);
	void (*close_device)(struct vfio_device *vdev);
	ssize_t (*read)(struct vfio_device *vdev, char __user *buf, size_t count, loff_t *ppos);
	ssize_t (*write)(struct vfio_device *vdev, const char __user *buf, size_t count, loff_t *size);
	long (*ioctl)(struct vfio_device *vdev, unsigned int cmd, unsigned long arg);
	int (*get_region_info_caps)(struct vfio_device *vdev, struct vfio_region_info *info, struct vfio_info_cap *caps);
	int (*mmap)(struct vfio_device *vdev, struct vm_area_struct *vma);
	void (*request)(struct vfio_device *vdev, unsigned int count);
	int (*match)(struct vfio_device *vdev, char *buf);
	int (*match_token_uuid)(struct vfio_device *vdev, const uuid_t *uuid);
	void (*dma_unmap)(struct vfio_device *vdev, u64 iova, u64 length);
	int (*device_feature)(struct vfio_device *device, u32 flags, void __user *arg, size_t argsz);
};
struct vfio_device {
	struct device *dev;
	const struct vfio_device_ops *ops;
	int refcount;
	unsigned open_count;
};
struct vfio_pci_core_device {
	struct vfio_device vdev;
	struct pci_dev *pdev;
	bool registered;
	bool enabled;
};

struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev, const struct vfio_device_ops *ops);
#define vfio_alloc_device(dev_struct, member, dev, ops) \
	container_of(_vfio_alloc_device(sizeof(struct dev_struct) + BUILD_BUG_ON_ZERO(offsetof(struct dev_struct, member)), \
					dev, ops), \
		     struct dev_struct, member)
void vfio_put_device(struct vfio_device *device);

int vfio_pci_core_init_dev(struct vfio_device *core_vdev);
void vfio_pci_core_release_dev(struct vfio_device *core_vdev);
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev);
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_close_device(struct vfio_device *core_vdev);
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd, unsigned long arg);
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags, void __user *arg, size_t argsz);
int vfio_pci_ioctl_get_region_info(struct vfio_device *core_vdev, struct vfio_region_info *info, struct vfio_info_cap *caps);
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf, size_t count, loff_t *ppos);
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev, const char __user *buf, size_t count, loff_t *ppos);
int vfio_pci_core_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma);
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count);
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf);
int vfio_pci_core_match_token_uuid(struct vfio_device *core_vdev, const uuid_t *uuid);
int vfio_iommufd_physical_bind(struct vfio_device *vdev, struct iommufd_ctx *ictx, u32 *out_device_id);
void vfio_iommufd_physical_unbind(struct vfio_device *vdev);
int vfio_iommufd_physical_attach_ioas(struct vfio_device *vdev, u32 *pt_id);
void vfio_iommufd_physical_detach_ioas(struct vfio_device *vdev);
extern const struct pci_error_handlers vfio_pci_core_err_handlers;
ssize_t vfio_pci_core_do_io_rw(struct vfio_pci_core_device *vdev, bool test_mem, void __iomem *io, char __user *buf,
			       loff_t off, size_t count, size_t x_start, size_t x_end, bool iswrite);
bool vfio_pci_core_range_intersect_range(loff_t buf_start, size_t buf_cnt, loff_t reg_start, size_t reg_cnt,
					 loff_t *buf_offset, size_t *intersect_count, size_t *register_offset);

#endif
