package sluice.bench;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/** Reads TSV order lines and returns one Struct record per line; offset = byte position. */
public class TsvStructSourceTask extends SourceTask {
    static final Schema SCHEMA = SchemaBuilder.struct().name("bench.Order")
        .field("id", Schema.INT64_SCHEMA)
        .field("user_id", Schema.INT32_SCHEMA)
        .field("name", Schema.STRING_SCHEMA)
        .field("email", Schema.STRING_SCHEMA)
        .field("country", Schema.STRING_SCHEMA)
        .field("city", Schema.STRING_SCHEMA)
        .field("amount", Schema.FLOAT64_SCHEMA)
        .field("currency", Schema.STRING_SCHEMA)
        .field("active", Schema.BOOLEAN_SCHEMA)
        .field("created_at", Schema.INT64_SCHEMA)
        .field("status", Schema.STRING_SCHEMA)
        .field("note", Schema.STRING_SCHEMA)
        .field("internal_note", Schema.STRING_SCHEMA)
        .build();

    private String topic;
    private int batchSize;
    private Map<String, String> partition;
    private InputStream in;
    private long position;
    private byte[] buf = new byte[1 << 20];
    private int start;
    private int end;
    private volatile boolean stopped;

    @Override
    public String version() {
        return "1.0";
    }

    @Override
    public void start(Map<String, String> props) {
        String file = props.get("file");
        topic = props.get("topic");
        batchSize = Integer.parseInt(props.getOrDefault("batch.size", "2000"));
        partition = Collections.singletonMap("filename", file);
        Map<String, Object> offset = context.offsetStorageReader().offset(partition);
        position = offset == null ? 0L : (Long) offset.get("position");
        try {
            in = new FileInputStream(file);
            in.skipNBytes(position);
        } catch (IOException e) {
            throw new ConnectException("Cannot read " + file, e);
        }
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        List<SourceRecord> out = new ArrayList<>(batchSize);
        try {
            synchronized (this) {
                if (stopped) {
                    return null;
                }
                while (out.size() < batchSize) {
                    int nl = -1;
                    for (int i = start; i < end; i++) {
                        if (buf[i] == '\n') {
                            nl = i;
                            break;
                        }
                    }
                    if (nl < 0) {
                        if (start > 0) {
                            System.arraycopy(buf, start, buf, 0, end - start);
                            end -= start;
                            start = 0;
                        }
                        if (end == buf.length) {
                            buf = java.util.Arrays.copyOf(buf, buf.length * 2);
                        }
                        int n = in.read(buf, end, buf.length - end);
                        if (n <= 0) {
                            break;
                        }
                        end += n;
                        continue;
                    }
                    String line = new String(buf, start, nl - start, StandardCharsets.UTF_8);
                    position += nl + 1 - start;
                    start = nl + 1;
                    out.add(new SourceRecord(partition, Collections.singletonMap("position", position),
                        topic, null, null, null, SCHEMA, parse(line)));
                }
            }
        } catch (IOException e) {
            throw new ConnectException(e);
        }
        if (out.isEmpty()) {
            Thread.sleep(1000);
            return null;
        }
        return out;
    }

    static Struct parse(String line) {
        String[] f = line.split("\t", -1);
        return new Struct(SCHEMA)
            .put("id", Long.parseLong(f[0]))
            .put("user_id", Integer.parseInt(f[1]))
            .put("name", f[2])
            .put("email", f[3])
            .put("country", f[4])
            .put("city", f[5])
            .put("amount", Double.parseDouble(f[6]))
            .put("currency", f[7])
            .put("active", Boolean.parseBoolean(f[8]))
            .put("created_at", Long.parseLong(f[9]))
            .put("status", f[10])
            .put("note", f[11])
            .put("internal_note", f[12]);
    }

    @Override
    public void stop() {
        stopped = true;
        synchronized (this) {
            try {
                if (in != null) {
                    in.close();
                }
            } catch (IOException e) {
                // closing on shutdown: nothing left to protect
            }
        }
    }
}
