// Runs Kafka's own RemoteClusterUtils.translateOffsets against a cluster and prints the result.
//   args: bootstrapServers remoteClusterAlias consumerGroupId timeoutMs
// One JSON object a line, sorted by topic and partition:
//   {"topic": "...", "partition": 0, "offset": 42, "metadata": "..."}
// then "END". Topic names and metadata are printed with \\uXXXX escapes for anything not ASCII.
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

public class RemoteClusterUtilsHarness {
    private static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", args[0]);
        Map<TopicPartition, OffsetAndMetadata> offsets = RemoteClusterUtils.translateOffsets(
                props, args[1], args[2], Duration.ofMillis(Long.parseLong(args[3])));
        offsets.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<TopicPartition, OffsetAndMetadata> e) -> e.getKey().topic())
                        .thenComparingInt(e -> e.getKey().partition()))
                .forEach(e -> System.out.println("{\"topic\": " + json(e.getKey().topic())
                        + ", \"partition\": " + e.getKey().partition()
                        + ", \"offset\": " + e.getValue().offset()
                        + ", \"metadata\": " + json(e.getValue().metadata()) + "}"));
        System.out.println("END");
    }
}
