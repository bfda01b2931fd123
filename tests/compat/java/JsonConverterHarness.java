import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Line protocol driven by tests/compat/test_json_converter_java.py; one JVM serves a whole run.
 *
 * <pre>
 * RT  cfg b64   read an envelope with the "schemas" converter, write it with converter cfg
 * RD  cfg b64   read with converter cfg, write with the same converter
 * D   hexbits   Double.toString of a double given by its bits
 * F   hexbits   Float.toString of a float given by its bits
 * GEN           every built-in record written by every converter, then END
 * </pre>
 *
 * Answers: "OK b64" (or "OK -" for null bytes), "ERR message", or the requested text.
 */
public class JsonConverterHarness {
    private static final Map<String, JsonConverter> CONVERTERS = new LinkedHashMap<>();

    private static JsonConverter converter(boolean schemas, String format, boolean replaceNull) {
        JsonConverter c = new JsonConverter();
        Map<String, Object> config = new HashMap<>();
        config.put("schemas.enable", Boolean.toString(schemas));
        config.put("decimal.format", format);
        config.put("replace.null.with.default", Boolean.toString(replaceNull));
        c.configure(config, false);
        return c;
    }

    private static String b64(byte[] bytes) {
        return bytes == null ? "-" : Base64.getEncoder().encodeToString(bytes);
    }

    private static String error(Throwable t) {
        String message = t.getClass().getSimpleName() + ": " + t.getMessage();
        return "ERR\t" + message.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
    }

    private static String roundTrip(JsonConverter reader, JsonConverter writer, byte[] input) {
        try {
            SchemaAndValue sv = reader.toConnectData("t", input);
            return "OK\t" + b64(writer.fromConnectData("t", sv.schema(), sv.value()));
        } catch (Throwable t) {
            return error(t);
        }
    }

