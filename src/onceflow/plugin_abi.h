/* The onceflow plugin ABI: a transform in a shared library (.so) that the `onceflow` sidecar
 * loads at run time (`transforms: [{plugin: {path: ..., config: {...}}}]`). Plain C, so a
 * plugin can be written in C, C++, Rust or anything that exports C functions, and built with
 * any compiler: only this header is shared, no onceflow library is linked.
 *
 *   #include "onceflow/plugin_abi.h"
 *
 *   ONCEFLOW_PLUGIN_EXPORT uint32_t onceflow_plugin_abi_version(void) {
 *     return ONCEFLOW_PLUGIN_ABI_VERSION;
 *   }
 *   ONCEFLOW_PLUGIN_EXPORT const char* onceflow_plugin_name(void) { return "tag"; }
 *   ONCEFLOW_PLUGIN_EXPORT void* onceflow_plugin_create(const char* config_json, char* err,
 *                                                       size_t err_len) {
 *     static int instance;  (a real plugin allocates its state here)
 *     return &instance;
 *   }
 *   ONCEFLOW_PLUGIN_EXPORT int onceflow_plugin_process(void* self, const onceflow_record* in,
 *                                                      onceflow_emitter* emitter,
 *                                                      onceflow_emit_fn emit, char* err,
 *                                                      size_t err_len) {
 *     onceflow_header tag = {"seen-by", 7, "tag", 3};
 *     onceflow_output out = onceflow_output_forward(in);   (key, value, headers: no copy)
 *     ...append `tag` to a copy of in->headers and point out.headers at it...
 *     return emit(emitter, &out) == ONCEFLOW_OK ? ONCEFLOW_OK : ONCEFLOW_PERMANENT;
 *   }
 *   ONCEFLOW_PLUGIN_EXPORT void onceflow_plugin_destroy(void* self) {}
 *
 * (examples/plugin/redact.c is a whole plugin, with its CMake project.)
 *
 * THE CONTRACT
 *
 * Symbols. A plugin exports the five functions declared at the end of this file, with C
 * linkage and default visibility (ONCEFLOW_PLUGIN_EXPORT). The host loads the library with
 * dlopen(RTLD_NOW | RTLD_LOCAL), looks all five up, and refuses the library (naming the
 * missing symbol) if one is absent. It then calls onceflow_plugin_abi_version() before
 * anything else and refuses the library unless it returns exactly the host's
 * ONCEFLOW_PLUGIN_ABI_VERSION.
 *
 * Versioning. ONCEFLOW_PLUGIN_ABI_VERSION names one exact set of struct layouts, function
 * signatures and semantics. Within a version nothing changes; any change (a field added,
 * a meaning changed) takes a new version number, and a host speaks exactly one version. A
 * plugin is rebuilt against the new header to move on.
 *
 * Life cycle, per `plugin` entry in the configuration:
 *   1. onceflow_plugin_create(config_json, ...) once, before any record. Returns the
 *      plugin's instance (any non-NULL pointer), or NULL after writing why to `err`; the
 *      sidecar then refuses to start and shows that text.
 *   2. onceflow_plugin_process(self, record, ...) once per input record.
 *   3. onceflow_plugin_destroy(self) once, when the pipeline is torn down (only for an
 *      instance create returned), after the last process call. The library is dlclose'd
 *      after destroy.
 * Two `plugin` entries naming the same library get two instances of one loaded library.
 *
 * Threads. The host calls process for one instance from one thread at a time (not always
 * the same thread), and never concurrently with its create or destroy: an instance needs no
 * locking of its own. Different instances may run concurrently on different threads, so
 * state shared between instances (globals, statics) must be thread-safe or read-only.
 *
 * Memory and lifetimes. Nothing is freed across the boundary: each side frees what it
 * allocated.
 *   - config_json: valid only during create; copy what you keep.
 *   - The record and everything it points to (topic, key, value, headers): valid only
 *     during the process call that receives it; read-only.
 *   - The emitter and emit function: valid only during that process call. Do not keep them
 *     or call emit from another thread or after process returns.
 *   - An onceflow_output and everything it points to only need to stay valid during the
 *     emit call: the host copies what it needs before emit returns, so a plugin may reuse
 *     its buffers at once. Bytes that point into the input record (e.g. out.value =
 *     in->value) are recognized and kept as references instead of copied, so forwarding
 *     costs no copy.
 *   - The string returned by onceflow_plugin_name: static, valid while the library is loaded.
 *
 * Bytes. Keys, values and header values are binary (not NUL-terminated, may contain NUL)
 * and come with a length. Kafka distinguishes a null key/value from an empty one: has_key /
 * has_value say which (a tombstone has has_value == 0). Header names and values are not
 * NUL-terminated either. The topic is NUL-terminated and also has a length.
 *
 * Errors. process returns ONCEFLOW_OK, ONCEFLOW_TRANSIENT or ONCEFLOW_PERMANENT, and on an
 * error may write a NUL-terminated message (truncated to err_len - 1 bytes) to `err`:
 *   ONCEFLOW_TRANSIENT: trying again may succeed (a service the plugin calls is down). The
 *     host retries the same record with backoff (errors.max_attempts), then applies
 *     errors.policy.
 *   ONCEFLOW_PERMANENT: this record will never succeed (it cannot be parsed). The host
 *     applies errors.policy at once: dead-letter it, skip it, or stop the pipeline.
 * Any other return value is treated as ONCEFLOW_PERMANENT. On an error every record emitted
 * for this input is discarded: the host retries or applies the policy to the whole input,
 * so a retried record is processed from scratch. `err` is never NULL and err_len >= 1; the
 * host sets err[0] = '\0' before each call. Plugins must not let a C++ exception, a Rust
 * panic or a longjmp leave any of these functions. A crash in a plugin is a crash of the
 * sidecar (plugins run in process); under exactly-once the restarted sidecar reprocesses
 * from the last commit, and nothing partial is ever visible downstream.
 *
 * Exactly-once. The host wraps every process call in its Kafka transaction: what a plugin
 * emits is committed together with the input's offset, or not at all. Side effects a plugin
 * has outside Kafka (an HTTP call, a file) are not covered and may happen more than once
 * for one record (after a retry, an abort or a crash).
 */
