package onceflow.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Kafka Streams target for {@code onceflow audit --target kafka-streams}: a long-running
 * instance, one of several with the same application id, that the audit kills, pauses and
 * restarts under faults, then checks the output for exactly-once.
 *
 * <p>Topology: source IN (byte keys and values) -> one Processor API processor -> sink OUT.
 * Per record: optional dedupe on a JSON string field of the value (store "dedupe", keys
 * {@code "k" + id}, value = the record timestamp in decimal), optional running count per
 * record key (store "count", value = the count in decimal, also written into the header
 * {@code onceflow-count}), then the record is forwarded with key, value and timestamp
 * unchanged. Both stores are persistent (RocksDB), changelogged and not cached, so each update
 * reaches the changelog in the same transaction as the output (under exactly_once_v2). These
 * are the formats onceflow's own dedupe and count stages write (state/dedupe.h,
 * src/sidecar/count_transform.h), which the audit's checker reads back from the changelogs.
 *
 * <p>Runs until SIGTERM (close, exit 0). A stream thread that dies or a client in ERROR exits
 * the JVM with status 1; the audit restarts it. Local state is never wiped.
 *
 * <p>Builds against Kafka Streams 4.4 (default) and 3.9 (Maven profile kafka-3.9): only APIs
 * both have.
 */
public final class AuditPeer {

    static final String DEDUPE_STORE = "dedupe";
    static final String COUNT_STORE = "count";
    static final String COUNT_HEADER = "onceflow-count";
    static final String PREFIX = "AuditPeer: ";

    static final class Options {
        String bootstrap;
        String applicationId;
        String input;
        String output;
        String instance;
        String stateDir;
        String guarantee = StreamsConfig.EXACTLY_ONCE_V2;
        long commitIntervalMs = 100;
        int sessionTimeoutMs = 45000;
        int transactionTimeoutMs = 10000;
        /** JSON string field of the value to dedupe on; null = no dedupe. */
        String dedupeField;
        boolean count;
        /** --property KEY=VALUE, applied last, in order. */
        final Map<String, String> overrides = new LinkedHashMap<>();
    }

    static void usage(String error) {
        if (error != null) {
            System.err.println("error: " + error);
        }
        System.err.println(String.join("\n",
            "usage: java -cp kafka-streams-peer.jar onceflow.bench.AuditPeer",
            "  --bootstrap HOST:PORT --application-id APP --input TOPIC --output TOPIC",
            "  --instance iN --state-dir DIR",
            "  [--guarantee exactly_once_v2|at_least_once] (default exactly_once_v2)",
            "  [--commit-interval-ms MS] (default 100)",
            "  [--session-timeout-ms MS] consumer session.timeout.ms (default 45000)",
            "  [--transaction-timeout-ms MS] producer transaction.timeout.ms (default 10000)",
            "  [--dedupe-field F] drop records whose JSON string field F was seen (store \"dedupe\")",
            "  [--count] running count per record key into header onceflow-count (store \"count\")",
            "  [--property KEY=VALUE] any Streams or client property, set last (repeatable)"));
        System.exit(2);
    }

