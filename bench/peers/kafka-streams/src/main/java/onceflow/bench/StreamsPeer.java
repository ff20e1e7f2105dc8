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
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Kafka Streams peer for {@code onceflow bench}: a passthrough (or dedupe-by-key)
 * topology from one topic to another, run until {@code --expected} records have
 * been processed and committed, then one line of JSON on stdout.
 */
public final class StreamsPeer {

    static final String DEDUPE_STORE = "dedupe-seen";
    private static final byte[] EMPTY = new byte[0];

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

    /** Drops every record whose key was already seen by this task (per input partition). */
    static final class DedupeProcessor implements Processor<byte[], byte[], byte[], byte[]> {
        private ProcessorContext<byte[], byte[]> context;
        private KeyValueStore<Bytes, byte[]> seen;

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
            if (seen.get(k) != null) {
                return;
            }
            seen.put(k, EMPTY);
            context.forward(record);
        }
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
        int threads = 1;
        String stateDir;
        boolean dedupe;
        long expected = -1;
        long timeoutSec = 600;
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
            "  [--threads N] (default 1)",
            "  [--state-dir DIR] (default: a fresh temporary directory)",
            "  [--dedupe] drop records whose key was already seen (RocksDB store)",
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
            if (a.equals("--help") || a.equals("-h")) {
                usage(null);
            }
            if (!java.util.Set.of("--bootstrap", "--application-id", "--input", "--output", "--guarantee",
                    "--commit-interval-ms", "--threads", "--state-dir", "--expected", "--timeout-sec").contains(a)) {
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
        if (o.threads < 1 || o.commitIntervalMs < 0) {
            usage("--threads must be >= 1 and --commit-interval-ms >= 0");
        }
        return o;
    }

    static Topology topology(Options o) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<byte[], byte[]> in = builder.stream(o.input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
        KStream<byte[], byte[]> out;
        if (o.dedupe) {
            // Persistent RocksDB store, changelogged (the default), no record cache:
            // every first-seen key is a put, like onceflow's own dedupe state.
            builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DEDUPE_STORE), Serdes.Bytes(), Serdes.ByteArray()));
            out = in.process(DedupeProcessor::new, DEDUPE_STORE);
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
        // Everything else (linger.ms=100, max.poll.records=1000, batch.size, fetch
        // sizes, transaction.timeout.ms=10000 under eos) stays at Streams' defaults.
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
            "%s: processing.guarantee=%s commit.interval.ms=%s threads=%d producer linger.ms=%s batch.size=%s compression.type=%s%n",
            system, o.guarantee, effective.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG), o.threads,
            prod.getOrDefault(ProducerConfig.LINGER_MS_CONFIG, "(client default)"),
            prod.getOrDefault(ProducerConfig.BATCH_SIZE_CONFIG, "(client default 16384)"),
            prod.getOrDefault(ProducerConfig.COMPRESSION_TYPE_CONFIG, "(client default)"));

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
            streams.cleanUp(); // wipe local state left by an earlier run with the same id
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
                    "{\"system\": \"%s\", \"records\": %d, \"seconds\": %.3f, \"records_per_sec\": %.1f, \"cpu_seconds\": %.3f}%n",
                    system, o.expected, seconds, o.expected / seconds, cpu);
                System.out.flush();
            }
        }
        if (tempStateDir != null) {
            deleteTree(tempStateDir);
        }
        System.exit(exit);
    }
}
