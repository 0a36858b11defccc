package org.vlmscope.experiments.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.vlmscope.experiments.metrics.Interval;
import org.vlmscope.experiments.metrics.LensStatistics;
import org.vlmscope.experiments.metrics.MeanEstimate;
import org.vlmscope.experiments.metrics.Table1;
import org.vlmscope.experiments.metrics.Table2;
import org.vlmscope.experiments.metrics.TokenSets;
import org.vlmscope.experiments.records.AtomicFiles;

/** The report's plots (JFreeChart), each written as PNG and SVG. */
final class Charts {
    static final int WIDTH = 960;
    static final int HEIGHT = 420;
    private static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Color[] STRATEGY_COLOURS = {new Color(0xd62728), new Color(0x9467bd),
            new Color(0x1f77b4), new Color(0x7f7f7f), new Color(0x2ca02c)};

    private Charts() {
    }

    /** Table 1 as % decrease against the number of ablated tokens, one panel per task, a series per strategy. */
    static JFreeChart ablation(Table1 table) {
        NumberAxis decrease = new NumberAxis("Decrease (%) with 95% CI");
        decrease.setRange(0, 100);
        decrease.setTickUnit(new NumberTickUnit(10));
        CombinedRangeXYPlot combined = new CombinedRangeXYPlot(decrease);
        combined.setGap(16);
        LegendItemCollection legend = null;
        for (String task : table.tasks()) {
            Map<String, YIntervalSeries> series = new LinkedHashMap<>();
            for (Table1.Row row : table.rows()) {
                Table1.Cell cell = row.cells().get(task);
                double x = TokenSets.size(row.set()).isPresent() ? TokenSets.size(row.set()).getAsInt()
                        : row.meanTokens();
                if (cell.baselineCorrect() == 0 || !(x > 0)) {
                    continue;   // no denominator, or no place on a log axis
                }
                String strategy = TokenSets.strategyLabel(TokenSets.strategy(row.set()));
                Interval ci = cell.percentCi95();
                series.computeIfAbsent(strategy, s -> new YIntervalSeries(s))
                        .add(x, cell.percent(), ci.lower(), ci.upper());
            }
            YIntervalSeriesCollection data = new YIntervalSeriesCollection();
            series.values().forEach(data::addSeries);
            TokenCountAxis tokens = new TokenCountAxis(ReportTables.taskLabel(task) + ": ablated tokens (log scale)");
            tokens.setTickLabelFont(TICKS);
            XYErrorRenderer renderer = new XYErrorRenderer();
            renderer.setDrawXError(false);
            renderer.setDefaultLinesVisible(true);
            renderer.setErrorStroke(new BasicStroke(1f));
            renderer.setCapLength(6);
            for (int s = 0; s < data.getSeriesCount(); s++) {
                renderer.setSeriesPaint(s, STRATEGY_COLOURS[s % STRATEGY_COLOURS.length]);
                renderer.setSeriesStroke(s, new BasicStroke(2f));
            }
            XYPlot plot = new XYPlot(data, tokens, null, renderer);
            styled(plot);
            combined.add(plot);
            if (legend == null) {
                legend = plot.getLegendItems();
            }
        }
        if (legend != null) {
            combined.setFixedLegendItems(legend);
        }
        return chart("Ablation: decrease in correct answers by token set", combined);
    }

