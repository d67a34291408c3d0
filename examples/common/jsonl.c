/* See jsonl.h. */
#include "jsonl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	const char *p;
	int depth;
};

static void skip_space(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
		c->p++;
}

static struct json *node(enum json_type type)
{
	struct json *v = calloc(1, sizeof(*v));
	if (!v)
		abort();
	v->type = type;
	return v;
}

static char *parse_string_text(struct cursor *c)
{
	size_t cap = 16, n = 0;
	char *s;

	if (*c->p != '"')
		return NULL;
	c->p++;
	s = malloc(cap);
	if (!s)
		abort();
	while (*c->p && *c->p != '"') {
		char ch = *c->p++;
		if (ch == '\\') {
			ch = *c->p++;
			if (ch == 'n')
				ch = '\n';
			else if (ch != '"' && ch != '\\' && ch != '/') {
				free(s);
				return NULL;
			}
		}
		if (n + 1 >= cap) {
			cap *= 2;
			s = realloc(s, cap);
			if (!s)
				abort();
		}
		s[n++] = ch;
	}
	if (*c->p != '"') {
		free(s);
		return NULL;
	}
	c->p++;
	s[n] = '\0';
	return s;
}

static struct json *parse_value(struct cursor *c);

static bool append(struct json *v, struct json *item, char *key)
{
	struct json **items = realloc(v->items, (v->count + 1) * sizeof(*items));
	if (!items)
		abort();
	v->items = items;
	if (v->type == JSON_OBJECT) {
		char **keys = realloc(v->keys, (v->count + 1) * sizeof(*keys));
		if (!keys)
			abort();
		v->keys = keys;
		v->keys[v->count] = key;
	}
	v->items[v->count++] = item;
	return true;
}

static struct json *parse_container(struct cursor *c, bool object)
{
	struct json *v = node(object ? JSON_OBJECT : JSON_ARRAY);
	char close = object ? '}' : ']';

	if (++c->depth > 32)
		goto bad;
	c->p++;
	skip_space(c);
	if (*c->p == close) {
		c->p++;
		c->depth--;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct json *item;

		skip_space(c);
		if (object) {
			key = parse_string_text(c);
			if (!key)
				goto bad;
			skip_space(c);
			if (*c->p != ':') {
				free(key);
				goto bad;
			}
			c->p++;
		}
		item = parse_value(c);
		if (!item) {
			free(key);
			goto bad;
		}
		append(v, item, key);
		skip_space(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == close) {
			c->p++;
			c->depth--;
			return v;
		}
		goto bad;
	}
bad:
	json_free(v);
	return NULL;
}

static struct json *parse_value(struct cursor *c)
{
	struct json *v;

	skip_space(c);
	switch (*c->p) {
	case '{':
		return parse_container(c, true);
	case '[':
		return parse_container(c, false);
	case '"':
		v = node(JSON_STRING);
		v->text = parse_string_text(c);
		if (!v->text) {
			free(v);
			return NULL;
		}
		return v;
	case 't':
	case 'f':
		v = node(JSON_BOOL);
		v->boolean = *c->p == 't';
		if (strncmp(c->p, v->boolean ? "true" : "false", v->boolean ? 4 : 5) != 0) {
			free(v);
			return NULL;
		}
		c->p += v->boolean ? 4 : 5;
		return v;
	case 'n':
		if (strncmp(c->p, "null", 4) != 0)
			return NULL;
		c->p += 4;
		return node(JSON_NULL);
	default: {
		const char *start = c->p;
		if (*c->p == '-')
			c->p++;
		if (!isdigit((unsigned char)*c->p))
			return NULL;
		while (isdigit((unsigned char)*c->p))
			c->p++;
		v = node(JSON_NUMBER);
		v->text = strndup(start, (size_t)(c->p - start));
		return v;
	}
	}
}

struct json *json_parse(const char *line)
{
	struct cursor c = { line, 0 };
	struct json *v = parse_value(&c);

	if (!v)
		return NULL;
	skip_space(&c);
	if (*c.p) {
		json_free(v);
		return NULL;
	}
	return v;
}

void json_free(struct json *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->count; i++) {
		json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	free(v);
}

const struct json *json_get(const struct json *object, const char *key)
{
	if (!object || object->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < object->count; i++)
		if (strcmp(object->keys[i], key) == 0)
			return object->items[i];
	return NULL;
}

bool json_is(const struct json *v, const char *s)
{
	return v && v->type == JSON_STRING && strcmp(v->text, s) == 0;
}

bool json_int(const struct json *v, long long *out)
{
	if (!v || v->type != JSON_NUMBER)
		return false;
	*out = strtoll(v->text, NULL, 10);
	return true;
}

bool json_bool(const struct json *v, bool *out)
{
	if (!v || v->type != JSON_BOOL)
		return false;
	*out = v->boolean;
	return true;
}

bool json_u64(const struct json *v, uint64_t *out)
{
	char *end;

	if (!v || (v->type != JSON_STRING && v->type != JSON_NUMBER) || v->text[0] == '-' || v->text[0] == '\0')
		return false;
	if (v->text[0] == '0' && (v->text[1] == 'x' || v->text[1] == 'X'))
		*out = strtoull(v->text + 2, &end, 16);
	else
		*out = strtoull(v->text, &end, 10);
	return *end == '\0';
}

void out_printf(struct out *out, const char *format, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = out->capacity - out->length;
		va_start(ap, format);
		n = vsnprintf(out->text + out->length, room, format, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			out->length += (size_t)n;
			return;
		}
		out->capacity = out->capacity ? 2 * out->capacity + (size_t)n : 4096;
		out->text = realloc(out->text, out->capacity);
		if (!out->text)
			abort();
	}
}

void out_u64(struct out *out, uint64_t value)
{
	out_printf(out, "\"0x%llx\"", (unsigned long long)value);
}

void out_reset(struct out *out)
{
	out->length = 0;
	if (out->text)
		out->text[0] = '\0';
}

void fault_plan_load(struct fault_plan *plan, const struct json *args)
{
	const struct json *list = json_get(args, "faults");

	plan->count = 0;
	plan->next = 0;
	if (!list || list->type != JSON_ARRAY)
		return;
	for (size_t i = 0; i < list->count && plan->count < 16; i++) {
		long long index;
		if (json_int(list->items[i], &index))
			plan->failing[plan->count++] = index;
	}
}

bool fault_fails(struct fault_plan *plan)
{
	long long index = plan->next++;

	for (size_t i = 0; i < plan->count; i++)
		if (plan->failing[i] == index)
			return true;
	return false;
}

int jsonl_serve(reset_fn reset, apply_fn apply)
{
	char *line = NULL;
	size_t size = 0;
	struct out out = { 0 };

	while (getline(&line, &size, stdin) >= 0) {
		struct json *request = json_parse(line);
		const struct json *cmd = json_get(request, "cmd");

		out_reset(&out);
		if (json_is(cmd, "reset")) {
			reset();
			out_printf(&out, "{\"ok\":true}");
		} else if (json_is(cmd, "apply") && json_get(request, "op") && json_get(request, "op")->type == JSON_STRING) {
			apply(json_get(request, "op")->text, json_get(request, "args"), &out);
		} else {
			out_printf(&out, "{\"error\":\"unreadable request\"}");
		}
		out_printf(&out, "\n");
		fwrite(out.text, 1, out.length, stdout);
		fflush(stdout);
		json_free(request);
	}
	free(line);
	free(out.text);
	return 0;
}
