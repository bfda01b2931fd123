import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.*;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.function.Supplier;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.JoinGroupResponseData.JoinGroupResponseMember;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.runtime.TargetState;
import org.apache.kafka.connect.runtime.distributed.*;
import org.apache.kafka.connect.storage.AppliedConnectorConfig;
import org.apache.kafka.connect.storage.ClusterConfigState;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class ConnectProtocolHarness {
    static final ObjectMapper JSON = new ObjectMapper();
    static long nowMs = 0;
    static final Time TIME = new Time() {
        public long milliseconds() { return nowMs; }
        public long nanoseconds() { return nowMs * 1_000_000L; }
        public void sleep(long ms) { nowMs += ms; }
        public void waitObject(Object o, Supplier<Boolean> c, long d) {
            throw new UnsupportedOperationException();
        }
    };
    static final Map<String, ConnectAssignor> ASSIGNORS = new HashMap<>();

    /** The assignors' view of the worker; instances are made without running a constructor. */
    static class Coordinator extends WorkerCoordinator {
        ClusterConfigState snapshot, fresh;
        int generation, lastCompleted;
        boolean freshTaken;
        LeaderState leaderState;
        Coordinator() { super(null, null, null, null, null, null, null, null, null, null, 0); }
        @Override public ClusterConfigState configSnapshot() { return snapshot; }
        @Override public void configSnapshot(ClusterConfigState s) { snapshot = s; }
        @Override public ClusterConfigState configFreshSnapshot() { freshTaken = true; return fresh; }
        @Override public void leaderState(LeaderState s) { leaderState = s; }
        @Override public int generationId() { return generation; }
        @Override public int lastCompletedGenerationId() { return lastCompleted; }
        @Override public String memberId() { return "leader"; }
    }

    static Coordinator newCoordinator() throws Exception {
        Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        return (Coordinator) unsafe.getClass().getMethod("allocateInstance", Class.class)
            .invoke(unsafe, Coordinator.class);
    }

    static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : a) out.add(s.asText());
        return out;
    }

    static List<ConnectorTaskId> tasks(JsonNode a) {
        List<ConnectorTaskId> out = new ArrayList<>();
        for (JsonNode t : a) out.add(new ConnectorTaskId(t.get(0).asText(), t.get(1).asInt()));
        return out;
    }

    static ExtendedAssignment extended(JsonNode n) {
        if (n == null || n.isNull()) return null;
        return new ExtendedAssignment((short) n.get("version").asInt(), (short) n.get("error").asInt(),
            text(n, "leader"), text(n, "leaderUrl"), n.get("offset").asLong(),
            strings(n.get("connectors")), tasks(n.get("tasks")),
            strings(n.get("revokedConnectors")), tasks(n.get("revokedTasks")), n.get("delay").asInt());
    }

    static ArrayNode taskList(Collection<ConnectorTaskId> ts) {
        ArrayNode out = JSON.createArrayNode();
        for (ConnectorTaskId t : ts) out.addArray().add(t.connector()).add(t.task());
        return out;
    }

    static ObjectNode describe(ConnectProtocol.Assignment a) {
        ObjectNode out = JSON.createObjectNode();
        out.put("error", a.error());
        out.put("leader", a.leader());
        out.put("leaderUrl", a.leaderUrl());
        out.put("offset", a.offset());
        ArrayNode cs = out.putArray("connectors");
        for (String c : a.connectors()) cs.add(c);
        out.set("tasks", taskList(a.tasks()));
        if (a instanceof ExtendedAssignment) {
            ExtendedAssignment e = (ExtendedAssignment) a;
            out.put("version", e.version());
            ArrayNode rcs = out.putArray("revokedConnectors");
            for (String c : e.revokedConnectors()) rcs.add(c);
            out.set("revokedTasks", taskList(e.revokedTasks()));
            out.put("delay", e.delay());
        }
        return out;
    }

    static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    static String b64(ByteBuffer b) { return Base64.getEncoder().encodeToString(bytes(b)); }

    static ByteBuffer unb64(JsonNode n) { return ByteBuffer.wrap(Base64.getDecoder().decode(n.asText())); }

    static ExtendedWorkerState state(JsonNode n) {
        return new ExtendedWorkerState(n.get("url").asText(), n.get("offset").asLong(),
            extended(n.get("assignment")));
    }

    static ClusterConfigState snapshot(JsonNode n) {
        if (n == null || n.isNull()) return null;
        Map<String, Integer> counts = new HashMap<>();
        Map<String, Map<String, String>> configs = new HashMap<>();
        Map<String, TargetState> targets = new HashMap<>();
        Map<ConnectorTaskId, Map<String, String>> taskConfigs = new HashMap<>();
        Map<String, AppliedConnectorConfig> applied = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = n.get("connectors").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int count = e.getValue().asInt();
            counts.put(e.getKey(), count);
            configs.put(e.getKey(), Collections.emptyMap());
            targets.put(e.getKey(), TargetState.STARTED);
            applied.put(e.getKey(), new AppliedConnectorConfig(Collections.emptyMap()));
            for (int i = 0; i < count; i++) taskConfigs.put(new ConnectorTaskId(e.getKey(), i), Collections.emptyMap());
        }
        Set<String> inconsistent = new HashSet<>(strings(n.get("inconsistent")));
        return new ClusterConfigState(n.get("offset").asLong(), null, counts, configs, targets, taskConfigs,
            Collections.emptyMap(), Collections.emptyMap(), applied, Collections.emptySet(), inconsistent);
    }

    static Object privateField(Object o, String name) throws Exception {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    static JsonNode handle(JsonNode req) throws Exception {
        ObjectNode out = JSON.createObjectNode();
        switch (req.get("op").asText()) {
            case "decode_metadata": {
                ByteBuffer data = unb64(req.get("data"));
                ExtendedWorkerState s = IncrementalCooperativeConnectProtocol.deserializeMetadata(data.duplicate());
                out.put("url", s.url());
                out.put("offset", s.offset());
                if (s.assignment() == ExtendedAssignment.empty()) out.putNull("assignment");
                else out.set("assignment", describe(s.assignment()));
                if (data.getShort(0) == 0) {
                    ConnectProtocol.WorkerState v0 = ConnectProtocol.deserializeMetadata(data.duplicate());
                    out.put("v0Url", v0.url());
                    out.put("v0Offset", v0.offset());
                }
                return out;
            }
            case "decode_assignment": {
                ByteBuffer data = unb64(req.get("data"));
                out.set("assignment", describe(IncrementalCooperativeConnectProtocol.deserializeAssignment(data.duplicate())));
                if (data.getShort(0) == 0) out.set("v0", describe(ConnectProtocol.deserializeAssignment(data.duplicate())));
                return out;
            }
            case "encode_metadata": {
                int version = req.get("version").asInt();
                ExtendedWorkerState s = state(req.get("state"));
                ByteBuffer b = version == 0 ? ConnectProtocol.serializeMetadata(s)
                    : IncrementalCooperativeConnectProtocol.serializeMetadata(s, version == 2);
                out.put("data", b64(b));
                return out;
            }
            case "encode_assignment": {
                ExtendedAssignment a = extended(req.get("assignment"));
                ByteBuffer b = a.version() == 0
                    ? ConnectProtocol.serializeAssignment(new ConnectProtocol.Assignment(a.error(), a.leader(),
                        a.leaderUrl(), a.offset(), a.connectors(), a.tasks()))
                    : IncrementalCooperativeConnectProtocol.serializeAssignment(a, a.version() == 2);
                out.put("data", b64(b));
                return out;
            }
            case "metadata_request": {
                ExtendedWorkerState s = state(req.get("state"));
                ConnectProtocolCompatibility mode = ConnectProtocolCompatibility.compatibility(req.get("mode").asText());
                JoinGroupRequestProtocolCollection protocols = mode == ConnectProtocolCompatibility.EAGER
                    ? ConnectProtocol.metadataRequest(s)
                    : IncrementalCooperativeConnectProtocol.metadataRequest(s, mode == ConnectProtocolCompatibility.SESSIONED);
                ArrayNode list = out.putArray("protocols");
                for (JoinGroupRequestProtocol p : protocols) {
                    list.addArray().add(p.name()).add(Base64.getEncoder().encodeToString(p.metadata()));
                }
                return out;
            }
            case "compat": {
                String value = req.get("value").asText();
                try {
                    ConnectProtocolCompatibility mode;
                    switch (req.get("kind").asText()) {
                        case "config": mode = ConnectProtocolCompatibility.compatibility(value); break;
                        case "protocol": mode = ConnectProtocolCompatibility.fromProtocol(value); break;
                        default: mode = ConnectProtocolCompatibility.fromProtocolVersion(Short.parseShort(value));
                    }
                    out.put("mode", mode.name());
                    out.put("text", mode.toString());
                } catch (IllegalArgumentException e) {
                    out.put("error", e.getMessage());
                }
                return out;
            }
            case "new_assignor": {
                String kind = req.get("kind").asText();
                ASSIGNORS.put(req.get("id").asText(), kind.equals("eager")
                    ? new EagerAssignor(new LogContext())
                    : new IncrementalCooperativeAssignor(new LogContext(), TIME, req.get("maxDelay").asInt()));
                return out;
            }
            case "assign": {
                nowMs = req.get("now").asLong();
                Coordinator c = newCoordinator();
                c.snapshot = snapshot(req.get("snapshot"));
                c.fresh = snapshot(req.get("fresh"));
                c.generation = req.get("generation").asInt();
                c.lastCompleted = req.get("lastCompleted").asInt();
                List<JoinGroupResponseMember> members = new ArrayList<>();
                for (JsonNode m : req.get("members")) {
                    members.add(new JoinGroupResponseMember().setMemberId(m.get(0).asText())
                        .setMetadata(Base64.getDecoder().decode(m.get(1).asText())));
                }
                Map<String, ByteBuffer> result = ASSIGNORS.get(req.get("id").asText()).performAssignment(
                    req.get("leader").asText(), req.get("protocol").asText(), members, c);
                ObjectNode assignments = out.putObject("assignments");
                for (Map.Entry<String, ByteBuffer> e : result.entrySet()) assignments.put(e.getKey(), b64(e.getValue()));
                out.put("snapshotOffset", c.snapshot.offset());
                out.put("freshTaken", c.freshTaken);
                if (c.leaderState != null) {
                    ObjectNode owners = out.putObject("connectorOwners");
                    for (Map.Entry<?, ?> e : ((Map<?, ?>) privateField(c.leaderState, "connectorOwners")).entrySet())
                        owners.put(e.getKey().toString(), e.getValue().toString());
                    ObjectNode taskOwners = out.putObject("taskOwners");
                    for (Map.Entry<?, ?> e : ((Map<?, ?>) privateField(c.leaderState, "taskOwners")).entrySet())
                        taskOwners.put(e.getKey().toString(), e.getValue().toString());
                }
                return out;
            }
            default:
                throw new IllegalArgumentException("unknown op " + req.get("op"));
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            JsonNode answer;
            try {
                answer = handle(JSON.readTree(line));
            } catch (Exception e) {
                ObjectNode err = JSON.createObjectNode();
                Throwable cause = e;
                err.put("exception", cause.getClass().getSimpleName() + ": " + cause.getMessage());
                answer = err;
            }
            out.println(JSON.writeValueAsString(answer));
        }
    }
}