    /** Table 2's accuracy ratios as a heat map: scenarios down, layer windows across. */
    static JFreeChart knockoutHeatMap(Table2 table) {
        List<String> scenarios = table.scenarios();
        List<Table2.Window> windows = table.windows();
        int cells = scenarios.size() * windows.size();
        // A sliding window (LLaVA-Phi-3: 23 windows of 10 layers) leaves room for the ratio alone.
        boolean crowded = windows.size() > 8;
        double[][] xyz = new double[3][cells];
        XYPlot plot = new XYPlot();
        int i = 0;
        for (int s = 0; s < scenarios.size(); s++) {
            for (int w = 0; w < windows.size(); w++) {
                Table2.Cell cell = table.cell(scenarios.get(s), windows.get(w).name());
                double ratio = cell == null ? Double.NaN : cell.accuracyRatio();
                xyz[0][i] = w;
                xyz[1][i] = s;
                xyz[2][i] = ratio;
                i++;
                String text = cell == null ? "\u2013" : crowded ? TextTable.number(ratio, 2)
                        : TextTable.number(ratio, 2) + " (" + cell.accuracy().trials() + ")";
                XYTextAnnotation label = new XYTextAnnotation(text, w, s);
                label.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, crowded ? 10 : 13));
                plot.addAnnotation(label);
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("accuracy ratio", xyz);
        SymbolAxis windowAxis = new SymbolAxis("Blocked layers",
                windows.stream().map(ReportTables::windowLabel).toArray(String[]::new));
        SymbolAxis scenarioAxis = new SymbolAxis("Blocked attention (from -> to)", scenarios.stream()
                .map(sc -> ReportTables.from(sc) + " -> " + ReportTables.to(sc)).toArray(String[]::new));
        scenarioAxis.setInverted(true);
        windowAxis.setVerticalTickLabels(crowded);
        for (SymbolAxis axis : List.of(windowAxis, scenarioAxis)) {
            axis.setGridBandsVisible(false);
            axis.setTickLabelFont(TICKS);
        }
        XYBlockRenderer renderer = new XYBlockRenderer();
        PaintScale scale = new RatioScale();
        renderer.setPaintScale(scale);
        plot.setDataset(data);
        plot.setDomainAxis(windowAxis);
        plot.setRangeAxis(scenarioAxis);
        plot.setRenderer(renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        JFreeChart chart = chart("Attention knockout: accuracy after blocking / at baseline"
                + (crowded ? "" : " (n correct at baseline)"), plot);
        chart.removeLegend();
        NumberAxis scaleAxis = new NumberAxis("accuracy ratio");
        scaleAxis.setRange(0, 1);
        scaleAxis.setTickUnit(new NumberTickUnit(0.25));
        PaintScaleLegend key = new PaintScaleLegend(scale, scaleAxis);
        key.setPosition(RectangleEdge.RIGHT);
        key.setMargin(4, 12, 4, 4);
        chart.addSubtitle(key);
        return chart;
    }

    /** The mean fraction of object cells whose top-1 lens token names the object, per layer, with its CI. */
    static JFreeChart lensCurve(LensStatistics stats) {
        YIntervalSeries series = new YIntervalSeries("mean over " + stats.images() + " images");
        for (int l = 0; l < stats.perLayer().size(); l++) {
            MeanEstimate m = stats.perLayer().get(l);
            // A t interval on a fraction can leave [0, 1]; the band is drawn cut to the possible range.
            double lower = Double.isNaN(m.ci95().lower()) ? m.mean() : Math.max(0, m.ci95().lower());
            double upper = Double.isNaN(m.ci95().upper()) ? m.mean() : Math.min(1, m.ci95().upper());
            series.add(l, 100 * m.mean(), 100 * lower, 100 * upper);
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        data.addSeries(series);
        DeviationRenderer renderer = new DeviationRenderer(true, true);
        renderer.setSeriesPaint(0, STRATEGY_COLOURS[2]);
        renderer.setSeriesFillPaint(0, new Color(0x1f77b4));
        renderer.setAlpha(0.2f);
        renderer.setSeriesStroke(0, new BasicStroke(2f));
        NumberAxis layer = new NumberAxis("Layer (0 = embedding output)");
        layer.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        layer.setRange(0, Math.max(1, stats.layers() - 1));
        NumberAxis fraction = new NumberAxis("Object cells decoded as the object (%)");
        fraction.setRange(0, 100);
        XYPlot plot = new XYPlot(data, layer, fraction, renderer);
        styled(plot);
        return chart("Logit lens: object cells decoded as the object, per layer (95% CI)", plot);
    }

    /** Writes {@code base.png} and {@code base.svg} into {@code dir}; returns both paths. */
    static List<Path> write(JFreeChart chart, Path dir, String base, int width, int height) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(png, chart, width, height);
        Path pngFile = dir.resolve(base + ".png");
        AtomicFiles.write(pngFile, png.toByteArray());
        SVGGraphics2D svg = new SVGGraphics2D(width, height);
        chart.draw(svg, new java.awt.Rectangle(0, 0, width, height));
        Path svgFile = dir.resolve(base + ".svg");
        AtomicFiles.write(svgFile, svg.getSVGDocument().getBytes(StandardCharsets.UTF_8));
        return List.of(pngFile, svgFile);
    }

    private static void styled(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
    }

    private static JFreeChart chart(String title, XYPlot plot) {
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** 1 (nothing lost) is white, 0 (every answer lost) dark red; no data is light grey. */
    private static final class RatioScale implements PaintScale {
        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            if (Double.isNaN(value)) {
                return new Color(0xeeeeee);
            }
            double v = Math.max(0, Math.min(1, value));
            return new Color(255 - (int) Math.round((1 - v) * 95), (int) Math.round(255 * v),
                    (int) Math.round(255 * v));
        }
    }
}
