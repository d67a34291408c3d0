/*
 * A tiny JSON reader and writer for the conformance protocol (docs/conformance.md): one request per line on
 * stdin, one answer per line on stdout. It reads the fixed request shapes the suite sends (objects, arrays,
 * strings without escapes beyond \" and \\, integers, booleans, null) and nothing more; no external library.
 */
#ifndef GPUMEM_JSONL_H
#define GPUMEM_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool boolean;
	char *text;            /* a string's characters, or a number's digits */
	size_t count;          /* items of an array or members of an object */
	struct json **items;
	char **keys;           /* an object's member names, parallel to items */
};

/* Parses one line; NULL on a syntax error. json_free() releases the tree. */
struct json *json_parse(const char *line);
void json_free(struct json *value);

/* A member of an object, or NULL. */
const struct json *json_get(const struct json *object, const char *key);
bool json_is(const struct json *value, const char *string);
bool json_int(const struct json *value, long long *out);
bool json_bool(const struct json *value, bool *out);
/* A 64-bit value: "0x..." or a decimal string, or a non-negative integer. */
bool json_u64(const struct json *value, uint64_t *out);

/* A growing output line. */
struct out {
	char *text;
	size_t length, capacity;
};
void out_printf(struct out *out, const char *format, ...) __attribute__((format(printf, 2, 3)));
void out_u64(struct out *out, uint64_t value); /* as "0x..." */
void out_reset(struct out *out);

/*
 * Fault injection as the specification does it: the request's "faults" lists the 0-based indices of the
 * fallible steps of this one operation that must fail; the implementation asks at each fallible step.
 */
struct fault_plan {
	long long failing[16];
	size_t count;
	long long next;
};
void fault_plan_load(struct fault_plan *plan, const struct json *args);
bool fault_fails(struct fault_plan *plan);

/*
 * The request loop: reset() on {"cmd":"reset"} (answered {"ok":true}); apply() on
 * {"cmd":"apply","op":...,"args":{...}}, which writes {"result":...,"state":...} into out.
 * Returns at the end of stdin.
 */
typedef void (*reset_fn)(void);
typedef void (*apply_fn)(const char *op, const struct json *args, struct out *out);
int jsonl_serve(reset_fn reset, apply_fn apply);

#endif
