/*
 * The nvgrace-gpu regions (region.c) behind the conformance protocol (docs/conformance.md): probe, read and
 * write of the fake BARs. The results are what is compared; no state is reported. Config-space emulation
 * (also when a read or write's file position is in config space), mmap and VFIO_DEVICE_RESET are not part of
 * this port: they are answered {"unsupported":true}.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "region.h"

static struct nvgrace_device dev;

static void reset(void)
{
	nvgrace_teardown(&dev);
}

static const char *errno_name(int error)
{
	switch (error) {
	case -EINVAL:
		return "-EINVAL";
	case -EOVERFLOW:
		return "-EOVERFLOW";
	case -ENOMEM:
		return "-ENOMEM";
	case -EFAULT:
		return "-EFAULT";
	}
	return "-EIO";
}

static int bar_of(const struct json *args)
{
	const struct json *bar = json_get(args, "bar");
	return json_is(bar, "BAR2") ? 2 : json_is(bar, "BAR4") ? 4 : -1;
}

static void write_access(struct out *out, const struct access_result *res)
{
	if (res->unsupported) {
		out_printf(out, "{\"unsupported\":true}");
		return;
	}
	if (res->error) {
		out_printf(out, "{\"result\":{\"ok\":false,\"error\":\"%s\"}}", errno_name(res->error));
		return;
	}
	if (res->core_index >= 0) {
		out_printf(out, "{\"result\":{\"ok\":true,\"value\":{\"vfioPciCore\":%d}}}", res->core_index);
		return;
	}
	out_printf(out, "{\"result\":{\"ok\":true,\"value\":{\"count\":");
	out_u64(out, res->count);
	if (res->has_data) {
		out_printf(out, ",\"data\":\"");
		for (uint64_t i = 0; i < res->count; i++)
			out_printf(out, "%02x", res->data[i]);
		out_printf(out, "\"");
	}
	out_printf(out, "}}}");
}

static void apply(const char *op, const struct json *args, struct out *out)
{
	struct fault_plan faults;
	uint64_t a = 0, b = 0;
	long long seed = 0;
	int bar = bar_of(args);

	fault_plan_load(&faults, args);
	if (strcmp(op, "probe") == 0 && json_u64(json_get(args, "memphys"), &a) && json_u64(json_get(args, "memlength"), &b)) {
		int error = nvgrace_probe(&dev, a, b);
		if (error)
			out_printf(out, "{\"result\":{\"ok\":false,\"error\":\"%s\"}}", errno_name(error));
		else
			out_printf(out, "{\"result\":{\"ok\":true,\"value\":\"%s\"}}", dev.core_only ? "vfio-pci-core" : "nvgrace");
	} else if (strcmp(op, "read") == 0 && bar > 0 && json_u64(json_get(args, "offset"), &a) && json_u64(json_get(args, "count"), &b)) {
		struct access_result res = nvgrace_read(&dev, bar, a, b, &faults);
		write_access(out, &res);
	} else if (strcmp(op, "write") == 0 && bar > 0 && json_u64(json_get(args, "offset"), &a) &&
		   json_u64(json_get(args, "count"), &b) && json_int(json_get(args, "seed"), &seed)) {
		struct access_result res = nvgrace_write(&dev, bar, a, b, (unsigned)seed, &faults);
		write_access(out, &res);
	} else {
		out_printf(out, "{\"unsupported\":true}");
	}
}

int main(void)
{
	jsonl_serve(reset, apply);
	nvgrace_teardown(&dev);
	return 0;
}
