/* redact: a onceflow plugin that masks one field of JSON records, e.g. a card number, before
 * they leave the pipeline. Written against onceflow/plugin_abi.h only.
 *
 *   transforms:
 *     - plugin:
 *         path: /opt/onceflow/plugins/redact.so
 *         config: {field: card_number, keep_last: "4"}
 *
 *   {"order_id": "o-1", "card_number": "4111111111111111"}
 *     -> {"order_id": "o-1", "card_number": "************1111"}   + header redacted: card_number
 *
 * Settings (all strings): `field` (REQUIRED) the top-level member to mask; `keep_last` how many
 * trailing characters stay visible (default "0"); `header` the name of the header added to
 * records that were masked, its value the field's name (default "redacted"; "" = none).
 *
 * What it does to each record: a string or number value of the field is masked character by
 * character ('*'; an escape sequence or a UTF-8 character counts as one) and written as a JSON
 * string; any other value except null becomes "[redacted]". Everything else in the record is
 * forwarded untouched; records without the field, and tombstones, pass unchanged and
 * uncopied. It fails closed: a value that is not a JSON object is a permanent error, so the
 * pipeline's error policy (dead-letter, skip or stop) decides, and nothing unmasked goes to
 * the output. The scanner is deliberately small: it finds members at the top level by their
 * name as written (a name spelled with escapes is not recognized) and does not fully validate
 * the JSON.
 *
 * Threads: all state is per instance; the host calls process for one instance from one
 * thread at a time, so the reusable buffers need no lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onceflow/plugin_abi.h"

typedef struct redact {
  char* field;
  size_t field_len;
  char* header;
  size_t keep_last;
  /* Reused across records: the rewritten value and the output's headers. */
  char* buf;
  size_t buf_cap;
  onceflow_header* headers;
  size_t headers_cap;
} redact;

static char* copy_string(const char* s) {
  size_t n = strlen(s) + 1;
  char* copy = (char*)malloc(n);
  if (copy != NULL) memcpy(copy, s, n);
  return copy;
}

/* ---- A tiny JSON reader for the configuration (an object of strings, as the host sends) -- */

static const char* skip_ws(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  return p;
}

/* Reads the string literal at p into out (decoded, NUL-terminated, truncated to out_len).
 * Returns the position after it, or NULL if it is malformed. */
static const char* read_string(const char* p, const char* end, char* out, size_t out_len) {
  size_t n = 0;
  if (p >= end || *p != '"') return NULL;
  for (++p; p < end && *p != '"'; ++p) {
    unsigned cp = (unsigned char)*p;
    if (*p == '\\') {
      if (++p >= end) return NULL;
      switch (*p) {
        case 'b':
          cp = '\b';
          break;
        case 'f':
          cp = '\f';
          break;
        case 'n':
          cp = '\n';
          break;
        case 'r':
          cp = '\r';
          break;
        case 't':
          cp = '\t';
          break;
        case 'u':
          if (end - p < 5 || sscanf(p + 1, "%4x", &cp) != 1) return NULL;
          p += 4;
          break;
        default:
          cp = (unsigned char)*p;
          break;
      }
    }
    /* Settings are names and numbers: keep ASCII, replace anything else. */
    if (n + 1 < out_len) out[n++] = cp < 0x80 ? (char)cp : '?';
  }
  if (p >= end) return NULL;
  out[n] = '\0';
  return p + 1;
}

/* Applies each setting to `self`; returns 0, or -1 after writing why to err. */
static int parse_config(const char* json, redact* self, char* err, size_t err_len) {
  const char* end = json + strlen(json);
  const char* p = skip_ws(json, end);
  char key[256], value[1024];
  if (p >= end || *p++ != '{') goto malformed;
  p = skip_ws(p, end);
  if (p < end && *p == '}') return 0;
  for (;;) {
    p = read_string(skip_ws(p, end), end, key, sizeof(key));
    if (p == NULL) goto malformed;
    p = skip_ws(p, end);
    if (p >= end || *p++ != ':') goto malformed;
    p = read_string(skip_ws(p, end), end, value, sizeof(value));
    if (p == NULL) goto malformed;
    if (strcmp(key, "field") == 0) {
      free(self->field);
      self->field = copy_string(value);
      if (self->field == NULL) goto out_of_memory;
      self->field_len = strlen(value);
    } else if (strcmp(key, "header") == 0) {
      free(self->header);
      self->header = copy_string(value);
      if (self->header == NULL) goto out_of_memory;
    } else if (strcmp(key, "keep_last") == 0) {
      char* stop;
      unsigned long n = strtoul(value, &stop, 10);
      if (value[0] < '0' || value[0] > '9' || *stop != '\0') {
        snprintf(err, err_len, "keep_last \"%s\" is not a whole number", value);
        return -1;
      }
      self->keep_last = (size_t)n;
    } else {
      snprintf(err, err_len, "unknown setting \"%s\" (field, keep_last, header)", key);
      return -1;
    }
    p = skip_ws(p, end);
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    if (p < end && *p == '}') return 0;
    goto malformed;
  }
malformed:
  snprintf(err, err_len, "configuration is not a JSON object of strings: %s", json);
  return -1;
out_of_memory:
  snprintf(err, err_len, "out of memory");
  return -1;
}