    public static void main(String[] args) throws Exception {
        CONVERTERS.put("schemas", converter(true, "BASE64", true));
        CONVERTERS.put("noschemas", converter(false, "BASE64", true));
        CONVERTERS.put("numeric", converter(true, "NUMERIC", true));
        CONVERTERS.put("numeric_noschemas", converter(false, "NUMERIC", true));
        CONVERTERS.put("nodefault", converter(true, "BASE64", false));
        CONVERTERS.put("nodefault_noschemas", converter(false, "BASE64", false));

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t", -1);
            switch (parts[0]) {
                case "RT":
                    out.println(roundTrip(CONVERTERS.get("schemas"), CONVERTERS.get(parts[1]),
                            Base64.getDecoder().decode(parts[2])));
                    break;
                case "RD":
                    JsonConverter c = CONVERTERS.get(parts[1]);
                    out.println(roundTrip(c, c, Base64.getDecoder().decode(parts[2])));
                    break;
                case "D":
                    out.println(Double.toString(Double.longBitsToDouble(Long.parseUnsignedLong(parts[1], 16))));
                    break;
                case "F":
                    out.println(Float.toString(Float.intBitsToFloat(Integer.parseUnsignedInt(parts[1], 16))));
                    break;
                case "GEN":
                    generate(out);
                    out.println("END");
                    break;
                default:
                    out.println("ERR\tunknown command " + parts[0]);
            }
            out.flush();
        }
    }

    private static void generate(PrintStream out) {
        List<Object[]> records = records();
        for (Map.Entry<String, JsonConverter> entry : CONVERTERS.entrySet()) {
            JsonConverter c = entry.getValue();
            for (Object[] record : records) {
                String head = "G\t" + entry.getKey() + "\t" + record[0] + "\t";
                byte[] written;
                try {
                    written = c.fromConnectData("t", (Schema) record[1], record[2]);
                } catch (Throwable t) {
                    out.println(head + "-\t" + error(t));
                    continue;
                }
                out.println(head + b64(written) + "\t" + roundTrip(c, c, written));
            }
        }
    }

    private static void add(List<Object[]> records, String name, Schema schema, Object value) {
        records.add(new Object[] {name, schema, value});
    }

    private static java.util.Date millis(long ms) {
        return new java.util.Date(ms);
    }

    private static List<Object[]> records() {
        List<Object[]> r = new ArrayList<>();
        add(r, "int8", Schema.INT8_SCHEMA, (byte) -128);
        add(r, "int16", Schema.INT16_SCHEMA, (short) 32767);
        add(r, "int32", Schema.INT32_SCHEMA, Integer.MIN_VALUE);
        add(r, "int64", Schema.INT64_SCHEMA, Long.MAX_VALUE);
        float[] floats = {0.1f, 1.68271167E11f, Float.MIN_VALUE, Float.MAX_VALUE, -0.0f, 3.0e-5f, 1234567.9f,
            16777216f, Float.NaN, Float.POSITIVE_INFINITY};
        for (int i = 0; i < floats.length; i++) {
            add(r, "float32-" + i, Schema.FLOAT32_SCHEMA, floats[i]);
        }
        double[] doubles = {1e10, 1e-5, 0.001, 1234567.0, 12345678.9, Math.pow(2, -44), 2.6814475343671142E18,
            6.6313455704245764E19, 1e23, 2e-3, Double.MIN_VALUE, Double.MAX_VALUE, -0.0, 0.1 + 0.2,
            4.35, 100.0, Double.NaN, Double.NEGATIVE_INFINITY};
        for (int i = 0; i < doubles.length; i++) {
            add(r, "float64-" + i, Schema.FLOAT64_SCHEMA, doubles[i]);
        }
        add(r, "boolean", Schema.BOOLEAN_SCHEMA, true);
        add(r, "string", Schema.STRING_SCHEMA,
            "a\"\\/\b\t\n\f\r\u0000\u000b\u001f\u007f\u2028\u00e9\ud83d\ude00 end");
        add(r, "bytes", Schema.BYTES_SCHEMA, new byte[] {0, -1, 127, -128});
        add(r, "bytes-empty", Schema.BYTES_SCHEMA, new byte[0]);
        add(r, "optional-null", Schema.OPTIONAL_STRING_SCHEMA, null);
        add(r, "default-null", SchemaBuilder.int32().optional().defaultValue(42).build(), null);
        add(r, "required-default-null", SchemaBuilder.string().defaultValue("dflt").build(), null);
        add(r, "decorated", SchemaBuilder.int64().name("com.example.Id").version(7).doc("The \"id\"")
            .parameter("z", "1").parameter("a", "2").defaultValue(9L).build(), 10L);

        Schema dec2 = Decimal.schema(2);
        add(r, "decimal-2", dec2, new BigDecimal("2.22"));
        add(r, "decimal-neg", Decimal.schema(0), new BigDecimal("-128"));
        add(r, "decimal-big", Decimal.schema(5), new BigDecimal("-12345678901234567890.12345"));
        add(r, "decimal-negative-scale", Decimal.schema(-2), new BigDecimal(BigInteger.valueOf(5), -2));
        add(r, "decimal-zero", Decimal.schema(3), new BigDecimal("0.000"));
        add(r, "decimal-default", Decimal.builder(1).optional().defaultValue(new BigDecimal("1.5")).build(), null);
        add(r, "date", Date.SCHEMA, millis(19000L * 86400000L));
        add(r, "date-before-epoch", Date.SCHEMA, millis(-400L * 86400000L));
        add(r, "time", Time.SCHEMA, millis(3723004L));
        add(r, "timestamp", Timestamp.SCHEMA, millis(1700000000123L));
        add(r, "timestamp-negative", Timestamp.SCHEMA, millis(-1L));
        add(r, "timestamp-default", Timestamp.builder().optional().defaultValue(millis(86400000L)).build(), null);

        Schema optInts = SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build();
        add(r, "array", optInts, Arrays.asList(1, null, -3));
        add(r, "array-empty", optInts, new ArrayList<>());
        add(r, "array-default", SchemaBuilder.array(Schema.STRING_SCHEMA).optional()
            .defaultValue(Arrays.asList("x", "y")).build(), null);

        Map<String, Integer> stringMap = new HashMap<>();
        for (String k : new String[] {"one", "two", "three", "four", "five", "\u00e9", ""}) {
            stringMap.put(k, k.length());
        }
        add(r, "map-string", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), stringMap);
        Map<Integer, String> intMap = new HashMap<>();
        for (int k : new int[] {100, -5, 17, 0, 65536}) {
            intMap.put(k, "v" + k);
        }
        add(r, "map-int", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).build(), intMap);
        Map<Long, Boolean> longMap = new HashMap<>();
        longMap.put(-1L, true);
        longMap.put(1L << 40, false);
        longMap.put(3L, true);
        add(r, "map-long", SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.BOOLEAN_SCHEMA).build(), longMap);
        Map<BigDecimal, Double> decimalMap = new HashMap<>();
        decimalMap.put(new BigDecimal("3.14"), 2.5);
        add(r, "map-decimal-keys", SchemaBuilder.map(dec2, Schema.FLOAT64_SCHEMA).build(), decimalMap);

        Schema inner = SchemaBuilder.struct().name("Inner")
            .field("f", Schema.FLOAT32_SCHEMA)
            .field("when", Timestamp.builder().optional().build())
            .build();
        Schema outer = SchemaBuilder.struct().name("com.example.Outer").version(2).doc("all of it")
            .field("i8", Schema.INT8_SCHEMA)
            .field("s", Schema.OPTIONAL_STRING_SCHEMA)
            .field("d", SchemaBuilder.float64().defaultValue(1.5).build())
            .field("b", Schema.OPTIONAL_BYTES_SCHEMA)
            .field("amount", dec2)
            .field("day", Date.builder().optional().build())
            .field("inner", inner)
            .field("inners", SchemaBuilder.array(inner).optional().build())
            .field("byName", SchemaBuilder.map(Schema.STRING_SCHEMA, inner).optional().build())
            .field("flag", SchemaBuilder.bool().optional().defaultValue(true).build())
            .build();
        Struct in1 = new Struct(inner).put("f", 2.5f).put("when", millis(5L));
        Struct in2 = new Struct(inner).put("f", -0.1f);
        Map<String, Struct> byName = new HashMap<>();
        byName.put("first", in1);
        byName.put("second", in2);
        Struct full = new Struct(outer).put("i8", (byte) 7).put("s", "text").put("d", 3.25)
            .put("b", new byte[] {1, 2, 3}).put("amount", new BigDecimal("-0.01"))
            .put("day", millis(0L)).put("inner", in1).put("inners", Arrays.asList(in1, in2))
            .put("byName", byName).put("flag", false);
        add(r, "struct-full", outer, full);
        Struct sparse = new Struct(outer).put("i8", (byte) -1).put("amount", new BigDecimal("10.00")).put("inner", in2);
        add(r, "struct-sparse", outer, sparse);
        add(r, "struct-empty", SchemaBuilder.struct().build(), new Struct(SchemaBuilder.struct().build()));

        Map<String, Object> schemaless = new HashMap<>();
        schemaless.put("long", 5L);
        schemaless.put("int", 6);
        schemaless.put("double", 0.5);
        schemaless.put("float", 0.25f);
        schemaless.put("bool", false);
        schemaless.put("null", null);
        schemaless.put("list", Arrays.asList(1L, "two", 3.0, null, Arrays.asList(true)));
        Map<String, Object> nested = new HashMap<>();
        nested.put("k", "v");
        nested.put("bytes", new byte[] {9, 8});
        schemaless.put("map", nested);
        add(r, "schemaless-map", null, schemaless);
        Map<Object, Object> mixedKeys = new HashMap<>();
        mixedKeys.put(1, "one");
        mixedKeys.put("two", 2L);
        add(r, "schemaless-mixed-keys", null, mixedKeys);
        add(r, "schemaless-list", null, Arrays.asList("a", 1, 2.5, true, null));
        add(r, "schemaless-long", null, 123456789012L);
        add(r, "schemaless-string", null, "plain");
        add(r, "schemaless-double", null, 1.0E-7);
        return r;
    }
}
