package org.vlmscope.experiments.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.AtomicFiles;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.LensRecord;
import org.vlmscope.experiments.records.LensSidecar;
import org.vlmscope.experiments.records.LensSidecars;

/**
 * The logit-lens viewer: one self-contained HTML page per image (the cropped image as a data URI with its patch
 * grid, a positions x layers table of top-1 tokens, top-k with probabilities on hover, patch and row highlighting
 * each other) and an index page. Pages open from disk: no network, no other file.
 */
final class ViewerPages {
    static final String INDEX = "index.html";
    private static final String CSS = resource("viewer.css");
    private static final String JS = resource("viewer.js");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ViewerPages() {
    }

    /**
     * Writes a page for every lens record with a sidecar, and the index, into {@code dir}; the sidecars are
     * read from the results folders the records came from ({@code folders}, in order). Returns the pages.
     */
    static List<Path> write(List<ExperimentRecord> records, List<Path> folders, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        StringBuilder rows = new StringBuilder();
        for (ExperimentRecord record : records) {
            if (!(record instanceof LensRecord lens)) {
                continue;
            }
            String name = lens.sidecar() == null ? null : LensSidecars.fileName(lens.imageId()) + ".html";
            if (name != null) {
                Path folder = folderHolding(folders, lens.sidecar());
                LensSidecar sidecar = LensSidecars.read(folder, lens.sidecar());
                check(lens, sidecar);
                byte[] image = Files.readAllBytes(folder.resolve(sidecar.image()));
                Path page = dir.resolve(name);
                AtomicFiles.write(page,
                        page(lens, sidecar, image, sidecar.image()).getBytes(StandardCharsets.UTF_8));
                written.add(page);
            }
            rows.append("<tr><td>").append(name == null ? Html.escape(lens.imageId())
                            : "<a href=\"" + Html.escape(name) + "\">" + Html.escape(lens.imageId()) + "</a>")
                    .append("</td><td>").append(Html.escape(lens.object()))
                    .append("</td><td>").append(lens.gridRows()).append("x").append(lens.gridCols())
                    .append("</td><td>").append(lens.objectCells().size())
                    .append("</td><td>").append(lens.bestLayer()).append(" of ").append(lens.layerFractions().size())
                    .append("</td><td>").append(TextTable.number(100 * lens.bestFraction(), 1))
                    .append("</td></tr>\n");
        }
        Path index = dir.resolve(INDEX);
        AtomicFiles.write(index, indexPage(rows.toString())
                .getBytes(StandardCharsets.UTF_8));
        written.add(index);
        return written;
    }

    private static Path folderHolding(List<Path> folders, String relative) {
        for (Path folder : folders) {
            if (Files.exists(folder.resolve(relative))) {
                return folder;
            }
        }
        throw new VlmscopeException("the lens sidecar " + relative + " is in none of " + folders);
    }

    private static void check(LensRecord lens, LensSidecar sidecar) {
        if (!sidecar.imageId().equals(lens.imageId()) || sidecar.gridRows() != lens.gridRows()
                || sidecar.gridCols() != lens.gridCols() || sidecar.layers() != lens.layerFractions().size()) {
            throw new VlmscopeException("the lens sidecar " + lens.sidecar() + " (image " + sidecar.imageId() + ", "
                    + sidecar.gridRows() + "x" + sidecar.gridCols() + " grid, " + sidecar.layers()
                    + " layers) does not belong to the record of image " + lens.imageId() + " ("
                    + lens.gridRows() + "x" + lens.gridCols() + ", " + lens.layerFractions().size() + " layers)");
        }
    }

