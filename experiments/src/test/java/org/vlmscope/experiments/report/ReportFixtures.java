package org.vlmscope.experiments.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.ExperimentRun;
import org.vlmscope.experiments.records.FilterRecord;
import org.vlmscope.experiments.records.InputFile;
import org.vlmscope.experiments.records.KnockoutRecord;
import org.vlmscope.experiments.records.LensRecord;
import org.vlmscope.experiments.records.LensSidecar;
import org.vlmscope.experiments.records.LensSidecars;
import org.vlmscope.experiments.records.RunManifest;
import org.vlmscope.experiments.records.Shard;

/**
 * Results folders of all three experiments with seeded, made-up outcomes (no model), written through
 * {@link ExperimentRun} as the runners will: what the report and browser tests render. Object-token sets lose
 * more answers than random ones, so the plots look like the paper's; the lens images use a 12 x 12 and a
 * 24 x 24 grid, and their tokens include text that must be escaped.
 */
final class ReportFixtures {
    static final List<String> SETS = List.of("object", "object+1", "object+2", "register", "ig-5", "ig-10",
            "ig-20", "ig-40", "ig-60", "ig-100", "ig-250", "random-5", "random-10", "random-20", "random-40",
            "random-60", "random-100", "random-250");
    static final String[][] WINDOWS = {{"early", "0", "9"}, {"early-mid", "5", "14"}, {"mid", "11", "20"},
            {"mid-late", "15", "24"}, {"late", "21", "31"}, {"all", "0", "31"}};
    static final List<String> SCENARIOS = List.of("O->last", "O+1->last", "O+2->last", "I-(O+1)->last",
            "O+1->lvr", "I-lvr->lvr");
    static final List<String> TRICKY_TOKENS = List.of("\u2581dog", "</script>", "\"q\"", "<b>", "&amp;", "",
            "\u72d7", "\u2581the", "\u2581a", "\ud83d\udc36", "\u2581Dog", "\u2581sofa");

    private ReportFixtures() {
    }

    /** One results folder per experiment under {@code base}: ablation, knockout, lens (in that order). */
    static List<Path> allExperiments(Path base, int ablationImages, int knockoutImages, int lensLayers)
            throws IOException {
        List<Path> folders = List.of(base.resolve("ablation"), base.resolve("knockout"), base.resolve("lens"));
        ablation(folders.get(0), ablationImages, Shard.ALL);
        knockout(folders.get(1), knockoutImages);
        lens(folders.get(2), lensLayers);
        return folders;
    }

    static RunManifest manifest(String experiment, Map<String, String> options) {
        return new RunManifest(RunManifest.FORMAT, experiment, "/models/llava-1.5-7b", "sha256:abc123",
                Map.of("dataset", new InputFile("/data/coco-simple.jsonl", "feed")), "paper", 1, options,
                Map.of("vlmscope", "0.1.0", "onnxruntime", "1.29.0"));
    }

    static RunManifest ablationManifest() {
        return manifest(RunManifest.ABLATION, Map.of("tasks", "generative,polling,vqa", "filter", "hallucination"));
    }

    /** Ablation records for {@code images} images, each image in the shard only. */
    static void ablation(Path dir, int images, Shard shard) throws IOException {
        try (ExperimentRun run = ExperimentRun.open(dir, ablationManifest())) {
            for (int i = 0; i < images; i++) {
                if (!shard.contains(i)) {
                    continue;
                }
                for (ExperimentRecord r : ablationRecords("img" + i, new Random(31L * i + 5))) {
                    run.append(r);
                }
            }
        }
    }

    private static List<ExperimentRecord> ablationRecords(String image, Random random) {
        Answer text = new Answer("A dog lies on a <sofa> & \"cushion\".", List.of(319L, 11203L));
        List<ExperimentRecord> out = new ArrayList<>();
        boolean passes = random.nextInt(10) < 7;
        out.add(new FilterRecord(image, "dog", text, new Answer("A sofa.", List.of(319L)), true, !passes,
                new Answer("Yes", List.of(3869L)), new Answer("No", List.of(1939L))));
        int objectTokens = 4 + random.nextInt(18);
        for (String task : List.of("generative", "polling", "vqa")) {
            for (String set : SETS) {
                int n = switch (set) {
                    case "object" -> objectTokens;
                    case "object+1" -> objectTokens * 5 / 2;
                    case "object+2" -> objectTokens * 9 / 2;
                    case "register" -> 1 + random.nextInt(5);
                    default -> Integer.parseInt(set.substring(set.indexOf('-') + 1));
                };
                double lossChance = switch (set) {
                    case "object" -> 0.35;
                    case "object+1" -> 0.7;
                    case "object+2" -> 0.85;
                    case "register" -> 0.04;
                    default -> set.startsWith("ig") ? Math.min(0.95, n / 180.0) : n / 1000.0;
                };
                List<Integer> positions = new ArrayList<>();
                for (int p = 0; p < n; p++) {
                    positions.add(p);
                }
                boolean base = random.nextInt(20) < 19;
                boolean after = base && random.nextDouble() >= lossChance;
                out.add(new AblationRecord(image, "dog", task, set, n, positions, base, after, text,
                        after ? text : new Answer("A sofa.", List.of(319L))));
            }
        }
        return out;
    }

