package org.vlmscope.experiments.report;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;

/**
 * A log-scale axis for numbers of ablated tokens whose ticks are the set sizes a reader looks for (5, 10, 20,
 * 40, ...) rather than powers of ten and their halves ("3", "32").
 */
final class TokenCountAxis extends LogAxis {
    private static final long serialVersionUID = 1L;
    private static final int[] TICKS = {1, 2, 5, 10, 20, 40, 60, 100, 250, 500};

    TokenCountAxis(String label) {
        super(label);
        setBase(10);
        setSmallestValue(1);
    }

    @Override
    @SuppressWarnings("rawtypes") // JFreeChart declares the raw type; the list holds NumberTicks.
    protected List refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
        List<NumberTick> ticks = new ArrayList<>();
        for (int value : TICKS) {
            if (getRange().contains(value)) {
                ticks.add(new NumberTick(TickType.MAJOR, value, Integer.toString(value), TextAnchor.TOP_CENTER,
                        TextAnchor.CENTER, 0));
            }
        }
        return ticks;
    }
}
