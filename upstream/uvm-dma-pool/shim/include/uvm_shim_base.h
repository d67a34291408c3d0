/*
 * gpumem-spec's userspace stand-ins for the kernel and UVM services that the upstream CC DMA staging-buffer
 * pool (uvm_conf_computing.c) and tracker (uvm_tracker.c) call. The upstream files are compiled unmodified
 * against these; every header of the driver they include resolves to a file of this folder, each of which
 * includes this one. Services that can fail ask the conformance fault plan (shim.c), in the order the
 * specification (model/dma-pool, model/uvm-mem) lists its fallible steps.
 */
#ifndef GPUMEM_UVM_SHIM_BASE_H
#define GPUMEM_UVM_SHIM_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t NvU8;
typedef uint16_t NvU16;
typedef uint32_t NvU32;
typedef uint64_t NvU64;
typedef int32_t NvS32;
typedef int64_t NvS64;
typedef uint8_t NvBool;
typedef uintptr_t NvUPtr;
#define NV_TRUE 1
#define NV_FALSE 0

typedef enum {
	NV_OK = 0,
	NV_ERR_NO_MEMORY,
	NV_ERR_RC_ERROR,
	NV_ERR_INVALID_ARGUMENT,
	NV_ERR_INVALID_STATE,
	NV_ERR_TIMEOUT_RETRY,
	NV_WARN_MORE_PROCESSING_REQUIRED,
} NV_STATUS;
const char *nvstatusToString(NV_STATUS status);

/* uvm_forward_decl.h: the driver's opaque types, with the driver's struct tags. */
typedef struct uvm_gpu_struct uvm_gpu_t;
typedef struct uvm_parent_gpu_struct uvm_parent_gpu_t;
typedef struct uvm_channel_struct uvm_channel_t;
typedef struct uvm_channel_pool_struct uvm_channel_pool_t;
typedef struct uvm_push_struct uvm_push_t;
typedef struct uvm_mem_struct uvm_mem_t;
typedef struct uvm_va_space_struct uvm_va_space_t;
struct mm_struct;

/* nv_uvm_types.h: what the pool's structures name. */
#define UVM_CSL_CRYPT_AUTH_TAG_SIZE_BYTES 16
#define UVM_CSL_IV_SIZE 12
typedef struct {
	NvU8 iv[UVM_CSL_IV_SIZE];
	NvU8 fresh;
} UvmCslIv;

/* Sizes (uvm_va_block_types.h, uvm_mmu.h, linux). */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define UVM_PAGE_SIZE_4K (4ULL * 1024)
#define UVM_PAGE_SIZE_64K (64ULL * 1024)
#define UVM_PAGE_SIZE_2M (2ULL * 1024 * 1024)
#define UVM_PAGE_SIZE_DEFAULT 0ULL
#define UVM_VA_BLOCK_SIZE UVM_PAGE_SIZE_2M
#define PAGES_PER_UVM_VA_BLOCK (UVM_VA_BLOCK_SIZE / PAGE_SIZE)
typedef struct {
	unsigned long bitmap[PAGES_PER_UVM_VA_BLOCK / (8 * sizeof(unsigned long))];
} uvm_page_mask_t;
static inline void uvm_page_mask_zero(uvm_page_mask_t *mask)
{
	memset(mask, 0, sizeof(*mask));
}
typedef struct {
	NvU64 address;
	bool is_virtual;
	int aperture;
} uvm_gpu_address_t;

/* Kernel helpers. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(cond) _Static_assert(!(cond), #cond)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min(a, b) ((a) < (b) ? (a) : (b))
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	unsigned long p = 1;
	while (p < n)
		p <<= 1;
	return p;
}
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define module_param(name, type, perm)
#define S_IRUGO 0444
typedef unsigned long ulong;
#define __user

/*
 * Assertions: a failed UVM_ASSERT / WARN_ON is reported on the protocol's assertion channel (shim.c) with the
 * expression, file, line and function, and execution goes on as in a release kernel.
 */
