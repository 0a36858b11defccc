package org.vlmscope.experiments.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;

/**
 * A table of text cells, rendered as Markdown, CSV or an HTML fragment, so each of the report's tables is
 * built once and written three ways.
 */
record TextTable(List<String> header, List<List<String>> rows) {

    TextTable {
        for (List<String> row : rows) {
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("a row of " + row.size() + " cells under " + header.size()
                        + " columns: " + row);
            }
        }
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        markdownRow(out, header);
        out.append('|');
        out.append("---|".repeat(header.size()));
        out.append('\n');
        rows.forEach(row -> markdownRow(out, row));
        return out.toString();
    }

    private static void markdownRow(StringBuilder out, List<String> cells) {
        out.append('|');
        for (String cell : cells) {
            out.append(' ').append(cell.replace("|", "\\|")).append(" |");
        }
        out.append('\n');
    }

    /** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; CRLF line ends. */
    String csv() {
        StringBuilder out = new StringBuilder();
        csvRow(out, header);
        rows.forEach(row -> csvRow(out, row));
        return out.toString();
    }

    private static void csvRow(StringBuilder out, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            if (i > 0) {
                out.append(',');
            }
            if (cell.contains(",") || cell.contains("\"") || cell.contains("\n") || cell.contains("\r")) {
                out.append('"').append(cell.replace("\"", "\"\"")).append('"');
            } else {
                out.append(cell);
            }
        }
        out.append("\r\n");
    }

    String html(String cssClass) {
        StringBuilder out = new StringBuilder("<table class=\"" + cssClass + "\">\n<thead><tr>");
        header.forEach(h -> out.append("<th>").append(Html.escape(h)).append("</th>"));
        out.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : rows) {
            out.append("<tr>");
            row.forEach(c -> out.append("<td>").append(Html.escape(c)).append("</td>"));
            out.append("</tr>\n");
        }
        return out.append("</tbody></table>\n").toString();
    }

    /** A number with {@code decimals} decimals, or an en dash where there is none (NaN). */
    static String number(double value, int decimals) {
        return Double.isNaN(value) ? "\u2013" : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** A number for CSV: empty where there is none. */
    static String csvNumber(double value) {
        if (Double.isNaN(value)) {
            return "";
        }
        if (Double.isInfinite(value)) {
            return Double.toString(value);
        }
        return new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
