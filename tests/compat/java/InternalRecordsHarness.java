import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.TargetState;
import org.apache.kafka.connect.storage.KafkaConfigBackingStore;
import org.apache.kafka.connect.storage.KafkaStatusBackingStore;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Line protocol driven by tests/compat/test_internal_records_java.py: one job per input line,
 * one answer per output line ("OK b64", "OK -" for null bytes, or "ERR message"). Text arguments
 * are base64 of UTF-8, so any character survives the trip.
 *
 * <pre>
 * CONNECTOR pairs | TASK pairs         config record value, properties from a JSON [[k, v], ...]
 * COMMIT n | TASKCOUNT n | TARGET s    commit / tasks-fencing / target-state values
 * SESSION key alg ts | RESTART it of   session-key / restart-connector values
 * LOGGER level                         logger-cluster value
 * STATUS state trace|- worker gen [v]  status-connector / status-task value (4.1: plugin version)
 * TOPIC topic connector task ts        status-topic value
 * OFFKEY connector typed | OFFVAL typed  offset key / value from HashMaps ([[k, type, v], ...])
 * READ bytes                           what the internal converter reads, as a typed JSON tree
 * MURMUR key n                         the partition the default partitioner picks
 * </pre>
 */
public class InternalRecordsHarness {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonConverter VALUES = converter(false);
    private static final JsonConverter KEYS = converter(true);

    private static JsonConverter converter(boolean isKey) {
        JsonConverter c = new JsonConverter();
        c.configure(Collections.singletonMap("schemas.enable", "false"), isKey);
        return c;
    }

