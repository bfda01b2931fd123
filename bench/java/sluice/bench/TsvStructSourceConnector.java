package sluice.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * The bench's B3 source on the Java side: TSV lines of orders turned into Structs. Its Python
 * twin is bench/plugins/sluice_bench_tsv.py; both read the file in 1 MiB chunks and fill the
 * same schema field by field, so the connector does the same work on both sides.
 */
public class TsvStructSourceConnector extends SourceConnector {
    static final ConfigDef CONFIG = new ConfigDef()
        .define("file", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "TSV file of orders")
        .define("topic", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "Topic to write to")
        .define("batch.size", ConfigDef.Type.INT, 2000, ConfigDef.Importance.LOW,
            "Maximum records returned by one poll");

    private Map<String, String> props;

    @Override
    public String version() {
        return "1.0";
    }

    @Override
    public void start(Map<String, String> props) {
        CONFIG.parse(props);
        this.props = new HashMap<>(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return TsvStructSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        // One task per file of the comma-separated "file" (B5 runs one file per task).
        List<Map<String, String>> configs = new ArrayList<>();
        for (String file : props.get("file").split(",")) {
            if (file.isBlank()) {
                continue;
            }
            Map<String, String> config = new HashMap<>(props);
            config.put("file", file.strip());
            configs.add(config);
        }
        if (configs.size() > maxTasks) {
            throw new ConfigException("file", props.get("file"), configs.size() + " files need tasks.max >= " + configs.size());
        }
        return configs;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }
}
