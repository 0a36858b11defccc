package org.vlmscope.experiments.run;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.runtime.text.Sequence;

/**
 * The six blocked edges of Table 2 (EXPERIMENTS.md, "Attention knockout"), each as the positions whose keys are
 * blocked ({@code from}) for the queries at {@code to}: the object cells, their buffers, or all visual tokens but
 * the +1 buffer, to the last prompt position; the +1 buffer, or all visual tokens but the last visual row, to the
 * last visual row (the final grid-width visual positions).
 */
public enum KnockoutScenario {
    O_LAST("O->last"), O1_LAST("O+1->last"), O2_LAST("O+2->last"), IMAGE_BUT_O1_LAST("I-(O+1)->last"),
    O1_LVR("O+1->lvr"), IMAGE_BUT_LVR_LVR("I-lvr->lvr");

    private final String label;

    KnockoutScenario(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Key positions blocked. */
    public int[] from(Sequence seq, DatasetRecord r) {
        int[] visual = switch (this) {
            case O_LAST -> r.objectCells();
            case O1_LAST, O1_LVR -> r.buffer1();
            case O2_LAST -> r.buffer2();
            case IMAGE_BUT_O1_LAST -> allBut(seq.visualTokens(), r.buffer1());
            case IMAGE_BUT_LVR_LVR -> IntStream.range(0, seq.visualTokens() - seq.gridWidth()).toArray();
        };
        return Arrays.stream(visual).map(seq::position).toArray();
    }

    /** Query positions whose attention to {@link #from} is blocked. */
    public int[] to(Sequence seq) {
        return switch (this) {
            case O_LAST, O1_LAST, O2_LAST, IMAGE_BUT_O1_LAST -> new int[] {seq.lastPosition()};
            case O1_LVR, IMAGE_BUT_LVR_LVR -> IntStream.range(seq.visualTokens() - seq.gridWidth(), seq.visualTokens())
                    .map(seq::position).toArray();
        };
    }

    private static int[] allBut(int visualTokens, int[] excluded) {
        boolean[] out = new boolean[visualTokens];
        for (int k : excluded) {
            out[k] = true;
        }
        return IntStream.range(0, visualTokens).filter(k -> !out[k]).toArray();
    }
}