    static String page(LensRecord lens, LensSidecar sidecar, byte[] image, String imageName) throws IOException {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("imageId", lens.imageId());
        data.put("rows", lens.gridRows());
        data.put("cols", lens.gridCols());
        data.put("layers", sidecar.layers());
        data.put("topK", sidecar.topK());
        data.put("objectCells", lens.objectCells());
        data.put("layerFractions", lens.layerFractions());
        data.put("bestLayer", lens.bestLayer());
        data.put("tokens", sidecar.tokens());
        data.put("probs", rounded(sidecar.probs()));
        String json = Html.scriptJson(JSON.writeValueAsString(data));
        String mime = imageName.toLowerCase(Locale.ROOT).endsWith(".png") ? "image/png" : "image/jpeg";
        String title = "Logit lens: image " + lens.imageId() + " (" + lens.object() + ")";
        String meta = lens.gridRows() + "x" + lens.gridCols() + " grid, " + sidecar.layers()
                + " layers (0 = embedding output). Best layer " + lens.bestLayer() + ": "
                + TextTable.number(100 * lens.bestFraction(), 1) + "% of the " + lens.objectCells().size()
                + " object cells have a top-1 token matching \u201c" + lens.target() + "\u201d (rule: "
                + lens.matchRule() + ").";
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<link rel=\"icon\" href=\"data:,\">\n"
                + "<title>" + Html.escape(title) + "</title>\n<style>\n" + CSS + "</style>\n</head>\n<body>\n"
                + "<p><a href=\"" + INDEX + "\">All images</a></p>\n"
                + "<h1>" + Html.escape(title) + "</h1>\n"
                + "<div class=\"meta\">" + Html.escape(meta) + "</div>\n"
                + "<div class=\"layout\">\n<div>\n<div class=\"picture\">"
                + "<img alt=\"image " + Html.escape(lens.imageId()) + " as the model saw it\" src=\"data:" + mime
                + ";base64," + Base64.getEncoder().encodeToString(image) + "\">"
                + "<div class=\"grid\" id=\"grid\"></div></div>\n"
                + "<div class=\"legend\">Outlined in yellow: the object cells. Hover a patch to find its row in the "
                + "table, a row to find its patch, a token for the top-" + sidecar.topK() + " tokens and their "
                + "probabilities. Green shading: the top-1 token's probability. The best layer's column is "
                + "yellow.</div>\n</div>\n"
                + "<div class=\"side\">\n<div class=\"controls\"><label><input type=\"checkbox\" id=\"only-object\">"
                + " object cells only</label></div>\n"
                + "<div class=\"tablewrap\" id=\"tablewrap\"><table class=\"lens\"><thead id=\"lens-head\"></thead>"
                + "<tbody id=\"lens-body\"></tbody></table></div>\n</div>\n</div>\n"
                + "<div id=\"tip\"></div>\n"
                + "<script type=\"application/json\" id=\"lens-data\">" + json + "</script>\n"
                + "<script>\n" + JS + "</script>\n</body>\n</html>\n";
    }

    private static String indexPage(String rows) {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<link rel=\"icon\" href=\"data:,\">\n<title>Logit lens viewer</title>\n<style>\n" + CSS
                + "table.images { border-collapse: collapse; }\n"
                + "table.images th, table.images td { border: 1px solid #ddd; padding: 3px 8px; }\n"
                + "</style>\n</head>\n<body>\n<p><a href=\"../index.html\">Report</a></p>\n"
                + "<h1>Logit lens viewer</h1>\n<table class=\"images\">\n<thead><tr><th>Image</th><th>Object</th>"
                + "<th>Grid</th><th>Object cells</th><th>Best layer</th><th>Best fraction (%)</th></tr></thead>\n"
                + "<tbody>\n" + rows + "</tbody></table>\n</body>\n</html>\n";
    }

    /** Probabilities to 4 decimals: the page shows 3, and the page size is mostly these numbers. */
    private static List<List<List<Double>>> rounded(List<List<List<Double>>> probs) {
        List<List<List<Double>>> out = new ArrayList<>(probs.size());
        for (List<List<Double>> cell : probs) {
            List<List<Double>> layers = new ArrayList<>(cell.size());
            for (List<Double> top : cell) {
                layers.add(top.stream().map(p -> Math.round(p * 1e4) / 1e4).toList());
            }
            out.add(layers);
        }
        return out;
    }

    private static String resource(String name) {
        try (InputStream in = ViewerPages.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the viewer resource " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