    private static String text(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    private static Schema statusSchema(String name) throws Exception {
        Field field = KafkaStatusBackingStore.class.getDeclaredField(name);
        field.setAccessible(true);
        return (Schema) field.get(null);
    }

    private static Map<String, String> properties(String b64) throws Exception {
        Map<String, String> props = new LinkedHashMap<>();
        for (JsonNode pair : MAPPER.readTree(text(b64))) {
            props.put(pair.get(0).asText(), pair.get(1).isNull() ? null : pair.get(1).asText());
        }
        return props;
    }

    /** A HashMap filled in the given order, as a Java connector builds its partitions. */
    private static Map<String, Object> typed(String b64) throws Exception {
        Map<String, Object> map = new HashMap<>();
        for (JsonNode entry : MAPPER.readTree(text(b64))) {
            String key = entry.get(0).asText();
            JsonNode v = entry.get(2);
            Object value;
            switch (entry.get(1).asText()) {
                case "S": value = v.asText(); break;
                case "I": value = v.intValue(); break;
                case "L": value = v.longValue(); break;
                case "D": value = Double.longBitsToDouble(Long.parseUnsignedLong(v.asText(), 16)); break;
                case "B": value = v.booleanValue(); break;
                default: value = null;
            }
            map.put(key, value);
        }
        return map;
    }

    private static JsonNode tag(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value == null) return f.nullNode();
        ObjectNode node = f.objectNode();
        if (value instanceof Map) {
            ObjectNode inner = node.putObject("M");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                inner.set(String.valueOf(e.getKey()), tag(e.getValue()));
            }
        } else if (value instanceof List) {
            ArrayNode inner = node.putArray("A");
            for (Object item : (List<?>) value) inner.add(tag(item));
        } else if (value instanceof String) {
            node.put("S", (String) value);
        } else if (value instanceof Long) {
            node.put("L", (Long) value);
        } else if (value instanceof Integer) {
            node.put("I", (Integer) value);
        } else if (value instanceof Double) {
            node.put("D", Long.toHexString(Double.doubleToRawLongBits((Double) value)));
        } else if (value instanceof Boolean) {
            node.put("B", (Boolean) value);
        } else {
            node.put("?", value.getClass().getName());
        }
        return node;
    }

    private static byte[] answer(String[] job) throws Exception {
        switch (job[0]) {
            case "CONNECTOR":
            case "TASK": {
                Schema schema = job[0].equals("TASK")
                    ? KafkaConfigBackingStore.TASK_CONFIGURATION_V0
                    : KafkaConfigBackingStore.CONNECTOR_CONFIGURATION_V0;
                Struct s = new Struct(schema);
                s.put("properties", properties(job[1]));
                return VALUES.fromConnectData("t", schema, s);
            }
            case "COMMIT": {
                Struct s = new Struct(KafkaConfigBackingStore.CONNECTOR_TASKS_COMMIT_V0);
                s.put("tasks", Integer.parseInt(job[1]));
                return VALUES.fromConnectData("t", s.schema(), s);
            }
            case "TASKCOUNT": {
                Struct s = new Struct(KafkaConfigBackingStore.TASK_COUNT_RECORD_V0);
                s.put("task-count", Integer.parseInt(job[1]));
                return VALUES.fromConnectData("t", s.schema(), s);
            }
            case "TARGET": {
                TargetState state = TargetState.valueOf(job[1]);
                Struct s = new Struct(KafkaConfigBackingStore.TARGET_STATE_V1);
                // what KafkaConfigBackingStore.serializeTargetState writes
                s.put("state", state == TargetState.STOPPED ? TargetState.PAUSED.name() : state.name());
                s.put("state.v2", state.name());
                return VALUES.fromConnectData("t", s.schema(), s);
            }
            case "SESSION": {
                Struct s = new Struct(KafkaConfigBackingStore.SESSION_KEY_V0);
                s.put("key", Base64.getEncoder().encodeToString(Base64.getDecoder().decode(job[1])));
                s.put("algorithm", text(job[2]));
                s.put("creation-timestamp", Long.parseLong(job[3]));
                return VALUES.fromConnectData("t", s.schema(), s);
            }
            case "RESTART": {
                Struct s = new Struct(KafkaConfigBackingStore.RESTART_REQUEST_V0);
                s.put(KafkaConfigBackingStore.INCLUDE_TASKS_FIELD_NAME, Boolean.parseBoolean(job[1]));
                s.put(KafkaConfigBackingStore.ONLY_FAILED_FIELD_NAME, Boolean.parseBoolean(job[2]));
                return VALUES.fromConnectData("t", s.schema(), s);
            }
            case "LOGGER": {
                Struct s = new Struct(KafkaConfigBackingStore.LOGGER_LEVEL_V0);
                s.put("level", text(job[1]));
                return VALUES.fromConnectData("t", s.schema(), s);
            }
            case "STATUS": {
                Schema schema = statusSchema("STATUS_SCHEMA_V0");
                Struct s = new Struct(schema);
                s.put("state", job[1]);
                if (!job[2].equals("-")) s.put("trace", text(job[2]));
                s.put("worker_id", text(job[3]));
                s.put("generation", Integer.parseInt(job[4]));
                if (job.length > 5) s.put("version", text(job[5]));
                return VALUES.fromConnectData("t", schema, s);
            }
            case "TOPIC": {
                Struct s = new Struct(statusSchema("TOPIC_STATUS_VALUE_SCHEMA_V0"));
                s.put("name", text(job[1]));
                s.put("connector", text(job[2]));
                s.put("task", Integer.parseInt(job[3]));
                s.put("discoverTimestamp", Long.parseLong(job[4]));
                return VALUES.fromConnectData(
                    "t", statusSchema("TOPIC_STATUS_SCHEMA_V0"), Collections.singletonMap("topic", s));
            }
            case "OFFKEY": {
                String connector = text(job[1]);
                return KEYS.fromConnectData(connector, null, Arrays.asList(connector, typed(job[2])));
            }
            case "OFFVAL":
                return VALUES.fromConnectData("t", null, typed(job[1]));
            case "READ":
                return MAPPER.writeValueAsBytes(
                    tag(VALUES.toConnectData("t", Base64.getDecoder().decode(job[1])).value()));
            case "MURMUR": {
                int n = Integer.parseInt(job[2]);
                int partition = Utils.toPositive(Utils.murmur2(Base64.getDecoder().decode(job[1]))) % n;
                return Integer.toString(partition).getBytes(StandardCharsets.US_ASCII);
            }
            default:
                throw new IllegalArgumentException("unknown job " + job[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, "US-ASCII");
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            try {
                byte[] bytes = answer(line.split("\t", -1));
                out.println(bytes == null ? "OK\t-" : "OK\t" + Base64.getEncoder().encodeToString(bytes));
            } catch (Exception e) {
                out.println("ERR\t" + String.valueOf(e).replace('\n', ' ').replace('\t', ' '));
            }
        }
        out.println("END");
        out.flush();
    }
}