    static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (a.equals("--count") && v == null) {
                o.count = true;
                continue;
            }
            if (a.equals("--help") || a.equals("-h")) {
                usage(null);
            }
            if (!Set.of("--bootstrap", "--application-id", "--input", "--output", "--instance",
                    "--state-dir", "--guarantee", "--commit-interval-ms", "--session-timeout-ms",
                    "--transaction-timeout-ms", "--dedupe-field", "--property").contains(a)) {
                usage("unknown flag " + a);
            }
            if (v == null) {
                if (i + 1 >= args.length) {
                    usage("missing value for " + a);
                }
                v = args[++i];
            }
            try {
                switch (a) {
                    case "--bootstrap": o.bootstrap = v; break;
                    case "--application-id": o.applicationId = v; break;
                    case "--input": o.input = v; break;
                    case "--output": o.output = v; break;
                    case "--instance": o.instance = v; break;
                    case "--state-dir": o.stateDir = v; break;
                    case "--guarantee": o.guarantee = v; break;
                    case "--commit-interval-ms": o.commitIntervalMs = Long.parseLong(v); break;
                    case "--session-timeout-ms": o.sessionTimeoutMs = Integer.parseInt(v); break;
                    case "--transaction-timeout-ms": o.transactionTimeoutMs = Integer.parseInt(v); break;
                    case "--dedupe-field": o.dedupeField = v; break;
                    case "--property": {
                        int at = v.indexOf('=');
                        if (at <= 0) {
                            usage("--property wants KEY=VALUE, got " + v);
                        }
                        o.overrides.put(v.substring(0, at), v.substring(at + 1));
                        break;
                    }
                    default: usage("unknown flag " + a);
                }
            } catch (NumberFormatException e) {
                usage("bad number for " + a + ": " + v);
            }
        }
        if (o.bootstrap == null || o.applicationId == null || o.input == null || o.output == null
                || o.instance == null || o.stateDir == null) {
            usage("--bootstrap, --application-id, --input, --output, --instance and --state-dir are required");
        }
        if (o.instance.isEmpty() || (o.dedupeField != null && o.dedupeField.isEmpty())) {
            usage("--instance and --dedupe-field must not be empty");
        }
        if (!o.guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2) && !o.guarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
            usage("--guarantee must be exactly_once_v2 or at_least_once");
        }
        if (o.commitIntervalMs < 0 || o.sessionTimeoutMs < 1 || o.transactionTimeoutMs < 1) {
            usage("--commit-interval-ms must be >= 0, the timeouts >= 1");
        }
        return o;
    }

    /**
     * The value of the JSON string field {@code field} in {@code json}: the text between
     * {@code "field":"} and the next unescaped quote (escapes are kept as they are, which is
     * enough to tell ids apart), or null if there is no such field. Compact JSON only (no
     * blanks around the colon), which is what the audit writes.
     */
    static String stringField(String json, String field) {
        String needle = "\"" + field + "\":\"";
        int at = json.indexOf(needle);
        if (at < 0) {
            return null;
        }
        int start = at + needle.length();
        for (int i = start; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '\\') {
                i++;  // skip the escaped character
            } else if (c == '"') {
                return json.substring(start, i);
            }
        }
        return null;  // unterminated
    }

    /** Dedupe (optional), then count (optional), then forward. */
    static final class AuditProcessor implements Processor<byte[], byte[], byte[], byte[]> {
        private final String dedupeField;
        private final boolean count;
        private ProcessorContext<byte[], byte[]> context;
        private KeyValueStore<String, String> dedupe;
        private KeyValueStore<String, String> counts;

        AuditProcessor(String dedupeField, boolean count) {
            this.dedupeField = dedupeField;
            this.count = count;
        }

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
            if (dedupeField != null) {
                this.dedupe = context.getStateStore(DEDUPE_STORE);
            }
            if (count) {
                this.counts = context.getStateStore(COUNT_STORE);
            }
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            if (dedupe != null && record.value() != null) {
                String id = stringField(new String(record.value(), StandardCharsets.UTF_8), dedupeField);
                if (id != null) {
                    String key = "k" + id;
                    if (dedupe.get(key) != null) {
                        return;  // a duplicate: forward nothing, count nothing
                    }
                    dedupe.put(key, Long.toString(record.timestamp()));
                }
            }
            if (counts != null && record.key() != null) {
                String key = new String(record.key(), StandardCharsets.UTF_8);
                String stored = counts.get(key);
                long n = (stored == null ? 0 : Long.parseLong(stored)) + 1;
                String text = Long.toString(n);
                counts.put(key, text);
                // A copy: the input record's headers object belongs to the consumed record.
                Headers headers = new RecordHeaders(record.headers().toArray());
                headers.add(COUNT_HEADER, text.getBytes(StandardCharsets.UTF_8));
                context.forward(record.withHeaders(headers));
                return;
            }
            context.forward(record);
        }
    }

    static StoreBuilder<KeyValueStore<String, String>> store(String name) {
        // Persistent (RocksDB), changelogged (the default: <application.id>-<name>-changelog),
        // no record cache, so every update goes to the changelog in the commit's transaction.
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.String())
            .withCachingDisabled();
    }

    static Topology topology(Options o) {
        Topology t = new Topology();
        t.addSource("source", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), o.input);
        String dedupeField = o.dedupeField;
        boolean count = o.count;
        // Typed, because 3.9 also has the old (deprecated) ProcessorSupplier overload.
        ProcessorSupplier<byte[], byte[], byte[], byte[]> supplier = () -> new AuditProcessor(dedupeField, count);
        t.addProcessor("audit", supplier, "source");
        if (o.dedupeField != null) {
            t.addStateStore(store(DEDUPE_STORE), "audit");
        }
        if (o.count) {
            t.addStateStore(store(COUNT_STORE), "audit");
        }
        t.addSink("sink", o.output, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), "audit");
        return t;
    }

    static Properties streamsProps(Options o) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, o.guarantee);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.STATE_DIR_CONFIG, o.stateDir);
        // The audit's network-fault proxy tells instances apart by a "-i<N>" segment of
        // client.id; Streams appends "-StreamThread-1-consumer", "-producer", "-admin", ...
        p.put(StreamsConfig.CLIENT_ID_CONFIG, o.applicationId + "-" + o.instance);
        // Static membership: a restarted instance takes its partitions back without a
        // rebalance (within the session timeout). Streams suffixes it per thread ("-1").
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), o.instance);
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), o.sessionTimeoutMs);
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), o.transactionTimeoutMs);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);  // the broker's default.replication.factor
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        p.putAll(o.overrides);
        return p;
    }

    /** Why the process should end with status 1 (set once), or null. */
    static final AtomicReference<String> FATAL = new AtomicReference<>();
    static final CountDownLatch FATAL_LATCH = new CountDownLatch(1);
    /** Set by the shutdown hook: from then on state changes are ours, not failures. */
    static final AtomicBoolean CLOSING = new AtomicBoolean();

    static void say(String line) {
        System.out.println(PREFIX + line);
        System.out.flush();
    }

    static void fatal(String why) {
        if (FATAL.compareAndSet(null, why)) {
            FATAL_LATCH.countDown();
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        Properties props = streamsProps(o);
        StreamsConfig effective = new StreamsConfig(props);
        Set<String> defined = StreamsConfig.configDef().names();
        System.err.printf(Locale.ROOT,
            "%sKafka Streams %s application.id=%s client.id=%s group.instance.id=%s processing.guarantee=%s"
                + " commit.interval.ms=%s session.timeout.ms=%s transaction.timeout.ms=%s group.protocol=%s"
                + " dedupe-field=%s count=%s state.dir=%s%n",
            PREFIX, StreamsPeer.streamsVersion(), o.applicationId, props.get(StreamsConfig.CLIENT_ID_CONFIG),
            o.instance, effective.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG),
            effective.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG), o.sessionTimeoutMs, o.transactionTimeoutMs,
            defined.contains("group.protocol") ? effective.originals().getOrDefault("group.protocol", "(default classic)")
                : "(classic; not configurable in this version)",
            o.dedupeField == null ? "(off)" : o.dedupeField, o.count, o.stateDir);

        KafkaStreams streams = new KafkaStreams(topology(o), props);
        streams.setStateListener((newState, oldState) -> {
            say("state " + newState);
            if (newState == KafkaStreams.State.ERROR
                    || (newState == KafkaStreams.State.PENDING_ERROR && !CLOSING.get())
                    || (newState == KafkaStreams.State.NOT_RUNNING && !CLOSING.get())) {
                fatal("client state " + newState);
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println(PREFIX + "stream thread failed: " + e);
            e.printStackTrace();
            fatal("uncaught exception: " + e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        // SIGTERM (or the System.exit(1) below) runs this. A SIGTERM'd JVM would exit 143;
        // the contract is 0 after a clean close, so the hook ends the process itself.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            CLOSING.set(true);
            boolean closed = streams.close(Duration.ofSeconds(20));
            String why = FATAL.get();
            say("closed" + (closed ? "" : " (timed out after 20 s)") + (why == null ? "" : ", after: " + why));
            System.err.flush();
            Runtime.getRuntime().halt(why == null ? 0 : 1);
        }, "audit-peer-shutdown"));

        // Never streams.cleanUp(): local state survives restarts, as in a real deployment.
        try {
            streams.start();
        } catch (RuntimeException e) {
            System.err.println(PREFIX + "start failed: " + e);
            e.printStackTrace();
            fatal("start failed: " + e);
        }
        say("started " + o.instance);

        FATAL_LATCH.await();
        System.err.println(PREFIX + "exiting with status 1: " + FATAL.get());
        System.exit(1);  // the hook closes the client (already stopped) and halts with 1
    }
}