    static void knockout(Path dir, int images) throws IOException {
        RunManifest m = manifest(RunManifest.KNOCKOUT, Map.of("windows", "early,early-mid,mid,mid-late,late,all"));
        try (ExperimentRun run = ExperimentRun.open(dir, m)) {
            for (int i = 0; i < images; i++) {
                Random random = new Random(977L * i + 3);
                boolean base = random.nextInt(10) < 9;
                for (String scenario : SCENARIOS) {
                    for (String[] w : WINDOWS) {
                        int first = Integer.parseInt(w[1]);
                        int last = Integer.parseInt(w[2]);
                        boolean objectEdges = scenario.startsWith("O") && scenario.endsWith("last");
                        double loss = objectEdges && last >= 20 ? 0.15 + 0.1 * (last - first) / 31.0 : 0.01;
                        boolean after = base && random.nextDouble() >= loss;
                        double before = 0.3 + 0.6 * random.nextDouble();
                        double pAfter = before * (after ? 0.8 + 0.2 * random.nextDouble() : 0.3);
                        run.append(new KnockoutRecord("vqa" + i, "What is on the bed?", "dog", scenario, w[0],
                                first, last, 12, 1, base, after, before, pAfter, new Answer(" dog", List.of(11203L)),
                                new Answer(after ? " dog" : " cat", List.of(after ? 11203L : 6635L))));
                    }
                }
            }
        }
    }

    /** Lens records with sidecars: image {@code lens0} on a 12 x 12 grid, {@code lens1} on 24 x 24. */
    static void lens(Path dir, int layers) throws IOException {
        try (ExperimentRun run = ExperimentRun.open(dir, manifest(RunManifest.LOGIT_LENS,
                Map.of("match", "first-subword,casefold,strip-marker")))) {
            int[] grids = {12, 24};
            for (int i = 0; i < grids.length; i++) {
                int grid = grids[i];
                Random random = new Random(101L * i);
                List<Integer> objectCells = new ArrayList<>();
                for (int r = grid / 3; r < grid / 2; r++) {
                    for (int c = grid / 3; c < grid / 2 + 1; c++) {
                        objectCells.add(r * grid + c);
                    }
                }
                List<List<List<String>>> tokens = new ArrayList<>();
                List<List<List<Double>>> probs = new ArrayList<>();
                for (int cell = 0; cell < grid * grid; cell++) {
                    List<List<String>> cellTokens = new ArrayList<>();
                    List<List<Double>> cellProbs = new ArrayList<>();
                    for (int l = 0; l < layers; l++) {
                        List<String> top = new ArrayList<>();
                        List<Double> p = new ArrayList<>();
                        double mass = 0.2 + 0.6 * random.nextDouble();
                        for (int k = 0; k < 5; k++) {
                            boolean object = objectCells.contains(cell) && k == 0 && l > layers / 2;
                            top.add(object ? "\u2581dog" : TRICKY_TOKENS.get(random.nextInt(TRICKY_TOKENS.size())));
                            p.add(mass);
                            mass *= 0.5;
                        }
                        cellTokens.add(top);
                        cellProbs.add(p);
                    }
                    tokens.add(cellTokens);
                    probs.add(cellProbs);
                }
                List<Double> fractions = new ArrayList<>();
                for (int l = 0; l < layers; l++) {
                    fractions.add(l > layers / 2 ? Math.min(1, 0.1 * (l - layers / 2) + 0.05 * i) : 0.0);
                }
                String id = "lens" + i;
                String sidecar = LensSidecars.write(dir, new LensSidecar(id, grid, grid, layers, 5, null, tokens,
                        probs), png(grid, objectCells), "png");
                run.append(LensRecord.of(id, "dog", "dog", "first-subword,casefold,strip-marker", grid, grid,
                        objectCells, fractions, sidecar));
            }
        }
    }

    /** A 336 x 336 picture: a gradient background and a brown blob over the object cells. */
    static byte[] png(int grid, List<Integer> objectCells) throws IOException {
        BufferedImage image = new BufferedImage(336, 336, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(0x88aacc), 336, 336, new Color(0xddeecc)));
        g.fillRect(0, 0, 336, 336);
        g.setColor(new Color(0x8b5a2b));
        int cell = 336 / grid;
        for (int c : objectCells) {
            g.fillOval((c % grid) * cell - cell / 3, (c / grid) * cell - cell / 3, cell * 5 / 3, cell * 5 / 3);
        }
        g.setStroke(new BasicStroke(3));
        g.setColor(Color.DARK_GRAY);
        g.drawLine(0, 300, 336, 260);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
