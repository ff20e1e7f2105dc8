/* A plugin for tests/integration/sidecar_retry_test.cc (C, against the ABI header only): it
 * fails with ONCEFLOW_TRANSIENT the first `fail_times` times it sees each distinct input record
 * (topic, partition, offset), then forwards the record (its own key, value and headers, no
 * copy) with one header appended: flaky-attempts: <the attempt that passed>, e.g. "3" for
 * fail_times 2.
 *
 * Configuration: {"fail_times": "<N>"} (N >= 0, default 1). Anything else in the config is
 * ignored; a fail_times that is not a non-negative decimal number makes create fail.
 *
 * The attempt counts live in the instance, in memory: a retry within one process is counted, a
 * restart starts from zero. Lookups are linear (newest first), which is fine for the few
 * hundred records a test sends, not for production. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onceflow/plugin_abi.h"

typedef struct seen_record {
  char* topic;
  int32_t partition;
  int64_t offset;
  long attempts; /* process calls so far for this record */
} seen_record;

typedef struct flaky_plugin {
  long fail_times;
  seen_record* seen;
  size_t count;
  size_t capacity;
} flaky_plugin;

uint32_t onceflow_plugin_abi_version(void) { return ONCEFLOW_PLUGIN_ABI_VERSION; }

const char* onceflow_plugin_name(void) { return "flaky"; }

/* The value of "fail_times" in `config_json` (the host writes {"name":"value",...} without
 * spaces), or `fallback` when absent; -1 if present but not a non-negative number. */
static long parse_fail_times(const char* config_json, long fallback) {
  static const char kKey[] = "\"fail_times\":\"";
  const char* p = strstr(config_json, kKey);
  long n = 0;
  if (p == NULL) return fallback;
  p += strlen(kKey);
  if (*p == '"') return -1;
  for (; *p != '"'; ++p) {
    if (*p < '0' || *p > '9' || n > 1000000) return -1;
    n = n * 10 + (*p - '0');
  }
  return n;
}

void* onceflow_plugin_create(const char* config_json, char* err, size_t err_len) {
  flaky_plugin* self;
  const long fail_times = parse_fail_times(config_json, 1);
  if (fail_times < 0) {
    snprintf(err, err_len, "fail_times: want a non-negative number, got config %s", config_json);
    return NULL;
  }
  self = (flaky_plugin*)calloc(1, sizeof(flaky_plugin));
  if (self == NULL) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  self->fail_times = fail_times;
  return self;
}

/* The entry for `in`, added with 0 attempts if new; NULL when out of memory. */
static seen_record* lookup(flaky_plugin* self, const onceflow_record* in) {
  size_t i;
  seen_record* r;
  for (i = self->count; i > 0; --i) {
    r = &self->seen[i - 1];
    if (r->partition == in->partition && r->offset == in->offset &&
        strcmp(r->topic, in->topic) == 0) {
      return r;
    }
  }
  if (self->count == self->capacity) {
    const size_t capacity = self->capacity == 0 ? 64 : self->capacity * 2;
    seen_record* grown = (seen_record*)realloc(self->seen, capacity * sizeof(seen_record));
    if (grown == NULL) return NULL;
    self->seen = grown;
    self->capacity = capacity;
  }
  r = &self->seen[self->count];
  r->topic = (char*)malloc(in->topic_len + 1);
  if (r->topic == NULL) return NULL;
  memcpy(r->topic, in->topic, in->topic_len + 1);
  r->partition = in->partition;
  r->offset = in->offset;
  r->attempts = 0;
  ++self->count;
  return r;
}

int onceflow_plugin_process(void* self_ptr, const onceflow_record* in, onceflow_emitter* emitter,
                            onceflow_emit_fn emit, char* err, size_t err_len) {
  flaky_plugin* self = (flaky_plugin*)self_ptr;
  seen_record* r = lookup(self, in);
  onceflow_output out;
  onceflow_header* headers;
  char attempts[32];
  size_t i;
  int rc;
  if (r == NULL) {
    snprintf(err, err_len, "out of memory");
    return ONCEFLOW_TRANSIENT;
  }
  ++r->attempts;
  if (r->attempts <= self->fail_times) {
    snprintf(err, err_len, "flaky: attempt %ld of %s[%d]@%lld fails (fail_times %ld)", r->attempts,
             in->topic, (int)in->partition, (long long)in->offset, self->fail_times);
    return ONCEFLOW_TRANSIENT;
  }
  headers = (onceflow_header*)malloc((in->header_count + 1) * sizeof(onceflow_header));
  if (headers == NULL) {
    snprintf(err, err_len, "out of memory");
    return ONCEFLOW_TRANSIENT;
  }
  for (i = 0; i < in->header_count; ++i) headers[i] = in->headers[i];
  snprintf(attempts, sizeof(attempts), "%ld", r->attempts);
  headers[i].name = "flaky-attempts";
  headers[i].name_len = strlen(headers[i].name);
  headers[i].value = attempts;
  headers[i].value_len = strlen(attempts);
  out = onceflow_output_forward(in);
  out.headers = headers;
  out.header_count = in->header_count + 1;
  rc = emit(emitter, &out);
  free(headers); /* the host copied what it needed */
  return rc == ONCEFLOW_OK ? ONCEFLOW_OK : ONCEFLOW_PERMANENT;
}

void onceflow_plugin_destroy(void* self_ptr) {
  flaky_plugin* self = (flaky_plugin*)self_ptr;
  size_t i;
  for (i = 0; i < self->count; ++i) free(self->seen[i].topic);
  free(self->seen);
  free(self);
}
