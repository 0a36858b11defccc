package org.vlmscope.runtime.diff;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/** Writes diff rows as an aligned table, CSV or JSON. */
public final class DiffReport {
    private DiffReport() {
    }

    public static String format(List<DiffRow> rows, String format) {
        return switch (format) {
            case "table" -> table(rows);
            case "csv" -> csv(rows);
            case "json" -> json(rows);
            default -> throw new org.vlmscope.core.BadArgumentException("unknown format '" + format + "'; use table, csv or json");
        };
    }

    private static String table(List<DiffRow> rows) {
        int width = Math.max(6, rows.stream().mapToInt(r -> r.tensor().length()).max().orElse(6));
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s %5s %11s %11s %11s %9s %8s%n",
                "tensor", "layer", "max_abs", "mean_abs", "rel_l2", "cosine", "top1"));
        for (DiffRow r : rows) {
            if (r.unmatched()) {
                out.append(String.format(Locale.ROOT, "%-" + width + "s %5s %s%n", r.tensor(), "", r.note()));
                continue;
            }
            out.append(String.format(Locale.ROOT, "%-" + width + "s %5s %11s %11s %11s %9s %8s%n", r.tensor(),
                    r.layer() == null ? "" : r.layer(), num(r.maxAbs()), num(r.meanAbs()), num(r.relativeL2()),
                    fixed(r.cosine()), r.top1Agreement() >= 0 ? fixed(r.top1Agreement()) : ""));
        }
        return out.toString();
    }

    private static String csv(List<DiffRow> rows) {
        StringBuilder out = new StringBuilder("tensor,layer,elements,max_abs,mean_abs,rel_l2,cosine,top1_agreement,note\n");
        for (DiffRow r : rows) {
            out.append(String.join(",", r.tensor(), r.layer() == null ? "" : r.layer().toString(),
                    Long.toString(r.elements()), csvNum(r.maxAbs()), csvNum(r.meanAbs()), csvNum(r.relativeL2()),
                    csvNum(r.cosine()), csvNum(r.top1Agreement()), r.note() == null ? "" : '"' + r.note() + '"')).append('\n');
        }
        return out.toString();
    }

    private static String json(List<DiffRow> rows) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode array = mapper.createArrayNode();
        for (DiffRow r : rows) {
            ObjectNode o = array.addObject();
            o.put("tensor", r.tensor());
            if (r.layer() != null) {
                o.put("layer", r.layer());
            }
            o.put("elements", r.elements());
            putNum(o, "max_abs", r.maxAbs());
            putNum(o, "mean_abs", r.meanAbs());
            putNum(o, "rel_l2", r.relativeL2());
            putNum(o, "cosine", r.cosine());
            putNum(o, "top1_agreement", r.top1Agreement());
            if (r.note() != null) {
                o.put("note", r.note());
            }
        }
        try {
            return mapper.writeValueAsString(array) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putNum(ObjectNode o, String key, double v) {
        if (!Double.isNaN(v)) {
            o.put(key, v);
        }
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4g", v);
    }

    private static String fixed(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    private static String csvNum(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }
}
