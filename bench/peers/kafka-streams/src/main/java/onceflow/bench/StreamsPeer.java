package onceflow.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Kafka Streams peer for {@code onceflow bench}: a passthrough (or dedupe-by-key)
 * topology from one topic to another, run until {@code --expected} records have
 * been processed and committed, then one line of JSON on stdout. Builds against
 * Kafka Streams 4.4 (default) and 3.9 (Maven profile kafka-3.9); what differs
 * between them is decided at run time from the library's own version.
 */
public final class StreamsPeer {

    static final String DEDUPE_STORE = "dedupe-seen";
    /** KIP-892's switch, {@code StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG} from 4.4 on
     *  (spelled out so that the same source compiles against 3.9, which lacks it). */
    static final String TRANSACTIONAL_STATE_STORES = "enable.transactional.statestores";
    /** Producer batch.size: Kafka's throughput guidance is 100,000-200,000 (client default 16384). */
    static final int PRODUCER_BATCH_SIZE = 131072;
    static final long DEFAULT_DEDUPE_WINDOW_MS = TimeUnit.HOURS.toMillis(24);

    /** Records seen by the topology (counted before the dedupe decision). */
    static final AtomicLong PROCESSED = new AtomicLong();
    /** System.nanoTime() / process CPU nanos at the first processed record; -1 until then. */
    static final AtomicLong FIRST_NANOS = new AtomicLong(-1);
    static final AtomicLong FIRST_CPU_NANOS = new AtomicLong(-1);

