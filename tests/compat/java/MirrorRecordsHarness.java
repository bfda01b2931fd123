// Reads jobs from stdin, one a line, and answers each on one stdout line, then "END".
// It lives in Kafka's mirror package to call OffsetSync's and Checkpoint's own (package-private)
// serializers, so the bytes compared are exactly those MirrorSourceTask and
// MirrorCheckpointTask write. Strings and bytes travel base64-encoded.
//   OS_ENC topic partition upstream downstream       -> key value
//   OS_DEC key value                                 -> topic partition upstream downstream
//   CP_ENC group topic partition upstream downstream metadata -> key value
//   CP_DEC key value                                 -> group topic partition upstream downstream metadata
// A record Java cannot read answers "ERR <exception class>".
package org.apache.kafka.connect.mirror;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

public class MirrorRecordsHarness {
    private static String b64(byte[] data) {
        return Base64.getEncoder().encodeToString(data);
    }

    private static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] raw(String b64) {
        return Base64.getDecoder().decode(b64);
    }

    private static String text(String b64) {
        return new String(raw(b64), StandardCharsets.UTF_8);
    }

    private static ConsumerRecord<byte[], byte[]> record(String key, String value) {
        return new ConsumerRecord<>("t", 0, 0L, raw(key), raw(value));
    }

    private static String answer(String[] f) {
        switch (f[0]) {
            case "OS_ENC": {
                OffsetSync sync = new OffsetSync(new TopicPartition(text(f[1]), Integer.parseInt(f[2])),
                        Long.parseLong(f[3]), Long.parseLong(f[4]));
                return b64(sync.recordKey()) + " " + b64(sync.recordValue());
            }
            case "OS_DEC": {
                OffsetSync sync = OffsetSync.deserializeRecord(record(f[1], f[2]));
                return b64(sync.topicPartition().topic()) + " " + sync.topicPartition().partition() + " "
                        + sync.upstreamOffset() + " " + sync.downstreamOffset();
            }
            case "CP_ENC": {
                Checkpoint cp = new Checkpoint(text(f[1]), new TopicPartition(text(f[2]), Integer.parseInt(f[3])),
                        Long.parseLong(f[4]), Long.parseLong(f[5]), text(f[6]));
                return b64(cp.recordKey()) + " " + b64(cp.recordValue());
            }
            case "CP_DEC": {
                Checkpoint cp = Checkpoint.deserializeRecord(record(f[1], f[2]));
                return b64(cp.consumerGroupId()) + " " + b64(cp.topicPartition().topic()) + " "
                        + cp.topicPartition().partition() + " " + cp.upstreamOffset() + " "
                        + cp.downstreamOffset() + " " + b64(cp.metadata());
            }
            default:
                throw new IllegalArgumentException("unknown job " + f[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] f = line.split(" ", -1);
            try {
                out.append(answer(f));
            } catch (RuntimeException e) {
                out.append("ERR ").append(e.getClass().getSimpleName());
            }
            out.append('\n');
        }
        out.append("END\n");
        System.out.print(out);
        System.out.flush();
    }
}