/* ---- Finding the field in a record ---------------------------------------------------- */

/* Skips the JSON value at p; returns the position after it, or NULL if it is malformed. */
static const char* skip_value(const char* p, const char* end) {
  int depth = 0;
  do {
    p = skip_ws(p, end);
    if (p >= end) return NULL;
    if (*p == '"') {
      for (++p; p < end && *p != '"'; ++p) {
        if (*p == '\\') ++p;
      }
      if (p >= end) return NULL;
      ++p;
    } else if (*p == '{' || *p == '[') {
      ++depth;
      ++p;
    } else if (*p == '}' || *p == ']') {
      if (--depth < 0) return NULL;
      ++p;
    } else if (*p == ',' || *p == ':') {
      if (depth == 0) return NULL;
      ++p;
    } else {
      /* A number or a literal. */
      const char* start = p;
      while (p < end && strchr(",:]} \t\r\n\"{[", *p) == NULL) ++p;
      if (p == start) return NULL;
    }
  } while (depth > 0);
  return p;
}

/* Looks for the top-level member `name` of the object in [p, end). Returns -1 if the text is
 * not a JSON object, 0 if it has no such member, 1 with [*start, *stop) = its value. The last
 * member of that name wins. */
static int find_member(const char* p, const char* end, const char* name, size_t name_len,
                       const char** start, const char** stop) {
  int found = 0;
  p = skip_ws(p, end);
  if (p >= end || *p++ != '{') return -1;
  p = skip_ws(p, end);
  if (p < end && *p == '}') return skip_ws(p + 1, end) == end ? 0 : -1;
  for (;;) {
    const char* key;
    const char* key_end;
    const char* value;
    p = skip_ws(p, end);
    if (p >= end || *p != '"') return -1;
    key = p + 1;
    p = skip_value(p, end);
    if (p == NULL) return -1;
    key_end = p - 1;
    p = skip_ws(p, end);
    if (p >= end || *p++ != ':') return -1;
    value = skip_ws(p, end);
    p = skip_value(value, end);
    if (p == NULL) return -1;
    if ((size_t)(key_end - key) == name_len && memcmp(key, name, name_len) == 0) {
      *start = value;
      *stop = p;
      found = 1;
    }
    p = skip_ws(p, end);
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    if (p < end && *p == '}') return skip_ws(p + 1, end) == end ? found : -1;
    return -1;
  }
}

/* ---- Masking ------------------------------------------------------------------------------ */

static int reserve(redact* self, size_t n) {
  char* grown;
  if (n <= self->buf_cap) return 0;
  grown = (char*)realloc(self->buf, n);
  if (grown == NULL) return -1;
  self->buf = grown;
  self->buf_cap = n;
  return 0;
}

/* Length of the character at p: an escape sequence or a UTF-8 sequence. */
static size_t char_len(const char* p, const char* end) {
  unsigned char c = (unsigned char)*p;
  size_t n = 1;
  if (c == '\\') {
    n = (p + 1 < end && p[1] == 'u') ? 6 : 2;
  } else if (c >= 0xF0) {
    n = 4;
  } else if (c >= 0xE0) {
    n = 3;
  } else if (c >= 0xC0) {
    n = 2;
  }
  return n <= (size_t)(end - p) ? n : (size_t)(end - p);
}

/* Writes the masked form of the value [v, v_end) to out (room for 2 + 2 * its length + 12
 * bytes); returns the number of bytes written. */