    static void countRecord() {
        if (PROCESSED.getAndIncrement() == 0) {
            FIRST_CPU_NANOS.set(processCpuNanos());
            FIRST_NANOS.set(System.nanoTime());
        }
    }

    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return -1;
    }

    /**
     * Drops every record whose key this task (input partition) has seen within the dedupe
     * window before the record's timestamp. The usual Kafka Streams idiom (there is no DSL
     * dedupe operator in 3.9 or 4.4): a persistent window store keyed by the id, one entry per
     * first sighting at its record timestamp, retention = the window, so expiry is the store
     * dropping whole segments once stream time has moved a window past them (no punctuation,
     * no tombstones per key).
     */
    static final class DedupeProcessor implements Processor<byte[], byte[], byte[], byte[]> {
        private final long windowMs;
        private ProcessorContext<byte[], byte[]> context;
        private WindowStore<Bytes, Long> seen;

        DedupeProcessor(long windowMs) {
            this.windowMs = windowMs;
        }

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
            this.seen = context.getStateStore(DEDUPE_STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            countRecord();
            byte[] key = record.key();
            if (key == null) {
                // Nothing to dedupe on: forward unchanged.
                context.forward(record);
                return;
            }
            Bytes k = Bytes.wrap(key);
            long ts = record.timestamp();
            try (WindowStoreIterator<Long> earlier = seen.fetch(k, Math.max(0, ts - windowMs), ts)) {
                if (earlier.hasNext()) {
                    return;
                }
            }
            seen.put(k, ts, ts);
            context.forward(record);
        }
    }

    /** The Kafka library on the class path, e.g. "4.4.0" (kafka-clients' own version file,
     *  which its AppInfoParser reads too; Streams ships in lockstep with it). */
    static String streamsVersion() {
        Properties p = new Properties();
        try (java.io.InputStream in = StreamsPeer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (java.io.IOException e) {
            // reported as unknown
        }
        return p.getProperty("version", "unknown");
    }

    /** Whether this Kafka Streams has transactional state stores (KIP-892, 4.4 and later):
     *  asked of its own config definition rather than guessed from the version. */
    static boolean hasTransactionalStateStores() {
        return StreamsConfig.configDef().names().contains(TRANSACTIONAL_STATE_STORES);
    }

    /** State directory created by the peer itself (no --state-dir); removed on exit. */
    static Path tempStateDir;

    static void deleteTree(Path root) {
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("could not remove " + root + ": " + e);
        }
    }

    static final class Options {
        String bootstrap = "127.0.0.1:9092";
        String applicationId;
        String input;
        String output;
        String guarantee = StreamsConfig.EXACTLY_ONCE_V2;
        long commitIntervalMs = 100;
        // Streams' sizing advice: one stream thread per core, at most one per input partition.
        int threads = Runtime.getRuntime().availableProcessors();
        String stateDir;
        boolean dedupe;
        /** Keep the local state of an earlier run with the same id (restart measurements). */
        boolean keepState;
        long dedupeWindowMs = DEFAULT_DEDUPE_WINDOW_MS;
        long expected = -1;
        long timeoutSec = 600;
        /** --property KEY=VALUE, applied last, in order. */
        final Map<String, String> overrides = new java.util.LinkedHashMap<>();
    }

    static void usage(String error) {
        if (error != null) {
            System.err.println("error: " + error);
        }
        System.err.println(String.join("\n",
            "usage: java -Xms512m -Xmx512m -jar kafka-streams-peer.jar",
            "  --application-id ID --input TOPIC --output TOPIC --expected N",
            "  [--bootstrap HOST:PORT] (default 127.0.0.1:9092)",
            "  [--guarantee exactly_once_v2|at_least_once] (default exactly_once_v2)",
            "  [--commit-interval-ms MS] (default 100)",
            "  [--threads N] (default: the number of cores)",
            "  [--state-dir DIR] (default: a fresh temporary directory)",
            "  [--dedupe] drop records whose key was seen within the window (RocksDB window store)",
            "  [--dedupe-window-ms MS] (default 86400000, 24 h)",
            "  [--keep-state] keep the local state an earlier run with the same id left (default: wiped)",
            "  [--property KEY=VALUE] any Streams or client property, set after the peer's own (repeatable)",
            "  [--timeout-sec S] give up (exit 3) if not done after S seconds (default 600)"));
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
            if (a.equals("--dedupe")) {
                o.dedupe = true;
                continue;
            }
            if (a.equals("--keep-state")) {
                o.keepState = true;
                continue;
            }
            if (a.equals("--help") || a.equals("-h")) {
                usage(null);
            }
            if (!java.util.Set.of("--bootstrap", "--application-id", "--input", "--output", "--guarantee",
                    "--commit-interval-ms", "--threads", "--state-dir", "--expected", "--timeout-sec",
                    "--dedupe-window-ms", "--property").contains(a)) {
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
                    case "--guarantee": o.guarantee = v; break;
                    case "--commit-interval-ms": o.commitIntervalMs = Long.parseLong(v); break;
                    case "--threads": o.threads = Integer.parseInt(v); break;
                    case "--state-dir": o.stateDir = v; break;
                    case "--expected": o.expected = Long.parseLong(v); break;
                    case "--timeout-sec": o.timeoutSec = Long.parseLong(v); break;
                    case "--dedupe-window-ms": o.dedupeWindowMs = Long.parseLong(v); break;
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
        if (o.applicationId == null || o.input == null || o.output == null) {
            usage("--application-id, --input and --output are required");
        }
        if (o.expected <= 0) {
            usage("--expected N (N > 0) is required");
        }
        if (!o.guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2) && !o.guarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
            usage("--guarantee must be exactly_once_v2 or at_least_once");
        }
        if (o.threads < 1 || o.commitIntervalMs < 0 || o.dedupeWindowMs < 1) {
            usage("--threads and --dedupe-window-ms must be >= 1 and --commit-interval-ms >= 0");
        }
        return o;
    }

    static Topology topology(Options o) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<byte[], byte[]> in = builder.stream(o.input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
        KStream<byte[], byte[]> out;
        if (o.dedupe) {
            // Persistent RocksDB window store, retention = window size = the dedupe window, no
            // duplicates retained, changelogged (the default; the changelog is compact,delete
            // with retention = window + windowstore.changelog.additional.retention.ms). No
            // record cache (a store builder's default): with every key new there is nothing
            // for it to coalesce, and a cached window store merges two iterators per fetch.
            Duration window = Duration.ofMillis(o.dedupeWindowMs);
            builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(DEDUPE_STORE, window, window, false),
                Serdes.Bytes(), Serdes.Long()));
            long windowMs = o.dedupeWindowMs;
            out = in.process(() -> new DedupeProcessor(windowMs), DEDUPE_STORE);
        } else {
            out = in.peek((k, v) -> countRecord());
        }
        out.to(o.output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return builder.build();
    }

    static Properties streamsProps(Options o) throws Exception {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, o.guarantee);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
        if (o.stateDir == null) {
            tempStateDir = Files.createTempDirectory("kafka-streams-peer-");
        }
        p.put(StreamsConfig.STATE_DIR_CONFIG, o.stateDir != null ? o.stateDir : tempStateDir.toString());
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        // Fairness: onceflow does not compress, so neither does the peer (also the
        // Kafka default; set explicitly so a changed default cannot skew results).
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "none");
        // Throughput: Streams already sets linger.ms=100 on its producers (both guarantees);
        // batches of the client default 16 KiB fill after 16 records of 1 KiB, long before the
        // linger, so batch.size goes to Kafka's throughput range (100-200 KB).
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), PRODUCER_BATCH_SIZE);
        // KIP-892 (4.4+): a store's writes wait in a transaction buffer and reach RocksDB at the
        // commit, so an eos task no longer wipes and rebuilds its stores after an error.
        if (hasTransactionalStateStores()) {
            p.put(TRANSACTIONAL_STATE_STORES, true);
        }
        // Everything else (max.poll.records=1000, fetch sizes, statestore.cache.max.bytes,
        // transaction.timeout.ms=10000 under eos) stays at Streams' defaults.
        p.putAll(o.overrides);
        return p;
    }

    /** Input partitions -> end offsets (last stable offset under eos). */
    static Map<TopicPartition, Long> endOffsets(Admin admin, String topic, boolean eos) throws Exception {
        TopicDescription d = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic);
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        for (TopicPartitionInfo pi : d.partitions()) {
            req.put(new TopicPartition(topic, pi.partition()), OffsetSpec.latest());
        }
        ListOffsetsResult r = admin.listOffsets(req,
            new ListOffsetsOptions(eos ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED));
        Map<TopicPartition, Long> out = new HashMap<>();
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : r.all().get().entrySet()) {
            out.put(e.getKey(), e.getValue().offset());
        }
        return out;
    }

    static boolean committedUpTo(Admin admin, String group, Map<TopicPartition, Long> ends) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (e.getValue() == 0) {
                continue;
            }
            OffsetAndMetadata c = committed.get(e.getKey());
            if (c == null || c.offset() < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        boolean eos = o.guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2);
        String system = "kafka-streams-" + (eos ? "eos" : "alos") + (o.dedupe ? "-dedupe" : "");

        Properties props = streamsProps(o);
        StreamsConfig effective = new StreamsConfig(props);
        Map<String, Object> prod = effective.getProducerConfigs("peer");
        System.err.printf(Locale.ROOT,
            "%s: Kafka Streams %s processing.guarantee=%s commit.interval.ms=%s num.stream.threads=%s"
                + " producer linger.ms=%s batch.size=%s compression.type=%s statestore.cache.max.bytes=%s %s=%s%s%n",
            system, streamsVersion(), effective.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG),
            effective.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
            effective.getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG),
            prod.getOrDefault(ProducerConfig.LINGER_MS_CONFIG, "(client default)"),
            prod.getOrDefault(ProducerConfig.BATCH_SIZE_CONFIG, "(client default 16384)"),
            prod.getOrDefault(ProducerConfig.COMPRESSION_TYPE_CONFIG, "(client default)"),
            effective.originals().getOrDefault("statestore.cache.max.bytes", "(default 10485760)"),
            TRANSACTIONAL_STATE_STORES,
            hasTransactionalStateStores() ? props.get(TRANSACTIONAL_STATE_STORES) : "(not in this version)",
            o.dedupe ? " dedupe window ms=" + o.dedupeWindowMs : "");

        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
        int exit = 0;
        try (Admin admin = Admin.create(adminProps)) {
            Map<TopicPartition, Long> ends = endOffsets(admin, o.input, eos);

            KafkaStreams streams = new KafkaStreams(topology(o), props);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            streams.setUncaughtExceptionHandler(e -> {
                failure.compareAndSet(null, e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            if (!o.keepState) {
                streams.cleanUp(); // wipe local state left by an earlier run with the same id
            }
            streams.start();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutSec);
            long endNanos = -1, endCpu = -1;
            while (true) {
                if (failure.get() != null || streams.state() == KafkaStreams.State.ERROR
                        || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                    System.err.println(system + ": streams failed: " + failure.get() + " (state " + streams.state() + ")");
                    exit = 1;
                    break;
                }
                if (PROCESSED.get() >= o.expected && committedUpTo(admin, o.applicationId, ends)) {
                    endNanos = System.nanoTime();
                    endCpu = processCpuNanos();
                    break;
                }
                if (System.nanoTime() > deadline) {
                    System.err.printf(Locale.ROOT, "%s: timeout after %d s: processed %d of %d expected%n",
                        system, o.timeoutSec, PROCESSED.get(), o.expected);
                    exit = 3;
                    break;
                }
                // Cheap until the records are in; then poll the group's offsets often,
                // the poll period bounds the error on "seconds".
                Thread.sleep(PROCESSED.get() >= o.expected ? 5 : 20);
            }
            streams.close(Duration.ofSeconds(30));

            if (exit == 0) {
                long processed = PROCESSED.get();
                if (processed != o.expected) {
                    System.err.printf(Locale.ROOT, "%s: note: processed %d records, expected %d%n",
                        system, processed, o.expected);
                }
                double seconds = (endNanos - FIRST_NANOS.get()) / 1e9;
                double cpu = (FIRST_CPU_NANOS.get() < 0 || endCpu < 0) ? -1 : (endCpu - FIRST_CPU_NANOS.get()) / 1e9;
                System.out.printf(Locale.ROOT,
                    "{\"system\": \"%s\", \"kafka_streams\": \"%s\", \"records\": %d, \"seconds\": %.3f, \"records_per_sec\": %.1f, \"cpu_seconds\": %.3f}%n",
                    system, streamsVersion(), o.expected, seconds, o.expected / seconds, cpu);
                System.out.flush();
            }
        }
        if (tempStateDir != null) {
            deleteTree(tempStateDir);
        }
        System.exit(exit);
    }
}
