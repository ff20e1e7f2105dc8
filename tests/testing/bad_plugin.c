/* Plugins for tests/integration/plugin_test.cc, built from this one file in several ways
 * (tests/CMakeLists.txt):
 *   ONCEFLOW_TEST_PLUGIN_ABI=N        onceflow_plugin_abi_version() returns N
 *   ONCEFLOW_TEST_PLUGIN_NO_PROCESS   onceflow_plugin_process is not exported
 *   (neither)                         a working plugin that misbehaves on request:
 *
 * Configuration: {"fail_create": "<reason>"} makes create fail with that reason. Otherwise the
 * value of each record says what to do:
 *   "transient" / "permanent"  return that code with a message naming the offset
 *   "unknown-code"             return 7
 *   "bad-topic"                emit an output whose topic is not a valid topic name
 *   "null-value"               emit an output whose value is NULL with a length of 3
 *   "emit-then-fail"           emit one output, then return ONCEFLOW_PERMANENT
 *   "split:<a>,<b>,..."        emit one output per item, to topic "t-<item>", partition 1,
 *                              timestamp 42, value "<item>", no key
 *   "drop"                     emit nothing
 *   anything else              forward the record (its own key/value/headers, no copy) with
 *                              headers appended: seen-topic, seen-partition, seen-offset,
 *                              seen-timestamp, seen-key ("<null>" for a null key), config (the
 *                              config JSON create received)
 * onceflow_test_plugin_live_instances() says how many instances exist (created, not yet
 * destroyed), so tests can check destroy is called. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onceflow/plugin_abi.h"

#ifndef ONCEFLOW_TEST_PLUGIN_ABI
#define ONCEFLOW_TEST_PLUGIN_ABI ONCEFLOW_PLUGIN_ABI_VERSION
#endif

static int live_instances = 0; /* the host calls create/destroy from one thread in tests */

ONCEFLOW_PLUGIN_EXPORT int onceflow_test_plugin_live_instances(void);
int onceflow_test_plugin_live_instances(void) { return live_instances; }

typedef struct test_plugin {
  char* config_json;
} test_plugin;

uint32_t onceflow_plugin_abi_version(void) { return ONCEFLOW_TEST_PLUGIN_ABI; }

const char* onceflow_plugin_name(void) { return "test"; }

