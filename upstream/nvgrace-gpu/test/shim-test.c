/*
 * Unit tests of the nvgrace-gpu kernel shim (shim/kernel.c), with no upstream tree: the fault sites fire in the
 * order they are reached and fail exactly the steps the plan names; the assertion channel records what a kernel
 * service's rule forbids (and WARN_ON from driver code); emulated device memory reads its initial pattern and
 * keeps writes; the user buffer keeps what is stored into it. Prints one line per check, "ok" or "FAIL";
 * exits 1 if any failed.
 *   shim-test                 the checks
 *   shim-test user-overflow   put_user one byte past the caller's buffer (must end in an AddressSanitizer report)
 *   shim-test device-overflow copy_to_user from one byte past a memremap'ed region (likewise)
 */
#include <stdio.h>
#include <string.h>

#include "jsonl.h"
#include "shim.h"

static int failures;

static void check(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

static char fired[8][16];
static size_t nfired;
static size_t fail_at = 99;
static bool recording_site(const char *site)
{
	size_t i = nfired;
	if (nfired < 8)
		snprintf(fired[nfired++], sizeof(fired[0]), "%s", site);
	return i == fail_at;
}

static bool assertion_mentions(const char *text)
{
	for (size_t i = 0; i < shim_assertion_count(); i++)
		if (strstr(shim_assertion_text(i), text))
			return true;
	return false;
}

static void fault_sites(void)
{
	void *use, *res;

	shim_set_device_memory(0x100000, 0x30000);
	shim_fault_site = recording_site;
	fail_at = 99;
	use = memremap(0x100000, 0x20000, MEMREMAP_WB);
	res = ioremap_wc(0x120000, 0x10000);
	check(nfired == 2 && strcmp(fired[0], "memremap") == 0 && strcmp(fired[1], "ioremap_wc") == 0,
	      "fault sites: memremap then ioremap_wc are asked, in the order they are reached");
	memunmap(use);
	iounmap(res);

	nfired = 0;
	fail_at = 1;
	use = memremap(0x100000, 0x20000, MEMREMAP_WB);
	res = ioremap_wc(0x120000, 0x10000);
	check(use != NULL && res == NULL, "fault sites: the step the plan names fails (NULL), the others do not");
	memunmap(use);

	shim_fault_site = shim_plan_fault_site;
	shim_reset();
	check(shim_assertion_count() == 0, "fault sites: nothing left mapped after the unmaps");
	shim_clear_assertions();
}

static void plan_order(void)
{
	struct json *args = json_parse("{\"faults\":[1]}");
	struct fault_plan plan;
	void *a, *b, *c;

	shim_set_device_memory(0x100000, 0x30000);
	fault_plan_load(&plan, args);
	shim_faults = &plan;
	a = memremap(0x100000, 0x1000, MEMREMAP_WB);
	b = ioremap_wc(0x101000, 0x1000);
	c = memremap(0x102000, 0x1000, MEMREMAP_WB);
	check(a != NULL && b == NULL && c != NULL, "fault plan [1]: the second fallible step fails, the first and third succeed");
	memunmap(a);
	memunmap(c);
	shim_faults = NULL;
	json_free(args);
	shim_reset();
	shim_clear_assertions();
}

static void assertion_channel(void)
{
	struct mutex m = { 0 };
	int line;

	mutex_unlock(&m);
	check(shim_assertion_count() == 1 && assertion_mentions("mutex_unlock of a mutex that is not held"),
	      "assertions: mutex_unlock of a mutex not held is reported");
	shim_clear_assertions();

	mutex_init(&m);
	mutex_lock(&m);
	mutex_lock(&m);
	check(assertion_mentions("already held"), "assertions: a second mutex_lock (a deadlock) is reported");
	mutex_unlock(&m);
	mutex_lock(&m);
	mutex_destroy(&m);
	check(assertion_mentions("mutex_destroy of a held mutex"), "assertions: mutex_destroy of a held mutex is reported");
	shim_clear_assertions();

	line = __LINE__ + 1;
	WARN_ON(1 + 1 == 2);
	{
		char where[64];
		snprintf(where, sizeof(where), "shim-test.c:%d", line);
		check(shim_assertion_count() == 1 && assertion_mentions("WARN_ON(1 + 1 == 2)") && assertion_mentions(where),
		      "assertions: WARN_ON from driver code is reported with its condition, file and line");
	}
	shim_clear_assertions();
	check(!WARN_ON(0) && shim_assertion_count() == 0, "assertions: WARN_ON of a false condition reports nothing");

	memunmap((void *)0x1234);
	check(assertion_mentions("memunmap of"), "assertions: memunmap of an address memremap did not return is reported");
	shim_clear_assertions();

	shim_set_device_memory(0x100000, 0x1000);
	{
		void *outside = memremap(0x100000, 0x2000, MEMREMAP_WB);
		check(assertion_mentions("outside device memory"), "assertions: a kernel mapping beyond device memory is reported");
		shim_clear_assertions();
		(void)outside;
	}
	shim_reset();
	check(assertion_mentions("never unmapped"), "assertions: a kernel mapping still live at the end of a run is reported");
	shim_clear_assertions();

	shim_set_device_memory(0x8000000000000000ULL, 0x8000000000000000ULL);
	{
		void *top = ioremap_wc(0xffffffffc0000000ULL, 0x40000000);
		check(top != NULL && shim_assertion_count() == 0, "device memory that ends at the top of the physical address space can be mapped");
		iounmap(top);
	}
	shim_reset();
	shim_clear_assertions();
}

static void device_memory(void)
{
	u8 *use, *res;
	u8 got[8];
	char __user *buf;
	const u8 *data;

	shim_set_device_memory(0x200000, 0x3000);
	use = memremap(0x200000, 0x2000, MEMREMAP_WB);
	res = ioremap_wc(0x202000, 0x1000);

	buf = shim_user_buffer(4, 0, NULL);
	check(copy_to_user(buf, use + 0x10, 4) == 0, "device memory: copy_to_user from usemem succeeds");
	data = shim_user_bytes();
	check(data[0] == 0x6a && data[1] == 0x6b && data[3] == 0x6d, "device memory: usemem reads (offset + 0x5a) & 0xff where never written");

	buf = shim_user_buffer(3, 0xfe, NULL);
	check(copy_from_user(use + 0x11, buf, 3) == 0, "device memory: copy_from_user into usemem succeeds");
	buf = shim_user_buffer(5, 0, NULL);
	copy_to_user(buf, use + 0x10, 5);
	data = shim_user_bytes();
	check(data[0] == 0x6a && data[1] == 0xfe && data[2] == 0xff && data[3] == 0x00 && data[4] == 0x6e,
	      "device memory: a write stores (seed + i) & 0xff and nothing around it");

	check(shim_device_bytes(0x202000, got, 2) && got[0] == 0xa5 && got[1] == 0xa6,
	      "device memory: resmem (ioremap_wc) reads (offset + 0xa5) & 0xff");
	buf = shim_user_buffer(2, 0, NULL);
	check(vfio_pci_core_do_io_rw(NULL, false, res, buf, 0xffe, 2, 0, 0, false) == 2 && shim_user_bytes()[1] == (u8)(0xffe + 1 + 0xa5),
	      "vfio_pci_core_do_io_rw returns the count it moved and moves the bytes");

	buf = shim_user_buffer(4, 0, NULL);
	check(put_user((u8)0xff, (u8 __user *)(buf + 3)) == 0 && shim_user_bytes()[3] == 0xff, "put_user stores into the caller's buffer");

	memunmap(use);
	iounmap(res);
	shim_reset();
	check(shim_assertion_count() == 0 && shim_live_windows() == 0, "device memory: unmapped cleanly");
}

static void config_and_intersect(void)
{
	loff_t off;
	size_t cnt, reg;
	check(vfio_pci_core_range_intersect_range(0x16, 4, 0x18, 8, &off, &cnt, &reg) && off == 2 && cnt == 2 && reg == 0,
	      "range_intersect: an access starting before the register meets its first bytes");
	check(vfio_pci_core_range_intersect_range(0x1c, 8, 0x18, 8, &off, &cnt, &reg) && off == 0 && cnt == 4 && reg == 4,
	      "range_intersect: an access starting inside the register");
	check(!vfio_pci_core_range_intersect_range(0x20, 4, 0x18, 8, &off, &cnt, &reg), "range_intersect: an access after the register misses it");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "user-overflow") == 0) {
		char __user *buf = shim_user_buffer(100, 0, NULL);
		put_user((u8)0xff, (u8 __user *)(buf + 100));
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "device-overflow") == 0) {
		u8 *use;
		shim_set_device_memory(0x200000, 0x2000);
		use = memremap(0x200000, 0x2000, MEMREMAP_WB);
		copy_to_user(shim_user_buffer(2, 0, NULL), use + 0x1fff, 2);
		return 0;
	}
	fault_sites();
	plan_order();
	assertion_channel();
	device_memory();
	config_and_intersect();
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