void uvm_shim_assert_failed(const char *kind, const char *expr, const char *file, int line, const char *func);
#define UVM_ASSERT(expr) \
	((expr) ? (void)0 : uvm_shim_assert_failed("UVM_ASSERT", #expr, __FILE__, __LINE__, __func__))
#define UVM_ASSERT_MSG(expr, ...) UVM_ASSERT(expr)
#define UVM_ASSERT_RELEASE(expr) UVM_ASSERT(expr)
#define WARN_ON(expr) \
	({ bool __c = !!(expr); if (__c) uvm_shim_assert_failed("WARN_ON", #expr, __FILE__, __LINE__, __func__); __c; })
#define WARN_ON_ONCE(expr) WARN_ON(expr)
#define UVM_DBG_PRINT(...) ((void)0)
#define UVM_DBG_PRINT_RL(...) ((void)0)
#define UVM_ERR_PRINT(...) ((void)0)
#define UVM_INFO_PRINT(...) ((void)0)

/* uvm_kvmalloc.h: every allocation is a fallible step of the fault plan. */
void *uvm_kvmalloc(size_t size);
void *uvm_kvmalloc_zero(size_t size);
void *uvm_kvrealloc(void *p, size_t new_size);
void uvm_kvfree(void *p);

/* linux/list.h with the kernel's poisoning: a deleted entry points at LIST_POISON1/2, so a use after list_del faults. */
struct list_head {
	struct list_head *next, *prev;
};
#define LIST_POISON1 ((struct list_head *)0x100)
#define LIST_POISON2 ((struct list_head *)0x122)
#define LIST_HEAD_INIT(name) { &(name), &(name) }
static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}
bool uvm_shim_list_valid(const struct list_head *entry, const char *func);
static inline void __list_add(struct list_head *entry, struct list_head *prev, struct list_head *next)
{
	if (!uvm_shim_list_valid(prev, "list_add") || !uvm_shim_list_valid(next, "list_add"))
		return;
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	prev->next = entry;
}
static inline void list_add(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head, head->next);
}
static inline void list_add_tail(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head->prev, head);
}
static inline void __list_del_entry(struct list_head *entry)
{
	if (!uvm_shim_list_valid(entry, "list_del"))
		return;
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
}
static inline void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = LIST_POISON1;
	entry->prev = LIST_POISON2;
}
static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}
static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry(pos, head, member) \
	for (pos = list_first_entry(head, __typeof__(*pos), member); &pos->member != (head); pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)                                                       \
	for (pos = list_first_entry(head, __typeof__(*pos), member), n = list_next_entry(pos, member);      \
	     &pos->member != (head); pos = n, n = list_next_entry(n, member))

/* uvm_lock.h: a mutex that records whether it is held (the pool asserts it) and parks a thread (shim.c). */
typedef enum {
	UVM_LOCK_ORDER_INVALID = 0,
	UVM_LOCK_ORDER_CONF_COMPUTING_DMA_BUFFER_POOL,
} uvm_lock_order_t;
typedef struct {
	bool locked;
	uvm_lock_order_t order;
	unsigned long acquisitions;
} uvm_mutex_t;
void uvm_mutex_init(uvm_mutex_t *mutex, uvm_lock_order_t order);
void uvm_mutex_lock(uvm_mutex_t *mutex);
void uvm_mutex_unlock(uvm_mutex_t *mutex);
#define uvm_assert_mutex_locked(mutex) UVM_ASSERT((mutex)->locked)
#define uvm_assert_mutex_unlocked(mutex) UVM_ASSERT(!(mutex)->locked)

/* uvm_common.h: spin loops never time out here (a wait either completes or fails on the global error). */
typedef struct {
	NvU64 spins;
} uvm_spin_loop_t;
static inline void uvm_spin_loop_init(uvm_spin_loop_t *spin)
{
	spin->spins = 0;
}
#define UVM_SPIN_LOOP(spin) ((spin)->spins++, NV_OK)

/* uvm_global.h */
typedef struct {
	bool conf_computing_enabled;
	bool sev_enabled;
} uvm_global_t;
extern uvm_global_t g_uvm_global;
/* The global fatal error: set by a failed wait (a fault of the plan), sticky until the protocol operation ends. */
NV_STATUS uvm_global_get_status(void);

#endif
