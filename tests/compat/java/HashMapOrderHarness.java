import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Line protocol driven by tests/compat/test_hash_map_order_java.py: one job per input line,
 * "constructor n key...", keys as base64 of UTF-8. The constructor is how Kafka's code builds the
 * map: "new" (new HashMap<>()), "sized" (new HashMap<>(n)) or "copy" (new HashMap<>(map) of the
 * first n keys in a LinkedHashMap); the remaining keys are then put one by one. The answer is the
 * map's keys in iteration order, each after a tab, base64, following "OK".
 */
public class HashMapOrderHarness {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split(" ", -1);
            int n = Integer.parseInt(parts[1]);
            List<String> keys = new ArrayList<>();
            for (int i = 2; i < parts.length; i++) {
                keys.add(new String(Base64.getDecoder().decode(parts[i]), StandardCharsets.UTF_8));
            }
            Map<String, Integer> map;
            int first = 0;
            switch (parts[0]) {
                case "new": map = new HashMap<>(); break;
                case "sized": map = new HashMap<>(n); break;
                default:
                    Map<String, Integer> source = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) source.put(keys.get(i), i);
                    map = new HashMap<>(source);
                    first = n;
            }
            for (int i = first; i < keys.size(); i++) map.put(keys.get(i), i);
            StringBuilder answer = new StringBuilder("OK");
            for (String key : map.keySet()) {
                answer.append('\t')
                        .append(Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)));
            }
            out.println(answer);
        }
        out.println("END");
        out.flush();
    }
}