#ifndef ONCEFLOW_PLUGIN_ABI_H_
#define ONCEFLOW_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. A plugin's onceflow_plugin_abi_version() returns
 * the value it was compiled with. */
#define ONCEFLOW_PLUGIN_ABI_VERSION 1u

/* Return codes of onceflow_plugin_process and of onceflow_emit_fn. */
#define ONCEFLOW_OK 0
#define ONCEFLOW_TRANSIENT 1
#define ONCEFLOW_PERMANENT 2

/* onceflow_output.partition: let the producer's partitioner choose (by key). */
#define ONCEFLOW_PARTITION_ANY (-1)

/* onceflow_output.flags. */
/* Use onceflow_output.partition (otherwise: an earlier stage's choice, or the partitioner). */
#define ONCEFLOW_OUTPUT_SET_PARTITION 0x1u
/* Use onceflow_output.timestamp_ms (otherwise: the input's timestamp). */
#define ONCEFLOW_OUTPUT_SET_TIMESTAMP 0x2u

/* Marks the five exported functions: C linkage comes from the declarations below, this adds
 * default visibility so they stay exported under -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define ONCEFLOW_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define ONCEFLOW_PLUGIN_EXPORT
#endif

/* One Kafka header. Names and values are bytes with a length, not NUL-terminated. Kafka
 * headers may repeat a name and keep their order. */
typedef struct onceflow_header {
  const char* name;
  size_t name_len;
  const void* value; /* may be NULL when value_len == 0 */
  size_t value_len;
} onceflow_header;

/* One input record, read-only, valid only during the process call that receives it. */
typedef struct onceflow_record {
  const char* topic; /* NUL-terminated */
  size_t topic_len;
  int32_t partition;
  int64_t offset;
  int64_t timestamp_ms; /* ms since the epoch; -1 = the record has none */
  const void* key;      /* NULL when has_key == 0 */
  size_t key_len;
  int has_key;       /* 0: a null key (not the same as an empty one) */
  const void* value; /* NULL when has_value == 0 */
  size_t value_len;
  int has_value; /* 0: a null value (a tombstone) */
  const onceflow_header* headers;
  size_t header_count;
} onceflow_record;

/* One output record, passed to onceflow_emit_fn. A zero-initialized onceflow_output
 * ({0} / memset) is a record with a null key, a null value and no headers, for the
 * default topic, partitioned by key, with the input's timestamp: set what differs. */
