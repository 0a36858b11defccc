package org.vlmscope.experiments.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.experiments.records.RunManifest;

/** The report's {@code index.html}: each run's settings and folders, then a section per table. */
final class IndexPage {
    private static final String CSS = """
            body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
            h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; }
            h3 { font-size: 15px; }
            table.results, table.run { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
            table.results th, table.results td, table.run th, table.run td { border: 1px solid #ddd;
              padding: 3px 8px; text-align: left; }
            table.results th { background: #f4f4f4; }
            table.results td { font-variant-numeric: tabular-nums; white-space: nowrap; }
            table.run th { background: #f8f8f8; font-weight: 600; white-space: nowrap; }
            table.run td { word-break: break-all; }
            img.plot { max-width: 100%; border: 1px solid #eee; margin-top: 8px; }
            .links { font-size: 13px; } .notes { background: #fff6d8; padding: 8px 12px; }
            """;

    private final StringBuilder runs = new StringBuilder();
    private final StringBuilder sections = new StringBuilder();

    void run(MergedRun run) {
        runs.append("<table class=\"run\">\n");
        for (Map.Entry<String, String> e : describe(run.manifest()).entrySet()) {
            runs.append("<tr><th>").append(Html.escape(e.getKey())).append("</th><td>")
                    .append(Html.escape(e.getValue())).append("</td></tr>\n");
        }
        runs.append("<tr><th>results folders</th><td>");
        run.folders().forEach(f -> runs.append(Html.escape(f.toString())).append("<br>"));
        runs.append("</td></tr>\n<tr><th>records</th><td>").append(run.records().size())
                .append("</td></tr>\n</table>\n");
    }

    /** For the index page: a manifest's identity as label and value pairs. */
    private static Map<String, String> describe(RunManifest m) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("experiment", m.experiment());
        out.put("model", m.modelPath() + " (" + m.modelFingerprint() + ")");
        out.put("fidelity", m.fidelity());
        out.put("seed", Long.toString(m.seed()));
        m.inputs().forEach((name, file) -> out.put("input " + name, file.path() + " (sha256 " + file.sha256() + ")"));
        m.options().forEach((name, value) -> out.put("option " + name, value));
        m.versions().forEach((name, value) -> out.put("version " + name, value));
        return out;
    }

    void section(String title, String body) {
        sections.append("<h2>").append(Html.escape(title)).append("</h2>\n").append(body);
    }

    static String figure(String base, String alt) {
        return "<p><img class=\"plot\" src=\"" + base + ".png\" alt=\"" + Html.escape(alt) + "\"></p>\n";
    }

    static String links(String... files) {
        StringBuilder out = new StringBuilder("<p class=\"links\">Files: ");
        for (int i = 0; i < files.length; i++) {
            out.append(i > 0 ? " \u00b7 " : "").append("<a href=\"").append(Html.escape(files[i])).append("\">")
                    .append(Html.escape(files[i])).append("</a>");
        }
        return out.append("</p>\n").toString();
    }

    String html(List<String> notes) {
        StringBuilder notesHtml = new StringBuilder();
        if (!notes.isEmpty()) {
            notesHtml.append("<div class=\"notes\">");
            notes.forEach(n -> notesHtml.append("<p>").append(Html.escape(n)).append("</p>"));
            notesHtml.append("</div>\n");
        }
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<link rel=\"icon\" href=\"data:,\">\n<title>vlmscope report</title>\n<style>\n" + CSS
                + "</style>\n</head>\n<body>\n<h1>vlmscope report</h1>\n" + notesHtml + sections
                + "<h2>Runs</h2>\n" + runs + "</body>\n</html>\n";
    }
}