static size_t mask_value(const redact* self, const char* v, const char* v_end, char* out) {
  const char* content = v;
  const char* content_end = v_end;
  size_t chars = 0, i = 0, n = 0;
  const char* p;
  if (*v == '"') {
    ++content;
    --content_end;
  } else if (*v != '-' && (*v < '0' || *v > '9')) {
    memcpy(out, "\"[redacted]\"", 12);
    return 12;
  }
  for (p = content; p < content_end; p += char_len(p, content_end)) ++chars;
  out[n++] = '"';
  for (p = content; p < content_end; ++i) {
    size_t len = char_len(p, content_end);
    if (chars - i <= self->keep_last) {
      memcpy(out + n, p, len);
      n += len;
    } else {
      out[n++] = '*';
    }
    p += len;
  }
  out[n++] = '"';
  return n;
}

/* ---- The ABI ---------------------------------------------------------------------------- */

uint32_t onceflow_plugin_abi_version(void) { return ONCEFLOW_PLUGIN_ABI_VERSION; }

const char* onceflow_plugin_name(void) { return "redact"; }

void onceflow_plugin_destroy(void* instance) {
  redact* self = (redact*)instance;
  free(self->field);
  free(self->header);
  free(self->buf);
  free(self->headers);
  free(self);
}

void* onceflow_plugin_create(const char* config_json, char* err, size_t err_len) {
  redact* self = (redact*)calloc(1, sizeof(redact));
  if (self == NULL || (self->header = copy_string("redacted")) == NULL) {
    free(self);
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  if (parse_config(config_json, self, err, err_len) != 0) {
    onceflow_plugin_destroy(self);
    return NULL;
  }
  if (self->field == NULL || self->field_len == 0) {
    snprintf(err, err_len, "setting \"field\" is required (the JSON member to mask)");
    onceflow_plugin_destroy(self);
    return NULL;
  }
  return self;
}

int onceflow_plugin_process(void* instance, const onceflow_record* in, onceflow_emitter* emitter,
                            onceflow_emit_fn emit, char* err, size_t err_len) {
  redact* self = (redact*)instance;
  onceflow_output out = onceflow_output_forward(in);
  const char* value = in->value != NULL ? (const char*)in->value : "";
  const char* end = value + in->value_len;
  const char* start = NULL;
  const char* stop = NULL;
  size_t head, tail, n, header_count = in->header_count;
  int found;

  if (!in->has_value) return emit(emitter, &out) == ONCEFLOW_OK ? ONCEFLOW_OK : ONCEFLOW_PERMANENT;
  found = find_member(value, end, self->field, self->field_len, &start, &stop);
  if (found < 0) {
    snprintf(err, err_len, "value at %s/%d@%lld is not a JSON object; not forwarding it unmasked",
             in->topic, (int)in->partition, (long long)in->offset);
    return ONCEFLOW_PERMANENT;
  }
  if (found == 0 || (stop - start == 4 && memcmp(start, "null", 4) == 0)) {
    /* Nothing to mask: forward as is (the host keeps references, no copy). */
    return emit(emitter, &out) == ONCEFLOW_OK ? ONCEFLOW_OK : ONCEFLOW_PERMANENT;
  }

  head = (size_t)(start - value);
  tail = (size_t)(end - stop);
  if (reserve(self, head + tail + 2 * (size_t)(stop - start) + 14) != 0) {
    snprintf(err, err_len, "out of memory");
    return ONCEFLOW_TRANSIENT;
  }
  memcpy(self->buf, value, head);
  n = head + mask_value(self, start, stop, self->buf + head);
  memcpy(self->buf + n, stop, tail);
  out.value = self->buf;
  out.value_len = n + tail;

  if (self->header[0] != '\0') {
    size_t i;
    if (header_count + 1 > self->headers_cap) {
      onceflow_header* grown =
          (onceflow_header*)realloc(self->headers, (header_count + 1) * sizeof(onceflow_header));
      if (grown == NULL) {
        snprintf(err, err_len, "out of memory");
        return ONCEFLOW_TRANSIENT;
      }
      self->headers = grown;
      self->headers_cap = header_count + 1;
    }
    for (i = 0; i < header_count; ++i) self->headers[i] = in->headers[i];
    self->headers[header_count].name = self->header;
    self->headers[header_count].name_len = strlen(self->header);
    self->headers[header_count].value = self->field;
    self->headers[header_count].value_len = self->field_len;
    out.headers = self->headers;
    out.header_count = header_count + 1;
  }
  return emit(emitter, &out) == ONCEFLOW_OK ? ONCEFLOW_OK : ONCEFLOW_PERMANENT;
}