typedef struct onceflow_output {
  /* Destination topic; NULL or topic_len == 0: the pipeline's output topic (or the topic an
   * earlier `route` stage chose). Not NUL-terminated: topic_len bytes are used. */
  const char* topic;
  size_t topic_len;
  /* With ONCEFLOW_OUTPUT_SET_PARTITION: the partition (>= 0, or ONCEFLOW_PARTITION_ANY). */
  int32_t partition;
  uint32_t flags; /* ONCEFLOW_OUTPUT_* bits */
  /* With ONCEFLOW_OUTPUT_SET_TIMESTAMP: ms since the epoch (0 = the producer stamps the
   * current time). */
  int64_t timestamp_ms;
  const void* key;
  size_t key_len;
  int has_key; /* 0: a null key */
  const void* value;
  size_t value_len;
  int has_value; /* 0: a null value */
  const onceflow_header* headers;
  size_t header_count;
} onceflow_output;

/* The host's collector of output records; opaque to plugins. */
typedef struct onceflow_emitter onceflow_emitter;

/* Emits one output record for the input being processed. Called by the plugin, during
 * process, zero or more times; outputs are produced in the order emitted. The host copies
 * (or, for bytes inside the input record, references) what it needs before returning.
 * Returns ONCEFLOW_OK, or ONCEFLOW_PERMANENT if the host refused the output (e.g. an invalid
 * topic name); then the whole input fails as a permanent error with the host's reason,
 * whatever process returns, so a plugin may simply go on or return. */
typedef int (*onceflow_emit_fn)(onceflow_emitter* emitter, const onceflow_output* output);

/* An output that forwards `in` unchanged: its key, value and headers as pointers into the
 * input (no copy when emitted), the default topic and partitioning, the input's timestamp. */
static inline onceflow_output onceflow_output_forward(const onceflow_record* in) {
  onceflow_output out;
  out.topic = NULL;
  out.topic_len = 0;
  out.partition = ONCEFLOW_PARTITION_ANY;
  out.flags = 0;
  out.timestamp_ms = 0;
  out.key = in->key;
  out.key_len = in->key_len;
  out.has_key = in->has_key;
  out.value = in->value;
  out.value_len = in->value_len;
  out.has_value = in->has_value;
  out.headers = in->headers;
  out.header_count = in->header_count;
  return out;
}

/* ---- What a plugin exports ---------------------------------------------------------------
 * Declared here so that a C++ plugin's definitions get C linkage and every plugin's get
 * their signatures checked; the host never links against them (it uses dlsym). */

/* Returns ONCEFLOW_PLUGIN_ABI_VERSION as the plugin saw it when compiled. Called first. */
ONCEFLOW_PLUGIN_EXPORT uint32_t onceflow_plugin_abi_version(void);

/* A short static name for logs, metrics and dead-letter headers ("plugin:<name>"), e.g.
 * "redact". NULL: the host uses the library's file name. */
ONCEFLOW_PLUGIN_EXPORT const char* onceflow_plugin_name(void);

/* Creates an instance. `config_json` is a NUL-terminated JSON object whose members are the
 * entry's `config` map, every value a string, e.g. {"field":"card","keep_last":"4"} ("{}"
 * when there is none). Returns the instance, or NULL after writing a NUL-terminated reason
 * to `err` (at most err_len bytes including the NUL). Validate the configuration here: a
 * mistake found now stops the sidecar before it consumes anything. */
ONCEFLOW_PLUGIN_EXPORT void* onceflow_plugin_create(const char* config_json, char* err,
                                                    size_t err_len);

/* Processes one input record: calls `emit(emitter, &output)` for each output (none drops the
 * record), then returns ONCEFLOW_OK; or returns ONCEFLOW_TRANSIENT / ONCEFLOW_PERMANENT
 * after writing a reason to `err` (see "Errors" above). */
ONCEFLOW_PLUGIN_EXPORT int onceflow_plugin_process(void* self, const onceflow_record* record,
                                                   onceflow_emitter* emitter, onceflow_emit_fn emit,
                                                   char* err, size_t err_len);

/* Frees an instance created by onceflow_plugin_create. */
ONCEFLOW_PLUGIN_EXPORT void onceflow_plugin_destroy(void* self);

/* The same signatures as pointer types, for hosts that look the symbols up. */
typedef uint32_t (*onceflow_plugin_abi_version_fn)(void);
typedef const char* (*onceflow_plugin_name_fn)(void);
typedef void* (*onceflow_plugin_create_fn)(const char* config_json, char* err, size_t err_len);
typedef int (*onceflow_plugin_process_fn)(void* self, const onceflow_record* record,
                                          onceflow_emitter* emitter, onceflow_emit_fn emit,
                                          char* err, size_t err_len);
typedef void (*onceflow_plugin_destroy_fn)(void* self);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ONCEFLOW_PLUGIN_ABI_H_ */