void* onceflow_plugin_create(const char* config_json, char* err, size_t err_len) {
  const char* fail = strstr(config_json, "\"fail_create\":\"");
  test_plugin* self;
  if (fail != NULL) {
    const char* reason = fail + strlen("\"fail_create\":\"");
    const char* end = strchr(reason, '"');
    snprintf(err, err_len, "refusing to start: %.*s", (int)(end - reason), reason);
    return NULL;
  }
  self = (test_plugin*)calloc(1, sizeof(test_plugin));
  if (self == NULL) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  self->config_json = (char*)malloc(strlen(config_json) + 1);
  if (self->config_json == NULL) {
    free(self);
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  strcpy(self->config_json, config_json);
  ++live_instances;
  return self;
}

#ifndef ONCEFLOW_TEST_PLUGIN_NO_PROCESS
static int value_is(const onceflow_record* in, const char* s) {
  return in->has_value && in->value_len == strlen(s) && memcmp(in->value, s, in->value_len) == 0;
}

static int value_starts_with(const onceflow_record* in, const char* s) {
  return in->has_value && in->value_len >= strlen(s) && memcmp(in->value, s, strlen(s)) == 0;
}

static int split(const onceflow_record* in, onceflow_emitter* emitter, onceflow_emit_fn emit) {
  const char* p = (const char*)in->value + strlen("split:");
  const char* end = (const char*)in->value + in->value_len;
  while (p <= end) {
    const char* comma = memchr(p, ',', (size_t)(end - p));
    const char* item_end = comma != NULL ? comma : end;
    char topic[64];
    onceflow_output out;
    int n = snprintf(topic, sizeof(topic), "t-%.*s", (int)(item_end - p), p);
    memset(&out, 0, sizeof(out));
    out.topic = topic;
    out.topic_len = (size_t)n;
    out.flags = ONCEFLOW_OUTPUT_SET_PARTITION | ONCEFLOW_OUTPUT_SET_TIMESTAMP;
    out.partition = 1;
    out.timestamp_ms = 42;
    out.value = p;
    out.value_len = (size_t)(item_end - p);
    out.has_value = 1;
    if (emit(emitter, &out) != ONCEFLOW_OK) return ONCEFLOW_PERMANENT;
    if (comma == NULL) break;
    p = comma + 1;
  }
  return ONCEFLOW_OK;
}

static void set_header(onceflow_header* h, const char* name, const char* value) {
  h->name = name;
  h->name_len = strlen(name);
  h->value = value;
  h->value_len = strlen(value);
}

int onceflow_plugin_process(void* self, const onceflow_record* in, onceflow_emitter* emitter,
                            onceflow_emit_fn emit, char* err, size_t err_len) {
  test_plugin* plugin = (test_plugin*)self;
  onceflow_output out;
  if (value_is(in, "transient")) {
    snprintf(err, err_len, "service down at offset %lld", (long long)in->offset);
    return ONCEFLOW_TRANSIENT;
  }
  if (value_is(in, "permanent")) {
    snprintf(err, err_len, "cannot handle offset %lld", (long long)in->offset);
    return ONCEFLOW_PERMANENT;
  }
  if (value_is(in, "unknown-code")) return 7;
  if (value_is(in, "drop")) return ONCEFLOW_OK;
  if (value_is(in, "bad-topic")) {
    out = onceflow_output_forward(in);
    out.topic = "not a topic";
    out.topic_len = strlen(out.topic);
    return emit(emitter, &out) == ONCEFLOW_OK ? ONCEFLOW_OK : ONCEFLOW_PERMANENT;
  }
  if (value_is(in, "null-value")) {
    out = onceflow_output_forward(in);
    out.value = NULL;
    out.value_len = 3;
    emit(emitter, &out);
    return ONCEFLOW_OK; /* the host fails the input anyway */
  }
  if (value_is(in, "emit-then-fail")) {
    out = onceflow_output_forward(in);
    emit(emitter, &out);
    snprintf(err, err_len, "failed after emitting");
    return ONCEFLOW_PERMANENT;
  }
  if (value_starts_with(in, "split:")) return split(in, emitter, emit);
  {
    /* Forward with extra headers; the originals stay pointers into the input. */
    char partition[16], offset[32], timestamp[32], key[64];
    size_t count = in->header_count + 6, i;
    onceflow_header* headers = (onceflow_header*)malloc(count * sizeof(onceflow_header));
    int rc;
    if (headers == NULL) {
      snprintf(err, err_len, "out of memory");
      return ONCEFLOW_TRANSIENT;
    }
    for (i = 0; i < in->header_count; ++i) headers[i] = in->headers[i];
    snprintf(partition, sizeof(partition), "%d", (int)in->partition);
    snprintf(offset, sizeof(offset), "%lld", (long long)in->offset);
    snprintf(timestamp, sizeof(timestamp), "%lld", (long long)in->timestamp_ms);
    if (in->has_key) {
      snprintf(key, sizeof(key), "%.*s", (int)in->key_len, (const char*)in->key);
    } else {
      snprintf(key, sizeof(key), "<null>");
    }
    set_header(&headers[i++], "seen-topic", in->topic);
    set_header(&headers[i++], "seen-partition", partition);
    set_header(&headers[i++], "seen-offset", offset);
    set_header(&headers[i++], "seen-timestamp", timestamp);
    set_header(&headers[i++], "seen-key", key);
    set_header(&headers[i++], "config", plugin->config_json);
    out = onceflow_output_forward(in);
    out.headers = headers;
    out.header_count = count;
    rc = emit(emitter, &out);
    free(headers); /* the host copied what it needed */
    return rc == ONCEFLOW_OK ? ONCEFLOW_OK : ONCEFLOW_PERMANENT;
  }
}
#endif

void onceflow_plugin_destroy(void* self) {
  test_plugin* plugin = (test_plugin*)self;
  free(plugin->config_json);
  free(plugin);
  --live_instances;
}
